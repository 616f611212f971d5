"""Command line: `python -m index build` and `python -m index info`."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Sequence

from index.settings import add_common_args, index_root


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m index", description="Build or inspect the report index.")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="build the model (first time) and the index, with progress")
    add_common_args(build, os.environ)
    build.add_argument("--force", action="store_true", help="rebuild even if the index on disk is valid")
    info = sub.add_parser("info", help="print the manifest of the live index")
    add_common_args(info, os.environ)
    info.add_argument("--json", action="store_true", help="print the manifest as JSON")
    return parser


def _spec(args):
    from qa.engine import build_spec  # the engine decides what a build contains (chunks + fact table)

    return build_spec(chunk_size=args.chunk_size)


def cmd_build(args) -> int:
    from index.corpus import load_document
    from index.embedding import SentenceTransformerEmbedder
    from index.builder import build_index, ensure_index

    document = load_document(args.corpus)
    spec = _spec(args)  # bad settings fail here, before the model loads
    embedder = SentenceTransformerEmbedder(args.model, cache_dir=args.cache_dir, progress=True)
    started = time.perf_counter()
    embedder.warm_up()
    model_seconds = time.perf_counter() - started
    root = index_root(args.cache_dir, args.model)
    started = time.perf_counter()
    builder = build_index if args.force else ensure_index
    index = builder(document, embedder, root, spec, progress=True)
    print(f"model ready in {model_seconds:.1f}s; index ready in {time.perf_counter() - started:.1f}s: "
          f"{index.manifest.chunk_count} chunks, {index.size_bytes / 1024:.0f} KiB at {index.directory}")
    return 0


def cmd_info(args) -> int:
    from index.builder import load_index

    index = load_index(index_root(args.cache_dir, args.model))
    manifest = index.manifest
    if args.json:
        print(json.dumps(manifest.__dict__, ensure_ascii=False, indent=2))
        return 0
    rows = [("directory", index.directory), ("model", manifest.model_id), ("dimension", manifest.dimension),
            ("chunks", manifest.chunk_count), ("chunker", json.dumps(manifest.chunker, ensure_ascii=False)),
            ("document", manifest.doc_id), ("corpus sha256", manifest.corpus_sha256),
            ("built", f"{manifest.build_time} in {manifest.build_seconds}s"),
            ("size on disk", f"{index.size_bytes / 1024:.1f} KiB"),
            ("files", ", ".join(f"{k} ({v['bytes']} B)" for k, v in manifest.files.items()))]
    for key, value in rows:
        print(f"{key:>14}: {value}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return {"build": cmd_build, "info": cmd_info}[args.command](args)
    except ValueError as exc:  # our errors say what to do; no traceback for the user
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; the previous index is untouched", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
