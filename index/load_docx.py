"""Word (.docx) -> report text with python-docx: body paragraphs and tables in reading order.

Page headers, footers and page numbers live in their own parts of a .docx, so the
body never contains them. Headings styled ``Heading 1/2`` (``标题 1/2``) whose number
Word draws itself (automatic numbering is not in the text) get the number written
out, ``一、`` and ``（一）``, so the corpus parser finds the sections.

>>> import io, docx
>>> made = docx.Document(); _ = made.add_heading("总体情况", level=1)
>>> _ = made.add_paragraph("全市办结案件12件。"); _ = made.add_heading("二、保护", level=1)
>>> buffer = io.BytesIO(); made.save(buffer)
>>> docx_to_text(buffer.getvalue()).text
'一、总体情况\\n全市办结案件12件。\\n二、保护\\n'
"""

from __future__ import annotations

import io
import re
import zipfile

from index.headings import match_heading
from index.pagetext import glue
from index.sourcetypes import Extracted, LoaderError

MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # a .docx is a ZIP: refuse one that unpacks to more (zip bomb)
MAX_MEMBERS = 5000
_CN_NUMERALS = "一二三四五六七八九十"
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)


def _numeral(n: int) -> str:
    """1 -> 一, 12 -> 十二, 20 -> 二十 (headings rarely pass 99)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _CN_NUMERALS[tens - 1] + "十")
    return head + (_CN_NUMERALS[ones - 1] if ones else "")


def check_zip(data: bytes) -> None:
    """Refuse a ZIP that is not a Word document, or that would unpack to too much."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise LoaderError("Word 文件已损坏（不是有效的 .docx 压缩包）：请用 Word 重新另存为 .docx") from None
    if "word/document.xml" not in {i.filename for i in infos}:
        raise LoaderError("这是 ZIP 压缩包，不是 Word .docx 文档：请上传 .docx、.pdf、.html 或 .txt 文件")
    if len(infos) > MAX_MEMBERS or sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
        raise LoaderError(f"Word 文件解压后超过 {MAX_UNPACKED_BYTES // 2**20} MiB：请删去图片等内容后再添加")


def _paragraph_line(paragraph, counters: list[int]) -> str:
    """A paragraph's text on one line; a Heading-styled paragraph gets its number written out."""
    text = ""
    for piece in paragraph.text.replace("\t", " ").split("\n"):  # soft line breaks are visual only
        text = glue(text, piece.strip())
    style = _HEADING_STYLE.match(getattr(paragraph.style, "name", "") or "")
    if not text or not style or int(style.group(1)) > 2:
        return text
    level = int(style.group(1))
    counters[level - 1] += 1
    if level == 1:
        counters[1] = 0
    if match_heading(text) is not None:
        return text
    return f"{_numeral(counters[0])}、{text}" if level == 1 else f"（{_numeral(counters[1])}）{text}"


def _table_lines(table) -> list[str]:
    """One line per table row, cells separated by an ideographic space (merged cells once)."""
    lines = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            value = " ".join(cell.text.split())
            if value and (not cells or cells[-1] != value):
                cells.append(value)
        if cells:
            lines.append("\u3000".join(cells))
    return lines


def docx_to_text(data: bytes) -> Extracted:
    """Extract a .docx report's text; `LoaderError` (Chinese, one line) when it cannot."""
    import docx
    from docx.table import Table

    check_zip(data)
    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        counters = [0, 0]
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                lines.extend(_table_lines(block))
            else:
                lines.append(_paragraph_line(block, counters))
        title = (document.core_properties.title or "").strip()
    except LoaderError:
        raise
    except Exception as exc:  # python-docx and lxml raise many types on a broken file  # noqa: BLE001
        raise LoaderError(f"Word 文件无法解析（{exc.__class__.__name__}）：请用 Word 重新另存为 .docx 后再添加") from None
    lines = [line for line in lines if line.strip()]
    if not lines:
        raise LoaderError("Word 文件里没有文字（可能只有图片）：本系统不做文字识别（OCR），请提供带文字的文件")
    return Extracted(text="\n".join(lines) + "\n", kind="docx", title_hint=title, notes=(f"{len(lines)} 段",))
