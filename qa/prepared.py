"""What deciding needs before the query vector: out of scope or not, figures or a sentence, and per part
the candidate figures and their vector-free features (`qa.figure_features.fact_static`).

The answer path's stage between reading and scoring; `Decider.decide` finishes it with the vector and
retrieval. (Running it on a second thread while the query is embedded was tried: on this 2-core machine
the encoder slowed by as much as the overlap saved, 11.8 against 11.5 ms per question, so it is not.)

>>> from types import SimpleNamespace
>>> wants_figure(SimpleNamespace(asked="count", operation="value", threshold=None, measure=""))
True
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from qa.candidates import fact_candidates
from qa.coverage import QueryTerms
from qa.features import Asked
from qa.figure_features import fact_static
from qa.labels import other_edition
from qa.reading import Reading
from qa.report import ReportView

FIGURE_ASKED = ("count", "money", "percent", "growth", "rank", "ratio", "duration")
UNREAD_UNKNOWN = 0.5  # share of a cue-less question's weight in words the report never uses that makes it unread


@dataclass(frozen=True)
class PartWork:
    """One part of a question: the figures that may answer, what conflicts excluded, the question's terms
    weighed by the report (no vector yet) and each candidate's vector-free features."""

    candidates: list[int]
    excluded: dict[str, int]
    asked: Asked
    static: np.ndarray

    @classmethod
    def of(cls, reading: Reading, view: ReportView) -> "PartWork":
        candidates, excluded = fact_candidates(reading, view)
        asked = Asked.build(reading, view, None)
        return cls(candidates, excluded, asked, fact_static(asked, view, candidates))


@dataclass(frozen=True)
class Prepared:
    """A refusal reason found before scoring, or whether figures are asked and each part's work."""

    reason: str = ""
    figures: bool = False
    parts: tuple[PartWork, ...] = ()
    tentative: bool = False  # figures only if one is sure enough, else a sentence (a question with no question word)


def with_report_years(reading: Reading, view: ReportView) -> Reading:
    """今年 and 去年 as the report's years: a report that reviews one year and plans the next (a work report
    of 2026) calls the plan's year 今年 and the review's 去年; a question naming a year keeps it, and a
    report about one year leaves both words as they are (`ReportView.current_year`).

    >>> from types import SimpleNamespace as NS
    >>> r = Reading(question="", text="", now_offset=-1, parts=(Reading(question="", text="", now_offset=0),))
    >>> out = with_report_years(r, NS(current_year=2026))
    >>> out.years, out.parts[0].years
    ((2025,), (2026,))
    """
    now = view.current_year
    if now is None:
        return reading
    parts = tuple(with_report_years(p, view) for p in reading.parts)
    years = reading.years or ((now + reading.now_offset,) if reading.now_offset is not None else ())
    return replace(reading, years=years, parts=parts)


def prepare(reading: Reading, view: ReportView) -> Prepared:
    reason = out_of_scope(reading, view)
    if reason:
        return Prepared(reason)
    if not wants_figure(reading):
        if may_want_figure(reading):
            # a measure named with no question word (每万人口发明专利拥有量？) asks its amount: scored as a
            # count, so its value beats its rank (居全国第六) and its increment (净增2.1件) written beside it
            return Prepared("", True, (PartWork.of(replace(reading, asked="count"), view),), tentative=True)
        return Prepared()
    return Prepared("", True, tuple(PartWork.of(p, view) for p in reading.parts or (reading,)))


def may_want_figure(reading: Reading) -> bool:
    """A question with no question word at all (制造业质量竞争力指数？, 高标准农田建设任务？) names a measure:
    answered with its figure when one is sure enough, else with a sentence."""
    return not reading.cues and reading.operation == "value" and not reading.parts and reading.asked == "text"


def wants_figure(reading: Reading) -> bool:
    """Whether a question is answered with figures (else with a sentence)."""
    return (reading.asked in FIGURE_ASKED or reading.operation in ("compare", "difference", "sum", "most", "least")
            or reading.threshold is not None or bool(reading.measure))


def out_of_scope(reading: Reading, view: ReportView) -> str:
    """A reason the report cannot answer, found before any scoring ("" if none)."""
    text = view.document.text
    for place in reading.places:  # 天津海关 is local (天津 is in the report), 上海海关 is not
        if place not in text and place[:2] not in text:
            return f"这份报告只涉及本地区的工作，没有提到“{place}”。"
    terms = QueryTerms.build(reading.all_terms, view.stats)
    if terms.rows and len(terms.unknown) == len(reading.all_terms) and not reading.actors and not (
            reading.measure and reading.measure in text):
        # not one word of the question is in the report, in any form; a measure word it writes (亩, 公顷)
        # leaves it to scoring: 庄稼种了多少亩 names 农作物 in everyday words only
        return "报告中没有与这个问题相关的内容。"
    asks = reading.cues or reading.parts or reading.followup or reading.operation != "value"
    if not asks and terms.unknown_weight >= UNREAD_UNKNOWN:
        # no question word and mostly words the report never uses: an instruction, not a question
        return "没有看懂要问什么：请用问句提问，例如：“海关扣留了多少侵权货物？”"
    asked, written = other_edition(reading.text, text)
    if asked:
        return f"报告写的是“{written}”，没有“{asked}”的数据。"
    if reading.relative_year:
        known = "、".join(str(y) for y in sorted(view.fact_years)) or "其他年份"
        return f"报告中的数字是{known}年的，没有“{reading.relative_year}”的数据。"
    for year in (*reading.years, *reading.base_years):
        if str(year) not in text:
            known = "、".join(str(y) for y in sorted(view.fact_years)) or "其他年份"
            return f"这份报告没有{year}年的数据（报告中的数字是{known}年的）。"
    return ""
