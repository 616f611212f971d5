"""eval.facts: the fact table against hand-checked gold facts — the matcher on tiny inputs, and the recorded numbers held."""

from __future__ import annotations

import json

import pytest

from eval.facts import RECORD, evaluate, gold_files, locate, main, run, subject_agrees, time_agrees
from index.corpus import parse_document
from qa.facts import extract_facts


@pytest.mark.parametrize("gold, extracted, actors, agrees", [
    ("专利案件", "专利案件", (), True),
    ("审结知识产权案件", "全国法院审结知识产权案件", ("全国法院",), True),  # the actor is no part of a subject
    ("有效发明专利", "2020年全市有效发明专利", (), True),  # nor are time and scope words
    ("长沙市大专院校有效发明专利", "长沙市有效发明专利", (), True),  # 9 of 13 characters shared
    ("审结知识产权刑事一审案件", "审结", (), False),  # contained, but a sixth of it
    ("受理移送案件", "受理各级行政执法部门移送涉嫌侵权假冒犯罪案件", (), False),
    ("市场主体", "", (), False),
    ("", "", (), True),
])
def test_subjects_agree_when_they_name_the_same_thing(gold, extracted, actors, agrees):
    assert subject_agrees(gold, extracted, actors=actors) is agrees


def test_times_agree_on_year_and_period():
    assert time_agrees((2014, ""), (2014, ""))
    assert time_agrees((None, "近五年"), (None, "近五年来")) and time_agrees((2022, "第一季度"), (2022, "2022年第一季度"))
    assert not time_agrees((2016, ""), (None, "2016年以来")) and not time_agrees((None, ""), (2018, ""))


def test_a_gold_fact_is_the_nth_occurrence_of_its_figure():
    text = "批捕3306件，起诉3306件，7100万件"
    gold = [{"figure": "3306件", "occurrence": 2}, {"figure": "7100万件", "occurrence": 1}, {"figure": "9件", "occurrence": 1}]
    assert locate(gold, text, "") == [(10, 15), (16, 22), None]


def test_matching_counts_misses_spurious_figures_and_wrong_fields():
    doc = parse_document("2021年报告。\n一、甲\n全年受理案件500件，其中专利案件200件，结案逾90件。\n", doc_id="d")
    facts = extract_facts(doc)
    gold = [{"figure": "500件", "occurrence": 1, "subject": "受理案件", "year": 2021, "kind": "count", "scope": "total"},
            {"figure": "200件", "occurrence": 1, "subject": "商标案件", "year": 2021, "kind": "count", "scope": "part"},
            {"figure": "90件", "occurrence": 1, "subject": "结案", "year": 2020, "kind": "share", "scope": ""}]
    result = evaluate("d", doc, facts, gold[:1] + gold[1:])
    assert (result.gold, result.extracted, result.matched) == (3, 3, 3)  # 逾90件 holds 90件
    assert result.metrics() == {"precision": 1.0, "recall": 1.0, "subject": 2 / 3, "time": 2 / 3, "kind": 2 / 3,
                                "scope": 2 / 3}  # 90件 after 其中 is read as a part
    result = evaluate("d", doc, facts, gold[:1])
    assert (result.matched, result.metrics()["precision"]) == (1, 1 / 3)
    assert sum(f.startswith("spurious") for f in result.failures) == 2


def test_the_command_prints_the_table(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:4] == ["document", "gold", "facts", "precision"]
    assert "all (micro)" in out


def test_every_annotated_document_measures_at_least_as_well_as_recorded():
    """The numbers of `python -m eval.facts --write` (eval/facts.json): a drop in any of them fails."""
    recorded = json.loads(RECORD.read_text(encoding="utf-8"))
    results = {r.name: r.metrics() for r in run()}
    assert set(results) == set(recorded) and len(gold_files()) >= 5
    drops = [f"{name} {metric}: {value:.3f} < recorded {recorded[name][metric]:.3f}"
             for name, metrics in results.items() for metric, value in metrics.items()
             if value < recorded[name][metric] - 1e-3]
    assert drops == []
