"""Answers of several reports put together, each citation naming its report.

Each report answers on its own (qa.engine); what it answered is a `Part`. Several parts become
one Answer: each report's figure in a row labelled with its report (`rows`), or a difference or
comparison (`difference`, `compare`) computed only from two cited figures with the same meaning
and unit, shown as 计算得出 with the formula and both sources. Nothing here reads a report.

>>> from qa.answering import AnswerFigure, Citation, compose_found
>>> def part(name, figure, sentence):
...     cite = Citation(1, 0, 0, "", 1, sentence, 0, len(sentence), 1.0)
...     answer = compose_found("?", (AnswerFigure("f1", figure, 1),), figure, sentence, (cite,), kind="count")
...     return Part(name, f"r{name}", f"《检察{name}》", answer)
>>> a = difference("19年比18年多了多少件?", part("2019年", "4346件", "批捕4346件"), part("2018年", "3306件", "批捕3306件"),
...                ("《检察2019年》", "《检察2018年》"))
>>> a.short_answer, a.computed.formula
('1040件（计算得出）', '4346件（2019年）− 3306件（2018年）= 1040件')
>>> [(c.number, c.report) for c in a.citations], [f.citation for f in a.figures]
([(1, '《检察2019年》'), (2, '《检察2018年》')], [1, 2])
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

from index.normalise import normalise_report
from qa.answering import Answer, AnswerFigure, Citation, Computed, citation_lines, compose_refusal
from qa.numbers import Quantity, parse_quantity
from qa.operations import combine, comparable
from qa.routing import Plan

PER_REPORT_CITATIONS = 2
# Fact fields that must agree for two figures to mean the same thing (those a fact table has).
MEANING = (("kind", "类型"), ("actor", "执行方"), ("scope", "范围"))


@dataclass(frozen=True)
class Part:
    """What one report answered."""

    name: str  # what it answers for: "2019年", "天津市", or "" (then its label names it)
    report_id: str
    label: str  # 《title》
    answer: Answer
    facts: tuple = ()  # the fact rows of answer.figures, in order (None where unknown)
    year: int | None = None  # what the report is about (the catalogue's year and place)
    place: str = ""

    @property
    def title(self) -> str:
        return self.name or self.label


def searched_line(reports: Sequence[str]) -> str:
    return f"检索的报告：{'、'.join(reports)}" if reports else ""


def _lines(*lines: str) -> str:
    return "\n".join(line for line in lines if line)


def labelled(answer: Answer, label: str, reports: Sequence[str], *, question: str = "") -> Answer:
    """One report's answer as it stands among several: its citations and text name the report.

    `question`: the question as the user asked it, when the report was asked it reworded."""
    question = question or answer.question
    cites = tuple(replace(c, report=label) for c in answer.citations)
    if not answer.found:
        refused = compose_refusal(question, answer.reason, cites, kind=answer.kind, notice=answer.notice)
        return replace(refused, answer=_lines(refused.answer, searched_line(reports)), reports=tuple(reports),
                       latency_ms=answer.latency_ms)
    text = answer.answer
    old, new = "\n".join(citation_lines(answer.citations)), "\n".join(citation_lines(cites))
    if old and old in text:
        text = text.replace(old, new)
    first, _, rest = text.partition("\n")
    if answer.notice:  # the notice line stays first
        second, _, rest = rest.partition("\n")
        first = _lines(first, second)
    return replace(answer, question=question, answer=_lines(first, f"报告：{label}", rest, searched_line(reports)),
                   citations=cites, reports=tuple(reports))


def merge_citations(parts: Sequence[Part], *, per_part: int = PER_REPORT_CITATIONS) -> tuple[tuple[Citation, ...], list[dict[int, int]]]:
    """Each part's figure citations and best passages, taken in turn and numbered again; and for
    each part, its old citation numbers -> new ones."""
    queues = []
    for part in parts:
        wanted = {f.citation for f in part.answer.figures} | {c.number for c in part.answer.citations[:per_part]}
        queues.append([c for c in part.answer.citations if c.number in wanted])
    merged: list[Citation] = []
    numbers: list[dict[int, int]] = [{} for _ in parts]
    for round_ in range(max((len(q) for q in queues), default=0)):
        for i, queue in enumerate(queues):
            if round_ < len(queue):
                c = queue[round_]
                numbers[i][c.number] = len(merged) + 1
                merged.append(replace(c, number=len(merged) + 1, report=parts[i].label))
    return tuple(merged), numbers


def _figures(parts: Sequence[Part], numbers: list[dict[int, int]]) -> tuple[AnswerFigure, ...]:
    return tuple(AnswerFigure(f"{p.report_id}:{f.fact_id}" if f.fact_id else "", f.text, numbers[i].get(f.citation, 1))
                 for i, p in enumerate(parts) for f in p.answer.figures)


def _source(part: Part) -> str:
    a = part.answer
    return f"{part.title}{f'（{part.label}）' if part.name and part.name != part.label else ''}：{a.short_answer}" + (
        f"，原文：“{a.sentence}”" if a.sentence and a.sentence != a.short_answer else "")


def refuse(question: str, reason: str, parts: Sequence[Part], reports: Sequence[str], *, notice: str = "",
           kind: str = "") -> Answer:
    """No answer across the reports; the closest passages of each report shown as related."""
    related, _ = merge_citations(parts, per_part=1)
    answer = compose_refusal(question, reason, related, kind=kind, notice=notice)
    return replace(answer, answer=_lines(answer.answer, searched_line(reports)), reports=tuple(reports))


def rows(question: str, parts: Sequence[Part], reports: Sequence[str], *, note: str = "", notice: str = "") -> Answer:
    """Each report's answer in a row labelled with its report (a refused named one says so)."""
    found = [p for p in parts if p.answer.found]
    cites, numbers = merge_citations(found)
    short = "；".join(f"{p.title}：{p.answer.short_answer if p.answer.found else '没有找到'}" for p in parts)
    body = [_source(p) if p.answer.found else f"{p.title}（{p.label}）：没有找到。{p.answer.reason}"
            for p in parts]
    text = _lines(notice, f"答：{short}", *body, note, "来源：", *citation_lines(cites), searched_line(reports))
    return Answer(question=question, answer=text, short_answer=short, found=True, figures=_figures(found, numbers),
                  citations=cites, sentence=found[0].answer.sentence, notice=notice, kind=found[0].answer.kind,
                  confidence=min(p.answer.confidence for p in found), reports=tuple(reports))


def same_meaning(a, b) -> str:
    """"" when two fact rows count the same thing, else why not (fields either table lacks are skipped)."""
    if a is None or b is None:
        return ""
    for field, name in MEANING:
        x, y = getattr(a, field, None), getattr(b, field, None)
        if x and y and x != y:
            return f"两个数字的{name}不同（{x}、{y}），说的不是同一件事，不能相比。"
    if bool(getattr(a, "comparison", None)) != bool(getattr(b, "comparison", None)):
        return "一个数字是增减幅度，另一个不是，说的不是同一件事，不能相比。"
    return ""


def _one_figure(part: Part) -> tuple[Quantity | None, str]:
    """The part's single figure as a quantity, or why it has none."""
    a = part.answer
    if not a.found:
        return None, f"{part.title}（{part.label}）没有找到这个数字：{a.reason or a.short_answer}"
    if len(a.figures) != 1 or a.computed is not None:
        return None, f"{part.title}的回答有{len(a.figures)}个数字，无法确定用哪一个计算；请一次只问一个数字。"
    q = parse_quantity(normalise_report(a.figures[0].text))
    return (q, "") if q is not None else (None, f"{part.title}的“{a.figures[0].text}”不是可以计算的数字。")


def _operands(parts: Sequence[Part]) -> tuple[list[Quantity], str]:
    quantities = []
    for part in parts:
        q, why = _one_figure(part)
        if q is None:
            return [], why
        quantities.append(q)
    first = parts[0]
    for part, q in zip(parts[1:], quantities[1:]):
        why = comparable(quantities[0], q) or same_meaning(first.facts[0] if first.facts else None,
                                                           part.facts[0] if part.facts else None)
        if why:
            return [], f"{first.title}与{part.title}：{why}"
    return quantities, ""


def _computed_answer(question: str, parts: Sequence[Part], reports: Sequence[str], short: str,
                     computed: Computed, note: str, notice: str) -> Answer:
    cites, numbers = merge_citations(parts)
    text = _lines(notice, f"答：{short}", note, *[_source(p) for p in parts], "来源：", *citation_lines(cites),
                  searched_line(reports))
    return Answer(question=question, answer=text, short_answer=short, found=True, figures=_figures(parts, numbers),
                  citations=cites, sentence=parts[0].answer.sentence, notice=notice, kind=parts[0].answer.kind,
                  computed=computed, confidence=min(p.answer.confidence for p in parts), reports=tuple(reports))


def difference(question: str, a: Part, b: Part, reports: Sequence[str], *, notice: str = "") -> Answer:
    """The difference of two reports' figures, larger first, labelled 计算得出 with both sources."""
    quantities, why = _operands((a, b))
    if why:
        return refuse(question, why, (a, b), reports, notice=notice)
    qa, qb = quantities
    result = combine("difference", qa, qb)
    if result.reason:
        return refuse(question, result.reason, (a, b), reports, notice=notice)
    text = result.text  # two percentages differ in 个百分点 (qa/operations.py)
    first, second = ((a, qa), (b, qb)) if qa.value >= qb.value else ((b, qb), (a, qa))
    formula = f"{first[1].text}（{first[0].title}）− {second[1].text}（{second[0].title}）= {text}"
    computed = Computed("difference", text, formula, tuple(f"{p.report_id}:{p.answer.figures[0].fact_id}" for p in (a, b)))
    note = f"计算得出：{formula}（报告未直接给出，由下列两份报告的原文数字计算）"
    return _computed_answer(question, (a, b), reports, f"{text}（计算得出）", computed, note, notice)


def compare(question: str, parts: Sequence[Part], reports: Sequence[str], *, lower: bool = False,
            notice: str = "") -> Answer:
    """Which report's figure is larger (or smaller, `lower`), from figures of the same meaning and unit."""
    quantities, why = _operands(parts)
    if why:
        return refuse(question, why, parts, reports, notice=notice)
    order = sorted(range(len(parts)), key=lambda i: quantities[i].value, reverse=True)
    top = order[0]
    equal = quantities[order[0]].value == quantities[order[-1]].value
    pick = order[-1] if lower else top
    said = {i: f"{parts[i].title}（{quantities[i].text}）" for i in range(len(parts))}
    if equal:
        short = "与".join(said.values()) + "相等"
    elif len(parts) == 2:
        other = order[0] if pick == order[-1] else order[-1]
        short = f"{said[pick]}{'小于' if lower else '大于'}{said[other]}"
    else:
        short = f"{said[pick]}最{'小' if lower else '大'}；" + "、".join(said[i] for i in order if i != pick)
    computed = Computed("compare", "", "", tuple(f"{p.report_id}:{p.answer.figures[0].fact_id}" for p in parts),
                        "" if equal else quantities[top].text)
    note = "比较的是下列各报告原文中的数字（报告本身没有做这个比较）。"
    return _computed_answer(question, parts, reports, short, computed, note, notice)


def scope_problem(by: str, parts: Sequence[Part]) -> str:
    """Why figures of reports told apart by year (or place) cannot be set side by side: their places
    (or years) differ, so they do not count the same thing ("" when they agree)."""
    other = {"year": "place", "place": "year"}.get(by)
    values = [getattr(p, other) for p in parts] if other else []
    if len(set(values)) <= 1:
        return ""
    said = "、".join(f"{p.title}的报告是{_scope_name(other, v)}的" for p, v in zip(parts, values))
    return f"{said}，范围不同，数字说的不是同一件事，不能相减或比较；请在问题中写明{'地区' if other == 'place' else '年份'}。"


def _scope_name(kind: str, value) -> str:
    if kind == "place":
        return value or "全国或未写明地区"
    return f"{value}年" if value else "未写明年份"


def put_together(question: str, route: Plan, parts: Sequence[Part], *, more: int = 0, searched: bool = False,
                 notice: str = "") -> Answer:
    """One Answer from what each report answered, as the plan asks (`searched`: a search picked the
    reports, not the question, so reports without an answer are left out; `more`: reports not asked)."""
    reports = tuple(dict.fromkeys(p.label for p in parts))
    note = f"另有{more}份报告也有相关段落；问题写明年份、地区或报告名称可以只问其中一份。" if more > 0 else ""
    if route.missing:
        note += f"报告库中没有{'、'.join(route.missing)}的报告。"
    found = [p for p in parts if p.answer.found]
    names = list(dict.fromkeys(p.name for p in parts))
    if route.operation in ("difference", "compare") and len(names) > 1:
        sides = {name: [p for p in found if p.name == name] for name in names}
        empty = next((p for p in parts if not sides[p.name]), None)
        if empty is not None:
            why = empty.answer.reason or "报告中没有这个数字。"
            return refuse(question, f"{empty.title}（{empty.label}）没有找到：{why}无法计算。", parts, reports,
                          notice=notice)
        if any(len(side) > 1 for side in sides.values()):
            return refuse(question, "同一年份（或地区）有几份报告都回答了，无法确定用哪一份计算；请写明报告名称。",
                          parts, reports, notice=notice)
        operands = [side[0] for side in sides.values()]
        why = scope_problem(route.by, operands)
        if why:
            return refuse(question, why, parts, reports, notice=notice)
        if route.operation == "difference" and len(operands) == 2:
            return difference(question, *operands, reports, notice=notice)
        return compare(question, operands, reports, lower=route.lower, notice=notice)
    if len(parts) == 1 or (len(found) == 1 and (searched or not parts[0].name)):
        one = (found or parts)[0]
        answer = labelled(one.answer, one.label, reports, question=question)
        return replace(answer, answer=_lines(answer.answer, note))
    if not found:
        return refuse(question, f"在{'、'.join(reports)}中都没有找到。", parts, reports, notice=notice)
    return rows(question, found if searched or not parts[0].name else parts, reports, note=note, notice=notice)
