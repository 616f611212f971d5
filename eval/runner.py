"""Run an eval set through the engine (and its baselines) and write predictions, summary, report, chart."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from eval.dataset import EvalItem
from eval.scoring import ItemScore, retrieval_metrics, score_item, summarize
from index.store import write_atomic

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Variant:
    """One configuration of the engine compared in `--compare`."""

    name: str
    retrieval: str
    answer_mode: str
    description: str


FULL = Variant("full", "hybrid", "facts", "hybrid retrieval + fact table (the product)")
VARIANTS = (
    FULL,
    Variant("hybrid_no_facts", "hybrid", "sentences", "hybrid retrieval, answer from the best sentence, no fact table"),
    Variant("dense_only", "dense", "facts", "dense retrieval only (FAISS), fact table"),
    Variant("bm25_only", "bm25", "facts", "BM25 (jieba) retrieval only, fact table"),
    Variant("naive_passage", "dense", "passage", "top dense chunk as the answer, like a retrieval chain without an LLM"),
)


@dataclass
class EvalRun:
    """Answers and scores of one variant over a dataset."""

    variant: Variant
    items: list[EvalItem]
    answers: list = field(default_factory=list)
    scores: list[ItemScore] = field(default_factory=list)
    summary: dict = field(default_factory=dict)


def _history(item: EvalItem) -> list[dict]:
    return [{"role": t.role, "content": t.content} for t in item.history]


def run_eval(engine, items: Sequence[EvalItem], *, variant: Variant = FULL, progress: Progress | None = None) -> EvalRun:
    """Ask every question (with its history) and score it; `engine` must already be configured."""
    run = EvalRun(variant, list(items))
    ranked = []
    for i, item in enumerate(items):
        answer, texts = engine.ask_ranked(item.question, _history(item), k=5)
        run.answers.append(answer)
        run.scores.append(score_item(item, answer))
        ranked.append(texts)
        if progress:
            progress(i + 1, len(items), variant.name)
    answerable = [(it, r) for it, r in zip(items, ranked) if it.evidence]
    retrieval = retrieval_metrics([a for a, _ in answerable], [r for _, r in answerable]) if answerable else None
    run.summary = summarize(run.scores, retrieval=retrieval)
    return run


def run_variants(engine, items: Sequence[EvalItem], variants: Sequence[Variant] = (FULL,), *,
                 progress: Progress | None = None) -> list[EvalRun]:
    """Run several variants on the same loaded model and index."""
    runs = []
    for variant in variants:
        runs.append(run_eval(engine.variant(retrieval=variant.retrieval, answer_mode=variant.answer_mode), items,
                             variant=variant, progress=progress))
    return runs


# -- outputs -----------------------------------------------------------------------------

METRICS = (("accuracy", "overall", "accuracy"), ("figure acc.", "overall", "figure_accuracy"),
           ("text acc.", "overall", "text_accuracy"), ("citation acc.", "overall", "citation_accuracy"),
           ("refusal recall", "refusal", "recall"), ("false refusals", "refusal", "false_refusal_rate"),
           ("hit@3", "retrieval", "hit@3"), ("MRR", "retrieval", "mrr"))


def metric(summary: dict, group: str, key: str) -> float | None:
    return (summary.get(group) or {}).get(key)


def _fmt(value) -> str:
    return "–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def metrics_table(runs: Sequence[EvalRun]) -> str:
    """Markdown table: one row per variant, one column per metric, plus latency."""
    head = "| variant | " + " | ".join(m[0] for m in METRICS) + " | p50 ms | p95 ms |"
    rows = [head, "|" + "---|" * (len(METRICS) + 3)]
    for run in runs:
        s = run.summary
        cells = [_fmt(metric(s, g, k)) for _, g, k in METRICS]
        lat = s.get("latency_ms", {})
        rows.append(f"| {run.variant.name} | " + " | ".join(cells) + f" | {_fmt(lat.get('p50'))} | {_fmt(lat.get('p95'))} |")
    return "\n".join(rows)


def breakdown_table(summary: dict, key: str, title: str) -> list[str]:
    """Accuracy per style or per tag (what `summarize` puts under by_style / by_tag)."""
    groups = summary.get(key) or {}
    if not groups:
        return []
    lines = [f"### {title}", "", "| group | n | accuracy | figure acc. | text acc. | refusal acc. |", "|---|---|---|---|---|---|"]
    for name, g in groups.items():
        lines.append(f"| {name} | {g['n']} | {_fmt(g['accuracy'])} | {_fmt(g['figure_accuracy'])} | "
                     f"{_fmt(g['text_accuracy'])} | {_fmt(g['refusal_accuracy'])} |")
    return lines + [""]


def report_markdown(runs: Sequence[EvalRun], *, dataset: str) -> str:
    main = runs[0]
    lines = [f"# Eval report: {dataset}", "", f"{len(main.items)} questions.", "", metrics_table(runs), "",
             "Variants:", *[f"- **{r.variant.name}**: {r.variant.description}" for r in runs], "",
             *breakdown_table(main.summary, "by_style", "By style"),
             *breakdown_table(main.summary, "by_tag", "By tag"),
             f"## Failed questions ({main.variant.name})", ""]
    by_id = {it.id: it for it in main.items}
    for score, answer in zip(main.scores, main.answers):
        if score.correct and score.citation_ok is not False:
            continue
        item = by_id[score.id]
        got = [f.text for f in answer.figures]
        lines += [f"### {item.id} ({item.kind}) {item.question}",
                  *([f"- history: {' / '.join(t.content[:60] for t in item.history)}"] if item.history else []),
                  f"- expected: {', '.join(item.answers) or '(refusal)'}; evidence: {item.evidence or '–'}",
                  f"- got: found={answer.found}, figures={got}, short={answer.short_answer!r}, "
                  f"confidence={getattr(answer, 'confidence', 0.0)}, reason={getattr(answer, 'reason', '')!r}",
                  f"- why: {'; '.join(score.reasons)}", ""]
    return "\n".join(lines)


def prediction_record(item: EvalItem, answer) -> dict:
    return {"id": item.id, "question": item.question, "answer": answer.answer, "short_answer": answer.short_answer,
            "figures": [f.__dict__ for f in answer.figures], "found": answer.found,
            "citations": [c.__dict__ for c in answer.citations], "latency_ms": answer.latency_ms}


def write_chart(runs: Sequence[EvalRun], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = [m[0] for m in METRICS]
    x = np.arange(len(names))
    width = 0.8 / max(1, len(runs))
    fig, ax = plt.subplots(figsize=(11, 4.5))
    for i, run in enumerate(runs):
        values = [metric(run.summary, g, k) or 0.0 for _, g, k in METRICS]
        ax.bar(x + i * width - 0.4 + width / 2, values, width, label=run.variant.name)
    ax.set_xticks(x, names, rotation=20)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.set_title("Eval metrics per configuration")
    ax.legend(fontsize=8, ncols=min(5, len(runs)), loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False)
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, path)


def write_outputs(runs: Sequence[EvalRun], out_dir: Path, *, dataset: str) -> dict[str, Path]:
    """predictions.jsonl (first run), summary.json (all runs), report.md, metrics.png."""
    out_dir.mkdir(parents=True, exist_ok=True)
    main = runs[0]
    paths = {name: out_dir / name for name in ("predictions.jsonl", "summary.json", "report.md", "metrics.png")}
    lines = "".join(json.dumps(prediction_record(i, a), ensure_ascii=False) + "\n" for i, a in zip(main.items, main.answers))
    write_atomic(paths["predictions.jsonl"], lines.encode("utf-8"))
    summary = {"dataset": dataset, "variants": {r.variant.name: {"description": r.variant.description, **r.summary}
                                                for r in runs}}
    write_atomic(paths["summary.json"], json.dumps(summary, ensure_ascii=False, indent=2).encode("utf-8"))
    write_atomic(paths["report.md"], report_markdown(runs, dataset=dataset).encode("utf-8"))
    write_chart(runs, paths["metrics.png"])
    return paths
