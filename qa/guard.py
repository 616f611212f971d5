"""ASGI middleware in front of the app: login throttling per client, and upload caps.

Failed logins — a 400 from Gradio's ``POST /login``, a 401 from the /v1 API — are counted per
client address. After `free` failures a client must wait, 1 s after the next failure, then 2 s,
4 s … up to `max_delay`; while it waits every login and API call from it gets 429 with a
Retry-After header and a Chinese message (also the right password: otherwise the back-off would
not slow down guessing). A success clears the client's record; records expire after `window`.

Uploads (``POST /gradio_api/upload``): at most `max_uploads` per client in `window` seconds and at
most `max_upload_bytes` in total in that window; Gradio's own cap on one file's size stays.

>>> throttle = Throttle(free=2, base_delay=1.0, max_delay=8.0, clock=lambda: 100.0)
>>> [throttle.failure("10.0.0.1") for _ in range(5)]
[0.0, 0.0, 1.0, 2.0, 4.0]
>>> throttle.wait("10.0.0.1"), throttle.wait("10.0.0.2")
(4.0, 0.0)
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

log = logging.getLogger("ipqa.guard")
LOGIN_PATHS = ("/login", "/login/")
API_PREFIX = "/v1/"
UPLOAD_PATHS = ("/gradio_api/upload", "/gradio_api/upload/")


@dataclass
class _Record:
    failures: int = 0
    blocked_until: float = 0.0
    last: float = 0.0


@dataclass
class Throttle:
    """Exponential back-off per client after `free` failures (thread-safe, bounded memory)."""

    free: int = 5
    base_delay: float = 1.0
    max_delay: float = 300.0
    window: float = 3600.0
    max_clients: int = 10_000
    clock: Callable[[], float] = time.monotonic
    _records: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, client: str) -> float:
        """Seconds the client must still wait (0 when it may try)."""
        with self._lock:
            record = self._records.get(client)
            return max(0.0, record.blocked_until - self.clock()) if record else 0.0

    def failure(self, client: str) -> float:
        """Count a failure; returns the delay now imposed on the client."""
        now = self.clock()
        with self._lock:
            if len(self._records) >= self.max_clients:
                self._records = {k: r for k, r in self._records.items() if now - r.last < self.window}
            record = self._records.setdefault(client, _Record())
            if now - record.last > self.window:
                record.failures = 0
            record.failures += 1
            record.last = now
            over = record.failures - self.free
            delay = 0.0 if over <= 0 else min(self.max_delay, self.base_delay * 2 ** (over - 1))
            record.blocked_until = now + delay
            return delay

    def success(self, client: str) -> None:
        with self._lock:
            self._records.pop(client, None)


@dataclass
class UploadQuota:
    """At most `max_uploads` uploads and `max_bytes` per client within `window` seconds."""

    max_uploads: int = 20
    max_bytes: int = 20_000_000
    window: float = 600.0
    clock: Callable[[], float] = time.monotonic
    _seen: dict = field(default_factory=dict)  # client -> deque of (time, bytes)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def admit(self, client: str, size: int) -> str | None:
        """None if the upload may go ahead (and count it), else the reason in Chinese."""
        now = self.clock()
        with self._lock:
            seen = self._seen.setdefault(client, deque())
            while seen and now - seen[0][0] > self.window:
                seen.popleft()
            if len(seen) >= self.max_uploads:
                return f"上传过于频繁：{int(self.window // 60)} 分钟内最多上传 {self.max_uploads} 次，请稍后再试。"
            if sum(n for _, n in seen) + size > self.max_bytes:
                return f"上传总量超过上限（{int(self.window // 60)} 分钟内共 {self.max_bytes // 1_000_000} MB），请稍后再试。"
            seen.append((now, size))
            if len(self._seen) > 10_000:
                self._seen = {k: v for k, v in self._seen.items() if v and now - v[-1][0] <= self.window}
            return None


def _client(scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


async def _reply(send, status: int, message: str, headers: list | None = None) -> None:
    body = json.dumps({"error": {"message": message, "code": status}, "detail": message},
                      ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


class GuardMiddleware:
    """Pure ASGI (streaming responses pass through untouched)."""

    def __init__(self, app, throttle: Throttle | None = None, uploads: UploadQuota | None = None,
                 enabled: bool = True) -> None:
        self.app, self.enabled = app, enabled
        self.throttle, self.uploads = throttle or Throttle(), uploads or UploadQuota()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not self.enabled:
            return await self.app(scope, receive, send)
        path, method, client = scope.get("path", ""), scope.get("method", ""), _client(scope)
        is_login = method == "POST" and path in LOGIN_PATHS
        is_api = path.startswith(API_PREFIX)
        if is_login or is_api:
            wait = self.throttle.wait(client)
            if wait > 0:
                seconds = math.ceil(wait)
                return await _reply(send, 429, f"登录失败次数过多，请 {seconds} 秒后再试。",
                                    [(b"retry-after", str(seconds).encode())])
        if method == "POST" and path in UPLOAD_PATHS:
            size = int(dict(scope.get("headers") or []).get(b"content-length", b"0") or 0)
            problem = self.uploads.admit(client, size)
            if problem:
                log.info("user error: upload refused for %s: %s", client, problem)
                return await _reply(send, 429, problem, [(b"retry-after", b"60")])
        if not (is_login or is_api):
            return await self.app(scope, receive, send)

        async def watch(message):
            if message["type"] == "http.response.start":
                status = message["status"]
                if (is_login and status == 400) or (is_api and status == 401):
                    delay = self.throttle.failure(client)
                    log.info("user error: failed login from %s%s", client,
                             f"; next attempt allowed in {delay:.0f} s" if delay else "")
                elif status == 200 and (is_login or is_api):
                    self.throttle.success(client)
            await send(message)

        return await self.app(scope, receive, watch)
