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
    report: str = ""  # the report it comes from, as 《title》, when several are loaded ("" with one report)


@dataclass(frozen=True)
class AnswerFigure:
    """One figure asserted as (part of) the answer, exactly as the report writes it."""

    fact_id: str
    text: str  # e.g. "81.22万件"
    citation: int  # number of the citation it comes from


@dataclass(frozen=True)
class Computed:
    """A figure the report does not state, computed from two cited figures (shown as 计算得出)."""

    operation: str  # difference | sum | compare
    text: str  # the result as shown, e.g. "259件" ("" for a comparison)
    formula: str  # e.g. "9079件 − 8820件 = 259件"
    operands: tuple[str, ...]  # fact ids of the figures it is computed from
    larger: str = ""  # for a comparison: the larger figure as written


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
    computed: Computed | None = None  # arithmetic on cited figures (never a figure of the report)
    verdict: str = ""  # 是 / 否 for a yes/no question
    confidence: float = 0.0  # calibrated probability that the answer is right (0 for refusals)
    reason: str = ""  # why the report cannot answer (refusals)
    reports: tuple[str, ...] = ()  # the reports asked, as 《title》, when several are loaded (qa.library_engine)

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


def citation_labels(citations: tuple[Citation, ...]) -> list[str]:
    """Each citation's place in the report; two passages of one paragraph are told apart (片段1, 片段2)."""
    labels = [c.report + section_label(c.section, c.section_title, c.paragraph) for c in citations]
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        if labels.count(label) > 1:
            seen[label] = seen.get(label, 0) + 1
            label = f"{label}·片段{seen[label]}"
        out.append(label)
    return out


def citation_lines(citations: tuple[Citation, ...]) -> list[str]:
    return [f"[{c.number}] {label}：{c.text}" for c, label in zip(citations, citation_labels(citations))]


def compose_found(question: str, figures: tuple[AnswerFigure, ...], short: str, sentence: str,
                  citations: tuple[Citation, ...], *, kind: str, notice: str = "", context: str = "",
                  computed: Computed | None = None, verdict: str = "", confidence: float = 0.0) -> Answer:
    """An answer: the direct answer first (with the report's own words around the figure, when
    given), then the source sentence, then numbered sources."""
    source = citations[0] if citations else None
    where = f"（{section_label(source.section, source.section_title, source.paragraph)}）" if source else ""
    headline = f"答：{short}" + (f"（{context}）" if context and context != short else "")
    lines = [headline]
    if computed is not None and computed.formula:
        lines.append(f"计算得出：{computed.formula}（报告未直接给出，由下列两处原文数字计算）")
    lines += [f"原文：“{sentence}”{where}", "来源：", *citation_lines(citations)]
    if notice:
        lines.insert(0, notice)
    return Answer(question=question, answer="\n".join(lines), short_answer=short, found=True, figures=figures,
                  citations=citations, sentence=sentence, notice=notice, kind=kind, computed=computed,
                  verdict=verdict, confidence=round(float(confidence), 4))


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
                  citations=related, notice=notice, kind=kind, reason=reason)
