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

from qa.lexical import tokenize
from qa.lexicon import (ACTORS, FIGURE_PATTERN, FOLLOWUP_START, GROWTH_PATTERN, MONEY_WORDS, PEOPLE_WORDS,
                        RANK_PATTERN, SYNONYMS, TEXT_PATTERN, UNIT_GROUPS)

ASKED = ("count", "money", "growth", "rank", "text")
_MEASURE = re.compile(r"(?:多少|几)(万|亿)?(件|起|宗|名|人次|人|位|家次|家|个|所|次|元|项|批次|批|册|篇|笔|支|年|天|月|户)")
_CN_NUM = "[零〇一二两三四五六七八九十百千万亿]+"
_CN_QUANTITY = re.compile(f"({_CN_NUM})((?:余|多)?(?:件|起|宗|名|人次|人|位|家|个|项|次|批|册|篇|笔|支|元|万|亿|年|天|月|户|倍))")
_CN_ORDINAL = re.compile(f"第({_CN_NUM})()")
_YEAR = re.compile(r"((?:19|20)\d{2}|[〇零一二三四五六七八九]{4})\s*年")


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
    core_terms: tuple[str, ...]  # content tokens as the user wrote them
    units: frozenset[str] = frozenset()
    actors: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    places: tuple[str, ...] = ()  # place names in the question
    wants_two: bool = False
    is_followup: bool = False
    previous_answer: str = ""  # the assistant's last answer, for follow-ups
    numbers_in_question: tuple[str, ...] = field(default=())


def _years(text: str) -> tuple[int, ...]:
    years = []
    for match in _YEAR.finditer(text):
        raw = match.group(1)
        if not raw.isdigit():
            raw = "".join(str("〇一二三四五六七八九".index(ch)) if ch in "〇一二三四五六七八九" else "0" for ch in raw)
        years.append(int(raw))
    if re.search(r"去年|上一年|上年", text):
        years.append(-1)  # relative: resolved against the report year by the matcher
    return tuple(dict.fromkeys(years))


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
        if word == "个" and text[match.end():match.end() + 1] == "人":  # 几个人 counts people
            word = "人"
        units.update(next((g for g in UNIT_GROUPS if word in g), {word}))
    asks_amount = re.search(r"多少|几", text)
    after = text[asks_amount.end():] if asks_amount else ""
    if not units and any(w in after for w in PEOPLE_WORDS):
        units.update({"名", "人", "人次"})
    if any(w in text for w in MONEY_WORDS):
        units.add("元")
    return frozenset(units)


def detect_asked(text: str, units: frozenset[str]) -> str:
    if re.search(RANK_PATTERN, text):
        return "rank"
    if re.search(GROWTH_PATTERN, text):
        return "growth"
    wants_figure = re.search(FIGURE_PATTERN, text) is not None
    if not wants_figure and re.search(TEXT_PATTERN, text):
        return "text"
    if units == {"元"}:
        return "money"
    return "count" if wants_figure else "text"


def expand_terms(tokens: Sequence[str], text: str) -> tuple[str, ...]:
    """Tokens plus the report words their everyday forms stand for."""
    expanded = list(tokens)
    token_set = set(tokens)
    for word, targets in SYNONYMS.items():
        # one-character words only as whole tokens: "人" in "人口" is not a person
        if (word in token_set) if len(word) == 1 else (word in text):
            expanded.extend(targets)
    for canonical in detect_actors(text):
        expanded.extend(a for a in ACTORS[canonical] if len(a) > 1)
    return tuple(dict.fromkeys(expanded))


def places(text: str) -> tuple[str, ...]:
    """Place names (jieba's ``ns`` tag) in a text."""
    return tuple(w.word for w in posseg.cut(text) if w.flag == "ns")


def _is_elliptical(question: str, tokens: Sequence[str]) -> bool:
    stripped = re.sub(r"[？?！!。，,\s]", "", question)
    if stripped.startswith(FOLLOWUP_START) or stripped.endswith("呢"):
        return True
    content = [t for t in tokens if not re.fullmatch(FIGURE_PATTERN + "|" + GROWTH_PATTERN, t)]
    return len(stripped) <= 6 or not content


def understand(question: str, history: Sequence[Turn] = ()) -> Intent:
    """Read a (cleaned) question and, for follow-ups, the last user turn of the history."""
    text = _normalise_numerals(question)
    tokens = tokenize(text)
    units = detect_units(text)
    asked = detect_asked(text, units)
    actors = detect_actors(text)
    previous_user = next((t.content for t in reversed(history) if t.role == "user" and t.content.strip()), "")
    previous_answer = next((t.content for t in reversed(history) if t.role == "assistant"), "")
    query, followup = text, False
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
        tokens = tokenize(query)
    wants_two = (len(re.findall(r"多少|几", text)) >= 2 or "分别" in text or "各" in text
                 or (asked == "growth" and re.search(r"(多少|几)[件起名人个家项元]", text) is not None))
    return Intent(
        question=question, query=query, asked=asked, terms=expand_terms(tokens, query), core_terms=tuple(tokens),
        units=units, actors=actors, years=_years(text), places=places(text), wants_two=wants_two,
        is_followup=followup, previous_answer=previous_answer if followup else "",
        numbers_in_question=tuple(re.findall(r"\d+(?:\.\d+)?", text)),
    )
