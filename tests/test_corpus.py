"""Corpus loading and chunking: structure, metadata and exact offsets."""

import pytest

from index.chunking import Chunk, ChunkerSettings, chunk_document
from index.corpus import load_document, parse_document
from tests.conftest import CORPUS


def test_corpus_is_the_shared_report_byte_for_byte():
    shared = CORPUS.parent.parent.parent / "shared" / "corpus" / "tianjin-ip-2020.txt"
    if not shared.exists():
        pytest.skip("shared corpus not beside this checkout")
    assert CORPUS.read_bytes() == shared.read_bytes()


def test_report_sections_and_passages(report):
    assert [s.number for s in report.sections] == [0, 1, 2, 3, 4, 5, 6]
    assert report.sections[2].title == "实施最严格知识产权保护"
    assert report.sections[0].title == "引言"
    for passage in report.passages:
        assert report.text[passage.start:passage.end] == passage.text
        assert passage.text == passage.text.strip()
    police = next(p for p in report.passages if "抓获犯罪嫌疑人564名" in p.text)
    assert (police.section, police.paragraph) == (2, 3)
    # headings are metadata, not passages
    assert not any(p.text.startswith("二、") for p in report.passages)


def test_parse_document_tiny():
    doc = parse_document(" 引言句。\n一、甲\n第一段。\n\n第二段。\n二、乙\n丙。", doc_id="t")
    got = [(p.section, p.section_title, p.paragraph, p.text) for p in doc.passages]
    assert got == [(0, "引言", 1, "引言句。"), (1, "甲", 1, "第一段。"), (1, "甲", 2, "第二段。"), (2, "乙", 1, "丙。")]
    assert doc.passages[0].start == 1  # leading space is not part of the passage


def test_inline_enumeration_is_not_a_heading():
    doc = parse_document("一、是加强保护，二、是优化服务。\n", doc_id="t")
    assert [p.section for p in doc.passages] == [0]


def test_empty_and_unreadable_corpus(tmp_path):
    with pytest.raises(ValueError, match="is empty"):
        parse_document(" \n\n", doc_id="x")
    with pytest.raises(ValueError, match="cannot read corpus file"):
        load_document(tmp_path / "missing.txt")
    bad = tmp_path / "gbk.txt"
    bad.write_bytes("知识产权".encode("gbk"))
    with pytest.raises(ValueError, match="not UTF-8"):
        load_document(bad)


@pytest.mark.parametrize("size", [40, 80, 120, 200])
def test_every_chunk_round_trips_and_stays_in_its_paragraph(report, size):
    chunks = chunk_document(report, ChunkerSettings(chunk_size=size))
    assert [c.id for c in chunks] == list(range(len(chunks)))
    by_paragraph = {(p.section, p.paragraph): p for p in report.passages}
    for chunk in chunks:
        assert report.text[chunk.start:chunk.end] == chunk.text
        passage = by_paragraph[(chunk.section, chunk.paragraph)]
        assert passage.start <= chunk.start and chunk.end <= passage.end
        assert len(chunk.text) <= size or not any(s in chunk.text[:-1] for s in "。；，")


def test_separator_stays_at_end_of_sentence(report):
    chunks = chunk_document(report, ChunkerSettings(chunk_size=60))
    assert not any(c.text[0] in "。；，" for c in chunks)
    assert any(c.text.endswith("罚没款1150万元。") for c in chunks)


def test_chunks_cover_every_passage_character(report):
    chunks = chunk_document(report, ChunkerSettings(chunk_size=80))
    covered = "".join(c.text for c in chunks)
    assert len(covered) == sum(len(p.text) for p in report.passages)


def test_chunker_settings_are_validated():
    with pytest.raises(ValueError, match="chunk_size=2"):
        ChunkerSettings(chunk_size=2)
    with pytest.raises(ValueError, match="chunk_overlap=50"):
        ChunkerSettings(chunk_size=40, chunk_overlap=50)


def test_chunk_label():
    chunk = Chunk(id=0, doc_id="d", section=2, section_title="t", paragraph=3, text="x", start=0, end=1)
    assert chunk.label == "第2部分 第3段"


def test_chapter_headings_cut_sections_and_lower_levels_stay_text():
    doc = parse_document("总述。\n第一章 总则\n（一）目标\n甲。\n第二章　保障\n1.组织\n乙。\n", doc_id="t")
    assert [(s.number, s.title) for s in doc.sections] == [(0, "引言"), (1, "总则"), (2, "保障")]
    assert [(p.section, p.text) for p in doc.passages] == [
        (0, "总述。"), (1, "（一）目标"), (1, "甲。"), (2, "1.组织"), (2, "乙。")]


def test_sub_headings_cut_sections_when_they_are_the_highest_level():
    doc = parse_document("（一）创造\n甲。\n（二）保护\n乙。\n", doc_id="t")
    assert [(s.number, s.title) for s in doc.sections] == [(1, "创造"), (2, "保护")]
    doc = parse_document("1. 创造\n甲。\n2、保护\n全市专利1.5万件。\n", doc_id="t")
    assert [s.title for s in doc.sections] == ["创造", "保护"]


def test_a_single_stray_chapter_line_does_not_override_the_report_headings(report):
    doc = parse_document("一、甲\n第二部分\n乙。\n二、丙\n丁。\n", doc_id="t")
    assert [s.title for s in doc.sections] == ["甲", "丙"]
    assert doc.passages[0].text == "第二部分"
