"""Totals and parts: which figure is a sum and which figures are parts of it.

* a figure written after a part marker (其中, 包括; 含 only inside parentheses, where 含金量 cannot
  be meant) in its sentence is a part; its parent is the last plain figure before the marker in
  the same unit class, looked for in the sentence, then earlier in the paragraph, then (when the
  marker has nothing before it in its paragraph) in the previous paragraph of the same section;
  the parent becomes a total;
* a figure in parentheses with a part marker (（含上年结转200件）) is a part of the figure the
  parentheses are written with: the one right before them, else the first one after them;
* a figure after a total word (合计, 共计, 总计) or a reference to the listed set (以上三类, 上述两项)
  in its own stretch of the clause is a total (以上三类合计占88%, 罚没款合计…; 规模以上 is no marker).

Only counts and amounts are totals or parts: a comparison is about its base, and shares, rates
and ranks add up to nothing; the one exception is a share of a listed set (以上三类合计占88%).

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


@lru_cache(maxsize=1)
def _markers() -> dict[str, re.Pattern]:
    v = vocabulary().extraction
    parts = v("part_markers")
    return {
        "part": re.compile(alternation([w for w in parts if len(w) > 1])),
        "part_in_paren": re.compile(rf"^[（(](?:{alternation(parts)})"),
        "total": re.compile(rf"{alternation(v('total_words'))}|(?:{alternation(v('set_references'))})[一二三四五六七八九十\d]"),
    }


def _unit_class(d) -> str:
    if d.kind in ("percent", "growth_rate", "rank", "ratio"):
        return d.kind
    return vocabulary().unit_class(d.unit) if d.unit else d.kind


def _plain(d) -> bool:
    """Counts and amounts: shares, rates, ranks and durations are neither totals nor parts."""
    return d.comparison is None and d.kind in ("count", "money", "other")


def mark_scopes(drafts: list, text: str) -> None:
    """Set ``scope`` and ``parent_fact_id`` of ``drafts`` (every draft of a document, in order)."""
    for k, d in enumerate(drafts):
        if not _plain(d):
            if d.kind == "percent" and d.comparison is None and _is_total(d, drafts[:k], text):
                d.values["scope"] = "total"  # 以上三类合计占88%
            continue
        sentence = text[d.sentence_start:d.start]
        paren = next((m for m in _PAREN.finditer(text, d.sentence_start, d.sentence_end)
                      if m.start() < d.start and d.end <= m.end()), None)
        if paren is not None and _markers()["part_in_paren"].match(paren.group()):
            _set_part(d, _annotated(drafts, k, paren))
            continue
        marker = None
        for m in _markers()["part"].finditer(sentence):
            if not any(p.start() <= d.sentence_start + m.start() < p.end() for p in _PAREN.finditer(text, d.sentence_start, d.start)):
                marker = d.sentence_start + m.start()
        if marker is not None:
            _set_part(d, _parent(drafts, k, marker))
        elif _is_total(d, drafts[:k], text):
            d.values["scope"] = "total"


def _set_part(d, parent) -> None:
    d.values["scope"] = "part"
    if parent is not None:
        d.values["parent_fact_id"] = parent.id
        if parent.scope != "part":
            parent.values["scope"] = "total"


def _parent(drafts: list, k: int, marker: int):
    """The figure a part belongs to: the last plain one before the marker, same sentence, paragraph, section."""
    d = drafts[k]
    before = [c for c in drafts[:k] if c.start < marker and _plain(c) and _unit_class(c) == _unit_class(d)
              and c.scope != "part" and c.section == d.section]
    for same in (lambda c: c.sentence_start == d.sentence_start, lambda c: c.paragraph == d.paragraph):
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


def _is_total(d, earlier: list, text: str) -> bool:
    """A total word or set reference between the previous figure of the clause (or its start) and this figure."""
    clause_start = d.extra["clause_start"]
    begin = max([c.end for c in earlier if clause_start <= c.end <= d.start], default=clause_start)
    return _markers()["total"].search(text, begin, d.start) is not None
