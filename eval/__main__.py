"""Command line: `python -m eval --dataset eval/qa.jsonl --out runs/latest [--compare]`."""

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
        engine = QAEngine(EngineConfig(corpus=args.corpus, cache_dir=args.cache_dir, model=args.model,
                                       chunk_size=args.chunk_size, progress=True, encoder=args.encoder))
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


if __name__ == "__main__":
    sys.exit(main())
