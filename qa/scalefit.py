"""A scale written with the question word (多少亿元, 几万亿) asks a figure of that scale: 2025年地区生产总值
为多少亿元 is not answered with a per-head figure of 7.6万元. Only scales of 亿 and above decide: a question in
万 may well be answered by a figure the report writes in 亿.

>>> asked_scale("全省地区生产总值为多少亿元？"), asked_scale("一共多少钱？"), asked_scale("几万亿的规模")
(100000000.0, None, 1000000000000.0)
>>> scale_conflict(1e8, "万"), scale_conflict(1e8, "万亿"), scale_conflict(1e8, ""), scale_conflict(None, "")
(True, False, True, False)
"""

from __future__ import annotations

import re
from functools import lru_cache

from qa.vocabulary import alternation, vocabulary


def scale_factor(scale_text: str) -> float:
    """The factor of a scale word as the figures write it (units.toml [scales]; none written counts as 1)."""
    return float(vocabulary().tables["units"]["scales"].get(scale_text, 1.0))


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern:
    """A question word (the reader's ask words) and the scale word right after it."""
    v = vocabulary()
    return re.compile(f"(?:{alternation(v.ask_words)})({alternation(list(v.tables['units']['scales']))})")


def asked_scale(text: str) -> float | None:
    """The factor of the scale written right after the question word, when it is units.toml's
    ``deciding_scale`` (亿) or more."""
    m = _pattern().search(text)
    factor = scale_factor(m.group(1)) if m else None
    return factor if factor is not None and factor >= scale_factor(vocabulary().units("deciding_scale")) else None


def scale_conflict(asked: float | None, scale_text: str) -> bool:
    """A figure written at a smaller scale than the one asked."""
    return asked is not None and scale_factor(scale_text) < asked
