"""The model-free golden run over every committed training set (BM25 + lexical weights, no model)."""

from __future__ import annotations

import json

from eval.golden import GOLDEN, golden_sets, regressions, run_golden


def test_every_set_answers_at_least_as_well_as_recorded(tmp_path):
    recorded = json.loads(GOLDEN.read_text(encoding="utf-8"))
    results = run_golden(tmp_path)
    assert set(results) == set(recorded), "run python -m eval.golden --write after adding or removing a set"
    assert regressions(results, recorded) == []


def test_a_regression_is_reported():
    recorded = {"s": {"n": 10, "correct": 8, "false_answers": 1, "false_refusals": 1}}
    assert regressions({"s": {"n": 10, "correct": 7, "false_answers": 1, "false_refusals": 2}}, recorded)
    assert regressions({"s": {"n": 10, "correct": 8, "false_answers": 2, "false_refusals": 0}}, recorded)
    assert not regressions({"s": {"n": 10, "correct": 9, "false_answers": 0, "false_refusals": 1}}, recorded)
    assert len(golden_sets()) >= 3
