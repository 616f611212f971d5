"""Score facts and sentences of the report against a question's intent.

A fact scores by how much of the question's content its local context covers
(the clause holding the figure first, then its sentence, subject and actor),
weighted by rarity (idf over sentences), then by whether its kind, unit, actor
and year fit what was asked, plus a share of the hybrid retrieval score of the
chunk it sits in. Everything is substring matching over the report's own text,
so it works for any report of the same kind.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

from qa.lexicon import ACTORS, SYNONYMS
from qa.question import Intent

_CLAUSE_BREAK = re.compile(r"[，；。：！？,;:]")
RETRIEVAL_WEIGHT = 0.25  # share of the fused retrieval score in a fact's score (chosen on the eval set)


@dataclass(frozen=True)
class Context:
    """The texts around a figure or sentence that a question is matched against."""

    clause: str
    sentence: str
    paragraph: str
    actor: str = ""


@dataclass(frozen=True)
class Match:
    """A scored candidate (fact index or sentence index) with the reasons behind the score."""

    key: int
    score: float
    coverage: float
    reasons: tuple[str, ...] = ()


def clause_around(text: str, start: int, end: int) -> str:
    """The clause of `text` holding [start, end): from the last break before to the next break after.

    >>> clause_around("共接投诉举报20件，立案并调处30件，结案30件。", 14, 17)
    '立案并调处30件'
    """
    left = max((m.end() for m in _CLAUSE_BREAK.finditer(text, 0, start)), default=0)
    right = _CLAUSE_BREAK.search(text, end)
    return text[left:right.start() if right else len(text)]


class Vocabulary:
    """idf of words over the report's sentences, computed on demand and cached."""

    def __init__(self, sentences: Sequence[str], full_text: str) -> None:
        self.sentences = list(sentences)
        self.full_text = full_text
        self._idf = lru_cache(maxsize=8192)(self._compute_idf)

    def _compute_idf(self, word: str) -> float:
        df = sum(1 for s in self.sentences if word in s)
        return math.log(1.0 + len(self.sentences) / (1.0 + df))

    def idf(self, word: str) -> float:
        return self._idf(word)

    def covers(self, word: str) -> bool:
        return word in self.full_text


def expansions(token: str) -> tuple[str, ...]:
    """A question token and the report words it may stand for."""
    found = [token, *SYNONYMS.get(token, ())]
    for key, targets in SYNONYMS.items():
        if len(key) > 1 and key != token and key in token:
            found.extend(targets)
    for aliases in ACTORS.values():
        if token in aliases:
            found.extend(a for a in aliases if len(a) > 1)
    return tuple(dict.fromkeys(found))


def coverage(core_terms: Iterable[str], context: Context, vocab: Vocabulary) -> tuple[float, tuple[str, ...]]:
    """Share (idf-weighted) of the question's terms found near the candidate, and the missing ones.

    A term found in the clause counts fully, in the sentence 0.7, in the paragraph 0.4.
    A term the report never uses (nor any word it stands for) counts as missing at full weight.
    """
    total = found = 0.0
    missing = []
    for term in core_terms:
        options = expansions(term)
        known = [o for o in options if vocab.covers(o)]
        weight = max((vocab.idf(o) for o in known), default=vocab.idf("\u2205"))
        total += weight
        place = 0.0
        for option in known:
            if option in context.clause or option in context.actor:
                place = 1.0
                break
            if option in context.sentence:
                place = max(place, 0.7)
            elif option in context.paragraph:
                place = max(place, 0.4)
        found += weight * place
        if place == 0.0:
            missing.append(term)
    return (found / total if total else 0.0), tuple(missing)


def unit_fits(unit: str, wanted: frozenset[str]) -> bool:
    return not wanted or unit in wanted or any(unit.endswith(w) for w in wanted)


def kind_factor(intent: Intent, kind: str, unit: str) -> tuple[float, str]:
    """How well a fact's kind and unit fit what was asked (1.0 = fits)."""
    growth, rank = kind in ("growth_rate", "growth", "change"), kind == "rank"
    if intent.asked == "growth":
        return (1.0, "") if growth else (0.35, "not a growth figure")
    if intent.asked == "rank":
        return (1.0, "") if rank else (0.3, "not a rank")
    if growth or rank:
        return 0.3, f"{kind} but a {intent.asked} was asked"
    if intent.asked == "money":
        return (1.0, "") if unit.endswith("元") else (0.4, "not money")
    if not unit_fits(unit, intent.units):
        return 0.45, f"unit {unit} not in {sorted(intent.units)}"
    return (1.1, "") if intent.units else (1.0, "")


def actor_factor(intent: Intent, context: Context) -> float:
    if not intent.actors:
        return 1.0
    text = context.actor + context.sentence + context.paragraph[:40]
    hits = sum(any(alias in text for alias in ACTORS[a]) for a in intent.actors)
    return 1.15 if hits else 0.6


def year_ok(intent: Intent, fact_year: int | None, sentence: str, report_year: int | None) -> bool:
    """A year in the question must be the fact's year or written in its sentence."""
    for year in intent.years:
        year = (report_year - 1) if year == -1 and report_year else year
        if year <= 0:
            continue
        if fact_year != year and str(year) not in sentence:
            return False
    return True


def rank_matches(matches: Iterable[Match]) -> list[Match]:
    return sorted(matches, key=lambda m: (-m.score, m.key))
