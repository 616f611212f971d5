"""Features of a (question, figure) pair and of a (question, sentence) pair: small pure functions.

Each feature is a number the fitted scorer (qa.scorer) weighs; none of them decides on its own.
A feature function takes the `Asked` record (the question, read against one report) and one
candidate. Hard constraints (a stated year, action or unit that the figure contradicts) are
in `conflicts`, not here.

>>> from qa.reader import read
>>> kind_features(read("有效发明专利同比增长多少"), "growth_rate", "%", "同比增长")["growth_fit"]
1.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from qa.coverage import QueryTerms
from qa.reading import Reading
from qa.report import ReportView
from qa.vocabulary import vocabulary


@dataclass(frozen=True)
class Asked:
    """A reading prepared against one report: its terms weighed by the report's words."""

    reading: Reading
    own: QueryTerms
    inherited: QueryTerms | None
    query_vector: np.ndarray | None
    unknown_nouns: float  # idf share of the question's nouns that the report never uses in any form
    top_term: tuple[str, ...]  # report words of the question's rarest known term

    @classmethod
    def build(cls, reading: Reading, view: ReportView, query_vector: np.ndarray | None) -> "Asked":
        inherited = QueryTerms.build(reading.inherited, view.stats) if reading.inherited else None
        own = QueryTerms.build(reading.terms, view.stats)
        nouns = [r for r in own.rows if r[0] in reading.nouns]
        total = sum(r[1] for r in nouns)
        unknown = sum(r[1] for r in nouns if not r[2]) / total if total else 0.0
        known = [r for r in own.rows if r[2]]
        top = max(known, key=lambda r: r[1])[2] if known else ()
        return cls(reading, own, inherited, query_vector, unknown, top)

    def with_vector(self, query_vector: np.ndarray | None) -> "Asked":
        """The same with the question's vector (dataclasses.replace, without its per-call field walk)."""
        return Asked(self.reading, self.own, self.inherited, query_vector, self.unknown_nouns, self.top_term)


# -- figure features ----------------------------------------------------------------------

def is_growth(kind: str, comparison: str | None) -> bool:
    return kind == "growth_rate" or bool(comparison)


def kind_features(reading: Reading, kind: str, unit: str, comparison: str | None) -> dict[str, float]:
    """How the figure's kind fits the cue groups of the question (one number per pairing)."""
    return dict(zip(KIND_FEATURES, kind_row(kind_ask(reading), kind, unit, comparison)))


def kind_ask(reading: Reading) -> tuple:
    """What of a reading the kind features read: its cue groups with what it asks, what it asks, whether
    its 多少 is bare (no measure word, unit or counted thing), the units it allows, whether it names a
    counted thing."""
    points = any(w in reading.text for w in vocabulary().tables["cues"]["points"]["words"])
    return (frozenset(reading.cues) | {reading.asked}, reading.asked,
            not (reading.measure or reading.units or reading.counted), frozenset(reading.units), bool(reading.counted),
            points)


@lru_cache(maxsize=8192)
def kind_row(ask: tuple, kind: str, unit: str, comparison: str | None) -> tuple[float, ...]:
    """`kind_features` as a row in KIND_FEATURES order, per `kind_ask` and kind of figure (kept: questions
    ask alike, and a report has few kinds of figure)."""
    cues, asked, bare, units, counted, points = ask
    growth, rank = is_growth(kind, comparison), kind == "rank"
    percent = kind == "percent" or unit == "%"
    money = kind == "money" or vocabulary().unit_class(unit) == "money"
    plain = not (growth or rank or percent)
    # 零售总额是多少: a bare 多少 with no measure word, unit or counted thing asks for an amount of
    # any plain kind, a sum of money included; 多少家, 多少件货 ask for a count.
    fits = {"growth": growth, "percent": percent or growth, "rank": rank, "money": money and plain,
            "count": kind in ("count", "other", "money") and plain and (bare or not money), "duration": kind == "duration",
            "ratio": kind == "ratio" or percent}
    specific = asked in fits
    values = {
        "kind_ok": float(specific and fits[asked]),
        "kind_bad": float(specific and not fits[asked] and not (asked == "count" and money)),
        "growth_fit": float("growth" in cues and growth),
        "growth_missing": float(asked == "growth" and not growth),
        "percent_fit": float("percent" in cues and percent and not growth),
        "percent_missing": float(asked == "percent" and not (percent or growth)),
        "rank_fit": float("rank" in cues and rank),
        "rank_missing": float(asked == "rank" and not rank),
        "money_fit": float("money" in cues and money),
        "money_missing": float(asked == "money" and not money),
        "unexpected_kind": float(asked in ("count", "money") and not plain),
        # 海关扣了多少货: a bare 多少 over a thing counts it; a sum of money answers only 多少钱, 金额 ….
        "money_unasked": float(asked == "count" and money and "money" not in cues and counted),
        "duration_fit": float(kind == "duration" and asked == "duration"),
        "duration_unasked": float(kind == "duration" and asked != "duration"),
        "unit_fit": float(bool(units) and unit in units),
        # a figure written without a unit (a table's cell) does not miss the unit asked: it does not say one
        "unit_miss": float(bool(units) and bool(unit) and unit not in units and not growth and not percent),
        # 同比涨了多少 asks the rate (1.2%), not how many points the rate moved (涨幅扩大0.3个百分点)
        "points_unasked": float(unit in vocabulary().tables["cues"]["points"]["units"] and not points),
    }
    return tuple(values[name] for name in KIND_FEATURES)


def actor_fit(reading: Reading, actor_text: str) -> float:
    """1 when an actor asked about is named around the figure, -1 when none is, 0 when none was asked."""
    if not reading.actors:
        return 0.0
    aliases = vocabulary().actors
    return 1.0 if any(any(a in actor_text for a in aliases[name]) for name in reading.actors) else -1.0


def action_fit(reading: Reading, segment: str, clause: str) -> float:
    """1 when an action asked about is written in the figure's segment, 0.5 in its clause, else 0."""
    if not reading.actions:
        return 0.0
    words = vocabulary().actions
    if any(w in segment for name in reading.actions for w in words[name] if len(w) > 1):
        return 1.0
    return 0.5 if any(w in clause for name in reading.actions for w in words[name] if len(w) > 1) else 0.0


def counted_fit(reading: Reading, segment: str) -> tuple[float, float]:
    """(in, missing): whether the thing counted (多少件投诉举报 -> 投诉举报, or a word it stands for) is
    written in the figure's own segment; both 0 when the question names no counted thing."""
    from qa.coverage import expansions

    if not reading.counted:
        return 0.0, 0.0
    found = any(o in segment for c in reading.counted for o in expansions(c))
    return float(found), float(not found)


FACT_FEATURES = (
    "cov_segment", "cov_clause", "cov_sentence", "cov_paragraph", "cov_inherited", "has_inherited",
    "unasked", "unknown", "n_terms", "unknown_nouns", "top_segment", "top_clause", "dense_clause", "dense_sentence", "dense_clause_gap", "dense_clause_z",
    "dense_sentence_z", "retrieval",
    "chunk_rank", "kind_ok", "kind_bad", "growth_fit", "growth_missing", "percent_fit", "percent_missing", "rank_fit",
    "rank_missing", "money_fit", "money_missing", "unexpected_kind", "money_unasked", "duration_fit", "duration_unasked",
    "unit_fit", "unit_miss", "actor_fit", "action_fit", "action_other", "counted_fit", "counted_missing", "delta_unasked", "in_question", "focus_same",
    "focus_linked", "focus_sentence", "year_stated", "other_year", "month_fit", "month_conflict", "asks_total", "total_vs_delta",
    "average_missing", "focus_growth", "cov_gap", "segment_lead", "action_lead", "slots_stated", "slot_lead",
    "subject_cover", "subject_lead", "slots_unmet", "slots_all_met", "from_unasked", "from_fit", "points_unasked",
    "place_fit", "place_missing", "plan_fit", "plan_unasked", "own_vs_total",
)
# The columns `kind_features` gives, in its order.
KIND_FEATURES = ("kind_ok", "kind_bad", "growth_fit", "growth_missing", "percent_fit", "percent_missing", "rank_fit",
                 "rank_missing", "money_fit", "money_missing", "unexpected_kind", "money_unasked", "duration_fit",
                 "duration_unasked", "unit_fit", "unit_miss", "points_unasked")
# Fits that say a figure matches a slot the question states; `slot_lead` compares their sum with the
# best other candidate's (警察抓了多少人: the one figure in 人 counted by 抓获 for 公安 stands alone).
SLOT_FITS = ("kind_ok", "unit_fit", "actor_fit", "action_fit", "counted_fit", "year_stated", "month_fit")


DENSE_FEATURES = ("dense_clause", "dense_sentence", "dense_clause_gap", "dense_clause_z", "dense_sentence_z",
                  "retrieval", "chunk_rank")  # the columns that need the query vector or retrieval
_DENSE_COLUMNS = tuple(FACT_FEATURES.index(name) for name in DENSE_FEATURES)


def fact_matrix(asked: Asked, view: ReportView, candidates: list[int], retrieval: dict[int, float],
                chunk_rank: dict[int, int], static: np.ndarray | None = None) -> np.ndarray:
    """One row of FACT_FEATURES per candidate figure (indices into view.facts).

    `static` is `qa.figure_features.fact_static(asked, view, candidates)` when it was computed
    beforehand; the columns of DENSE_FEATURES are filled in here, column by column."""
    if static is None:
        from qa.figure_features import fact_static

        static = fact_static(asked, view, candidates)
    matrix = static.copy()
    if not candidates:
        return matrix
    clause_sim, sentence_sim, clause_z, sentence_z = view.dense(asked.query_vector)
    idx = np.asarray(candidates, dtype=np.int64)
    sent = view.figures.sentence[idx]
    clause = clause_sim[idx].astype(np.float64)
    columns = {
        "dense_clause": clause, "dense_sentence": sentence_sim[sent], "dense_clause_gap": clause - clause.max(),
        "dense_clause_z": clause_z[idx], "dense_sentence_z": sentence_z[sent],
        # each figure's chunk: its share of the top retrieval score, and 1 / (1 + its rank), rank 20 if not retrieved
        "retrieval": view.fact_chunks.best(retrieval, 0.0, idx),
        "chunk_rank": view.fact_chunks.best({c: 1.0 / (1.0 + r) for c, r in chunk_rank.items()}, 1.0 / (1.0 + 20), idx),
    }
    for name, col in zip(DENSE_FEATURES, _DENSE_COLUMNS):
        matrix[:, col] = columns[name]
    return matrix


def _lead_over_others(matrix: np.ndarray, col: int) -> None:
    """matrix[col] = its value minus the best value among the *other* candidates (> 0: it alone is best)."""
    values = matrix[:, col].astype(np.float64)
    if len(values) < 2:
        matrix[:, col] = values
        return
    order = np.argsort(-values)
    best, second = values[order[0]], values[order[1]]
    matrix[:, col] = values - np.where(np.arange(len(values)) == order[0], second, best)


def _relative(matrix: np.ndarray, names: tuple[str, ...], target: str, source: str, groups) -> None:
    """matrix[target] = matrix[source] minus the best value of source among candidates of the same group.

    With one group (all zeros) this is the gap to the best candidate; grouped by sentence it says
    which of the figures written together the question points to (0 for the best, below 0 for the others).
    """
    _relatives(matrix, names, ((target, source),), groups)


def _relatives(matrix: np.ndarray, names: tuple[str, ...], pairs, groups) -> None:
    """`_relative` for several (target, source) pairs over the same groups (small non-negative numbers)."""
    if not len(groups):
        return
    cols, srcs = _pair_columns(names, pairs)
    group = np.asarray(groups, dtype=np.int64)
    best = np.full((int(group.max()) + 1, len(pairs)), -np.inf)
    np.fmax.at(best, group, matrix[:, srcs].astype(np.float64))  # fmax skips a NaN as max() does
    matrix[:, cols] = matrix[:, srcs] - best[group].astype(np.float32)


@lru_cache(maxsize=16)
def _pair_columns(names: tuple[str, ...], pairs: tuple) -> tuple[list[int], list[int]]:
    """The columns of the targets and of the sources of ``pairs`` among ``names``."""
    return [names.index(t) for t, _ in pairs], [names.index(s) for _, s in pairs]


# -- sentence features (name, list, date and other text questions) -------------------------

SENTENCE_FEATURES = (
    "cov_sentence", "cov_paragraph", "cov_inherited", "unknown", "n_terms", "unknown_nouns", "dense_sentence",
    "dense_gap", "retrieval", "chunk_rank", "actor_fit", "action_fit", "has_date", "has_title",
    "has_list", "shape_fit", "cov_gap",
)


def sentence_matrix(asked: Asked, view: ReportView, candidates: list[int], retrieval: dict[int, float],
                    chunk_rank: dict[int, int], shapes: dict[str, np.ndarray]) -> np.ndarray:
    """One row of SENTENCE_FEATURES per candidate sentence; ``shapes`` are the candidates' shape columns
    (qa.textanswer.sentence_shapes). Column by
    column for all candidates at once (qa.batchcoverage), each value as the per-sentence functions give it."""
    from qa.batchcoverage import action_fits, actor_fits, level_shares

    reading, idx = asked.reading, np.asarray(candidates, dtype=np.int64)
    matrix = np.zeros((len(candidates), len(SENTENCE_FEATURES)), dtype=np.float32)
    if not len(candidates):
        return matrix
    _, sentence_sim = view.similarities(asked.query_vector)
    similarity = sentence_sim[idx].astype(np.float64)
    own = level_shares(asked.own, view.sentence_texts, idx)
    columns = {
        "cov_sentence": own[:, 2], "cov_paragraph": own[:, 3],
        "cov_inherited": level_shares(asked.inherited, view.sentence_texts, idx)[:, 2] if asked.inherited else 0.0,
        "unknown": asked.own.unknown_weight, "n_terms": math.log1p(len(asked.own.rows)),
        "unknown_nouns": asked.unknown_nouns,
        "dense_sentence": similarity, "dense_gap": similarity - similarity.max(),
        "retrieval": view.sentence_chunks.best(retrieval, 0.0, idx),
        "chunk_rank": view.sentence_chunks.best({c: 1.0 / (1.0 + r) for c, r in chunk_rank.items()}, 1.0 / (1.0 + 20),
                                                idx),
        # actor text: the sentence and the opening of its paragraph; action: in the sentence, else the paragraph
        "actor_fit": actor_fits(reading, view.sentence_actors, 0, idx),
        "action_fit": action_fits(reading, (view.sentence_texts, 0), (view.sentence_texts, 3), idx),
        **shapes,
    }
    for name, values in columns.items():
        matrix[:, SENTENCE_FEATURES.index(name)] = values
    col, sent = SENTENCE_FEATURES.index("cov_gap"), SENTENCE_FEATURES.index("cov_sentence")
    matrix[:, col] = matrix[:, sent] - matrix[:, sent].max()
    return matrix
