"""The fitted scorer: the weights file, its provenance, and the fitting procedure on synthetic data."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eval.fit import TRAINING, Examples, choose_threshold, doc_weights, fit_models, load_training, sha256
from index.settings import REPO_ROOT
from qa.scorer import WEIGHTS, LinearModel, WeightsError, load_weights, model_features, untrained


def test_committed_weights_load_and_match_the_code():
    weights = load_weights()
    for name, features in model_features().items():
        assert weights[name].features == features
        assert 0.0 < weights[f"{name.split('_')[0]}_verify"].threshold < 1.0


def test_committed_weights_were_fitted_on_the_committed_training_sets():
    """Change a training set or the list of sets without refitting and this fails (python -m eval.fit)."""
    training = json.loads(WEIGHTS.read_text(encoding="utf-8"))["training"]
    files = {str(p.relative_to(REPO_ROOT)): sha256(p) for pair in load_training(TRAINING) for p in pair}
    assert training["files"] == files


def test_no_reserved_set_is_trained_on():
    listed = [str(d.relative_to(REPO_ROOT)) for _, d in load_training(TRAINING)]
    assert listed and not any(p.startswith("eval/reserved/") for p in listed)


def test_weights_fitted_on_other_features_are_refused(tmp_path):
    data = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    data["models"]["fact_rank"]["features"] = data["models"]["fact_rank"]["features"][::-1]
    path = tmp_path / "weights.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(WeightsError, match="refit with `python -m eval.fit`"):
        load_weights(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(WeightsError, match="not valid JSON"):
        load_weights(path)


def test_linear_model_standardises_then_applies_the_logistic():
    model = LinearModel("m", ("a", "b"), np.array([1.0, 0.0]), np.array([2.0, 1.0]), np.array([1.0, -1.0]), 0.5, 0.5)
    z = ((np.array([3.0, 1.0]) - model.mean) / model.scale) @ model.coef + model.intercept
    assert model.probabilities(np.array([[3.0, 1.0]]))[0] == pytest.approx(1 / (1 + np.exp(-z)))
    assert untrained()["fact_rank"].probabilities(np.ones((2, len(model_features()["fact_rank"])))).tolist() == [0.5, 0.5]


def _synthetic(n_questions: int, rng) -> Examples:
    """Questions with 5 candidates each; the right one has a higher first feature; a fifth are unanswerable."""
    ex = Examples()
    for q in range(n_questions):
        answerable = q % 5 != 0
        right = int(rng.integers(5)) if answerable else -1
        rows = rng.normal(size=(5, 2))
        rows[:, 0] += [2.5 if j == right else 0.0 for j in range(5)]
        ex.add(f"q{q}", answerable, [rows], [[int(j == right) for j in range(5)]], [[str(j) for j in range(5)]],
               [[str(j) for j in range(5)]])
    return ex


def test_fitting_learns_the_signal_and_meets_the_stated_wrong_rate():
    ex = _synthetic(200, np.random.default_rng(0))
    rank, verify, cv = fit_models(ex, ("signal", "noise"), ("top_logit", "second_logit", "margin", "candidates",
                                                               "signal", "noise"), max_wrong=0.05)
    assert rank["coef"][0] > 5 * abs(rank["coef"][1])  # the signal is learnt, the noise is not
    assert cv["rank_top1"] > 0.8 and cv["wrong"] / cv["questions"] <= 0.05
    assert 0.05 <= verify["threshold"] <= 0.95 and cv["threshold"] == verify["threshold"]


def test_threshold_is_the_lowest_meeting_the_rate():
    ex = Examples(questions={"a": True, "b": True, "c": False}, parts={"a": [(0, 1)], "b": [(1, 2)], "c": [(2, 3)]})
    by_question = {"a": [(0.9, 1)], "b": [(0.6, 0)], "c": [(0.4, 0)]}
    threshold, counts = choose_threshold(ex, by_question, max_wrong=0.0)
    assert threshold == 0.61 and counts["right"] == 1 and counts["wrong"] == 0


def test_a_weighted_wrong_rate_counts_each_document_alike():
    # two questions of a big report answered right, one of a small report answered wrong at 0.5
    ex = Examples(questions={"a:1": True, "a:2": True, "b:1": False},
                  parts={"a:1": [(0, 1)], "a:2": [(1, 2)], "b:1": [(2, 3)]},
                  documents={"a:1": "big", "a:2": "big", "b:1": "small"})
    by_question = {"a:1": [(0.9, 1)], "a:2": [(0.9, 1)], "b:1": [(0.5, 0)]}
    assert choose_threshold(ex, by_question, max_wrong=0.4)[0] == 0.05  # 1 of 3 questions wrong: allowed
    balanced = doc_weights(ex.documents, 1.0)
    assert choose_threshold(ex, by_question, max_wrong=0.4, weights=balanced)[0] == 0.51  # half the weight wrong


def test_fitting_with_balanced_documents_keeps_the_signal():
    ex = _synthetic(200, np.random.default_rng(1))
    ex.documents = {k: ("big" if i % 4 else "small") for i, k in enumerate(ex.questions)}
    rank, verify, cv = fit_models(ex, ("signal", "noise"), ("top_logit", "margin", "signal"), balance=1.0)
    assert rank["coef"][0] > 5 * abs(rank["coef"][1]) and cv["balance"] == 1.0


def test_every_reserved_set_is_listed_with_its_report():
    from eval.dataset import load_dataset
    from eval.suite import LISTS, load_list

    reserved = load_list(LISTS["reserved"])
    on_disk = sorted((REPO_ROOT / "eval" / "reserved").glob("*.jsonl"))
    assert sorted(s["dataset"] for s in reserved) == on_disk
    for s in reserved:
        assert s["corpus"].exists() and load_dataset(s["dataset"])
