"""Coverage measures of many candidates at once: what qa.coverage gives per candidate, from TextIndexes.

For ~60 candidate figures a question, the answer path asks which of the question's words each one's
segment, clause, sentence and paragraph holds (`QueryTerms.levels`) and which of its own words hold a
word the question asks for (`unasked_share`). Here the report's texts are indexed once
(qa.textindex) and each measure is worked out for all candidates with array operations that do the
same floating-point operations in the same order as the per-candidate functions, so the fitted
weights see the very same numbers (tests/test_batchcoverage.py compares them).

>>> from qa.coverage import Context, QueryTerms, ReportStats
>>> stats = ReportStats(["全市法院审结8820件。", "新收案件9079件。"])
>>> q = QueryTerms.build(["审结", "法院"], stats)
>>> texts = context_texts([Context("审结8820件", "审结8820件", "全市法院审结8820件。", "全市法院审结8820件。")])
>>> level_shares(q, texts, [0]).tolist()
[[0.5, 0.5, 1.0, 1.0]]
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from qa.coverage import LEVELS, Context, QueryTerms, ReportStats, covered_share, expansions
from qa.textindex import TextIndex
from qa.vocabulary import vocabulary


class TextTable:
    """Rows of texts, each of ``width`` columns, as ids into one TextIndex of the distinct texts: ids[row, column]."""

    def __init__(self, rows: Sequence[Sequence[str]], width: int) -> None:
        position: dict[str, int] = {}
        ids = [[position.setdefault(text, len(position)) for text in row] for row in rows]
        self.ids = np.array(ids, dtype=np.int64).reshape(len(ids), width)
        self.index = TextIndex(list(position))
        # the ids with one more column, past the last text: a column that holds every word (`level_shares`)
        self.ids_or_past = np.hstack([self.ids, np.full((len(ids), 1), len(position), dtype=np.int64)])

    def holding_any(self, words, column: int, which: Sequence[int]) -> np.ndarray:
        """For rows ``which``: whether their text in ``column`` holds one of ``words``."""
        return self.index.holding_any(words)[self.ids[np.asarray(which, dtype=np.int64), column]]


def context_texts(contexts: Sequence[Context]) -> TextTable:
    """The texts of each context level by level (segment, clause, sentence, paragraph)."""
    return TextTable([(c.segment, c.clause, c.sentence, c.paragraph) for c in contexts], len(LEVELS))


def level_shares(query: QueryTerms, texts: TextTable, which: Sequence[int]) -> np.ndarray:
    """``[query.levels(contexts[i]) for i in which]`` as a (len(which), 4) float64 array, ``texts`` being
    `context_texts(contexts)`."""
    ids = texts.ids_or_past[np.asarray(which, dtype=np.int64)]
    rows, size = len(query.rows), len(texts.index)
    if not rows:
        return np.zeros((len(ids), len(LEVELS)), dtype=np.float64)
    held = np.ones((rows, size + 1), dtype=bool)  # held[row, text]: the text holds one of the row's words
    for k, (_, _, opts) in enumerate(query.rows):
        held[k, :size] = texts.index.holding_any(opts)
    nearest = held[:, ids].argmax(axis=2)  # [row, candidate]: the nearest level holding the row, 4 for none
    weights = np.zeros((rows, len(ids), len(LEVELS) + 1), dtype=np.float64)
    weights[np.arange(rows)[:, None], np.arange(len(ids)), nearest] = [[weight] for _, weight, _ in query.rows]
    # each candidate's level sums add the rows' weights one by one in row order, as
    # QueryTerms._level_shares does (a row adding 0.0 changes no sum), and the levels' running sums
    found = weights[0]
    for row in weights[1:]:
        found = found + row
    return np.cumsum(found[:, :len(LEVELS)], axis=1) / (query.total or 1.0)


class OwnWords:
    """Each figure's own words (ReportLayout.own_tokens) as ids into one TextIndex of the distinct words,
    padded with -1, and their idf weights and sums as `ReportStats.weights` gives them."""

    def __init__(self, own_tokens: Sequence[Sequence[str]], stats: ReportStats) -> None:
        position: dict[str, int] = {}
        width = max((len(t) for t in own_tokens), default=0)
        self.ids = np.full((len(own_tokens), width), -1, dtype=np.int64)
        self.idf = np.zeros((len(own_tokens), width), dtype=np.float64)
        self.own = np.zeros(len(own_tokens), dtype=np.float64)
        for i, tokens in enumerate(own_tokens):
            idf, own = stats.weights(tokens)
            self.ids[i, :len(tokens)] = [position.setdefault(t, len(position)) for t in tokens]
            self.idf[i, :len(tokens)] = idf
            self.own[i] = own
        self.index = TextIndex(list(position))


def unasked_shares(query: QueryTerms, words: OwnWords, which: Sequence[int]) -> np.ndarray:
    """``[unasked_share(own_tokens[i], query, stats) for i in which]`` as a float64 array."""
    which = np.asarray(which, dtype=np.int64)
    ids, own = words.ids[which], words.own[which]
    asked = np.append(words.index.holding_any(query.options), True)  # id -1 (padding) reads as asked
    # added left to right like sum(): an asked word adds 0.0, which changes no sum
    kept = np.where(asked[ids], 0.0, words.idf[which])
    sums = np.cumsum(kept, axis=1)[:, -1] if ids.shape[1] else np.zeros(len(which))
    out = np.zeros(len(which), dtype=np.float64)
    np.divide(sums, own, out=out, where=own != 0)
    return out


def covered_shares(terms: Sequence[str], subjects: TextTable, which: Sequence[int]) -> np.ndarray:
    """``[covered_share(subject of i, terms) for i in which]``, ``subjects`` being a one-column TextTable:
    a subject that holds none of the words the terms stand for covers 0.0 of them, the others are worked out."""
    held = subjects.holding_any([w for t in terms for w in expansions(t)], 0, which)
    ids, texts, shares = subjects.ids[np.asarray(which, dtype=np.int64), 0], subjects.index.texts, {}
    out = np.zeros(len(ids), dtype=np.float64)
    for k in np.flatnonzero(held):
        sid = int(ids[k])
        if sid not in shares:
            shares[sid] = covered_share(texts[sid], terms)
        out[k] = shares[sid]
    return out


def actor_fits(reading, texts: TextTable, column: int, which: Sequence[int]):
    """``[actor_fit(reading, text) for …]`` (qa.features) for the texts in ``column`` of rows ``which``."""
    if not reading.actors:
        return 0.0
    aliases = vocabulary().actors
    held = texts.holding_any([a for name in reading.actors for a in aliases[name]], column, which)
    return np.where(held, 1.0, -1.0)


def action_fits(reading, segments: tuple[TextTable, int], clauses: tuple[TextTable, int], which: Sequence[int]):
    """``[action_fit(reading, segment, clause) for …]`` (qa.features), each of ``segments`` and ``clauses``
    a table and the column that holds that text."""
    if not reading.actions:
        return 0.0
    actions = vocabulary().actions
    words = [w for name in reading.actions for w in actions[name] if len(w) > 1]
    in_clause = np.where(clauses[0].holding_any(words, clauses[1], which), 0.5, 0.0)
    return np.where(segments[0].holding_any(words, segments[1], which), 1.0, in_clause)


class ChunkSets:
    """The chunks of each row (a sentence's), as positions padded with one past the last chunk."""

    def __init__(self, rows: Sequence[Sequence[int]], chunk_ids: Sequence[int]) -> None:
        self.position = {c: k for k, c in enumerate(chunk_ids)}
        width = max((len(r) for r in rows), default=0)
        self.ids = np.full((len(rows), width), len(self.position), dtype=np.int64)
        for i, row in enumerate(rows):
            self.ids[i, :len(row)] = [self.position[c] for c in row]
        # every row one chunk (a figure's): its value is the best, read without max and padding
        self.single = self.ids[:, 0] if width == 1 and all(len(r) == 1 for r in rows) else None

    def best(self, values: dict, default: float, which: Sequence[int]) -> np.ndarray:
        """``max((values.get(c, default) for c in chunks of row), default=0.0)`` for rows ``which``."""
        per_chunk = np.full(len(self.position) + 1, default, dtype=np.float64)
        per_chunk[-1] = -np.inf  # the padding: never the best of a row that has chunks
        for chunk, value in values.items():
            if chunk in self.position:
                per_chunk[self.position[chunk]] = value
        if self.single is not None:
            return per_chunk[self.single[np.asarray(which, dtype=np.int64)]]
        rows = self.ids[np.asarray(which, dtype=np.int64)]
        best = per_chunk[rows].max(axis=1) if rows.shape[1] else np.full(len(rows), -np.inf)
        return np.where(best == -np.inf, 0.0, best)
