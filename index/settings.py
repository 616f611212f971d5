"""Defaults shared by the entry points (CLIs, app); only they pass `os.environ` in here."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Mapping

from index.embedding import DEFAULT_MODEL

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO_ROOT / "data" / "tianjin-ip-2020.txt"
DEFAULT_CACHE = REPO_ROOT / ".cache"


def add_common_args(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    """--corpus / --cache-dir / --model / --chunk-size, defaulting to IPQA_* variables."""
    parser.add_argument("--corpus", type=Path, default=Path(environ.get("IPQA_CORPUS", DEFAULT_CORPUS)),
                        help="report text file, UTF-8, one paragraph per line (env IPQA_CORPUS)")
    parser.add_argument("--cache-dir", type=Path, default=Path(environ.get("IPQA_CACHE_DIR", DEFAULT_CACHE)),
                        help="where the model and the index are built (env IPQA_CACHE_DIR)")
    parser.add_argument("--model", default=environ.get("IPQA_MODEL", DEFAULT_MODEL),
                        help=f"sentence-transformers model name or directory (env IPQA_MODEL; default {DEFAULT_MODEL})")
    parser.add_argument("--chunk-size", type=int, default=None, help="chunk size in characters")


def index_root(cache_dir: Path, model: str) -> Path:
    """Each model gets its own index folder, so switching models never serves stale vectors."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in model.strip("/"))[-80:]
    return Path(cache_dir) / "index" / safe
