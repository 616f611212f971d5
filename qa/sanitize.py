"""Clean untrusted question text before anything else sees it.

>>> clean_question("  海关\\x00扣留了\\u202e多少货物？ ").text
'海关扣留了多少货物？'
>>> clean_question("啊" * 500, max_chars=10).notice
'问题过长（500字），只按前10字回答。'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_QUESTION_CHARS = 200
# A question this long made of this few distinct characters is a repetition, not a question (专利专利专利…).
REPETITION_MIN_CHARS = 20
REPETITION_MAX_VARIETY = 0.2
# Control, format (bidi marks, zero-width), surrogate and private-use characters carry no meaning here.
_DROP_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}
_SPACES = re.compile(r"\s+")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORDLIKE = re.compile(r"[\w\u3400-\u9fff]")


@dataclass(frozen=True)
class CleanQuestion:
    """The question as the engine will read it, and what (if anything) to tell the user."""

    text: str
    notice: str = ""  # shown to the user, e.g. that the question was cut
    problem: str = ""  # non-empty when there is nothing to answer: empty, no words, ...

    @property
    def has_chinese(self) -> bool:
        return bool(_HAN.search(self.text))


def clean_question(raw: object, *, max_chars: int = MAX_QUESTION_CHARS) -> CleanQuestion:
    """Drop control/format characters, collapse spaces and cap the length.

    The text is kept as the user wrote it (full-width ？ stays ？): it is echoed back. Reading
    normalises its own copy (index.normalise.normalise_question).
    """
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        raw = str(raw)
    text = raw.encode("utf-8", "replace").decode("utf-8")
    text = "".join(" " if ch in "\t\n\r" else ch for ch in text if ch in "\t\n\r" or
                   unicodedata.category(ch) not in _DROP_CATEGORIES)
    text = _SPACES.sub(" ", text).strip()
    notice = ""
    if len(text) > max_chars:
        notice = f"问题过长（{len(text)}字），只按前{max_chars}字回答。"
        text = text[:max_chars].rstrip()
    if not text:
        return CleanQuestion("", notice, "请输入一个问题，例如：“公安机关抓获了多少名犯罪嫌疑人？”")
    if not _WORDLIKE.search(text) or (len(text) >= REPETITION_MIN_CHARS
                                       and len(set(text)) / len(text) < REPETITION_MAX_VARIETY):
        return CleanQuestion(text, notice, "没有看懂这个问题：请用文字提问，例如：“海关扣留了多少侵权货物？”")
    return CleanQuestion(text, notice)
