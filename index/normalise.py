"""Normalisation before anything reads text: traditional -> simplified, full-width -> half-width, spaces.

Questions are normalised freely (NFKC, OpenCC ``t2s``, spaces collapsed). Report text is
normalised *length-preserving*, so every offset into the normalised text is an offset into
the text as written and citations can quote the original characters.

>>> normalise_question("公安機關破獲了多少起案件？ ")
'公安机关破获了多少起案件?'
>>> normalise_question("ＩＰ　法庭")
'IP 法庭'
>>> text = "海關扣留侵權貨物８１．２２萬件，增長３５．６％。"
>>> normalise_report(text)
'海关扣留侵权货物81.22万件，增长35.6%。'
>>> len(normalise_report(text)) == len(text)
True
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _converter():
    import opencc  # the `opencc` package (OpenCC's own bindings): phrase-aware t2s conversion

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=65536)
def _char_t2s(ch: str) -> str:
    out = _converter().convert(ch)
    return out if len(out) == 1 else ch


def to_simplified(text: str, *, keep_length: bool = False) -> str:
    """Traditional characters to simplified (OpenCC t2s); with ``keep_length`` never changes the length.

    OpenCC converts phrase by phrase; in the rare case that changes the length, each character
    is converted on its own instead, so offsets stay valid.
    """
    if not text or text.isascii():
        return text
    converted = _converter().convert(text)
    if not keep_length or len(converted) == len(text):
        return converted
    return "".join(_char_t2s(ch) for ch in text)


def _half_width(ch: str) -> str:
    """Full-width ASCII letters, digits and symbols (Ａ１％．) to ASCII; CJK punctuation is kept."""
    code = ord(ch)
    if 0xFF10 <= code <= 0xFF19 or 0xFF21 <= code <= 0xFF3A or 0xFF41 <= code <= 0xFF5A or ch in "％．＋－／":
        return chr(code - 0xFEE0)
    if ch == "\u3000":
        return " "
    return ch


def normalise_report(text: str) -> str:
    """A report's text for reading: simplified, ASCII digits and letters, same length as written."""
    simplified = to_simplified(text, keep_length=True)
    return "".join(_half_width(ch) for ch in simplified)


def normalise_question(text: str) -> str:
    """A question for reading: NFKC (full-width to half-width), simplified characters, single spaces."""
    text = unicodedata.normalize("NFKC", text)
    return _SPACES.sub(" ", to_simplified(text)).strip()


def is_traditional(text: str) -> bool:
    """True when converting to simplified changes the text (it holds traditional characters)."""
    return to_simplified(text) != text
