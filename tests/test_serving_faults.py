"""Serving faults: closed or broken stdout/stderr, hostile history, one log line per user error.

`python app.py` runs for real in a child process (its embedder swapped for the FakeEmbedder, so no
model is needed); the tests cut its terminal away and then check that every request still gets an
answer. The in-process tests look at what a user error leaves in the log.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

import app
from conftest import free_port, serving

REPO = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
NESTED = "[" * 5000 + "]" * 5000
# `python app.py` with the FakeEmbedder: python -c CHILD <cache> <port>
CHILD = f"""
import sys
sys.path[:0] = [{str(REPO)!r}, {str(TESTS)!r}]
from conftest import FakeEmbedder
import index.embedding
index.embedding.make_embedder = lambda *args, **kwargs: FakeEmbedder()
import app
sys.exit(app.main(["--cache-dir", sys.argv[1], "--port", sys.argv[2]]))
"""


def wait_until_serving(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the app exited during start"
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise AssertionError("the app did not start")


def post_json(url: str, body: bytes, timeout: float = 30) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def gradio_call(url: str, question: str, history: str, timeout: float = 30) -> str:
    """POST /gradio_api/call/ask, then read its event stream: the complete or error event."""
    status, body = post_json(f"{url}/gradio_api/call/ask", json.dumps({"data": [question, history]}).encode())
    assert status == 200, body
    event_id = json.loads(body)["event_id"]
    with urllib.request.urlopen(f"{url}/gradio_api/call/ask/{event_id}", timeout=timeout) as response:
        events = response.read().decode("utf-8")
    # The data lines are JSON with \\u escapes: decode them so the Chinese can be read.
    return "\n".join(json.dumps(json.loads(line[5:]), ensure_ascii=False) if line.startswith("data:") else line
                     for line in events.splitlines())


def exercise(url: str) -> None:
    """A bad history through both APIs, then a good question: each gets its answer."""
    events = gradio_call(url, "海关扣了多少货？", "[not json")
    assert "event: error" in events and "不是有效的 JSON" in events
    status, body = post_json(f"{url}/v1/ask", json.dumps({"question": "x", "history": "oops"}).encode())
    assert status == 400 and "history 应为 JSON 数组" in json.loads(body)["error"]["message"]
    status, body = post_json(f"{url}/v1/ask", json.dumps({"question": "公安机关抓获了多少名犯罪嫌疑人？"}).encode())
    assert status == 200 and json.loads(body)["short_answer"] == "564名"


@pytest.mark.parametrize("how", ["broken-pipes", "closed-at-start"])
def test_requests_do_not_depend_on_stdout_and_stderr(how, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IPQA_", "GRADIO_"))}
    if how == "broken-pipes":  # the terminal went away after the start: every write now fails with EPIPE
        proc = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path), str(port)], cwd=REPO, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    else:  # started with both descriptors closed (`app.py >&- 2>&-`)
        proc = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path), str(port)], cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                preexec_fn=lambda: (os.close(1), os.close(2)))
    try:
        wait_until_serving(url, proc)
        if how == "broken-pipes":
            proc.stdout.close()
            proc.stderr.close()
        for _ in range(2):
            exercise(url)
        assert proc.poll() is None
    finally:
        proc.kill()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def engine(model_free_engine):
    return model_free_engine


@pytest.fixture(scope="module")
def served(engine):
    with serving(app.create_app(engine)) as url:
        yield url


def test_nested_history_is_a_chinese_error_not_a_recursion(served):
    with pytest.raises(AppError, match="嵌套过深"):
        Client(served, verbose=False).predict("海关扣了多少货？", NESTED, api_name="/ask")
    events = gradio_call(served, "海关扣了多少货？", NESTED)
    assert "event: error" in events and "RecursionError" not in events


def test_a_user_error_is_one_log_line_without_traceback(served, caplog, capfd):
    caplog.set_level(logging.INFO)
    capfd.readouterr()
    with pytest.raises(AppError, match="history_json 应为 JSON 数组"):
        Client(served, verbose=False).predict("海关扣了多少货？", '{"role": "user"}', api_name="/ask")
    time.sleep(0.3)
    ours = [r for r in caplog.records if r.name.startswith("ipqa")]
    assert len(ours) == 1 and ours[0].getMessage().startswith("user error: /ask") and ours[0].exc_info is None
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    assert all(r.levelno < logging.WARNING for r in caplog.records if r.name.startswith(("gradio", "uvicorn")))


def test_sigterm_is_reported_and_sighup_does_not_stop_the_server(tmp_path):
    import signal

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IPQA_", "GRADIO_"))}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path), str(port)], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_until_serving(url, proc)
        proc.send_signal(signal.SIGHUP)
        time.sleep(1)
        assert proc.poll() is None
        status, body = post_json(f"{url}/v1/ask", json.dumps({"question": "公安机关抓获了多少名犯罪嫌疑人？"}).encode())
        assert status == 200
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert "SIGHUP" in err and "stopped by SIGTERM" in err and "已停止（收到 SIGTERM）" in err
