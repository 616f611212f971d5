"""Spans of months within a year: "4月份" is (4, 4), "1-4月份" and "前四个月" are (1, 4), "上半年" (1, 6).

Statistics communiqués give most figures twice, for the month and for the year so far
(4月份… / 1-4月份…); a question names one of them. The words come from the vocabulary
(qa/vocab/cues.toml, [months]); numerals are read as digits by the question reader first.

>>> month_span("1-4月份，社会消费品零售总额同比增长10.2%")
(1, 4)
>>> month_span("4月份，社会消费品零售总额27278亿元"), month_span("上半年全市地区生产总值"), month_span("前4个月")
((4, 4), (1, 6), (1, 4))
>>> month_span("2020年全市法院新收案件") is None
True
"""

from __future__ import annotations

import re
from functools import lru_cache

from qa.vocabulary import alternation, vocabulary


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern, re.Pattern, re.Pattern, re.Pattern]:
    table = vocabulary().tables["cues"]["months"]
    to = alternation(table["to"])
    start = alternation(table["from_start"])
    span = re.compile(rf"(?<![\d.])(1[0-2]|[1-9])\s*(?:月份?)?\s*(?:{to})\s*(1[0-2]|[1-9])\s*月")
    opening = re.compile(rf"(?:{start})\s*(1[0-2]|[1-9])\s*个?月")
    single = re.compile(r"(?<![\d.\-—–~～])(1[0-2]|[1-9])\s*月(?!\d)")
    named = re.compile(alternation(table["named"]))
    return span, opening, single, named


def month_span(text: str, *, last: bool = False) -> tuple[int, int] | None:
    """The first (or ``last``) span of months written in ``text`` (None when it names none)."""
    span, opening, single, named = _patterns()
    found = []
    for m in span.finditer(text):
        found.append((m.start(), (int(m.group(1)), int(m.group(2)))))
    for m in opening.finditer(text):
        found.append((m.start(), (1, int(m.group(1)))))
    covered = [range(s, s + 8) for s, _ in found]
    for m in single.finditer(text):
        if not any(m.start() in r for r in covered):
            found.append((m.start(), (int(m.group(1)), int(m.group(1)))))
    table = vocabulary().tables["cues"]["months"]["named"]
    for m in named.finditer(text):
        first, last = table[m.group()].split("-")
        found.append((m.start(), (int(first), int(last))))
    valid = [(at, s) for at, s in found if 1 <= s[0] <= s[1] <= 12]
    if not valid:
        return None
    return (max(valid) if last else min(valid))[1]


def figure_months(sentence: str, before_in_sentence: str, before_in_paragraph: str) -> tuple[int, int] | None:
    """The months a figure is for: a span written earlier in its sentence that is not a comparison
    base (增速比1-3月份回落 compares with March), else the span that opens the nearest earlier
    sentence of its paragraph (4月份，…27278亿元。按经营单位所在地分，城镇消费品零售额23483亿元).

    >>> figure_months("城镇消费品零售额23483亿元", "城镇消费品零售额", "4月份，社会消费品零售总额27278亿元。")
    (4, 4)
    >>> figure_months("", "", "1-4月份，投资144327亿元，增速比1-3月份回落0.3个百分点。")
    (1, 4)
    """
    own = month_span(_without_bases(before_in_sentence), last=True)
    if own is not None:
        return own
    for opening in reversed([s[:OPENING] for s in re.split(r"(?<=[。；;！？])", before_in_paragraph) if s]):
        found = month_span(opening)
        if found is not None:
            return found
    return None


OPENING = 10  # characters at the start of a sentence where the period it is about is written


def _without_bases(text: str) -> str:
    """Text with comparison bases blanked: 比1-3月份, 较上月 (the figure is not for those months)."""
    base = alternation(vocabulary().tables["cues"]["than"]["words"])
    return re.sub(rf"(?:{base})[^，,。；;]{{0,8}}月份?", lambda m: " " * len(m.group()), text)
