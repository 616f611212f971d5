"""The knowledge base: add, list and remove reports (Python API and CLI), atomically, with one combined index."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

import index.__main__ as cli
from index.builder import BuildSpec
from index.chunking import ChunkerSettings
from index.intake import DuplicateReport
from index.library import ReportLibrary
from index.reports import CombinedIndex, load_reports
from index.settings import default_report_meta
from index.synthetic import add_synthetic_copies
from tests.conftest import CORPUS, FakeEmbedder
from tests.docmaker import make_docx, make_html, make_pdf
from tests.test_loaders import REPORT, TITLE


def _spec(**extras) -> BuildSpec:
    def facts(document, path: Path) -> None:  # stands in for the fact table: one line per passage
        path.write_text("\n".join(p.text for p in document.passages), encoding="utf-8")

    return BuildSpec(settings=ChunkerSettings(chunk_size=80), extras={"facts.sqlite": facts, **extras})


@pytest.fixture
def library(tmp_path) -> ReportLibrary:
    return ReportLibrary(tmp_path / "cache", default_corpus=CORPUS, default_meta=default_report_meta(CORPUS))


def _files(folder: Path) -> dict[str, str]:
    """Every file under a folder with its sha256 (to compare trees byte for byte)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _three_reports(tmp_path: Path) -> dict[str, Path]:
    shanghai = [line.replace("北京", "上海").replace("2021", "2022") for line in REPORT]
    guangdong = [line.replace("北京市", "广东省").replace("北京", "广东").replace("2021", "2020") for line in REPORT]
    return {"pdf": _write(tmp_path, "beijing-2021.pdf", make_pdf(REPORT, header="内部资料", lines_per_page=6)),
            "docx": _write(tmp_path, "shanghai-2022.docx", make_docx(shanghai)),
            "html": _write(tmp_path, "guangdong-2020.html", make_html(guangdong[1:], title=guangdong[0]))}


def test_default_report_is_always_present_and_cannot_be_removed(library):
    [default] = library.records()
    assert (default.id, default.title, default.place, default.year, default.builtin) == (
        "tianjin-ip-2020", "天津市2020年知识产权工作报告", "天津市", 2020, True)
    assert (library.report_dir(default.id) / "text.txt").read_bytes() == CORPUS.read_bytes()
    assert library.load_document(default).sha256 == hashlib.sha256(CORPUS.read_bytes()).hexdigest()
    with pytest.raises(ValueError, match="default report and cannot be removed"):
        library.remove(default.id)
    assert library.records() == [default]  # registering is done once


def test_add_pdf_docx_html_then_remove_one_leaves_the_others_byte_identical(library, tmp_path):
    embedder = FakeEmbedder()
    files = _three_reports(tmp_path)
    added = {kind: library.add_file(path, embedder=embedder, spec=_spec()).record for kind, path in files.items()}
    assert [(r.id, r.year, r.place, r.source_kind) for r in library.records()[1:]] == [
        ("beijing-2021", 2021, "北京市", "pdf"), ("shanghai-2022", 2022, "上海市", "docx"),
        ("guangdong-2020", 2020, "广东省", "html")]
    assert added["pdf"].title == TITLE
    reports = {r.record.id: r for r in load_reports(library, embedder, _spec())}
    assert embedder.calls == 4  # the three added + the default's first build; nothing built twice
    for report_id in ("beijing-2021", "shanghai-2022", "guangdong-2020"):
        doc = reports[report_id].document
        assert [s.title for s in doc.sections][1:] == ["知识产权创造质量稳步提升", "知识产权保护持续加强", "知识产权运用成效显著"]
        assert any("602名" in p.text for p in doc.passages)
        assert reports[report_id].facts_path.is_file()
    before = {rid: _files(library.report_dir(rid)) for rid in ("tianjin-ip-2020", "beijing-2021", "guangdong-2020")}
    removed = library.remove("shanghai-2022")
    assert removed.id == "shanghai-2022" and not library.report_dir("shanghai-2022").exists()
    assert {rid: _files(library.report_dir(rid)) for rid in before} == before
    assert [r.id for r in library.records()] == ["tianjin-ip-2020", "beijing-2021", "guangdong-2020"]
    assert [r.record.id for r in load_reports(library, embedder, _spec())] == [
        "tianjin-ip-2020", "beijing-2021", "guangdong-2020"]
    assert embedder.calls == 4  # loading again builds nothing


def test_the_stored_source_is_the_file_as_given_and_not_executable(library, tmp_path):
    path = _three_reports(tmp_path)["pdf"]
    record = library.add_file(path, embedder=FakeEmbedder(), spec=_spec()).record
    stored = library.source_path(record)
    assert stored.name == "source.pdf" and stored.read_bytes() == path.read_bytes()
    assert stored.stat().st_mode & 0o111 == 0
    manifest = json.loads((library.report_dir(record.id) / "report.json").read_text(encoding="utf-8"))
    assert manifest["record"]["source_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert set(manifest["files"]) == {"source.pdf", "text.txt"}


def test_duplicate_file_or_same_text_is_refused(library, tmp_path):
    text = "\n".join(REPORT) + "\n"
    first = library.add_file(_write(tmp_path, "bj.txt", text.encode("utf-8")), embedder=FakeEmbedder(), spec=_spec())
    with pytest.raises(DuplicateReport, match="同一个文件.*sha256 相同") as same:
        library.add_file(_write(tmp_path, "copy.txt", text.encode("utf-8")), embedder=FakeEmbedder(), spec=_spec())
    assert same.value.existing.id == first.record.id
    with pytest.raises(DuplicateReport, match="内容相同的报告"):
        library.add_file(_write(tmp_path, "bj-gb.txt", text.encode("gb18030")), embedder=FakeEmbedder(), spec=_spec())
    with pytest.raises(DuplicateReport):
        library.add_file(CORPUS, embedder=FakeEmbedder(), spec=_spec())
    assert len(library.records()) == 2


def test_a_failed_build_leaves_the_catalogue_and_other_reports_as_they_were(library, tmp_path):
    library.add_file(_three_reports(tmp_path)["docx"], embedder=FakeEmbedder(), spec=_spec())
    catalogue = library.catalogue.path.read_bytes()
    before = _files(library.root / "reports")

    def broken(document, path):
        path.write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(ValueError, match="No space left on device"):
        library.add_file(_three_reports(tmp_path)["pdf"], embedder=FakeEmbedder(), spec=_spec(**{"x": broken}))
    assert library.catalogue.path.read_bytes() == catalogue
    assert _files(library.root / "reports") == before
    assert not any(p.name.startswith(".staging") for p in (library.root / "reports").iterdir())


def test_a_failed_commit_moves_the_folder_back(library, tmp_path, monkeypatch):
    library.records()
    catalogue = library.catalogue.path.read_bytes()

    def refuse(self, record):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr("index.catalogue.Transaction.insert", refuse)
    with pytest.raises(sqlite3.OperationalError):
        library.add_file(_three_reports(tmp_path)["html"], embedder=FakeEmbedder(), spec=_spec())
    assert library.catalogue.path.read_bytes() == catalogue
    assert sorted(p.name for p in (library.root / "reports").iterdir()) == ["tianjin-ip-2020"]


def test_metadata_overrides_and_bad_values(library, tmp_path):
    path = _three_reports(tmp_path)["pdf"]
    with pytest.raises(ValueError, match="year=99"):
        library.add_file(path, embedder=FakeEmbedder(), spec=_spec(), year=99)
    record = library.add_file(path, embedder=FakeEmbedder(), spec=_spec(), title="北京报告", year=2020, place="北京",
                              issuer="北京市知识产权局").record
    assert (record.title, record.year, record.place, record.issuer) == ("北京报告", 2020, "北京", "北京市知识产权局")
    for bad in ("../etc", "A B", ""):
        with pytest.raises(ValueError, match="is not valid"):
            library.remove(bad)
    with pytest.raises(ValueError, match="no report with id 'nope'"):
        library.remove("nope")


def test_combined_index_is_one_search_over_all_reports(library, tmp_path):
    embedder = FakeEmbedder()
    for path in _three_reports(tmp_path).values():
        library.add_file(path, embedder=embedder, spec=_spec())
    reports = load_reports(library, embedder, _spec())
    combined = CombinedIndex.from_reports(reports)
    assert combined.faiss_index.ntotal == len(combined.chunks) == sum(len(r.index.chunks) for r in reports)
    assert [c.id for c in combined.chunks] == list(range(len(combined.chunks)))
    for chunk in combined.chunks:
        report = combined.report_of(chunk.id)
        assert chunk.doc_id == report.record.id
        assert report.index.chunks[combined.local_id(chunk.id)].text == chunk.text
        assert report.document.text[chunk.start:chunk.end] == chunk.text
    query = embedder.embed_queries(["抓获犯罪嫌疑人564名"])
    top, score = combined.search(query, 1)[0][0]
    assert combined.report_of(top).record.id == "tianjin-ip-2020" and "564名" in combined.chunks[top].text
    # the same vectors as each report's own index
    own = reports[1].index.search(query, 3)[0]
    merged = {combined.local_id(i): s for i, s in combined.search(query, len(combined.chunks))[0]
              if combined.report_of(i) is reports[1]}
    assert all(merged[i] == pytest.approx(s, abs=1e-6) for i, s in own)


def test_damaged_report_is_skipped_and_marked(library, tmp_path):
    embedder = FakeEmbedder()
    record = library.add_file(_three_reports(tmp_path)["pdf"], embedder=embedder, spec=_spec()).record
    (library.report_dir(record.id) / "text.txt").write_text("被改过", encoding="utf-8")
    messages: list[str] = []
    loaded = load_reports(library, embedder, _spec(), log=messages.append)
    assert [r.record.id for r in loaded] == ["tianjin-ip-2020"]
    skipped = [m for m in messages if m.startswith(f"report {record.id} skipped")]
    assert len(skipped) == 1 and "sha256 differs" in skipped[0] and "\n" not in skipped[0]
    assert library.get(record.id).status == "error"


def test_synthetic_copies_are_distinct_reports(library):
    embedder = FakeEmbedder()
    default = library.records()[0]
    copies = add_synthetic_copies(library, default, 3, embedder=embedder, spec=_spec())
    assert len({c.text_sha256 for c in copies} | {default.text_sha256}) == 4
    assert [c.title for c in copies] == ["北京市2021年知识产权工作报告（合成副本1）", "上海市2022年知识产权工作报告（合成副本2）",
                                         "河北省2023年知识产权工作报告（合成副本3）"]
    assert [(c.place, c.year) for c in copies] == [("北京市", 2021), ("上海市", 2022), ("河北省", 2023)]
    assert "天津" not in library.load_document(copies[0]).text
    again = add_synthetic_copies(library, default, 3, embedder=embedder, spec=_spec())
    assert [c.id for c in again] == [c.id for c in copies] and len(library.records()) == 4


# -- the CLI, in process with the fake embedder ---------------------------------------------------

def _cli(capsys, monkeypatch, cache: Path, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(cli, "_embedder", lambda args: FakeEmbedder())
    monkeypatch.setattr(cli, "_spec", lambda args: _spec())
    code = cli.main([*args[:1], "--cache-dir", str(cache), *args[1:]])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_add_list_remove(tmp_path, capsys, monkeypatch):
    cache = tmp_path / "cache"
    files = _three_reports(tmp_path)
    code, out, err = _cli(capsys, monkeypatch, cache, "add", str(files["docx"]), "--year", "2023", "--issuer", "上海市知识产权局")
    assert code == 0 and out.startswith("added shanghai-2022: 《上海市2022年知识产权工作报告》 2023 上海市")
    assert "建立索引" in err and "Traceback" not in err
    code, out, err = _cli(capsys, monkeypatch, cache, "add", str(files["docx"]))
    assert code == 1 and "already added" in err and "shanghai-2022" in err
    code, out, err = _cli(capsys, monkeypatch, cache, "list")
    assert code == 0 and "tianjin-ip-2020 *" in out and "shanghai-2022" in out and "上海市知识产权局" in out
    code, out, _ = _cli(capsys, monkeypatch, cache, "list", "--json")
    rows = json.loads(out)
    assert [(r["id"], r["year"], r["builtin"]) for r in rows] == [("tianjin-ip-2020", 2020, True), ("shanghai-2022", 2023, False)]
    assert rows[1]["indexed"] is False  # indexed for the fake model, not for the default model `list` asks about
    code, out, _ = _cli(capsys, monkeypatch, cache, "remove", "shanghai-2022")
    assert code == 0 and out.startswith("removed shanghai-2022")
    code, out, _ = _cli(capsys, monkeypatch, cache, "list", "--json")
    assert [r["id"] for r in json.loads(out)] == ["tianjin-ip-2020"]


@pytest.mark.parametrize("args, message", [
    (("remove", "tianjin-ip-2020"), "error: tianjin-ip-2020 is the default report"),
    (("remove", "nope"), "error: no report with id 'nope'"),
    (("add", "/nonexistent/r.pdf"), "error: 无法读取文件"),
    (("add", str(CORPUS), "--year", "1800"), "error: year=1800"),
])
def test_cli_errors_are_one_line(tmp_path, capsys, monkeypatch, args, message):
    code, out, err = _cli(capsys, monkeypatch, tmp_path / "cache", *args)
    assert code == 2 and message in err and "Traceback" not in err
    assert [line for line in err.splitlines() if line.startswith("error")] == [err.splitlines()[-1]]


def test_cli_scanned_pdf(tmp_path, capsys, monkeypatch):
    from tests.docmaker import make_scanned_pdf

    code, _, err = _cli(capsys, monkeypatch, tmp_path / "cache", "add", str(_write(tmp_path, "s.pdf", make_scanned_pdf())))
    assert code == 2 and "没有文字层" in err.splitlines()[-1]


def test_with_the_engines_build_spec_each_report_has_its_fact_table_and_hybrid_retrieval_spans_all(library, tmp_path):
    from qa.engine import FACTS_FILE, build_spec
    from qa.factstore import FactTable
    from qa.retrieval import HybridRetriever

    embedder = FakeEmbedder()
    spec = build_spec()
    library.add_file(_three_reports(tmp_path)["pdf"], embedder=embedder, spec=spec)
    reports = load_reports(library, embedder, spec, facts_file=FACTS_FILE)
    tables = {r.record.id: FactTable.load(r.facts_path, corpus_sha256=r.document.sha256) for r in reports}
    beijing = [f for f in tables["beijing-2021"].all() if f.figure_text == "602名"]
    assert len(beijing) == 1 and beijing[0].doc_id == "beijing-2021"
    assert any(f.figure_text == "564名" and f.doc_id == "tianjin-ip-2020" for f in tables["tianjin-ip-2020"].all())
    retriever = HybridRetriever(CombinedIndex.from_reports(reports), embedder)  # the engine's retriever, unchanged
    hits = retriever.retrieve("抓获犯罪嫌疑人602名", k=3).hits
    assert hits[0].chunk.doc_id == "beijing-2021" and "602名" in hits[0].chunk.text


def test_report_ids_come_from_ascii_file_names_or_the_hash(library, tmp_path):
    text = "\n".join(REPORT) + "\n"
    chinese = library.add_file(_write(tmp_path, "北京市2021年报告.txt", text.encode("utf-8")), embedder=FakeEmbedder(),
                               spec=_spec()).record
    assert chinese.id == "report-" + chinese.source_sha256[:8] and chinese.source_name == "北京市2021年报告.txt"
    other = library.add_file(_write(tmp_path, "Beijing IP.txt", (text + "补充。\n").encode("utf-8")),
                             embedder=FakeEmbedder(), spec=_spec()).record
    again = library.add_file(_write(tmp_path, "beijing_ip.txt", (text + "再补充。\n").encode("utf-8")),
                             embedder=FakeEmbedder(), spec=_spec()).record
    assert (other.id, again.id) == ("beijing-ip", "beijing-ip-" + again.source_sha256[:6])
