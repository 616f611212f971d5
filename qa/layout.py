"""The report's layout around each figure: sentences, clauses, segments and contexts.

Built once per report; the matcher reads it for every question. All of it is
derived from the report text and the fact table, nothing is stored.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Sequence

from index.chunking import Chunk
from index.corpus import Document, Passage
from qa.coverage import Context
from qa.lexical import tokenize
from qa.numbers import find_quantities
from qa.vocabulary import alternation, vocabulary

_SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]?")
CLAUSE_BREAK = re.compile(r"[，；。：！？,;:]")


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


def _grammar_words() -> frozenset[str]:
    v = vocabulary()
    return frozenset(w for key in ("lead_words", "trail_words", "part_markers", "total_markers", "total_openers")
                     for w in v.extraction(key))


def _list_break() -> re.Pattern:
    return re.compile(alternation(vocabulary().extraction("list_separators")))


def _delta() -> re.Pattern:
    return re.compile(alternation(vocabulary().extraction("delta_words")))


@dataclass(frozen=True)
class Sentence:
    """A sentence of a passage (up to 。！？), with its offsets in the report."""

    start: int
    end: int
    text: str
    passage: Passage


def split_sentences(document: Document) -> list[Sentence]:
    """Sentences of every passage, each ending with the punctuation that closes it.

    >>> from index.corpus import parse_document
    >>> [s.text for s in split_sentences(parse_document("甲，乙。丙！", doc_id="d"))]
    ['甲，乙。', '丙！']
    """
    out = []
    for passage in document.passages:
        for m in _SENTENCE.finditer(passage.text):
            text = m.group(0).strip()
            if text:
                start = passage.start + m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
                out.append(Sentence(start, start + len(text), text, passage))
    return out


class ReportLayout:
    """Where every chunk, sentence and fact sits, and the text around each fact."""

    def __init__(self, document: Document, chunks: Sequence[Chunk], facts: Sequence) -> None:
        self.document, self.chunks, self.facts = document, list(chunks), list(facts)
        self.sentences = split_sentences(document)
        self._chunk_starts = [c.start for c in self.chunks]
        self._passage_starts = [p.start for p in document.passages]
        self._sentence_starts = [x.start for x in self.sentences]
        self.by_id = {f.id: f for f in self.facts}
        # Full sentences (up to 。！？), not the fact table's clause-level ones: "审结8820件" needs
        # the "全市法院新收知识产权……案件" written before the semicolon.
        self.fact_sentences = [self.sentence_at(f.start) for f in self.facts]
        self.sentence_of = {f.id: s for f, s in zip(self.facts, self.fact_sentences)}
        self.clauses = {f.id: self._clause(f) for f in self.facts}  # (start, end) in the report
        self._clause_facts: dict[tuple[int, int], list] = {}  # per clause: its figures, in the report's order
        for f in self.facts:
            self._clause_facts.setdefault(self.clauses[f.id], []).append(f)
        self.segment_spans = self._segment_spans()  # (start, end) in the report
        self.segments = {i: document.text[a:b] for i, (a, b) in self.segment_spans.items()}
        self.contexts = [self._fact_context(f) for f in self.facts]
        self.actor_texts = [(f.actor or "") + s.text + self.passage_at(f.start).text[:40]
                            for f, s in zip(self.facts, self.fact_sentences)]
        self.own_tokens = [self._own_tokens(f) for f in self.facts]
        delta = _delta()
        self.is_delta = [bool(f.comparison) or bool(delta.search(self.segments[f.id])) for f in self.facts]
        self.sentence_contexts = [Context(s.text, s.text, f"{s.text} {self.topic(s.passage)}", s.passage.text)
                                  for s in self.sentences]
        self.sentence_chunks = [tuple(c.id for c in self.chunks if c.start < s.end and s.start < c.end)
                                for s in self.sentences]

    def chunk_at(self, position: int) -> Chunk:
        return self.chunks[max(0, bisect.bisect_right(self._chunk_starts, position) - 1)]

    def sentence_at(self, position: int) -> Sentence:
        return self.sentences[max(0, bisect.bisect_right(self._sentence_starts, position) - 1)]

    def passage_at(self, position: int) -> Passage:
        return self.document.passages[max(0, bisect.bisect_right(self._passage_starts, position) - 1)]

    def _segment_spans(self) -> dict[str, tuple[int, int]]:
        """Per fact, the part of its clause that is about it alone.

        Between two figures of one clause the cut is the last list separator (、和及与)
        between them, else the end of the first figure: "开展网络巡查100家次、实地检查巡查356家次"
        gives "开展网络巡查100家次" and "实地检查巡查356家次"; "成立20名专家组成的市知识产权专家组、
        86名专家组成的……专家库" keeps each noun written after its figure with that figure.
        """
        spans = {}
        for fact in self.facts:
            c_start, c_end = self.clauses[fact.id]
            together = self._clause_facts[(c_start, c_end)]
            previous = [f for f in together if f.end <= fact.start]
            following = [f for f in together if fact.end <= f.start]
            start = self._cut(max(previous, key=lambda f: f.end).end, fact.start, True) if previous else c_start
            end = self._cut(fact.end, min(following, key=lambda f: f.start).start, False) if following else c_end
            spans[fact.id] = (start, end)
        return spans

    def shared_clause(self, fact) -> str:
        """A figure's clause without the segments of the other figures of a list in it (those disjoint from its
        own): what one item names (…评审专家库) is about that item only, and a clause-level match on it made
        its neighbour (…保护专家库) the answer to 评审专家库有多少名专家 (measured).

        >>> from index.chunking import chunk_document
        >>> from index.corpus import parse_document
        >>> from qa.facts import extract_facts
        >>> doc = parse_document("成立20名专家组成的专家组、86名专家组成的保护专家库、43名专家组成的评审专家库。", doc_id="t")
        >>> layout = ReportLayout(doc, chunk_document(doc), extract_facts(doc))
        >>> layout.shared_clause(layout.facts[1])  # the first item's segment holds the lead 成立 too
        ' 、86名专家组成的保护专家库、 '
        """
        c_start, c_end = self.clauses[fact.id]
        own_start, own_end = self.segment_spans[fact.id]
        text, out, at = self.document.text, [], c_start
        others = sorted(self.segment_spans[f.id] for f in self._clause_facts[(c_start, c_end)] if f.id != fact.id)
        for start, end in others:
            if end <= own_start or start >= own_end:  # disjoint from its own segment: another item's words
                out.append(text[at:max(at, start)])
                out.append(" ")
                at = max(at, end)
        out.append(text[at:c_end])
        return "".join(out)

    def _clause(self, fact) -> tuple[int, int]:
        passage = self.passage_at(fact.start)
        left, right = clause_span(passage.text, fact.start - passage.start, fact.end - passage.start)
        return passage.start + left, passage.start + right

    def clause(self, fact) -> str:
        start, end = self.clauses[fact.id]
        return self.document.text[start:end]

    def _cut(self, left: int, right: int, after: bool) -> int:
        """Where the text between two figures divides: at the last list separator between them;
        without one, the words between belong to both figures (`after` says which side is asking)."""
        found = list(_list_break().finditer(self.document.text, left, right))
        if not found:  # "2件案件入选中国法院50件……": "案件入选中国法院" is about both
            return left if after else right
        return found[-1].end() if after else found[-1].start()

    def _own_tokens(self, fact) -> tuple[str, ...]:
        """Words of a figure's segment and subject, without any figure in it or the report's grammar
        words (其中, 共计, 达到: they say how a figure is written, not what it counts)."""
        text = f"{self.segments[fact.id]} {fact.subject or ''}"
        for q in find_quantities(text):
            text = text.replace(q.text, " ")
        grammar = _grammar_words()
        return tuple(t for t in dict.fromkeys(tokenize(text, search=False)) if not t.isdigit() and t not in grammar)

    def _fact_context(self, fact) -> Context:
        passage = self.passage_at(fact.start)
        near = [self.segments[fact.id], fact.subject or ""]
        base = self.by_id.get(getattr(fact, "base_fact_id", None))
        if base is not None:  # a growth rate is about what its base figure counts
            near.append(self.segments[base.id])
        # who did it counts nearly as much as what was done: the actor sits with the clause, the clause as far
        # as it is about this figure (another list item's words are not: shared_clause)
        return Context(segment=" ".join(near), clause=f"{self.shared_clause(fact)} {fact.actor or ''}",
                       sentence=f"{self.sentence_of[fact.id].text} {self.topic(passage)}", paragraph=passage.text)

    def topic(self, passage: Passage) -> str:
        """A paragraph's first sentence: reports open a paragraph with the topic its figures are about."""
        match = _SENTENCE.match(passage.text)
        return match.group(0) if match else ""

    def quote(self, fact) -> str:
        """The report's own words around a figure: its clause, led by its base figure's for a growth rate."""
        clause = self.clause(fact)
        base = self.by_id.get(getattr(fact, "base_fact_id", None))
        if base is not None and base.figure_text not in clause and len(clause) - len(fact.figure_text) <= 8:
            return f"{self.segments[base.id].strip('、和及与 ')}，{clause}"
        return clause
