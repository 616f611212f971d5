"""Decide what to answer: score candidates with the fitted model, pick, combine, or refuse.

The rule that matters most: a figure is only ever answered from a fact row and cited with the
sentence holding it; a computed figure is labelled as computed with both operands cited; when
the best candidate's calibrated probability is below the fitted threshold, the answer is a
refusal with the closest passages shown as related.
"""

from __future__ import annotations

import math
from dataclasses import replace
from itertools import repeat

import numpy as np

from qa.candidates import RetrievalView, change_mismatch, sentence_candidates
from qa.coverage import expansions
from qa.features import Asked, fact_matrix, sentence_matrix
from qa.operating import as_quantity, implied_sum, list_items, operate, stated_total, total_of, two_operands
from qa.prepared import PartWork, Prepared, prepare, with_report_years
from qa.ranked import Decision, Ranked, Scored
from qa.reading import Reading
from qa.report import ReportView
from qa.retrieval import RetrievalResult
from qa.scorer import Weights
from qa.textanswer import has_date, sentence_shapes

TOP_PER_PART = 5  # candidates per part tried in the joint choice of a multi-figure question


class Decider:
    """Scores one report's candidates for a reading with the fitted weights."""

    def __init__(self, view: ReportView, weights: Weights, *, dense: bool = True) -> None:
        self.view, self.weights, self.dense = view, weights, dense

    def _vector(self, retrieved: RetrievalResult):
        """The embedded question, when it carries meaning (None: the dense features stay zero)."""
        return retrieved.query_vector if self.dense else None

    def rank_facts(self, reading: Reading, retrieved: RetrievalResult,
                   work: PartWork | None = None) -> tuple[Ranked, dict[str, int]]:
        """The figures that may answer `reading` (one part), ranked; `work` is its share of `prepare`."""
        work = work or PartWork.of(reading, self.view)
        r = RetrievalView.of(retrieved)
        asked = work.asked.with_vector(self._vector(retrieved))
        rows = fact_matrix(asked, self.view, work.candidates, r.share, r.rank, work.static)
        values = list(map(self.view.figure_texts.__getitem__, work.candidates))
        return self._ranked("fact", work.candidates, rows, values), work.excluded

    def rank_sentences(self, reading: Reading, retrieved: RetrievalResult) -> Ranked:
        candidates = sentence_candidates(self.view)
        r = RetrievalView.of(retrieved)
        asked = Asked.build(reading, self.view, self._vector(retrieved))
        rows = sentence_matrix(asked, self.view, candidates, r.share, r.rank, sentence_shapes(reading, self.view, candidates))
        return self._ranked("sentence", candidates, rows, [str(i) for i in candidates])

    def _ranked(self, kind: str, candidates: list[int], rows: np.ndarray, values: list[str]) -> Ranked:
        logits = np.asarray(self.weights[f"{kind}_rank"].logits(rows), dtype=np.float64)
        indices = np.asarray(candidates, dtype=np.int64)
        order = np.lexsort((indices, -logits))  # by -logit, then index
        # Scored._make of each (index, logit, row), made without a Python call per candidate
        scored = list(map(tuple.__new__, repeat(Scored), zip(indices[order].tolist(), logits[order].tolist(),
                                                              order.tolist())))
        from qa.features import FACT_FEATURES, SENTENCE_FEATURES

        names = FACT_FEATURES if kind == "fact" else SENTENCE_FEATURES
        return Ranked(scored, rows, np.asarray(logits), values, self.weights[f"{kind}_verify"], names)

    # -- decisions -----------------------------------------------------------------------
    def decide(self, reading: Reading, retrieved: RetrievalResult) -> Decision:
        reading = with_report_years(reading, self.view)
        prepared = prepare(reading, self.view)
        if prepared.reason:
            return Decision("refuse", reason=prepared.reason)
        if not prepared.figures:
            return self._sentence(reading, retrieved)
        decision = self._figures(reading, retrieved, prepared)
        if prepared.tentative and decision.mode == "refuse":
            return self._sentence(reading, retrieved)
        if decision.mode == "refuse" and implied_sum(reading):
            # 企业和个人一共递上来多少投诉: joined things the report does not count apart have one figure
            return self.decide(replace(reading, parts=(), operation="value"), retrieved)
        return decision

    def _sentence(self, reading: Reading, retrieved: RetrievalResult) -> Decision:
        from qa.textanswer import short_answer

        ranked = self.rank_sentences(reading, retrieved)
        p = ranked.probability(0) if ranked else 0.0
        if not ranked or p < self.weights["sentence_verify"].threshold:
            return Decision("refuse", probability=p)
        best = ranked.scored[0]
        text = self.view.sentences[best.index].text
        context = self.view.layout.sentence_contexts[best.index].sentence
        if reading.nouns and not any(o in context for n in reading.nouns for o in expansions(n)):
            return Decision("refuse", probability=p)  # the sentence names none of the things asked about
        if reading.asked == "date" and not has_date(text):
            return Decision("refuse", reason="报告没有写明具体时间。", probability=p)
        return Decision("sentence", sentence=best.index, short=short_answer(reading, text), probability=p)

    def _figures(self, reading: Reading, retrieved: RetrievalResult, prepared: Prepared) -> Decision:
        parts = reading.parts or (reading,)
        threshold = self.weights["fact_verify"].threshold
        ranked, excluded = zip(*(self.rank_facts(p, retrieved, w) for p, w in zip(parts, prepared.parts)))
        operation = reading.operation
        if operation in ("difference", "sum") and len(parts) == 1:
            if reading.focus:
                return self._with_focus(reading, ranked[0], threshold)
            # 罚没款合计多少 with nothing answered before: the report's own total, or its list's items added
            if operation == "sum":
                total = self._list_total(parts[0], ranked[0], threshold)
                if total is not None:
                    return total
            operation = "value" if operation == "sum" else "remainder"
        if operation in ("most", "least"):
            return self._extreme(reading, ranked[0], threshold, operation == "most")
        if operation in ("compare", "difference"):
            parts, ranked = two_operands(parts, ranked)
        if len(parts) == 1 and (operation == "remainder" or reading.scope == "delta" and operation == "value"):
            change = self._written_change(ranked[0], threshold)
            if change is not None:
                return change
        chosen = self._follow_parts(parts, self._joint(ranked, threshold), retrieved, threshold)
        if not any(chosen):
            best = max((r.probability(0) for r in ranked if r), default=0.0)
            # A conflict is the reason only when it left nothing to score; otherwise the figures
            # scored were not sure enough, which says nothing about the year.
            reason = "" if any(ranked) else _conflict_reason(reading, self.view, excluded)
            return Decision("refuse", reason=reason, probability=best)
        facts = tuple(self.view.facts[c[0]] for c in chosen if c is not None)
        probability = min(c[1] for c in chosen if c is not None)
        mismatch = next(filter(None, (change_mismatch(p, self.view, c[0]) for p, c in zip(parts, chosen) if c)), "")
        if mismatch:
            return Decision("refuse", reason=mismatch, probability=probability)
        missing = sum(c is None for c in chosen)
        if operation in ("compare", "difference", "sum"):
            return operate(self.view, operation, facts, probability, missing, parts)
        if operation == "remainder":  # 还有多少起没破: the two figures of one list, or no answer
            if facts[0].comparison or self.view.layout.is_delta[chosen[0][0]]:
                return Decision("figures", facts=facts, probability=probability)  # 净增2.1件 as written
            from qa.totals import remainder_pair

            pair = remainder_pair(facts[0], self.view.facts)
            if pair is None:
                return Decision("refuse", probability=probability,
                                reason="报告没有直接写出这个差额；要计算，请说出要相减的两个项目。")
            return operate(self.view, "difference", pair, probability, 0)
        verdict = ""
        if reading.threshold is not None and len(facts) == 1:
            from qa.operations import verdict as judge

            q, t = as_quantity(facts[0]), reading.threshold
            verdict = judge(q, t.op, t.value, t.unit) if q is not None else ""
        return Decision("figures", facts=facts, probability=probability, verdict=verdict,
                        operation=operation, missing_parts=missing)

    def _written_change(self, ranked: Ranked, threshold: float) -> Decision | None:
        """从1832户增加到3382户 -> 增加了多少户: the difference of the change's two figures, when the best
        figure is one end of a written change; its two ends are one answer, verified as one (no rival)."""
        change = self._change(self.view.facts[ranked.scored[0].index]) if ranked else None
        if change is None:
            return None
        p = ranked.probability(0, same=self._indices(change))
        return operate(self.view, "difference", change, p, 0) if p >= threshold else None

    def _change(self, fact) -> tuple | None:
        """The (to, from) figures of the written change ``fact`` is one end of (由52.23%提高到58.08%), when
        no figure of the change itself follows in its clause; else None."""
        partner = self.view.change_pairs.get(fact.id)
        if partner is None:
            return None
        from qa.operations import POINTS

        to, start = sorted((fact, next(f for f in self.view.facts if f.id == partner)), key=lambda f: f.role != "to")
        units = {to.unit, POINTS} if to.unit == "%" else {to.unit}
        written = any(delta and f.sentence_start == to.sentence_start and f.start > to.end and f.unit in units
                      for f, delta in zip(self.view.facts, self.view.layout.is_delta))
        return None if written else (to, start)

    def _joint(self, ranked, threshold: float) -> list[tuple[int, float] | None]:
        """One figure per part, each the best-ranked one not taken by another part (parts with the
        surest choice first); a part whose choice is not verified above the threshold stays unanswered.

        Only ranked choices are verified: the verifier was fitted on each question's best candidate.
        """
        from qa.verifying import part_context

        order = sorted(range(len(ranked)), key=lambda k: -(ranked[k].scored[0].logit if ranked[k] else -math.inf))
        taken: set[int] = set()
        positions: list[int | None] = [None] * len(ranked)
        for k in order:  # each part its best figure not taken by a surer part
            r = ranked[k]
            positions[k] = next((n for n, s in enumerate(r.scored[:TOP_PER_PART]) if s.index not in taken), None)
            if positions[k] is not None:
                taken.add(r.scored[positions[k]].index)
        values = [ranked[k].value(n) if n is not None else "" for k, n in enumerate(positions)]
        sentences = [self.view.facts[ranked[k].scored[n].index].sentence_start if n is not None else -1
                     for k, n in enumerate(positions)]
        chosen: list[tuple[int, float] | None] = [None] * len(ranked)
        for k, n in enumerate(positions):
            if n is None:
                continue
            p = ranked[k].probability(n, part_context(values, k, sentences))
            if p >= threshold:
                chosen[k] = (ranked[k].scored[n].index, p)
        return chosen

    def _follow_parts(self, parts: tuple, chosen: list, retrieved: RetrievalResult, threshold: float) -> list:
        """A part that names nothing of its own (有效专利有多少件？涨幅多大？) asks about the figure just chosen
        for the part before it, as a follow-up asks about the last answer: it is ranked again with that
        figure as its focus, and that choice is taken when verified above the threshold."""
        from qa.slots import names_thing

        out = list(chosen)
        for k in range(1, len(parts)):
            if out[k - 1] is None or parts[k].focus or names_thing(parts[k].text):
                continue
            focused = replace(parts[k], focus=(self.view.facts[out[k - 1][0]].figure_text,))
            ranked, _ = self.rank_facts(focused, retrieved)
            taken = {c[0] for j, c in enumerate(out) if c is not None and j != k}
            if ranked and ranked.scored[0].index not in taken:
                p = ranked.probability(0)
                if p >= threshold:
                    out[k] = (ranked.scored[0].index, p)
        return out

    def _list_total(self, part: Reading, ranked: Ranked, threshold: float) -> Decision | None:
        """A total over the list the best figure belongs to (None: answer that figure as a value).
        The list's items give one answer together, so they are verified as one: no item is the
        others' rival."""
        if not ranked:
            return None
        items = list_items(self.view, part, self.view.facts[ranked.scored[0].index])
        if len(items) < 2:
            return None
        p = ranked.probability(0, same=self._indices(items))
        if p < threshold:
            return Decision("refuse", probability=p)
        return total_of(items, p)

    def _extreme(self, reading: Reading, ranked: Ranked, threshold: float, most: bool) -> Decision:
        """哪一类涨得最多: the item with the largest (smallest) figure of the list the best-ranked figure
        belongs to. The list is verified as one, like a total's items: no item is another's rival."""
        from qa.totals import extreme, of_kind, rivals
        from qa.vocabulary import vocabulary

        if not ranked:
            return Decision("refuse")
        items = rivals(self.view.facts[ranked.scored[0].index], self.view.facts)
        words = vocabulary().tables["cues"]["superlative"]
        items = of_kind(items, reading.text, words["which"], words["which_fillers"])
        if not items:
            return Decision("refuse", reason="报告中没有列出可以相互比较的几项数字。")
        p = ranked.probability(0, same=self._indices(items))
        winner = extreme(items, most)
        if p < threshold or winner is None:
            return Decision("refuse", probability=p)
        return Decision("figures", facts=(winner,), operation="most" if most else "least", probability=p)

    def _indices(self, facts) -> frozenset[int]:
        """The view's indices of ``facts`` (the items of a list verified as one)."""
        ids = {f.id for f in facts}
        return frozenset(i for i, f in enumerate(self.view.facts) if f.id in ids)

    def _with_focus(self, reading: Reading, ranked: Ranked, threshold: float) -> Decision:
        """The other operands come from the last answer: 跟评审专家库加起来多少人？ after one figure
        (it and the figure asked now), 那两个差多少？ after two (those two)."""
        focus = list({f.figure_text: f for f in self.view.facts if f.figure_text in reading.focus}.values())
        if len(focus) >= 2 and not reading.nouns:
            return operate(self.view, reading.operation, tuple(focus[:2]), 0.0, 0)  # no candidate was scored
        own = [(k, s) for k, s in enumerate(ranked.scored[:TOP_PER_PART]) if self.view.facts[s.index] not in focus]
        if not focus or not own:
            return Decision("refuse", reason="要计算差额或合计，需要两个数字：请把两个要比较的项目都说出来。")
        k, s = own[0]
        p = ranked.probability(k)
        if p < threshold:
            return Decision("refuse", probability=p)
        chosen = self.view.facts[s.index]
        if reading.operation == "difference" and (chosen.base_fact_id in {f.id for f in focus}
                                                  or self.view.layout.is_delta[s.index] and chosen.comparison):
            return Decision("figures", facts=(chosen,), probability=p)  # 比上年多了多少 after 24.4件: 净增2.1件 as written
        if reading.operation == "sum" and as_quantity(focus[0]) is not None and as_quantity(chosen) is not None:
            from qa.operations import comparable

            if comparable(as_quantity(focus[0]), as_quantity(chosen)) and stated_total((chosen,), (), self.view):
                return Decision("figures", facts=(chosen,), probability=p)  # 该行动的罚没款合计为多少 after 立案417件
        return operate(self.view, reading.operation, (focus[0], chosen), p, 0)


def _conflict_reason(reading: Reading, view: ReportView, excluded) -> str:
    merged: dict[str, int] = {}
    for part in excluded:
        for k, v in part.items():
            merged[k] = merged.get(k, 0) + v
    if merged.get("year") and reading.years:
        years = "、".join(str(y) for y in sorted(view.fact_years)) or "其他年份"
        return f"报告中与此相关的数字不是{reading.years[0]}年的（报告写的是{years}年的数字）。"
    return ""

