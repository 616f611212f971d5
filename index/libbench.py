"""Timing of the knowledge base at 1, 10 and 100 reports: add, load, combine, one search, memory.

    python -m index.libbench [--counts 1,10,100] [--cache-dir DIR] [--model M]

The default report plus synthetic copies of it (index/synthetic.py) make up N reports.
For each N it prints the seconds to add the missing copies (each one embedded and its
fact table built), to load every report's index and fact-table path (`load_reports`),
to concatenate them into one FAISS index (`CombinedIndex`), the median time of one
dense search over all chunks (the query already embedded), and the process's VmRSS.
The answering engine's own latency at N reports is measured once it uses this index.

Measured on 2 cores with the real model (README, "The report library"): 100 reports,
6502 chunks: load_reports 0.11 s, combine 36 ms, one search 2.3 ms, +34 MiB resident.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Sequence

from index.settings import add_common_args, default_report_meta


def rss_mib() -> float:
    """Resident memory of this process in MiB (Linux /proc), 0 when unknown."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _counts(text: str) -> list[int]:
    try:
        counts = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        counts = []
    if not counts or counts[0] < 1 or counts[-1] > 1000:
        raise ValueError(f"--counts={text!r} must be whole numbers from 1 to 1000, e.g. 1,10,100")
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index.libbench", description=__doc__.split("\n")[0])
    add_common_args(parser, os.environ)
    parser.add_argument("--counts", default="1,10,100", help="numbers of reports to measure at (default 1,10,100)")
    parser.add_argument("--queries", type=int, default=50, help="searches to time at each count")
    args = parser.parse_args(argv)
    try:
        counts = _counts(args.counts)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    from index.embedding import SentenceTransformerEmbedder
    from index.library import ReportLibrary
    from index.reports import CombinedIndex, load_reports
    from index.synthetic import add_synthetic_copies
    from qa.engine import build_spec

    library = ReportLibrary(args.cache_dir, default_corpus=args.corpus, default_meta=default_report_meta(args.corpus))
    spec = build_spec(chunk_size=args.chunk_size)
    embedder = SentenceTransformerEmbedder(args.model, cache_dir=args.cache_dir, progress=False)
    embedder.warm_up()
    query = embedder.embed_queries(["公安机关抓获了多少名犯罪嫌疑人？"])
    default = library.records()[0]
    print("| reports | chunks | add missing copies (s) | load_reports (s) | combine (s) | search p50 (ms) | VmRSS (MiB) |")
    print("|---|---|---|---|---|---|---|")
    for count in counts:
        started = time.perf_counter()
        add_synthetic_copies(library, default, count - 1, embedder=embedder, spec=spec)
        added = time.perf_counter() - started
        wanted = {default.id} | {r.id for r in library.records() if r.title.endswith(
            tuple(f"（合成副本{n}）" for n in range(1, count)))}
        started = time.perf_counter()
        reports = [r for r in load_reports(library, embedder, spec) if r.record.id in wanted]
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        combined = CombinedIndex.from_reports(reports)
        combining = time.perf_counter() - started
        timings = []
        for _ in range(args.queries):
            started = time.perf_counter()
            combined.search(query, len(combined.chunks))
            timings.append((time.perf_counter() - started) * 1000)
        print(f"| {len(reports)} | {len(combined.chunks)} | {added:.1f} | {loaded:.2f} | {combining:.3f} | "
              f"{statistics.median(timings):.2f} | {rss_mib():.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
