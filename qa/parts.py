"""Cutting a question that asks for several figures into one question per figure.

Three shapes, all read with the vocabulary's joiners and question words:

* several asks: ``审结多少件，同比增长多少`` -> one part per ask;
* one ask distributed by 分别/各: ``专利和商标分别有多少`` -> one part per item;
* one ask over two joined things (a comparison, difference or sum):
  ``法院和检察院谁的案子多`` -> ``法院…的案子多`` and ``检察院…的案子多``.

>>> split_parts("全市法院审结多少件，同比增长多少？")
['全市法院审结多少件', '同比增长多少？']
>>> split_parts("批准逮捕了多少件多少人")
['批准逮捕了多少件', '多少人']
>>> split_parts("代办处帮多少企业省了多少钱")
['代办处帮多少企业', '省了多少钱']
>>> split_parts("有效发明专利数量和增速分别是多少")
['有效发明专利数量分别是多少', '增速分别是多少']
>>> split_parts("法院和检察院谁的案子多？")
['法院谁的案子多？', '检察院谁的案子多？']
>>> split_parts("新收与审结相差多少件")
['新收相差多少件', '审结相差多少件']
>>> split_parts("主干包括多少部法律法规和部门规章？")
['主干包括多少部法律法规？', '主干包括多少部部门规章？']
>>> split_parts("起诉人数较批准逮捕人数多出多少人")
['起诉人数多出多少人', '批准逮捕人数多出多少人']
>>> split_parts("省人大代表建议和省政协提案一共办理了多少件")
['省人大代表建议一共办理了多少件', '省政协提案一共办理了多少件']
>>> split_parts("批准逮捕的人数，加上起诉的人数，总共多少人？")
['批准逮捕的人数，总共多少人？', '起诉的人数，总共多少人？']
"""

from __future__ import annotations

import re
from functools import lru_cache

from qa.vocabulary import alternation, vocabulary

_PUNCT = " ，,、；;？?。！!"
SHAPES = ("asks", "each", "items")  # several asks / one ask distributed by 分别 / one ask over joined things


def _joiners() -> list[str]:
    return list(vocabulary().tables["cues"]["joiners"]["words"])


@lru_cache(maxsize=1)
def _joined_names() -> tuple[str, ...]:
    """Names of the vocabulary that hold a joiner (文化和旅游局)."""
    return tuple(a for aliases in vocabulary().actors.values() for a in aliases if any(j in a for j in _joiners()))


def _protected(text: str) -> list[tuple[int, int]]:
    """Spans that hold a joiner as part of a name (文化和旅游局): never cut there."""
    return [m.span() for name in _joined_names() if name in text for m in re.finditer(re.escape(name), text)]


@lru_cache(maxsize=1)
def _joiner_patterns() -> tuple[re.Pattern, re.Pattern, re.Pattern]:
    """(joiners, words that hold a joiner but join nothing, a question word with its measure word), compiled
    once: every question is cut with them."""
    v = vocabulary()
    measure = f"(?:{alternation(v.ask_words)})(?:万|亿)?(?:{alternation(v.measure_words)})?"
    return (re.compile(alternation(_joiners())), re.compile(alternation(v.tables["cues"]["joiners"]["not_joiners"])),
            re.compile(measure))


def _cuts(text: str, start: int, end: int) -> list[re.Match]:
    joiner, not_joiners, _ = _joiner_patterns()
    protected = _protected(text) + [m.span() for m in not_joiners.finditer(text)]
    return [m for m in joiner.finditer(text, start, end)
            if not any(a <= m.start() < b for a, b in protected)]


def _distributed(text: str, asks: list[re.Match]) -> list[str] | None:
    """专利和商标分别有多少 -> each item with the shared tail."""
    each_words = alternation(vocabulary().tables["cues"]["each"]["words"])
    each = re.search(each_words, text[: asks[0].start()]) if len(asks) == 1 else None
    if not each:
        return None
    head, tail = text[: each.start()], text[each.start():]
    items, last = [], 0
    for cut in _cuts(head, 0, len(head)):
        items.append(head[last:cut.start()])
        last = cut.end()
    items.append(head[last:])
    items = [i for i in items if i.strip(_PUNCT)]
    return [i + tail for i in items] if len(items) >= 2 else None


def _items_after_ask(text: str, asks: list[re.Match]) -> list[str] | None:
    """多少部法律法规和部门规章 -> 多少部法律法规, 多少部部门规章: one ask over things joined after it."""
    if len(asks) != 1:
        return None
    v = vocabulary()
    m = _joiner_patterns()[2].match(text, asks[0].start())
    tail_end = next((p.start() for p in re.finditer(f"[{_PUNCT}]", text[m.end():])), len(text) - m.end()) + m.end()
    cuts = _cuts(text, m.end(), tail_end)
    if not cuts or m.end() == asks[0].end() and not re.match(alternation(v.measure_words), text[asks[0].end():]):
        return None
    items, start = [], m.end()
    for cut in cuts:
        items.append(text[start:cut.start()])
        start = cut.end()
    items.append(text[start:tail_end])
    if any(not i.strip(_PUNCT) for i in items):
        return None
    head, tail = text[:m.end()], text[tail_end:]
    return [head + i + tail for i in items]


def _several_asks(text: str, asks: list[re.Match]) -> list[str]:
    """One part per ask, cut at the joiner between two asks (or right after the ask's measure word)."""
    measure = _joiner_patterns()[2]
    parts, start = [], 0
    stop = re.compile(r"[，,；;？?。！!\s]")  # a space typed between two asks divides them too
    for ask, following in zip(asks, asks[1:]):
        m = measure.match(text, ask.start())
        cut = m.end() if m else ask.end()
        punct = stop.search(text, ask.end(), following.start())
        joins = _cuts(text, ask.end(), following.start())
        if punct:  # 有几个窗口？能办几项业务: the sentence break divides the two asks
            cut, nxt = punct.start(), punct.end()
        elif joins:
            cut = joins[0].start()
            nxt = joins[0].end()
        else:  # 破了多少知产案子抓了几个人: the thing counted stays with its ask, the next verb opens the next
            cut = nxt = cut + _verb_start(text[cut:following.start()])
        parts.append(text[start:cut])
        start = nxt
    parts.append(text[start:])
    return [p.strip(_PUNCT) if i < len(parts) - 1 else p.strip(" ，,、；;") for i, p in enumerate(parts)
            if p.strip(_PUNCT)]


def _verb_start(words: str) -> int:
    """Where the last verb of the words between two asks starts (0 when none): jieba's verb tags, or a
    word followed by 了 (省了 is tagged a noun).

    >>> _verb_start("知识产权案件抓获了"), _verb_start("企业省了"), _verb_start("")
    (6, 2, 0)
    """
    from qa.lexical import pos_tags

    tags, at, start = list(pos_tags(words)), 0, 0
    for k, (word, flag) in enumerate(tags):
        if flag.startswith("v") or k + 1 < len(tags) and tags[k + 1][1] == "ul":
            start = at
        at += len(word)
    return start


@lru_cache(maxsize=1)
def _comparative_end() -> re.Pattern:
    words = vocabulary().tables["cues"]["comparative"]
    return re.compile(f"(?:{alternation(words['more'] + words['less'])})(?:{alternation(words['tails'])})?"
                      f"(?:{alternation(words['closers'])})*$")


def ends_comparative(text: str) -> bool:
    """Whether a question closes on a comparative word (谁的案子多, 哪个次数多一些啊？).

    >>> ends_comparative("哪个次数多一些啊？"), ends_comparative("哪个更高"), ends_comparative("哪个区拿到资金")
    (True, True, False)
    """
    return _comparative_end().search(text.lower()) is not None


def _joined_items(text: str) -> list[str] | None:
    """A comparison, difference or sum over joined things: each thing with the rest of the question."""
    v = vocabulary()
    groups = set(v.cue_groups(text, "operation")) - {"yesno"}
    for name in ("sum_of_parts", "joined_sum"):  # 专利和商标的总数, …一共多少: a sum if two things are joined
        if any(w in text for w in v.operation_cues[name]):
            groups.add(name)
    which = v.tables["cues"]["which"]["words"]
    if not groups and not (re.search(alternation(which), text) and ends_comparative(text)):
        return None
    # a cue that is itself a joiner (加上) joins the things; the things end at the next cue
    words = [w for w in list(which) + [c for g in groups for c in v.operation_cues[g]] if w not in _joiners()]
    # the things end at the first cue after the first joiner: a cue before it is part of the first thing
    # (有效专利总量的增速和发明专利的增速谁更快: 总量 is no sum here)
    joins = _cuts(text, 0, len(text))
    if not joins:
        return None
    cues = list(re.finditer(alternation(words), text))
    cue = next((m for m in cues if m.start() >= joins[0].end()), cues[0] if cues else None)
    end = cue.start() if cue else len(text)
    cuts = [c for c in joins if c.end() <= end]
    if not cuts:
        return None
    first, last = cuts[0], cuts[-1]
    punct = re.compile(f"[{_PUNCT}]")
    stops = [m.end() for m in punct.finditer(text, 0, first.start())]
    boundary = stops[-1] if stops else 0
    if stops and not text[boundary:first.start()].strip(_PUNCT):  # "A的人次，跟B比": A is the clause before
        boundary = stops[-2] if len(stops) > 1 else 0
    stop = next((m.start() for m in punct.finditer(text, last.end(), end)), end)
    items, start = [], boundary
    for cut in cuts:
        items.append(text[start:cut.start()])
        start = cut.end()
    items.append(text[start:stop])
    items = [i.rstrip(" ，,、；;") for i in items if i.strip(_PUNCT)]
    if len(items) < 2:
        return None
    head, tail = text[:boundary], text[stop:]
    # an earlier item takes what the last writes after their common ending (第一产业和第三产业投资: 投资 of both)
    items = [_elided(items[-1], i) for i in items[:-1]] + [items[-1]]
    return [head + i + tail for i in items]


def _than(text: str) -> re.Match | None:
    """Where 比/较 puts a second thing after it (not inside 同比, 比例 …)."""
    words = vocabulary().tables["cues"]["than"]
    masked = re.sub(alternation(words["not_than"]), lambda m: "#" * len(m.group()), text)
    return re.search(alternation(words["words"]), masked)


def _than_items(text: str) -> list[str] | None:
    """起诉人数较批准逮捕人数多出多少人 -> the thing before 比/较 and the thing after it."""
    v = vocabulary()
    if "difference" not in v.cue_groups(text, "operation"):
        return None
    than = _than(text)
    comparative = v.tables["cues"]["comparative"]
    more = re.compile(alternation(comparative["more"] + comparative["less"]))
    end = more.search(text, than.end()) if than else None
    if than is None or end is None or re.match(r"(?:19|20)\d\d年|同期", text[than.end():]):
        return None
    start = max((m.end() for m in re.finditer(f"[{_PUNCT}]", text[:than.start()])), default=0)
    left, right, tail = text[start:than.start()], text[than.end():end.start()], text[end.start():]
    if not left.strip(_PUNCT) or not right.strip(_PUNCT):
        return None
    return [text[:start] + left + tail, text[:start] + _elided(left, right) + tail]


def _elided(left: str, right: str) -> str:
    """The second thing with the words it leaves out: 城镇居民人均可支配收入 / 农村居民 -> 农村居民人均可支配收入
    (its longest ending of two characters or more written in the first, then the rest of the first).

    >>> _elided("城镇居民人均可支配收入", "农村居民"), _elided("起诉人数", "批准逮捕人数"), _elided("出口", "进口")
    ('农村居民人均可支配收入', '批准逮捕人数', '进口')
    >>> _elided("第三产业投资", "第一产业"), _elided("检察院", "法院")
    ('第一产业投资', '法院')
    """
    for size in range(len(right) - 1, 1, -1):
        at = left.find(right[-size:])
        if at >= 0:
            return right + left[at + size:]
    return right


def _from_to(text: str) -> list[str] | None:
    """由多少增长到多少 -> the thing's start and its end: ``…由多少`` (a start, as the vocabulary's
    [start] words read it) and ``…是多少`` (a plain value: the end, not the change). The from and to
    words are the extractor's (qa/vocab/extraction.toml), so 从A增加到B reads the same both ways.

    >>> _from_to("民营经济主体在五年间由多少增长到多少？")
    ['民营经济主体在五年间由多少', '民营经济主体在五年间是多少？']
    """
    m = _from_to_pattern().search(text)
    if m is None or not text[:m.start()].strip(_PUNCT):
        return None
    head, tail = text[:m.start()], text[m.end():]
    return [head + m.group("start") + "多少", head + "是多少" + tail]


def _amount_and_change(text: str) -> list[str] | None:
    """出口额和增幅？, 完成额及同比变动情况如何 -> the thing's amount, then its change: one thing joined with a
    short change word of its own (a growth cue, qa/vocab/cues.toml) asks two figures, the second one naming
    nothing (answered with the change of the first: `QADecider._follow_parts`).

    >>> _amount_and_change("那使用费出口额和增幅？")
    ['那使用费出口额是多少', '增幅是多少？']
    >>> _amount_and_change("专利和商标的增幅？") is None, _amount_and_change("出口和进口各增长多少？") is None
    (True, True)
    """
    cuts = _cuts(text, 0, len(text))
    if len(cuts) != 1:
        return None
    thing, change = text[:cuts[0].start()], text[cuts[0].end():]
    asks, growth, about = _change_patterns()
    # nothing but a change word and words about it (同比, 情况, 其); the thing itself names no change
    bare = asks.sub("", change)
    if len(thing.strip(_PUNCT)) < 2 or about.sub("", bare) or not growth.search(bare) or growth.search(thing):
        return None
    first = thing if asks.search(thing) else thing.rstrip(_PUNCT) + "是多少"
    second = change if asks.search(change) else change.rstrip(_PUNCT + "呢") + "是多少？"
    return [first, second]


@lru_cache(maxsize=1)
def _change_patterns() -> tuple[re.Pattern, re.Pattern, re.Pattern]:
    """(question words, growth cues, growth cues and the words about a change: cues.toml [amount_and_change])."""
    v = vocabulary()
    words = v.tables["cues"]["amount_and_change"]
    growth = alternation(v.asked_cues["growth"])
    return (re.compile(f"{alternation(v.ask_words)}|{alternation(words['asks'])}"), re.compile(growth),
            re.compile(f"[{_PUNCT}]|{growth}|{alternation(words['about'])}"))


@lru_cache(maxsize=1)
def _from_to_pattern() -> re.Pattern:
    v = vocabulary()
    ask = alternation(v.ask_words)
    return re.compile(rf"(?P<start>{alternation(v.extraction('from_words'))})(?:{ask})[^，,；;？?。]{{0,6}}?"
                      rf"(?:{alternation(v.extraction('to_endings') + v.extraction('to_words'))})(?:{ask})")


def split_shaped(text: str) -> tuple[str, list[str]]:
    """The question cut into one question per figure asked for, and the shape of the cut (SHAPES)."""
    v = vocabulary()
    questions = [q for q in re.split(r"(?<=[？?])", text) if q.strip(_PUNCT)]
    if len(questions) >= 2 and all(v.cue_groups(q) for q in questions):  # 破了几起？破案率呢？: one ask each
        return "asks", [q.strip() for q in questions]
    from_to = _from_to(text)
    if from_to:
        return "asks", from_to
    asks = list(vocabulary().ask_pattern.finditer(text))
    if len(asks) >= 2:
        return "asks", _several_asks(text, asks)
    if asks:
        distributed = _distributed(text, asks) or _items_after_ask(text, asks)
        if distributed:
            return "each", distributed
    items = _than_items(text) or _joined_items(text)
    if items:
        return "items", items
    pair = _amount_and_change(text)
    return ("asks", pair) if pair else ("", [text])


def split_parts(text: str) -> list[str]:
    """The question cut into one question per figure asked for ([text] when it asks for one)."""
    return split_shaped(text)[1]
