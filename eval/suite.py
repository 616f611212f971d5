"""Every question set of a list through the engine, one row per set: the figures issue #10 asks for.

    python -m eval.suite                      # the training sets (eval/training.toml)
    python -m eval.suite --sets reserved      # the reserved sets (eval/reserved.toml), once per round
    python -m eval.suite --sets dev           # sets looked at but not fitted on (eval/dev.toml)
    python -m eval.suite --json runs/suite.json

Per set: questions, accuracy, figure accuracy, false refusals (share of answerable questions
refused), refusal recall (share of unanswerable questions refused), wrong answers (a figure or
sentence given where the truth is another one or a refusal, as a share of all questions), and the
accuracy of questions written in traditional characters. One engine is loaded per report.

>>> row = set_row("s", {"n": 2, "overall": {"accuracy": 0.5}, "by_kind": {"figure": {"figure_accuracy": 1.0}},
...                     "by_style": {}, "refusal": {"false_refusal_rate": 0.0, "recall": None}}, wrong=1)
>>> row["wrong_rate"], row["traditional"]
(0.5, None)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tomllib
from pathlib import Path
from typing import Sequence

from index.settings import REPO_ROOT

LISTS = {"training": REPO_ROOT / "eval" / "training.toml", "reserved": REPO_ROOT / "eval" / "reserved.toml",
         "dev": REPO_ROOT / "eval" / "dev.toml"}
COLUMNS = ("n", "accuracy", "figure_accuracy", "false_refusals", "refusal_recall", "wrong_rate", "traditional")


def load_list(path: Path) -> list[dict]:
    """The [[set]] entries of a list file, paths made absolute."""
    sets = tomllib.loads(Path(path).read_text(encoding="utf-8"))["set"]
    return [{**s, "corpus": REPO_ROOT / s["corpus"], "dataset": REPO_ROOT / s["dataset"]} for s in sets]


def wrong_answers(scores) -> int:
    """Answers given where the truth is another answer or a refusal."""
    answered_wrong = sum(1 for s in scores if s.kind != "unanswerable" and s.refusal_ok and not s.correct)
    return answered_wrong + sum(1 for s in scores if s.kind == "unanswerable" and not s.refusal_ok)


def set_row(name: str, summary: dict, *, wrong: int) -> dict:
    n = summary["n"]
    traditional = summary["by_style"].get("traditional", {})
    return {"set": name, "n": n, "accuracy": summary["overall"]["accuracy"],
            "figure_accuracy": summary["by_kind"].get("figure", {}).get("figure_accuracy"),
            "false_refusals": summary["refusal"]["false_refusal_rate"], "refusal_recall": summary["refusal"]["recall"],
            "wrong_rate": wrong / n if n else None, "traditional": traditional.get("accuracy")}


def markdown(rows: Sequence[dict]) -> str:
    def cell(v) -> str:
        return "–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)

    lines = ["| set | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    lines += ["| " + " | ".join([r["set"], *(cell(r[c]) for c in COLUMNS)]) + " |" for r in rows]
    return "\n".join(lines)


def pooled(rows: Sequence[dict], runs: Sequence) -> dict:
    """One row over every question of the runs (micro-averaged)."""
    from eval.scoring import summarize

    scores = [s for run in runs for s in run.scores]
    return set_row("all", summarize(scores), wrong=wrong_answers(scores))


def main(argv: Sequence[str] | None = None) -> int:
    from index.embedding import make_embedder
    from index.settings import add_common_args

    parser = argparse.ArgumentParser(prog="python -m eval.suite", description=__doc__.splitlines()[0])
    parser.add_argument("--sets", choices=sorted(LISTS), default="training")
    parser.add_argument("--round", type=int, help="only the sets of this round (reserved sets)")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    add_common_args(parser, os.environ)
    args = parser.parse_args(argv)
    from eval.dataset import load_dataset
    from eval.runner import run_eval
    from qa.engine import EngineConfig, QAEngine

    sets = [s for s in load_list(LISTS[args.sets]) if args.round is None or s.get("round") == args.round]
    embedder = make_embedder(args.model, cache_dir=args.cache_dir, encoder=args.encoder)
    engines, rows, runs = {}, [], []
    for s in sets:
        if s["corpus"] not in engines:
            engines[s["corpus"]] = QAEngine(EngineConfig(corpus=s["corpus"], cache_dir=args.cache_dir, model=args.model),
                                            embedder=embedder)
        run = run_eval(engines[s["corpus"]], load_dataset(s["dataset"]))
        runs.append(run)
        name = s["dataset"].stem + (f" (round {s['round']})" if "round" in s else "")
        rows.append(set_row(name, run.summary, wrong=wrong_answers(run.scores)))
        print(f"{name}: {run.summary['overall']['correct']}/{run.summary['n']}", file=sys.stderr)
    rows.append(pooled(rows, runs))
    print(markdown(rows))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
