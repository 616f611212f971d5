"""One report as the answer path reads it: layout, word statistics, spelling and embedded clauses.

Built once when a report is loaded; every question reads it and nothing here changes afterwards.

>>> from index.corpus import parse_document
>>> from index.chunking import chunk_document
>>> from qa.facts import extract_facts
>>> doc = parse_document("2020年工作报告。\\n一、执法\\n公安机关抓获犯罪嫌疑人564名。\\n", doc_id="d")
>>> view = ReportView(doc, chunk_document(doc), extract_facts(doc))
>>> view.facts[0].figure_text, view.clause_text(0), view.report_year
('564名', '公安机关抓获犯罪嫌疑人564名', 2020)
"""

from __future__ import annotations

from collections import Counter

from functools import cached_property, lru_cache
from typing import Mapping, Sequence

import numpy as np

from index.chunking import Chunk
from index.corpus import Document
from qa.batchcoverage import ChunkSets, OwnWords, TextTable, context_texts
from qa.coverage import ReportStats
from qa.facts import report_year
from qa.layout import ReportLayout
from qa.spelling import SpellFixer


def figure_text(layout: ReportLayout, fact) -> str:
    """What a figure is embedded as: its clause, led by its base figure's clause for a change
    ("全市法院新收…案件9079件，同比增长31.4%": a growth rate is about what its base counts)."""
    clause = layout.clause(fact)
    base = layout.by_id.get(fact.base_fact_id)
    if base is not None and layout.clauses[base.id] != layout.clauses[fact.id]:
        return f"{layout.clause(base)}，{clause}"
    return clause


def unit_texts(document: Document, facts: Sequence) -> list[str]:
    """The texts embedded at build time besides the chunks: every sentence and every figure's clause."""
    layout = ReportLayout(document, [], facts)
    return [s.text for s in layout.sentences] + [figure_text(layout, f) for f in layout.facts]


class ReportView:
    """Per-report precomputation for reading questions against one report."""

    def __init__(self, document: Document, chunks: Sequence[Chunk], facts: Sequence,
                 vectors: Mapping[str, np.ndarray] | None = None) -> None:
        self.document = document
        self.layout = ReportLayout(document, chunks, facts)
        self.facts = self.layout.facts
        self.figure_texts = [f.figure_text for f in self.facts]  # each figure as written (what it answers)
        self.sentences = self.layout.sentences
        self.stats = ReportStats([s.text for s in self.sentences])
        self.speller = SpellFixer(document.text)
        # The year most of the report's figures are dated: a work report given in 2026 reviews 2025.
        years = Counter(f.year for f in self.facts if f.year is not None)
        self.report_year = years.most_common(1)[0][0] if years else report_year(document)
        # The year a reader calls 今年 when the report plans it after reviewing the year before (see plan_year).
        self.current_year = plan_year(years)
        self.change_pairs = change_pairs(self.facts)
        vectors = vectors or {}
        dim = next((len(v) for v in vectors.values()), 0)
        zero = np.zeros(dim, dtype=np.float32)
        self.has_vectors = bool(vectors)
        self.sentence_vectors = np.array([vectors.get(s.text, zero) for s in self.sentences], dtype=np.float32)
        self.clause_vectors = np.array([vectors.get(self.clause_text(i), zero) for i in range(len(self.facts))],
                                       dtype=np.float32)
        from qa.candidates import fact_actions, facet_sets, ordinal_labels
        from qa.vocabulary import vocabulary

        self.fact_actions = [fact_actions(self, i) for i in range(len(self.facts))]
        index = {f.id: i for i, f in enumerate(self.facts)}
        parts: dict[int, list[int]] = {}
        for j, f in enumerate(self.facts):
            if f.scope == "part" and f.parent_fact_id in index:
                parts.setdefault(index[f.parent_fact_id], []).append(j)
        sets = [facet_sets(self, i, parts.get(i, ())) for i in range(len(self.facts))]
        self.fact_facets = [facets for facets, _ in sets]
        self.whole_facets = [wholes for _, wholes in sets]  # what each figure may be the total of
        self.fact_ordinals = [ordinal_labels(s.text) for s in self.layout.fact_sentences]  # 第21届 of its sentence
        self.clause_actions = [vocabulary().actions_in(c.clause) for c in self.layout.contexts]
        self.sentence_index = {s.start: i for i, s in enumerate(self.sentences)}
        self.fact_sentence = [self.sentence_index[self.layout.sentence_of[f.id].start] for f in self.facts]
        self.fact_months = [self._months(f) for f in self.facts]
        # the figures' texts indexed for the coverage measures of many candidates at once (qa.batchcoverage)
        self.fact_texts = context_texts(self.layout.contexts)
        self.subject_texts = TextTable([(f.subject,) for f in self.facts], 1)
        self.slot_texts = TextTable([(self.layout.actor_texts[i], self.layout.segments[f.id])
                                     for i, f in enumerate(self.facts)], 2)
        self.own_words = OwnWords(self.layout.own_tokens, self.stats)
        self.fact_chunk = [self.layout.chunk_at(f.start).id for f in self.facts]
        self.fact_chunks = ChunkSets([(c,) for c in self.fact_chunk], [c.id for c in self.layout.chunks])
        self.sentence_texts = context_texts(self.layout.sentence_contexts)
        from qa.textanswer import _marks

        # whether each sentence writes a date, a title, a list (qa.textanswer.sentence_shapes)
        self.sentence_marks = np.array([_marks(s.text) for s in self.sentences], dtype=bool).reshape(-1, 3)
        self.sentence_actors = TextTable([(s.text + s.passage.text[:40],) for s in self.sentences], 1)
        self.sentence_chunks = ChunkSets(self.layout.sentence_chunks, [c.id for c in self.layout.chunks])
        from qa.figurearrays import FigureArrays

        self.figures = FigureArrays(self)
        self._dense = lru_cache(maxsize=8)(self._dense_of)

    def _months(self, fact) -> tuple[int, int] | None:
        from qa.months import figure_months

        sentence = self.layout.sentence_of[fact.id]
        text = self.document.text
        return figure_months(sentence.text, text[sentence.start:fact.start], text[sentence.passage.start:sentence.start])

    def clause_text(self, i: int) -> str:
        return figure_text(self.layout, self.facts[i])

    @cached_property
    def home_places(self) -> frozenset[str]:
        """The report's own region: the place of the vocabulary it writes most often (天津 51 times in
        Tianjin's work report, 北京 next with 5; 吉林 36, 长春 20; 甘肃 59, 兰州 16)."""
        from qa.vocabulary import vocabulary

        text = self.document.text
        counts = {p: text.count(p) for p in vocabulary().places if p in text}
        top = max(counts.values(), default=0)
        return frozenset(p for p, n in counts.items() if n == top)

    def is_home(self, place: str) -> bool:
        """Whether ``place`` names the report's own region (天津市 in a Tianjin report): a question naming it
        (天津有效专利多少) names no other place than the figures'."""
        return any(place.startswith(home) or home.startswith(place) for home in self.home_places)

    @cached_property
    def fact_places(self) -> list[tuple[frozenset[str], frozenset[str]]]:
        """Per figure, the places its own words and its sentence name, the report's own region left out
        (qa.placenames); worked out when a question first names a place."""
        from qa.placenames import places_in

        def named(text: str) -> frozenset[str]:
            return frozenset(p for p in places_in(text) if not self.is_home(p))

        return [(named(self.layout.segments[f.id]), named(self.layout.sentence_of[f.id].text)) for f in self.facts]

    @cached_property
    def fact_plans(self) -> np.ndarray:
        """Per figure, whether its sentence (as the scorer reads it, with its paragraph's lead) states a plan or
        target (cues.toml [plan] words and figure words), the phrases that hold a plan word and state none
        (好于预期, 超额完成目标: [plan] not_plans) left out."""
        from qa.vocabulary import vocabulary

        plan = vocabulary().tables["cues"]["plan"]
        words, masks = plan["words"] + plan["figure"], plan["not_plans"]

        def states(text: str) -> bool:
            for m in masks:
                text = text.replace(m, "\0")
            return any(w in text for w in words)

        return np.array([states(c.sentence) for c in self.layout.contexts], dtype=bool)

    def asked_places(self, terms: tuple[str, ...]) -> frozenset[str]:
        """The places among a question's words (Reading.terms) that the report writes, its own region left out."""
        from qa.placenames import is_place_name

        return frozenset(t for t in terms if is_place_name(t) and t in self.document.text and not self.is_home(t))

    @cached_property
    def fact_years(self) -> frozenset[int]:
        return frozenset(f.year for f in self.facts if f.year is not None)

    def similarities(self, query_vector: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Cosine of the question with every figure's clause and with every sentence (zeros without vectors)."""
        return self.dense(query_vector)[:2]

    def dense(self, query_vector: np.ndarray | None) -> tuple[np.ndarray, ...]:
        """`similarities`, then each as z-scores over the report (`standardised`); read-only arrays, kept for the
        last few question vectors: a question's parts and its sentences are scored with the same vector."""
        if query_vector is None or not self.has_vectors:
            return self._dense(None)
        return self._dense(np.asarray(query_vector, dtype=np.float32).tobytes())

    def _dense_of(self, vector: bytes | None) -> tuple[np.ndarray, ...]:
        if vector is None:
            clause, sentence = np.zeros(len(self.facts), dtype=np.float32), np.zeros(len(self.sentences), dtype=np.float32)
        else:
            q = np.frombuffer(vector, dtype=np.float32).copy()
            clause, sentence = self.clause_vectors @ q, self.sentence_vectors @ q
        arrays = (clause, sentence, standardised(clause), standardised(sentence))
        for a in arrays:
            a.flags.writeable = False
        return arrays


def standardised(similarities: np.ndarray) -> np.ndarray:
    """Similarities as z-scores over the whole report: a short everyday question is less similar to
    every sentence than a long formal one, so how far a sentence stands out says more than its cosine.

    >>> [round(float(x), 2) for x in standardised(np.array([0.8, 0.8, 0.9, 0.7]))]
    [0.0, 0.0, 1.41, -1.41]
    """
    if similarities.size < 2:
        return np.zeros_like(similarities)
    # similarities.std() worked out as numpy's _var does it (float32 sums, each divided in float64 and
    # rounded back), sharing the centred values with the z-scores: the same numbers, half the array calls
    centred = similarities - similarities.mean()
    spread = float(np.sqrt(np.float32(float(np.square(centred).sum()) / similarities.size)))
    return centred / spread if spread > 0 else np.zeros_like(similarities)


PLAN_SHARE = 0.2  # share of the dated figures a year must hold to count as one the report is about (work reports
# of 2026 date 23–39% of theirs 2026; a report about one year dates at most 15% the year before: measured on eval/corpora)


def plan_year(years: Counter) -> int | None:
    """The latest year the report is about (of the counts of its figures' years), when the year before it is
    one too (a review and a plan); None for a report about one year, whose 今年 and 去年 stay words (去年 is
    its comparison base).

    >>> plan_year(Counter({2025: 6, 2026: 3})), plan_year(Counter({2020: 9, 2019: 1})), plan_year(Counter([2030, 2025, 2025]))
    (2026, None, None)
    """
    total = sum(years.values())
    main = [y for y, n in years.items() if n >= PLAN_SHARE * total]
    latest = max(main, default=None)
    return latest if latest is not None and latest - 1 in main else None


def change_pairs(facts: Sequence) -> dict[str, str]:
    """The two figures of each from -> to change (由21%提升至74%), each id mapped to the other's: a
    follow-up on one (涨到了多少 after 从多少) is about its partner."""
    pairs: dict[str, str] = {}
    for a, b in zip(facts, facts[1:]):
        if a.role == "from" and b.role == "to" and a.sentence_start == b.sentence_start:
            pairs[a.id], pairs[b.id] = b.id, a.id
    return pairs
