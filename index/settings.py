"""Defaults shared by the entry points (CLIs, app); only they pass `os.environ` in here."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Mapping

from index.embedding import DEFAULT_MODEL, ENCODERS

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO_ROOT / "data" / "tianjin-ip-2020.txt"
DEFAULT_CACHE = REPO_ROOT / ".cache"
# What the default report does not state in its own text (it has no title line).
DEFAULT_REPORT_META = {"title": "天津市2020年知识产权工作报告", "place": "天津市", "year": 2020}


def default_report_meta(corpus: Path) -> dict:
    """Catalogue metadata for the default corpus; another --corpus gets what its text states."""
    try:
        same = Path(corpus).resolve() == DEFAULT_CORPUS.resolve()
    except OSError:
        same = False
    return dict(DEFAULT_REPORT_META) if same else {}


def add_common_args(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    """--corpus / --cache-dir / --model / --chunk-size, defaulting to IPQA_* variables."""
    parser.add_argument("--corpus", type=Path, default=Path(environ.get("IPQA_CORPUS", DEFAULT_CORPUS)),
                        help="report text file, UTF-8, one paragraph per line (env IPQA_CORPUS)")
    parser.add_argument("--cache-dir", type=Path, default=Path(environ.get("IPQA_CACHE_DIR", DEFAULT_CACHE)),
                        help="where the model and the index are built (env IPQA_CACHE_DIR)")
    parser.add_argument("--model", default=environ.get("IPQA_MODEL", DEFAULT_MODEL),
                        help=f"sentence-transformers model name or directory (env IPQA_MODEL; default {DEFAULT_MODEL})")
    parser.add_argument("--chunk-size", type=int, default=None, help="chunk size in characters")
    encoder = environ.get("IPQA_ENCODER", "auto")
    parser.add_argument("--encoder", choices=ENCODERS, default=encoder if encoder in ENCODERS else "auto",
                        help="query/passage encoder: auto = int8 ONNX when it passed its check against fp32, "
                             "else fp32 torch (env IPQA_ENCODER; default auto)")


def model_dirname(model: str) -> str:
    """A folder name for a model name or path (the last 80 safe characters)."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in model.strip("/"))[-80:]


def index_root(cache_dir: Path, model: str, corpus: Path, encoder: str = "") -> Path:
    """One index folder per model (and the int8 encoder of it) and per report file, so switching
    models or reports never serves stale vectors or rebuilds another report's index.

    >>> index_root(Path("c"), "intfloat/multilingual-e5-small", Path("/r/tianjin.txt"), "int8").parent.as_posix()
    'c/index/intfloat_multilingual-e5-small-int8'
    """
    import hashlib

    path = Path(corpus).expanduser().resolve()
    tag = hashlib.sha256(str(path).encode("utf-8")).hexdigest()[:8]
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in path.stem)[-40:]
    folder = f"{model_dirname(model)}-{encoder}" if encoder else model_dirname(model)
    return Path(cache_dir) / "index" / folder / f"{safe}-{tag}"
