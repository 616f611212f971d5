"""Write a decision out as an Answer: the direct answer, the source sentence, numbered citations.

Citation [1] holds the sentence of the first figure with the figure highlighted; every other
figure cites the passage it stands in; the rest are the best retrieved passages. Quotes use the
report's characters as written (a traditional report is quoted in traditional characters).
"""

from __future__ import annotations

from typing import Sequence

from qa.answering import Answer, AnswerFigure, Citation, Computed, compose_found, compose_refusal
from qa.ranked import Decision
from qa.reading import Reading
from qa.report import ReportView
from qa.retrieval import RetrievalResult
from qa.textanswer import is_date

MAX_CITATIONS = 3


def citations(view: ReportView, spans: Sequence[tuple[int, int]], retrieved: RetrievalResult, *,
              limit: int = MAX_CITATIONS) -> tuple[Citation, ...]:
    """One citation per answer span (its sentence and chunk), then retrieved chunks not yet cited."""
    doc, layout = view.document, view.layout
    top = max((h.score for h in retrieved.hits), default=0.0) or 1.0
    share = {h.chunk.id: h.score / top for h in retrieved.hits}
    cites: list[Citation] = []
    for span in spans:
        if any(c.start <= span[0] and span[1] <= c.end for c in cites):
            continue
        sentence, chunk = layout.sentence_at(span[0]), layout.chunk_at(span[0])
        start, end = min(sentence.start, chunk.start), max(sentence.end, chunk.end)
        cites.append(Citation(len(cites) + 1, chunk.id, chunk.section, chunk.section_title, chunk.paragraph,
                              doc.as_written(start, end), start, end, round(share.get(chunk.id, 0.0), 4),
                              (span[0] - start, span[1] - start)))
    for hit in retrieved.hits:
        if len(cites) >= max(limit, len(spans)):
            break
        c = hit.chunk
        if any(c.start < x.end and x.start < c.end for x in cites):
            continue
        cites.append(Citation(len(cites) + 1, c.id, c.section, c.section_title, c.paragraph,
                              doc.as_written(c.start, c.end), c.start, c.end, round(share.get(c.id, 0.0), 4)))
    return tuple(cites)


def _cited(fact, cites: Sequence[Citation]) -> int:
    return next((c.number for c in cites if c.start <= fact.start and fact.end <= c.end), 1)


def refusal(reading: Reading | None, question: str, view: ReportView | None, retrieved: RetrievalResult | None,
            reason: str, *, notice: str = "", kind: str = "") -> Answer:
    related = citations(view, [], retrieved) if view is not None and retrieved is not None else ()
    return compose_refusal(question, reason, related, kind=kind or (reading.asked if reading else ""), notice=notice)


def compose(decision: Decision, reading: Reading, question: str, view: ReportView, retrieved: RetrievalResult, *,
            notice: str = "") -> Answer:
    """The Answer for a decision (a refusal when the decision is to refuse)."""
    if decision.mode == "refuse":
        return refusal(reading, question, view, retrieved, decision.reason, notice=notice)
    layout, doc = view.layout, view.document
    if decision.mode == "sentence":
        s = view.sentences[decision.sentence]
        cites = citations(view, [(s.start, s.end)], retrieved)
        short = decision.short or s.text
        # a date as the report writes it is the answer's figure, as a count is (it is no row of the fact
        # table, so no fact id); any other text answer asserts no figure
        dated = reading.asked == "date" and is_date(short)  # short_answer takes a date from the sentence
        figures = (AnswerFigure("", short, cites[0].number if cites else 1),) if dated else ()
        return compose_found(question, figures, short, doc.as_written(s.start, s.end), cites, kind=reading.asked,
                             notice=notice, confidence=decision.probability)
    facts = decision.facts
    cites = citations(view, [(f.start, f.end) for f in facts], retrieved)
    figures = tuple(AnswerFigure(f.id, doc.as_written(f.start, f.end), _cited(f, cites)) for f in facts)
    lead = layout.sentence_of[facts[0].id]
    quotes = "；".join(dict.fromkeys(layout.quote(f) for f in facts))
    short, computed = "、".join(f.text for f in figures), None
    if decision.computed is not None:
        operation, result, winner = decision.computed
        if operation == "compare":
            other = next((f for f in figures if winner is None or f.fact_id != winner.id), figures[-1])
            top = next((f for f in figures if winner is not None and f.fact_id == winner.id), None)
            short = f"{top.text}大于{other.text}" if top else f"{figures[0].text}与{figures[1].text}相等"
            computed = Computed("compare", "", "", tuple(f.id for f in facts), top.text if top else "")
        else:
            short = f"{result.text}（计算得出）"
            computed = Computed(operation, result.text, result.formula, tuple(f.id for f in facts))
    elif decision.operation in ("most", "least"):  # 哪一类涨得最多: the item, then its figure
        short = f"{facts[0].subject}（{short}）" if facts[0].subject else short
    elif decision.verdict:
        short = f"{decision.verdict}，{short}"
    if decision.missing_parts:
        short += "（所问其余各项，报告中没有找到）"  # no count here: a figure in the answer must be the report's
    return compose_found(question, figures, short, doc.as_written(lead.start, lead.end), cites, kind=reading.asked,
                         notice=notice, context=quotes, computed=computed, verdict=decision.verdict,
                         confidence=decision.probability)
