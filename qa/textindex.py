"""Which of a fixed list of texts hold a word, for all of them at once (qa.batchcoverage reads it).

The texts are a report's (its figures' contexts, its figures' own words) and never change, and the
words asked about recur from question to question: `TextIndex` finds a word in every text with one
scan of their concatenation and remembers the answer.

>>> index = TextIndex(["公安机关抓获", "海关扣留", "公安"])
>>> index.holding("公安").tolist(), index.holding("法院").tolist()
([True, False, True], [False, False, False])
"""

from __future__ import annotations

import bisect
from functools import lru_cache
from typing import Sequence

import numpy as np

_BETWEEN = "\0"  # joins the texts: a word without it never matches across two of them
WORDS_REMEMBERED = 4096


class TextIndex:
    """A fixed list of texts; `holding(word)` says which of them contain ``word`` (a read-only bool array)."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = tuple(texts)
        self._joined = _BETWEEN.join(self.texts)
        self._starts, at = [], 0
        for text in self.texts:
            self._starts.append(at)
            at += len(text) + len(_BETWEEN)
        self.holding = lru_cache(maxsize=WORDS_REMEMBERED)(self._holding)
        self._holding_any = lru_cache(maxsize=WORDS_REMEMBERED // 4)(self._holding_all)

    def __len__(self) -> int:
        return len(self.texts)

    def _holding(self, word: str) -> np.ndarray:
        if not word or _BETWEEN in word:
            hits = np.fromiter((word in t for t in self.texts), dtype=bool, count=len(self.texts))
        else:
            hits = np.zeros(len(self.texts), dtype=bool)
            joined, starts = self._joined, self._starts
            at = joined.find(word)
            while at >= 0:
                k = bisect.bisect_right(starts, at) - 1
                hits[k] = True  # the next text may hold it too: look from its start
                at = joined.find(word, starts[k + 1]) if k + 1 < len(starts) else -1
        hits.flags.writeable = False
        return hits

    def holding_any(self, words) -> np.ndarray:
        """Which texts contain at least one of ``words`` (a read-only bool array, remembered per words: a
        question's terms, actors and actions recur from question to question)."""
        return self._holding_any(tuple(words))

    def _holding_all(self, words: tuple[str, ...]) -> np.ndarray:
        hits = np.zeros(len(self.texts), dtype=bool)
        for word in words:
            hits |= self.holding(word)
        hits.flags.writeable = False
        return hits
