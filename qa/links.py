"""Links between the figures of a paragraph: each comparison to the figure it compares.

* a comparison points at the last plain figure before it in its sentence (else in the paragraph);
  one that names its own subject (住宅投资增长10.6%) only at a figure of that subject;
* an item of a 分别 list (查扣批次和数量分别较2019年增长128.4%和35.6%) points at the figure whose
  subject shares most words with its item, else the next unused one;
* a list of comparisons without items (4346件7430人，同比分别上涨31.5%、24.3%) points, in order, at as
  many plain figures written before it in the sentence;
* 净增2.1件 points at the last figure in the same unit.

Drafts are `qa.facts` rows under construction: they expose ``id``, ``kind``, ``unit``,
``subject``, ``comparison``, ``sentence_key``, ``group`` (the clause of a list) and ``item``.

>>> from index.corpus import parse_document
>>> from qa.facts import extract_facts
>>> doc = parse_document("报告。\\n一、甲\\n批捕4346件7430人，同比分别上涨31.5%、24.3%。\\n", doc_id="d")
>>> [(f.figure_text, f.base_fact_id) for f in extract_facts(doc)]
[('4346件', None), ('7430人', None), ('31.5%', 'f001'), ('24.3%', 'f002')]
>>> doc = parse_document("报告。\\n一、甲\\n新增经营主体2.68万户，进口货值、入境游客分别增长38.9%、64%。\\n", doc_id="d")
>>> [(f.figure_text, f.base_fact_id) for f in extract_facts(doc)]
[('2.68万户', None), ('38.9%', None), ('64%', None)]
"""

from __future__ import annotations

from qa.lists import bigrams
from qa.subjects import GENERIC_NOUNS
from qa.vocabulary import vocabulary


def link_bases(drafts: list) -> None:
    """Set ``base_fact_id`` of every comparison among ``drafts`` (one paragraph, document order)."""
    taken: dict[tuple, set[str]] = {}
    for k, d in enumerate(drafts):
        if d.comparison is None:
            continue
        earlier = [c for c in drafts[:k] if c.comparison is None and c.kind != "rank"
                   and (d.extra.get("paren") or not c.extra.get("paren"))]  # not 7671件 in 8220件(…7671件)，增长62.6%
        own = d.subject if d.subject not in GENERIC_NOUNS else ""
        measured = _measured(d, [c for c in earlier if c.sentence_key == d.sentence_key]) if own else None
        if measured is not None:  # 受理案件60件214人，案件数量同比上升9%，人数同比上升89.4%
            base, measure = measured
            d.values.update(base_fact_id=base.id, subject=base.subject + measure)
            continue
        if own and d.item is None:  # 住宅投资增长10.6%: a comparison of its own subject compares no figure
            earlier = [c for c in earlier if own in c.subject or c.subject and c.subject in own]
        cands = [c for c in earlier if c.sentence_key == d.sentence_key] or ([] if own else earlier[-1:])
        if not cands:
            continue
        if d.group is not None and d.item is None:  # 同比分别上涨31.5%、24.3%
            members = [c for c in drafts if c.group == d.group and c.item is None]
            order = members.index(d)
            base = cands[-len(members):][order] if len(cands) >= len(members) else cands[-1]
        elif d.item is not None:
            used = taken.setdefault(d.group, set())
            base = _match_item(d.item, cands, used)
            if base is None:  # 免签入境游客…分别增长64%: a thing of its own, not a measure of a figure before
                continue
            used.add(base.id)
        elif d.kind == "growth_rate":
            base = cands[-1]
        else:  # 净增2.1件 modifies the last figure in the same unit
            base = next((c for c in reversed(cands) if c.unit == d.unit), cands[-1])
        d.values["base_fact_id"] = base.id


def _measured(d, cands: list):
    """(base, measure noun) when a comparison's subject is a measure of a figure before it: 案件数量 of
    受理审查起诉知识产权案件60件, 人数 of …214人 (the measure's unit picks the figure, else the first)."""
    v = vocabulary()
    nouns = v.units("count_nouns")
    measure = next((m for m in sorted([*nouns, *v.extraction("measure_nouns")], key=len, reverse=True)
                    if d.subject.endswith(m)), None)
    if measure is None:
        return None
    head = d.subject[:-len(measure)]
    found = [c for c in cands if not head or head in c.subject]
    unit = nouns.get(measure)
    fitting = [c for c in found if unit and c.unit in v.units_for(unit)] or ([] if unit else found[:1])
    return (fitting[0], measure) if fitting else None


MEASURE_ITEM_CHARS = 2  # a list item this short is a measure (批次, 数量, 金额) whatever it is


def _is_measure(item: str) -> bool:
    """Whether a list item is a measure of something named before it (批次, 数量, 涉案金额), which the
    next figure gives, rather than a thing of its own (免签入境游客)."""
    v = vocabulary()
    measures = [*v.units("count_nouns"), *v.extraction("measure_nouns"), *GENERIC_NOUNS, *v.measure_words]
    return len(item) <= MEASURE_ITEM_CHARS or any(item.endswith(m) for m in measures if len(m) > 1)


def _match_item(item: str, cands: list, used: set[str]):
    """Best candidate for one item of a 分别 list: shared words first, else the next count when the item is
    a measure (None when it names a thing of its own)."""
    free = [c for c in cands if c.id not in used]
    scored = [(len(bigrams(item) & bigrams(c.subject)), c) for c in free]
    best = max(scored, key=lambda t: t[0], default=(0, None))
    if best[0] > 0:
        return best[1]
    if not _is_measure(item):
        return None
    last = max((i for i, c in enumerate(cands) if c.id in used), default=-1)
    money_words = vocabulary().extraction("money_context")
    wants_money = any(w in item for w in money_words)
    later = [c for c in cands[last + 1:] if c.id not in used] or free or cands
    return next((c for c in later if (c.kind == "money") == wants_money), later[0])
