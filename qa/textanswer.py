"""Short answers to text questions: the phrase that answers (a name, a list, a date), then the sentence.

>>> from qa.reader import read
>>> short_answer(read("在哪个口岸截获的？"), "帮助企业在宁波口岸截获侵犯商标权砂轮片案。")
'宁波口岸'
>>> short_answer(read("海关开展了哪些专项行动？"), "组织开展“龙腾”、“蓝网”、“净网”等专项行动，加强执法。")
'“龙腾”、“蓝网”、“净网”'
>>> short_answer(read("保护中心是哪一年获批的？"), "保护中心于2020年获得批准建设。")
'2020年'
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from qa.layout import CLAUSE_BREAK
from qa.lexical import pos_tags
from qa.reading import Reading
from qa.vocabulary import alternation, vocabulary

_DATE = re.compile(r"(?:19|20)\d\d(?:\s*[-—–~～至到]\s*(?:(?:19|20)\d\d|\d\d))?年(?:\d{1,2}月(?:\d{1,2}[日号])?)?(?:底|末|初)?"
                   r"|(?:19|20)\d\d\s*[-—–]\s*(?:19|20)?\d\d|\d{1,2}月\d{1,2}[日号]|\d{1,2}\.\d{1,2}")
_TITLE = re.compile(r"《[^《》]{1,60}》|“[^“”]{1,40}”|「[^「」]{1,40}」")
_LIST = re.compile(r"(?:(?:“[^“”]{1,20}”|《[^《》]{1,40}》|[\u4e00-\u9fffA-Za-z0-9]{1,16})、)+"
                   r"(?:“[^“”]{1,20}”|《[^《》]{1,40}》|[\u4e00-\u9fffA-Za-z0-9]{1,16})")
_NOUNISH = ("n", "nr", "ns", "nt", "nz", "vn", "j", "eng", "l", "an", "s")
_HEAD_FLAGS = ("n", "vn", "s", "j", "l")  # jieba tags of a noun that can head the answer (口岸 is "s")


def shape_features(reading: Reading, sentence: str) -> dict[str, float]:
    """Whether a sentence has the shape of the answer asked for (a date, a name, a list)."""
    has_date, has_title, has_list = _marks(sentence)
    head = _head(reading.text)
    fit = {"date": has_date, "list": has_list or has_title,
           "name": has_title or bool(head and head in sentence)}.get(reading.asked, False)
    return {"has_date": float(has_date), "has_title": float(has_title), "has_list": float(has_list),
            "shape_fit": float(fit)}


def sentence_shapes(reading: Reading, view, candidates) -> dict[str, np.ndarray]:
    """`shape_features` of each candidate sentence (indices into view.sentences), column by column: the
    same numbers, from the marks of every sentence kept at load (`ReportView.sentence_marks`).

    >>> from types import SimpleNamespace as NS
    >>> view = NS(sentence_marks=np.array([[True, False, False], [False, True, True]]))
    >>> {k: v.tolist() for k, v in sentence_shapes(NS(asked="list", text="有哪些"), view, [1, 0]).items()}
    {'has_date': [0.0, 1.0], 'has_title': [1.0, 0.0], 'has_list': [1.0, 0.0], 'shape_fit': [1.0, 0.0]}
    """
    idx = np.asarray(candidates, dtype=np.int64)
    has_date, has_title, has_list = view.sentence_marks[idx].T
    if reading.asked == "date":
        fit = has_date
    elif reading.asked == "list":
        fit = has_list | has_title
    elif reading.asked == "name":
        head = _head(reading.text)
        fit = (has_title | view.sentence_texts.holding_any((head,), 0, idx)) if head else has_title
    else:
        fit = np.zeros(len(idx), dtype=bool)
    return {"has_date": has_date.astype(np.float64), "has_title": has_title.astype(np.float64),
            "has_list": has_list.astype(np.float64), "shape_fit": fit.astype(np.float64)}


@lru_cache(maxsize=8192)
def _marks(sentence: str) -> tuple[bool, bool, bool]:
    """Whether a sentence writes a date, a title and a list (kept: a report's sentences are scored for
    every text question)."""
    return bool(_DATE.search(sentence)), bool(_TITLE.search(sentence)), "、" in sentence


def asked_head(reading: Reading) -> str:
    """The noun right after the question word: 哪个口岸 -> 口岸, 什么文件 -> 文件, 哪个部门 -> 部门."""
    return _head(reading.text)


@lru_cache(maxsize=1024)
def _head(text: str) -> str:
    words = [w for g in ("name", "list") for w in vocabulary().asked_cues[g]]
    m = re.search(f"(?:{alternation(words)})(?:个|家|位|项|种|些|类|级)?([\u4e00-\u9fff]{{1,6}})", text)
    if not m:
        return ""
    tokens = pos_tags(m.group(1))
    return tokens[0][0] if tokens and tokens[0][1].startswith(_HEAD_FLAGS) else ""


def _best_clause(reading: Reading, sentence: str) -> str:
    clauses = [c for c in CLAUSE_BREAK.split(sentence) if c.strip()]
    terms = reading.all_terms
    return max(clauses, key=lambda c: (sum(t in c for t in terms), -len(c)), default=sentence)


def _phrase_ending_with(head: str, sentence: str) -> str:
    """The noun phrase ending with ``head`` (宁波口岸), read with jieba's tags from right to left."""
    for m in re.finditer(re.escape(head), sentence):
        left = sentence[max(0, m.start() - 16):m.start()]
        phrase = ""
        for word, flag in reversed(pos_tags(left)):
            if flag.startswith(_NOUNISH) or flag in _NOUNISH or word in "（）()":
                phrase = word + phrase
            else:
                break
        if phrase:
            return phrase + head
    return ""


def short_answer(reading: Reading, sentence: str) -> str:
    """The part of ``sentence`` that answers a text question (the clause when nothing shorter fits)."""
    clause = _best_clause(reading, sentence)
    if reading.asked == "date":
        dates = _DATE.findall(clause) or _DATE.findall(sentence)
        if dates:
            return dates[0]
    if reading.asked == "list":
        found = _LIST.search(clause) or _LIST.search(sentence)
        if found:
            return found.group(0)
    head = asked_head(reading)
    if head:
        titled = [t for t in _TITLE.findall(sentence) if head in t]
        if titled:
            return titled[0]
        phrase = _phrase_ending_with(head, sentence)
        if phrase:
            return phrase
    if reading.asked in ("name", "list"):
        titles = _TITLE.findall(clause)
        if titles:
            return "、".join(titles)
    return clause.strip()


def has_date(text: str) -> bool:
    return bool(_DATE.search(text))


def is_date(text: str) -> bool:
    """Whether ``text`` is one date as a report writes it (what `short_answer` gives a date question).

    >>> is_date("2020年4月"), is_date("2020-2023"), is_date("2020年获得批准")
    (True, True, False)
    """
    return bool(_DATE.fullmatch(text.strip()))
