"""Extract every quantity of a report into a table of facts (one row per figure).

The extraction is text-driven (see `qa.subjects` for the grammar heuristics): no row and
no rule is keyed to a sentence of a particular report.

>>> from index.corpus import parse_document
>>> doc = parse_document("2021年工作报告。\\n一、执法\\n市税务局办结案件12件，同比增长20%。\\n", doc_id="d")
>>> [(f.id, f.actor, f.subject, f.figure_text, f.kind, f.comparison, f.base_fact_id, f.year)
...  for f in extract_facts(doc)]
[('f001', '市税务局', '办结案件', '12件', 'count', None, None, 2021), ('f002', '市税务局', '办结案件', '20%', 'growth_rate', '同比增长', 'f001', 2021)]

The extraction is spread over small modules, each with worked examples: `qa.numbers` and
`qa.labels` (what is a figure), `qa.subjects` (actor, subject, clause grammar), `qa.lists`
(分别/依次 lists, enumerations), `qa.changes` (comparisons, directions, from -> to),
`qa.periods` (year or period), `qa.links` (comparison bases), `qa.scopes` (totals and parts) and
`qa.tables` (rows of cells under a title).
Every word they read is in qa/vocab/extraction.toml.

>>> doc = parse_document("2021年报告。\\n一、甲\\n示范企业从2015年的300家增长到目前的1200家。\\n", doc_id="d")
>>> [(f.figure_text, f.subject, f.year, f.role, f.direction) for f in extract_facts(doc)]
[('300家', '示范企业', 2015, 'from', 'up'), ('1200家', '示范企业', 2021, 'to', 'up')]
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, fields

from index.corpus import Document, Passage
from qa.changes import change_roles, direction, starts_change, strip_change
from qa.links import link_bases
from qa.lists import distributed_items, enumerated_item
from qa.numbers import Quantity, find_quantities
from qa.periods import heading_year, opening_year, passage_times, plan_heading, report_year, time_of
from qa.scopes import mark_scopes
from qa.tables import table_cells
from qa.subjects import (
    GENERIC_NOUNS, clause_actor, clause_spans, clean_left, is_function_only, is_verb_only, leading_noun, noun_after,
    sentence_spans, split_comparison, strip_lead_time,
)
from qa.vocabulary import alternation, vocabulary

__all__ = ["Fact", "FACT_FIELDS", "EXTRACTOR_VERSION", "SOURCES", "extract_facts", "report_year", "unattributed"]

EXTRACTOR_VERSION = "1.1"
# The modules whose source decides the fact table (qa.engine rebuilds the table when one changes).
SOURCES = ("numbers", "labels", "subjects", "changes", "lists", "periods", "links", "scopes", "tables", "headers", "facts",
           "layout")
log = logging.getLogger(__name__)
_PAREN_OPEN = re.compile(r"[（(][^）)]*$")
_PAREN_CLOSE = re.compile(r"^[^（(]*[）)]")


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


def extract_facts(document: Document) -> list[Fact]:
    """Every quantity of ``document`` as a `Fact`, ids f001… in document order."""
    default_year = report_year(document)
    cells = table_cells(document)
    drafts: list[_Draft] = []
    # `outer`: the year of the last heading line ("2021年工作回顾" dates the paragraphs and numbered sections
    # under it, up to the next such line; “十五五”时期的主要目标任务 ends it); a section's title dates only
    # its own section (一、2025年和“十四五”时期工作回顾).
    # A section whose title gives no year takes the year its first paragraph opens with (一、工作回顾 then
    # 2025年是…收官之年 in a report headed 2026年政府工作报告).
    year = outer = default_year
    section, opening = None, False
    for passage in document.passages:
        if passage.section != section:
            title = passage.section_title
            section, year = passage.section, heading_year(title) or (default_year if plan_heading(title) else outer)
            opening = not heading_year(title) and not plan_heading(title)
        if heading_year(passage.text) or plan_heading(passage.text):
            year = outer = heading_year(passage.text) or default_year
        elif opening and passage.text != title:
            year, opening = opening_year(passage.text) or year, False
        paragraph = _passage_drafts(passage, year, len(drafts))
        for d in paragraph:
            if d.start in cells:  # a table's cell: its row and column, the title's date
                cell = cells[d.start]
                d.values.update(subject=cell.subject, year=cell.year, period=cell.period,
                                kind=cell.kind or ("count" if d.kind == "other" else d.kind))
        link_bases(paragraph)
        _fill_subjects(paragraph)
        drafts.extend(paragraph)
    mark_scopes(drafts, document.text)
    at = {d.start: d for d in drafts}
    for d in drafts:
        if d.start in cells and cells[d.start].scope:
            parent = at.get(cells[d.start].parent)
            d.values.update(scope=cells[d.start].scope, parent_fact_id=parent.id if parent else None)
    width = max(3, len(str(len(drafts))))
    rename = {d.id: f"f{i:0{width}d}" for i, d in enumerate(drafts, 1)}
    facts = []
    for d in drafts:
        values = dict(d.values, id=rename[d.id], base_fact_id=rename.get(d.base_fact_id),
                      parent_fact_id=rename.get(d.parent_fact_id))
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
    times = passage_times(text, default_year)
    drafts: list[_Draft] = []
    actor: str | None = None  # the paragraph's most recent clause-initial actor
    for s_start, s_end in sentence_spans(text):
        before = ""  # the words of a figure-less clause before: 其次是商标，达到7.8万件
        for c_start, c_end in clause_spans(text, s_start, s_end):
            found = clause_actor(text[c_start:c_end])
            subject_from = c_start
            if found:
                actor, subject_from = found[0], c_start + found[2]
            clause_qs = [q for q in quantities if c_start <= q.start < c_end]
            if not clause_qs:
                before = text[subject_from:c_end]
                continue
            listed = distributed_items(text, subject_from, clause_qs, clean_left(strip_change(before)))
            roles = change_roles(text, c_start, c_end, clause_qs)
            context = _Context(enumerated_item(before), leading_noun(clean_left(strip_change(before))), drafts, s_start,
                               subject_from, c_start if found else -1)
            pos, prev_subject, before = subject_from, "", ""
            for i, q in enumerate(clause_qs):
                stop = clause_qs[i + 1].start if i + 1 < len(clause_qs) else c_end
                item = listed.items.get(q.start) if listed else None
                subject, comparison, used = _subject(text, pos, q, stop, item, prev_subject, context)
                if listed and q.start in listed.items:  # 分别较2019年增长128.4%和35.6%: one comparison for the list
                    comparison = comparison or listed.comparison
                pos, prev_subject = q.end + used, subject
                role, way, phrase = roles.get(q.start, ("", "", None))
                total = _leading_total(strip_lead_time(text[subject_from:q.start]))
                stock = any(w in subject for w in vocabulary().extraction("stock_words"))
                year, period = time_of(times, text, s_start, q.start, default_year, stock=stock, phrase=phrase)
                values = dict(
                    id=f"t{offset + len(drafts)}", doc_id=passage.doc_id, section=passage.section,
                    section_title=passage.section_title, paragraph=passage.paragraph,
                    sentence=text[s_start:s_end], sentence_start=base + s_start, sentence_end=base + s_end,
                    clause=text[c_start:c_end], start=base + q.start, end=base + q.end, figure_text=q.text,
                    value=q.value, unit=q.unit, scale_text=q.scale_text, kind=_kind(q, comparison, text[subject_from:q.end]),
                    qualifier=q.qualifier or total, subject=subject, actor=actor,
                    comparison=comparison, base_fact_id=None, year=year, period=period,
                    direction=direction(comparison) or way, role=role, scope="", parent_fact_id=None,
                )
                group = (c_start, c_end) if listed and q.start in listed.items else None
                paren = bool(_PAREN_OPEN.search(text, c_start, q.start))
                drafts.append(_Draft(values, s_start, group, item, {"clause_start": base + c_start, "total": total,
                                                                    "paren": paren}))
    return drafts


@dataclass(frozen=True)
class _Context:
    """What a clause's figures may take their subject from when they write none."""

    enumerated: str  # 其次是商标 in the clause before
    before: str  # the words of the figure-less clause before (…的占比，分别由…)
    drafts: list
    s_start: int
    clause_start: int  # where the clause's subject may start (after its actor)
    actor_start: int = -1  # where the clause starts when an actor opens it

    def counted_actor(self, text: str, pos: int, q: Quantity) -> str:
        """共有医疗卫生机构103.1万个: a figure written right after the clause's actor counts the actor."""
        if pos != self.clause_start or not 0 <= self.actor_start < self.clause_start:
            return ""
        return clean_left(strip_change(text[self.actor_start:q.start]))

    def previous(self) -> str:
        """The last subject given in this sentence."""
        return next((d.subject for d in reversed(self.drafts) if d.sentence_key == self.s_start and d.subject), "")


def _subject(text: str, pos: int, q: Quantity, stop: int, item: str | None, prev_subject: str,
             context: _Context) -> tuple[str, str | None, int]:
    """(subject, comparison, characters used after the figure) of the figure ``q``."""
    written = text[pos:q.start]
    if _PAREN_CLOSE.search(written):  # 受理案件（含上年结转200件）1200件: the words before the parentheses
        written = text[context.clause_start:q.start]
    elif _PAREN_OPEN.search(written):  # （含上年结转200件）: the words inside
        written = written[_PAREN_OPEN.search(written).start() + 1:]
    rest, comparison = split_comparison(written.strip())
    left = clean_left(rest, rank=True) if q.kind == "rank" else clean_left(strip_change(rest))
    after = text[q.end:stop]
    noun, used = noun_after(after) if q.kind not in ("rank", "percent") and not starts_change(after) else ("", 0)
    if _relative().fullmatch(after.strip()):  # 超过1000件的有…: 的有 opens the next figure's relative clause
        noun, used = "", 0
    if item is not None:
        return item, comparison, used
    relative = _relative().search(text, context.clause_start, q.start)
    if relative and noun and q.kind not in ("rank", "percent"):  # 超过1000件的有6个省: the 省 the clause describes
        described = clean_left(text[context.clause_start:relative.start()])
        return (described + "的" + noun if described else noun), comparison, used
    if left in vocabulary().extraction("back_references"):  # 而2019年这一数字增至1.1万余人
        left = next((d.subject for d in reversed(context.drafts) if d.subject and not d.comparison), left)
    if _share().match(left):  # 占全部投资的比重为61.0%: a share of what the sentence is about
        return (context.enumerated or prev_subject or context.previous()) + left.rstrip("的"), comparison, used
    if left and is_function_only(left):  # 一直保持在8%以上: an adverb names nothing
        left = ""
    if not left and not noun:
        if comparison or q.kind == "rank":
            return "", comparison, used
        return (context.counted_actor(text, pos, q) or prev_subject or context.enumerated or context.before,
                comparison, used)
    if not left or is_verb_only(left):
        return noun or context.enumerated or left, comparison, used
    return left + noun, comparison, used


def _relative() -> re.Pattern:
    return re.compile(rf"的(?:{alternation(vocabulary().extraction('relative_counts'))})$")


def _share() -> re.Pattern:
    return re.compile(alternation(vocabulary().extraction("share_markers")))


def _kind(q: Quantity, comparison: str | None, clause_left: str) -> str:
    """percent or 倍 with a comparison -> growth_rate; 专项资金1.5亿 -> money; a figure of no unit -> other (an index)."""
    if comparison and q.kind in ("percent", "ratio"):
        return "growth_rate"
    money = vocabulary().extraction("money_context")
    if q.kind == "count" and not q.unit and any(w in clause_left for w in money):
        return "money"  # 专项资金1.5亿: the scale word says money, the unit is implied
    return "other" if q.kind == "count" and not q.unit and not q.scale_text else q.kind


def _leading_total(left: str) -> str:
    """全市共计…100件 -> 共计: a totaliser opening the clause, recorded as the figure's qualifier."""
    totals = vocabulary().extraction("total_openers")
    scope = [w for w in vocabulary().extraction("lead_words") if w not in totals]
    m = re.match(rf"(?:{alternation(scope)})*({alternation(totals)})", left)
    return m.group(1) if m else ""


def _fill_subjects(drafts: list[_Draft]) -> None:
    """Comparisons take their base's subject; bare ranks and generic nouns take the previous one."""
    by_id = {d.id: d for d in drafts}
    for k, d in enumerate(drafts):
        previous = next((c.subject for c in reversed(drafts[:k]) if c.sentence_key == d.sentence_key and c.subject), "")
        if not d.subject and d.base_fact_id in by_id:
            d.values["subject"] = by_id[d.base_fact_id].subject
        elif not d.subject:  # 达到24479件, 比上年同月加快0.5个百分点: still what the sentence is about
            d.values["subject"] = previous
        elif d.subject in GENERIC_NOUNS and previous:
            d.values["subject"] = previous + d.subject
