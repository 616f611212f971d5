"""qa/guard.py: failed logins are throttled per client with exponential back-off; uploads are capped.

Unit tests drive the clock by hand; the end-to-end tests hammer the real /login and /v1 routes of an
app served on 127.0.0.1 (about 40 requests in all) with short delays so they run in seconds.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

import app
from conftest import free_port
from qa.guard import Throttle, UploadQuota

USER, PASSWORD = "guard", "right-Pa55"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_backoff_doubles_after_the_free_attempts_and_is_capped():
    clock = Clock()
    throttle = Throttle(free=3, base_delay=1.0, max_delay=10.0, clock=clock)
    delays = [throttle.failure("a") for _ in range(9)]
    assert delays == [0, 0, 0, 1, 2, 4, 8, 10, 10]
    assert throttle.wait("a") == 10 and throttle.wait("b") == 0  # per client
    clock.now += 4
    assert throttle.wait("a") == 6
    throttle.success("a")
    assert throttle.wait("a") == 0 and throttle.failure("a") == 0  # a success starts over


def test_failures_are_forgotten_after_the_window():
    clock = Clock()
    throttle = Throttle(free=1, base_delay=1.0, window=60, clock=clock)
    assert [throttle.failure("a") for _ in range(3)] == [0, 1, 2]
    clock.now += 61
    assert throttle.failure("a") == 0


def test_upload_quota_counts_uploads_and_bytes_per_client():
    clock = Clock()
    quota = UploadQuota(max_uploads=3, max_bytes=100, window=60, clock=clock)
    assert [quota.admit("a", 10) for _ in range(3)] == [None, None, None]
    assert "上传过于频繁" in quota.admit("a", 10)
    assert quota.admit("b", 90) is None and "上传总量超过上限" in quota.admit("b", 20)
    clock.now += 61
    assert quota.admit("a", 10) is None and quota.admit("b", 90) is None


# -- against the served app ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(model_free_engine):
    demo = app.create_app(model_free_engine)
    app.launch(demo, auth=(USER, PASSWORD), throttle=Throttle(free=3, base_delay=0.4, max_delay=1.6),
               uploads=UploadQuota(max_uploads=3, max_bytes=10_000, window=600),
               server_name="127.0.0.1", server_port=free_port(), quiet=True, prevent_thread_lock=True)
    yield demo.local_url.rstrip("/")
    demo.close()


def request(url: str, data: bytes, headers: dict) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers, method="POST"),
                                    timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def login(base: str, password: str) -> tuple[int, dict, bytes]:
    form = urllib.parse.urlencode({"username": USER, "password": password}).encode()
    return request(f"{base}/login", form, {"Content-Type": "application/x-www-form-urlencoded"})


def test_thirty_wrong_logins_are_slowed_down(server):
    started = time.monotonic()
    statuses = [login(server, f"wrong-{i}")[0] for i in range(30)]
    assert statuses[:3] == [400, 400, 400]  # the free attempts
    assert statuses.count(429) >= 25  # then nearly every attempt is turned away at once
    status, headers, body = login(server, PASSWORD)  # even the right password waits out the back-off
    assert status == 429 and int(headers["retry-after"]) >= 1 and "秒后再试" in json.loads(body)["detail"]
    assert time.monotonic() - started < 20
    time.sleep(1.7)  # longer than max_delay
    assert login(server, PASSWORD)[0] == 200
    assert login(server, "wrong-again")[0] == 400  # the success cleared the record: free attempts again


def test_api_auth_failures_count_too(server):
    headers = {"Content-Type": "application/json", "Authorization": "Bearer nope"}
    body = json.dumps({"question": "警察抓了多少人？"}).encode()
    statuses = [request(f"{server}/v1/ask", body, headers)[0] for _ in range(6)]
    assert statuses[:3] == [401, 401, 401] and 429 in statuses
    time.sleep(1.7)
    ok = {"Content-Type": "application/json", "Authorization": f"Bearer {PASSWORD}"}
    status, _, reply = request(f"{server}/v1/ask", body, ok)
    answer = json.loads(reply)  # the model-free engine may answer or refuse: the login is what is tested
    assert status == 200 and answer["question"] == "警察抓了多少人？" and answer["answer"]


def test_uploads_are_capped_per_client(server):
    time.sleep(1.7)
    assert login(server, PASSWORD)[0] == 200
    import http.cookiejar

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = urllib.parse.urlencode({"username": USER, "password": PASSWORD}).encode()
    opener.open(urllib.request.Request(f"{server}/login", data=form), timeout=30)
    statuses = []
    for i in range(5):
        boundary = uuid.uuid4().hex
        payload = (f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="f{i}.jsonl"\r\n'
                   f"Content-Type: application/octet-stream\r\n\r\n{{}}\r\n--{boundary}--\r\n").encode()
        try:
            with opener.open(urllib.request.Request(f"{server}/gradio_api/upload", data=payload, method="POST",
                             headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}), timeout=30) as r:
                statuses.append(r.status)
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)
            message = json.loads(exc.read())["detail"]
    assert statuses == [200, 200, 200, 429, 429] and "上传过于频繁" in message
