"""Heading lines of Chinese reports, by level, shared by the corpus parser and the loaders.

A heading is a whole short line with no sentence punctuation, opened by a numbering
marker. Levels, highest first: ``第一章 总则`` / ``第二部分 …`` (0), ``一、…`` (1),
``（一）…`` (2), ``1. …`` / ``1、…`` (3). A report's sections are cut at its highest
level that occurs at least twice (``section_level``), so the sub-headings of a report
that uses 一、 stay in the text as lines of their own.

>>> match_heading("二、实施最严格知识产权保护")
Heading(level=1, number=2, title='实施最严格知识产权保护')
>>> match_heading("第三章　保障措施")
Heading(level=0, number=3, title='保障措施')
>>> match_heading("（二）加强执法") , match_heading("1.总体情况").number
(Heading(level=2, number=2, title='加强执法'), 1)
>>> match_heading("一、是加强保护，二、是优化服务。") is None   # running text, not a heading
True
>>> section_level(["一、甲", "（一）乙", "二、丙"])
1
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterable, NamedTuple

import cn2an

_CN = "一二三四五六七八九十"
_TITLE = r"[^。；！？\n]{1,60}"  # no sentence punctuation: running text that starts with 一、 is not a heading
_SPACE = r"[ \t\u3000]*"
_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(rf"^{_SPACE}第([{_CN}百零〇两]{{1,4}}|\d{{1,3}})(?:章|部分|篇|编)(?:{_SPACE}[、：:．.]?{_SPACE}({_TITLE}))?{_SPACE}$"),
    re.compile(rf"^{_SPACE}([{_CN}]{{1,3}})、({_TITLE})$"),
    re.compile(rf"^{_SPACE}[（(]([{_CN}]{{1,3}})[）)]{_SPACE}({_TITLE})$"),
    # 1. / 1、 / 1．: the title may not start with a digit, so "1.5万件" is never a heading
    re.compile(rf"^{_SPACE}(\d{{1,2}})[.．、]{_SPACE}([^\d\s.．%％。；！？\n][^。；！？\n]{{0,59}})$"),
)
LEVELS = len(_PATTERNS)


class Heading(NamedTuple):
    level: int  # 0 = 第X章/部分, 1 = 一、, 2 = （一）, 3 = 1.
    number: int
    title: str


def _number(token: str) -> int:
    return int(token) if token.isdigit() else int(cn2an.cn2an(token.replace("两", "二"), "smart"))


def match_heading(line: str, *, level: int | None = None) -> Heading | None:
    """The heading on this line (of `level` only, when given), or None."""
    for at, pattern in enumerate(_PATTERNS):
        if level is not None and at != level:
            continue
        found = pattern.match(line.rstrip())
        if found:
            try:
                number = _number(found.group(1))
            except ValueError:  # a numeral cn2an cannot read is not a heading number
                continue
            title = (found.group(2) or "").strip() or line.strip()
            return Heading(at, number, title)
    return None


def starts_heading(line: str) -> bool:
    """Whether a line opens with a heading marker (used to stop PDF lines joining across it)."""
    return match_heading(line[:64].split("。")[0]) is not None or bool(
        re.match(rf"^{_SPACE}(?:第[{_CN}\d]{{1,4}}(?:章|部分)|[{_CN}]{{1,3}}、|[（(][{_CN}]{{1,3}}[）)])", line))


def section_level(lines: Iterable[str]) -> int | None:
    """The level a document's sections are cut at: the highest used twice, else the highest used once."""
    counts = Counter(h.level for h in map(match_heading, lines) if h is not None)
    for minimum in (2, 1):
        for level in range(LEVELS):
            if counts[level] >= minimum:
                return level
    return None
