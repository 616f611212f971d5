"""qa.factstore (SQLite fact table, search, filters, CSV) and the ``python -m qa facts`` CLI."""

from __future__ import annotations

import csv
import io
import sqlite3

import pytest

from qa.__main__ import main
from qa.facts import FACT_FIELDS, extract_facts
from qa.factstore import FactTable, FactTableError, write_fact_table


@pytest.fixture(scope="module")
def facts(report):
    return extract_facts(report)


@pytest.fixture
def table_path(tmp_path, facts, report):
    path = tmp_path / "facts.sqlite"
    write_fact_table(facts, path, corpus_sha256=report.sha256)
    return path


def test_roundtrip(table_path, facts, report):
    table = FactTable.load(table_path, corpus_sha256=report.sha256)
    assert table.all() == facts
    assert table.meta.fact_count == len(facts) and table.meta.corpus_sha256 == report.sha256
    assert table.meta.built_at and table.meta.format_version == "1"
    assert table.get("f053").figure_text == "81.22万件"
    assert table.get("nope") is None
    assert [p.name for p in table_path.parent.iterdir()] == ["facts.sqlite"]  # no temp file left


def test_rewrite_replaces_atomically(table_path, facts, report):
    write_fact_table(facts[:3], table_path, corpus_sha256=report.sha256)
    assert len(FactTable.load(table_path)) == 3
    assert [p.name for p in table_path.parent.iterdir()] == ["facts.sqlite"]


def test_missing_file(tmp_path):
    with pytest.raises(FactTableError, match="cannot be read"):
        FactTable.load(tmp_path / "absent.sqlite")


def test_corrupt_file(tmp_path):
    path = tmp_path / "facts.sqlite"
    path.write_bytes(b"this is not a database at all" * 10)
    with pytest.raises(FactTableError, match="not a SQLite file"):
        FactTable.load(path)


def test_truncated_file(table_path):
    data = table_path.read_bytes()
    table_path.write_bytes(data[: len(data) // 3])
    with pytest.raises(FactTableError, match="corrupt or truncated|truncated"):
        FactTable.load(table_path)


def test_missing_rows_are_detected(table_path):
    con = sqlite3.connect(table_path)
    con.execute("DELETE FROM facts WHERE id = ?", ("f010",))
    con.commit()
    con.close()
    with pytest.raises(FactTableError, match="holds 98 facts but its meta says 99"):
        FactTable.load(table_path)


def test_wrong_version_and_hash(table_path, report):
    with pytest.raises(FactTableError, match="built for corpus sha256"):
        FactTable.load(table_path, corpus_sha256="0" * 64)
    con = sqlite3.connect(table_path)
    con.execute("UPDATE meta SET value = ? WHERE key = ?", ("999", "format_version"))
    con.commit()
    con.close()
    with pytest.raises(FactTableError, match="format version '999'"):
        FactTable.load(table_path, corpus_sha256=report.sha256)


def test_error_is_a_value_error_with_one_line(tmp_path):
    with pytest.raises(ValueError) as info:
        FactTable.load(tmp_path / "x.sqlite")
    assert "\n" not in str(info.value)


def test_search_ranks_the_customs_figure_first(facts):
    table = FactTable.from_facts(facts)
    hits = table.search("海关 扣留 货物")
    assert hits[0].fact.figure_text == "81.22万件"
    assert hits[0].score >= hits[-1].score > 0
    assert table.search("公安机关 抓获 犯罪嫌疑人")[0].fact.figure_text == "564名"
    assert table.search("批准逮捕多少人")[0].fact.figure_text == "179人"


def test_search_filters_and_odd_input(facts):
    table = FactTable.from_facts(facts)
    rates = table.search("海关 增长", kind="growth_rate")
    assert rates and all(h.fact.kind == "growth_rate" for h in rates)
    assert {h.fact.figure_text for h in rates[:2]} == {"128.4%", "35.6%"}
    assert all(h.fact.year == 2019 for h in table.search("满意度", year=2019))
    assert table.search("满意度", year=2019)[0].fact.figure_text in {"第8位", "第1位"}
    assert table.search("") == [] and table.search("？？") == []
    assert table.search("'; DROP TABLE facts; --") == []
    assert len(table.search("案件", limit=3)) == 3


def test_filter(facts):
    table = FactTable.from_facts(facts)
    ranks = table.filter(kind="rank")
    assert [f.figure_text for f in ranks] == ["第8位", "第1位", "第六", "第四"]
    assert all(f.unit == "元" for f in table.filter(unit="元")) and len(table.filter(unit="元")) == 10
    assert {f.section for f in table.filter(section=3)} == {3}
    assert len(table.filter(year=2019)) == 2
    assert table.filter(kind="rank", year=2020, section=4) == [f for f in ranks if f.section == 4]


def test_csv_export(tmp_path, facts):
    table = FactTable.from_facts(facts)
    path = tmp_path / "facts.csv"
    table.to_csv(path)
    rows = list(csv.reader(path.open(encoding="utf-8")))
    assert rows[0] == list(FACT_FIELDS)
    assert len(rows) == len(facts) + 1
    assert rows[1][FACT_FIELDS.index("id")] == "f001"
    buf = io.StringIO()
    table.to_csv(buf)
    assert buf.getvalue() == path.read_bytes().decode("utf-8")


def test_cli_stats(capsys):
    assert main(["facts", "--stats"]) == 0
    out = capsys.readouterr().out
    assert "facts: 99" in out and "growth_rate" in out
    assert "unattributed figures: 0" in out


def test_cli_table_grep_and_csv(capsys, tmp_path):
    assert main(["facts", "--grep", "海关"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["id", "sec", "actor"]
    assert len(lines) == 1 + 7 and any("81.22万件" in line for line in lines)
    assert main(["facts", "--csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == list(FACT_FIELDS) and len(rows) == 100
    out = tmp_path / "f.csv"
    db = tmp_path / "f.sqlite"
    assert main(["facts", "--csv", str(out), "--sqlite", str(db)]) == 0
    assert out.read_text(encoding="utf-8").startswith("id,doc_id")
    assert len(FactTable.load(db)) == 99


def test_cli_unreadable_corpus(tmp_path, capsys):
    assert main(["facts", "--corpus", str(tmp_path / "missing.txt")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot read corpus file") and err.count("\n") == 1
