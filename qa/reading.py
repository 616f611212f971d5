"""The typed records a question is read into: a chat turn, a yes/no threshold, and the reading itself.

>>> Threshold(">", 500.0, "名", "超过500名").op
'>'
>>> Reading(question="抓了多少人？", text="抓了多少人？", asked="count").query
'抓了多少人？'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DIGITS = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Turn:
    """One message of a chat history."""

    role: str  # "user" or "assistant"
    content: str


@dataclass(frozen=True)
class Threshold:
    """The figure a yes/no question compares with: 超过500人了吗 -> ('>', 500, '人')."""

    op: str  # ">" | "<" | "="
    value: float
    unit: str
    text: str


@dataclass(frozen=True)
class Reading:
    """A question as the matcher needs it. Slots left empty were not stated."""

    question: str  # as asked
    text: str  # normalised, numerals as digits, everyday phrases rewritten
    asked: str = "text"  # first cue group found: rank, ratio, growth, percent, duration, date, money, list, name, count, text
    cues: tuple[str, ...] = ()  # every cue group found
    operation: str = "value"  # value | compare | difference | sum | yesno
    threshold: Threshold | None = None
    measure: str = ""  # measure word written after 多少/几 ("" if none, or the everyday 个)
    units: frozenset[str] = frozenset()  # units a figure answering it may carry (empty: any)
    years: tuple[int, ...] = ()
    base_years: tuple[int, ...] = ()
    months: tuple[int, int] | None = None  # the span of months asked about (4月份 -> (4, 4)), see qa.months
    actors: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    action_words: tuple[tuple[str, str], ...] = ()  # (word as written, action) for each action named
    terms: tuple[str, ...] = ()  # the question's own content words
    nouns: tuple[str, ...] = ()  # its content words that name things (jieba noun tags): what must be in the report
    relative_year: str = ""  # a year named relative to now that is not the report's (前年)
    now_offset: int | None = None  # 今年 0, 去年 -1 (None: neither); years by the report, qa.prepared
    inherited: tuple[str, ...] = ()  # content words carried from earlier turns (follow-ups)
    counted: tuple[str, ...] = ()  # the noun after 多少/几 + measure word
    places: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()  # figures written in the question
    scope: str = ""  # total | part | delta | ""
    average: bool = False  # asks for an average (平均每笔), which only a figure written as one answers
    parts: tuple["Reading", ...] = ()  # one reading per figure asked for
    followup: bool = False
    focus: tuple[str, ...] = field(default=())  # figures the previous answer gave

    @property
    def query(self) -> str:
        """Text for retrieval: the question with the words it inherits."""
        return " ".join((self.text, *self.inherited)).strip()

    @property
    def all_terms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.terms, *self.inherited)))
