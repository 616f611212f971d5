"""Score facts and sentences of the report against a question's intent.

A fact scores by how much of the question's content its surroundings cover,
nearest first: the segment between its neighbouring figures (plus its subject),
then its clause (plus its actor), its sentence (plus the paragraph's opening
sentence) and its paragraph. Terms are weighted by rarity (idf over sentences)
and phrases the question shares word for word with the text count extra. Words of
the figure's own segment and subject that the question does not mention count
against it. Everything is substring matching over the report's own
text, so it works for any report of the same kind.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

from qa.lexicon import ACTORS, expansions
from qa.question import Intent

_PARTICLE_END = set("里了们到上中下内过来去着的得地呢吗")
_PARTICLE_START = set("能要会被把在给让将已都也还就再所比较年")
CLAUSE_BREAK = re.compile(r"[，；。：！？,;:]")
RETRIEVAL_WEIGHT = 0.25  # share of the fused retrieval score in a fact's score (chosen on the eval set)
LEVELS = (1.0, 0.8, 0.6, 0.2)  # segment, clause, sentence, paragraph
SYNONYM_FACTOR = 0.85  # a report word the user's word stands for counts a little less than the word itself
SUBJECT_PENALTY = 0.4  # how much a figure loses when none of its own words were asked about


@dataclass(frozen=True)
class Context:
    """The texts around a figure (or a sentence), nearest first."""

    segment: str
    clause: str
    sentence: str
    paragraph: str

    def level(self, word: str) -> float:
        for weight, text in zip(LEVELS, (self.segment, self.clause, self.sentence, self.paragraph)):
            if word in text:
                return weight
        return 0.0


@dataclass(frozen=True)
class Match:
    """A scored candidate (fact index or sentence index) with the reasons behind the score."""

    key: int
    score: float
    coverage: float
    reasons: tuple[str, ...] = ()


def clause_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The clause of `text` holding [start, end): from the last break before to the next break after.

    >>> text = "共接投诉举报20件，立案并调处30件，结案30件。"
    >>> left, right = clause_span(text, 14, 17)
    >>> text[left:right]
    '立案并调处30件'
    """
    left = max((m.end() for m in CLAUSE_BREAK.finditer(text, 0, start)), default=0)
    right = CLAUSE_BREAK.search(text, end)
    return left, right.start() if right else len(text)


class Vocabulary:
    """idf of words over the report's sentences, computed on demand and cached."""

    def __init__(self, sentences: Sequence[str], full_text: str) -> None:
        self.sentences = list(sentences)
        self.full_text = full_text
        self._idf = lru_cache(maxsize=16384)(self._compute_idf)
        self.unknown_idf = math.log(1.0 + len(self.sentences))  # a word the report never uses weighs most

    def _compute_idf(self, word: str) -> float:
        df = sum(1 for s in self.sentences if word in s)
        return math.log(1.0 + len(self.sentences) / (1.0 + df))

    def idf(self, word: str) -> float:
        return self._idf(word)

    def covers(self, word: str) -> bool:
        return word in self.full_text


def term_options(term: str, vocab: Vocabulary) -> tuple[tuple[str, float], ...]:
    """Report words a question term may match, each with how much a match counts ((), if none)."""
    known = [(o, 1.0 if o == term else SYNONYM_FACTOR) for o in expansions(term) if vocab.covers(o)]
    if not known and len(term) >= 2:
        # jieba sometimes glues a particle onto a word ("库里", "能办", "办到"): try the word without it
        parts = ([term[:-1]] if term[-1] in _PARTICLE_END else []) + ([term[1:]] if term[0] in _PARTICLE_START else [])
        for part in parts:
            known += [(o, SYNONYM_FACTOR) for o in expansions(part) if vocab.covers(o)]
    return tuple(dict.fromkeys(known))


@dataclass(frozen=True)
class QueryTerms:
    """The question's terms and phrases, each with its weight and the report words it may match."""

    rows: tuple[tuple[str, float, tuple[tuple[str, float], ...]], ...]  # (term, weight, ((option, factor), ...))
    total: float
    options: frozenset[str]

    @classmethod
    def build(cls, terms: Sequence[str], vocab: Vocabulary, *, boost: Iterable[str] = (),
              own: Iterable[str] | None = None) -> "QueryTerms":
        """`boost` terms count double; with `own` (a follow-up's own words) the inherited ones count half."""
        boost = set(boost)
        own = set(own) if own is not None else None
        rows, options = [], set()
        terms = list(dict.fromkeys(terms))
        for term in terms:
            opts = term_options(term, vocab)
            weight = max((vocab.idf(o) for o, _ in opts), default=vocab.unknown_idf)
            factor = (2.0 if term in boost else 1.0) * (0.5 if own is not None and term not in own else 1.0)
            rows.append((term, weight * factor, opts))
            options.update(o for o, _ in opts)
        for a, b in zip(terms, terms[1:]):  # a phrase written as in the report counts once more
            phrase = a + b
            if len(phrase) >= 3 and vocab.covers(phrase):
                rows.append((phrase, 0.5 * (vocab.idf(a) + vocab.idf(b)), ((phrase, 1.0),)))
        return cls(tuple(rows), sum(r[1] for r in rows), frozenset(options))


def coverage(query: QueryTerms, context: Context, vocab: Vocabulary,
             own_tokens: Sequence[str] = ()) -> tuple[float, tuple[str, ...]]:
    """Share (idf-weighted) of the question's terms found near the candidate, and the missing ones.

    >>> vocab = Vocabulary(["审结8820件。", "新收案件9079件。"], "审结8820件。新收案件9079件。")
    >>> q = QueryTerms.build(["审结"], vocab)
    >>> coverage(q, Context("审结8820件", "审结8820件", "", ""), vocab)[0]
    1.0
    """
    found = 0.0
    missing = []
    for term, weight, options in query.rows:
        place = max((context.level(o) * f for o, f in options), default=0.0)
        found += weight * place
        if place == 0.0:
            missing.append(term)
    share = found / query.total if query.total else 0.0
    if own_tokens:  # the figure's own words (its segment and subject) that the question does not mention
        own = sum(vocab.idf(t) for t in own_tokens)
        unasked = sum(vocab.idf(t) for t in own_tokens if not any(t in o for o in query.options))
        share *= 1.0 - SUBJECT_PENALTY * (unasked / own if own else 0.0)
    return share, tuple(missing)


def unit_fits(unit: str, wanted: frozenset[str]) -> bool:
    return not wanted or unit in wanted or any(unit.endswith(w) for w in wanted)


def kind_factor(intent: Intent, kind: str, unit: str, comparison: str | None = None,
                text: str = "") -> tuple[float, str]:
    """How well a fact's kind and unit fit what was asked (1.0 = fits)."""
    growth = kind == "growth_rate" or bool(comparison)
    rank = kind == "rank" or text.startswith("第")
    if intent.asked == "growth":
        return (1.0, "") if growth else (0.35, "not a growth figure")
    if intent.asked == "rank":
        return (1.0, "") if rank else (0.3, "not a rank")
    if growth or rank:
        return 0.3, f"{kind} but a {intent.asked} was asked"
    if intent.asked == "money":
        return (1.0, "") if kind == "money" or unit.endswith("元") else (0.4, "not money")
    if kind == "money" and "元" in intent.units:
        return 1.1, ""
    if not unit_fits(unit, intent.units):
        return 0.3, f"unit {unit or '-'} not in {sorted(intent.units)}"
    if kind == "duration" and not intent.units:
        return 0.6, "a duration, not asked"
    return (1.1, "") if intent.units else (1.0, "")


def actor_factor(intent: Intent, actor_text: str) -> float:
    if not intent.actors:
        return 1.0
    hits = sum(any(alias in actor_text for alias in ACTORS[a]) for a in intent.actors)
    return 1.15 if hits else 0.6


def year_ok(intent: Intent, fact_year: int | None, sentence: str, comparison: bool) -> bool:
    """A year asked about must be the fact's year ("较2019年增长" in its sentence does not make a
    2020 figure a 2019 one); a year compared against must be the base of a comparison figure."""
    asked = all(fact_year == year or (fact_year is None and str(year) in sentence) for year in intent.years)
    return asked and all(comparison and str(year) in sentence for year in intent.base_years)


def rank_matches(matches: Iterable[Match]) -> list[Match]:
    return sorted(matches, key=lambda m: (-m.score, m.key))
