"""Changes: comparisons written before a figure (同比增长), their direction, and from -> to pairs.

Every word comes from qa/vocab/extraction.toml: bases (同比, 较…, 比…, 与…相比), change words
(increase_words / decrease_words give the direction), from_words (从, 由) and the endings of a
change that point at its new figure (增长到, 降至, 达到).

>>> split_comparison("新收案件9079件，同比增长")
('新收案件9079件，', '同比增长')
>>> split_comparison("受理案件120件，与上年同期相比增长")
('受理案件120件，', '与上年同期相比增长')
>>> split_comparison("同比分别上涨"), split_comparison("增速比上月回落"), split_comparison("占比")
(('', '同比上涨'), ('增速', '比上月回落'), ('占比', None))
>>> split_comparison("新建提升"), split_comparison("全年产量提升")
(('新建提升', None), ('全年产量', '提升'))
>>> direction("同比下降"), direction("较2019年增长"), direction("净减"), direction("")
('down', 'up', 'down', '')
>>> from qa.numbers import find_quantities
>>> text = "示范企业从2015年的300家增长到目前的1200家"
>>> change_roles(text, 0, len(text), find_quantities(text))
{11: ('from', 'up', 4), 21: ('to', 'up', 15)}
>>> strip_change("示范企业从2015年的"), strip_change("增长到目前的"), strip_change("由")
('示范企业', '', '')
"""

from __future__ import annotations

import re
from functools import lru_cache

from qa.numbers import Quantity
from qa.vocabulary import alternation, vocabulary


def _v(key: str):
    return vocabulary().extraction(key)


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern]:
    change = alternation([*_v("increase_words"), *_v("decrease_words")])
    long_change = alternation([w for w in [*_v("increase_words"), *_v("decrease_words")] if len(w) > 1])  # not 企业减负
    fillers = alternation(_v("change_fillers"))
    outer = alternation([w for w in _v("change_fillers") if len(w) > 1])  # 年均增长: 均 alone is no filler
    not_after = "".join(_v("base_not_after"))
    openers = [w for w in _v("base_openers") if len(w) == 1]
    long_openers = alternation([w for w in _v("base_openers") if len(w) > 1])
    base = (rf"同比|环比|(?<![{not_after}])(?:{alternation(openers)})"
            rf"(?:[^，。；,;、：:比较与\d]|(?:19|20)\d\d年|\d{{1,2}}(?:[-—至到]\d{{1,2}})?月){{0,8}}?(?:{alternation(_v('base_closers'))})?"
            rf"|(?:{long_openers})[^，。；,;、：:]{{1,10}}?(?:{alternation(_v('base_closers'))})")
    net = alternation(_v("net_words"))
    joined = "".join(f"(?<!{re.escape(w)})" for w in _v("change_not_after"))  # 新建提升: one action, no change
    to = alternation(_v("to_endings"))
    when = rf"(?:19|20)\d\d年(?:{alternation(_v('period_ends'))})?|{alternation([*_v('now_words'), *_v('this_year')])}"
    return {
        "comparison": re.compile(rf"(?:{outer})*(?P<cmp>(?:{base})(?:{fillers})*(?:{change})了?|{joined}(?:{change})了?|{net})$"),
        "fillers": re.compile(fillers),
        "to": re.compile(rf"(?:{fillers})*(?:(?:{change})(?:{to})|{alternation(_v('to_words'))}|(?:{to}))"),
        "from": re.compile(alternation(_v("from_words"))),
        "tail": re.compile(rf"(?:(?:{alternation(_v('from_words'))})|(?:{fillers})*(?:(?:{change})(?:{to})|"
                           rf"{alternation(_v('to_words'))}))(?:{when})?的?$|(?:{to})(?:{when})的?$"),
        "starts": re.compile(rf"[^，。；,;、：:\d]{{0,2}}?(?:(?:{long_change})(?:{to}|了)|{alternation(_v('to_words'))})"),
    }


def split_comparison(left: str) -> tuple[str, str | None]:
    """Split a trailing comparison (同比增长, 较2019年增长, 与上年同期相比增长, 净增) off the text before a figure;
    the comparison is returned without fillers such as 分别 (同比分别增长 -> 同比增长)."""
    m = _patterns()["comparison"].search(left)
    if not m:
        return left, None
    return left[:m.start()], _patterns()["fillers"].sub("", m.group("cmp")) or m.group("cmp")


def direction(words: str | None) -> str:
    """up or down, from the change word a comparison or a change verb ends with; "" without one."""
    m = re.search(rf"({alternation([*_v('increase_words'), *_v('decrease_words')])})(?:{alternation(_v('to_endings'))})?了?$",
                  words or "")
    if not m:
        return ""
    return "down" if m.group(1) in _v("decrease_words") else "up"


def strip_change(left: str) -> str:
    """The text before a figure without the scaffolding of a from -> to (从2015年的, 增长到目前的)."""
    return _patterns()["tail"].sub("", left)


def starts_change(segment: str) -> bool:
    """True when a change is written right after a figure (300家增长到…): no noun of the figure follows."""
    return _patterns()["starts"].match(segment) is not None


def change_roles(text: str, c_start: int, c_end: int, qs: list[Quantity]) -> dict[int, tuple[str, str, int]]:
    """Figures of a from -> to in the clause text[c_start:c_end]: {start: (role, direction, phrase start)}.

    从A增长到B / 由A下降到B / 分别由A1和A2提升到B1和B2: the figures between the from word and
    the change are "from", as many figures after it are "to". The direction is the change
    word's; a neutral one (到, 达到) takes it from the values. A figure's phrase starts at its from
    word or at the change (its own time is written there: 从2015年的…, 增长到目前的…).
    """
    qs = [q for q in qs if c_start <= q.start < c_end]
    out: dict[int, tuple[str, str]] = {}
    for m in _patterns()["from"].finditer(text, c_start, c_end):
        froms = [q for q in qs if q.start >= m.end()]
        to = None
        for k, q in enumerate(froms):
            gap = text[q.end:froms[k + 1].start] if k + 1 < len(froms) else text[q.end:c_end]
            to = _patterns()["to"].search(gap)
            if to:
                froms, tos = froms[:k + 1], [x for x in froms[k + 1:] if x.start >= q.end + to.end()]
                turn = q.end + to.start()
                break
        if not to or not tos or any(q.start in out for q in froms):
            continue
        tos = tos[:len(froms)]
        way = direction(to.group().rstrip("".join(_v("to_endings"))) or "")
        if not way:
            way = "up" if tos[0].value > froms[0].value else "down" if tos[0].value < froms[0].value else ""
        out.update({q.start: ("from", way, m.start()) for q in froms})
        out.update({q.start: ("to", way, turn) for q in tos})
    return out
