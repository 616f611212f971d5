"""Every live report of the knowledge base, loaded, and one combined index to search them all at once.

`load_reports` returns each report as (catalogue record, Document, LoadedIndex, fact
table path), building a report's index for this model if it has none yet or it is
stale. `CombinedIndex` concatenates their chunk vectors into ONE FAISS index, so a
question is one search however many reports are loaded; its chunks carry global ids
(0..N-1, what `search` returns) and each chunk's ``doc_id`` is its report id.

>>> import tempfile, pathlib
>>> from index.builder import BuildSpec
>>> from index.library import ReportLibrary
>>> from tests.conftest import FakeEmbedder
>>> cache = pathlib.Path(tempfile.mkdtemp()); embedder = FakeEmbedder()
>>> corpus = cache / "tianjin.txt"; _ = corpus.write_text("一、保护\\n办结案件12件。\\n", encoding="utf-8")
>>> library = ReportLibrary(cache, default_corpus=corpus)
>>> other = cache / "beijing.txt"; _ = other.write_text("北京市2021年报告\\n授权7.9万件。\\n", encoding="utf-8")
>>> _ = library.add_file(other, embedder=embedder, spec=BuildSpec())
>>> combined = CombinedIndex.from_reports(load_reports(library, embedder, BuildSpec()))
>>> [(c.id, c.doc_id, c.text) for c in combined.chunks]
[(0, 'tianjin', '办结案件12件。'), (1, 'beijing', '北京市2021年报告'), (2, 'beijing', '授权7.9万件。')]
>>> hit, score = combined.search(embedder.embed_queries(["授权7.9万件"]), 1)[0][0]
>>> combined.report_of(hit).record.id, combined.local_id(hit)
('beijing', 1)
"""

from __future__ import annotations

import bisect
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

import faiss
import numpy as np

from index.builder import BuildSpec, ensure_index
from index.catalogue import ReportRecord
from index.chunking import Chunk
from index.corpus import Document
from index.embedding import Embedder
from index.library import ReportLibrary
from index.store import LoadedIndex, all_cosines

FACTS_FILE = "facts.sqlite"  # the name qa.engine gives the fact table in each build (index/ does not import qa/)


@dataclass(frozen=True)
class LoadedReport:
    """One live report, ready to answer from."""

    record: ReportRecord
    document: Document  # doc_id == record.id
    index: LoadedIndex
    facts_path: Path  # the fact table written by the build spec's extra writer


def load_reports(library: ReportLibrary, embedder: Embedder, spec: BuildSpec, *, progress: bool = False,
                 facts_file: str = FACTS_FILE, log: Callable[[str], None] | None = None,
                 include_default: bool = True) -> list[LoadedReport]:
    """Every live report with a valid index for this embedder and spec (built or rebuilt here if needed).

    `include_default=False` leaves out the default report (an engine that loads it from `--corpus`
    in its usual place, qa.library_engine, supplies it).

    A report whose files are damaged beyond rebuilding is skipped with one line in `log`
    and marked ``error`` in the catalogue (``python -m index list`` shows why); a report
    that loads again is marked ``live`` again. The default report failing is an error.
    """
    log = log or (lambda message: print(message, file=sys.stderr))
    loaded: list[LoadedReport] = []
    for record in library.records():
        if record.builtin and not include_default:
            continue
        try:
            document = library.load_document(record)
            index = ensure_index(document, embedder, library.index_root(record.id, embedder.model_id), spec,
                                 progress=progress, log=lambda message, rid=record.id: log(f"report {rid}: {message}"))
        except ValueError as exc:
            if record.builtin:
                raise
            log(f"report {record.id} skipped: {exc}")
            _set_status(library, record, "error", str(exc))
            continue
        if record.status != "live":
            record = _set_status(library, record, "live", "")
        loaded.append(LoadedReport(record, document, index, index.directory / facts_file))
    return loaded


def _set_status(library: ReportLibrary, record: ReportRecord, status: str, note: str) -> ReportRecord:
    with library.catalogue.transaction() as tx:
        tx.set_status(record.id, status, note[:500])
    return replace(record, status=status, status_note=note[:500])


def _vectors(index: LoadedIndex) -> np.ndarray:
    """The chunk vectors of one build, row i = chunk i (read back from its FAISS ID map)."""
    faiss_index = index.faiss_index
    if not hasattr(faiss_index, "id_map"):  # a plain flat index: row i is chunk i
        return faiss_index.reconstruct_n(0, faiss_index.ntotal)
    ids = faiss.vector_to_array(faiss_index.id_map)  # store.write_build wraps a flat index in an ID map
    inner = faiss.downcast_index(faiss_index.index)
    vectors = np.empty((inner.ntotal, inner.d), dtype=np.float32)
    vectors[ids] = inner.reconstruct_n(0, inner.ntotal)
    return vectors


@dataclass
class CombinedIndex:
    """All reports' chunks behind one exact inner-product index; same `search` contract as `LoadedIndex`."""

    reports: tuple[LoadedReport, ...]
    chunks: list[Chunk]  # global ids 0..N-1; doc_id is the report id
    faiss_index: faiss.Index
    offsets: tuple[int, ...]  # global id of each report's first chunk

    @classmethod
    def from_reports(cls, reports: Sequence[LoadedReport]) -> "CombinedIndex":
        if not reports:
            raise ValueError("reports=[] is empty: load at least the default report")
        dimensions = {r.index.manifest.dimension for r in reports}
        models = {r.index.manifest.model_id for r in reports}
        if len(dimensions) != 1 or len(models) != 1:
            raise ValueError(f"reports were indexed with different models {sorted(models)}: load them with one embedder")
        chunks: list[Chunk] = []
        offsets: list[int] = []
        parts: list[np.ndarray] = []
        for report in reports:
            offset = len(chunks)
            offsets.append(offset)
            chunks.extend(replace(c, id=offset + c.id, doc_id=report.record.id) for c in report.index.chunks)
            parts.append(_vectors(report.index))
        flat = faiss.IndexFlatIP(dimensions.pop())
        flat.add(np.ascontiguousarray(np.vstack(parts), dtype=np.float32))
        return cls(tuple(reports), chunks, flat, tuple(offsets))

    def search(self, vectors: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
        """Top-k (global chunk id, cosine) per query vector, over every report in one search."""
        k = max(1, min(k, len(self.chunks)))
        scores, ids = self.faiss_index.search(np.ascontiguousarray(vectors, dtype=np.float32), k)
        return [[(int(i), float(s)) for i, s in zip(row_ids, row_scores) if i >= 0]
                for row_ids, row_scores in zip(ids, scores)]

    def cosines(self, vector: np.ndarray) -> np.ndarray:
        """The cosine of one query vector with every chunk, by global id."""
        return all_cosines(self.faiss_index, vector, len(self.chunks))

    def _position(self, global_id: int) -> int:
        if not 0 <= global_id < len(self.chunks):
            raise ValueError(f"global_id={global_id!r} is outside 0..{len(self.chunks) - 1}")
        return bisect.bisect_right(self.offsets, global_id) - 1

    def report_of(self, global_id: int) -> LoadedReport:
        """The report a global chunk id belongs to."""
        return self.reports[self._position(global_id)]

    def local_id(self, global_id: int) -> int:
        """The chunk's id inside its own report's index."""
        return global_id - self.offsets[self._position(global_id)]

    @property
    def size_bytes(self) -> int:
        return sum(r.index.size_bytes for r in self.reports)
