"""Benchmark helpers: run `app.py` as a real server process, and load its HTTP endpoints from threads.

`AppProcess` starts ``python app.py --cache-dir … --port …``, timestamps every line it prints on
stderr, and returns once it prints 正在服务 (so a cold start shows how long the start took and the
longest silence between two progress lines). `load_level` sends N POST requests from C client
threads, each with its own keep-alive `httpx.Client`, and reports p50/p95, throughput and errors.

>>> summary([0.010, 0.020, 0.030])["p50_ms"]
20.0
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Sequence

from eval import scoring

REPO = Path(__file__).resolve().parent.parent
SERVING = "正在服务"
REQUEST_TIMEOUT = 60.0


def percentile(values: Sequence[float], q: float) -> float:
    value = scoring.percentile(values, q)
    return float("nan") if value is None else value


def summary(seconds: Sequence[float]) -> dict:
    ms = lambda x: round(x * 1000, 2)  # noqa: E731
    return {"n": len(seconds), "p50_ms": ms(percentile(seconds, 50)), "p95_ms": ms(percentile(seconds, 95)),
            "p99_ms": ms(percentile(seconds, 99)), "max_ms": ms(max(seconds, default=float("nan")))}


def vm_status(pid: str | int = "self") -> dict:
    """VmRSS and VmHWM (peak RSS) in bytes, from /proc/<pid>/status."""
    out = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) * 1024
    return out


class AppProcess:
    """`with AppProcess(cache, port) as server:` — a real `python app.py`, stopped with SIGINT afterwards."""

    def __init__(self, cache: Path, port: int, *, extra: Sequence[str] = (), timeout: float = 600) -> None:
        self.cache, self.port, self.extra, self.timeout = Path(cache), port, list(extra), timeout
        self.lines: list[tuple[float, str]] = []
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> "AppProcess":
        env = {k: v for k, v in os.environ.items() if not k.startswith(("IPQA_AUTH", "GRADIO_"))}
        self.started = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, str(REPO / "app.py"), "--cache-dir", str(self.cache),
                                      "--port", str(self.port), *self.extra], cwd=REPO, env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True, encoding="utf-8", errors="replace")
        ready = threading.Event()
        self._new_line = threading.Condition()

        def read() -> None:
            for line in self.proc.stderr:
                with self._new_line:
                    self.lines.append((time.monotonic() - self.started, line.rstrip("\n")))
                    self._new_line.notify_all()
                if line.startswith(SERVING):
                    ready.set()
            ready.set()
            with self._new_line:
                self._new_line.notify_all()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(self.timeout) or self.proc.poll() is not None:
            tail = "\n".join(text for _, text in self.lines[-5:])
            self.__exit__()
            raise RuntimeError(f"app.py did not start: {tail}")
        self.seconds_to_serving = next(t for t, text in self.lines if text.startswith(SERVING))
        return self

    def wait_for(self, *texts: str, timeout: float = 600) -> tuple[float, str] | None:
        """(seconds since start, line) of the first line containing one of `texts`, waiting up to `timeout`."""
        deadline = time.monotonic() + timeout
        with self._new_line:
            while True:
                found = next(((t, line) for t, line in self.lines if any(x in line for x in texts)), None)
                left = deadline - time.monotonic()
                if found or left <= 0 or self.proc.poll() is not None:
                    return found
                self._new_line.wait(min(left, 1.0))

    def max_silence(self) -> float:
        """Longest time without a line on stderr until serving (the first line counts from the start)."""
        times = [0.0] + [t for t, _ in self.lines if t <= self.seconds_to_serving]
        return max(b - a for a, b in zip(times, times[1:]))

    def memory(self) -> dict:
        return vm_status(self.proc.pid)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) of the server and of the children it waited for (the int8 build)."""
        fields = open(f"/proc/{self.proc.pid}/stat", encoding="ascii").read().rsplit(")", 1)[1].split()
        return round(sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK"), 2)

    def loaded(self, library: str) -> bool:
        """Whether a shared library whose path contains `library` is mapped (e.g. libtorch)."""
        with open(f"/proc/{self.proc.pid}/maps", encoding="utf-8", errors="replace") as handle:
            return any(library in line for line in handle)

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def load_level(url: str, bodies: Sequence[dict], *, clients: int, requests: int, headers: dict | None = None) -> dict:
    """`requests` POSTs of `bodies` (round robin) from `clients` threads at once."""
    import httpx

    lock, latencies, errors = threading.Lock(), [], []
    counter = iter(range(requests))
    barrier = threading.Barrier(clients + 1)

    def client_loop() -> None:
        with httpx.Client(timeout=REQUEST_TIMEOUT, headers=headers) as client:
            try:
                client.post(url, json=bodies[0])  # connect and warm this client's connection
            except Exception:  # noqa: BLE001 — the timed requests below will fail and be counted
                pass
            barrier.wait()
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                began = time.perf_counter()
                try:
                    response = client.post(url, json=bodies[i % len(bodies)])
                    if response.status_code != 200:
                        raise ValueError(f"HTTP {response.status_code}: {response.text[:80]}")
                except Exception as exc:  # noqa: BLE001 — counted and reported, the run goes on
                    with lock:
                        errors.append(f"{exc.__class__.__name__}: {str(exc)[:120]}")
                    continue
                with lock:
                    latencies.append(time.perf_counter() - began)

    threads = [threading.Thread(target=client_loop, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join(REQUEST_TIMEOUT * requests)
    wall = time.perf_counter() - began
    return {"clients": clients, "requests": requests, "ok": len(latencies), "errors": len(errors),
            "error_samples": sorted(set(errors))[:5], "wall_s": round(wall, 3),
            "throughput_rps": round(len(latencies) / wall, 2) if wall else None, **summary(latencies)}
