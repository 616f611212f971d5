"""Lists of report prose: items named together and given their figures together.

* a list of subjects and a list of figures joined by 分别/依次 (qa/vocab/extraction.toml
  ``list_markers``): each figure takes its own item, and a head noun written once is shared
  (专利、商标、版权案件 -> 专利案件, 商标案件, 版权案件; 受理和办结数量 -> 受理数量, 办结数量);
* a list of comparisons after the figures they compare (同比分别增长5.1%、2.3%): every rate
  shares the comparison, and `qa.links` gives each its own base, in order;
* an item named in a clause before the clause of its figure: 其次是商标，达到7.8万件;
  第二是摄影作品，占登记总量的38.92%; 登记量最多的是美术作品.

>>> from qa.numbers import find_quantities
>>> text = "专利、商标、版权案件分别为12件、34件和56件"
>>> sorted(distributed_items(text, 0, find_quantities(text)).items.values())
['专利案件', '商标案件', '版权案件']
>>> text = "受理100件、结案200件，同比分别增长5.1%、2.3%"
>>> found = distributed_items(text, 14, find_quantities(text)[2:])
>>> found.items, found.comparison
({20: None, 25: None}, '同比增长')
>>> _items("城镇、农村居民人均可支配收入"), _items("国家级、省级创新平台")
(['城镇居民人均可支配收入', '农村居民人均可支配收入'], ['国家级创新平台', '省级创新平台'])
>>> _items("扣留批次和数量在非货运渠道执法的占比")
['扣留批次在非货运渠道执法的占比', '扣留数量在非货运渠道执法的占比']
>>> enumerated_item("其次是商标"), enumerated_item("登记量最多的是美术作品"), enumerated_item("同时加强执法")
('商标', '美术作品', '')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from qa.numbers import Quantity
from qa.subjects import _tags, clean_left, is_verb_only, split_comparison
from qa.vocabulary import alternation, vocabulary


@dataclass(frozen=True)
class ListSpan:
    """Figures given together: the item of each (None for a list of comparisons) and a shared comparison."""

    items: dict[int, str | None]  # figure start -> its item
    comparison: str | None


def _v(key: str):
    return vocabulary().extraction(key)


@lru_cache(maxsize=1)
def _separator() -> re.Pattern:
    return re.compile(alternation(_v("list_separators")))


@lru_cache(maxsize=1)
def _enumeration() -> re.Pattern:
    openers = alternation(_v("enumeration_openers"))
    verbs = alternation(_v("enumeration_verbs"))
    return re.compile(rf"(?:{openers}|第[一二三四五六七八九十]{{1,3}}|最[\u4e00-\u9fff]{{1,2}}的)(?:{verbs})"
                      rf"(?P<item>[^，。；：,;:]{{1,20}})$")


def distributed_items(text: str, subject_from: int, clause_qs: list[Quantity], before: str = "") -> ListSpan | None:
    """The list the figures of one clause belong to, if the clause writes one (see the module doc).

    ``before`` is a figure-less clause written just before, whose items the list may give figures to
    (扣留批次和数量的占比，分别由A1和A2提升到B1和B2: each item takes every other figure).
    """
    if not clause_qs:
        return None
    marker = re.compile(alternation(_v("list_markers"))).search(text, subject_from, clause_qs[-1].start)
    if marker is None:
        return None
    after = [q for q in clause_qs if q.start > marker.start()]
    first = [q for q in clause_qs if q.start < marker.start()]
    begin = first[-1].end if first else subject_from
    rest, shared = split_comparison(text[begin:after[0].start].strip()) if after else ("", None)
    items = _items(clean_left(text[begin:min(marker.start(), begin + len(rest))]))
    if len(items) == len(after) >= 2:
        return ListSpan({q.start: s for q, s in zip(after, items)}, shared)
    earlier = _items(before) if not items and before else []
    if len(earlier) >= 2 and len(after) % len(earlier) == 0:  # the items were named in the clause before
        return ListSpan({q.start: earlier[k % len(earlier)] for k, q in enumerate(after)}, shared)
    if shared and len(after) >= 2:  # 同比分别增长5.1%、2.3% / 比重分别比同期提高0.9、5.9个百分点
        return ListSpan({q.start: None for q in after}, shared)  # 同比分别增长5.1%、2.3%
    return None


def _items(phrase: str) -> list[str]:
    """专利、商标、版权案件 -> [专利案件, 商标案件, 版权案件]; 查扣批次和数量 -> [查扣批次, 查扣数量]."""
    items = [s for s in _separator().split(phrase) if s]
    if len(items) < 2:
        return items
    tags = [_tags(s) for s in items]
    if len(tags[0]) > 1 and tags[0][0][1] == "v":  # 查扣 distributes over 批次 and 数量
        verb = tags[0][0][0]
        items = [items[0]] + [s if t[0][1] == "v" else verb + s for s, t in zip(items[1:], tags[1:])]
    last = tags[-1]
    cut = next((i for i, (_, f) in enumerate(last) if i > 0 and f[0] in "pu"), None)
    if cut is not None:  # 批次和数量在非货运渠道执法的占比: the words from 在 on are said of every item
        tail = "".join(w for w, _ in last[cut:])
        return [s if s.endswith(tail) else s + tail for s in items[:-1]] + [items[-1]]
    head, rest = last[-1][0], "".join(w for w, _ in last[1:])  # rest: what the last item says after its first word
    if len(last) > 1 and not is_verb_only(rest):  # a head written once, after the last item

        def whole(item: str, words: list) -> str:
            if item.endswith(head):
                return item
            if len(words) == 1:  # a one-word peer of the last item's first word: 国家级、省级创新平台
                # …or of as many characters of it as the item has (农村居民 is one jieba word): 城镇、农村居民…
                return item + (rest if len(last[0][0]) <= len(item) else items[-1][len(item):])
            return item + head if len(words) == len(last) - 1 and not is_verb_only(head) else item  # 版权案件

        items = [whole(s, t) for s, t in zip(items[:-1], tags[:-1])] + [items[-1]]
    return items


def enumerated_item(clause: str) -> str:
    """The item a clause names as the next of an enumeration (其次是商标 -> 商标), else ""."""
    m = _enumeration().search(clause)
    return m.group("item").strip() if m else ""


def bigrams(s: str) -> set[str]:
    return {s[i:i + 2] for i in range(len(s) - 1)}
