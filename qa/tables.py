"""Tables written as text: rows of cells split by ``|`` (or tabs), under a title line.

A statistical notice often is one table: ``长沙市 | 32981 | 13463 | …`` under
``2020年11月湖南省有效发明专利统计表``. A cell's figure is about its row (the first cell) and its
column: the header cell above it when the header has one cell per column, else what the whole
table counts (the title without its date, place and 统计表: 有效发明专利). The title's date dates
every cell (2020年11月: year 2020, that month as the period), and a cell without unit counts.

>>> from index.corpus import parse_document
>>> doc = parse_document("2020年11月湖南省有效发明专利统计表\\n地区 | 总数 | 职务\\n长沙市 | 32981 | 13463\\n", doc_id="d")
>>> cells = table_cells(doc)
>>> [(doc.text[s:s + 5], c.subject, c.year, c.period) for s, c in sorted(cells.items())]
[('32981', '长沙市总数', 2020, '2020年11月'), ('13463', '长沙市职务', 2020, '2020年11月')]
"""

from __future__ import annotations

import re
from typing import NamedTuple

from index.corpus import Document
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
    title = ""
    rows: list[tuple[str, list]] = []  # this table's (label, [(offset, value) per column])
    for k, passage in enumerate(passages):
        cells = _cells(passage.text)
        if not cells:
            _scopes(rows, out)
            header, title, rows = [], passage.text, []
            continue
        if not any(q for c in cells[1:] for q in find_quantities(c)) and not header:
            header = [re.sub(r"\s+", "", c) for c in cells]
            continue
        label = re.sub(r"\s+", "", cells[0])
        values = [q for q in find_quantities(passage.text) if q.start >= len(passage.text.split(cells[0], 1)[0]) + len(cells[0])]
        columns = header[1:] if len(header) == len(cells) else []
        date = _DATE.search(title)
        years = [y.year for y in find_years(title) if not y.is_base]
        period = date.group() if date and date.group(2) else ""
        for i, q in enumerate(values):
            column = columns[i] if i < len(columns) else _measure(title)
            out[passage.start + q.start] = Cell(label + column, years[0] if years else None, period)
        rows.append((label, [(passage.start + q.start, q.value) for q in values]))
    _scopes(rows, out)
    return out


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
