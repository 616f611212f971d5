"""Page text -> report text: drop page furniture, re-join lines broken mid-sentence.

Text taken from a PDF (or a text file with form feeds) comes as pages of lines. Two
things must go before the report is parsed, or they become paragraphs and facts:

* page furniture at the top and bottom of a page: page numbers (``- 3 -``,
  ``第 3 页 共 10 页``, ``3/10``, a bare ``3``) and running headers or footers, i.e. edge
  lines repeated (digits aside) on most pages;
* line breaks inside paragraphs: a line is joined to the next unless it is visibly
  short (a paragraph's last line, a title), is a heading, is followed by a blank line
  (paragraph spacing) or a heading, or it ends a paragraph by the document's own
  convention: where paragraphs start indented (``　　``), a paragraph ends only before
  an indented line; elsewhere a line that closes a sentence (。！？；) ends its paragraph.

>>> pages = [["市知识产权局文件", "一、总体情况", "全市专利授权量达到7.5万件，同比", "增长20.3%。", "- 1 -"],
...          ["市知识产权局文件", "二、保护", "办结案件12件。", "- 2 -"]]
>>> kept, running = remove_furniture(pages)
>>> join_lines([line for page in kept for line in page])
['一、总体情况', '全市专利授权量达到7.5万件，同比增长20.3%。', '二、保护', '办结案件12件。']
>>> running
('市知识产权局文件',)
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Sequence

from index.headings import match_heading, starts_heading

EDGE_LINES = 3  # how many lines at the top and at the bottom of a page can be running headers or footers
NUMBER_LINES = 2  # how many can be a page number
_DASH = r"[-－—–~～_\s]*"
_PAGE_NUMBER = re.compile(
    rf"^(?:{_DASH}\d{{1,4}}{_DASH}"  # 3, - 3 -, — 3 —
    r"|第\s*[\d一二三四五六七八九十百]{1,5}\s*页\s*(?:[,，/]?\s*共\s*\d{1,5}\s*页)?"  # 第 3 页 共 10 页
    r"|共\s*\d{1,5}\s*页\s*第\s*\d{1,5}\s*页"
    r"|\d{1,4}\s*/\s*\d{1,4}"  # 3/10
    r"|(?:page|p\.)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?)$",  # Page 3 of 10
    re.IGNORECASE,
)
# A sentence is closed by 。！？； (optionally followed by closing quotes or brackets), or by …
_CLOSED = re.compile(r"(?:[。！？!?；;]|……|…)[”’」』）)\]】》]*$")
_INDENT = re.compile(r"^(?:\u3000|[ \t]{2,})")
SHORT_LINE = 0.8  # a line narrower than this share of a full line ends its paragraph


def is_page_number(line: str) -> bool:
    """``- 3 -``, ``第 3 页 共 10 页``, ``3/10``, a bare number.

    >>> [is_page_number(s) for s in ("- 3 -", "第3页 共10页", "12", "2020年", "3.5万件")]
    [True, True, True, False, False]
    """
    return bool(_PAGE_NUMBER.match(line.strip()))


def _shape(line: str) -> str:
    """A line with digits and spaces folded, so "第3页" and "第4页" headers compare equal."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", line))


def _edges(lines: Sequence[str], depth: int = EDGE_LINES) -> set[int]:
    """Positions of the first and last `depth` non-empty lines of a page."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return set(filled[:depth]) | set(filled[-depth:])


def remove_furniture(pages: Sequence[Sequence[str]]) -> tuple[list[list[str]], tuple[str, ...]]:
    """Drop page numbers and running headers/footers from the edges of each page.

    Returns the pages without them (a vertical gap inside a page stays as one blank
    line: a paragraph break) and the running lines found (the first is often the
    report's title, which metadata can use).
    """
    shapes: Counter[str] = Counter()
    first_seen: dict[str, str] = {}
    for lines in pages:
        for shape in {_shape(lines[i]) for i in _edges(lines)}:
            shapes[shape] += 1
        for i in sorted(_edges(lines)):
            first_seen.setdefault(_shape(lines[i]), lines[i].strip())
    need = max(2, (len(pages) + 1) // 2)  # on most pages, and on two at least
    running = {shape for shape, count in shapes.items() if count >= need and shape}
    kept: list[list[str]] = []
    for lines in pages:
        edges, number_edges = _edges(lines), _edges(lines, NUMBER_LINES)
        page = [line if line.strip() else "" for i, line in enumerate(lines) if not (
            (i in number_edges and is_page_number(line)) or (i in edges and _shape(line) in running))]
        kept.append(_fold_blanks(page))
    found = tuple(first_seen[s] for s in sorted(running, key=lambda s: -shapes[s]) if not is_page_number(first_seen[s]))
    return kept, found


def _fold_blanks(lines: list[str]) -> list[str]:
    """One blank line per vertical gap (a paragraph break), none at the top or bottom of a page."""
    folded: list[str] = []
    for line in lines:
        if line or (folded and folded[-1]):
            folded.append(line)
    while folded and not folded[-1]:
        folded.pop()
    return folded


def display_width(text: str) -> int:
    """Columns a line takes: 2 for a CJK (wide) character, 1 otherwise.

    >>> display_width("专利7.5万件")
    11
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _full_width(lines: Sequence[str]) -> int:
    """The width of a full line: the 90th percentile over the lines that are not tiny."""
    widths = sorted(display_width(line.strip()) for line in lines if len(line.strip()) > 4)
    return widths[int(0.9 * (len(widths) - 1))] if widths else 0


def glue(left: str, right: str) -> str:
    """Join two pieces of a broken line; a space only between two Latin letters (words), never inside a number.

    >>> glue("案件11", "74件"), glue("English", "words"), glue("专利", "7.5万件")
    ('案件1174件', 'English words', '专利7.5万件')
    """
    if left and right and left[-1].isascii() and left[-1].isalpha() and right[0].isascii() and right[0].isalpha():
        return f"{left} {right}"
    return left + right


def _uses_indents(lines: Sequence[str], full: int) -> bool:
    """Whether paragraphs start indented: most lines that surely open a paragraph (after a heading, or
    after a short line closing a sentence) are indented. Counting all indented lines would be fooled
    by centred titles."""
    starts = [following for line, following in zip(lines, lines[1:])
              if following.strip() and not starts_heading(following.strip()) and (
                  match_heading(line.strip()) is not None
                  or (_CLOSED.search(line.strip()) and display_width(line.strip()) < SHORT_LINE * full))]
    return len(starts) >= 2 and sum(1 for line in starts if _INDENT.match(line)) >= 0.6 * len(starts)


def join_lines(lines: Sequence[str]) -> list[str]:
    """Re-join lines broken inside paragraphs; headings stay lines of their own."""
    full = _full_width(lines)
    indented = _uses_indents(lines, full)
    paragraphs: list[str] = []
    current = ""
    for raw, following in zip(lines, [*lines[1:], ""]):
        line = raw.strip()
        if not line:
            continue
        heading = match_heading(line) is not None
        if heading and current:
            paragraphs.append(current)
            current = ""
        current = glue(current, line)
        # Without indents or blank lines, a sentence end at the end of a line closes the paragraph: this
        # splits a paragraph whose sentence happens to end at the margin, which costs less than merging two.
        closed = _INDENT.match(following) is not None if indented else _CLOSED.search(line) is not None
        ends = (heading or closed or display_width(line) < SHORT_LINE * full
                or not following.strip() or starts_heading(following.strip()))
        if ends:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs
