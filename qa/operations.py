"""Arithmetic on cited figures: compare, difference, sum, and yes/no against a threshold.

Only two figures with the same unit, kind and year are combined; anything else is refused with
the reason. Results keep the operands' scale as written (24.6万件 + 28.9万件 = 53.5万件).

>>> from qa.numbers import parse_quantity
>>> a, b = parse_quantity("9079件"), parse_quantity("8820件")
>>> combine("difference", a, b).formula
'9079件 − 8820件 = 259件'
>>> combine("sum", parse_quantity("24.6万件"), parse_quantity("28.9万件")).text
'53.5万件'
>>> combine("difference", parse_quantity("23.25%"), parse_quantity("11.69%")).text
'11.56个百分点'
>>> combine("sum", parse_quantity("9079件"), parse_quantity("31.4%")).reason
'两个数字的类型不同（9079件、31.4%），不能相加减。'
>>> verdict(parse_quantity("564名"), ">", 500.0, "名")
'是'
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from qa.numbers import Quantity
from qa.vocabulary import vocabulary

SYMBOL = {"difference": "−", "sum": "+"}
POINTS = "个百分点"  # the unit of a difference of two percentages


@dataclass(frozen=True)
class Combined:
    """The result of combining two figures, or why they cannot be combined."""

    text: str = ""
    formula: str = ""
    value: float = 0.0
    reason: str = ""  # non-empty when refused


def _decimal(value: float) -> Decimal:
    return Decimal(repr(value))


def _format(value: Decimal, scale: str, scale_factor: Decimal, unit: str) -> str:
    shown = value / scale_factor
    text = format(shown.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}{scale}{unit}"


def comparable(a: Quantity, b: Quantity) -> str:
    """"" when two figures may be compared or combined, else the reason (in Chinese).

    Units must be the same, or of one class whose units mean the same (名 and 人 both count people;
    1.5亿 and 3亿元 are both yuan); 件 and 项 count different things and are not combined.
    """
    if a.kind != b.kind and {a.kind, b.kind} - {"count", "money"}:
        return f"两个数字的类型不同（{a.text}、{b.text}），不能相加减。"
    equivalent = any({a.unit or "", b.unit or ""} <= set(group) for group in vocabulary().units("equivalent_units"))
    if (a.unit or "") != (b.unit or "") and not equivalent:
        return f"两个数字的单位不同（{a.unit or '无单位'}、{b.unit or '无单位'}），不能相加减。"
    return ""


def combine(operation: str, a: Quantity, b: Quantity) -> Combined:
    """a − b (the larger first when both are counts) or a + b, formatted like the operands."""
    why = comparable(a, b)
    if why:
        return Combined(reason=why)
    x, y = _decimal(a.value), _decimal(b.value)
    if operation == "difference" and y > x:
        a, b, x, y = b, a, y, x
    result = x - y if operation == "difference" else x + y
    scale = a.scale_text if a.scale_text == b.scale_text else ""
    factor = Decimal(repr(vocabulary().units("scales")[scale])) if scale else Decimal(1)
    unit = a.unit or b.unit
    if operation == "difference" and unit == "%":
        unit = POINTS  # 23.25% − 11.69% is a change of 11.56个百分点, not 11.56%
    text = _format(result, scale, factor, unit)
    formula = f"{a.text} {SYMBOL[operation]} {b.text} = {text}"
    return Combined(text, formula, float(result))


def total(quantities: list[Quantity]) -> Combined:
    """The sum of two or more figures of one unit, as `combine` writes a sum.

    >>> from qa.numbers import parse_quantity
    >>> total([parse_quantity(t) for t in ("20名", "86名", "43名")]).formula
    '20名 + 86名 + 43名 = 149名'
    """
    if len(quantities) == 2:
        return combine("sum", *quantities)
    for q in quantities[1:]:
        why = comparable(quantities[0], q)
        if why:
            return Combined(reason=why)
    result = sum((_decimal(q.value) for q in quantities), Decimal(0))
    scales = {q.scale_text for q in quantities}
    scale = scales.pop() if len(scales) == 1 else ""
    factor = Decimal(repr(vocabulary().units("scales")[scale])) if scale else Decimal(1)
    text = _format(result, scale, factor, next((q.unit for q in quantities if q.unit), ""))
    formula = f"{' + '.join(q.text for q in quantities)} = {text}"
    return Combined(text, formula, float(result))


def larger(a: Quantity, b: Quantity) -> Quantity | None:
    """The larger of two comparable figures (None when they are equal or not comparable)."""
    if comparable(a, b) or a.value == b.value:
        return None
    return a if a.value > b.value else b


def verdict(q: Quantity, op: str, value: float, unit: str) -> str:
    """是/否 for "is the figure above/below/equal to value" (a rank is better when smaller)."""
    if q.kind == "rank":
        holds = q.value <= value if op in (">", "=") else q.value > value
    elif op == ">":
        holds = q.value > value or (q.value == value and q.qualifier in vocabulary().units("approx_suffixes"))
    elif op == "<":
        holds = q.value < value
    else:
        holds = abs(q.value - value) < 1e-9
    return "是" if holds else "否"
