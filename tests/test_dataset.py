"""The shipped evaluation set and the dataset loader."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from eval.dataset import DatasetError, EvalItem, Turn, check_against_report, load_dataset, parse_dataset
from index.corpus import parse_document

ROOT = Path(__file__).resolve().parents[1]
QA_PATH = ROOT / "eval" / "qa.jsonl"
REPORT_PATH = ROOT / "data" / "tianjin-ip-2020.txt"


@pytest.fixture(scope="module")
def report() -> str:
    return REPORT_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def items() -> list[EvalItem]:
    return load_dataset(QA_PATH)


def _line(**overrides) -> str:
    record = {"id": "q1", "question": "几件？", "answers": ["3件"], "evidence": "3件", "kind": "figure"}
    record.update(overrides)
    return json.dumps(record, ensure_ascii=False)


# ---------------------------------------------------------------- the shipped set


def test_shipped_set_loads(items):
    assert len(items) >= 170
    assert len({i.id for i in items}) == len(items)
    assert all(isinstance(i.answers, tuple) and isinstance(i.history, tuple) for i in items)


def test_answers_and_evidence_are_verbatim_in_report(items, report):
    assert check_against_report(items, report) == []
    for item in items:
        if item.kind == "unanswerable":
            assert item.answers == () and item.evidence == ""
        else:
            assert item.answers and item.evidence, item.id
            assert "\n" not in item.evidence, item.id
            assert len(item.evidence) <= 40, f"{item.id}: evidence too long to sit inside one chunk"


def test_kind_counts(items):
    kinds = Counter(i.kind for i in items)
    assert kinds["unanswerable"] >= 25
    assert kinds["figure"] >= 100
    assert kinds["text"] >= 30
    assert sum(1 for i in items if i.history) >= 12
    assert sum(1 for i in items if len(i.answers) >= 2 and i.kind == "figure") >= 10


def test_followups_have_alternating_history(items):
    for item in items:
        if item.history:
            roles = [t.role for t in item.history]
            assert roles[0] == "user" and roles[-1] == "assistant", item.id
            assert all(a != b for a, b in zip(roles, roles[1:])), item.id


def _section_of(document, offset: int) -> int:
    return next(s.number for s in document.sections if s.start <= offset < s.end)


def test_every_section_is_asked(items, report):
    document = parse_document(report, doc_id="tianjin")
    numbers = {s.number for s in document.sections}
    assert numbers == {0, 1, 2, 3, 4, 5, 6}
    asked = Counter()
    for item in items:
        if item.evidence:
            offset = report.find(item.evidence)
            assert offset >= 0
            asked[_section_of(document, offset)] += 1
    assert set(asked) == numbers, asked
    assert min(asked.values()) >= 3


def test_evidence_is_unique_in_report(items, report):
    # Ambiguous evidence would let a citation of the wrong passage count as right.
    for item in items:
        if item.evidence:
            assert report.count(item.evidence) == 1, item.id


def test_figure_answers_sit_in_or_near_their_evidence(items, report):
    for item in items:
        if item.kind != "figure":
            continue
        at = report.find(item.evidence)
        window = report[max(0, at - 40) : at + len(item.evidence) + 40]
        for answer in item.answers:
            assert answer in window, f"{item.id}: {answer!r} far from its evidence"


def test_every_reported_figure_is_asked(items):
    # Every quantity in the report (years, dates, names excluded) is the gold of some question.
    figures = {
        "1.5亿", "270余件", "1150万元", "20件", "30件", "近万次", "3万余人次", "417件", "668.97万元",
        "2205.74万元", "19件", "101件", "4个月", "51040家", "457家", "18家", "1174人次", "100家次", "356家次",
        "30余人次", "12起", "6家", "13.2万余元", "2891人次", "40起", "4万余册", "425起", "564名", "3.1亿元",
        "237起", "178起", "75%", "9079件", "31.4%", "8820件", "37.9%", "2件", "50件", "2336件", "30.14%",
        "160件", "29.98%", "11个", "16名", "40余项", "103件", "179人", "178件", "385人", "323个批次",
        "81.22万件", "486.26万元", "128.4%", "35.6%", "78件", "132批次", "第8位", "第1位", "4家", "1997笔",
        "7364.55万元", "47121件", "11100万元", "56项", "3亿元", "1项", "14项", "3项", "24.6万件", "23.4%",
        "38152件", "9.9%", "24.4件", "2.1件", "第六", "28.9万件", "17.5%", "21.3万件", "266.9%", "第四",
        "177个", "10条", "8支", "338家", "333个", "10.9万件", "495件", "近万家", "1.5亿元", "8个", "24项",
        "8人", "20名", "86名", "43名", "第5年", "500余篇",
    }
    asked = {a for i in items if i.kind == "figure" for a in i.answers}
    assert figures - asked == set()


# ---------------------------------------------------------------- the loader


def test_parse_minimal_and_history():
    text = _line() + "\n\n" + _line(
        id="q2",
        history=[{"role": "user", "content": "甲？"}, {"role": "assistant", "content": "乙。"}],
    )
    first, second = parse_dataset(text, "t.jsonl")
    assert first == EvalItem("q1", "几件？", ("3件",), "3件", "figure", ())
    assert second.history == (Turn("user", "甲？"), Turn("assistant", "乙。"))
    assert json.loads(_line()) == first.to_dict()


def test_load_from_bytes_and_path(tmp_path):
    data = (_line() + "\n").encode("utf-8")
    assert load_dataset(data)[0].id == "q1"
    assert load_dataset(b"\xef\xbb\xbf" + data)[0].id == "q1"  # BOM allowed
    path = tmp_path / "x.jsonl"
    path.write_bytes(data)
    assert load_dataset(path)[0].answers == ("3件",)
    assert load_dataset(str(path))[0].answers == ("3件",)


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("{not json", r"line 3: not valid JSON"),
        ('["a list"]', r"line 3: expected a JSON object, got array"),
        (_line(kind="x"), r"line 3: 'kind' must be one of figure, text, unanswerable, got 'x'"),
        (_line(id=""), r"line 3: 'id' must not be empty"),
        (_line(id=7), r"line 3: 'id' must be a string, got number"),
        (_line(answers="3件"), r"line 3: 'answers' must be an array of strings, got string"),
        (_line(answers=["3件", ""]), r"line 3: answers\[1\] must be a non-empty string"),
        (_line(answers=[]), r"line 3: a 'figure' item needs at least one entry in 'answers'"),
        (_line(kind="unanswerable"), r"line 3: an unanswerable item must have 'answers': \[\]"),
        (_line(evidence=None), r"line 3: 'evidence' must be a string, got null"),
        (_line(answer=["3件"]), r"line 3: extra field 'answer' must be a string, got array"),
        (_line(style=3), r"line 3: extra field 'style' must be a string, got number"),
        (_line(history="x"), r"line 3: 'history' must be an array of turns"),
        (_line(history=[{"role": "bot", "content": "x"}]), r"line 3: history\[0\]: 'role' must be one of user, assistant"),
        (_line(history=[{"role": "user"}]), r"line 3: history\[0\]: missing 'content'"),
    ],
)
def test_malformed_lines_name_their_line(bad_line, message):
    text = "\n".join([_line(), _line(id="q0"), bad_line])
    with pytest.raises(DatasetError, match=message):
        parse_dataset(text, "bad.jsonl")


def test_missing_field_and_duplicate_id():
    record = json.loads(_line())
    del record["evidence"]
    with pytest.raises(DatasetError, match=r"line 2: missing required field 'evidence'"):
        parse_dataset(_line(id="q0") + "\n" + json.dumps(record), "t")
    with pytest.raises(DatasetError, match=r"line 4: duplicate id 'q1' \(first used on line 1\)"):
        parse_dataset("\n".join([_line(), _line(id="q2"), "", _line()]), "t")


def test_empty_oversized_and_non_utf8(tmp_path):
    with pytest.raises(DatasetError, match="no questions found"):
        parse_dataset("\n  \n", "t")
    big = (_line() + "\n").encode("utf-8")
    with pytest.raises(DatasetError, match="over the limit of 10 bytes"):
        load_dataset(big, max_bytes=10)
    path = tmp_path / "big.jsonl"
    path.write_bytes(big)
    with pytest.raises(DatasetError, match="over the limit"):
        load_dataset(path, max_bytes=10)
    gbk = (_line() + "\n" + _line(id="q2") + "\n").encode("utf-8") + "问题".encode("gbk")
    with pytest.raises(DatasetError, match=r"line 3: not UTF-8"):
        load_dataset(gbk)
    with pytest.raises(DatasetError, match="cannot read dataset"):
        load_dataset(tmp_path / "missing.jsonl")


def test_check_against_report_flags_non_verbatim_gold():
    items = parse_dataset(_line(answers=["4件"], evidence="共3件"), "t")
    problems = check_against_report(items, "共3件。")
    assert problems == ["q1: answer '4件' is not in the report"]


def test_extra_string_fields_are_kept_and_written_back():
    items = parse_dataset(_line(style="colloquial", tags="rank, followup", yesno="是"), "t")
    item = items[0]
    assert item.get("style") == "colloquial" and item.get("yesno") == "是" and item.get("missing") == ""
    assert item.tags == ("rank", "followup")
    assert item.to_dict()["style"] == "colloquial" and item.to_dict()["tags"] == "rank, followup"
    assert parse_dataset(json.dumps(item.to_dict(), ensure_ascii=False), "t")[0] == item


def test_computed_answers_are_not_looked_up_in_the_report():
    items = parse_dataset(_line(answers=["259件"], evidence="共3件", tags="computed"), "t")
    assert check_against_report(items, "共3件。") == []
