"""PDF -> report text with pypdf: the text layer page by page, furniture removed, paragraphs re-joined.

No OCR: a PDF without a text layer (a scan) is refused with a message saying so.

>>> import io
>>> from reportlab.pdfgen import canvas
>>> from reportlab.pdfbase import pdfmetrics
>>> from reportlab.pdfbase.cidfonts import UnicodeCIDFont
>>> pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))  # a font every PDF reader has: no file needed
>>> buffer = io.BytesIO(); page = canvas.Canvas(buffer); page.setFont("STSong-Light", 12)
>>> page.drawString(72, 760, "一、总体情况"); page.drawString(72, 740, "全市办结案件12件。")
>>> page.drawString(300, 40, "- 1 -"); page.save()
>>> pdf_to_text(buffer.getvalue()).text
'一、总体情况\\n全市办结案件12件。\\n'
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata

from index.pagetext import join_lines, remove_furniture
from index.sourcetypes import Extracted, LoaderError

MAX_PAGES = 2000
MIN_CHARS_PER_PAGE = 10  # fewer visible characters than this: the page has no text layer
_PLACEHOLDER_TITLES = {"untitled", "无标题", "microsoft word", "document"}


def _visible(text: str) -> int:
    return sum(1 for ch in text if not ch.isspace())


def _garbled_share(text: str) -> float:
    """Share of characters that no report prints: controls, private use, unassigned (fonts without a Unicode map)."""
    visible = [ch for ch in text if not ch.isspace()]
    bad = sum(1 for ch in visible if unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs") or ch == "\ufffd")
    return bad / len(visible) if visible else 0.0


def _info_title(reader) -> str:
    try:
        title = str((reader.metadata or {}).get("/Title") or "").strip()
    except Exception:  # pypdf raises many types on odd metadata; a title is only a hint  # noqa: BLE001
        return ""
    return "" if title.lower().startswith(tuple(_PLACEHOLDER_TITLES)) or title.lower().endswith((".doc", ".docx")) else title


_CJK = r"[\u2014\u2018-\u201f\u2026\u3000-\u303f\u3400-\u9fff\uff00-\uffef]"  # Chinese characters and punctuation


def _layout_line(line: str) -> str:
    """A line of pypdf's layout text: its indent kept as one 　 (paragraph start), inner gaps folded.

    >>> _layout_line("    全市 专利  7.5万件，  English   words")
    '\u3000全市专利7.5万件，English words'
    """
    body = line.strip()
    body = re.sub(rf"(?<={_CJK}) +| +(?={_CJK})", "", body)  # a space beside a Chinese character is layout
    body = re.sub(r" {2,}", " ", body)
    return ("\u3000" + body) if (len(line) - len(line.lstrip()) >= 2 or line.startswith("\u3000")) and body else body


def _page_text(page) -> str:
    """The page's text in layout mode, which keeps first-line indents (the 公文 paragraph mark)."""
    try:
        text = page.extract_text(extraction_mode="layout") or ""
    except Exception:  # layout mode fails on some fonts; plain mode loses only the indents  # noqa: BLE001
        return page.extract_text() or ""
    return "\n".join(_layout_line(line) for line in text.splitlines())


def pdf_to_text(data: bytes) -> Extracted:
    """Extract the report text of a PDF; `LoaderError` (Chinese, one line) when it cannot."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf warns on every odd object; errors are ours to say
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoaderError("PDF 已加密，无法读取文字：请先解除密码保护再添加")
        pages = reader.pages
        count = len(pages)
        if count > MAX_PAGES:
            raise LoaderError(f"PDF 有 {count} 页，超过上限 {MAX_PAGES} 页：请拆分后分别添加")
        texts = [_page_text(page) for page in pages]
    except LoaderError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError) as exc:
        raise LoaderError(f"PDF 文件已损坏或无法解析（{exc.__class__.__name__}）：请用原文件重新导出 PDF 后再添加") from None
    except Exception as exc:  # pypdf on a hostile file can raise anything; the user gets one line  # noqa: BLE001
        raise LoaderError(f"PDF 文件无法解析（{exc.__class__.__name__}）：请用原文件重新导出 PDF 后再添加") from None
    textless = sum(1 for text in texts if _visible(text) < MIN_CHARS_PER_PAGE)
    if count == 0 or textless * 2 > count:
        raise LoaderError(f"这个 PDF 没有文字层（{count} 页中 {textless} 页没有可提取的文字，可能是扫描件）："
                          "本系统不做文字识别（OCR），请提供带文字的 PDF、Word 或文本文件")
    joined = "\n".join(texts)
    if _garbled_share(joined) > 0.2:
        raise LoaderError("PDF 的文字无法正确提取（字体缺少编码映射，提取出的是乱码）：请另存为 Word 或文本文件后再添加")
    kept, running = remove_furniture([text.splitlines() for text in texts])
    paragraphs = join_lines([line for page in kept for line in page])
    if not paragraphs:
        raise LoaderError("PDF 中除页眉页脚外没有正文：请检查文件")
    removed = sum(1 for t in texts for line in t.splitlines() if line.strip()) - sum(1 for p in kept for line in p if line)
    return Extracted(text="\n".join(paragraphs) + "\n", kind="pdf", title_hint=_info_title(reader),
                     running_lines=running, pages=count,
                     notes=(f"{count} 页，去掉页眉页脚和页码 {removed} 行",))
