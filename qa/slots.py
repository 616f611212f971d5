"""Slots of a question read from its words against the shared vocabulary: actors, actions, the measure
word and counted noun, places, scope, content words. Each is a pure function of the (normalised) text.

>>> numerals_to_digits("抓了三十余人，排第六，十三五")
'抓了30余人，排第6，十三五'
>>> find_measure("多少份文件")[0], find_scope("其中发明专利多少件")
('份', 'part')
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

import cn2an
from qa.labels import quoted_labels
from qa.lexical import tokenize
from qa.placenames import is_place_name
from qa.reading import DIGITS
from qa.tagging import block_tags
from qa.vocabulary import alternation, vocabulary

CN_NUM = "[零〇一二两三四五六七八九十百千万亿]+"


def rewrite_phrases(text: str) -> str:
    """Everyday phrases to the report's words (比去年 -> 同比), from the vocabulary's phrase table."""
    for phrase, target in _phrases_longest_first():
        text = text.replace(phrase, target)
    return text


@lru_cache(maxsize=1)
def _phrases_longest_first() -> tuple[tuple[str, str], ...]:
    return tuple(sorted(vocabulary().tables["synonyms"]["phrases"].items(), key=lambda kv: -len(kv[0])))


@lru_cache(maxsize=4096)
def numerals_to_digits(text: str) -> str:
    """Chinese numerals that are quantities become digits (三十余人 -> 30余人, 第六 -> 第6).

    Only a numeral followed by a measure word (or after 第) counts: 十三五 and 一共 stay.

    >>> numerals_to_digits("抓了三十余人，排第六，十三五")
    '抓了30余人，排第6，十三五'
    """
    measures = alternation(vocabulary().measure_words + ("万", "亿"))

    def convert(m: re.Match) -> str:
        if m.group(1) == "零":  # 零部件, 零件: a lone 零 before a measure word is part of a word, not a quantity
            return m.group(0)
        try:
            return str(cn2an.cn2an(m.group(1), "smart")) + m.group(2)
        except (ValueError, KeyError, IndexError):  # not a well-formed numeral: keep it as written
            return m.group(0)

    kept = _numbered_words(text)  # 第一产业, 三次产业: names of the vocabulary, kept as written

    def convert_outside(m: re.Match) -> str:
        return m.group(0) if any(a <= m.start() < b for a, b in kept) else convert(m)

    glued = "".join(vocabulary().units("numeral_not_after"))
    text = re.sub(f"(?<![{glued}])({CN_NUM})((?:余|多)?(?:{measures}))", convert_outside, text)
    kept = _numbered_words(text)
    return re.sub(f"(?<=第)({CN_NUM})()", convert_outside, text)


def _numbered_words(text: str) -> list[tuple[int, int]]:
    """Spans of the vocabulary's words written with a Chinese numeral (第一产业, 三次产业) in `text`.

    >>> _numbered_words("第三产业增加值")  # 三产 is a word of its own too
    [(0, 4), (1, 3)]
    """
    return sorted(m.span() for w in _numbered_vocabulary() if w in text for m in re.finditer(re.escape(w), text))


@lru_cache(maxsize=1)
def _numbered_vocabulary() -> tuple[str, ...]:
    """The vocabulary's words holding a Chinese numeral (looked for in every question: found once)."""
    from qa.lexical import vocabulary_words

    return tuple(w for w in vocabulary_words() if re.search(CN_NUM, w))


def find_actors(text: str) -> tuple[str, ...]:
    """Actors named in a text (canonical names), in order of appearance."""
    lowered, found = text.lower(), {}
    for name, aliases in _lowered_actors():
        positions = [lowered.find(a) for a in aliases if a in lowered]
        if positions:
            found[name] = min(positions)
    return tuple(sorted(found, key=found.get))


@lru_cache(maxsize=1)
def _lowered_actors() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each actor's aliases in lower case, in the vocabulary's order."""
    return tuple((name, tuple(a.lower() for a in aliases)) for name, aliases in vocabulary().actors.items())


def find_actions(tokens: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """(word, action) for the words (jieba tokens) naming an action, or an action with a measure
    suffix (破案率, 结案数); the 受理 of 受理窗口 names a thing, not an action."""
    v = vocabulary()
    suffixes = v.tables["predicates"]["measures"]["suffixes"]
    found = []
    for t in tokens:
        if v.action_of(t):
            found.append((t, v.action_of(t)))
            continue
        for suffix in suffixes:
            stem = t[: -len(suffix)]
            if t.endswith(suffix) and len(stem) > 1 and v.action_of(stem):
                found.append((stem, v.action_of(stem)))
                break
    return tuple(dict.fromkeys(found))


def topic_dropped(action_words: tuple[tuple[str, str], ...], text: str) -> tuple[tuple[str, str], ...]:
    """The (word, action) pairs without those naming a line of work (an action word always followed by one of
    predicates.toml [measures.topic_heads]: 调解工作), when an action the question asks remains.

    >>> topic_dropped((("调解", "调处"), ("接到", "收案")), "纠纷调解工作中共接到投诉举报多少件")
    (('接到', '收案'),)
    >>> topic_dropped((("调解", "调处"),), "调解工作中调解了多少件")
    (('调解', '调处'),)
    """
    if len(action_words) < 2:  # a lone action is the one asked
        return action_words
    heads = _topic_heads()
    kept = tuple((w, a) for w, a in action_words
                 if not all(heads.match(text, m.end()) for m in re.finditer(re.escape(w), text)))
    return kept if kept else action_words


@lru_cache(maxsize=1)
def _topic_heads() -> re.Pattern:
    return re.compile(alternation(vocabulary().tables["predicates"]["measures"]["topic_heads"]["words"]))


def find_measure(text: str, *, count_nouns: bool = True) -> tuple[str, frozenset[str]]:
    """The measure word after 多少/几 (or a count noun such as 人数) and the units it allows.

    个 alone allows anything, except in 几个人 and 几个月. A noun led by a measure word is no measure:

    >>> find_measure("机电产品占了多大份额")[0], find_measure("多少份文件")[0], find_measure("总量排第几名")[0]
    ('', '份', '')
    """
    v = vocabulary()
    m = _measure_after_ask().search(text)
    # 第几名, 第几位: the measure word of a rank, which counts no people (the rank cue asks it)
    word = m.group(2) if m and "第" not in text[max(0, m.start() - 1):m.start() + 1] else ""
    if word == "个":
        word = {"人": "人", "月": "个月"}.get(text[m.end():m.end() + 1], "")
    if not word and count_nouns:  # 批捕的人数 counts people; 件数涨幅 asks a rate, not a count
        nouns = v.tables["units"]["count_nouns"]
        word = next((nouns[n] for n in sorted(nouns, key=len, reverse=True) if n in text), "")
    if not word and m is None and count_nouns and counts_people(text):
        word = "人"
    return word, (v.units_for(word) if word else frozenset())


@lru_cache(maxsize=1)
def _measure_after_ask() -> re.Pattern:
    """A question word and the measure word after it; 哪几家, 哪几个 ask which ones, not how many: no measure
    word after 哪 (compiled once: the answer path reads every question with it)."""
    v = vocabulary()
    led = alternation(v.units("measure_led_nouns"))
    return re.compile(f"(?<!哪)(?:{alternation(v.ask_words)})(万|亿)?(?!{led})({alternation(v.measure_words)})")


@lru_cache(maxsize=1)
def _people_after_ask() -> re.Pattern:
    v = vocabulary()
    people = alternation(v.units("person_nouns")["words"])
    ask = alternation(v.ask_words)
    return re.compile(f"(?<!哪)(?:{ask})[^，,。？?！!、的]{{0,6}}?(?:{people})(?=$|[，,。？?！!\\s了呢吗啊呀吧])")


@lru_cache(maxsize=1)
def _counted_after_ask() -> re.Pattern:
    v = vocabulary()
    return re.compile(f"(?<!哪)(?:{alternation(v.ask_words)})(?:{alternation(v.measure_words)})?([^，,。？?！!、的了呢吗]{{1,8}})")


def counts_people(text: str) -> bool:
    """Whether the thing counted after 多少/几, with no measure word, ends with a person noun (多少犯罪嫌疑人,
    几位专家 has its measure word): nouns in qa/vocab/units.toml [person_nouns]; 多少专家库 counts libraries.

    >>> counts_people("抓获了多少犯罪嫌疑人？"), counts_people("有多少专家库"), counts_people("涉案金额多少")
    (True, False, False)
    """
    return _people_after_ask().search(text) is not None


def find_counted(text: str) -> tuple[str, ...]:
    """The noun a question counts: 多少名专家 -> 专家."""
    found = []
    for m in _counted_after_ask().finditer(text):
        found += tokenize(m.group(1), search=False)[:2]
    return tuple(dict.fromkeys(found))

def find_places(text: str) -> tuple[str, ...]:
    """Place names: jieba's ns tag, and the vocabulary's provinces, cities and countries."""
    v = vocabulary()
    # jieba tags some everyday words ns (东西, 惠及): a tagged word is a place only when it is a place name
    # (qa.placenames: 东丽区, 上海市; not 示范区) or one of the vocabulary's places.
    tagged = [w for w, flag in block_tags(text) if flag == "ns" and v.actor_of(w) is None
              and is_place_name(w) and w not in v.generic_nouns]
    listed = [p for p in v.places if p in text]
    return tuple(dict.fromkeys(tagged + listed))


def find_scope(text: str, action_words: Sequence[str] = ()) -> str:
    """part, delta or total (cues.toml [scope]); a cue inside one of the question's action words that is no
    cue itself reads nothing (新收 is receiving cases, not something new).

    >>> find_scope("一共新收了多少案件", ["新收"]), find_scope("一共新增了多少家", ["新增"]), find_scope("新收了多少")
    ('total', 'delta', 'delta')
    """
    scope = vocabulary().tables["cues"]["scope"]
    cues = {w for name in ("part", "delta", "total") for w in scope[name]}
    for word in action_words:
        if word not in cues:
            text = text.replace(word, "\0")
    for name in ("part", "delta", "total"):
        if any(w in text for w in scope[name]):
            return name
    return ""

def counts_of(term: str) -> bool:
    """Whether a word names the count of a thing: it ends with one of the measure suffixes that count (立案数,
    案件数, 人数), and is none of the words that end alike but count nothing (指数): predicates.toml [measures].

    >>> counts_of("案件数"), counts_of("价格指数"), counts_of("数"), counts_of("破案率")
    (True, False, False, False)
    """
    counting, not_counts = _count_suffixes()
    return len(term) > 1 and term.endswith(counting) and not term.endswith(not_counts)


@lru_cache(maxsize=1)
def _count_suffixes() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the measure suffixes that count: 数, 件数, 人数; not 率, 量, 额) and the words ending so that count nothing."""
    measures = vocabulary().tables["predicates"]["measures"]
    return tuple(s for s in measures["suffixes"] if s.endswith("数")), tuple(measures["not_counts"])


_HAS_DIGIT = re.compile(r"\d")


def content_terms(text: str) -> tuple[str, ...]:
    """The question's own content words: jieba words minus fillers, cues and figures; a negated
    word keeps its negation (不起诉 is not 起诉)."""
    negations = tuple(vocabulary().tables["cues"]["negation"]["words"])
    text = vocabulary().ask_pattern.sub(" ", text)  # 百分之多少 asks; it names nothing
    terms = []
    for t in tokenize(text, search=False):
        if DIGITS.fullmatch(t):
            continue
        at = text.find(t)
        before = next((n for n in negations if text.endswith(n, 0, at)), "") if at > 0 else ""
        terms.append(before + t)
    # a quoted label with a number in it (“9.26”案, “昆仑2020”) names one thing as the report writes it;
    # its number alone is cut off above as a figure
    terms += [label for label in quoted_labels(text) if _HAS_DIGIT.search(label)]
    return tuple(dict.fromkeys(terms))


def content_nouns(text: str, terms: Sequence[str]) -> tuple[str, ...]:
    """Content words tagged as nouns by jieba (工资, 商业秘密): things the report must mention."""
    v = vocabulary()
    tagged = {w.lower() for w, flag in block_tags(text) if flag.startswith(("n", "vn", "eng")) and len(w) > 1}
    return tuple(t for t in terms if t in tagged and t not in v.generic_nouns and v.actor_of(t) is None)


def names_thing(text: str) -> bool:
    """Whether a question names a thing of its own (a noun that is no actor, action, cue or filler)."""
    v = vocabulary()
    cue_words = {c for group in v.asked_cues.values() for c in group}
    text = v.ask_pattern.sub(" ", text)
    for word, flag in block_tags(text):
        word = word.lower()
        if (flag.startswith(("n", "vn", "eng")) and len(word) > 1 and word not in v.fillers
                and word not in cue_words and v.actor_of(word) is None and v.action_of(word) is None
                and word not in v.generic_nouns):
            return True
    return False


def _word_starts(text: str) -> set[int]:
    """Where the words of the reader's own (cached) segmentation of a question start."""
    starts, at = set(), 0
    for word, _ in block_tags(text):
        starts.add(at)
        at += len(word)
    return starts


def now_offset(text: str) -> int | None:
    """0 for a question about this year (今年), -1 for last year (去年), None for neither or both; written
    as a word of its own and not a comparison base (去年同期). Words in qa/vocab/cues.toml [relative_years].

    >>> now_offset("今年目标是多少"), now_offset("去年完成了多少"), now_offset("比去年同期增长多少"), now_offset("今年比去年多多少")
    (0, -1, None, None)
    """
    words = vocabulary().tables["cues"]["relative_years"]
    written = [(offset, w) for offset, key in ((0, "now"), (-1, "last")) for w in words[key] if w in text]
    if not written:  # most questions: no segmentation or pattern needed
        return None
    starts = _word_starts(text)
    base = alternation(words["not_before"])
    found = {offset for offset, w in written for m in re.finditer(re.escape(w), text)
             if m.start() in starts and not re.match(base, text[m.end():])}
    return found.pop() if len(found) == 1 else None


def relative_year(text: str) -> str:
    """A year named relative to the report's that cannot mean it (前年, 前一年), written as a word of its own:
    学前一年 (a year of preschool) names none. Words in qa/vocab/cues.toml [relative_years].

    >>> relative_year("前一年法院收了多少案子"), relative_year("学前一年免费教育惠及多少人"), relative_year("海关前年扣了多少")
    ('前一年', '', '前年')
    """
    words = [w for w in vocabulary().tables["cues"]["relative_years"]["before"] if w in text]
    if not words:
        return ""
    starts = _word_starts(text)
    return next((w for w in words if any(m.start() in starts for m in re.finditer(re.escape(w), text))), "")
