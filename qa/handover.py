"""A first start serves at once with fp32, then hands over to the int8 encoder once it passed its check.

Building the int8 encoder and checking it against fp32 over every eval set (index/int8_prepare.py,
eval/encoder_check.py) takes about a minute on 2 cores, longer than a first start may take. So the web
server starts on an `AutoEmbedder(defer_check=True)`, which serves with the fp32 graph in ONNX Runtime
(the reference side of that check) when the int8 verdict is missing or stale; `Handover` then runs the
build and the full check in a child process in the background and, if int8 passed, warms up a second
engine on it and swaps it into the `EngineSlot` the page and the API ask through. A question in flight
finishes on the engine it started on. If the check fails, the server keeps fp32 and says so in one line.

>>> slot = EngineSlot("old")
>>> slot.swap("new"); slot.current
'new'
>>> slot.upper()
'NEW'
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Callable

Log = Callable[[str], None]


class EngineSlot:
    """Stands in for the engine the app was built with; `swap` replaces it for every later call."""

    def __init__(self, engine) -> None:
        self.current = engine

    def swap(self, engine) -> None:
        self.current = engine  # one reference assignment: atomic for the threads reading it

    def __getattr__(self, name: str):
        return getattr(self.__dict__["current"], name)


class Handover:
    """`Handover(slot, log=...).start()` — build and check int8 in the background, then switch the slot."""

    def __init__(self, slot: EngineSlot, *, log: Log, warm_question: str = "",
                 rebuild: Callable | None = None) -> None:
        self.slot, self.log, self.warm_question = slot, log, warm_question
        self.rebuild = rebuild  # (config, embedder) -> engine; default QAEngine (the app passes its library's)
        self.cancel = threading.Event()
        self.done = threading.Event()
        self.outcome = ""  # "int8", or why the server stays on fp32
        self._thread = threading.Thread(target=self._run, name="ipqa-int8-handover", daemon=True)

    def start(self) -> "Handover":
        self._thread.start()
        return self

    def stop(self) -> None:
        """Kill the child that builds or checks (the server is stopping); it starts again next time."""
        self.cancel.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            self.outcome = self._switch()
        except Exception as exc:  # noqa: BLE001 — a background failure must not stop the server
            import logging

            logging.getLogger("ipqa.app").exception("int8 handover failed")
            self.outcome = f"{exc.__class__.__name__}: {exc}"
        if self.outcome != "int8" and not self.cancel.is_set():
            self.log(f"ipqa: 继续使用 fp32 编码器（{self.outcome}）")
        self.done.set()

    def _switch(self) -> str:
        from index.embedding import make_embedder
        from index.int8_prepare import prepare_in_child
        from qa.engine import QAEngine

        old = self.slot.current
        config = old.config
        try:
            problem = prepare_in_child(config.cache_dir, log=self.log, cancel=self.cancel)
        except ValueError as exc:  # a cache that cannot be written: one line, no traceback (fp32 serves on)
            problem = str(exc)
        if problem:
            return problem
        try:  # the verdict is on disk now: "int8" loads it, or says why it failed its check
            embedder = make_embedder(config.model, cache_dir=config.cache_dir, encoder="int8", log=self.log)
            make = self.rebuild or (lambda cfg, emb: QAEngine(cfg, embedder=emb))
            engine = make(replace(config, encoder="int8"), embedder)
            engine.warm_up()
        except ValueError as exc:
            return str(exc)
        if self.warm_question:
            engine.ask(self.warm_question)
        if self.cancel.is_set():
            return "cancelled"
        self.slot.swap(engine)
        self.log("ipqa: int8 编码器检验通过，已切换到 int8 编码器")
        return "int8"
