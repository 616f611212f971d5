"""What a loader returns, and the one error type all loaders raise (a one-line Chinese message).

>>> Extracted(text="一、总体\\n正文。\\n", kind="txt").paragraphs
('一、总体', '正文。')
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("pdf", "docx", "html", "txt")


class LoaderError(ValueError):
    """The file cannot become a report; the message says why and what to do, in one line."""


@dataclass(frozen=True)
class Extracted:
    """A report's text as loaded: one paragraph per line, headings on lines of their own."""

    text: str
    kind: str  # one of KINDS
    title_hint: str = ""  # the format's own title (PDF /Title, Word core properties, HTML <title>)
    running_lines: tuple[str, ...] = ()  # running headers/footers removed from the pages (often the title)
    pages: int = 0
    notes: tuple[str, ...] = ()  # what the loader did, for progress output

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind={self.kind!r} is not one of {', '.join(KINDS)}")

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(line for line in self.text.splitlines() if line.strip())
