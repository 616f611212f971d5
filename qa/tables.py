"""Tables written as text: rows of cells split by ``|`` (or tabs), under a title line.

A statistical notice often is one table: ``长沙市 | 32981 | 13463 | …`` under
``2020年11月湖南省有效发明专利统计表``. A cell's figure is about its row (the first cell) and its
column, as the header names it (`qa.headers`, which reads a header flattened from two levels back
into one heading per column). What the whole table counts is the title without its date, place and
统计表 (有效发明专利); a column headed by a category of it (大专院校, 个人 under 非职务, 职务总计) counts
that category of it (大专院校有效发明专利, 职务有效发明专利总计), a column headed by a date counts it
at that date, a column with a unit of its own (常住人口 (万人)) counts something else, and a rank
column (排名) ranks by the measure of the column before it (专利密度排名). The title's date dates
every cell (2020年11月: year 2020, that month as the period) but those of a column measured in a
unit of its own that is not a rate (常住人口 (万人): the year only); a cell without unit counts.

>>> from index.corpus import parse_document
>>> doc = parse_document("2020年11月湖南省有效发明专利统计表\\n地区 | 总数 | 职务\\n长沙市 | 32981 | 13463\\n", doc_id="d")
>>> cells = table_cells(doc)
>>> [(doc.text[s:s + 5], c.subject, c.year, c.period) for s, c in sorted(cells.items())]
[('32981', '长沙市总数', 2020, '2020年11月'), ('13463', '长沙市职务', 2020, '2020年11月')]
>>> doc = parse_document("2020年11月湖南省有效发明专利统计表\\n地区 | 2020年 | 职务 | 非职务 | 人口 | 密度 | 排名 | 11月 | "
...                      "院校 | 职务总计 | 个人 | (万人) | (件/万人)\\n长沙市 | 32981 | 13 | 31784 | 1197 | 839.45 | 39.29 | 1\\n",
...                      doc_id="d")
>>> [(c.subject, c.kind, c.period) for s, c in sorted(table_cells(doc).items())]  # doctest: +NORMALIZE_WHITESPACE
[('长沙市有效发明专利', '', '2020年11月'), ('长沙市院校有效发明专利', '', '2020年11月'),
 ('长沙市职务有效发明专利总计', '', '2020年11月'), ('长沙市个人有效发明专利', '', '2020年11月'),
 ('长沙市人口', '', ''), ('长沙市密度', '', '2020年11月'), ('长沙市密度排名', 'rank', '2020年11月')]
"""

from __future__ import annotations

import re
from itertools import takewhile
from typing import NamedTuple

from index.corpus import Document
from qa.headers import Column, columns
from qa.labels import find_years
from qa.numbers import find_quantities
from qa.vocabulary import alternation, vocabulary

_SPLIT = re.compile(r"\s*[|｜\t]\s*")
_DATE = re.compile(r"((?:19|20)\d\d)年(?:(\d{1,2})月)?")


class Cell(NamedTuple):
    subject: str
    year: int | None
    period: str
    scope: str = ""
    parent: int | None = None  # offset of the cell this one is a part of
    kind: str = ""  # rank for a rank column, else the figure's own


def _cells(text: str) -> list[str]:
    return [c for c in _SPLIT.split(text.strip())] if len(_SPLIT.findall(text)) >= 2 else []


def _measure(title: str) -> str:
    """2020年11月湖南省有效发明专利统计表 -> 有效发明专利."""
    v = vocabulary()
    text = _DATE.sub("", title).strip()
    text = re.sub(rf"^(?:{alternation(v.places)})?[\u4e00-\u9fff]{{0,4}}?(?:{alternation(v.place_suffixes)})", "", text)
    return re.sub(rf"(?:{alternation(v.extraction('table_titles'))})$", "", text)


def table_cells(document: Document) -> dict[int, Cell]:
    """Subject, year, period and scope of every figure in a table row, by its start offset in the document."""
    out: dict[int, Cell] = {}
    passages = document.passages
    header: list[str] = []
    heads: list[Column] = []
    title = ""
    rows: list[tuple[str, list]] = []  # this table's (label, [(offset, value) per column])
    for k, passage in enumerate(passages):
        cells = _cells(passage.text)
        if not cells:
            _scopes(rows, out)
            header, heads, title, rows = [], [], passage.text, []
            continue
        if not any(q for c in cells[1:] for q in find_quantities(c)) and not header:
            header = [re.sub(r"\s+", "", c) for c in cells]
            width = max((len(_cells(p.text)) for p in takewhile(lambda p: _cells(p.text), passages[k + 1:])),
                        default=len(header))
            heads = columns(header, width) or []  # rows as wide as the widest; a shorter row lacks its last cells
            continue
        label = re.sub(r"\s+", "", cells[0])
        found = []
        spans = _cell_spans(passage.text)
        for q in find_quantities(passage.text):  # read in the row, as the prose reader reads it (2070 is no year)
            i = max(i for i, start in enumerate(spans) if start <= q.start)
            if i:
                found.append((passage.start + q.start, q.value))
                head = heads[i] if i < len(heads) else None
                out[found[-1][0]] = _cell(label, head, heads[i - 1] if head and i > 1 else None, title)
        rows.append((label, found))
    _scopes(rows, out)
    return out


def _cell_spans(text: str) -> list[int]:
    """The offset of each cell of a row."""
    return [0, *(m.end() for m in _SPLIT.finditer(text))]


def _cell(label: str, head: Column | None, before: Column | None, title: str) -> Cell:
    """The cell of row ``label`` under ``head`` (``before`` is the column left of it) in the table ``title``."""
    v = vocabulary()
    measure = _measure(title)
    date = _DATE.search(head.date if head and head.date else title)
    years = [y.year for y in find_years(title) if not y.is_base]
    year = int(date.group(1)) if date else (years[0] if years else None)
    period = date.group() if date and date.group(2) else ""
    if head is None or not head.name:  # no heading, or a date: what the table counts, at that date
        return Cell(label + measure, year, period)
    if head.name in v.extraction("rank_nouns"):  # 排名 after 专利密度 (件/万人): ranks by that measure
        ranked = before.name if before and before.unit and before.name else measure
        return Cell(label + ranked + head.name, year, period, kind="rank")
    if head.unit:  # a measure of its own: 常住人口 (万人) is no 有效发明专利, nor dated by the title's month
        return Cell(label + head.name, year, period if "/" in head.unit else "")
    if head.group:  # a category of what the table counts: 大专院校, 职务总计 -> 职务有效发明专利总计
        total = re.search(f"(?:{alternation([*v.extraction('total_nouns'), *v.extraction('total_words')])})$", head.name)
        if total and head.name != total.group():
            return Cell(label + head.name[:total.start()] + measure + total.group(), year, period)
        return Cell(label + head.name + measure, year, period)
    return Cell(label + head.name, year, period)


def _scopes(rows: list[tuple[str, list]], out: dict[int, Cell]) -> None:
    """Totals and parts a table's arithmetic shows (tolerance 0.5%, for rounding).

    * in a row, a cell equal to the sum of the cells right before it (two or more of them not zero)
      is their total: 职务总计 = 大专院校 + 科研单位 + 工矿企业 + 机关团体;
    * a row labelled as the whole (全省, 合计 … : qa/vocab/extraction.toml ``total_labels``) whose
      cell is the sum of its column above is that column's total, the others its parts.
    """
    def close(a: float, b: float) -> bool:
        return abs(a - b) <= max(abs(b), 1) * 0.005

    def mark(offset: int, scope: str, parent: int | None = None) -> None:
        out[offset] = out[offset]._replace(scope=scope, parent=parent)

    for _, cells in rows:
        for j, (offset, value) in enumerate(cells):
            for i in range(j - 2, -1, -1):
                run = cells[i:j]
                if sum(1 for _, x in run if x) >= 2 and close(sum(x for _, x in run), value) and value:
                    mark(offset, "total")
                    for o, _ in run:
                        mark(o, "part", offset)
                    break
    whole = [r for r in rows if r[0] in vocabulary().extraction("total_labels")]
    if len(whole) != 1:
        return
    total, body = whole[0][1], [r[1] for r in rows if r is not whole[0]]
    for c, (offset, value) in enumerate(total):
        column = [row[c] for row in body if c < len(row)]
        if len(column) >= 2 and close(sum(x for _, x in column), value):
            if not out[offset].scope:
                mark(offset, "total")
            for o, _ in column:
                if not out[o].scope:
                    mark(o, "part", offset)
