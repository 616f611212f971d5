"""Pick the answer for an understood question: facts for figures, sentences for names and lists.

The rule that matters most: a figure is only ever answered from a fact row, and
that fact's sentence is always citation [1]; when nothing fits well enough the
answer is a refusal with related passages.
"""

from __future__ import annotations

import itertools
import re
from typing import Sequence

from index.chunking import Chunk
from index.corpus import Document
from qa.answering import Answer, AnswerFigure, Citation, compose_found, compose_refusal
from qa.layout import ReportLayout
from qa.lexicon import GENERIC_NOUNS, expansions
from qa.matching import (RETRIEVAL_WEIGHT, Match, QueryTerms, Vocabulary, actor_factor, coverage, kind_factor,
                         rank_matches, term_options, year_ok)
from qa.numbers import find_quantities
from qa.question import Intent
from qa.retrieval import RetrievalResult

_DELTA_ASKED = re.compile(r"新增|净增|增加|增长|新|涨|多了|变化")
FACT_MIN_SCORE = 0.56  # below this the best fact is not trusted (calibrated on the eval set, see README)
FACT_MIN_COVERAGE = 0.35
TEXT_MIN_SCORE = 0.62


class Reasoner:
    """Holds the per-report precomputation (layout, idf) so each question is cheap."""

    def __init__(self, document: Document, chunks: Sequence[Chunk], facts: Sequence, *, answer_mode: str = "facts"):
        self.document, self.answer_mode = document, answer_mode
        self.layout = ReportLayout(document, chunks, facts)
        self.facts, self.chunks, self.sentences = self.layout.facts, self.layout.chunks, self.layout.sentences
        self.vocab = Vocabulary([s.text for s in self.sentences], document.text)

    # -- scoring -------------------------------------------------------------------------
    def _retrieval_share(self, retrieved: RetrievalResult) -> dict[int, float]:
        top = max((h.score for h in retrieved.hits), default=0.0) or 1.0
        return {h.chunk.id: h.score / top for h in retrieved.hits}

    def rank_facts(self, intent: Intent, retrieved: RetrievalResult) -> list[Match]:
        share = self._retrieval_share(retrieved)
        query = QueryTerms.build(intent.core_terms, self.vocab, boost=intent.boost_terms, own=intent.own_terms)
        # A follow-up is judged half on its own words: "海关呢？" cannot find the police's words at customs.
        own_query = QueryTerms.build(intent.own_terms, self.vocab) if intent.own_terms else None
        focus = self._focus(intent.previous_answer)
        focus_kinds = {(self.layout.by_id[i].kind, self.layout.by_id[i].unit) for i in focus}
        focus_sentences = {self.layout.sentence_of[i].start for i in focus}
        counted = [o for t in intent.counted if self.vocab.covers(t) for o in expansions(t)]
        matches = []
        for i, (fact, ctx) in enumerate(zip(self.facts, self.layout.contexts)):
            cov, missing = coverage(query, ctx, self.vocab, self.layout.own_tokens[i])
            if own_query is not None:
                cov = 0.5 * (cov + coverage(own_query, ctx, self.vocab)[0])
            kind, why = kind_factor(intent, fact.kind, fact.unit, fact.comparison, fact.figure_text)
            actor = actor_factor(intent, self.layout.actor_texts[i])
            if intent.actor_switch and actor < 1.0:  # "海关呢？": the new actor is the whole question
                actor = 0.3
            score = cov * kind * actor
            reasons = [r for r in (why, f"missing {'/'.join(missing)}" if missing else "") if r]
            sentence = self.layout.fact_sentences[i]
            if counted:  # what the question counts should be what the figure counts
                if not any(o in ctx.segment for o in counted):
                    near = any(o in ctx.clause or o in sentence.text for o in counted)
                    score *= 0.85 if near else 0.6
                    reasons.append("counts something else")
            if any(n in fact.figure_text for n in intent.numbers_in_question if len(n) > 1):
                score *= 0.5  # the question already states this figure ("入选50件典型案件的有几件")
                reasons.append("figure given in the question")
            if self.layout.is_delta[i] and intent.asked in ("count", "money") and not _DELTA_ASKED.search(intent.question):
                score *= 0.5  # "新增4家" answers "新增了多少", not "一共有多少"
                reasons.append("an increase, not a total")
            if not year_ok(intent, fact.year, sentence.text, self.layout.is_delta[i]):
                score *= 0.3
                reasons.append("other year")
            if focus:  # a follow-up asks about the figure just given: its growth, its neighbours
                if getattr(fact, "base_fact_id", None) in focus:
                    score *= 1.5
                elif sentence.start in focus_sentences:
                    score *= 1.15
                if intent.actor_switch:  # "海关呢？" after a money figure asks for the customs' money figure
                    score *= 1.3 if (fact.kind, fact.unit) in focus_kinds else 0.7
            score += RETRIEVAL_WEIGHT * share.get(self.layout.chunk_at(fact.start).id, 0.0)
            matches.append(Match(i, score, cov, tuple(reasons)))
        return rank_matches(matches)

    def _focus(self, previous_answer: str) -> set[str]:
        """Facts the previous answer gave: those in its first line when it is one of ours ("答：…")."""
        if not previous_answer:
            return set()
        first = previous_answer.split("\n", 1)[0]
        text = first if first.startswith("答：") else previous_answer
        return {f.id for f in self.facts if f.figure_text in text}

    def rank_sentences(self, intent: Intent, retrieved: RetrievalResult) -> list[Match]:
        share = self._retrieval_share(retrieved)
        query = QueryTerms.build(intent.core_terms, self.vocab, boost=intent.boost_terms, own=intent.own_terms)
        matches = []
        for i, ctx in enumerate(self.layout.sentence_contexts):
            cov, missing = coverage(query, ctx, self.vocab)
            best_chunk = max((share.get(c, 0.0) for c in self.layout.sentence_chunks[i]), default=0.0)
            reasons = (f"missing {'/'.join(missing)}",) if missing else ()
            actor_text = ctx.sentence + ctx.paragraph[:40]
            matches.append(Match(i, cov * actor_factor(intent, actor_text) + RETRIEVAL_WEIGHT * best_chunk, cov, reasons))
        return rank_matches(matches)

    # -- answers -------------------------------------------------------------------------
    def citations(self, spans: Sequence[tuple[int, int]], retrieved: RetrievalResult, *,
                  primary: tuple[int, int] | None = None, limit: int = 3) -> tuple[Citation, ...]:
        """Citation [1] covers the answer's sentence and chunk; the rest are retrieved chunks."""
        cites: list[Citation] = []
        share = self._retrieval_share(retrieved)
        if primary:
            chunk = self.layout.chunk_at(spans[0][0] if spans else primary[0])
            start, end = min(primary[0], chunk.start), max(primary[1], chunk.end)
            hl = (spans[0][0] - start, spans[0][1] - start) if spans else None
            cites.append(Citation(1, chunk.id, chunk.section, chunk.section_title, chunk.paragraph,
                                  self.document.text[start:end], start, end, round(share.get(chunk.id, 0.0), 4), hl))
        for hit in retrieved.hits:
            if len(cites) >= limit:
                break
            c = hit.chunk
            if any(c.start < x.end and x.start < c.end for x in cites):
                continue
            cites.append(Citation(len(cites) + 1, c.id, c.section, c.section_title, c.paragraph, c.text,
                                  c.start, c.end, round(share.get(c.id, 0.0), 4)))
        return tuple(cites)

    def refuse(self, intent: Intent, retrieved: RetrievalResult, reason: str, notice: str) -> Answer:
        return compose_refusal(intent.question, reason, self.citations([], retrieved), kind=intent.asked,
                               notice=notice)

    def out_of_scope(self, intent: Intent) -> str:
        """A reason the report cannot answer, found before any scoring ("" if none)."""
        text = self.document.text
        for place in intent.places:  # "天津海关" is local (天津 is in the report), "上海海关" is not
            if place not in text and place[:2] not in text:
                return f"这份报告只涉及本地区的工作，没有提到“{place}”。"
        for year in intent.years + intent.base_years:
            if year > 0 and str(year) not in text:
                return f"这份报告没有{year}年的数据。"
        for noun in intent.asked_nouns:  # what the question is about must be in the report
            if noun not in GENERIC_NOUNS and not term_options(noun, self.vocab):
                return f"报告没有提到“{noun}”。"
        for noun in intent.nouns:
            # Other nouns only count when no part of them is known: jieba's tags are not always right
            # ("专门/n"), and a part may be enough ("盗版书" -> 盗版, "文旅局" -> 文旅).
            parts = [noun[i:i + 2] for i in range(len(noun) - 1)]
            if len(noun) >= 3 and not any(term_options(p, self.vocab) for p in [noun, *parts]):
                return f"报告没有提到“{noun}”。"
        return ""

    def answer(self, intent: Intent, retrieved: RetrievalResult, *, notice: str = "", chinese: bool = True) -> Answer:
        if not chinese:
            return self.refuse(intent, retrieved, "目前只支持用中文提问，请换成中文重新提问。", notice)
        if self.answer_mode == "passage":
            return self._answer_passage(intent, retrieved, notice)
        reason = self.out_of_scope(intent)
        if reason:
            return self.refuse(intent, retrieved, reason, notice)
        if intent.asked == "text" or self.answer_mode == "sentences":
            return self._answer_sentence(intent, retrieved, notice)
        return self._answer_facts(intent, retrieved, notice)

    def _trusted(self, match: Match | None) -> bool:
        return match is not None and match.score >= FACT_MIN_SCORE and match.coverage >= FACT_MIN_COVERAGE

    def _related(self, a, b) -> bool:
        """Two figures belong to one answer if they share a sentence or one is the other's base."""
        return (self.layout.sentence_of[a.id].start == self.layout.sentence_of[b.id].start or getattr(a, "base_fact_id", None) == b.id
                or getattr(b, "base_fact_id", None) == a.id)

    def _joint_picks(self, intent: Intent, retrieved: RetrievalResult) -> list:
        """One figure per sub-question, chosen together: distinct figures from one sentence
        (or linked as base and growth) with the highest total score."""
        candidates = []
        for part in intent.parts[:3]:
            ranked = [m for m in self.rank_facts(part, retrieved)[:5] if self._trusted(m)]
            if not ranked:
                return []
            candidates.append(ranked)
        best, best_total = [], 0.0
        for combo in itertools.product(*candidates):
            facts = [self.facts[m.key] for m in combo]
            if len({f.id for f in facts}) < len(facts) or not all(self._related(f, facts[0]) for f in facts[1:]):
                continue
            total = sum(m.score for m in combo)
            if total > best_total:
                best, best_total = facts, total
        return sorted(best, key=lambda f: f.start)

    def _answer_facts(self, intent: Intent, retrieved: RetrievalResult, notice: str) -> Answer:
        chosen = self._joint_picks(intent, retrieved) if intent.parts else []
        if not chosen:
            ranked = self.rank_facts(intent, retrieved)
            if not ranked or not self._trusted(ranked[0]):
                return self.refuse(intent, retrieved, "", notice)
            chosen = [self.facts[ranked[0].key]]
        lead = chosen[0]
        lead_sentence = self.layout.sentence_of[lead.id]
        sentence_span = (lead_sentence.start, lead_sentence.end)
        cites = self.citations([(f.start, f.end) for f in chosen], retrieved, primary=sentence_span)
        figures = tuple(AnswerFigure(f.id, f.figure_text, self._citation_of(f, cites)) for f in chosen)
        short = "、".join(f.figure_text for f in chosen)
        context = "；".join(dict.fromkeys(self.layout.quote(f) for f in chosen))
        return compose_found(intent.question, figures, short, lead_sentence.text, cites, kind=intent.asked,
                             notice=notice, context=context)

    @staticmethod
    def _citation_of(fact, cites: Sequence[Citation]) -> int:
        return next((c.number for c in cites if c.start <= fact.start and fact.end <= c.end), 1)

    def _answer_sentence(self, intent: Intent, retrieved: RetrievalResult, notice: str) -> Answer:
        ranked = self.rank_sentences(intent, retrieved)
        best = ranked[0] if ranked else None
        if best is None or best.score < TEXT_MIN_SCORE or best.coverage < FACT_MIN_COVERAGE:
            return self.refuse(intent, retrieved, "", notice)
        s = self.sentences[best.key]
        cites = self.citations([], retrieved, primary=(s.start, s.end))
        figures: tuple[AnswerFigure, ...] = ()
        if intent.asked != "text":  # baseline without the fact table: the best-fitting figure of the sentence
            fits = [q for q in find_quantities(s.text) if kind_factor(intent, q.kind, q.unit, None, q.text)[0] >= 1.0]
            figures = tuple(AnswerFigure("", q.text, 1) for q in fits[:1])
        short = "、".join(f.text for f in figures) or s.text
        return compose_found(intent.question, figures, short, s.text, cites, kind=intent.asked, notice=notice)

    def _answer_passage(self, intent: Intent, retrieved: RetrievalResult, notice: str) -> Answer:
        """Naive baseline: the top chunk is the answer, every figure in it is asserted."""
        if not retrieved.hits:
            return self.refuse(intent, retrieved, "", notice)
        top = retrieved.hits[0].chunk
        cites = self.citations([], retrieved)
        figures = tuple(AnswerFigure("", q.text, 1) for q in find_quantities(top.text))
        return compose_found(intent.question, figures, top.text, top.text, cites, kind=intent.asked, notice=notice)
