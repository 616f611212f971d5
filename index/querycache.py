"""An embedder that embeds each query text once, for several engines asking about the same question.

The report library (qa.library_engine) runs one engine per report; a question that several
reports answer is embedded by the first and read from here by the rest.

>>> from index.hashing import HashingEmbedder
>>> inner = HashingEmbedder(); memo = QueryMemo(inner)
>>> a = memo.embed_queries(["海关扣了多少货"]); b = memo.embed_queries(["海关扣了多少货"])
>>> inner.calls, bool((a == b).all()), memo.model_id
(1, True, 'fake-embedder')
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Sequence

from index.embedding import Embedder


class QueryMemo:
    """An embedder that embeds each query text once: every report's engine asks for the same vector."""

    def __init__(self, inner: Embedder, size: int = 64) -> None:
        self.inner, self.size = inner, size
        self._memo: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def embed_queries(self, texts: Sequence[str]):
        key = tuple(texts)
        with self._lock:
            vectors = self._memo.get(key)
            if vectors is not None:
                self._memo.move_to_end(key)
        if vectors is None:
            vectors = self.inner.embed_queries(texts)
            with self._lock:
                self._memo[key] = vectors
                while len(self._memo) > self.size:
                    self._memo.popitem(last=False)
        return vectors.copy()

    def clear(self) -> None:
        with self._lock:
            self._memo.clear()

    def __getattr__(self, name: str):  # model_id, index_key, encoder, embed_passages, warm_up …
        return getattr(self.inner, name)
