"""Command line: `python -m eval --dataset eval/qa.jsonl --out runs/latest [--compare] [--report PATH …]`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

from index.settings import REPO_ROOT, add_common_args

DEFAULT_DATASET = REPO_ROOT / "eval" / "qa.jsonl"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m eval", description="Score the engine on a question-answer set.")
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET, help="JSONL eval set (default eval/qa.jsonl)")
    parser.add_argument("--out", type=Path, default=Path("runs/latest"), help="output folder (created)")
    parser.add_argument("--compare", action="store_true",
                        help="also run the baselines: dense only, BM25 only, no fact table, naive passage")
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    parser.add_argument("--report", type=Path, action="append", default=[], metavar="PATH",
                        help="another report (PDF, .docx, HTML or text) loaded beside --corpus; repeat for more. "
                             "The questions are then answered over all of them, as the app's report library does "
                             "(kept in a library folder of its own under the cache)")
    add_common_args(parser, os.environ)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        from tqdm import tqdm

        from eval.dataset import load_dataset
        from eval.runner import FULL, VARIANTS, metrics_table, run_variants, write_outputs
        from qa.engine import EngineConfig, QAEngine

        items = load_dataset(args.dataset)
        if args.limit is not None:
            if args.limit < 1:
                raise ValueError(f"--limit {args.limit} must be at least 1")
            items = items[: args.limit]
        config = EngineConfig(corpus=args.corpus, cache_dir=args.cache_dir, model=args.model,
                              chunk_size=args.chunk_size, progress=True, encoder=args.encoder)
        engine = library_engine(config, args.report) if args.report else QAEngine(config)
        engine.warm_up()
        variants = VARIANTS if args.compare else (FULL,)
        bar = tqdm(total=len(items) * len(variants), unit="q", desc="eval")

        def progress(done: int, total: int, name: str) -> None:
            bar.set_description(f"eval {name}")
            bar.update(1)

        runs = run_variants(engine, items, variants, progress=progress)
        bar.close()
        paths = write_outputs(runs, args.out, dataset=str(args.dataset))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    print(metrics_table(runs))
    print("\nwrote " + ", ".join(str(p) for p in paths.values()))
    return 0


def library_engine(config, reports: Sequence[Path]):
    """The library engine over --corpus and the --report files, in a library folder named after them
    (so an eval never adds to the app's library, and the same files reuse their built indexes)."""
    import hashlib

    from qa.library_engine import open_library

    for path in reports:
        if not path.is_file():
            raise ValueError(f"--report {path}: no such file; give the path of a PDF, .docx, HTML or text report")
    key = hashlib.sha256("\n".join(str(p.resolve()) for p in (config.corpus, *reports)).encode("utf-8")).hexdigest()
    return open_library(config, reports, folder=f"eval-library-{key[:12]}", log=lambda m: print(m, file=sys.stderr))


if __name__ == "__main__":
    sys.exit(main())
