"""Synthetic copies of a report, for timing the engine at 1, 10 and 100 reports.

Each copy is a distinct document: a title line naming another place and year (and
the copy number), and the report's own place name replaced by the copy's in the
text. The figures stay the report's: copies are for measuring, not for answering.

>>> text = "2020年，天津市专利授权7.5万件，天津排名第8位。\\n"
>>> title, copy = synthetic_copy(text, "天津市", 3)
>>> title
'河北省2023年知识产权工作报告（合成副本3）'
>>> copy.splitlines()[1]
'2020年，河北省专利授权7.5万件，河北排名第8位。'
"""

from __future__ import annotations

from typing import Callable

from index.builder import BuildSpec
from index.catalogue import ReportRecord
from index.embedding import Embedder
from index.intake import DuplicateReport
from index.library import ReportLibrary

PLACES = ("北京市", "上海市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "江苏省", "浙江省",
          "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "广西壮族自治区", "海南省",
          "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省", "宁夏回族自治区",
          "新疆维吾尔自治区")
_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")


def _short(place: str) -> str:
    """天津市 -> 天津, 广西壮族自治区 -> 广西 (how reports name a place in running text)."""
    for suffix in _SUFFIXES:
        if place.endswith(suffix) and len(place) > len(suffix) + 1:
            return place[: -len(suffix)]
    return place


def synthetic_copy(text: str, place: str, number: int) -> tuple[str, str]:
    """(title, text) of copy `number` (1-based) of a report about `place`."""
    if number < 1:
        raise ValueError(f"number={number!r} must be 1 or more")
    new_place = PLACES[(number - 1) % len(PLACES)]
    year = 2020 + number % 10
    title = f"{new_place}{year}年知识产权工作报告（合成副本{number}）"
    body = text
    if place:
        body = body.replace(place, new_place)
        if _short(place) != place:
            body = body.replace(_short(place), _short(new_place))
    return title, f"{title}\n{body}"


def add_synthetic_copies(library: ReportLibrary, source: ReportRecord, count: int, *, embedder: Embedder,
                         spec: BuildSpec, progress: bool = False,
                         log: Callable[[str], None] | None = None) -> list[ReportRecord]:
    """Add `count` synthetic copies of `source` (1..count; copies already there are kept, not re-added)."""
    if count < 0:
        raise ValueError(f"count={count!r} must be 0 or more")
    log = log or (lambda message: None)
    text = library.load_document(source).text
    added: list[ReportRecord] = []
    for number in range(1, count + 1):
        title, copy = synthetic_copy(text, source.place, number)
        try:
            result = library.add_bytes(copy.encode("utf-8"), f"synthetic-{source.id}-{number}.txt", embedder=embedder,
                                       spec=spec, progress=progress, title=title)
        except DuplicateReport as exc:
            added.append(exc.existing)
            continue
        added.append(result.record)
        log(f"synthetic copy {number}/{count}: {result.record.id}")
    return added
