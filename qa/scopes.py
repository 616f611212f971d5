"""Totals and parts: which figure is a sum and which figures are parts of it.

* a **total** is a figure written as a sum: after a totaliser (共, 累计, 合计 … : the fact's
  qualifier), under a total noun (质押融资总额, 标准总数), after a total word or a reference to a
  listed set (以上三类合计占88%), or a figure that has parts;
* a **part** is a figure written after a part marker (其中, 包括; 含 only inside parentheses, where
  含金量 cannot be meant) in its sentence (up to 。, across ；), or after a clause that names a set
  by its figure (提起公诉的118人中，…); its parent is the last count or amount before the marker in
  the same unit class, looked for in the sentence, then earlier in the paragraph, then (when the
  marker opens its paragraph) in the previous paragraph of the section; without one it is no part;
* a figure in parentheses with a part marker (（含上年结转200件）) is a part of the figure the
  parentheses are written with: the one right before them, else the first one after them; without
  a marker, a smaller figure in parentheses right after a figure (8220件(专利侵权纠纷7671件)) is one too;
* parts add up to no more than their total: when the candidates written after one marker sum to
  more (其中办理民事案件8件，…审结审查逮捕案件46件，批准逮捕29件，受理审查起诉60件 of 114件), the
  first of them, in order, that sum to the total are the parts, else as many as fit under it.

Only counts and amounts are totals or parts; a share is a total only of a listed set (以上三类).

>>> from index.corpus import parse_document
>>> from qa.facts import extract_facts
>>> doc = parse_document("报告。\\n一、甲\\n全年受理案件500件，其中专利案件200件，商标案件300件。\\n", doc_id="d")
>>> [(f.figure_text, f.scope, f.parent_fact_id) for f in extract_facts(doc)]
[('500件', 'total', None), ('200件', 'part', 'f001'), ('300件', 'part', 'f001')]
"""

from __future__ import annotations

import re
from functools import lru_cache

from qa.vocabulary import alternation, vocabulary

_PAREN = re.compile(r"（[^（）\n]{0,40}）|\([^()\n]{0,40}\)")
_SENTENCE_END = re.compile(r"[。！？!?\n]")


@lru_cache(maxsize=1)
def _markers() -> dict[str, re.Pattern]:
    v = vocabulary().extraction
    parts = v("part_markers")
    return {
        "part": re.compile(alternation([w for w in parts if len(w) > 1])),
        "part_in_paren": re.compile(rf"^[（(](?:{alternation(parts)})"),
        "total": re.compile(rf"{alternation(v('total_words'))}|(?:{alternation(v('set_references'))})[一二三四五六七八九十\d]"),
        "set": re.compile(rf"的[^，,。；;]*?(?:{alternation(v('set_endings'))})[，,]"),
    }


def _unit_class(d) -> str:
    """Figures that may add up: the same unit (件 with 件), units written for the same thing (人, 名), or money."""
    if d.kind in ("percent", "growth_rate", "rank", "ratio"):
        return d.kind
    v = vocabulary()
    if v.unit_class(d.unit) == "money" or d.kind == "money":
        return "money"
    return next(("|".join(g) for g in v.units("equivalent_units") if d.unit in g), d.unit or d.kind)


def _plain(d) -> bool:
    """Counts and amounts: shares, rates, ranks and durations are neither totals nor parts."""
    return d.comparison is None and d.kind in ("count", "money", "other")


def mark_scopes(drafts: list, text: str) -> None:
    """Set ``scope`` and ``parent_fact_id`` of ``drafts`` (every draft of a document, in order)."""
    v = vocabulary().extraction
    for k, d in enumerate(drafts):
        written = _is_total(d, drafts[:k], text)
        opener = d.qualifier in v("total_openers") or d.extra["total"]
        if _plain(d) and (written or opener or d.subject.endswith(tuple(v("total_nouns")))):
            d.values["scope"] = "total"
        elif d.kind == "percent" and d.comparison is None and written:
            d.values["scope"] = "total"  # 以上三类合计占88%
    groups: dict[str, list] = {}
    for k, d in enumerate(drafts):
        parent = _part_of(drafts, k, text) if _plain(d) else None
        if parent is not None:
            groups.setdefault(parent.id, [parent]).append(d)
    for parent, *parts in groups.values():
        for d in _adding_up(parent, parts):
            d.values["scope"], d.values["parent_fact_id"] = "part", parent.id
            if parent.scope != "part":
                parent.values["scope"] = "total"


def _part_of(drafts: list, k: int, text: str):
    """The figure ``drafts[k]`` is written as a part of, or None."""
    d = drafts[k]
    paren = next((m for m in _PAREN.finditer(text, d.sentence_start, d.sentence_end)
                  if m.start() < d.start and d.end <= m.end()), None)
    if paren is not None and _markers()["part_in_paren"].match(paren.group()):
        return _annotated(drafts, k, paren)
    if paren is not None:  # 办理专利纠纷案件8220件(专利侵权纠纷7671件): a breakdown of the figure just before
        before = next((c for c in drafts[:k] if c.end == paren.start()), None)
        if before is not None and _plain(before) and _unit_class(before) == _unit_class(d) and d.value <= before.value:
            return before
    start = max((m.end() for m in _SENTENCE_END.finditer(text, 0, d.start)), default=0)
    parens = [p.span() for p in _PAREN.finditer(text, start, d.start)]
    marker = None
    for m in _markers()["part"].finditer(text, start, d.start):
        if not any(a <= m.start() < b for a, b in parens):
            marker = m.start()
    for m in _markers()["set"].finditer(text, start, d.start):  # 提起公诉的118人中，…
        named = [c for c in drafts[:k] if m.start() < c.start < m.end()]
        if named and _unit_class(named[-1]) == _unit_class(d) and (marker is None or m.end() > marker):
            return named[-1]
    return _parent(drafts, k, marker, start) if marker is not None else None


def _parent(drafts: list, k: int, marker: int, sentence: int):
    """The figure a part belongs to: the last plain one before the marker, same sentence, paragraph, section."""
    d = drafts[k]
    before = [c for c in drafts[:k] if c.start < marker and _plain(c) and _unit_class(c) == _unit_class(d)
              and c.scope != "part" and c.section == d.section]
    for same in (lambda c: c.start >= sentence, lambda c: c.paragraph == d.paragraph):
        found = [c for c in before if same(c)]
        if found:
            return found[-1]
    opens = not any(c.paragraph == d.paragraph and c.start < marker for c in drafts[:k])
    return before[-1] if before and opens and before[-1].paragraph == d.paragraph - 1 else None


def _annotated(drafts: list, k: int, paren: re.Match):
    """The figure a parenthesis is written with: right before it, else the first after it."""
    d = drafts[k]
    for c in drafts[:k]:
        if c.end == paren.start() and c.sentence_start == d.sentence_start:
            return c
    return next((c for c in drafts[k + 1:] if c.start >= paren.end() and c.sentence_start == d.sentence_start
                 and _unit_class(c) == _unit_class(d)), None)


def _adding_up(parent, parts: list) -> list:
    """The parts that fit their total: all when they sum to no more, else the first that sum to it exactly,
    else as many, in order, as stay under it."""
    if sum(p.value for p in parts) <= parent.value * 1.005:
        return parts

    def exact(i: int, left: float, chosen: list):
        if abs(left) <= parent.value * 0.005:
            return chosen
        for j in range(i, len(parts)):
            if parts[j].value <= left + parent.value * 0.005:
                found = exact(j + 1, left - parts[j].value, chosen + [parts[j]])
                if found is not None:
                    return found
        return None

    found = exact(0, parent.value, []) if len(parts) <= 16 else None
    if found:
        return found
    kept, total = [], 0.0
    for p in parts:
        if total + p.value > parent.value * 1.005:
            break
        kept.append(p)
        total += p.value
    return kept


def _is_total(d, earlier: list, text: str) -> bool:
    """A total word or set reference between the previous figure of the clause (or its start) and this figure."""
    clause_start = d.extra["clause_start"]
    begin = max([c.end for c in earlier if clause_start <= c.end <= d.start], default=clause_start)
    return _markers()["total"].search(text, begin, d.start) is not None
