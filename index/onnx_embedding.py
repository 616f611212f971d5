"""Optional ONNX Runtime query encoder: the same vectors as the torch model, for `python -m eval.bench --onnx`.

Needs two extra packages (not in the project's dependencies)::

    pip install onnxruntime onnx

sentence-transformers' own `backend="onnx"` needs `optimum`, whose releases pin transformers < 5
(this project runs transformers 5), so the encoder is exported here with `torch.onnx.export` and run
with ONNX Runtime directly: same tokenizer, same "query: " prompt, mean pooling over every token and
L2 normalisation, as the sentence-transformers model dir written by index/converter.py. Passages
(index builds) still go through the torch model, so an index is the same whichever encoder asks.
The exported file lives beside the model (cache_dir/models/<model>-onnx/), keyed by the model's
ipqa_model.json so a rebuilt model gets a fresh export.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

ONNX_FILE = "model.onnx"
STAMP = "source.json"
INSTALL_HINT = "the ONNX encoder needs `pip install onnxruntime onnx`"


def available() -> str | None:
    """None if onnxruntime and onnx import, else why not."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        return f"{INSTALL_HINT} ({exc})"
    return None


def _stamp(model_dir: Path) -> str:
    manifest = model_dir / "ipqa_model.json"
    data = manifest.read_bytes() if manifest.is_file() else str(model_dir.resolve()).encode()
    return hashlib.sha256(data).hexdigest()


def export_onnx(st_model, model_dir: Path, dest: Path) -> Path:
    """Export the transformer of a loaded SentenceTransformer to dest/model.onnx (atomic; once per model)."""
    import torch

    onnx_path, stamp_path, stamp = dest / ONNX_FILE, dest / STAMP, _stamp(model_dir)
    try:
        if json.loads(stamp_path.read_text(encoding="utf-8")).get("model") == stamp and onnx_path.is_file():
            return onnx_path
    except (OSError, ValueError):
        pass
    bert = st_model[0].auto_model.eval()
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
    try:
        sample = st_model.tokenizer(["query: 样例"], return_tensors="pt")
        names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]
        axes = {n: {0: "batch", 1: "tokens"} for n in names}
        axes["last_hidden_state"] = {0: "batch", 1: "tokens"}

        class Encoder(torch.nn.Module):
            def __init__(self, model):
                super().__init__()
                self.model = model

            def forward(self, *inputs):
                return self.model(**dict(zip(names, inputs))).last_hidden_state

        with torch.no_grad():
            torch.onnx.export(Encoder(bert), tuple(sample[n] for n in names), str(tmp / ONNX_FILE),
                              input_names=names, output_names=["last_hidden_state"], dynamic_axes=axes,
                              opset_version=17, dynamo=False)
        (tmp / STAMP).write_text(json.dumps({"model": stamp, "inputs": names}), encoding="utf-8")
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return onnx_path


class OnnxQueryEmbedder:
    """Wraps a SentenceTransformerEmbedder: queries run in ONNX Runtime, passages in torch."""

    def __init__(self, base, *, threads: int | None = None) -> None:
        self.base = base
        self.model_id = base.model_id  # the same vectors, so the same index
        self.threads = threads
        self._session = None
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        return self.base.dimension

    def warm_up(self) -> None:
        if self._session is not None:
            return
        with self._lock:
            if self._session is not None:
                return
            problem = available()
            if problem:
                raise ValueError(problem)
            import onnxruntime as ort

            from index.embedding import resolve_model

            self.base.warm_up()
            model_dir = Path(resolve_model(self.base.model_id, cache_dir=self.base.cache_dir))
            dest = model_dir.parent / f"{model_dir.name}-onnx"
            path = export_onnx(self.base.model, model_dir, dest)
            options = ort.SessionOptions()
            if self.threads:
                options.intra_op_num_threads = self.threads
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            self._inputs = [i.name for i in session.get_inputs()]
            self._session = session

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.warm_up()
        model = self.base.model
        prompt = (model.prompts or {}).get("query", "")
        # As sentence-transformers 6 does: prompt + text (not stripped), truncated to the model's max length.
        batch = model.tokenizer([prompt + t for t in texts], padding=True, truncation=True,
                                max_length=model.max_seq_length, return_tensors="np")
        feeds = {name: batch[name].astype(np.int64) for name in self._inputs}
        hidden = self._session.run(None, feeds)[0]
        mask = batch["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return np.ascontiguousarray(pooled, dtype=np.float32)

    def embed_passages(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        return self.base.embed_passages(texts, progress=progress)
