"""Loaders: PDF, Word, HTML and text become one paragraph per line, headings alone, no page furniture."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from index.corpus import parse_document
from index.loaders import MAX_SOURCE_BYTES, load_bytes, load_file
from index.pagetext import join_lines, remove_furniture
from index.sourcetypes import LoaderError
from tests.docmaker import make_docx, make_html, make_pdf, make_scanned_pdf

TITLE = "北京市2021年知识产权工作报告"
REPORT = [
    TITLE,
    "2021年，全市知识产权系统坚持以习近平新时代中国特色社会主义思想为指导，全面加强知识产权保护，知识产权事业取得新进展，"
    "为首都高质量发展提供了有力支撑。",
    "一、知识产权创造质量稳步提升",
    "全市发明专利授权量达到7.9万件，同比增长24.5%；每万人口发明专利拥有量达到185件，居全国首位。"
    "有效注册商标量达到262.4万件，同比增长17.3%。",
    "（一）高价值专利培育",
    "组织实施高价值专利培育计划，支持12家单位建设高价值专利培育中心。",
    "二、知识产权保护持续加强",
    "全市公安机关破获侵犯知识产权犯罪案件327起，抓获犯罪嫌疑人602名，涉案金额4.2亿元。"
    "全市法院新收知识产权案件7.1万件，审结6.9万件。",
    "三、知识产权运用成效显著",
    "专利质押融资金额达到101.8亿元，惠及企业560家。",
]
SECTIONS = [(0, "引言"), (1, "知识产权创造质量稳步提升"), (2, "知识产权保护持续加强"), (3, "知识产权运用成效显著")]


def _check_report(text: str) -> None:
    """The report as written: every paragraph on its own line, sections found, no furniture."""
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines == REPORT, "\n".join(lines)
    doc = parse_document(text, doc_id="t")
    assert [(s.number, s.title) for s in doc.sections] == SECTIONS
    police = next(p for p in doc.passages if "602名" in p.text)
    assert (police.section, police.paragraph) == (2, 1)


# -- PDF ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("footer", ["第 {page} 页 共 {pages} 页", "- {page} -", "{page}", "{page}/{pages}"])
def test_pdf_pages_are_joined_and_furniture_removed(footer):
    data = make_pdf(REPORT, header=f"{TITLE}（内部资料）", footer=footer, lines_per_page=5)
    got = load_bytes(data, "report.pdf")
    assert got.kind == "pdf" and got.pages >= 4
    _check_report(got.text)
    assert got.running_lines == (f"{TITLE}（内部资料）",)


def test_pdf_with_indented_paragraphs_keeps_sentence_ends_inside_paragraphs():
    # Columns chosen so a sentence ends exactly at a line end inside a paragraph: the indent decides.
    data = make_pdf(REPORT, header="内部资料", indent="\u3000\u3000", columns=48, lines_per_page=6)
    lines = [line.strip() for line in load_bytes(data, "r.pdf").text.splitlines() if line.strip()]
    assert lines == [p if p == TITLE or p.startswith(("一", "二", "三", "（")) else p for p in REPORT]


def test_pdf_title_from_document_info_when_the_text_has_none():
    data = make_pdf(REPORT[1:], title=TITLE)
    assert load_bytes(data, "r.pdf").title_hint == TITLE


def test_scanned_pdf_gets_a_clear_message():
    with pytest.raises(LoaderError, match="没有文字层.*扫描件.*不做文字识别（OCR）"):
        load_bytes(make_scanned_pdf(), "scan.pdf")


def test_broken_pdf_gets_a_clear_message():
    data = make_pdf(REPORT)
    with pytest.raises(LoaderError, match="PDF"):
        load_bytes(data[:200], "broken.pdf")


def test_remove_furniture_keeps_a_body_line_that_looks_like_a_number():
    pages = [["页眉", "正文第一行。", "第二行。", "2021", "更多正文。", "尾行。", "1"], ["页眉", "第二页正文。", "2"]]
    kept, running = remove_furniture(pages)
    assert kept == [["正文第一行。", "第二行。", "2021", "更多正文。", "尾行。"], ["第二页正文。"]]
    assert running == ("页眉",)


def test_join_lines_breaks_before_headings_and_after_short_lines():
    lines = ["这是一段很长的正文，它在这里被排版", "换行了，后面还有内容。", "一、标题", "短行", "（一）小标题", "正文。"]
    assert join_lines(lines) == ["这是一段很长的正文，它在这里被排版换行了，后面还有内容。", "一、标题", "短行", "（一）小标题", "正文。"]


# -- Word -----------------------------------------------------------------------------------------

def test_docx_headings_numbered_tables_kept_header_footer_ignored():
    data = make_docx(REPORT, header="北京市知识产权局", footer="第 1 页", table=[["指标", "数值"], ["专利授权", "7.9万件"]],
                     title="核心属性标题")
    got = load_bytes(data, "report.docx")
    assert got.kind == "docx" and got.title_hint == "核心属性标题"
    lines = [line for line in got.text.splitlines() if line.strip()]
    assert lines[-2:] == ["指标\u3000数值", "专利授权\u30007.9万件"]
    _check_report("\n".join(lines[:-2]) + "\n")
    assert "北京市知识产权局" not in got.text and "第 1 页" not in got.text


def test_docx_that_is_only_a_zip_or_an_old_doc_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "x")
    with pytest.raises(LoaderError, match="不是 Word .docx"):
        load_bytes(buffer.getvalue(), "report.docx")
    with pytest.raises(LoaderError, match="旧版 Office"):
        load_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "report.docx")


def test_docx_zip_bomb_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", "<w/>")
        archive.writestr("word/media/huge.bin", b"\0" * (201 * 1024 * 1024))
    with pytest.raises(LoaderError, match="解压后超过"):
        load_bytes(buffer.getvalue(), "bomb.docx")


# -- HTML -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "gb2312"])
def test_html_main_text_without_menus_scripts_or_footer(encoding):
    got = load_bytes(make_html(REPORT[1:], title=TITLE, encoding=encoding), "report.html")
    assert got.kind == "html" and got.title_hint.startswith(TITLE)
    for junk in ("首页", "政务公开", "版权所有", "脚本", "当前位置"):
        assert junk not in got.text
    _check_report(got.text)


# -- text and type checks -----------------------------------------------------------------------

def test_gb18030_and_utf8_text_load_the_same(tmp_path):
    text = "\n".join(REPORT) + "\n"
    for encoding in ("gb18030", "utf-8", "utf-8-sig"):
        path = tmp_path / f"r-{encoding}.txt"
        path.write_bytes(text.encode(encoding))
        data, got = load_file(path)
        assert got.text == text and got.kind == "txt"
    _check_report(text)


def test_text_that_is_neither_utf8_nor_gb18030_is_refused():
    with pytest.raises(LoaderError, match="不是 UTF-8 或 GB18030"):
        load_bytes(bytes(range(256)) * 4, "r.txt")


def test_text_page_numbers_and_form_feed_pages_are_removed():
    text = "报告标题\n- 1 -\n\f报告标题\n一、总体\n正文。\n- 2 -\n\f报告标题\n二、保护\n正文二。\n- 3 -\n"
    got = load_bytes(text.encode("utf-8"), "r.txt")
    assert got.paragraphs == ("一、总体", "正文。", "二、保护", "正文二。")
    assert load_bytes("甲。\n第 2 页 共 9 页\n乙。\n".encode(), "r.txt").paragraphs == ("甲。", "乙。")


def test_the_default_report_loads_byte_identical(report):
    from tests.conftest import CORPUS

    assert load_file(CORPUS)[1].text == report.text


@pytest.mark.parametrize("data, name, message", [
    (b"%PDF-1.7 rest", "report.docx", "内容是 PDF"),
    (b"PK\x03\x04rest", "report.pdf", "内容是 Word"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "scan.pdf", "图片"),
    (b"\x7fELF\x02\x01", "report.txt", "程序文件"),
    (b"hello", "report.exe", "不支持的文件类型 .exe"),
    (b"   \n", "empty.txt", "是空的"),
])
def test_type_is_checked_by_content(data, name, message):
    with pytest.raises(LoaderError, match=message):
        load_bytes(data, name)


def test_size_cap_is_checked_before_reading(tmp_path):
    big = tmp_path / "big.txt"
    with open(big, "wb") as handle:
        handle.truncate(MAX_SOURCE_BYTES + 1)
    with pytest.raises(LoaderError, match="超过上限"):
        load_file(big)
    with pytest.raises(LoaderError, match="无法读取文件"):
        load_file(tmp_path / "missing.pdf")


def _tianjin_paragraphs(report) -> list[str]:
    return [line.strip() for line in report.text.splitlines() if line.strip()]


@pytest.mark.parametrize("layout", [{"indent_x": 22}, {"indent": "\u3000\u3000"},
                                    {"indent_x": 22, "columns": 40, "lines_per_page": 30},
                                    {"indent_x": 22, "columns": 90, "lines_per_page": 30}])
def test_the_whole_default_report_survives_a_pdf_round_trip(report, layout):
    paragraphs = _tianjin_paragraphs(report)
    got = load_bytes(make_pdf(paragraphs, header="天津市知识产权局", **layout), "tianjin.pdf")
    # The PDF loader drops spaces next to Chinese characters (layout gaps); the report has two stray ones.
    expected = [re.sub(r" +(?=[，“])", "", p) for p in paragraphs]
    assert list(got.paragraphs) == expected
    doc = parse_document(got.text, doc_id="t")
    assert [s.title for s in doc.sections] == [s.title for s in report.sections]


@pytest.mark.parametrize("kind", ["docx", "html"])
def test_the_whole_default_report_survives_a_docx_and_html_round_trip(report, kind):
    paragraphs = _tianjin_paragraphs(report)
    if kind == "docx":
        data = make_docx(paragraphs)
    else:
        data = make_html(paragraphs, title="天津市2020年知识产权工作报告")
    got = load_bytes(data, f"tianjin.{kind}")
    assert list(got.paragraphs) == (paragraphs if kind == "docx" else ["天津市2020年知识产权工作报告", *paragraphs])


def test_a_pdf_without_indents_or_spacing_splits_rather_than_merges_paragraphs(report):
    paragraphs = _tianjin_paragraphs(report)
    got = load_bytes(make_pdf(paragraphs, header="天津市知识产权局"), "tianjin.pdf").paragraphs
    # A sentence that ends at the right margin ends the paragraph there: every paragraph the loader
    # returns lies inside one paragraph of the report, and no figure is lost.
    expected = [re.sub(r" +(?=[，“])", "", p) for p in paragraphs]
    assert len(expected) <= len(got) <= len(expected) + 5
    assert "".join(got) == "".join(expected)
    assert all(any(piece in p for p in expected) for piece in got)
