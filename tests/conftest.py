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
