"""Verification features: is the chosen candidate right? The verifier (qa.scorer) reads the chosen
candidate's rank score, its margin over the best rival giving another answer, the part context of a
multi-figure question, and the ranker's features of the candidate.

>>> import numpy as np
>>> verify_row(np.array([[0.5], [0.2]], dtype=np.float32), np.array([2.0, 1.0]), 0, [False, True]).tolist()
[2.0, 0.6931471824645996, 0.6931471824645996, 1.0986123085021973, 0.6931471824645996, 0.0, 0.0, 0.5]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from qa.vocabulary import vocabulary

VERIFY_EXTRA = ("top_logit", "second_logit", "margin", "candidates", "parts", "siblings_agree", "siblings_together")
# What the figure verifier reads: the rank score and its context, and the features that say how much of
# the question the figure explains (fewer than the ranker's: measured better on held-out questions).
FACT_VERIFY = VERIFY_EXTRA + (
    "cov_segment", "cov_clause", "cov_sentence", "cov_paragraph", "cov_inherited", "has_inherited", "unasked",
    "unknown", "n_terms", "unknown_nouns", "dense_clause_z", "dense_sentence_z", "retrieval", "chunk_rank", "kind_ok",
    "kind_bad", "actor_fit", "action_fit", "counted_fit", "counted_missing", "slots_stated", "slot_lead",
    "focus_same", "focus_sentence", "year_stated", "other_year", "month_fit", "month_conflict", "average_missing",
    "subject_cover", "slots_unmet", "slots_all_met", "place_fit", "place_missing", "plan_fit",
    "plan_unasked", "own_vs_total",
)


def verify_names(rank_features: tuple[str, ...]) -> tuple[str, ...]:
    """Names of the columns `verify_row` returns for a matrix of ``rank_features``."""
    return VERIFY_EXTRA + rank_features


NO_RIVAL_MARGIN = 10.0  # the margin recorded when no candidate would give another answer


def part_context(chosen_values: list[str], k: int, sentences: Sequence | None = None) -> tuple[float, float, float]:
    """(parts, siblings_agree, siblings_together) for part ``k`` of a question asking for several figures.

    ``parts`` is log(1 + number of parts); ``siblings_agree`` is 1 when every other part's chosen
    figure is another figure of the same class of unit (two counts of people, two sums of money, two
    rates): a comparison or a two-figure question whose parts land on figures of one kind is read
    as the question meant it more often than a part on its own suggests. ``siblings_together`` is 1 when
    every other part's figure is another one of the same sentence (``sentences``: each chosen figure's
    sentence; 立案数和涉案金额各是多少 -> 立案417件，涉案金额668.97万元).

    >>> [(round(n, 3), a, t) for n, a, t in (part_context(["86名", "43名"], 0), part_context(["86名", "31.4%"], 1, [7, 7]),
    ...                                      part_context(["9079件"], 0))]
    [(1.099, 1.0, 0.0), (1.099, 0.0, 1.0), (0.693, 0.0, 0.0)]
    """
    from qa.numbers import parse_quantity

    n = len(chosen_values)
    if n < 2:
        return math.log1p(n), 0.0, 0.0
    v = vocabulary()

    def unit_class(text: str) -> str:
        q = parse_quantity(text)
        if q is None:
            return ""
        return "percent" if q.unit == "%" else "money" if q.kind == "money" else v.unit_class(q.unit) or q.unit

    mine = unit_class(chosen_values[k])
    agree = all(j == k or (chosen_values[j] != chosen_values[k] and unit_class(chosen_values[j]) == mine != "")
                for j in range(n))
    together = sentences is not None and all(
        j == k or (chosen_values[j] not in ("", chosen_values[k]) and sentences[j] is not None
                       and sentences[j] == sentences[k]) for j in range(n))
    return math.log1p(n), float(agree), float(together)


def _signed_log(x: float) -> float:
    """sign(x)·log(1 + |x|): large values squeezed, small ones near linear.

    >>> [round(_signed_log(x), 3) for x in (-9.0, 0.0, 1.0, 10.0)]
    [-2.303, 0.0, 0.693, 2.398]
    """
    return math.copysign(math.log1p(abs(x)), x)


def verify_row(matrix: np.ndarray, logits: np.ndarray, chosen: int, different: list[bool],
               context: tuple[float, ...] = (math.log1p(1), 0.0, 0.0)) -> np.ndarray:
    """The chosen candidate's features, led by its rank score, its margin over the best rival and
    its part context (see `part_context`).

    ``different[j]`` says whether candidate j would be a different answer (another figure value,
    another sentence); rivals giving the same answer do not count against the margin.
    """
    scores = logits.tolist()  # the same floats as float(logits[j]), made at once
    rivals = [s for j, (s, rival) in enumerate(zip(scores, different)) if rival and j != chosen]
    second = max(rivals, default=float(logits[chosen]) - NO_RIVAL_MARGIN)
    # The rival's score and the margin on a log scale: a lone figure of the kind asked (the report's only rank)
    # has rivals of other kinds scored far below it, and a linear margin let that outweigh how little of the
    # question its own words cover (有效注册商标总量排第几 -> 满意度…第8位 at 0.97; measured).
    extra = [float(logits[chosen]), _signed_log(second), _signed_log(float(logits[chosen]) - second),
             math.log1p(len(logits)), *context]
    return np.concatenate([np.asarray(extra, dtype=np.float32), matrix[chosen]])
