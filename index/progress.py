"""Start-up progress: a line at least every `interval` seconds while something slow runs.

A cold start converts the model, builds and checks the int8 encoder and builds the index; some of
those steps print nothing for several seconds. `Heartbeat` prints the current step and the time
since start on a background thread, on the stream it was given at construction (so a step that
redirects sys.stderr does not swallow it), and never raises when that stream is closed.

>>> import io
>>> out = io.StringIO()
>>> with Heartbeat(out, interval=0.05, prefix="启动") as beat:
...     beat.step("转换模型")
...     time.sleep(0.12)
>>> lines = out.getvalue().splitlines()
>>> lines[0].startswith("启动：转换模型"), len(lines) >= 2
(True, True)
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


def say(message: str) -> None:
    """The default log callback of the build steps: one line on stderr, never raising."""
    try:
        print(message, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


class Heartbeat:
    """`with Heartbeat(sys.stderr) as beat: beat.step("…")` — one line per step, and a tick every interval."""

    def __init__(self, stream: TextIO, *, interval: float = 1.0, prefix: str = "启动", step: str = "准备中") -> None:
        if interval <= 0:
            raise ValueError(f"interval={interval!r} must be > 0 seconds")
        self.stream, self.interval, self.prefix = stream, interval, prefix
        self.started = time.monotonic()
        self._step = step  # named without a line: quick work stays silent, slow work ticks
        self._last = time.monotonic()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="ipqa-heartbeat", daemon=True)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def _write(self, text: str) -> None:
        with self._lock:
            self._last = time.monotonic()
            try:
                self.stream.write(f"{self.prefix}：{text}（已用 {self.elapsed():.1f} 秒）\n")
                self.stream.flush()
            except (OSError, ValueError):  # closed or broken stream: progress is optional
                pass

    def step(self, name: str) -> None:
        """Start a new step and say so at once."""
        self._step = name
        self._write(name)

    def log(self, message: str) -> None:
        """A log callback for the build steps: `ipqa: …` messages become the current step."""
        self.step(message.removeprefix("ipqa: ").rstrip(" .…"))

    def _run(self) -> None:
        while not self._stop.wait(min(0.25, self.interval)):
            if time.monotonic() - self._last >= self.interval:
                self._write(f"{self._step}…")

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
