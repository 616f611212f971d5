"""Build report files inside tests: a paged PDF, a .docx and an HTML page, in Chinese.

The PDF uses reportlab's built-in ``STSong-Light`` CID font, which every PDF reader
supplies itself, so no font file is needed on the machine (a clean CI box has none).
Paragraphs are wrapped into fixed-width lines, as a word processor lays them out, so
the loader has to re-join them; every page has a running header and a page number.
"""

from __future__ import annotations

import io
from typing import Sequence

from index.pagetext import display_width

HEADING_PREFIXES = ("一、", "二、", "三、", "四、", "（一）", "（二）", "第")


def _wrap(text: str, columns: int) -> list[str]:
    lines, line = [], ""
    for ch in text:
        if display_width(line + ch) > columns:
            lines.append(line)
            line = ""
        line += ch
    return lines + [line] if line else lines


def make_pdf(paragraphs: Sequence[str], *, header: str = "", footer: str = "第 {page} 页 共 {pages} 页",
             lines_per_page: int = 12, columns: int = 56, indent: str = "", indent_x: float = 0,
             paragraph_gap: float = 0, title: str = "") -> bytes:
    """A PDF of the paragraphs, wrapped at `columns` (2 per CJK character), with header and footer on each page.

    `indent` starts each paragraph with those characters (e.g. "　　"); `indent_x` draws its
    first line that many points to the right instead, as Word's 首行缩进 does;
    `paragraph_gap` adds that many points of space after each paragraph (段后间距).
    """
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    lines: list[tuple[float, float, str]] = []  # (x shift, space after, text)
    for paragraph in paragraphs:
        heading = paragraph.startswith(HEADING_PREFIXES) and "。" not in paragraph
        wrapped = _wrap(paragraph if heading else indent + paragraph, columns - (0 if heading else int(indent_x / 5.5)))
        lines.extend((0 if heading or n else indent_x, paragraph_gap if n == len(wrapped) - 1 else 0, line)
                     for n, line in enumerate(wrapped))
    pages = [lines[i:i + lines_per_page] for i in range(0, len(lines), lines_per_page)]
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    if title:
        pdf.setTitle(title)
    for number, page_lines in enumerate(pages, start=1):
        pdf.setFont("STSong-Light", 9)
        if header:
            pdf.drawCentredString(297, 810, header)
        pdf.drawCentredString(297, 30, footer.format(page=number, pages=len(pages)))
        pdf.setFont("STSong-Light", 11)
        y = 770
        for shift, gap, line in page_lines:
            pdf.drawString(60 + shift, y, line)
            y -= 20 + gap
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def make_scanned_pdf(pages: int = 2) -> bytes:
    """A PDF whose pages carry only a picture (grey boxes): no text layer, as a scan."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for _ in range(pages):
        pdf.setFillGray(0.5)
        for y in range(100, 700, 40):
            pdf.rect(60, y, 470, 12, fill=1, stroke=0)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def make_docx(paragraphs: Sequence[str], *, heading_styles: bool = True, header: str = "", footer: str = "",
              table: Sequence[Sequence[str]] = (), title: str = "") -> bytes:
    """A .docx: headings as Heading 1 (their 一、 written by Word's numbering, so not in the text), a table last."""
    import docx

    document = docx.Document()
    section = document.sections[0]
    if header:
        section.header.paragraphs[0].text = header
    if footer:
        section.footer.paragraphs[0].text = footer
    if title:
        document.core_properties.title = title
    for paragraph in paragraphs:
        if heading_styles and paragraph.startswith(("一、", "二、", "三、")):
            document.add_heading(paragraph[2:], level=1)
        elif heading_styles and paragraph.startswith("（") and "。" not in paragraph:
            document.add_heading(paragraph[3:], level=2)
        else:
            document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_html(paragraphs: Sequence[str], *, title: str, encoding: str = "utf-8") -> bytes:
    """A government-site page: menu, breadcrumbs, the report in an article, a footer, a script."""
    body = []
    for paragraph in paragraphs:
        heading = paragraph.startswith(HEADING_PREFIXES) and "。" not in paragraph
        body.append(f"<h2>{paragraph}</h2>" if heading else f"<p>{paragraph}</p>")
    page = f"""<!DOCTYPE html>
<html><head><meta charset="{encoding}"><title>{title}_政府门户网站</title>
<script>document.write("不应出现的脚本文字");</script></head>
<body>
<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk">政务公开</a></li><li><a href="/hd">互动交流</a></li></ul></div>
<div class="crumbs">当前位置：首页 &gt; 政务公开 &gt; 工作报告</div>
<article><h1>{title}</h1>
{chr(10).join(body)}
</article>
<div class="footer"><p>主办单位：某市人民政府办公厅 版权所有 备案号：京ICP备00000000号</p></div>
</body></html>"""
    return page.encode(encoding)
