"""HTML and table rendering for the web app (pure functions: no Gradio, no model).

Every piece of text that reaches HTML — the user's question, report passages, the
engine's messages — goes through `esc` first; the only markup in the output is the
markup written here. Styles are inline because the chat's HTML sanitizer keeps
``style``/``class`` but the page CSS is optional (it is a `launch()` argument).

>>> user_html("<script>alert(1)</script>")
'<div class="qa-user">&lt;script&gt;alert(1)&lt;/script&gt;</div>'
>>> mark_span("抓获犯罪嫌疑人564名。", (7, 11))
'抓获犯罪嫌疑人<mark style="background:#ffe58f;color:inherit;padding:0 2px;border-radius:3px">564名</mark>。'
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from qa.answering import Answer, Citation, section_label

MARK = '<mark style="background:#ffe58f;color:inherit;padding:0 2px;border-radius:3px">'
MUTED = "opacity:.75;font-size:.9em"
FOUND_BOX = "border-left:4px solid #52c41a;padding:.2em .8em"
REFUSAL_BOX = ("border:1px solid #fa8c16;border-left:4px solid #fa8c16;background:rgba(250,140,22,.10);"
               "padding:.5em .8em;border-radius:6px")
NOTICE_BOX = "background:rgba(128,128,128,.14);padding:.3em .6em;border-radius:6px;font-size:.9em"
ERROR_BOX = ("border:1px solid #ff4d4f;background:rgba(255,77,79,.08);padding:.5em .8em;"
             "border-radius:6px")
QUOTE = "margin:.3em 0 .3em .2em;padding:.2em .7em;border-left:3px solid rgba(128,128,128,.5);white-space:pre-wrap"
MAX_USER_CHARS = 1000  # how much of an over-long question is echoed back in the chat


def esc(text: Any) -> str:
    """Escape text for HTML element content and attribute values."""
    return html.escape("" if text is None else str(text), quote=True)


def _valid(span: Any, length: int) -> tuple[int, int] | None:
    try:
        start, end = int(span[0]), int(span[1])
    except (TypeError, ValueError, IndexError, KeyError):
        return None
    return (start, end) if 0 <= start < end <= length else None


def mark_spans(text: str, spans: Iterable[Any]) -> str:
    """Escape ``text`` and wrap each valid, non-overlapping ``(start, end)`` span in <mark>."""
    text = "" if text is None else str(text)
    chosen: list[tuple[int, int]] = []
    for span in sorted(filter(None, (_valid(s, len(text)) for s in spans))):
        if not chosen or span[0] >= chosen[-1][1]:
            chosen.append(span)
    out, pos = [], 0
    for start, end in chosen:
        out += [esc(text[pos:start]), MARK, esc(text[start:end]), "</mark>"]
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


def mark_span(text: str, span: Any) -> str:
    """Escape ``text`` with one highlighted span (``None`` or a bad span: no highlight)."""
    return mark_spans(text, [span] if span is not None else [])


def find_spans(text: str, needles: Iterable[str]) -> list[tuple[int, int]]:
    """Spans of every occurrence of each needle (longest needles first, no overlaps)."""
    spans: list[tuple[int, int]] = []
    for needle in sorted({n for n in needles if n}, key=len, reverse=True):
        start = text.find(needle)
        while start != -1:
            end = start + len(needle)
            if all(end <= s or start >= e for s, e in spans):
                spans.append((start, end))
            start = text.find(needle, end)
    return sorted(spans)


def user_html(question: Any) -> str:
    """The user's chat bubble: always plain text."""
    text = "" if question is None else str(question)
    if len(text) > MAX_USER_CHARS:
        text = text[:MAX_USER_CHARS] + f"…（共{len(text)}字，此处只显示前{MAX_USER_CHARS}字）"
    return f'<div class="qa-user">{esc(text)}</div>'


def pending_html() -> str:
    return f'<div class="qa-pending" style="{MUTED}">正在报告中查找…</div>'


def hint_html(message: str) -> str:
    """A short note in the chat (e.g. for an empty question); not an answer."""
    return f'<div class="qa-hint" style="{MUTED}">{esc(message)}</div>'


def error_html(message: str = "抱歉，处理这个问题时出错了，请稍后再试或换个问法。") -> str:
    return f'<div class="qa-error" style="{ERROR_BOX}">{esc(message)}</div>'


def citation_label(c: Citation) -> str:
    """Where a citation stands: its report first (《…》) when several reports are loaded."""
    return getattr(c, "report", "") + section_label(c.section, c.section_title, c.paragraph)


def citation_labels(citations: Sequence[Citation]) -> list[str]:
    """Labels of a list of citations; two passages of the same paragraph become 片段1, 片段2 of it.

    >>> a = Citation(1, 7, 2, "保护", 5, "甲", 0, 1, 0.9)
    >>> citation_labels([a, Citation(2, 8, 2, "保护", 5, "乙", 1, 2, 0.8), Citation(3, 9, 2, "保护", 6, "丙", 2, 3, 0.7)])
    ['第二部分「保护」第5段（片段1）', '第二部分「保护」第5段（片段2）', '第二部分「保护」第6段']
    """
    labels = [citation_label(c) for c in citations]
    counts = {label: labels.count(label) for label in labels}
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        if counts[label] > 1:
            seen[label] = seen.get(label, 0) + 1
            label = f"{label}（片段{seen[label]}）"
        out.append(label)
    return out


def restore_question(text: str, cleaned: str, asked: Any) -> str:
    """Put the user's own punctuation back where `text` echoes the engine's cleaned question.

    The engine reads an NFKC-normalised question (？ becomes ?); the echo should show what was typed.

    >>> restore_question("报告中没有找到“北京的专利有多少?”的答案。", "北京的专利有多少?", " 北京的专利有多少？")
    '报告中没有找到“北京的专利有多少？”的答案。'
    """
    asked = str(asked or "").strip()
    if not cleaned or not asked or cleaned == asked or len(asked) != len(cleaned) \
            or unicodedata.normalize("NFKC", asked) != cleaned:
        return text
    return text.replace(cleaned[:40], asked[:40])


def citation_html(c: Citation, *, figures: Sequence[str] = (), open_: bool = False, label: str | None = None) -> str:
    """``[n] 第二部分「…」第3段`` that expands to the passage with the cited span marked."""
    if _valid(c.highlight, len(c.text or "")):
        body = mark_span(c.text, c.highlight)
    else:
        body = mark_spans(c.text, find_spans(c.text or "", figures))
    return (f'<details class="qa-cite"{" open" if open_ else ""} style="margin:.2em 0">'
            f'<summary style="cursor:pointer"><b>[{int(c.number)}]</b> {esc(label or citation_label(c))}</summary>'
            f'<blockquote style="{QUOTE}">{body}</blockquote></details>')


def answer_parts(answer: Answer, asked: Any = None) -> list[str]:
    """The answer as HTML blocks in reading order (the chat streams them one by one).

    Found: notice, the direct answer in bold, the source sentence with the figures
    marked, the numbered sources. Refused: notice, an orange note, related passages.
    `asked` is the question as typed, so that a refusal echoes it with its own punctuation.
    """
    labels = citation_labels(answer.citations)
    parts = []
    if answer.notice:
        parts.append(f'<div class="qa-notice" style="{NOTICE_BOX}">提示：{esc(answer.notice)}</div>')
    if getattr(answer, "reports", ()):  # several reports loaded: which ones were asked
        parts.append(f'<p class="qa-reports" style="margin:0;{MUTED}">检索的报告：{esc("、".join(answer.reports))}</p>')
    figures = [f.text for f in answer.figures]
    if answer.found:
        parts.append(f'<p class="qa-short" style="font-size:1.1em;margin:.2em 0">答：<strong>{esc(answer.short_answer)}</strong></p>')
        if len(getattr(answer, "reports", ())) > 1:  # several reports: each one's figure and sentence (qa.combining)
            for line in across_lines(answer):
                parts.append(f'<p class="qa-row" style="margin:.3em 0">{mark_spans(line, find_spans(line, figures))}</p>')
        elif answer.sentence:
            marks = find_spans(answer.sentence, figures or [answer.short_answer])
            where = ""
            if answer.citations:
                first = answer.citations[0]
                where = f'<span style="{MUTED}">（{esc(labels[0])} [{int(first.number)}]）</span>'
            parts.append(f'<p class="qa-sentence" style="margin:.3em 0">原文：“{mark_spans(answer.sentence, marks)}”{where}</p>')
        if answer.citations:
            cites = "".join(citation_html(c, figures=figures, label=lab) for c, lab in zip(answer.citations, labels))
            parts.append(f'<div class="qa-sources"><p style="margin:.3em 0 .1em;{MUTED}">来源（点击展开原文）：</p>{cites}</div>')
    else:
        detail = answer.answer.split("\n")
        # The first line of a refusal (after any notice) holds the short answer plus the reason.
        head = next((line for line in detail if line.startswith(answer.short_answer)), answer.short_answer)
        head = restore_question(head, answer.question, asked)
        parts.append(f'<div class="qa-refusal" style="{REFUSAL_BOX}">{esc(head)}</div>')
        if answer.citations:
            cites = "".join(citation_html(c, label=lab) for c, lab in zip(answer.citations, labels))
            parts.append(f'<div class="qa-related"><p style="margin:.4em 0 .1em;{MUTED}">以下是报告中最接近的段落，仅供参考：</p>{cites}</div>')
    return parts


def across_lines(answer: Answer) -> list[str]:
    """The lines of an answer over several reports between 答 and 来源: the formula, each report's figure.

    >>> a = Answer("?", "答：1件\\n计算得出：2件 − 1件 = 1件\\n2019年：2件\\n来源：\\n[1] …", "1件", True)
    >>> across_lines(a)
    ['计算得出：2件 − 1件 = 1件', '2019年：2件']
    """
    lines = answer.answer.split("\n")
    start = next((i for i, line in enumerate(lines) if line.startswith("答：")), -1) + 1
    end = next((i for i, line in enumerate(lines) if line == "来源："), len(lines))
    return [line for line in lines[start:end] if line.strip()]


def wrap_answer(parts: Sequence[str], *, found: bool) -> str:
    kind = "qa-found" if found else "qa-refused"
    style = FOUND_BOX if found else "padding:.1em 0"
    return f'<div class="qa-answer {kind}" style="{style}">{"".join(parts)}</div>'


def answer_html(answer: Answer, asked: Any = None) -> str:
    return wrap_answer(answer_parts(answer, asked), found=answer.found)


def sources_html(answer: Answer | None) -> str:
    """The side panel: every passage behind the last answer, with its score."""
    if answer is None:
        return f'<div class="qa-panel" style="{MUTED}">提问后，这里会列出检索到的原文段落及其相关度。</div>'
    if not answer.citations:
        return f'<div class="qa-panel" style="{MUTED}">这次没有检索到相关段落。</div>'
    figures = [f.text for f in answer.figures]
    head = "回答依据的段落" if answer.found else "最接近的段落（未找到答案，仅供参考）"
    items = []
    for c, label in zip(answer.citations, citation_labels(answer.citations)):
        body = (mark_span(c.text, c.highlight) if _valid(c.highlight, len(c.text or ""))
                else mark_spans(c.text, find_spans(c.text or "", figures)))
        # A refusal's passages are only related: a score beside 未找到答案 would read as confidence.
        score = f'<span style="{MUTED}">相关度 {float(c.score):.3f}</span>' if answer.found else ""
        items.append(f'<div class="qa-hit" style="margin:.5em 0;padding-bottom:.4em;border-bottom:1px solid rgba(128,128,128,.25)">'
                     f'<div><b>[{int(c.number)}]</b> {esc(label)} {score}</div>'
                     f'<div style="white-space:pre-wrap;font-size:.92em;margin-top:.2em">{body}</div></div>')
    latency = f'<span style="{MUTED}">（用时 {float(answer.latency_ms):.0f} 毫秒）</span>' if answer.latency_ms else ""
    return f'<div class="qa-panel"><p style="margin:0"><b>{head}</b>{latency}</p>{"".join(items)}</div>'


# ---- fact table -----------------------------------------------------------------------------------

FACT_COLUMNS = ("编号", "部分", "主体", "执行方", "数字", "单位", "类型", "比较", "年份", "原句")
ALL = "全部"
KIND_LABELS = {"count": "数量", "money": "金额", "percent": "百分比", "growth_rate": "增长率", "growth": "增长",
               "rank": "排名", "duration": "时长", "ratio": "比例", "share": "占比", "period": "期间",
               "date": "日期", "name": "名称", "text": "文字", "other": "其他"}
OTHER_KIND = "其他"


def kind_label(kind: Any) -> str:
    """A fact kind in Chinese; a kind this table does not know yet shows as 其他 (never in English).

    >>> kind_label("growth_rate"), kind_label("brand_new_kind"), kind_label(None)
    ('增长率', '其他', '')
    """
    if not kind:
        return ""
    return KIND_LABELS.get(str(kind), OTHER_KIND)


def _field(row: Any, name: str, default: Any = "") -> Any:
    value = row.get(name, default) if isinstance(row, Mapping) else getattr(row, name, default)
    return default if value is None else value


def section_choice(section: int, title: str) -> str:
    """Filter label of a section: ``第二部分「…」`` (the intro is ``引言``)."""
    return section_label(int(section), str(title), 1).rsplit("第1段", 1)[0].strip()


def fact_rows(facts: Iterable[Any]) -> list[list[Any]]:
    """One display row per fact, in FACT_COLUMNS order."""
    rows = []
    for f in facts:
        section = int(_field(f, "section", 0) or 0)
        where = section_label(section, str(_field(f, "section_title")), int(_field(f, "paragraph", 0) or 0))
        year = _field(f, "year", "")
        rows.append([str(_field(f, "id")), where, str(_field(f, "subject")), str(_field(f, "actor")),
                     str(_field(f, "figure_text")), str(_field(f, "unit")), kind_label(_field(f, "kind")),
                     str(_field(f, "comparison")), "" if year in ("", 0) else str(year), str(_field(f, "sentence"))])
    return rows


def fact_filters(facts: Iterable[Any]) -> tuple[list[str], list[str]]:
    """Choices for the section and kind filters (each starts with 全部)."""
    sections, kinds = {}, set()
    for f in facts:
        sections.setdefault(int(_field(f, "section", 0) or 0), str(_field(f, "section_title")))
        if _field(f, "kind"):
            kinds.add(kind_label(_field(f, "kind")))
    return ([ALL] + [section_choice(s, t) for s, t in sorted(sections.items())], [ALL] + sorted(kinds))


def filter_fact_rows(rows: Sequence[Sequence[Any]], section: str | None = ALL, kind: str | None = ALL,
                     query: str | None = "") -> list[list[Any]]:
    """Rows in the chosen section and kind whose cells contain every word of ``query``."""
    words = (query or "").split()
    out = []
    for row in rows:
        if section and section != ALL and not str(row[1]).startswith(section):
            continue
        if kind and kind != ALL and row[6] != kind:
            continue
        joined = " ".join(str(cell) for cell in row)
        if all(w.lower() in joined.lower() for w in words):
            out.append(list(row))
    return out
