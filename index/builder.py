"""Build the index for a report, or load it if the one on disk still matches.

`ensure_index` is what the app and the CLI call: it serves a valid index, and
rebuilds (saying why in one line) when the files are missing, damaged or were
built from another corpus, model or chunker setting.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from index.chunking import ChunkerSettings, chunk_document
from index.corpus import Document
from index.embedding import Embedder
from index.store import IndexUnusable, LoadedIndex, Manifest, build_lock, current_build, read_build, staged_build, write_build

# An extra artefact written into the same build, e.g. the fact table: (document, folder) -> None.
ExtraWriter = Callable[[Document, Path], None]
# Other texts of the document to embed at build time (e.g. sentences and clauses): document -> texts.
UnitTexts = Callable[[Document], list[str]]


@dataclass(frozen=True)
class BuildSpec:
    """Everything an index depends on besides the corpus text."""

    settings: ChunkerSettings = field(default_factory=ChunkerSettings)
    extras: Mapping[str, ExtraWriter] = field(default_factory=dict)  # file name -> writer
    extras_version: Mapping[str, object] = field(default_factory=dict)  # recorded, compared on load
    units: UnitTexts | None = None  # texts embedded besides the chunks (stored as units.jsonl + units.npy)

    def expected(self, document: Document, model_id: str) -> Manifest:
        return Manifest(model_id=model_id, dimension=0, chunker=self.settings.to_dict(),
                        corpus_sha256=document.sha256, doc_id=document.doc_id, chunk_count=0,
                        extras={"files": sorted(self.extras), **dict(self.extras_version)})


def build_index(document: Document, embedder: Embedder, root: Path, spec: BuildSpec, *,
                progress: bool = False) -> LoadedIndex:
    """Chunk, embed and write a new build, then make it live. Holds the build lock."""
    with build_lock(root):
        return _build_locked(document, embedder, root, spec, progress=progress)


def _build_locked(document: Document, embedder: Embedder, root: Path, spec: BuildSpec, *,
                  progress: bool) -> LoadedIndex:
    started = time.perf_counter()
    chunks = chunk_document(document, spec.settings)
    unit_texts = list(dict.fromkeys(spec.units(document))) if spec.units else []
    texts = [c.text for c in chunks] + unit_texts
    all_vectors = embedder.embed_passages(texts, progress=progress)  # one pass: chunks, then the other texts
    vectors, units = all_vectors[: len(chunks)], (unit_texts, all_vectors[len(chunks):]) if spec.units else None
    expected = spec.expected(document, embedder.model_id)
    try:
        with staged_build(root) as folder:
            for name, writer in spec.extras.items():
                writer(document, folder / name)
            manifest = Manifest(**{
                **expected.__dict__, "dimension": int(vectors.shape[1]), "chunk_count": len(chunks),
                "build_time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "build_seconds": round(time.perf_counter() - started, 3),
            })
            write_build(folder, chunks, vectors, manifest, units=units)
    except OSError as exc:  # disk full, quota, permissions: the live index is untouched, say where and why
        raise ValueError(
            f"could not write the index in {root} ({exc.strerror or exc}); the previous index is unchanged: "
            "free some space or set IPQA_CACHE_DIR / --cache-dir to a writable folder"
        ) from exc
    return read_build(current_build(root), expect=expected)


def ensure_index(document: Document, embedder: Embedder, root: Path, spec: BuildSpec, *,
                 progress: bool = False, force: bool = False, log: Callable[[str], None] | None = None) -> LoadedIndex:
    """Return a valid index for `document`, building it if needed (or if `force`)."""
    log = log or (lambda message: print(message, file=sys.stderr))
    expected = spec.expected(document, embedder.model_id)
    if not force:
        try:
            return read_build(current_build(root), expect=expected)
        except IndexUnusable as exc:
            log(f"index: {exc}; rebuilding")
    with build_lock(root):
        if not force:  # another process may have built it while we waited for the lock
            try:
                return read_build(current_build(root), expect=expected)
            except IndexUnusable:
                pass
        return _build_locked(document, embedder, root, spec, progress=progress)


def load_index(root: Path) -> LoadedIndex:
    """Load the live index as it is, without comparing settings (for `info`)."""
    return read_build(current_build(root))
