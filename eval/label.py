"""Labels for fitting: which candidates of a training question are right (pure functions).

>>> from eval.dataset import parse_dataset
>>> item = parse_dataset('{"id": "a", "question": "几件？", "answers": ["30件"], "evidence": "结案30件", "kind": "figure"}')[0]
>>> sentence_labels(item, ["立案并调处30件，结案30件。", "共接投诉举报20件。"])
[1, 0]
"""

from __future__ import annotations

from typing import Sequence

from eval.dataset import EvalItem
from eval.scoring import _quantity, normalize_text, split_gold
from qa.numbers import same_figure


def fact_labels(item: EvalItem, facts: Sequence) -> list[int]:
    """1 for a figure that is one of the item's gold figures (same value and kind), else 0."""
    if not item.answerable or item.kind != "figure":
        return [0] * len(facts)
    gold = [q for q in (_quantity(a) for a in split_gold(item.answers)) if q is not None]
    out = []
    for fact in facts:
        q = _quantity(fact.figure_text)
        out.append(int(q is not None and any(same_figure(g, q) for g in gold)))
    return out


def sentence_labels(item: EvalItem, sentences: Sequence[str]) -> list[int]:
    """1 for a sentence holding the gold evidence (or every gold answer), else 0."""
    if not item.answerable:
        return [0] * len(sentences)
    evidence = normalize_text(item.evidence)
    answers = [normalize_text(a) for a in item.answers]
    out = []
    for s in sentences:
        text = normalize_text(s)
        out.append(int(bool(evidence) and evidence in text or bool(answers) and all(a in text for a in answers)))
    return out


def wants_figure(reading, item: EvalItem) -> bool:
    """Which model a training question teaches: the gold kind says, else (unanswerable) the reader."""
    from qa.prepared import wants_figure as engine_wants

    if item.kind == "figure":
        return True
    if item.kind == "text":
        return False
    return engine_wants(reading)
