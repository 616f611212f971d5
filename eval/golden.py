"""The model-free golden run: every training set through BM25 and the fitted lexical weights, in seconds.

    python -m eval.golden            # print accuracy per set and compare with eval/golden.json
    python -m eval.golden --write    # record the current numbers (after a deliberate change)

No embedding model is loaded: the index is built with the hashing embedder (index/hashing.py) and
retrieval runs in BM25 mode, where the answer path uses the weights fitted without dense features.
tests/test_golden.py runs it and fails when a set answers worse than recorded. Reserved sets are
never part of it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Sequence

from index.settings import REPO_ROOT
from index.store import write_atomic

GOLDEN = REPO_ROOT / "eval" / "golden.json"


def golden_sets() -> list[tuple[Path, Path]]:
    """(corpus, dataset) of every training set (eval/training.toml)."""
    from eval.fit import TRAINING, load_training

    return load_training(TRAINING)


def run_golden(cache_dir: Path) -> dict[str, dict]:
    """Accuracy, figure accuracy and wrong answers per dataset, model-free."""
    from eval.dataset import load_dataset
    from eval.runner import run_eval
    from index.hashing import HashingEmbedder
    from qa.engine import EngineConfig, QAEngine

    embedder, results = HashingEmbedder(), {}
    engines: dict[Path, QAEngine] = {}
    for corpus, dataset in golden_sets():
        if corpus not in engines:
            engines[corpus] = QAEngine(EngineConfig(corpus=corpus, cache_dir=cache_dir, retrieval="bm25"),
                                       embedder=embedder)
        run = run_eval(engines[corpus], load_dataset(dataset))
        overall, refusal = run.summary["overall"], run.summary["refusal"]
        results[str(dataset.relative_to(REPO_ROOT))] = {
            "n": run.summary["n"], "correct": overall["correct"],
            "false_answers": refusal["false_answers"], "false_refusals": refusal["false_refusals"]}
    return results


def regressions(results: dict, recorded: dict) -> list[str]:
    """Sets that answer fewer questions right, or more wrongly, than recorded."""
    problems = []
    for name, now in results.items():
        before = recorded.get(name)
        if before is None:
            problems.append(f"{name}: no recorded numbers (run python -m eval.golden --write)")
        elif now["correct"] < before["correct"] or now["false_answers"] > before["false_answers"]:
            problems.append(f"{name}: {now['correct']} right / {now['false_answers']} false answers, "
                            f"recorded {before['correct']} / {before['false_answers']}")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.golden", description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="record the numbers in eval/golden.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ipqa-golden-") as cache:
        results = run_golden(Path(cache))
    for name, r in results.items():
        print(f"{name}: {r['correct']}/{r['n']} right, {r['false_answers']} false answers, "
              f"{r['false_refusals']} false refusals")
    if args.write:
        write_atomic(GOLDEN, (json.dumps(results, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
        print(f"wrote {GOLDEN}")
        return 0
    recorded = json.loads(GOLDEN.read_text(encoding="utf-8")) if GOLDEN.is_file() else {}
    problems = regressions(results, recorded)
    for p in problems:
        print("regression:", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
