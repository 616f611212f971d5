"""Lexical search: jieba segmentation and a BM25 index (bm25s) over short Chinese texts.

>>> lex = LexicalIndex(["海关扣留侵权货物81.22万件", "公安机关抓获犯罪嫌疑人564名"])
>>> int(lex.scores(tokenize("海关扣留了多少货物")).argmax())
0
"""

from __future__ import annotations

import logging
import re
import threading
from math import log
from functools import lru_cache
from typing import Sequence

import bm25s
import jieba
import jieba.posseg as pseg
import numpy as np
from jieba import finalseg
from jieba.posseg import re_eng1 as _ENG_CHAR, re_han_internal as _TAG_BLOCK

jieba.setLogLevel(logging.WARNING)
_init_lock = threading.Lock()
_initialised = False

_ASKING = re.compile(r"^(?:多少|几)[\w]?$")  # 几个, 多少钱: the question's own quantity words
_TOKEN = re.compile(r"[\w\u4e00-\u9fff]")


def ensure_jieba() -> None:
    """Load jieba's dictionary and the shared vocabulary's words, once per process.

    Every caller of jieba (BM25 tokens here, the fact extractor's POS tags in qa/subjects.py)
    goes through this, so a report segments the same whether or not a question came first.
    """
    global _initialised
    if not _initialised:
        with _init_lock:
            if not _initialised:
                jieba.initialize()  # loads the dictionary once (~1 s), not on the first question
                for word, tag in vocabulary_tags().items():
                    jieba.add_word(word, tag=tag)
                _initialised = True


_ensure_jieba = ensure_jieba


_NUMBER = re.compile(r"\d+(?:\.\d+)?%?")


@lru_cache(maxsize=16384)
def pos_tags(text: str) -> tuple[tuple[str, str], ...]:
    """jieba's (word, POS tag) pairs of `text`, after `ensure_jieba`.

    Cached: the dictionary no longer changes once the vocabulary is loaded, and the answer path tags
    the same report sentences and question words again and again (about 100 cuts a question, a third
    of `ask`'s time outside the encoder before this cache).

    >>> [w for w, _ in pos_tags("海关扣留侵权货物")][:2], pos_tags("2019年")[0]
    (['海关', '扣留'], ('2019', 'm'))
    """
    ensure_jieba()
    pseg.dt.makesure_userdict_loaded()  # what pseg.cut does first: the vocabulary's tags join jieba's
    # Without the HMM: its Viterbi pass on unknown words was most of tagging a new question (~0.4 ms of ~2.4
    # outside the encoder); measured without it, the fact table's scores are unchanged and training and dev
    # accuracy too (5 of 2,078 answers changed; wrong answers one more on training, one fewer on dev).
    # The tagger then calls a number "eng": it is "m". It tags each block of its own (re_han_internal) alone.
    pairs = [pair for block in _TAG_BLOCK.split(text) if block
             for pair in (_tagged(block) if _TAG_BLOCK.match(block)
                          else ((w.word, w.flag) for w in pseg.cut(block, HMM=False)))]
    return tuple((word, "m" if flag == "eng" and _NUMBER.fullmatch(word) else flag) for word, flag in pairs)


@lru_cache(maxsize=16384)
def _ends(block: str) -> tuple[int, ...]:
    """Where jieba's dictionary segmentation of a block of word characters ends the word starting at each
    position: its DAG and best route (Tokenizer.get_DAG and calc), which jieba.cut and jieba.posseg.cut both
    walk; worked out once for a block both cut (reading a question tags it and cuts it)."""
    # get_DAG and calc in one pass: each edge's log frequency is taken where the DAG finds the word (calc
    # looks it up again), and calc's sums in its order: (log(freq) - log(total)) + the best score after it.
    freq, n = jieba.dt.FREQ, len(block)
    logtotal = log(jieba.dt.total)
    edges = []
    for k in range(n):
        found, i = [], k
        first = f = freq.get(block[k])  # one lookup a fragment: None when no word starts with it, 0 for a prefix
        while f is not None:
            if f:
                found.append((log(f) - logtotal, i))
            i += 1
            if i >= n:
                break
            f = freq.get(block[k:i + 1])
        edges.append(found or [(log(first or 1) - logtotal, k)])
    best, ends = [0] * (n + 1), [0] * n
    for k in range(n - 1, -1, -1):
        best[k], x = max([(w + best[x + 1], x) for w, x in edges[k]])
        ends[k] = x + 1
    return tuple(ends)


def _tagged(block: str) -> list[tuple[str, str]]:
    """``pseg.cut(block, HMM=False)`` of a block of word characters (its ``__cut_DAG_NO_HMM``): the route's
    words with jieba's tags, single letters and digits run together as one "eng" word."""
    ends, tags, pairs, buf, x = _ends(block), pseg.dt.word_tag_tab, [], "", 0
    while x < len(block):
        y = ends[x]
        word = block[x:y]
        if _ENG_CHAR.match(word):
            buf += word
        else:
            if buf:
                pairs.append((buf, "eng"))
                buf = ""
            pairs.append((word, tags.get(word, "x")))
        x = y
    if buf:
        pairs.append((buf, "eng"))
    return pairs


def _hmm_words(block: str) -> list[str]:
    """``jieba.cut(block)`` of a block of word characters (its ``__cut_DAG``): the route's words, each run of
    single characters the dictionary does not hold as one word cut by jieba's HMM (finalseg)."""
    ends, freq, words, buf, x = _ends(block), jieba.dt.FREQ, [], "", 0
    while x < len(block):
        y = ends[x]
        if y - x == 1:
            buf += block[x]
        else:
            if buf:
                words += _unknown_run(buf, freq)
                buf = ""
            words.append(block[x:y])
        x = y
    if buf:
        words += _unknown_run(buf, freq)
    return words


def _unknown_run(buf: str, freq: dict) -> list[str]:
    if len(buf) == 1:
        return [buf]
    return list(finalseg.cut(buf)) if not freq.get(buf) else list(buf)


@lru_cache(maxsize=1)
def vocabulary_tags() -> dict[str, str]:
    """Words of the shared vocabulary jieba should keep whole, with a POS tag for each.

    Actor names are organisations (nt), actions verbs (v); an everyday word takes the tag of the
    report words it stands for (多了 -> 增长 is a verb, 嫌犯 -> 犯罪嫌疑人 a noun). A word jieba already
    knows keeps jieba's own tag, so adding it changes segmentation, not grammar.
    """
    from qa.vocabulary import vocabulary

    v = vocabulary()
    known = pseg.dt.word_tag_tab  # jieba's own tags, loaded with its dictionary
    tagged: dict[str, str] = {}
    for key, targets in v.synonyms.items():
        for w in (key, *targets):
            tagged[w] = next((known[t] for t in (w, *targets) if t in known), "n")
    for tag, words in (("v", [w for ws in v.actions.values() for w in ws]),
                       ("nt", [a for aliases in v.actors.values() for a in aliases])):
        for w in words:
            tagged[w] = known.get(w, tag)
    return {w: t for w, t in tagged.items() if len(w) > 1 and not w.isascii()}


@lru_cache(maxsize=1)
def vocabulary_words() -> frozenset[str]:
    """Words of the shared vocabulary jieba should keep whole (文旅局, 专利审查员, 批准逮捕)."""
    return frozenset(vocabulary_tags())


@lru_cache(maxsize=1)
def drop_words() -> frozenset[str]:
    """Fillers and single-character measure words (批次/人次 can be the topic itself, so they stay)."""
    from qa.vocabulary import vocabulary

    v = vocabulary()
    return v.fillers | frozenset(w for w in v.measure_words if len(w) == 1)


def tokenize(text: str, *, search: bool = True) -> list[str]:
    """jieba tokens without punctuation, stopwords and the question's own quantity words.

    Search mode (for BM25) also yields the parts of long words; precise mode (for
    matching a question against a figure's context) yields each word once.

    jieba cuts a text into blocks (its pattern ``re_han_default``: runs of Chinese characters, letters and
    digits, and what lies between them) and each block on its own, so a text's tokens are its blocks' in
    order: they are worked out block by block and kept (`_block_tokens`). A question is cut for its reading
    and again for the lexical search, its parts and the follow-ups that repeat it too.

    >>> tokenize("2020年海关扣留侵权货物81.22万件", search=False)
    ['2020', '海关', '扣留', '侵权', '货物', '81.22', '万件']
    """
    _ensure_jieba()
    return [t for block in _BLOCK.split(text) if block for t in _block_tokens(block, search)]


_BLOCK = jieba.re_han_default


@lru_cache(maxsize=16384)
def _block_tokens(block: str, search: bool) -> tuple[str, ...]:
    """`tokenize` of one of jieba's blocks, after `ensure_jieba` (the dictionary no longer changes then)."""
    drop = drop_words()
    tokens = [t.strip().lower() for t in (_search_words(block) if search else _block_words(block))]
    return tuple(t for t in tokens if t and _TOKEN.match(t) and t not in drop
                 and not _ASKING.match(t) and not (t.isdigit() and len(t) == 1))


@lru_cache(maxsize=16384)
def _block_words(block: str) -> tuple[str, ...]:
    """``jieba.cut(block)``: its precise words (the search mode's are made from them)."""
    return tuple(_hmm_words(block) if _BLOCK.match(block) else jieba.cut(block))


def _search_words(block: str) -> list[str]:
    """``jieba.cut_for_search(block)`` from the block's precise words: before each word of more than two
    characters, its two-character parts in jieba's dictionary, then (more than three) its three-character ones.

    >>> ensure_jieba(); all(_search_words(t) == list(jieba.cut_for_search(t)) for t in ("中华人民共和国知识产权局", "专利"))
    True
    """
    freq, words = jieba.dt.FREQ, []
    for w in _block_words(block):
        if len(w) > 2:
            words += [w[i:i + 2] for i in range(len(w) - 1) if freq.get(w[i:i + 2])]
        if len(w) > 3:
            words += [w[i:i + 3] for i in range(len(w) - 2) if freq.get(w[i:i + 3])]
        words.append(w)
    return words


class LexicalIndex:
    """BM25 over a fixed list of texts; `scores` gives one score per text."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.size = len(texts)
        corpus = [tokenize(t) or ["\u2205"] for t in texts]  # bm25s needs a token per document
        self._bm25 = bm25s.BM25()
        self._bm25.index(corpus, show_progress=False)
        self.vocabulary = frozenset(self._bm25.vocab_dict)
        # Each word's documents and scores (its column of bm25s's sparse matrix), to add up without
        # bm25s.get_scores's per-call checks and arrays (bm25s's empty word "" has no column).
        m = self._bm25.scores
        indices, data, bounds = m["indices"], m["data"], m["indptr"].tolist()
        self._postings = {word: (indices[bounds[i]:bounds[i + 1]], data[bounds[i]:bounds[i + 1]])
                          for word, i in self._bm25.vocab_dict.items() if i + 1 < len(bounds)}

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """`bm25s.BM25.get_scores` of the words known: the same float32 sums, word by word in query order."""
        out = np.zeros(self.size, dtype=np.float32)
        postings = [p for p in map(self._postings.get, query_tokens) if p is not None]
        if postings:
            # one np.add.at over the words' postings laid end to end: each document's scores are added in
            # query order, as bm25s adds them word by word
            np.add.at(out, np.concatenate([d for d, _ in postings]), np.concatenate([v for _, v in postings]))
        return out
