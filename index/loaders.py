"""Any report file -> its text: the type is read from the content (magic bytes), checked against the name.

PDF (pypdf), Word .docx (python-docx), HTML (trafilatura) and plain text in UTF-8 or
GB18030. Everything is size-capped; a file whose content is not what its name says,
an old .doc, an image or a binary is refused with a one-line Chinese message that
says what to do. Files are only ever parsed, never executed.

>>> load_bytes("总体情况良好。\\n".encode("gb18030"), "报告.txt").text
'总体情况良好。\\n'
>>> load_bytes(b"%PDF-1.7 ...", "report.docx")
Traceback (most recent call last):
...
index.sourcetypes.LoaderError: 文件名 report.docx 表示 Word .docx，但内容是 PDF：请检查文件后再添加
"""

from __future__ import annotations

import re
from pathlib import Path

from index.pagetext import is_page_number, join_lines, remove_furniture
from index.sourcetypes import Extracted, LoaderError

MAX_SOURCE_BYTES = 50 * 1024 * 1024
MAX_TEXT_CHARS = 3_000_000  # about 30 long reports; more is not one report
EXTENSIONS = {".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html", ".xhtml": "html",
              ".txt": "txt", ".text": "txt"}
KIND_NAMES = {"pdf": "PDF", "docx": "Word .docx", "html": "网页 HTML", "txt": "文本"}
SUPPORTED = "支持 .pdf、.docx、.html/.htm、.txt（UTF-8 或 GB18030）"
_OTHER_BINARY = {b"\xd0\xcf\x11\xe0": "旧版 Office 文件（.doc/.xls），请用 Word 另存为 .docx",
                 b"\x89PNG": "图片，本系统不做文字识别（OCR）", b"\xff\xd8\xff": "图片，本系统不做文字识别（OCR）",
                 b"GIF8": "图片，本系统不做文字识别（OCR）", b"{\\rtf": "RTF 文档，请用 Word 另存为 .docx",
                 b"\x1f\x8b": "gzip 压缩文件，请先解压", b"Rar!": "RAR 压缩文件，请先解压", b"7z\xbc\xaf": "7z 压缩文件，请先解压",
                 b"\x7fELF": "程序文件", b"MZ": "程序文件"}
_HTML = re.compile(rb"<\s*(?:!doctype\s+html|html|head|body|meta|title|div|p|h[1-6]|article|table)\b", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, or GB18030 (a superset of GBK and GB2312).

    >>> decode_text("知识产权".encode("gbk")), decode_text("\\ufeff知识产权".encode("utf-8"))
    ('知识产权', '知识产权')
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ("utf-16",)
    else:
        candidates = ("utf-8-sig", "gb18030")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _CONTROL.search(text) is None:  # \f (page break) and \v are allowed; other controls mean binary
            return text
    raise LoaderError("文件不是 UTF-8 或 GB18030 编码的文本（也可能是不支持的二进制文件）："
                      f"请用记事本或 WPS 另存为 UTF-8 文本后再添加；{SUPPORTED}")


def detect_kind(data: bytes, filename: str) -> str:
    """pdf, docx, html or txt from the content; `LoaderError` if it is none of them or not what the name says."""
    suffix = Path(filename).suffix.lower()
    if suffix and suffix not in EXTENSIONS:
        raise LoaderError(f"不支持的文件类型 {suffix}：{SUPPORTED}")
    head = data[:1024]
    if b"%PDF-" in head:
        kind = "pdf"
    elif head.startswith(b"PK\x03\x04"):
        kind = "docx"
    else:
        for magic, what in _OTHER_BINARY.items():
            if head.startswith(magic):
                raise LoaderError(f"文件 {Path(filename).name} 是{what}：{SUPPORTED}")
        kind = "html" if _HTML.search(data[:4096]) else "txt"
    named = EXTENSIONS.get(suffix)
    if named and named != kind and not (named == "txt" and kind == "html"):  # a .txt holding markup is still text
        raise LoaderError(f"文件名 {Path(filename).name} 表示 {KIND_NAMES[named]}，但内容是 {KIND_NAMES[kind]}："
                          "请检查文件后再添加")
    return named if named == "txt" else kind


def text_to_text(data: bytes) -> Extracted:
    """A text file stays as written (offsets are into it), except page numbers and pages split by form feeds."""
    text = decode_text(data).replace("\r\n", "\n").replace("\r", "\n")
    if "\f" in text:  # pages from a PDF-to-text tool: treat them as the PDF loader does
        kept, running = remove_furniture([page.split("\n") for page in text.split("\f")])
        lines = join_lines([line for page in kept for line in page])
        return Extracted(text="\n".join(lines) + "\n", kind="txt", running_lines=running, pages=len(kept))
    lines = text.split("\n")
    if any(is_page_number(line) for line in lines if line.strip()):
        text = "\n".join(line for line in lines if not (line.strip() and is_page_number(line)))
    return Extracted(text=text, kind="txt")


def load_bytes(data: bytes, filename: str) -> Extracted:
    """The report text of a file's bytes; `filename` is only used to check the type and in messages."""
    if len(data) > MAX_SOURCE_BYTES:
        raise LoaderError(f"文件 {Path(filename).name} 有 {len(data) / 2**20:.1f} MiB，超过上限 "
                          f"{MAX_SOURCE_BYTES // 2**20} MiB：请拆分或压缩图片后再添加")
    if not data.strip():
        raise LoaderError(f"文件 {Path(filename).name} 是空的：请检查文件")
    kind = detect_kind(data, filename)
    if kind == "pdf":
        from index.load_pdf import pdf_to_text

        extracted = pdf_to_text(data)
    elif kind == "docx":
        from index.load_docx import docx_to_text

        extracted = docx_to_text(data)
    elif kind == "html":
        from index.load_html import html_to_text

        extracted = html_to_text(data)
    else:
        extracted = text_to_text(data)
    if len(extracted.text) > MAX_TEXT_CHARS:
        raise LoaderError(f"提取出的文字有 {len(extracted.text)} 字，超过上限 {MAX_TEXT_CHARS} 字："
                          "一次请添加一份报告")
    if not extracted.text.strip():
        raise LoaderError(f"文件 {Path(filename).name} 里没有文字：请检查文件")
    return extracted


def load_file(path: str | Path) -> tuple[bytes, Extracted]:
    """Read a report file (size-capped before reading) and extract its text; returns the bytes too."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise LoaderError(f"{path} 不是文件：请给出报告文件的路径")
        if size > MAX_SOURCE_BYTES:
            raise LoaderError(f"文件 {path.name} 有 {size / 2**20:.1f} MiB，超过上限 {MAX_SOURCE_BYTES // 2**20} MiB："
                              "请拆分或压缩图片后再添加")
        data = path.read_bytes()
    except OSError as exc:
        raise LoaderError(f"无法读取文件 {path}（{exc.strerror or exc}）：请检查路径和权限") from None
    return data, load_bytes(data, path.name)
