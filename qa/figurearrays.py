"""What the answer path compares with a question, for each of a report's figures, as arrays.

Built once per report (ReportView.figures): the hard conflicts (qa.candidates.fact_candidates) and
the slot features (qa.figure_features) then compare a question with every candidate at once instead
of reading each figure's fields in a Python loop.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from qa.candidates import ANY_KIND, base_period, leading_number, written_class
from qa.features import is_growth
from qa.scalefit import scale_factor


def _flags(values) -> np.ndarray:
    return np.fromiter((bool(v) for v in values), dtype=bool)


def _naming(action_lists, size: int) -> dict[str, np.ndarray]:
    """Per action: which figures' lists name it."""
    out: dict[str, np.ndarray] = {}
    for i, names in enumerate(action_lists):
        for name in set(names):
            out.setdefault(name, np.zeros(size, dtype=bool))[i] = True
    return out


class FigureArrays:
    """Per figure (index into view.facts): year, unit class, actions, leading number, change and scope."""

    def __init__(self, view) -> None:
        facts, n = view.facts, len(view.facts)
        self.years = np.array([f.year if f.year is not None else -1 for f in facts], dtype=np.int64)
        self.dated = _flags(f.year is not None for f in facts)
        self.rank = _flags(f.kind == "rank" for f in facts)
        self.classes = np.array([written_class(f.unit, f.kind) for f in facts], dtype=object)
        self.leading = _naming([(leading_number(f.figure_text),) for f in facts], n)  # per number: figures it leads
        self.acting = _flags(view.fact_actions)  # the figure's own words name an action
        self.own_actions = _naming(view.fact_actions, n)
        self.actions = _naming([(*a, *c) for a, c in zip(view.fact_actions, view.clause_actions)], n)
        self.facets = _naming(view.fact_facets, n)  # per (family, facet): the figures whose words name it
        self.families = _naming([{family for family, _ in fs} for fs in view.fact_facets], n)
        self.wholes = _naming(view.whole_facets, n)  # per (family, facet): figures that may be a total over it
        self.ordinals = _naming(view.fact_ordinals, n)  # per (counter, number): 第21届 in the figure's sentence
        self.counters = _naming([{counter for counter, _ in ls} for ls in view.fact_ordinals], n)
        self.whole_counts = {family: sum(a.astype(np.int64) for (f, k), a in self.wholes.items()
                                     if f == family and k != ANY_KIND)
                             for family in {f for f, _ in self.wholes}}
        self.delta = _flags(view.layout.is_delta)
        self.comparison = _flags(f.comparison for f in facts)
        self.changing = _flags(is_growth(f.kind, f.comparison) for f in facts)  # a rate of change
        self.base_periods = np.array([base_period(f.comparison or "") for f in facts], dtype=object)  # 比上月: month
        self.start = _flags(f.role == "from" for f in facts)  # 从874.6亿元增加到1112.4亿元: the starting figure
        self.unitless = _flags(not f.unit for f in facts)  # a table's cell: no unit written, none missed
        self.scales = np.array([scale_factor(f.scale_text) for f in facts], dtype=np.float64)  # 亿 -> 1e8
        self.part = _flags(f.scope == "part" for f in facts)
        self.total = _flags(f.scope == "total" for f in facts)
        self.sentence = np.array(view.fact_sentence, dtype=np.int64)
        kinds: dict[tuple, int] = {}  # (kind, unit, comparison), what the kind features read of a figure
        self.kind_of = np.array([kinds.setdefault((f.kind, f.unit, f.comparison), len(kinds)) for f in facts],
                                dtype=np.int64)
        self.kinds = tuple(kinds)
        self.kind_table = lru_cache(maxsize=256)(self._kind_table)

    def _kind_table(self, ask: tuple) -> np.ndarray:
        """qa.features.kind_row of each kind of figure (rows in `kinds` order) for one `kind_ask`."""
        from qa.features import KIND_FEATURES, kind_row

        table = np.array([kind_row(ask, *kind) for kind in self.kinds], dtype=np.float64)
        table = table.reshape(len(self.kinds), len(KIND_FEATURES))
        table.flags.writeable = False
        return table

    def naming_any(self, table: dict[str, np.ndarray], names) -> np.ndarray:
        """Which figures' actions (``table``: own_actions or actions) include one of ``names``."""
        out = np.zeros(len(self.years), dtype=bool)
        for name in names:
            if name in table:
                out |= table[name]
        return out

    def dated_in(self, years) -> np.ndarray:
        """Which figures are dated one of ``years`` (``np.isin(self.years, years)``)."""
        out = np.zeros(len(self.years), dtype=bool)
        for year in years:
            out |= self.years == year
        return out

    def facet_conflicts(self, asked: frozenset) -> np.ndarray:
        """Per figure, `facet_conflict` or `total_of_facets` (qa.candidates) for the facets ``asked``."""
        none = np.zeros(len(self.years), dtype=bool)
        out = _others(asked, self.facets, self.families, none)
        for family in {f for f, _ in asked}:
            named = [x for x in asked if x[0] == family]
            if len(named) == 1 and family in self.whole_counts:
                out |= (self.whole_counts[family] >= 2) & self.wholes.get(named[0], none)
            if len(named) == 1:  # a total over every kind of the family (ANY_KIND)
                out |= self.wholes.get((family, ANY_KIND), none)
        return out

    def ordinal_conflicts(self, asked: frozenset) -> np.ndarray:
        """Per figure, `facet_conflict` (qa.candidates) for the ordinal labels ``asked`` (第22届)."""
        return _others(asked, self.ordinals, self.counters, np.zeros(len(self.years), dtype=bool))


def _others(asked: frozenset, named: dict[tuple, np.ndarray], families: dict[str, np.ndarray],
            none: np.ndarray) -> np.ndarray:
    """Figures that name a family ``asked`` names, but none of its members asked (出口 written, 进口 asked)."""
    out = none.copy()
    for family in {f for f, _ in asked}:
        members = [named.get(x, none) for x in asked if x[0] == family]
        out |= families.get(family, none) & ~np.logical_or.reduce(members)
    return out
