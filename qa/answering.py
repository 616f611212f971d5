"""Answer records returned by the engine (composition functions live below them)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


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


SECTION_NUMERALS = "〇一二三四五六七八九十"
REFUSAL_PREFIX = "报告中没有找到"


def section_label(section: int, title: str, paragraph: int) -> str:
    """``第二部分「实施最严格知识产权保护」第3段``; the intro is ``引言 第1段``."""
    if section == 0:
        return f"引言 第{paragraph}段"
    number = SECTION_NUMERALS[section] if section < len(SECTION_NUMERALS) else str(section)
    return f"第{number}部分「{title}」第{paragraph}段"


def citation_lines(citations: tuple[Citation, ...]) -> list[str]:
    return [f"[{c.number}] {section_label(c.section, c.section_title, c.paragraph)}：{c.text}" for c in citations]


def compose_found(question: str, figures: tuple[AnswerFigure, ...], short: str, sentence: str,
                  citations: tuple[Citation, ...], *, kind: str, notice: str = "", context: str = "") -> Answer:
    """An answer: the direct answer first (with the report's own words around the figure, when
    given), then the source sentence, then numbered sources."""
    source = citations[0] if citations else None
    where = f"（{section_label(source.section, source.section_title, source.paragraph)}）" if source else ""
    headline = f"答：{short}" + (f"（{context}）" if context and context != short else "")
    lines = [headline, f"原文：“{sentence}”{where}", "来源：", *citation_lines(citations)]
    if notice:
        lines.insert(0, notice)
    return Answer(question=question, answer="\n".join(lines), short_answer=short, found=True, figures=figures,
                  citations=citations, sentence=sentence, notice=notice, kind=kind)


def compose_refusal(question: str, reason: str, related: tuple[Citation, ...], *, kind: str = "",
                    notice: str = "") -> Answer:
    """A plain 'the report does not say', with the closest passages shown as related."""
    topic = question if len(question) <= 40 else question[:40] + "…"
    short = f"{REFUSAL_PREFIX}“{topic}”的答案。" if topic else f"{REFUSAL_PREFIX}答案。"
    lines = [short + (f"{reason}" if reason else "")]
    if related:
        lines += ["以下是报告中最接近的段落，仅供参考：", *citation_lines(related)]
    if notice:
        lines.insert(0, notice)
    return Answer(question=question, answer="\n".join(lines), short_answer=short, found=False,
                  citations=related, notice=notice, kind=kind)
