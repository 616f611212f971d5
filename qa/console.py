"""Process set-up for the entry points: streams that cannot break requests, quiet and one-line logs.

- `safe_streams()`: sys.stdout/sys.stderr replaced by wrappers that swallow OSError/ValueError on
  write and flush, so a server whose terminal went away (closed descriptor, broken pipe) still
  answers every request; SIGPIPE stays ignored (Python's default), so a closed pipe is an error
  value, never a signal that ends the process.
- `configure_logging()`: one handler on stderr; the project's own loggers (``ipqa.*``) at INFO,
  everything else at WARNING (bm25s sets its logger to DEBUG on import and would print
  "Building index from tokens"); logging never raises into the caller.
- `user_error(log, what, detail)`: the single log line for a user's mistake (no traceback).
- `tune_threads()`: FAISS on one thread (64 vectors: OpenMP threads only stall under load).

>>> import io
>>> class Closed(io.StringIO):
...     def write(self, text):
...         raise BrokenPipeError(32, "Broken pipe")
>>> SafeStream(Closed()).write("答：564名\\n")
0
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

PROJECT_LOGGER = "ipqa"


class SafeStream:
    """A text stream that drops output it cannot write instead of raising."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text) if self._stream is not None else 0
        except (OSError, ValueError):
            return 0

    def flush(self) -> None:
        try:
            if self._stream is not None:
                self._stream.flush()
        except (OSError, ValueError):
            pass

    def isatty(self) -> bool:
        try:
            return bool(self._stream is not None and self._stream.isatty())
        except (OSError, ValueError):
            return False

    def fileno(self) -> int:
        if self._stream is None:
            raise OSError("stream is closed")
        return self._stream.fileno()

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def safe_streams() -> None:
    """Reopen closed standard descriptors on /dev/null, then wrap sys.stdout and sys.stderr (idempotent).

    A process started with fd 1 or 2 closed would otherwise hand those numbers to the next socket it
    opens, and a C library writing to "stderr" would write into a client's connection.
    """
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)  # the lowest free descriptor: usually fd itself
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 — lives as long as the process
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    if not isinstance(sys.stdout, SafeStream):
        sys.stdout = SafeStream(sys.stdout)
    if not isinstance(sys.stderr, SafeStream):
        sys.stderr = SafeStream(sys.stderr)


class _ProjectInfo(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name.split(".")[0] == PROJECT_LOGGER


def configure_logging() -> None:
    """INFO for ipqa.*, WARNING for the rest, on stderr, without tracebacks from logging itself."""
    logging.raiseExceptions = False  # a failing handler must not turn into an error in a request
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_ProjectInfo())
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for noisy in ("bm25s", "httpx", "jieba", "urllib3", "matplotlib", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        import jieba

        jieba.setLogLevel(logging.WARNING)
    except ImportError:
        pass


class ClientErrorsInOneLine(logging.Filter):
    """For uvicorn's "Exception in ASGI application": when the exception comes from an HTTP 4xx that the
    framework raised after a streamed response had started (Gradio does that for a stream asked with an
    unknown session id), log one line instead of a 60-line traceback; real bugs keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        cause = exc
        while cause is not None and not isinstance(getattr(cause, "status_code", None), int):
            cause = cause.__cause__ or cause.__context__
        status = getattr(cause, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.msg, record.args = "user error: HTTP %s after the response started (%s)", (status, exc)
            record.exc_info, record.exc_text = None, None
        return True


def quiet_client_errors() -> None:
    """Attach ClientErrorsInOneLine to uvicorn's error logger (call after the server is configured)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, ClientErrorsInOneLine) for f in logger.filters):
        logger.addFilter(ClientErrorsInOneLine())


def user_error(log: logging.Logger, what: str, detail: object = "") -> None:
    """One line for a user's mistake: where it came in and what was wrong, never a traceback."""
    text = str(detail).replace("\n", " ")[:200]
    log.info("user error: %s%s", what, f": {text}" if text else "")


def tune_threads() -> None:
    """FAISS searches 64 vectors per question: one thread is faster than two that wait for each other."""
    try:
        import faiss

        faiss.omp_set_num_threads(1)
    except (ImportError, AttributeError):
        pass
