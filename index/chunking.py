"""Split passages into citable chunks with langchain-text-splitters, keeping exact offsets.

Chunks never cross a paragraph (hence never a section). Separators are Chinese
sentence punctuation kept at the end of the piece they close, so a chunk reads
``……罚没款1150万元。`` and not ``。加强……``.

>>> from index.corpus import parse_document
>>> doc = parse_document("甲乙丙。丁戊己。庚辛。", doc_id="d")
>>> [c.text for c in chunk_document(doc, ChunkerSettings(chunk_size=8))]
['甲乙丙。丁戊己。', '庚辛。']
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from index.corpus import Document, Passage

if TYPE_CHECKING:  # imported when an index is built: serving a built index never needs it (~30 MB, 0.3 s)
    from langchain_text_splitters import RecursiveCharacterTextSplitter

DEFAULT_SEPARATORS = ("\n\n", "\n", "。", "！", "？", "；", "，", "、", "")


@dataclass(frozen=True)
class ChunkerSettings:
    """How passages are cut; recorded in the index manifest."""

    chunk_size: int = 120  # characters; chosen on the eval set (see README)
    chunk_overlap: int = 0
    separators: tuple[str, ...] = field(default=DEFAULT_SEPARATORS)

    def __post_init__(self) -> None:
        if self.chunk_size < 8:
            raise ValueError(f"chunk_size={self.chunk_size!r} is too small: use at least 8 characters")
        if not 0 <= self.chunk_overlap < self.chunk_size:
            raise ValueError(
                f"chunk_overlap={self.chunk_overlap!r} must be >= 0 and below chunk_size={self.chunk_size}"
            )

    def to_dict(self) -> dict:
        return {**asdict(self), "separators": list(self.separators)}


@dataclass(frozen=True)
class Chunk:
    """A piece of one passage: the unit that is embedded, retrieved and cited."""

    id: int  # position in the index; the FAISS id
    doc_id: str
    section: int
    section_title: str
    paragraph: int
    text: str
    start: int  # offsets into the original document text
    end: int

    @property
    def label(self) -> str:
        """Human citation label, e.g. ``第二部分 第3段``."""
        section = "引言" if self.section == 0 else f"第{self.section}部分"
        return f"{section} 第{self.paragraph}段"


def _splitter(settings: ChunkerSettings) -> RecursiveCharacterTextSplitter:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        separators=list(settings.separators),
        chunk_size=settings.chunk_size,
        chunk_overlap=settings.chunk_overlap,
        keep_separator="end",
        strip_whitespace=True,
    )


def chunk_passage(passage: Passage, settings: ChunkerSettings, *, first_id: int = 0) -> list[Chunk]:
    """Chunk one passage; offsets are found by scanning forward through the passage."""
    chunks: list[Chunk] = []
    cursor = 0
    for piece in _splitter(settings).split_text(passage.text):
        # With overlap a piece may start before the previous one ended.
        local = passage.text.find(piece, max(0, cursor - settings.chunk_overlap))
        if local < 0:  # the splitter only cuts and strips, so this is a bug, not bad input
            raise RuntimeError(f"chunk {piece[:20]!r} not found in its passage")
        cursor = local + len(piece)
        start = passage.start + local
        chunks.append(
            Chunk(
                id=first_id + len(chunks),
                doc_id=passage.doc_id,
                section=passage.section,
                section_title=passage.section_title,
                paragraph=passage.paragraph,
                text=piece,
                start=start,
                end=start + len(piece),
            )
        )
    return chunks


def chunk_document(document: Document, settings: ChunkerSettings | None = None) -> list[Chunk]:
    """Chunk every passage of a document, numbering chunks 0..n-1 in reading order."""
    settings = settings or ChunkerSettings()
    chunks: list[Chunk] = []
    for passage in document.passages:
        chunks.extend(chunk_passage(passage, settings, first_id=len(chunks)))
    return chunks
