"""A FAISS index on disk: a folder of plain files plus a manifest, switched in atomically.

Layout of an index root::

    root/CURRENT                 name of the live build (replaced atomically)
    root/builds/<name>/manifest.json, vectors.faiss, chunks.jsonl, (extra files)
    root/.lock                   held while building

A build is written into a fresh folder and only becomes live when CURRENT is
replaced, so a killed build leaves the previous index untouched. No pickle:
chunks are JSON lines, vectors a FAISS file, every file's sha256 in the manifest.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

import faiss
import numpy as np

from index.chunking import Chunk

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"
CHUNKS = "chunks.jsonl"
UNIT_TEXTS = "units.jsonl"  # other texts embedded at build time (sentences, clauses): one JSON string a line
UNIT_VECTORS = "units.npy"  # their vectors, float32, row i for line i (numpy format, no pickle)


class IndexUnusable(ValueError):
    """The index on disk is missing, damaged or built for something else; the message says which."""


@dataclass(frozen=True)
class Manifest:
    """What an index was built from; compared with the current settings on load."""

    model_id: str
    dimension: int
    chunker: dict
    corpus_sha256: str
    doc_id: str
    chunk_count: int
    extras: dict = field(default_factory=dict)  # settings of extra artefacts, e.g. the fact extractor version
    build_time: str = ""
    build_seconds: float = 0.0
    files: dict = field(default_factory=dict)  # name -> {"bytes": n, "sha256": h}
    format_version: int = FORMAT_VERSION

    def key(self) -> dict:
        """The fields that must match for an index to be served."""
        return {"format_version": self.format_version, "model_id": self.model_id,
                "chunker": self.chunker, "corpus_sha256": self.corpus_sha256, "extras": self.extras}


@dataclass
class LoadedIndex:
    """A live index: manifest, chunks in id order and the FAISS searcher."""

    directory: Path
    manifest: Manifest
    chunks: list[Chunk]
    faiss_index: faiss.Index
    unit_texts: tuple[str, ...] = ()
    unit_vectors: np.ndarray | None = None

    def unit_vector_map(self) -> dict[str, np.ndarray]:
        """Embedded extra text -> its vector (empty when the build embedded none)."""
        if self.unit_vectors is None:
            return {}
        return dict(zip(self.unit_texts, self.unit_vectors))

    def search(self, vectors: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
        """Top-k (chunk id, cosine) per query vector."""
        k = max(1, min(k, len(self.chunks)))
        scores, ids = self.faiss_index.search(np.ascontiguousarray(vectors, dtype=np.float32), k)
        return [[(int(i), float(s)) for i, s in zip(row_ids, row_scores) if i >= 0]
                for row_ids, row_scores in zip(ids, scores)]

    def cosines(self, vector: np.ndarray) -> np.ndarray:
        """The cosine of one query vector with every chunk, by chunk id (`search` over all of them, as one array)."""
        return all_cosines(self.faiss_index, vector, len(self.chunks))

    @property
    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.directory.iterdir() if p.is_file())


def all_cosines(index: faiss.Index, vector: np.ndarray, n: int) -> np.ndarray:
    """An exact index's inner product of one vector with each of its ``n`` vectors, by id (float32; 0 for an id
    the search does not return)."""
    out = np.zeros(n, dtype=np.float32)
    if n:
        scores, ids = index.search(np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1), n)
        found = ids[0] >= 0
        out[ids[0][found]] = scores[0][found]
    return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old bytes or the new, never a half-written file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def write_build(directory: Path, chunks: list[Chunk], vectors: np.ndarray, manifest: Manifest, *,
                units: tuple[list[str], np.ndarray] | None = None) -> Manifest:
    """Write vectors, chunks, extra embedded texts (``units``) and manifest (with file hashes) into a build folder."""
    if len(chunks) != len(vectors):
        raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors: they must match one to one")
    if units is not None:
        texts, unit_vectors = units
        if len(texts) != len(unit_vectors):
            raise ValueError(f"{len(texts)} unit texts but {len(unit_vectors)} vectors: they must match one to one")
        write_atomic(directory / UNIT_TEXTS, "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in texts).encode("utf-8"))
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(unit_vectors, dtype=np.float32), allow_pickle=False)
        write_atomic(directory / UNIT_VECTORS, buffer.getvalue())
    flat = faiss.IndexFlatIP(manifest.dimension)
    index = faiss.IndexIDMap(flat)
    index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32),
                       np.array([c.id for c in chunks], dtype=np.int64))
    write_atomic(directory / VECTORS, faiss.serialize_index(index).tobytes())
    lines = "".join(json.dumps(asdict(c), ensure_ascii=False) + "\n" for c in chunks)
    write_atomic(directory / CHUNKS, lines.encode("utf-8"))
    files = {p.name: {"bytes": p.stat().st_size, "sha256": _sha256(p)}
             for p in sorted(directory.iterdir()) if p.is_file() and p.name != MANIFEST and not p.name.startswith(".")}
    final = Manifest(**{**asdict(manifest), "files": files})
    write_atomic(directory / MANIFEST, json.dumps(asdict(final), ensure_ascii=False, indent=2).encode("utf-8"))
    return final


def read_manifest(directory: Path) -> Manifest:
    path = directory / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Manifest(**data)
    except FileNotFoundError:
        raise IndexUnusable(f"index manifest {path} is missing") from None
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise IndexUnusable(f"index manifest {path} is damaged ({exc.__class__.__name__})") from None


def read_build(directory: Path, *, expect: Manifest | None = None) -> LoadedIndex:
    """Load and verify one build folder; `IndexUnusable` says in one line what is wrong."""
    manifest = read_manifest(directory)
    if manifest.format_version != FORMAT_VERSION:
        raise IndexUnusable(f"index format {manifest.format_version} is not the supported {FORMAT_VERSION}")
    if expect is not None:
        for name, want in expect.key().items():
            have = manifest.key()[name]
            if have != want:
                raise IndexUnusable(f"index was built with {name}={have!r}, now {want!r}")
    for name, info in manifest.files.items():
        path = directory / name
        if not path.is_file():
            raise IndexUnusable(f"index file {path} is missing")
        if path.stat().st_size != info["bytes"] or _sha256(path) != info["sha256"]:
            raise IndexUnusable(f"index file {path} is truncated or corrupt (checksum mismatch)")
    try:
        index = faiss.deserialize_index(np.frombuffer((directory / VECTORS).read_bytes(), dtype=np.uint8))
        chunks = [Chunk(**json.loads(line)) for line in
                  (directory / CHUNKS).read_text(encoding="utf-8").splitlines() if line]
    except (OSError, RuntimeError, ValueError, TypeError) as exc:
        raise IndexUnusable(f"index in {directory} cannot be read ({exc.__class__.__name__})") from None
    if index.ntotal != len(chunks) or len(chunks) != manifest.chunk_count or index.d != manifest.dimension:
        raise IndexUnusable(f"index in {directory} is inconsistent: {index.ntotal} vectors, {len(chunks)} chunks")
    if [c.id for c in chunks] != list(range(len(chunks))):
        raise IndexUnusable(f"index in {directory} has chunk ids out of order")
    texts, unit_vectors = _read_units(directory, manifest)
    return LoadedIndex(directory, manifest, chunks, index, texts, unit_vectors)


def _read_units(directory: Path, manifest: Manifest) -> tuple[tuple[str, ...], np.ndarray | None]:
    if UNIT_TEXTS not in manifest.files:
        return (), None
    try:
        texts = tuple(json.loads(line) for line in (directory / UNIT_TEXTS).read_text(encoding="utf-8").splitlines() if line)
        vectors = np.load(directory / UNIT_VECTORS, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise IndexUnusable(f"embedded texts in {directory} cannot be read ({exc.__class__.__name__})") from None
    if vectors.ndim != 2 or len(vectors) != len(texts) or vectors.shape[1] != manifest.dimension:
        raise IndexUnusable(f"embedded texts in {directory} are inconsistent: {len(texts)} texts, {vectors.shape} vectors")
    return texts, vectors


def current_build(root: Path) -> Path:
    """The live build folder named by root/CURRENT."""
    pointer = root / "CURRENT"
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise IndexUnusable(f"no index in {root} yet") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexUnusable(f"index pointer {pointer} is unreadable ({exc.__class__.__name__})") from None
    if not name or "/" in name or name.startswith("."):
        raise IndexUnusable(f"index pointer {pointer} is damaged")
    return root / "builds" / name


def _check_writable(root: Path) -> None:
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = root / f".write-test-{os.getpid()}"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        raise ValueError(
            f"cache directory {root} is not writable ({exc.strerror or exc}): "
            "set IPQA_CACHE_DIR or --cache-dir to a writable folder with some free space"
        ) from None


@contextmanager
def build_lock(root: Path) -> Iterator[None]:
    """Hold an exclusive lock so two processes never build into the same root at once."""
    _check_writable(root)
    with open(root / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def staged_build(root: Path) -> Iterator[Path]:
    """Yield a fresh build folder; on success make it live and drop older builds.

    Call inside `build_lock`. If the body raises (or the process dies), the live
    index is untouched and the staging folder is removed (or ignored later).
    """
    builds = root / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    name = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    staging = builds / f".staging-{name}"
    staging.mkdir()
    try:
        yield staging
        os.rename(staging, builds / name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    write_atomic(root / "CURRENT", name.encode("utf-8"))
    for old in builds.iterdir():  # earlier builds and leftovers of killed ones
        if old.name != name:
            shutil.rmtree(old, ignore_errors=True)
