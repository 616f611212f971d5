"""A model-free embedder: character unigrams and bigrams hashed into a unit vector.

Deterministic and instant; texts sharing characters get similar vectors. It stands in for the
real model in fast tests and in the model-free golden run (`python -m eval.golden`), where the
answer path runs on BM25 and the fitted lexical weights.

>>> e = HashingEmbedder(dimension=16)
>>> v = e.embed_queries(["海关扣留"])
>>> v.shape, round(float((v * v).sum()), 3)
((1, 16), 1.0)
"""

from __future__ import annotations

import hashlib

import numpy as np


class HashingEmbedder:
    """Hashes character unigrams and bigrams into a fixed-size unit vector."""

    semantic = False  # its vectors carry no meaning: the engine scores without dense features

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
