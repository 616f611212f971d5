"""A table's header read back into one heading per column, when it was written on two levels.

A statistics table copied as text often flattens a two-level header into one line: the cells of
the upper level, then those of the lower one. ``地区 | 2020年 | 职务 | 非职务 | 常住人口 | 排名 | 11月 |
大专院校 | 职务总计 | 个人 | (万人)`` heads rows of six figures: 2020年 is completed by 11月 below it,
职务 spans 大专院校 and 职务总计, 非职务 heads 个人 and 常住人口 takes its unit (万人). Which upper cell
heads which lower cells is chosen by the columns the data rows have: every upper cell spans as many
columns as it has cells below it (at least one), and of the splits that fit, the one whose lower
cells read best under their upper cell wins — a unit in parentheses or a date's month alone under
one cell (a rank, 排名, takes no unit), a group's total named after the group (职务总计 under 职务),
the row label heading none.

>>> [(c.group, c.name, c.unit, c.date) for c in columns(["地区", "2020年", "职务", "非职务", "常住人口", "排名", "11月",
...     "大专院校", "职务总计", "个人", "(万人)"], 7)]  # doctest: +NORMALIZE_WHITESPACE
[('', '地区', '', ''), ('', '', '', '2020年11月'), ('职务', '大专院校', '', ''), ('职务', '职务总计', '', ''),
 ('非职务', '个人', '', ''), ('', '常住人口', '万人', ''), ('', '排名', '', '')]

A header of one cell per column is read as it is; one that fits no split gives None.

>>> [c.name for c in columns(["地区", "总数", "职务"], 3)], columns(["地区", "总数"], 5)
(['地区', '总数', '职务'], None)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from qa.vocabulary import vocabulary

_UNIT = re.compile(r"^[（(]([^（）()]+)[）)]$")
_YEAR = re.compile(r"^(?:19|20)\d\d年(?:度)?$")
_MONTH = re.compile(r"^\d{1,2}(?:-\d{1,2})?月(?:份|末|底)?$|^[一二三四1-4]季度$|^[上下]半年$")
_DATE = re.compile(r"^(?:19|20)\d\d年(?:\d{1,2}(?:-\d{1,2})?月(?:份|末|底)?|[一二三四1-4]季度|[上下]半年)?$")
_NONE = float("-inf")


@dataclass(frozen=True)
class Column:
    """The heading of one column: its name, the group heading it spans under, its unit and date."""

    name: str  # 大专院校, 常住人口; "" for a column headed only by a date
    group: str = ""  # 职务 over 大专院校 … 职务总计
    unit: str = ""  # (万人) under 常住人口
    date: str = ""  # 2020年 over 11月, or a date heading alone


def _heading(upper: str, lower: list[str]) -> list[Column]:
    """The columns one upper cell heads, given the lower cells under it."""
    if not lower:
        return [Column("", date=upper) if _DATE.match(upper) else Column(upper)]
    if len(lower) == 1:
        unit = _UNIT.match(lower[0])
        if unit:
            return [Column("", date=upper, unit=unit.group(1)) if _DATE.match(upper) else Column(upper, unit=unit.group(1))]
        if _DATE.match(upper + lower[0]):
            return [Column("", date=upper + lower[0])]
    return [Column(cell, group=upper) for cell in lower]


def _fit(upper: str, lower: list[str], first: bool) -> float:
    """How well ``lower`` reads under ``upper`` (higher is better; -inf when it cannot be)."""
    if not lower:
        return 1.0 if first else 0.0
    if first:
        return _NONE  # the row label heads the labels, nothing below it
    if len(lower) == 1:
        if _UNIT.match(lower[0]):
            return -1.0 if upper in vocabulary().extraction("rank_nouns") else 2.0  # a rank has no unit
        return 2.0 if _YEAR.match(upper) and _MONTH.match(lower[0]) else 0.0
    if any(_UNIT.match(c) or _MONTH.match(c) for c in lower):
        return _NONE  # a unit or a month completes one cell, it heads no column of a group
    return 2.0 * sum(c.startswith(upper) and c != upper for c in lower)


def columns(header: list[str], width: int) -> list[Column] | None:
    """One `Column` per column of rows ``width`` cells wide (the row label first), or None."""
    if len(header) == width:
        return [Column(c) for c in header]
    if len(header) < width or width < 2:
        return None
    best: tuple[float, list[Column]] | None = None
    for split in range(1, len(header)):
        found = _split(tuple(header[:split]), tuple(header[split:]), width)
        if found and found[0] > _NONE and (best is None or found[0] > best[0]):
            best = found
    return best[1] if best else None


def _split(upper: tuple[str, ...], lower: tuple[str, ...], width: int) -> tuple[float, list[Column]] | None:
    """The best way to put ``lower`` under ``upper`` (in order) so that they head ``width`` columns."""

    @lru_cache(maxsize=None)
    def best(i: int, j: int, cols: int) -> tuple[float, tuple[tuple[int, int], ...]] | None:
        if i == len(upper):
            return (0.0, ()) if j == len(lower) and cols == width else None
        found = None
        for n in range(0, len(lower) - j + 1):
            span = max(n, 1)
            if cols + span > width:
                break
            score = _fit(upper[i], list(lower[j:j + n]), i == 0)
            if score == _NONE:
                continue
            rest = best(i + 1, j + n, cols + span)
            if rest is not None and (found is None or score + rest[0] > found[0]):
                found = (score + rest[0], ((j, j + n), *rest[1]))
        return found

    result = best(0, 0, 0)
    if result is None:
        return None
    heads = [col for cell, (a, b) in zip(upper, result[1]) for col in _heading(cell, list(lower[a:b]))]
    return result[0], heads
