"""Extract every quantity of a report into a table of facts (one row per figure).

The extraction is text-driven (see `qa.subjects` for the grammar heuristics): no row and
no rule is keyed to a sentence of a particular report.

>>> from index.corpus import parse_document
>>> doc = parse_document("2021年工作报告。\\n一、执法\\n市税务局办结案件12件，同比增长20%。\\n", doc_id="d")
>>> [(f.id, f.actor, f.subject, f.figure_text, f.kind, f.comparison, f.base_fact_id, f.year)
...  for f in extract_facts(doc)]
[('f001', '市税务局', '办结案件', '12件', 'count', None, None, 2021), ('f002', '市税务局', '办结案件', '20%', 'growth_rate', '同比增长', 'f001', 2021)]

Year of a fact: the nearest calendar year written before the figure in its sentence
(comparison bases such as 较2019年 excluded); else 全年 in the sentence -> the report
year; else the last year written earlier in the paragraph; else the report year, which
is the first year named in the introduction (section 0), or the most frequent year.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field, fields

from index.corpus import Document, Passage
from qa.numbers import Quantity, find_quantities, find_years
from qa.subjects import (
    GENERIC_NOUNS, _tags, clause_actor, clause_spans, clean_left, is_verb_only, noun_after, sentence_spans,
    split_comparison,
)

EXTRACTOR_VERSION = "1.0"
log = logging.getLogger(__name__)
_MONEY_WORDS = re.compile("资金|金额|款|经费|费用|收入|融资|投资|案值|罚没|支持")


@dataclass(frozen=True)
class Fact:
    """One figure of the report with where it is and what it counts."""

    id: str  # "f001", document order
    doc_id: str
    section: int
    section_title: str
    paragraph: int
    sentence: str
    sentence_start: int  # offsets in document.text
    sentence_end: int
    clause: str
    start: int  # document.text[start:end] == figure_text
    end: int
    figure_text: str
    value: float
    unit: str
    scale_text: str
    qualifier: str
    kind: str  # count | money | percent | growth_rate | rank | duration | ratio | other
    subject: str
    actor: str | None
    comparison: str | None  # 同比增长, 较2019年增长, 净增 …
    base_fact_id: str | None  # the figure a comparison modifies
    year: int | None
    period: str = ""  # a span instead of a year: 2016年以来, 近五年, 截至2020年底
    direction: str = ""  # up | down for changes ("" otherwise)
    scope: str = ""  # total | part ("" when neither is written)
    parent_fact_id: str | None = None  # for a part: the total it belongs to
    role: str = ""  # from | to for 从A增长到B


FACT_FIELDS = tuple(f.name for f in fields(Fact))


@dataclass
class _Draft:
    """A fact under construction (mutable while bases and subjects are resolved)."""

    values: dict
    sentence_key: int
    group: tuple[int, int] | None = None  # clause of a 分别 list
    item: str | None = None
    extra: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None


def report_year(document: Document) -> int | None:
    """The year a report is about: first year in the introduction, else the most frequent."""
    intro = [p for p in document.passages if p.section == 0]
    for passage in intro:
        years = [y for y in find_years(passage.text) if not y.is_base]
        if years:
            return years[0].year
    counts = Counter(y.year for y in find_years(document.text) if not y.is_base)
    return counts.most_common(1)[0][0] if counts else None


def extract_facts(document: Document) -> list[Fact]:
    """Every quantity of ``document`` as a `Fact`, ids f001… in document order."""
    default_year = report_year(document)
    drafts: list[_Draft] = []
    for passage in document.passages:
        paragraph = _passage_drafts(passage, default_year, len(drafts))
        _link_bases(paragraph)
        _fill_subjects(paragraph)
        drafts.extend(paragraph)
    width = max(3, len(str(len(drafts))))
    rename = {d.id: f"f{i:0{width}d}" for i, d in enumerate(drafts, 1)}
    facts = []
    for d in drafts:
        values = dict(d.values, id=rename[d.id], base_fact_id=rename.get(d.base_fact_id))
        facts.append(Fact(**values))
    for fact in unattributed(facts):
        log.warning("no subject for %s %s in %s", fact.id, fact.figure_text, fact.sentence)
    return facts


def unattributed(facts: list[Fact]) -> list[Fact]:
    """Facts whose subject could not be found (listed by ``python -m qa facts --stats``)."""
    return [f for f in facts if not f.subject]


def _passage_drafts(passage: Passage, default_year: int | None, offset: int) -> list[_Draft]:
    text, base = passage.text, passage.start
    quantities = find_quantities(text)
    years = [y for y in find_years(text) if not y.is_base]
    drafts: list[_Draft] = []
    actor: str | None = None  # the paragraph's most recent clause-initial actor
    for s_start, s_end in sentence_spans(text):
        carry = [y.year for y in years if y.start < s_start]
        for c_start, c_end in clause_spans(text, s_start, s_end):
            found = clause_actor(text[c_start:c_end])
            subject_from = c_start
            if found:
                actor, subject_from = found[0], c_start + found[2]
            clause_qs = [q for q in quantities if c_start <= q.start < c_end]
            items, shared = _distributed_items(text, subject_from, clause_qs)
            pos, prev_subject = subject_from, ""
            for i, q in enumerate(clause_qs):
                stop = clause_qs[i + 1].start if i + 1 < len(clause_qs) else c_end
                rest, comparison = split_comparison(text[pos:q.start].strip())
                if q.start in items:  # 分别较2019年增长128.4%和35.6%: one comparison for the list
                    comparison = comparison or shared
                left = clean_left(rest, rank=q.kind == "rank")
                noun, used = noun_after(text[q.end:stop]) if q.kind not in ("rank", "percent") else ("", 0)
                item = items.get(q.start) if items else None
                if item is not None:
                    subject = item
                elif not left and not noun:
                    subject = "" if comparison or q.kind == "rank" else prev_subject
                elif not left or is_verb_only(left):
                    subject = noun or left
                else:
                    subject = left + noun
                pos, prev_subject = q.end + used, subject
                kind = q.kind
                if comparison and kind == "percent":
                    kind = "growth_rate"
                elif kind == "count" and not q.unit and _MONEY_WORDS.search(text[subject_from:q.end]):
                    kind = "money"  # 专项资金1.5亿: the scale word says money, the unit is implied
                qualifier = q.qualifier or _leading_total(text[subject_from:q.start])
                year = _year(text, years, carry, s_start, q.start, default_year)
                values = dict(
                    id=f"t{offset + len(drafts)}", doc_id=passage.doc_id, section=passage.section,
                    section_title=passage.section_title, paragraph=passage.paragraph,
                    sentence=text[s_start:s_end], sentence_start=base + s_start, sentence_end=base + s_end,
                    clause=text[c_start:c_end], start=base + q.start, end=base + q.end, figure_text=q.text,
                    value=q.value, unit=q.unit, scale_text=q.scale_text, qualifier=qualifier, kind=kind,
                    subject=subject, actor=actor, comparison=comparison, base_fact_id=None, year=year,
                )
                group = (c_start, c_end) if item is not None else None
                drafts.append(_Draft(values, s_start, group, item))
    return drafts


def _leading_total(left: str) -> str:
    m = re.match(r"(?:全市|我市|全年)?(共计|合计|累计|总计|共)", left)
    return m.group(1) if m else ""


def _year(text, years, carry, s_start, q_start, default_year) -> int | None:
    in_sentence = [y.year for y in years if s_start <= y.start < q_start]
    if in_sentence:
        return in_sentence[-1]
    if "全年" in text[s_start:q_start]:
        return default_year
    return carry[-1] if carry else default_year


def _distributed_items(text: str, subject_from: int, clause_qs: list[Quantity]) -> tuple[dict[int, str], str | None]:
    """查扣批次和数量分别较2019年增长128.4%和35.6% -> ({start of 128.4%: 查扣批次, …: 查扣数量}, 较2019年增长)."""
    idx = text.find("分别", subject_from, clause_qs[-1].start if clause_qs else subject_from)
    if idx < 0:
        return {}, None
    after = [q for q in clause_qs if q.start > idx]
    items = [s for s in re.split(r"和|与|及|、", clean_left(text[subject_from:idx])) if s]
    if len(items) != len(after) or len(items) < 2:
        return {}, None
    shared = split_comparison(text[idx:after[0].start].strip())[1]
    tags = _tags(items[0])
    if len(tags) > 1 and tags[0][1] == "v":  # 查扣 distributes over 批次 and 数量
        verb = tags[0][0]
        items = [items[0]] + [s if _tags(s)[0][1] == "v" else verb + s for s in items[1:]]
    last = _tags(items[-1])
    if len(last) > 1 and not is_verb_only(last[-1][0]):  # 受理和办结数量: 数量 distributes back
        items = [s + last[-1][0] if len(_tags(s)) == 1 and is_verb_only(s) else s for s in items[:-1]] + [items[-1]]
    return {q.start: s for q, s in zip(after, items)}, shared


def _bigrams(s: str) -> set[str]:
    return {s[i:i + 2] for i in range(len(s) - 1)}


def _link_bases(drafts: list[_Draft]) -> None:
    """Point each comparison at the figure it modifies (same sentence, else the paragraph)."""
    taken: dict[tuple, set[str]] = {}
    for k, d in enumerate(drafts):
        if d.comparison is None:
            continue
        earlier = [c for c in drafts[:k] if c.comparison is None and c.kind != "rank"]
        cands = [c for c in earlier if c.sentence_key == d.sentence_key] or earlier[-1:]
        if not cands:
            continue
        if d.item is not None:
            used = taken.setdefault(d.group, set())
            base = _match_item(d.item, cands, used)
            used.add(base.id)
        elif d.kind == "growth_rate":
            base = cands[-1]
        else:  # 净增2.1件 modifies the last figure in the same unit
            base = next((c for c in reversed(cands) if c.unit == d.unit), cands[-1])
        d.values["base_fact_id"] = base.id


def _match_item(item: str, cands: list[_Draft], used: set[str]) -> _Draft:
    """Best candidate for one item of a 分别 list: shared words first, else the next count."""
    free = [c for c in cands if c.id not in used]
    scored = [(len(_bigrams(item) & _bigrams(c.subject)), c) for c in free]
    best = max(scored, key=lambda t: t[0], default=(0, None))
    if best[0] > 0:
        return best[1]
    last = max((i for i, c in enumerate(cands) if c.id in used), default=-1)
    wants_money = bool(_MONEY_WORDS.search(item))
    later = [c for c in cands[last + 1:] if c.id not in used] or free or cands
    return next((c for c in later if (c.kind == "money") == wants_money), later[0])


def _fill_subjects(drafts: list[_Draft]) -> None:
    """Comparisons take their base's subject; bare ranks and generic nouns take the previous one."""
    by_id = {d.id: d for d in drafts}
    for k, d in enumerate(drafts):
        previous = next((c.subject for c in reversed(drafts[:k]) if c.sentence_key == d.sentence_key and c.subject), "")
        if not d.subject and d.base_fact_id in by_id:
            d.values["subject"] = by_id[d.base_fact_id].subject
        elif not d.subject and d.kind == "rank":
            d.values["subject"] = previous
        elif d.subject in GENERIC_NOUNS and previous:
            d.values["subject"] = previous + d.subject
