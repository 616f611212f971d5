"""Question understanding: what is asked for, about whom, with which comparison and year.

>>> intent = understand("警察抓了多少人？")
>>> intent.asked, intent.actors, "抓获" in intent.terms, "名" in intent.units
('count', ('公安',), True, True)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

import cn2an
import jieba.posseg as posseg

from qa.lexical import STOPWORDS, tokenize
from qa.numbers import find_years
from qa.lexicon import (ACTORS, expansions, GENERIC_NOUNS, NAME_PATTERN, RATE_PATTERN, DURATION_PATTERN, DURATION_UNITS, FIGURE_PATTERN, FOLLOWUP_START, GROWTH_PATTERN, MONEY_WORDS, PEOPLE_WORDS,
                        RANK_PATTERN, TEXT_PATTERN, UNIT_GROUPS)

ASKED = ("count", "money", "growth", "rank", "text")
_MEASURE = re.compile(r"(?:多少|几)(万|亿)?(件|起|宗|名|人次|人|位|家次|家|个|所|次|元|项|批次|批|册|篇|笔|支|年|天|月|户)")
_CN_NUM = "[零〇一二两三四五六七八九十百千万亿]+"
_CN_QUANTITY = re.compile(f"({_CN_NUM})((?:余|多)?(?:件|起|宗|名|人次|人|位|家|个|项|次|批|册|篇|笔|支|元|万|亿|年|天|月|户|倍))")
_CN_ORDINAL = re.compile(f"第({_CN_NUM})()")
_YEAR_ON_YEAR = re.compile(r"(?:比|较|相比|跟|和)(?:前一?年|上一?年|去年|上年度?)(?:相比|比)?")


@dataclass(frozen=True)
class Turn:
    """One message of a chat history."""

    role: str  # "user" or "assistant"
    content: str


@dataclass(frozen=True)
class Intent:
    """What a question asks, as the matcher needs it."""

    question: str  # the question as asked (cleaned)
    query: str  # text used for retrieval (with follow-up context folded in)
    asked: str  # one of ASKED
    terms: tuple[str, ...]  # content tokens, expanded with report vocabulary
    core_terms: tuple[str, ...]  # content words as the user wrote them (jieba precise mode)
    boost_terms: tuple[str, ...] = ()  # what is counted or asked about, and a follow-up's own words
    own_terms: tuple[str, ...] | None = None  # a follow-up's own words (None when not a follow-up)
    counted: tuple[str, ...] = ()  # the noun after 多少/几 + measure word: the figure must count it
    asked_nouns: tuple[str, ...] = ()  # nouns the question is about ("工资多少"); must exist in the report
    actor_switch: bool = False  # a follow-up that only changes who ("海关呢？")
    units: frozenset[str] = frozenset()
    actors: tuple[str, ...] = ()
    years: tuple[int, ...] = ()  # the years asked about
    base_years: tuple[int, ...] = ()  # years compared against ("比2019年增长多少")
    places: tuple[str, ...] = ()  # place names in the question
    nouns: tuple[str, ...] = ()  # its other content nouns: each must be something the report mentions
    parts: tuple["Intent", ...] = ()  # one sub-question per figure asked ("审结多少件，同比增长多少")
    is_followup: bool = False
    previous_answer: str = ""  # the assistant's last answer, for follow-ups
    numbers_in_question: tuple[str, ...] = field(default=())

    @property
    def wants_two(self) -> bool:
        """More than one figure is asked for ("批准逮捕多少件、多少人")."""
        return len(self.parts) > 1


def _years(text: str, *, base: bool) -> tuple[int, ...]:
    """Years asked about (`base=False`) or compared against (`base=True`: "比2019年增长").

    Runs on the normalised question, where 二〇一九年 is already 2019年.
    """
    return tuple(dict.fromkeys(y.year for y in find_years(text) if y.is_base == base))


def _numeral_to_digits(match: re.Match) -> str:
    try:
        return str(cn2an.cn2an(match.group(1), "smart")) + match.group(2)
    except (ValueError, KeyError, IndexError):  # not a well-formed numeral: keep it as written
        return match.group(0)


def _normalise_numerals(text: str) -> str:
    """Chinese numerals to digits where they are quantities ("三十余人" -> "30余人", "第六" -> "第6").

    Only a numeral followed by a measure word (or after 第) counts, so names such as
    十三五 and words such as 一共 stay as written.
    """
    text = _YEAR_ON_YEAR.sub("同比", text)  # "比前一年/比去年/较上年": what reports write as 同比
    text = _CN_QUANTITY.sub(_numeral_to_digits, text)
    return _CN_ORDINAL.sub(lambda m: "第" + _numeral_to_digits(m), text)


def detect_actors(text: str) -> tuple[str, ...]:
    """Canonical actors named in a text, in order of appearance."""
    found = []
    for canonical, aliases in ACTORS.items():
        positions = [text.find(a) for a in aliases if a in text]
        if positions:
            found.append((min(positions), canonical))
    return tuple(name for _, name in sorted(found))


def detect_units(text: str) -> frozenset[str]:
    """Units a figure answering this question may carry (empty when anything goes)."""
    units: set[str] = set()
    for match in _MEASURE.finditer(text):
        word = match.group(2)
        if word == "个":
            following = text[match.end():match.end() + 1]
            if following == "人":  # 几个人 counts people
                word = "人"
            elif following == "月":
                word = "个月"
            else:  # 个 is the everyday classifier for anything: no constraint
                continue
        units.update(next((g for g in UNIT_GROUPS if word in g), {word}))
    asks_amount = re.search(r"多少|几", text)
    after = text[asks_amount.end():] if asks_amount else ""
    if not units and any(w in after for w in PEOPLE_WORDS):
        units.update({"名", "人", "人次"})
    if not units and any(w in text for w in MONEY_WORDS):  # an explicit measure word ("多少笔") wins
        units.add("元")
    if re.search(RATE_PATTERN, text) and not re.search(GROWTH_PATTERN, text):
        units.add("%")
    if re.search(DURATION_PATTERN, text):
        units.update(DURATION_UNITS)
    return frozenset(units)


def detect_asked(text: str, units: frozenset[str]) -> str:
    if re.search(RANK_PATTERN, text):
        return "rank"
    if re.search(GROWTH_PATTERN, text):
        return "growth"
    if re.search(NAME_PATTERN, text) and not re.search(r"多少|第几|百分之几", text):
        return "text"
    wants_figure = re.search(FIGURE_PATTERN + "|" + DURATION_PATTERN, text) is not None
    if not wants_figure and re.search(TEXT_PATTERN, text):
        return "text"
    if units == {"元"}:
        return "money"
    return "count" if wants_figure else "text"


def expand_terms(tokens: Sequence[str]) -> tuple[str, ...]:
    """Tokens plus the report words their everyday forms stand for (for the lexical search)."""
    return tuple(dict.fromkeys(o for t in tokens for o in expansions(t)))


def places_and_nouns(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Place names (jieba's ``ns`` tag) and other content nouns (``n*``, two characters or more)."""
    tagged = [(w.word.lower(), w.flag) for w in posseg.cut(text)]
    places = tuple(word for word, flag in tagged if flag == "ns")
    nouns = tuple(word for word, flag in tagged if flag.startswith("n") and flag != "ns" and len(word) > 1
                  and word not in GENERIC_NOUNS and word not in STOPWORDS)
    return places, nouns


def _is_elliptical(question: str, tokens: Sequence[str]) -> bool:
    stripped = re.sub(r"[？?！!。，,\s]", "", question)
    if stripped.startswith(FOLLOWUP_START) or stripped.endswith("呢"):
        return True
    content = [t for t in tokens if not re.fullmatch(FIGURE_PATTERN + "|" + GROWTH_PATTERN, t)
               and not t.isdigit() and len(t) > 1]
    # "比前一年多了多少？", "审结了多少？": a short question naming no thing leans on the one before
    no_thing = len(stripped) <= 12 and not places_and_nouns(stripped)[1]
    return len(stripped) <= 6 or not content or no_thing


_ASK = re.compile(r"百分之几|第几|多少|几")
_JOINER = re.compile(r"[，,、；;]|以及|还有|并且|和|及|与")


def split_parts(text: str) -> list[str]:
    """Cut a question asking for several figures into one question per figure.

    >>> split_parts("全市法院审结多少件，同比增长多少？")
    ['全市法院审结多少件', '同比增长多少？']
    >>> split_parts("批准逮捕了多少件多少人")
    ['批准逮捕了多少件', '多少人']
    >>> split_parts("有效发明专利数量和增速分别是多少")
    ['有效发明专利数量分别是多少', '增速分别是多少']
    """
    asks = list(_ASK.finditer(text))
    each = re.search(r"分别|各自|各", text[: asks[0].start()]) if len(asks) == 1 else None
    if each:
        head, tail = text[: each.start()], text[each.start():]
        items = [i for i in re.split(r"和|、|及|与|以及", head) if i.strip()]
        return [i + tail for i in items] if len(items) >= 2 else [text]
    if len(asks) < 2:
        return [text]
    parts, start = [], 0
    for ask, following in zip(asks, asks[1:]):
        measure = _MEASURE.match(text, ask.start())
        cut = measure.end() if measure else ask.end()
        joiner = _JOINER.search(text, ask.end(), following.start())
        if joiner:
            cut = joiner.start()
        parts.append(text[start:cut])
        start = joiner.end() if joiner else cut
    parts.append(text[start:])
    return [p.strip(" ，,、；;") for p in parts if p.strip(" ，,、；;")]


def counted_things(text: str) -> tuple[str, ...]:
    """Words naming what is counted: the noun after 多少/几 and a measure word ("多少名专家" -> 专家)."""
    found = []
    for match in re.finditer(r"(?:多少|几)(?:个|名|件|起|家|项|位|支|条|批次?|次|种)?([^，,。？?！!、的了呢吗]{1,8})", text):
        found += tokenize(match.group(1), search=False)[:2]
    return tuple(dict.fromkeys(found))


def asked_things(text: str) -> tuple[str, ...]:
    """Nouns right before the question word: "工资多少" -> 工资, "局长是谁" -> 局长."""
    found = []
    asking = r"(?:是|有|为|达|共|一共|总共|大概|大约)*(?:多少|几|谁|什么|哪)|(?:同比|比上年|比去年)?(?:增长|增加|上升|下降)"
    for match in re.finditer(r"([\u4e00-\u9fff]{1,8}?)(?:的)?(?:" + asking + ")", text):
        words = [w for w in posseg.cut(match.group(1)) if w.word.strip()]
        if words and words[-1].flag.startswith("n") and words[-1].word in tokenize(words[-1].word, search=False):
            found.append(words[-1].word.lower())
    return tuple(found)


def _sub_intents(text: str, context: str = "") -> tuple[Intent, ...]:
    pieces = split_parts(text)
    if len(pieces) < 2:
        return ()
    lead = context or _ASK.sub("", _MEASURE.sub("", pieces[0]))
    lead_actors = " ".join(a for c in detect_actors(pieces[0]) for a in ACTORS[c][:1])
    parts = []
    for i, piece in enumerate(pieces):
        words = tokenize(piece)
        if i and (_is_elliptical(piece, words) or len(words) <= 3):
            piece = f"{lead} {piece}"
        elif i and not detect_actors(piece):
            piece = f"{lead_actors} {piece}"
        elif context:
            piece = f"{context} {piece}"
        parts.append(understand(piece, split=False))
    return tuple(parts)


def understand(question: str, history: Sequence[Turn] = (), *, split: bool = True) -> Intent:
    """Read a (cleaned) question and, for follow-ups, the last user turn of the history."""
    text = _normalise_numerals(question)
    tokens = tokenize(text, search=False)
    units = detect_units(text)
    asked = detect_asked(text, units)
    actors = detect_actors(text)
    previous_user = next((t.content for t in reversed(history) if t.role == "user" and t.content.strip()), "")
    previous_answer = next((t.content for t in reversed(history) if t.role == "assistant"), "")
    query, followup, own, earlier = text, False, (), ""
    if previous_user and _is_elliptical(question, tokens):
        followup = True
        earlier = _normalise_numerals(previous_user)
        if actors:  # "海关呢？": swap the actor, keep the topic
            for alias in sorted({a for c in detect_actors(earlier) for a in ACTORS[c]}, key=len, reverse=True):
                earlier = earlier.replace(alias, "")
        earlier_units = detect_units(earlier)
        earlier_asked = detect_asked(earlier, earlier_units)
        if asked in ("count", "text") and not re.search(FIGURE_PATTERN, question) and earlier_asked != "text":
            asked, units = earlier_asked, units or earlier_units
        elif asked == "count" and not units:
            units = earlier_units if earlier_asked == "count" else units
        query = f"{earlier} {text}"
        actors = actors or detect_actors(earlier)
        own = tokens
        tokens = tokenize(query, search=False)
    parts = _sub_intents(text, earlier) if split else ()
    if split and followup and not parts and len(split_parts(earlier)) > 1:
        # "批准逮捕多少件多少人？" then "那起诉呢？": ask the new topic once per figure asked before
        parts = tuple(understand(question, [Turn("user", piece)], split=False) for piece in split_parts(earlier))
    places_found, nouns = places_and_nouns(text)
    counted = counted_things(text)
    about = tuple(dict.fromkeys((*counted, *asked_things(text))))
    return Intent(
        question=question, query=query, asked=asked, terms=expand_terms(tokenize(query)),
        core_terms=tuple(tokens), boost_terms=tuple(dict.fromkeys((*own, *about))),
        own_terms=tuple(own) if followup else None, counted=counted, asked_nouns=about,
        actor_switch=followup and bool(detect_actors(text)),
        units=units, actors=actors, years=_years(text, base=False),
        base_years=_years(text, base=True), places=places_found,
        nouns=nouns, parts=parts,
        is_followup=followup, previous_answer=previous_answer if followup else "",
        numbers_in_question=tuple(re.findall(r"\d+(?:\.\d+)?", text)),
    )
