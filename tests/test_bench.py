"""eval/bench.py helpers, a small end-to-end run of `python -m eval.bench`, and the optional ONNX encoder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from eval import bench

REPO = Path(__file__).resolve().parent.parent


def test_percentile_matches_numpy():
    values = [5.0, 1.0, 3.0, 2.0, 4.0, 10.0, 7.5]
    for q in (0, 25, 50, 95, 99, 100):
        assert bench.percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_vm_status_reads_proc():
    status = bench.vm_status()
    assert 0 < status["VmRSS"] <= status["VmHWM"]


def test_targets_pass_and_fail():
    result = {"machine": {"cores": 2, "cpu": "x", "torch_threads": 2, "python": "3.11", "versions": {},
                          "loadavg_at_start": [0.1]},
              "build": {"model_conversion_s": 3.0, "model_load_s": 1.0, "index_build_s": 6.0, "chunks": 64,
                        "model_dir_bytes": 1, "index_bytes": 1},
              "memory": {"after_load": {"VmRSS": 2 * 1024 ** 3, "VmHWM": 2 * 1024 ** 3}},
              "latency": {"questions": 2, "accuracy": 1.0, "ask_p50_over_embed_p50": 1.2, "loadavg_before_after": [0, 0],
                          "ask": {"p50_ms": 24, "p95_ms": 30, "p99_ms": 31},
                          "embed_one_query": {"p50_ms": 20, "p95_ms": 25, "p99_ms": 26}},
              "api": [{"clients": 16, "requests": 4, "ok": 3, "errors": 1, "error_samples": ["AppError: x"],
                       "throughput_rps": 2.0, "p50_ms": 10.0, "p95_ms": 20.0}]}
    result["targets"] = bench.targets(result)
    assert [t["pass"] for t in result["targets"].values()] == [True, False, False]
    table = bench.render_table(result)
    assert "PASS  ask_p50_le_1.5x_embed" in table and "FAIL  zero_errors_at_16_clients" in table
    assert "AppError: x" in table


@pytest.mark.integration
def test_bench_runs_with_one_command(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, "-m", "eval.bench", "--out", str(out), "--limit", "4", "--requests", "3",
                           "--levels", "1,2"], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["build"]["model_conversion_s"] > 0 and result["build"]["index_build_s"] > 0
    assert result["build"]["model_dir_bytes"] > 100 * 1024 ** 2 and result["build"]["index_bytes"] > 0
    assert result["memory"]["after_load"]["VmRSS"] > result["memory"]["after_warm_up"]["VmRSS"] > 0
    assert result["latency"]["questions"] == 4 and result["latency"]["ask"]["p50_ms"] > 0
    assert [r["clients"] for r in result["api"]] == [1, 2] and all(r["errors"] == 0 for r in result["api"])
    assert "targets" in done.stdout and "ask p50 / embed p50" in done.stdout


@pytest.mark.integration
def test_onnx_query_encoder_matches_torch(real_embedder):
    from index.onnx_embedding import OnnxQueryEmbedder, available

    if available():
        pytest.skip(available())
    onnx = OnnxQueryEmbedder(real_embedder)
    questions = ["公安机关抓获了多少名犯罪嫌疑人？", "  海关 ", "专利" * 400, "How many?", "x"]
    assert onnx.model_id == real_embedder.model_id and onnx.dimension == real_embedder.dimension
    assert np.abs(onnx.embed_queries(questions) - real_embedder.embed_queries(questions)).max() < 1e-5
