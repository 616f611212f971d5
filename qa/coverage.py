"""How much of a question a piece of report text covers, level by level (segment, clause, sentence, paragraph).

Terms weigh by rarity (idf over the report's sentences). A question term matches the report
word itself or a word the vocabulary says it stands for (警察 -> 公安机关); a term the report
never uses, in any form, is *unknown*: it lowers confidence and is reported, it never refuses
on its own.

>>> stats = ReportStats(["全市法院审结8820件。", "新收案件9079件。"])
>>> q = QueryTerms.build(["审结", "法院"], stats)
>>> ctx = Context("审结8820件", "审结8820件", "全市法院审结8820件。", "全市法院审结8820件。")
>>> [round(x, 2) for x in q.levels(ctx)]
[0.5, 0.5, 1.0, 1.0]
>>> QueryTerms.build(["工资"], stats).unknown
('工资',)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Sequence

from qa.textindex import TextIndex
from qa.vocabulary import vocabulary

LEVELS = ("segment", "clause", "sentence", "paragraph")


@dataclass(frozen=True)
class Context:
    """The texts around a figure (or a sentence), nearest first."""

    segment: str
    clause: str
    sentence: str
    paragraph: str

    def level(self, word: str) -> int:
        """0 = in the segment … 3 = in the paragraph, 4 = not near."""
        for i, text in enumerate((self.segment, self.clause, self.sentence, self.paragraph)):
            if word in text:
                return i
        return len(LEVELS)


@lru_cache(maxsize=8192)
def expansions(token: str) -> tuple[str, ...]:
    """A question word and the report words it may stand for (synonyms, an actor's other names)."""
    v = vocabulary()
    found = [token, *v.synonyms.get(token, ())]
    order = _synonym_order()
    inside = {token[i:j] for i in range(len(token)) for j in range(i + 2, len(token) + 1)}  # 2+ characters
    for key in sorted(order.keys() & inside - {token}, key=order.__getitem__):  # 罚款数 -> 罚款 -> 罚没款
        found.extend(v.synonyms[key])
    actor = v.actor_of(token)
    if actor:
        found.extend(a for a in v.actors[actor] if len(a) > 1)
    action = v.action_of(token)
    if action:
        found.extend(w for w in v.actions[action] if len(w) > 1)
    return tuple(dict.fromkeys(found))


@lru_cache(maxsize=1)
def _synonym_order() -> dict[str, int]:
    """Each synonym key's place in the vocabulary (`expansions` adds the keys inside a token in this order)."""
    return {key: k for k, key in enumerate(vocabulary().synonyms)}


QUERIES_KEPT = 256  # QueryTerms kept per report (each holds its own memos of the texts it was matched with)
MAX_GAP = 4  # characters a report phrase may hold between two characters of an abbreviation
MAX_EXPANSIONS = 3


def abbreviated(term: str, text: str) -> tuple[str, ...]:
    """Report phrases a short Chinese term abbreviates: its characters in order, each of the first
    two starting a stretch of at most MAX_GAP more characters, with no punctuation in between.

    Chinese shortens names by keeping characters in order (知产 for 知识产权, 网企 for 网络企业,
    规上 for 规模以上); jieba and the synonym table cannot list every such shortening, so this is
    written here. Only terms of 2–4 characters that jieba does not know as a word are tried (工资
    is a word the user meant, not a shortening), and only phrases the report writes at least once.

    >>> abbreviated("网企", "查找出457家文化网络企业网站")
    ('网络企',)
    >>> abbreviated("工资", "工作资金")
    ()
    """
    import jieba

    from qa.lexical import ensure_jieba

    ensure_jieba()  # jieba's dictionary decides what is a word
    if not 2 <= len(term) <= 4 or not all("\u4e00" <= ch <= "\u9fff" for ch in term) or jieba.dt.FREQ.get(term):
        return ()
    # Searched in the text with every other character masked (`_han_only`): the gap is then "anything but
    # the mask", a pattern compiled in microseconds, where a class of the 20,992 Chinese characters takes
    # a millisecond each time; it matches at the very same places.
    gap = f"[^{_MASK}]{{0,{MAX_GAP}}}?"
    pattern = re.compile(gap.join(re.escape(ch) for ch in term))
    found: dict[str, int] = {}
    for m in pattern.finditer(_han_only(text)):
        phrase = m.group()
        if len(phrase) > len(term):
            found[phrase] = found.get(phrase, 0) + 1
    return tuple(sorted(found, key=lambda p: (-found[p], len(p)))[:MAX_EXPANSIONS])


_MASK = "\\x00"
_NOT_HAN = re.compile(r"[^\u4e00-\u9fff]")


@lru_cache(maxsize=16)
def _han_only(text: str) -> str:
    """``text`` with every character but the Chinese ones (U+4E00–U+9FFF) replaced by NUL (kept per text:
    one report's text is searched for every term it may abbreviate)."""
    return _NOT_HAN.sub("\0", text)


class ReportStats:
    """idf of words over a report's sentences (computed on demand, cached) and the report's text."""

    def __init__(self, sentences: Sequence[str]) -> None:
        self.sentences = list(sentences)
        self.text = "\n".join(self.sentences)
        self._holding = TextIndex(self.sentences)  # which sentences hold a word, for its document frequency
        self._idf = lru_cache(maxsize=16384)(self._compute_idf)
        self.covers = lru_cache(maxsize=16384)(self._covers)  # a word is looked for again by every question naming it
        self.unknown_idf = math.log(1.0 + len(self.sentences))  # a word the report never uses weighs most
        self._abbreviations: dict[str, tuple[str, ...]] = {}
        self.query_terms = lru_cache(maxsize=QUERIES_KEPT)(lambda terms: QueryTerms._build(terms, self))
        self._weights: dict[tuple[str, ...], tuple[tuple[float, ...], float]] = {}

    def _compute_idf(self, word: str) -> float:
        df = int(self._holding.holding(word).sum())  # the sentences that hold it
        return math.log(1.0 + len(self.sentences) / (1.0 + df))

    def idf(self, word: str) -> float:
        return self._idf(word)

    def weights(self, words: Sequence[str]) -> tuple[tuple[float, ...], float]:
        """The idf of each word and their sum (memoised: a figure's own words are weighed for every
        question it is a candidate of)."""
        key = tuple(words)
        found = self._weights.get(key)
        if found is None:
            idf = tuple(self.idf(w) for w in key)
            found = self._weights[key] = (idf, sum(idf))
        return found

    def _covers(self, word: str) -> bool:
        return word in self.text

    def options(self, term: str) -> tuple[str, ...]:
        """Report words a question term may match: itself or what it stands for (() if none), else
        the report phrases it abbreviates (网企 -> 网络文化企业; see `abbreviated`)."""
        found = tuple(o for o in expansions(term) if self.covers(o))
        return found or self._abbreviated(term)

    def _abbreviated(self, term: str) -> tuple[str, ...]:
        if term not in self._abbreviations:
            self._abbreviations[term] = abbreviated(term, self.text)
        return self._abbreviations[term]


@dataclass(frozen=True)
class QueryTerms:
    """The question's terms and phrases, each with its weight and the report words it may match."""

    rows: tuple[tuple[str, float, tuple[str, ...]], ...]  # (term, weight, report words it may match)
    total: float
    unknown: tuple[str, ...]  # terms the report never uses in any form
    unknown_weight: float  # their share of the question's weight
    options: frozenset[str]
    # Per question, memos of which report words a text holds and which of a figure's words are asked:
    # one question scores ~60 figures whose sentences and paragraphs repeat (a third of scoring's time).
    _present: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _asked: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    # and of the shares each pattern of report words found gives: most figures of a question hold
    # the same few of its words level by level, so the weights are summed once per pattern.
    _shares: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def build(cls, terms: Sequence[str], stats: ReportStats) -> "QueryTerms":
        """The terms weighed against one report; kept per report (`ReportStats.query_terms`): a question's
        terms are weighed for its scope check, its figures and its sentences alike."""
        return stats.query_terms(tuple(terms))

    @classmethod
    def _build(cls, terms: Sequence[str], stats: ReportStats) -> "QueryTerms":
        rows, options, unknown = [], set(), []
        terms = list(dict.fromkeys(terms))
        for term in terms:
            opts = stats.options(term)
            if not opts:
                unknown.append(term)
                rows.append((term, stats.unknown_idf, ()))
                continue
            rows.append((term, max(stats.idf(o) for o in opts), opts))
            options.update(opts)
        for a, b in zip(terms, terms[1:]):  # a phrase written as in the report counts once more
            phrase = a + b
            if len(phrase) >= 3 and stats.covers(phrase):
                rows.append((phrase, (stats.idf(a) + stats.idf(b)) / 2, (phrase,)))
        total = sum(r[1] for r in rows)
        weight = sum(r[1] for r in rows if not r[2])
        return cls(tuple(rows), total, tuple(unknown), weight / total if total else 0.0, frozenset(options))

    def levels(self, context: Context) -> tuple[float, ...]:
        """Share of the question's weight found at each level or nearer (segment … paragraph)."""
        held = self.present_in
        present = (held(context.segment), held(context.clause), held(context.sentence), held(context.paragraph))
        shares = self._shares.get(present)
        if shares is None:
            shares = self._shares[present] = self._level_shares(present)
        return shares

    def _level_shares(self, present: tuple[frozenset[str], ...]) -> tuple[float, ...]:
        """`levels` for the report words held at each level (each a `present_in` set)."""
        found = [0.0] * len(LEVELS)
        for _, weight, opts in self.rows:
            for level, words in enumerate(present):
                if not words.isdisjoint(opts):
                    found[level] += weight
                    break
        total, running, shares = self.total or 1.0, 0.0, []
        for value in found:
            running += value
            shares.append(running / total)
        return tuple(shares)

    def present_in(self, text: str) -> frozenset[str]:
        """The report words of any of the question's terms that `text` holds (memoised per question)."""
        words = self._present.get(text)
        if words is None:
            every = self._present.get(None)
            if every is None:
                every = self._present[None] = frozenset(o for _, _, opts in self.rows for o in opts)
            words = self._present[text] = frozenset(o for o in every if o in text)
        return words

    def asks(self, word: str) -> bool:
        """Whether `word` holds a report word the question asks for (memoised per question)."""
        hit = self._asked.get(word)
        if hit is None:
            hit = self._asked[word] = any(o in word for o in self.options)
        return hit

    def missing(self, context: Context) -> tuple[str, ...]:
        return tuple(t for t, _, opts in self.rows if all(context.level(o) == len(LEVELS) for o in opts))


def unasked_share(own_tokens: Sequence[str], query: QueryTerms, stats: ReportStats) -> float:
    """idf share of a figure's own words (segment and subject) that the question does not mention.

    A figure's word counts as asked when it holds a word the question asks for (有效发明专利 holds
    发明专利); a word that is only part of one (专利, of 发明专利) is less specific than what was asked.
    """
    idf, own = stats.weights(own_tokens)
    if not own:
        return 0.0
    return sum(w for t, w in zip(own_tokens, idf) if not query.asks(t)) / own


def covered_share(text: str, terms: Sequence[str]) -> float:
    """Share of ``text``'s characters inside an occurrence of a question term or a word it stands for:
    how much of a figure's subject the question names (有效发明专利, not 有效专利, when it asks for both words).

    >>> covered_share("有效发明专利", ["有效", "发明专利"])
    1.0
    >>> covered_share("有效专利", ["有效", "发明专利"])
    0.5
    >>> covered_share("", ["有效"])
    0.0
    """
    hit = [False] * len(text)
    for term in terms:
        for word in expansions(term):
            start = text.find(word) if word else -1
            while start >= 0:
                hit[start:start + len(word)] = [True] * len(word)
                start = text.find(word, start + 1)
    return sum(hit) / len(text) if text else 0.0

