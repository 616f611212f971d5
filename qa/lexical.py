"""Lexical search: jieba segmentation and a BM25 index (bm25s) over short Chinese texts.

>>> lex = LexicalIndex(["海关扣留侵权货物81.22万件", "公安机关抓获犯罪嫌疑人564名"])
>>> int(lex.scores(tokenize("海关扣留了多少货物")).argmax())
0
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Sequence

import bm25s
import jieba
import numpy as np

jieba.setLogLevel(logging.WARNING)
_init_lock = threading.Lock()
_initialised = False

# Function words and question words carry no topic; dropping them keeps BM25 on the content.
STOPWORDS = frozenset(
    "的 了 是 在 和 与 及 等 对 为 把 被 个 有 多少 几 什么 哪些 哪个 哪 吗 呢 啊 吧 呀 么 怎么 怎样 如何 "
    "那 那么 这 这个 那个 请问 一下 告诉 我 你 他 它 们 一共 总共 共 共计 到底 究竟 还 也 都 就 又 "
    "年 全市 我市 天津 天津市 市 中 其中 进行 开展 工作 情况 方面 多 少 咋 咋样 怎么样 最后 得 到 "
    "请 问 知道 想 能 可以 说 报告 提到 提及 里 里面 上 下 给 让 从 关于 有关 数据 数字 一下 "
    "合计 累计 总计 达到 达 约 近 余 用 拿 拿到 搞 弄 做 干 分别 各 各自 一共是 多大 哪位 哪家 哪里 什么样 是不是 有没有".split()
)
_ASKING = re.compile(r"^(?:多少|几)[\w]?$")  # 几个, 多少钱: the question's own quantity words
_TOKEN = re.compile(r"[\w\u4e00-\u9fff]")


def _ensure_jieba() -> None:
    global _initialised
    if not _initialised:
        with _init_lock:
            if not _initialised:
                jieba.initialize()  # loads the dictionary once (~1 s), not on the first question
                _initialised = True


# Single-character measure words say nothing about the topic; 批次/人次 can be the topic itself.
MEASURE_WORDS = frozenset("件 起 宗 名 家 个 所 次 项 批 册 篇 笔 支 条 位 元 万元 亿元 年 月 天".split())


def tokenize(text: str, *, search: bool = True) -> list[str]:
    """jieba tokens without punctuation, stopwords and the question's own quantity words.

    Search mode (for BM25) also yields the parts of long words; precise mode (for
    matching a question against a figure's context) yields each word once.
    """
    _ensure_jieba()
    cut = jieba.cut_for_search(text) if search else jieba.cut(text)
    tokens = [t.strip().lower() for t in cut]
    return [t for t in tokens if t and _TOKEN.match(t) and t not in STOPWORDS and t not in MEASURE_WORDS
            and not _ASKING.match(t) and not (t.isdigit() and len(t) == 1)]


class LexicalIndex:
    """BM25 over a fixed list of texts; `scores` gives one score per text."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.size = len(texts)
        corpus = [tokenize(t) or ["\u2205"] for t in texts]  # bm25s needs a token per document
        self._bm25 = bm25s.BM25()
        self._bm25.index(corpus, show_progress=False)
        self.vocabulary = frozenset(self._bm25.vocab_dict)

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        known = [t for t in query_tokens if t in self.vocabulary]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)
