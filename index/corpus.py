"""Load a report into sections and paragraph passages with exact character offsets.

A report is plain UTF-8 text, one paragraph per line. Section headings are lines
such as ``一、扎实推进知识产权强市战略实施`` or ``第二章 …`` (the report's highest
heading level, see index/headings.py); the text before the first heading is
section 0 (``引言``). Every passage round-trips: ``document.text[p.start:p.end] == p.text``.

>>> doc = parse_document("开头。\\n一、第一节\\n甲乙。\\n", doc_id="d")
>>> [(p.section, p.section_title, p.paragraph, p.text) for p in doc.passages]
[(0, '引言', 1, '开头。'), (1, '第一节', 1, '甲乙。')]
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from index.headings import match_heading, section_level

from index.normalise import normalise_report

INTRO_TITLE = "引言"


@dataclass(frozen=True)
class Passage:
    """One paragraph of a report, with the section it belongs to and its offsets."""

    doc_id: str
    section: int
    section_title: str
    paragraph: int  # 1-based within its section
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Section:
    """A numbered section (0 = the introduction before 一、)."""

    number: int
    title: str
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """A whole report: its text for reading (simplified, ASCII digits), sections and passages.

    ``original`` holds the text as written when normalisation changed it (a report in traditional
    characters); both have the same length, so every offset is valid in both.
    """

    doc_id: str
    text: str
    sections: tuple[Section, ...]
    passages: tuple[Passage, ...]
    original: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256((self.original or self.text).encode("utf-8")).hexdigest()

    def as_written(self, start: int, end: int) -> str:
        """The report's own characters at [start, end), for quoting."""
        return (self.original or self.text)[start:end]

    def section_title(self, number: int) -> str:
        for section in self.sections:
            if section.number == number:
                return section.title
        raise KeyError(f"section={number!r} not in document {self.doc_id!r}")


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) so it has no leading/trailing whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def parse_document(text: str, *, doc_id: str) -> Document:
    """Split report text into sections and paragraph passages (read in normalised form)."""
    if not text.strip():
        raise ValueError(f"document {doc_id!r} is empty: give a UTF-8 text file with one paragraph per line")
    written, text = text, normalise_report(text)
    sections: list[Section] = []
    passages: list[Passage] = []
    number, title, section_start, paragraph = 0, INTRO_TITLE, 0, 0
    level = section_level(line.strip() for line in text.splitlines())
    offset = 0
    for line in text.splitlines(keepends=True):
        line_start, offset = offset, offset + len(line)
        start, end = _strip_span(text, line_start, offset)
        if start == end:
            continue
        heading = match_heading(text[start:end], level=level) if level is not None else None
        if heading:
            if number > 0 or passages:  # an empty intro is not a section
                sections.append(Section(number, title, section_start, line_start))
            number, title, section_start, paragraph = heading.number, heading.title, line_start, 0
            continue
        paragraph += 1
        passages.append(Passage(doc_id, number, title, paragraph, text[start:end], start, end))
    sections.append(Section(number, title, section_start, len(text)))
    return Document(doc_id, text, tuple(sections), tuple(passages), written if written != text else "")


def load_document(path: str | Path, *, doc_id: str | None = None) -> Document:
    """Read a UTF-8 report from disk; the document id defaults to the file stem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read corpus file {str(path)!r}: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"corpus file {str(path)!r} is not UTF-8 text (byte {exc.start}): convert it to UTF-8") from exc
    # Offsets are into the text exactly as read; newline translation would shift them.
    return parse_document(text, doc_id=doc_id or path.stem)
