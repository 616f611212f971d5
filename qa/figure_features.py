"""The vector-free features of a question's candidate figures (qa.features.FACT_FEATURES), column by column.

`fact_static` fills every column that needs neither the query vector nor retrieval. It runs for every
figure question on ~60 candidates, so it works a column at a time: a value the question alone decides
is written once, a value that depends on a figure's kind is worked out once per kind, and only what
depends on each figure's own words is computed per figure. Each column holds what the per-pair
functions of qa.features give, in the same order of arithmetic (the fitted weights see the same numbers).

>>> _stated_slots(_Slots(units={"人"}, actors=("公安",), actions=(), counted=(), years=(), months=None))
('unit_fit', 'actor_fit')
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from qa.batchcoverage import action_fits, actor_fits, covered_shares, level_shares, unasked_shares
from qa.candidates import asks_alone
from qa.coverage import expansions
from qa.features import (FACT_FEATURES, KIND_FEATURES, SLOT_FITS, Asked, _lead_over_others, _relatives,
                         kind_ask)
from qa.reading import Reading
from qa.report import ReportView
from qa.vocabulary import vocabulary

_COLUMN = {name: k for k, name in enumerate(FACT_FEATURES)}
_KIND_COLUMNS = [_COLUMN[name] for name in KIND_FEATURES]
_KIND_READ = [(name, KIND_FEATURES.index(name)) for name in ("growth_fit", *SLOT_FITS) if name in KIND_FEATURES]
_Slots = namedtuple("_Slots", "units actors actions counted years months")  # for the doctest


def fact_static(asked: Asked, view: ReportView, candidates: list[int]) -> np.ndarray:
    """FACT_FEATURES rows of the candidates with what needs neither the query vector nor retrieval
    (DENSE_FEATURES are left 0 for `fact_matrix`), the relative columns included."""
    matrix = np.zeros((len(candidates), len(FACT_FEATURES)), dtype=np.float32)
    if not candidates:
        return matrix
    idx = np.asarray(candidates, dtype=np.int64)
    kinds = _kind_rows(asked.reading, view, idx)
    matrix[:, _KIND_COLUMNS] = kinds
    columns = {name: kinds[:, k] for name, k in _KIND_READ}  # the kind columns read again below
    computed = {**_coverage_columns(asked, view, idx),
                **_slot_columns(asked.reading, view, candidates, columns["growth_fit"])}
    for name, values in computed.items():
        if values.__class__ is not float or values != 0.0 or math.copysign(1.0, values) < 0:  # it starts at +0.0
            matrix[:, _COLUMN[name]] = values
    columns.update(computed)
    stated = _stated_slots(asked.reading)
    # sum(max(fit, 0.0) for fit in SLOT_FITS) per figure, added fit by fit as that sum adds them
    lead = np.zeros(len(candidates))
    for name in SLOT_FITS:
        if columns[name].__class__ is not float or columns[name] != 0.0:  # a fit of 0.0 adds +0.0: no sum changes
            lead = lead + np.maximum(np.asarray(columns[name], dtype=np.float64), 0.0)
    unitless = view.figures.unitless[idx]  # a unit asked is no slot unmet by a figure that writes none
    unmet = sum(((np.asarray(columns[fit], dtype=np.float64) <= 0) & ~(unitless if fit == "unit_fit" else False))
                .astype(np.int64) for fit in stated)
    matrix[:, _COLUMN["slot_lead"]] = lead
    matrix[:, _COLUMN["slots_stated"]] = float(len(stated))
    matrix[:, _COLUMN["slots_unmet"]] = np.asarray(unmet, dtype=np.float64) if stated else 0.0
    matrix[:, _COLUMN["slots_all_met"]] = (unmet == 0) if stated else 0.0
    gap = matrix[:, _COLUMN["cov_gap"]]  # the gap to the best candidate (`_relative` over one group)
    matrix[:, _COLUMN["cov_gap"]] = gap - np.fmax.reduce(gap, initial=-np.inf)
    sentences = view.figures.sentence[idx]
    _relatives(matrix, FACT_FEATURES, (("segment_lead", "cov_segment"), ("action_lead", "action_fit"),
                                       ("subject_lead", "subject_cover")), sentences)
    _lead_over_others(matrix, _COLUMN["slot_lead"])
    return matrix


def _coverage_columns(asked: Asked, view: ReportView, candidates: list[int]) -> dict[str, object]:
    """How much of the question each figure's texts cover (qa.coverage, for all candidates at once by
    qa.batchcoverage), and the question's own measures."""
    candidates = np.asarray(candidates, dtype=np.int64)  # once: each measure below indexes with it
    own = level_shares(asked.own, view.fact_texts, candidates)
    top = asked.top_term
    return {
        "cov_segment": own[:, 0], "cov_clause": own[:, 1] - own[:, 0],
        "cov_sentence": own[:, 2] - own[:, 1], "cov_paragraph": own[:, 3] - own[:, 2],
        "cov_gap": own[:, 1],
        "cov_inherited": level_shares(asked.inherited, view.fact_texts, candidates)[:, 2] if asked.inherited else 0.0,
        "has_inherited": float(asked.inherited is not None),
        "unasked": unasked_shares(asked.own, view.own_words, candidates),
        "unknown": asked.own.unknown_weight, "n_terms": math.log1p(len(asked.own.rows)),
        "unknown_nouns": asked.unknown_nouns,
        "top_segment": view.fact_texts.holding_any(top, 0, candidates).astype(np.float64),
        "top_clause": view.fact_texts.holding_any(top, 1, candidates).astype(np.float64),
        "subject_cover": covered_shares(asked.reading.terms, view.subject_texts, candidates),
    }


def _slot_columns(reading: Reading, view: ReportView, candidates: list[int],
                  growth_fit: np.ndarray) -> dict[str, object]:
    """How each figure fits what the question states (actor, action, counted thing, year, month, focus, scope);
    ``growth_fit`` is the kind column of that name (a growth rate of the figure in focus). Column by column
    for all candidates at once (the figures' arrays, qa.figurearrays, and texts, qa.batchcoverage)."""
    fig, idx = view.figures, np.asarray(candidates, dtype=np.int64)
    texts, slots = view.fact_texts, view.slot_texts  # (segment, clause, …) and (actor text, own segment)
    delta_asked = reading.scope == "delta" or reading.asked == "growth"
    # as qa.features.counted_fit gives it
    counted = texts.holding_any([o for c in reading.counted for o in expansions(c)], 0, idx)
    plain_delta = fig.delta[idx] & ~fig.comparison[idx]  # a change written as a bare difference (净增2.1件)
    starts = fig.start[idx].astype(np.float64)
    start_asked = asks_start(reading.text)
    averages = vocabulary().tables["cues"]["unstated"]["average"]
    return {
        "actor_fit": actor_fits(reading, slots, 0, idx),
        # the figure's words with its subject: 3306件5627人 -> 5627人 is 批捕's too (its own segment is bare)
        "action_fit": action_fits(reading, (texts, 0), (texts, 1), idx),
        "action_other": (fig.acting[idx] & ~fig.naming_any(fig.own_actions, reading.actions)[idx]).astype(np.float64)
                        if reading.actions else 0.0,
        "counted_fit": counted.astype(np.float64) if reading.counted else 0.0,
        "counted_missing": (~counted).astype(np.float64) if reading.counted else 0.0,
        "delta_unasked": plain_delta.astype(np.float64) if not delta_asked else 0.0,
        "in_question": _in_question(reading, view, candidates),
        **_focus_columns(reading, view, candidates, growth_fit),
        "year_stated": (fig.dated & fig.dated_in(reading.years))[idx].astype(np.float64)
                       if reading.years else 0.0,
        "month_fit": [float(view.fact_months[i] == reading.months) for i in candidates]
                     if reading.months is not None else 0.0,
        "month_conflict": [float(view.fact_months[i] not in (None, reading.months)) for i in candidates]
                          if reading.months is not None else 0.0,
        "other_year": (fig.dated[idx] & (fig.years[idx] != view.report_year)).astype(np.float64)
                      if not reading.years and view.report_year is not None else 0.0,
        "total_vs_delta": plain_delta.astype(np.float64) if reading.scope == "total" else 0.0,
        "average_missing": (~texts.holding_any(averages, 1, idx)).astype(np.float64) if reading.average else 0.0,
        "asks_total": _unnamed_parts(reading, view, candidates) if reading.scope == "total" else 0.0,
        "own_vs_total": fig.total[idx].astype(np.float64) if asks_alone(reading) else 0.0,
        # the starting figure of a change answers only a question about the start (原来多少)
        "from_unasked": 0.0 if start_asked else starts, "from_fit": starts if start_asked else 0.0,
        **_place_columns(reading, view, candidates),
        **_plan_columns(reading, view, candidates),
    }


def _plan_columns(reading: Reading, view: ReportView, candidates: list[int]) -> dict[str, object]:
    """(plan_fit, plan_unasked): a figure whose sentence states a plan or target (qa/vocab/cues.toml [plan])
    for a question asking one, and for a question that does not."""
    words = vocabulary().tables["cues"]["plan"]
    plan = view.fact_plans[np.asarray(candidates, dtype=np.int64)].astype(np.float64)
    asks = any(w in reading.text for w in words["words"] + words["question"])
    return {"plan_fit": plan if asks else 0.0, "plan_unasked": 0.0 if asks else plan}


def _place_columns(reading: Reading, view: ReportView, candidates: list[int]) -> dict[str, object]:
    """(place_fit, place_missing): whether the figure's sentence names each place the question names other
    than the report's own region (庆阳市地区生产总值 is not the province's); both 0 when it names none."""
    from qa.vocabulary import vocabulary

    suffixes = sorted(vocabulary().place_suffixes, key=len, reverse=True)

    def bare(place: str) -> str:  # 庆阳市 is written 庆阳 too
        return next((place[:-len(s)] for s in suffixes if place.endswith(s) and len(place) - len(s) >= 2), place)

    places = [p for p in reading.places if not view.is_home(p) and not view.is_home(bare(p))]
    if not places:
        return {"place_fit": 0.0, "place_missing": 0.0}
    named = np.ones(len(candidates), dtype=bool)
    for place in places:
        named &= view.fact_texts.holding_any(list(dict.fromkeys([place, bare(place)])), 2, candidates)
    return {"place_fit": named.astype(np.float64), "place_missing": (~named).astype(np.float64)}


def _unnamed_parts(reading: Reading, view: ReportView, candidates: list[int]) -> list[float]:
    """1 for a part of a total (scope part) unless the question names what sets it apart from its total: a
    word of its subject its total's subject lacks. 湘西州一共多少件 asks 湘西州's own total, which the table
    writes as a part of the province's; 专利一共授权多少 is not answered by 其中发明专利….

    The words are the question's terms with their synonyms (qa.coverage.expansions)."""
    words = [o for t in reading.terms for o in expansions(t)]
    by_id = view.layout.by_id

    def unnamed(f) -> bool:
        whole = getattr(by_id.get(f.parent_fact_id), "subject", "")
        return not any(w in f.subject and w not in whole for w in words)

    return [float(f.scope == "part" and unnamed(f)) for f in map(view.facts.__getitem__, candidates)]


def _in_question(reading: Reading, view: ReportView, candidates: list[int]):
    """Whether the question itself writes the figure's number (two digits or more)."""
    numbers = [n for n in reading.numbers if len(n) > 1]
    if not numbers:
        return 0.0
    return [float(any(n in view.facts[i].figure_text for n in numbers)) for i in candidates]


def _focus_columns(reading: Reading, view: ReportView, candidates: list[int], growth_fit: np.ndarray) -> dict:
    """The figure the last answer gave (a follow-up's focus): the same one, one linked to it, one of its
    sentence, its growth rate. All 0 without a focus."""
    names = ("focus_same", "focus_linked", "focus_sentence", "focus_growth")
    if not reading.focus:
        return dict.fromkeys(names, 0.0)
    layout, facts = view.layout, [view.facts[i] for i in candidates]
    focus = set(reading.focus)
    focus_ids = {f.id for f in view.facts if f.figure_text in focus}
    focus_sentences = {layout.sentence_of[i].start for i in focus_ids}
    focus_bases = {layout.by_id[i].base_fact_id for i in focus_ids}
    return {
        "focus_same": [float(f.id in focus_ids) for f in facts],
        "focus_linked": [float(f.base_fact_id in focus_ids or f.id in focus_bases
                               or view.change_pairs.get(f.id) in focus_ids) for f in facts],
        "focus_sentence": [float(layout.fact_sentences[i].start in focus_sentences) for i in candidates],
        "focus_growth": [float(f.base_fact_id in focus_ids and g > 0) for f, g in zip(facts, growth_fit)],
    }


def asks_start(text: str) -> bool:
    """Whether a question asks for the starting figure of a change (原来多少, 由多少, 当初).

    >>> asks_start("原来有多少家"), asks_start("到了多少")
    (True, False)
    """
    return any(w in text for w in vocabulary().cues("start", "words"))


def _kind_rows(reading: Reading, view: ReportView, candidates: list[int]) -> np.ndarray:
    """The KIND_FEATURES of each figure (qa.features.kind_features), worked out once per kind of figure
    and what the question asks (questions ask alike: most rows are read back)."""
    return view.figures.kind_table(kind_ask(reading))[view.figures.kind_of[np.asarray(candidates, dtype=np.int64)]]


def _stated_slots(reading: Reading) -> tuple[str, ...]:
    """The fit feature of each slot the question states (units, actors, actions, counted thing, years,
    months)."""
    slots = ((reading.units, "unit_fit"), (reading.actors, "actor_fit"), (reading.actions, "action_fit"),
             (reading.counted, "counted_fit"), (reading.years, "year_stated"), (reading.months is not None, "month_fit"))
    return tuple(fit for asked, fit in slots if asked)
