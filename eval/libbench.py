"""Ask latency and memory of the report library at 1, 10 and 100 reports, measured in one run.

    python -m eval.libbench [--counts 1,10,100] [--dataset eval/qa.jsonl] [--limit N] [--cache-dir …] [--encoder …]

N reports are the default report and N−1 synthetic copies of it (index/synthetic.py: another
place and year in the title and text, the same figures), kept in a library folder of the
bench's own under the cache: built once (embedding dominates), reused by later runs. One
LibraryEngine per N is loaded in this process, each with its own query memo; the seconds to
load it and the resident memory it adds are recorded. Then every question of --dataset is
asked of each engine in turn (so load from other processes hits every N alike), twice:

* as written — it names no report, so one search over all N reports picks them and up to
  MAX_ASKED copies answer (they all say the same: the slowest case short of naming a report);
* with the default report's place in front (天津市…) — the place picks one report.

Also the median of one dense search over every chunk of the N reports (the query embedded).
The target of issue 13: ask p50 with 10 reports at most 2× the one-report figure. The load
average is printed at the start and the end; compare runs only at a similar load.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Sequence

from eval.bench import DEFAULT_DATASET, MiB, _history, dir_mib
from eval.loadgen import summary, vm_status
from index.settings import REPO_ROOT, add_common_args, default_report_meta
from index.store import write_atomic

FOLDER = "bench-library"
TARGET = 2.0  # ask p50 at 10 reports / at 1 report


def counts_arg(text: str) -> list[int]:
    try:
        counts = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        counts = []
    if not counts or counts[0] < 1 or counts[-1] > 1000:
        raise ValueError(f"--counts={text!r} must be whole numbers from 1 to 1000, e.g. 1,10,100")
    return counts


def rss_mib() -> float:
    return round(vm_status()["VmRSS"] / MiB, 1)


def _search_ms(engine, query: str, repeat: int = 30) -> float:
    shelf = engine.shelf
    if shelf.retriever is None:  # one report: its own index
        index, vector = engine.default.index, engine.embedder.embed_queries([query])
    else:
        index, vector = shelf.retriever.index, engine.embedder.embed_queries([query])
    timings = []
    for _ in range(repeat):
        began = time.perf_counter()
        index.search(vector, len(index.chunks))
        timings.append(time.perf_counter() - began)
    return summary(timings)["p50_ms"]


def run(args, log=lambda message: print(message, file=sys.stderr, flush=True)) -> dict:
    from eval.dataset import load_dataset
    from index.embedding import make_embedder
    from index.library import ReportLibrary
    from index.synthetic import add_synthetic_copies
    from qa.console import tune_threads
    from qa.engine import EngineConfig, build_spec
    from qa.library_engine import MAX_ASKED, LibraryEngine

    tune_threads()
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)
    counts = counts_arg(args.counts)
    items = load_dataset(args.dataset)[: args.limit]
    result = {"loadavg_at_start": [round(x, 2) for x in os.getloadavg()], "counts": counts,
              "questions": len(items), "max_asked": MAX_ASKED, "cpus": os.cpu_count()}
    config = EngineConfig(corpus=args.corpus, cache_dir=args.cache_dir, model=args.model, chunk_size=args.chunk_size,
                          encoder=args.encoder)
    embedder = make_embedder(args.model, cache_dir=args.cache_dir, encoder=args.encoder, log=log)
    embedder.warm_up()
    result["encoder"] = getattr(embedder, "encoder", "") or args.encoder
    library = ReportLibrary(args.cache_dir, default_corpus=args.corpus, default_meta=default_report_meta(args.corpus),
                            folder=FOLDER, log=log)
    default = library.records()[0]
    began = time.perf_counter()
    copies = add_synthetic_copies(library, default, counts[-1] - 1, embedder=embedder, spec=build_spec(),
                                  log=log)
    result["add_copies_s"] = round(time.perf_counter() - began, 1)
    result["disk_mib_per_report"] = round(dir_mib(library.reports_dir) / len(library.records()), 3)
    rss = rss_mib()
    result["rss_mib_model_only"] = rss
    engines, per = {}, {}
    for n in counts:
        began = time.perf_counter()
        engine = LibraryEngine(config, library, embedder=embedder, only=frozenset(r.id for r in copies[: n - 1]))
        engine.warm_up()
        loaded = time.perf_counter() - began
        now = rss_mib()
        engines[n] = engine
        chunks = sum(len(e.index.chunks) for e in engine.shelf.engines.values())
        per[n] = {"reports": len(engine.shelf.engines), "chunks": chunks, "load_s": round(loaded, 2),
                  "rss_added_mib": round(now - rss, 1), "rss_mib_model_plus_this": round(result["rss_mib_model_only"]
                                                                                        + now - rss, 1)}
        rss = now
        log(f"{n} reports loaded in {loaded:.1f} s, +{per[n]['rss_added_mib']} MiB")
    place = default.place or ""
    for n, engine in engines.items():  # warm up: tokenizer, jieba, every report's first question
        for item in items[:3]:
            engine.ask(item.question, _history(item))
            engine.ask(place + item.question, _history(item))
        engine.embedder.clear()
        per[n]["search_p50_ms"] = _search_ms(engine, items[0].question)
    timings = {n: {"unnamed": [], "named": []} for n in counts}
    for i, item in enumerate(items):
        for kind, question in (("unnamed", item.question), ("named", place + item.question)):
            for n, engine in engines.items():
                began = time.perf_counter()
                engine.ask(question, _history(item))
                timings[n][kind].append(time.perf_counter() - began)
        if (i + 1) % 25 == 0:
            log(f"asked {i + 1}/{len(items)}")
    for n in counts:
        per[n]["ask_unnamed"] = summary(timings[n]["unnamed"])
        per[n]["ask_named"] = summary(timings[n]["named"])
    result["per_count"] = per
    one, ten = per.get(1), per.get(10)
    if one and ten:
        result["ask_p50_10_over_1"] = {k: round(ten[k]["p50_ms"] / one[k]["p50_ms"], 2)
                                       for k in ("ask_unnamed", "ask_named")}
        result["target_met"] = all(v <= TARGET for v in result["ask_p50_10_over_1"].values())
    result["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return result


def render_table(result: dict) -> str:
    lines = [f"encoder {result['encoder']}, {result['questions']} questions each way, {result['cpus']} CPUs, "
             f"load average at start {result['loadavg_at_start']}, at end {result['loadavg_at_end']}", "",
             "| reports | chunks | load (s) | memory added (MiB) | one dense search (ms) | ask p50 / p95, naming none (ms) "
             "| ask p50 / p95, naming one (ms) |", "|---|---|---|---|---|---|---|"]
    for n, p in result["per_count"].items():
        lines.append(f"| {p['reports']} | {p['chunks']} | {p['load_s']} | {p['rss_added_mib']} | {p['search_p50_ms']} | "
                     f"{p['ask_unnamed']['p50_ms']} / {p['ask_unnamed']['p95_ms']} | "
                     f"{p['ask_named']['p50_ms']} / {p['ask_named']['p95_ms']} |")
    lines += ["", f"the embedding model alone: {result['rss_mib_model_only']} MiB resident; "
                  f"disk per report {result['disk_mib_per_report']} MiB"]
    if "ask_p50_10_over_1" in result:
        lines.append(f"ask p50 at 10 reports / at 1: {result['ask_p50_10_over_1']} (target ≤ {TARGET}: "
                     f"{'met' if result['target_met'] else 'NOT met'})")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m eval.libbench", description=__doc__.split("\n")[0])
    add_common_args(parser, os.environ)
    parser.add_argument("--counts", default="1,10,100", help="numbers of reports (default 1,10,100)")
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET, help="questions (default eval/qa.jsonl)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    parser.add_argument("--torch-threads", type=int, default=0, help="torch threads for the fp32 encoder (0: torch's)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "runs" / "libbench.json", help="JSON results")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    import json

    args = build_parser().parse_args(argv)
    try:
        result = run(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(args.out, json.dumps(result, ensure_ascii=False, indent=2).encode("utf-8"))
    print(render_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
