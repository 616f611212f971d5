"""The time a figure refers to: a year, or a period (2016年以来, 近五年, 截至2020年底, 1-4月份).

The rules are about how reports date their figures, never about one report:

* the time written nearest before a figure in its sentence dates it: a calendar year (not a
  comparison base such as 较2019年), a period (`qa.labels.find_periods`), or a word for the
  report's present (目前, 现在, 今年 -> the report year);
* a period over several years (2016年以来, 近五年, 2013年至2017年) is kept as the period and the
  year is None: the figure is no single year's, so a question about one year must not take it
  (None never conflicts with a year a question names, a report year would);
* a period dated by its end (截至2020年底) has that year; a period inside one year (1-4月份,
  上半年, 一年来) has the year written in it, else the year written before it in the
  paragraph, else the report year;
* without a time in the sentence: 全年 -> the report year; else the last time written earlier
  in the paragraph (a period or "now" only when it opens its clause: 五年来，… dates what follows,
  均创5年来新高 does not); else the report year.

>>> def times(text, year=2021):
...     spans = passage_times(text, year)
...     return [(text[q.start:q.end], time_of(spans, text, 0, q.start, year)) for q in find_quantities(text)]
>>> times("2016年以来累计办理案件980件，截至2020年底有效专利3万件，1-4月份受理120件")
[('980件', (None, '2016年以来')), ('3万件', (2020, '截至2020年底')), ('120件', (2021, '1-4月份'))]
>>> times("从2015年的300家增长到目前的1200家，与上年同期相比增长10%")
[('300家', (2015, '')), ('1200家', (2021, '')), ('10%', (2021, ''))]
"""

from __future__ import annotations

import re
from collections import Counter
from typing import NamedTuple

from index.corpus import Document
from qa.labels import find_periods, find_years
from qa.numbers import find_quantities  # noqa: F401  (used by the doctest)
from qa.vocabulary import alternation, vocabulary

_CLAUSE_BREAK = re.compile(r"[，。；：,;:！？!?]")
_YEAR_OF = re.compile(r"((?:19|20)\d\d)年的$")
_HEADLINE = re.compile(r"[^。！？!?]{1,60}")  # a title line: short, no sentence end


class Time(NamedTuple):
    """A time written in a paragraph: where, the year it gives and the period it names ("" for a year)."""

    start: int
    end: int
    year: int | None
    period: str
    opens: bool = True  # a clause of its own at the head of a sentence: it may date the sentences after it too
    within: bool = False  # a span inside one year: it dates flows (新增, 授权), not stocks (有效专利, 总量)


def report_year(document: Document) -> int | None:
    """The year a report is about: the first year of its headline or of its first sentence; else the
    year most of its years are (more than half of them); else None (a review of a decade, a news item
    about several years: no one year dates what it does not date itself).

    >>> from index.corpus import parse_document
    >>> report_year(parse_document("市场监管十年回顾\\n市场主体快速增长。2012年起步，2018年改革，2021年见效。\\n", doc_id="d")) is None
    True
    """
    passages = document.passages
    heads = [_first_sentence(passages[0].text)] if passages else []
    if heads and _HEADLINE.fullmatch(passages[0].text) and len(passages) > 1:
        heads.append(_first_sentence(passages[1].text))
    for text in heads:
        years = [y for y in find_years(text) if not y.is_base]
        if years:
            return years[0].year
    counts = Counter(y.year for y in find_years(document.text) if not y.is_base)
    if counts:
        year, n = counts.most_common(1)[0]
        if n * 2 > sum(counts.values()):
            return year
    return None


HEADING_CHARS = 20  # a section heading is a short line; a longer one without a full stop is a title or lead


def heading_year(text: str) -> int | None:
    """The year a section heading dates what follows it ("2021年工作回顾" in a work report given in 2022),
    None for any other line (a sentence, a date such as 2022年2月28日, a heading without a year).

    >>> [heading_year(t) for t in ("2021年工作回顾", "二、2022年工作安排", "2022年2月28日", "全年出生人口1062万人。")]
    [2021, 2022, None, None]
    >>> [heading_year(t) for t in ("“十四五”时期工作回顾", "“十五五”时期的主要目标任务")]
    [2025, None]
    """
    if len(text) > HEADING_CHARS or not _HEADLINE.fullmatch(text):
        return None
    years = [y for y in find_years(text) if not y.is_base]
    if not years:
        return _plan_review_year(text)
    if len(years) != 1 or re.match(r"\s*\d{1,2}月", text[years[0].end:]):
        return None
    return years[0].year


def opening_year(text: str) -> int | None:
    """The year a section's first paragraph opens with (2025年是“十四五”收官之年, 2025年，全省…): in a work
    report given in 2026 it dates the review that follows, paragraph by paragraph, up to the next section.

    >>> [opening_year(t) for t in ("2025年是收官之年。", "2025年，全省增长5%。", "2025年1月发布。", "全省2025年增长5%。")]
    [2025, 2025, None, None]
    """
    years = [y for y in find_years(text) if not y.is_base]
    if not years or years[0].start != 0 or text[years[0].end:years[0].end + 1] not in vocabulary().extraction("opening_year_after"):
        return None
    return years[0].year


def plan_heading(text: str) -> bool:
    """Whether a line is a heading naming a five-year plan (“十五五”时期的主要目标任务): it ends what the
    heading before it dated, whether or not it dates what follows."""
    plans = vocabulary().extraction("plan_periods")
    return len(text) <= HEADING_CHARS and bool(_HEADLINE.fullmatch(text)) and any(p in text for p in plans)


def _plan_review_year(heading: str) -> int | None:
    """The last year of the one five-year plan a review heading names (“十四五”时期工作回顾 -> 2025)."""
    v = vocabulary().extraction
    plans = [year for name, year in v("plan_periods").items() if name in heading]
    reviews = any(w in heading for w in v("review_words"))
    return plans[0] if len(plans) == 1 and reviews else None


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=[。！？!?])", text, maxsplit=1)[0]


def passage_times(text: str, default_year: int | None) -> list[Time]:
    """Every year, period and word for "now" written in a paragraph, in order."""
    periods = [p for p in find_periods(text) if not p.is_base]
    inside = [(p.start, p.end) for p in find_periods(text)]
    years = [y for y in find_years(text) if not y.is_base and not any(a <= y.start < b for a, b in inside)]
    times = [Time(y.start, y.end, y.year, "") for y in years]
    now = re.compile(alternation([*vocabulary().extraction("now_words"), *vocabulary().extraction("this_year")]))
    for p in periods:
        year = p.year
        if now.search(p.text):  # 截至目前: the report's present
            year = default_year
        elif p.needs_year:
            year = next((y.year for y in reversed(years) if y.end <= p.start), default_year)
        times.append(Time(p.start, p.end, year, p.text, _opens(text, p.start, p.end), p.within))
    for m in now.finditer(text):
        if not any(a <= m.start() < b for a, b in inside):
            heads = _heads(text, m.start())  # 目前高价值专利审查周期… states a period; 增长到目前的1.64亿户 a time
            times.append(Time(m.start(), m.end(), default_year, m.group() if heads else "", _opens(text, m.start(), m.end())))
    return sorted(times)


def _heads(text: str, start: int) -> bool:
    return len(_CLAUSE_BREAK.split(text[:start])[-1]) <= 3


def _opens(text: str, start: int, end: int) -> bool:
    """五年来，… is a clause of its own at the head of a sentence: it dates what follows; 创5年来新高 does not."""
    return _heads(text, start) and text[end:end + 1] in ("，", ",")


def time_of(times: list[Time], text: str, s_start: int, q_start: int, default_year: int | None, *,
            stock: bool = False, phrase: int | None = None) -> tuple[int | None, str]:
    """(year, period) of the figure at ``q_start`` in the sentence starting at ``s_start``.

    ``stock``: the figure is a stock (有效专利, 总量), which a span inside one year does not date (its year
    does). ``phrase``: where the from/to phrase of the figure starts (从2015年的300家, 增长到目前的1200家):
    such a figure is dated by its own phrase, else by a plain year of its sentence, never by a period
    the whole change is written in.
    """
    own = _YEAR_OF.search(text, s_start, q_start)
    if own:  # 与2013年的1∶2.21相比: the base's year is this figure's
        return int(own.group(1)), ""
    in_sentence = [t for t in times if s_start <= t.start and t.end <= q_start]
    if phrase is not None:
        mine = [t for t in in_sentence if t.start >= phrase] or [t for t in in_sentence if not t.period]
        return (mine[-1].year, mine[-1].period) if mine else (None, "")
    if in_sentence:
        return _dated(in_sentence[-1], stock)
    if "全年" in text[s_start:q_start]:
        return default_year, ""
    earlier = [t for t in times if t.end <= s_start and t.opens]
    return _dated(earlier[-1], stock) if earlier else (default_year, "")


def _dated(t: Time, stock: bool) -> tuple[int | None, str]:
    return (t.year, "") if stock and t.within else (t.year, t.period)
