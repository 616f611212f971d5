"""Operations over the figures chosen for a question: compare two, take their difference, add up two or a
list's items, or answer the total the report states. A computed figure is labelled as computed with its
operands; figures of different units or years are never combined.

>>> from types import SimpleNamespace
>>> q = as_quantity(SimpleNamespace(value=None, figure_text="1.5亿元"))
>>> q.value, q.unit
(150000000.0, '元')
"""

from __future__ import annotations

import re

from qa.coverage import expansions
from qa.numbers import Quantity, parse_quantity
from qa.ranked import Decision
from qa.reading import Reading
from qa.report import ReportView
from qa.vocabulary import vocabulary


def operate(view: ReportView, operation: str, facts: tuple, probability: float, missing: int,
            parts: tuple = ()) -> Decision:
    """Compare, take the difference of or add up ``facts`` (one per part asked): both figures with the
    larger named, or a computed figure with both operands; a refusal with the reason when they cannot be."""
    from qa.operations import combine, larger

    stated = stated_total(facts, parts, view) if operation == "sum" else None
    if stated is not None:  # 两个区一共拿了多少钱: the report writes the total (共获得3亿元); never add to it
        return Decision("figures", facts=(stated,), probability=probability)
    if operation == "sum" and not missing and len(facts) == len(parts):  # 市级专家组及两个专家库: 1 + 2 items
        spread = tuple({id(f): f for k, fact in enumerate(facts)
                        for f in (list_items(view, parts[k], fact, group=True) or (fact,))}.values())
        facts = spread if len(spread) > len(facts) else facts
    if missing or len(facts) < 2:
        return Decision("refuse", reason="报告中只找到其中一个数字，无法比较或计算。", probability=probability)
    a, b = as_quantity(facts[0]), as_quantity(facts[1])
    if a is None or b is None:
        return Decision("refuse", reason="无法读取这两个数字。")
    if operation == "compare":
        from qa.operations import comparable

        why = comparable(a, b)
        if why:  # 1.2个百分点 and 0.3% are not two measures of one thing
            return Decision("refuse", reason=why.replace("不能相加减", "不能比较"), probability=probability)
        big = larger(a, b)
        winner = facts[0] if big is a else facts[1] if big is b else None
        return Decision("figures", facts=facts[:2], operation="compare", probability=probability,
                        computed=("compare", None, winner))
    if operation == "sum" and len(facts) > 2:
        return total_of(facts, probability)
    if facts[0].year != facts[1].year:
        return Decision("refuse", reason="两个数字不是同一年的，不能相加减。")
    result = combine(operation, a, b)
    if result.reason:
        return Decision("refuse", reason=result.reason)
    return Decision("figures", facts=facts[:2], operation=operation, probability=probability,
                    computed=(operation, result, None))


def implied_sum(reading: Reading) -> bool:
    """A sum read only from a total's word over joined things (一共, qa/vocab/cues.toml joined_sum), with
    no word that adds (加起来): the joined things may be one figure's subject."""
    return (reading.operation == "sum" and len(reading.parts) >= 2
            and "sum" not in vocabulary().cue_groups(reading.text, "operation"))


def two_operands(parts: tuple, ranked: tuple) -> tuple[tuple, tuple]:
    """A comparison or difference of more parts than two whose parts pick only two distinct best
    figures: one part for each figure, the one surest of it (the question's 、/及 split a name or
    listed two actors of one figure: 人大代表、政协委员提出的意见建议和提案哪个多). Else as they were.

    >>> from types import SimpleNamespace as S
    >>> r = lambda i, logit: S(scored=[S(index=i, logit=logit)])
    >>> two_operands(("a", "b", "c"), (r(7, 0.6), r(7, 2.0), r(9, 1.9)))[0]
    ('b', 'c')
    """
    if len(parts) <= 2 or not all(ranked):
        return parts, ranked
    best: dict[int, int] = {}
    for k, r in enumerate(ranked):
        top = r.scored[0]
        if top.index not in best or top.logit > ranked[best[top.index]].scored[0].logit:
            best[top.index] = k
    if len(best) != 2:
        return parts, ranked
    keep = sorted(best.values())
    return tuple(parts[k] for k in keep), tuple(ranked[k] for k in keep)


def total_of(facts: tuple, probability: float) -> Decision:
    """三个专家库加起来多少人: the sum of every part's figure, all of one unit and year."""
    from qa.operations import total

    quantities = [as_quantity(f) for f in facts]
    if any(q is None for q in quantities):
        return Decision("refuse", reason="无法读取这些数字。")
    if len({f.year for f in facts}) > 1:
        return Decision("refuse", reason="这些数字不是同一年的，不能相加。")
    result = total(quantities)
    if result.reason:
        return Decision("refuse", reason=result.reason)
    return Decision("figures", facts=facts, operation="sum", probability=probability,
                    computed=("sum", result, None))


def list_items(view: ReportView, part: Reading, fact, *, group: bool = False) -> tuple:
    """The list items a total over one thing asks for (qa/totals.py); () when ``fact`` is written as a
    total, belongs to one, or is the one item the question names. With ``group`` (one part of a sum over
    several), only a group the part's own words name: every word that tells items apart fits each of
    them (两个专家库 -> both 专家库); a part naming one item, or none, is that part's figure alone."""
    from qa.totals import asked_items, enumeration, group_items
    from qa.vocabulary import alternation, vocabulary

    v = vocabulary()
    if fact.parent_fact_id or stated_total((fact,), (), view) is not None:
        return ()
    items = enumeration(fact, view.facts, v.actions_in)
    if not items:
        return ()
    own_words = lambda t: (t, *v.synonyms.get(t, ()))  # noqa: E731 — not expansions(): 专家 in 专家组 tells nothing
    if group:
        named = group_items(part.terms, items, tuple(v.extraction("total_openers")), own_words)
        return named if len(named) >= 2 and fact in named else ()
    asked = asked_items(part.terms, items, tuple(v.extraction("total_openers")), own_words)
    inclusion = re.search(f"(?<!不)(?:{alternation(v.cues('inclusion', 'words'))})", part.text)  # not 不含
    if fact not in asked or inclusion:  # 连外观设计的算上一共: the words named what to include, not pick
        return items
    return asked if len(asked) >= 2 else ()


def stated_total(facts, parts, view: ReportView) -> object | None:
    """The fact among ``facts`` the report writes as the total of every part asked about: written as a
    total (共, 合计, 累计 … before it, or scope total) in a sentence that names each part
    (东丽区、滨海新区…共获得国家财政3亿元 answers 东丽和滨海一共拿了多少钱)."""
    from qa.vocabulary import vocabulary

    markers = set(vocabulary().extraction("total_openers"))
    for f in facts:
        if f.scope != "total" and (f.qualifier or "") not in markers:
            continue
        # 累计提请…法规46件、制定…规章21件: a list item beside another part's figure is that item, not a total
        if any(g is not f and _siblings(f, g) for g in facts):
            continue
        if not parts:
            return f
        sentence = view.layout.sentence_of[f.id].text
        shared = set.intersection(*(set(p.terms) for p in parts))
        own = [[t for t in p.terms if t not in shared] for p in parts]
        if own and all(any(o in sentence for t in terms for o in expansions(t)) for terms in own if terms):
            return f
    return None


def _siblings(a, b) -> bool:
    """Two items of one list: one sentence, unit, kind, year and scope (both written as totals, or neither)."""
    return (a.sentence_start == b.sentence_start and a.unit == b.unit and a.kind == b.kind and a.year == b.year
            and a.scope == b.scope)


def as_quantity(fact) -> Quantity | None:
    """A fact as a quantity, with the kind the extractor read from its context (专项资金1.5亿 is money)."""
    if fact.value is None:
        return parse_quantity(fact.figure_text)
    return Quantity(fact.figure_text, float(fact.value), fact.unit or "", fact.scale_text or "", fact.kind,
                    fact.qualifier or "", 0, len(fact.figure_text))
