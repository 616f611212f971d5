"""Verify a model directory against its manifest of file hashes: fully once, then cheaply.

A model directory (the converted fp32 model, the int8 encoder) lists every file's sha256 and size
in its manifest. Hashing 470 MB on every start costs about a second, so only the build (which
hashes the files it has just written, for the manifest) or the first load without a stamp hashes
everything, and then writes a stamp (`.ipqa_verified.json`) holding, per
file, its size, mtime and a *sampled* hash (the first 64 KiB, where a safetensors or ONNX header
lives, plus 32 blocks of 4 KiB spread over the file). Later loads compare those three; any
difference — a rewritten file has a new mtime — triggers the full check again. The stamp is bound
to the manifest's own hash, so a rebuilt directory is always hashed in full once.

>>> import tempfile
>>> d = Path(tempfile.mkdtemp())
>>> _ = (d / "w.bin").write_bytes(b"weights" * 1000)
>>> hashes = {"w.bin": sha256_file(d / "w.bin")}
>>> verify_directory(d, hashes, {"w.bin": 7000}, manifest_digest="m1")  # full check, stamp written
>>> (d / STAMP).is_file(), verify_directory(d, hashes, {"w.bin": 7000}, manifest_digest="m1")
(True, None)
>>> _ = (d / "w.bin").write_bytes(b"weighTs" * 1000)  # same size, other bytes
>>> verify_directory(d, hashes, {"w.bin": 7000}, manifest_digest="m1")
'corrupt (w.bin fails its sha256 check)'
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Mapping

STAMP = ".ipqa_verified.json"
HEAD_BYTES = 64 * 1024
SAMPLES, SAMPLE_BYTES = 32, 4096


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sampled_sha256(path: Path, size: int) -> str:
    """sha256 of the size, the first HEAD_BYTES and SAMPLES blocks at evenly spaced offsets."""
    h = hashlib.sha256(str(size).encode())
    with open(path, "rb") as fh:
        h.update(fh.read(HEAD_BYTES))
        if size > HEAD_BYTES:
            step = max(1, (size - SAMPLE_BYTES) // SAMPLES)
            for offset in range(HEAD_BYTES, size, step):
                fh.seek(offset)
                h.update(fh.read(SAMPLE_BYTES))
            fh.seek(max(0, size - SAMPLE_BYTES))
            h.update(fh.read(SAMPLE_BYTES))
    return h.hexdigest()


def _cheap_record(path: Path) -> dict:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sample": sampled_sha256(path, st.st_size)}


def read_manifest(directory: Path, name: str) -> tuple[dict | None, str]:
    """(manifest, sha256 of its bytes), or (None, why it cannot be used: missing, incomplete, corrupt)."""
    try:
        raw = (Path(directory) / name).read_bytes()
        manifest = json.loads(raw)
    except FileNotFoundError:
        return None, "missing" if not Path(directory).exists() else f"incomplete (no {name})"
    except (OSError, ValueError) as exc:
        return None, f"corrupt ({name}: {exc.__class__.__name__})"
    if not isinstance(manifest, dict):
        return None, f"corrupt ({name} is not an object)"
    return manifest, hashlib.sha256(raw).hexdigest()


def check_sizes(directory: Path, sizes: Mapping[str, int]) -> str | None:
    """None if every listed file exists with its size, else which one does not."""
    for name, size in sizes.items():
        path = Path(directory) / name
        if not path.is_file() or path.stat().st_size != size:
            return f"incomplete ({name} is missing or has the wrong size)"
    return None


def check_hashes(directory: Path, hashes: Mapping[str, str]) -> str | None:
    """None if every listed file has its sha256, else the first that does not (reads everything)."""
    for name, digest in hashes.items():
        path = Path(directory) / name
        if not path.is_file() or sha256_file(path) != digest:
            return f"corrupt ({name} fails its sha256 check)"
    return None


def _stamp_matches(directory: Path, names, manifest_digest: str) -> bool:
    try:
        stamp = json.loads((directory / STAMP).read_text(encoding="utf-8"))
        if stamp.get("manifest") != manifest_digest or set(stamp.get("files", {})) != set(names):
            return False
        return all(_cheap_record(directory / name) == stamp["files"][name] for name in names)
    except (OSError, ValueError, TypeError, AttributeError):
        return False


def _write_stamp(directory: Path, names, manifest_digest: str) -> None:
    """Best effort: a read-only cache is simply hashed in full each time."""
    from index.store import write_atomic

    try:
        stamp = {"manifest": manifest_digest, "files": {name: _cheap_record(directory / name) for name in names}}
        write_atomic(directory / STAMP, json.dumps(stamp, indent=1).encode("utf-8"))
    except OSError:
        pass


def make_readable(root: Path) -> None:
    """mkdtemp makes a 0700 dir (and some writers 0600 files); give a finished build the umask's modes."""
    umask = os.umask(0)
    os.umask(umask)
    for p in [Path(root), *Path(root).rglob("*")]:
        os.chmod(p, (0o777 if p.is_dir() else 0o666) & ~umask)


def record_verified(directory: Path, hashes: Mapping[str, str], manifest_digest: str) -> None:
    """Called by a build right after it hashed the files it wrote: that was the full check."""
    _write_stamp(Path(directory), hashes, manifest_digest)


def forget(directory: Path) -> None:
    """Drop the stamp so the next load hashes every file (after a load failed, say)."""
    try:
        os.unlink(Path(directory) / STAMP)
    except OSError:
        pass


def verify_directory(directory: Path, hashes: Mapping[str, str], sizes: Mapping[str, int], *,
                     manifest_digest: str, full: bool = False) -> str | None:
    """None if the files match the manifest, else a short reason (English, for the one-line log).

    Cheap (size + mtime + sampled hash) when a valid stamp is there; otherwise, or with `full`,
    every file is hashed and, when all match, the stamp is (re)written.
    """
    directory = Path(directory)
    if not hashes:
        return "corrupt (its manifest lists no files)"
    reason = check_sizes(directory, {name: sizes.get(name, -1) for name in hashes})
    if reason:
        return reason
    if not full and _stamp_matches(directory, hashes, manifest_digest):
        return None
    reason = check_hashes(directory, hashes)
    if reason is None:
        _write_stamp(directory, hashes, manifest_digest)
    return reason
