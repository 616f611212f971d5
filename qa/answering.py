"""Answer records returned by the engine (composition functions live below them)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Citation:
    """A numbered source passage shown under an answer."""

    number: int  # 1-based, as printed: [1], [2], ...
    chunk_id: int
    section: int
    section_title: str
    paragraph: int
    text: str
    start: int  # character span of `text` in the original report
    end: int
    score: float
    highlight: tuple[int, int] | None = None  # span of the cited figure inside `text`


@dataclass(frozen=True)
class AnswerFigure:
    """One figure asserted as (part of) the answer, exactly as the report writes it."""

    fact_id: str
    text: str  # e.g. "81.22万件"
    citation: int  # number of the citation it comes from


@dataclass(frozen=True)
class Answer:
    """What `QAEngine.ask` returns."""

    question: str
    answer: str  # full text shown to people
    short_answer: str
    found: bool
    figures: tuple[AnswerFigure, ...] = ()
    citations: tuple[Citation, ...] = ()
    sentence: str = ""  # the source sentence of the answer ("" when not found)
    notice: str = ""  # e.g. input capped / cleaned
    latency_ms: float = 0.0
    kind: str = ""  # what was asked for: count, money, growth, rank, text, ...

    def to_dict(self) -> dict:
        return asdict(self)
