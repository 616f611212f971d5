"""Typos from pinyin input, mended against the report's own words: 专力 -> 专利, 检查机关 -> 检察机关.

A stretch of 2–4 Chinese characters that the report never writes is replaced by a stretch the
report does write when both read the same in pinyin (tones ignored), they differ in one
character only, and the replacement fits the surrounding characters better (more of the
character pairs around it occur in the report). A two-character stretch is left alone when it
is a word of jieba's dictionary (工资, 北京 are words the user meant, not typos), and place
names (jieba's ``ns`` words) are never changed.

>>> fixer = SpellFixer("全市有效专利达到24.6万件。全市检察机关批准逮捕103件。口岸截获。")
>>> fixer.fix("有效专力有多少")
'有效专利有多少'
>>> fixer.fix("检查机关批捕了多少人")
'检察机关批捕了多少人'
>>> fixer.fix("技术调查官工资多少")
'技术调查官工资多少'
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache
from typing import Callable

from pypinyin import lazy_pinyin  # pinyin of Chinese characters, with phrase-aware readings
from pypinyin.seg.mmseg import seg as _PHRASES  # the segmentation lazy_pinyin reads a run of them with

_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
SIZES = (4, 3, 2)


@lru_cache(maxsize=65536)
def _word_pinyin(word: str) -> tuple[str, ...]:
    return tuple(lazy_pinyin(word))


def _run_pinyin(run: str) -> list[str]:
    """``lazy_pinyin(run)`` of a run of Chinese characters (`_HAN_RUN`), word by word: pypinyin reads such a
    run as the words its phrase segmentation (pypinyin.seg.mmseg) cuts, each word alone (a word it cuts is
    cut the same when read alone), so each word's syllables are worked out once and kept: a question's words
    are mostly the report's, read at load.

    >>> _run_pinyin("专利侵权纠纷") == lazy_pinyin("专利侵权纠纷")
    True
    """
    return [s for word in _PHRASES.cut(run) for s in _word_pinyin(word)]


def _pinyin(run: str) -> tuple[str, ...]:
    """The fuzzy syllable (`_fuzzy`) of each character of ``run``, read as `_run_pinyin` reads it when that
    gives one syllable a character, else character by character."""
    sounds = tuple(s for word in _PHRASES.cut(run) for s in _word_sounds(word))
    return sounds if len(sounds) == len(run) else tuple(_fuzzy(lazy_pinyin(ch)[0]) for ch in run)


@lru_cache(maxsize=65536)
def _word_sounds(word: str) -> tuple[str, ...]:
    """The fuzzy syllables of one word of pypinyin's segmentation."""
    return tuple(_fuzzy(s) for s in _word_pinyin(word))


def _fuzzy(syllable: str) -> str:
    """A syllable as pinyin input often confuses it: zh/z, ch/c, sh/s, n/l, -ng/-n (投述 for 投诉).

    >>> [_fuzzy(s) for s in ("shu", "su", "zhuan", "li", "ni", "qing", "qin")]
    ['su', 'su', 'zuan', 'ni', 'ni', 'qin', 'qin']
    """
    if syllable[:2] in ("zh", "ch", "sh"):
        syllable = syllable[0] + syllable[2:]
    if syllable.startswith("l"):
        syllable = "n" + syllable[1:]
    return syllable[:-1] if syllable.endswith("ng") else syllable


def _places(run: str, writes: Callable[[str], bool] = lambda word: False
            ) -> tuple[set[int], set[int], list[set[int]]]:
    """(kept, written, words): the positions of ``run`` inside place names or words of the shared vocabulary
    (批捕, 文旅局), those together with the words the report writes (``writes``; 行动 in 行动罚了): the user
    meant those words; and the positions of each word of two characters or more of jieba's dictionary.

    >>> _places("群众的申诉")[2]
    [{0, 1}, {3, 4}]
    """
    from qa.lexical import pos_tags, vocabulary_words

    known = vocabulary_words()
    kept, written, words, at = set(), set(), [], 0
    for word, flag in pos_tags(run):
        span = range(at, at + len(word))
        if flag == "ns" or word in known:
            kept.update(span)
        elif len(word) > 1 and writes(word):
            written.update(span)
        if len(word) > 1 and _dictionary().get(word):
            words.append(set(span))
        at += len(word)
    # 百分之多少, 是不是: the question's own words, not the report's. The lookahead tries every start and
    # takes the longest phrase there, so overlapping phrases are all covered.
    for m in _question_phrases().finditer(run):
        kept.update(range(m.start(), m.end(1)))
    return kept, kept | written, words


@lru_cache(maxsize=1)
def _question_phrases() -> re.Pattern:
    """Cue phrases of questions (qa/vocab/cues.toml) of two characters or more, as one pattern."""
    from qa.vocabulary import alternation, vocabulary

    v = vocabulary()
    words = [w for groups in (v.asked_cues, v.operation_cues) for ws in groups.values() for w in ws] + list(v.ask_words)
    words += v.tables["cues"]["start"]["words"]  # 由多少 is not 有多少
    return re.compile(f"(?=({alternation(w for w in words if len(w) > 1 and not w.isascii())}))")


@lru_cache(maxsize=1)
def _fillers() -> frozenset[str]:
    """One-character function words (有, 的, 多) and question cues (占, 率): users type them right; they are
    never respelt (大概占全市 is not the report's 开展全市)."""
    from qa.vocabulary import vocabulary

    v = vocabulary()
    cues = [w for groups in (v.asked_cues, v.operation_cues) for ws in groups.values() for w in ws]
    return frozenset(w for w in [*v.fillers, *cues] if len(w) == 1)


@lru_cache(maxsize=1)
def _dictionary() -> dict:
    import jieba

    jieba.initialize()
    return jieba.dt.FREQ


class SpellFixer:
    """Index of the report's 2–4 character stretches by pinyin; `fix` mends a question."""

    def __init__(self, report_text: str) -> None:
        self.text = report_text
        self.index: dict[tuple[str, ...], dict[str, int]] = defaultdict(dict)
        for run in _HAN_RUN.findall(report_text):
            sounds = _pinyin(run)
            for n in SIZES:
                for i in range(len(run) - n + 1):
                    gram = run[i:i + n]
                    bucket = self.index[tuple(sounds[i:i + n])]
                    bucket[gram] = bucket.get(gram, 0) + 1
        # Every stretch of 2–4 Chinese characters the report writes: a stretch of Chinese characters is in
        # the report text exactly when it is one of these (looked up, not searched for in the whole text).
        self.grams = frozenset(gram for bucket in self.index.values() for gram in bucket)
        # kept per question: a chat mends its last questions again with every follow-up
        self.fix = lru_cache(maxsize=1024)(self._fix)

    def _writes(self, word: str) -> bool:
        """Whether the report writes ``word`` (Chinese characters)."""
        return word in self.grams if 2 <= len(word) <= 4 else word in self.text

    def _fit(self, text: str) -> int:
        """How many adjacent character pairs of ``text`` (Chinese characters) the report writes."""
        return sum(text[i:i + 2] in self.grams for i in range(len(text) - 1))

    def _candidate(self, run: str, i: int, n: int, sounds: list[str], kept: frozenset[int] = frozenset()) -> str | None:
        """The report's spelling of run[i:i+n], changing one character that is not part of a ``kept``
        word (a place, a vocabulary word): 专力侵权 -> 专利侵权 keeps 侵权 and mends 力."""
        gram = run[i:i + n]
        if gram in self.grams or (n == 2 and gram in _dictionary()):
            return None
        found = self.index.get(tuple(sounds[i:i + n]))
        if not found:
            return None
        before, after = run[max(0, i - 1):i], run[i + n:i + n + 1]
        fit = self._fit(before + gram + after)
        close = [(count, g) for g, count in found.items()
                 if sum(a != b for a, b in zip(g, gram)) == 1
                 and (self._fit(before + g + after) > fit or (n == 4 and self._fit(before + g + after) >= fit))
                 and not any(a != b and (a in _fillers() or i + j in kept) for j, (a, b) in enumerate(zip(gram, g)))]
        return max(close)[1] if close else None

    def _respellable(self, run: str, sounds: tuple[str, ...]) -> bool:
        """Whether some stretch of ``run`` has a `_candidate` with no word kept (the checks `_candidate`
        starts with made here first: most stretches fail them)."""
        grams, index, words = self.grams, self.index, _dictionary()
        for n in SIZES:
            for i in range(len(run) - n + 1):
                gram = run[i:i + n]
                # the dictionary (jieba's, 350,000 words) is looked in last: most stretches' sounds are no key
                if gram in grams or sounds[i:i + n] not in index or (n == 2 and gram in words):
                    continue
                if self._candidate(run, i, n, sounds):
                    return True
        return False

    def _fix(self, question: str) -> str:
        """The question with each typo stretch replaced by the report's spelling (unchanged if none)."""
        out, last = [], 0
        for m in _HAN_RUN.finditer(question):
            out.append(question[last:m.start()] + self._mended(m.group()))
            last = m.end()
        out.append(question[last:])
        return "".join(out)

    def _mended(self, run: str) -> str:
        """One run of Chinese characters with its typo stretches replaced."""
        sounds = _pinyin(run)
        # Most runs have no stretch the report spells otherwise, whatever the words kept: those are left
        # as they are without tagging their words (`_places`).
        if not self._respellable(run, sounds):
            return run
        # Never respelt: places and vocabulary words; and, in a two-character window, a word the
        # report writes (行动罚了 is not 行动发了), while a longer window may mend one (检查机关).
        kept, written, words = _places(run, self._writes)
        kept, written = frozenset(kept), frozenset(written)
        fixed, i = [], 0
        while i < len(run):
            for n in SIZES:
                window = set(range(i, i + n))
                # a two-character window never cuts into a dictionary word (的申 of 群众的申诉 is no typo of 的审)
                cut = n == 2 and any(window & w and not w <= window for w in words)
                if i + n <= len(run) and not window <= kept and not (n == 2 and window & written) and not cut:
                    better = self._candidate(run, i, n, sounds, kept)
                    if better:
                        fixed.append(better)
                        i += n
                        break
            else:
                fixed.append(run[i])
                i += 1
        return "".join(fixed)
