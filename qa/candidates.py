"""Candidates for an answer: the report's figures and sentences worth scoring, and hard conflicts.

A figure is excluded only when the question and the figure state conflicting slots: another
year, another action of the same report (新收 asked, 审结 written), another facet of the same
measure (进口 asked, 出口 written), another label of a series (第22届 asked, 第21届 written), or a
measure word of another unit group (多少人 asked, 件 written). A change for a stock and a stock for a net
change are checked on the figure chosen (`change_mismatch`): excluding them beforehand would leave a lone
rival verified with no margin against it. Everything softer is a feature.

>>> from qa.reader import read
>>> unit_conflict(read("抓了多少人"), "件", "count"), unit_conflict(read("抓了多少人"), "名", "count")
(True, False)
>>> unit_conflict(read("下发了几条规则"), "件", "count")
False
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np

from qa.features import is_growth
from qa.placenames import place_conflict
from qa.rankfit import rank_conflicts
from qa.scalefit import asked_scale, scale_conflict
from qa.reading import DIGITS, Reading
from qa.report import ReportView
from qa.retrieval import RetrievalResult
from qa.slots import numerals_to_digits
from qa.vocabulary import alternation, vocabulary

@dataclass(frozen=True)
class RetrievalView:
    """Per chunk id: the share of the top fused score, and the rank (0 = first)."""

    share: dict[int, float]
    rank: dict[int, int]

    @classmethod
    def of(cls, retrieved: RetrievalResult) -> "RetrievalView":
        top = max((h.score for h in retrieved.hits), default=0.0) or 1.0
        return cls({h.chunk.id: h.score / top for h in retrieved.hits},
                   {h.chunk.id: r for r, h in enumerate(retrieved.hits)})


def unit_conflict(reading: Reading, unit: str, kind: str) -> bool:
    """A measure word was written and the figure counts in another class of unit (people, money,
    percent, duration, things): 多少人 is never answered in 件; 几条 may be answered in 件."""
    if not reading.measure or kind == "rank":
        return False
    return vocabulary().unit_class(reading.measure) != written_class(unit, kind)  # 净增了多少件？ is not a growth rate


def written_class(unit: str, kind: str) -> str:
    """The class of unit a figure counts in, as `unit_conflict` compares it with the measure word's."""
    return "money" if kind == "money" else "percent" if kind in ("growth_rate", "percent") else vocabulary().unit_class(unit)


def year_conflict(reading: Reading, fact_year: int | None) -> bool:
    return bool(reading.years) and fact_year is not None and fact_year not in reading.years


@lru_cache(maxsize=1)
def _base_patterns() -> dict[str, tuple[re.Pattern, re.Pattern]]:
    """Per base period (qa/vocab/extraction.toml [base_periods]): (in a figure's comparison, in a question:
    after an opener, or 同比/环比 alone)."""
    table = vocabulary().extraction("base_periods")
    openers = alternation(vocabulary().extraction("base_openers") + table["question_openers"])
    out = {}
    for period in ("month", "year"):
        written = alternation(table[period]) + (r"|(?:19|20)\d\d年" if period == "year" else "")
        alone = alternation(w for w in table[period] if w.endswith("比"))
        out[period] = (re.compile(written), re.compile(f"(?:{openers})(?:{written})|{alone}"))
    return out


def base_period(text: str, *, question: bool = False) -> str:
    """The period a comparison steps back by: "month" (比上月, 环比, 比一季度), "year" (同比, 比上年, 较2019年) or "".
    A figure's comparison is read month first (比上年同月 is a year back); a question only when it names one.

    >>> base_period("比上月增长"), base_period("比上年同月加快"), base_period("较2019年增长"), base_period("增长")
    ('month', 'year', 'year', '')
    >>> base_period("4月份工业增加值比去年涨了多少", question=True), base_period("一季度增长多少", question=True)
    ('year', '')
    """
    found = [period for period, (written, asked) in _base_patterns().items()
             if (asked if question else written).search(text)]
    if question:
        return found[0] if len(found) == 1 else ""
    return found[0] if found else ""


def asks_alone(reading: Reading) -> bool:
    """The question asks one member's own figure (东丽区单独获得多少: cues.toml [scope] own)."""
    return any(w in reading.text for w in vocabulary().tables["cues"]["scope"]["own"])


def asks_share(reading: Reading) -> bool:
    """The question asks what part of a whole something is (占全部投资的几成, 比重是多少: the extractor's share
    markers, qa/vocab/extraction.toml) and not how it changed: a growth rate never answers it.

    >>> from qa.reader import read
    >>> asks_share(read("民间投资占了总投资的几成？")), asks_share(read("民间投资增长了多少？"))
    (True, False)
    >>> asks_share(read("民间投资占全部投资的比重提高了多少？"))
    False
    """
    return (reading.asked == "percent" and reading.operation == "value" and "growth" not in reading.cues
            and any(w in reading.text for w in vocabulary().extraction("share_markers")))


def stated_conflict(reading: Reading, figure_text: str) -> bool:
    """The question asks for a value and itself states this figure's number (公安抓的564个人最后判了几个？):
    the figure it states is what it asks about, never the answer. A yes/no threshold (是否在500篇以上),
    an operation on the figure (立了237起，还有多少起没破) and one-digit numbers are not such statements.

    >>> from types import SimpleNamespace as R
    >>> stated_conflict(R(operation="value", threshold=None, numbers=("564",)), "564名")
    True
    >>> stated_conflict(R(operation="difference", threshold=None, numbers=("237",)), "237起")
    False
    """
    if reading.operation != "value" or reading.threshold is not None:
        return False
    number = leading_number(figure_text)
    return len(number) > 1 and number in reading.numbers


def leading_number(figure_text: str) -> str:
    """The digits a figure is written with first ("" when it opens with none)."""
    number = DIGITS.match(figure_text)
    return number.group() if number is not None else ""


def action_conflict(firm: set[str], written: tuple[str, ...], clause_actions: tuple[str, ...]) -> bool:
    """The question names an action in the report's own word for it (审结, not the everyday 判 or
    收了, which may mean several things); the figure's own words name only other actions."""
    if not firm or not written:
        return False
    return not (firm & (set(written) | set(clause_actions)))


def facet_conflict(asked: frozenset, written: frozenset) -> bool:
    """A family of facets the question names (进口) that the figure's words name only otherwise (出口).

    >>> facet_conflict(frozenset({("trade", "进口")}), frozenset({("trade", "出口")}))
    True
    >>> facet_conflict(frozenset({("trade", "进口"), ("trade", "出口")}), frozenset({("trade", "出口")}))
    False
    >>> facet_conflict(frozenset({("trade", "进口")}), frozenset({("flow", "收入")}))
    False
    """
    shared = {f for f, _ in asked} & {f for f, _ in written}
    return any(not any((g, n) in written for g, n in asked if g == f) for f in shared)


@lru_cache(maxsize=4096)
def ordinal_labels(text: str) -> frozenset[tuple[str, str]]:
    """(counter, number) of the ordinal labels a text names, numerals as digits (counters in qa/vocab/cues.toml
    [ordinal_labels]); compared with `facet_conflict`, the counter as the family.

    >>> sorted(ordinal_labels("第二十一届中国专利奖和第3批试点")), ordinal_labels("居全国第六")
    ([('届', '21'), ('批', '3')], frozenset())
    """
    counters = alternation(vocabulary().tables["cues"]["ordinal_labels"]["counters"])
    return frozenset((m.group(2), m.group(1)) for m in re.finditer(f"第(\\d+)({counters})", numerals_to_digits(text)))


ANY_KIND = "*"  # in a figure's wholes: a total whose parts (其中…) name kinds of the family, itself none of them


def total_of_facets(asked: frozenset, subject: frozenset) -> bool:
    """The question names one facet of a family and the figure's subject (`facet_sets`) names several of it,
    that one among them: the figure is their total (新收民事、刑事、行政案件9079件), not the one asked (民事案件多少件).

    >>> total_of_facets(frozenset({("case", "民事")}), frozenset({("case", "民事"), ("case", "刑事")}))
    True
    >>> total_of_facets(frozenset({("case", "民事"), ("case", "刑事")}), frozenset({("case", "民事"), ("case", "刑事")}))
    False

    A total whose parts name kinds of a family (有效专利24.6万件，其中有效发明专利38152件) is none of them either:
    asked 实用新型, it is the total of every kind, not that one.

    >>> total_of_facets(frozenset({("patent", "实用新型")}), frozenset({("patent", ANY_KIND)}))
    True
    """
    for family in {f for f, _ in asked}:
        named = {n for f, n in asked if f == family}
        written = {n for f, n in subject if f == family}
        if len(named) == 1 and (len(written) >= 2 and named <= written or ANY_KIND in written):
            return True
    return False


def change_mismatch(reading: Reading, view: ReportView, chosen: int) -> str:
    """Why figure ``chosen`` cannot answer a question about a stock or a net change ("" when it can): a stock as it
    stands (现在总共有多少家分中心, words of qa/vocab/cues.toml [stock]) is never answered with an increment (新增4家);
    a net change (净增了多少, [net_change]) never with a stock (达到28.9万件). The figure a change reaches
    (增加到1112.4亿元) is a stock."""
    if reading.operation != "value":
        return ""
    fact = view.facts[chosen]
    delta = view.layout.is_delta[chosen] and fact.role != "to"
    if any(w in reading.text for w in vocabulary().cues("net_change", "words")):
        return "" if delta else "报告没有写出这一项的净增数，只写了总数。"
    if (reading.asked in ("count", "money") and reading.scope != "delta" and delta
            and any(w in reading.text for w in vocabulary().cues("stock", "words"))):
        return f"报告只写了新增的数量（{fact.figure_text}），没有写现有的总数。"
    return ""


def firm_actions(reading: Reading, text: str) -> set[str]:
    """Actions the question names with a word the report itself uses."""
    return {action for word, action in reading.action_words if word in text}


def _written_for(view, i: int, find, *, subject: bool = False):
    """What `find` reads for a figure: in its segment (and subject), else its base figure's (a growth
    rate), else in its clause before it (批准逮捕103件179人: 179人 is counted by 批准逮捕 too)."""
    layout, fact = view.layout, view.facts[i]

    def own(f) -> str:
        return layout.segments[f.id] + (f.subject if subject else "")

    found = find(own(fact))
    base = layout.by_id.get(fact.base_fact_id)
    if not found and base is not None:
        found = find(own(base))
    if not found:
        start, _ = layout.clauses[fact.id]
        found = find(view.document.text[start:fact.start])
    return found


def fact_actions(view, i: int) -> tuple[str, ...]:
    """Actions written for a figure (see `_written_for`)."""
    return _written_for(view, i, vocabulary().actions_in)


def facet_sets(view, i: int, parts: Sequence[int] = ()) -> tuple[frozenset, frozenset]:
    """(facets, wholes) of a figure. Its facets: those written for it, its subject included (see `_written_for`),
    else its sentence's — a figure named by no facet in a sentence about 专利 only (运营收入合同金额… 专利质押融资…)
    is no 商标 figure. The facets it may be the total of (`total_of_facets`): those its subject names, else, when
    its own words name none, its sentence's (审结8820件 after 新收民事、刑事、行政案件9079件); not its segment's, for
    a list item's segment names every item (专利、商标案件分别为120件…) and its subject only its own. A total
    whose ``parts`` (其中…, by their subjects) name kinds of a family its own words do not is the total over
    that family's kinds (`ANY_KIND`)."""
    v = vocabulary()
    written = _written_for(view, i, v.facets_in, subject=True)
    sentence = frozenset() if written else v.facets_in(view.layout.sentence_of[view.facts[i].id].text)
    own = {f for f, _ in written}
    over = {(f, ANY_KIND) for j in parts for f, _ in v.facets_in(view.facts[j].subject) if f not in own}
    return written or sentence, (v.facets_in(view.facts[i].subject) or sentence) | over


def conflict(reading: Reading, view: ReportView, i: int, firm: set[str] | None = None,
             facets: frozenset | None = None) -> str:
    """Why figure ``i`` cannot answer ``reading`` ("" when it can)."""
    fact = view.facts[i]
    firm = firm_actions(reading, view.document.text) if firm is None else firm
    facets = vocabulary().facets_in(reading.text) if facets is None else facets
    if year_conflict(reading, fact.year):
        return "year"
    if unit_conflict(reading, fact.unit, fact.kind):
        return "unit"
    if action_conflict(firm, view.fact_actions[i], view.clause_actions[i]):
        return "action"
    if facets and (facet_conflict(facets, view.fact_facets[i]) or total_of_facets(facets, view.whole_facets[i])):
        return "facet"
    if stated_conflict(reading, fact.figure_text):
        return "stated"
    labels = ordinal_labels(reading.text)
    if labels and facet_conflict(labels, view.fact_ordinals[i]):
        return "label"
    if asks_share(reading) and is_growth(fact.kind, fact.comparison):
        return "share"
    asked = base_period(reading.text, question=True)
    if asked and base_period(fact.comparison or "") not in ("", asked):
        return "base"
    places = view.asked_places(reading.terms)
    if places and place_conflict(places, *view.fact_places[i], alone=asks_alone(reading)):
        return "place"
    ranks = rank_conflicts(reading, view)
    if ranks is not None and ranks[i]:
        return "rank"
    if scale_conflict(asked_scale(reading.text), fact.scale_text):
        return "scale"
    return ""


CONFLICTS = ("year", "unit", "action", "facet", "stated", "label", "share", "base", "place", "rank",
             "scale")  # in `conflict`'s order


def conflict_codes(reading: Reading, view: ReportView, firm: set[str]) -> np.ndarray:
    """Per figure, 1 + the index in CONFLICTS of the first conflict `conflict` finds, or 0 for none, for all
    figures at once from their arrays (qa.figurearrays)."""
    fig = view.figures
    found: list[np.ndarray | None] = [None] * len(CONFLICTS)  # None: no figure has that conflict
    if reading.years:
        found[0] = fig.dated & ~fig.dated_in(reading.years)
    if reading.measure:
        found[1] = ~fig.rank & (fig.classes != vocabulary().unit_class(reading.measure))
    if firm:
        found[2] = fig.acting & ~fig.naming_any(fig.actions, firm)
    facets = vocabulary().facets_in(reading.text)  # precise words: no need for the report to use them
    if facets:
        found[3] = fig.facet_conflicts(facets)
    numbers = [x for x in reading.numbers if len(x) > 1]
    if reading.operation == "value" and reading.threshold is None and numbers:
        found[4] = fig.naming_any(fig.leading, numbers)
    labels = ordinal_labels(reading.text)
    if labels:
        found[5] = fig.ordinal_conflicts(labels)
    if asks_share(reading):
        found[6] = fig.changing
    asked = base_period(reading.text, question=True)
    if asked:
        found[7] = (fig.base_periods != "") & (fig.base_periods != asked)
    places = view.asked_places(reading.terms)
    if places:
        alone = asks_alone(reading)
        found[8] = np.array([place_conflict(places, *named, alone=alone) for named in view.fact_places], dtype=bool)
    found[9] = rank_conflicts(reading, view)
    scale = asked_scale(reading.text)
    if scale is not None:
        found[10] = fig.scales < scale  # as scale_conflict
    codes = np.zeros(len(fig.years), dtype=np.int64)
    for code in range(len(CONFLICTS), 0, -1):  # the first conflict in CONFLICTS' order is written last
        if found[code - 1] is not None:
            codes[found[code - 1]] = code
    return codes


def fact_candidates(reading: Reading, view: ReportView) -> tuple[list[int], dict[str, int]]:
    """Figures that may answer (indices into view.facts) and how many each conflict excluded (the
    conflicts in the order figures first show them), as `conflict` finds them figure by figure."""
    codes = conflict_codes(reading, view, firm_actions(reading, view.document.text))
    excluded: dict[str, int] = {}
    for code in codes[codes > 0].tolist():
        why = CONFLICTS[code - 1]
        excluded[why] = excluded.get(why, 0) + 1
    # every figure without a conflict: a cap here once kept the first 400 in reading order, so no question
    # could reach the figures past them in a long report (a national communiqué has 858)
    return np.flatnonzero(codes == 0).tolist(), excluded


def sentence_candidates(view: ReportView) -> list[int]:
    return list(range(len(view.sentences)))
