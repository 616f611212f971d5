"""qa/console.py: streams that never raise, logging that stays quiet and single-line for client errors."""

from __future__ import annotations

import io
import logging

from fastapi import HTTPException

from qa.console import ClientErrorsInOneLine, SafeStream, configure_logging


class Broken(io.StringIO):
    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self):
        raise ValueError("I/O operation on closed file")


def test_safe_stream_swallows_broken_pipes_and_closed_files():
    stream = SafeStream(Broken())
    assert stream.write("答：564名\n") == 0
    stream.flush()
    assert SafeStream(None).write("x") == 0 and SafeStream(None).isatty() is False


def _record(exc: BaseException) -> logging.LogRecord:
    return logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, "Exception in ASGI application\n", None,
                             (type(exc), exc, exc.__traceback__))


def test_client_errors_after_the_response_started_are_one_line():
    try:
        try:
            raise HTTPException(status_code=404, detail="Not Found")
        except HTTPException as inner:
            raise RuntimeError("Caught handled exception, but response already started.") from inner
    except RuntimeError as exc:
        record = _record(exc)
    assert ClientErrorsInOneLine().filter(record) and record.exc_info is None
    assert "user error: HTTP 404" in record.getMessage() and "\n" not in record.getMessage()


def test_real_bugs_keep_their_traceback():
    try:
        raise KeyError("boom")
    except KeyError as exc:
        record = _record(exc)
    assert ClientErrorsInOneLine().filter(record) and record.exc_info is not None


def test_logging_shows_ours_at_info_and_others_from_warning(capsys):
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging()
        logging.getLogger("ipqa.test").info("ours")
        logging.getLogger("bm25s").setLevel(logging.DEBUG)  # as bm25s does on import
        logging.getLogger("bm25s").debug("Building index from tokens")
        logging.getLogger("other").info("chatter")
        logging.getLogger("other").warning("trouble")
        err = capsys.readouterr().err
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    assert "ours" in err and "trouble" in err and "Building index" not in err and "chatter" not in err
