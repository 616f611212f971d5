"""Text heuristics behind the fact table: clauses, actors, subjects and comparisons.

All rules are about the grammar of report prose, never about one sentence of one report:

* an *actor* is a noun phrase at the start of a clause that ends with an agency suffix
  (机关, 法院, 法庭, 局, 海关, 部门, 总队, 中心, 机构 …) and does not start with a verb,
  adverb or preposition (jieba POS tags decide that, so 进一步完善分中心 is no actor);
* a *subject* is the text between the clause start (or the previous figure) and the figure,
  with scope/time words, totalisers (共, 累计, 达到 …), comparisons (同比增长 …) and the
  ranking verb stripped; when that text is empty or only a verb, the noun written after
  the figure is the subject (成立8支服务队 -> 服务队);
* a *comparison* is 同比/环比/较2019年/比上年 + 增长/下降/… or 净增/净减 right before the figure.

>>> clause_actor("2020年，全市法院新收案件9079件")
('全市法院', 6, 10)
>>> clause_actor("进一步完善分中心布局") is None
True
>>> split_comparison("新收案件9079件，同比增长")
('新收案件9079件，', '同比增长')
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import jieba

from qa.changes import split_comparison  # noqa: F401  (re-exported: the text before a figure is split here)
from qa.labels import FOOTNOTE, find_periods
from qa.lexical import pos_tags
from qa.vocabulary import alternation, vocabulary

jieba.setLogLevel(logging.INFO)  # the dictionary-building chatter is DEBUG on stderr

ACTOR_SUFFIXES = vocabulary().actor_suffixes  # 机关, 法院, 总队, 代办处 … (qa/vocab/actors.toml)
_ACTOR_RE = re.compile("|".join(sorted(ACTOR_SUFFIXES, key=len, reverse=True)))
_YEAR_WORD = r"(?:19|20)\d\d年(?:\d{1,2}月)?"
_LIST_MARK = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})[.．、](?!\d)|[（(](?:\d{1,2}|[一二三四五六七八九十]{1,3})[)）]"
_PUNCT = set("，,：:。；;！!？?、")
_CLAUSE_SEP = re.compile(r"[，,：:]")
_SENTENCE = re.compile(r"[^。；！？!?;\n]+[。；！？!?;]*")
_PROTECTED = re.compile(r"《[^《》\n]{0,80}》|“[^“”\n]{0,60}”|（[^（）\n]{0,30}）|\([^()\n]{0,30}\)|\d[\d.]*(?:[∶:：]\d[\d.]*)+")
_PARENTHESES = re.compile(r"（[^（）\n]{0,30}）|\([^()\n]{0,30}\)")
# Subjects too generic to stand alone: 总量位居全国第四 -> "<previous subject>总量" (qa/vocab/extraction.toml).
GENERIC_NOUNS = frozenset(vocabulary().extraction("generic_subjects"))
_FUNCTION_WORDS = frozenset(vocabulary().extraction("function_words"))
_NOUNISH = ("n", "vn", "j", "l", "s", "nr", "ns", "nt", "nz", "an", "i", "eng")
_STOP_FLAGS = ("p", "c", "d", "r", "u", "ul", "uz", "ug", "uv", "ud", "f", "y")


@lru_cache(maxsize=1)
def _grammar() -> dict[str, re.Pattern]:
    """Lead, trail and rank words of qa/vocab/extraction.toml as patterns."""
    v = vocabulary().extraction
    lead = alternation(v("lead_words"))
    rank_verbs = alternation([*v("rank_nouns"), *v("rank_verbs")])
    scopes = alternation(v("rank_scopes"))
    return {
        "lead_time": re.compile(rf"^(?:{_YEAR_WORD}(?:以来|底|末)?|{alternation(v('lead_clauses'))})[，,]?"),
        "lead": re.compile(rf"^(?:{_YEAR_WORD}|{lead}|{alternation([*v('now_words'), *v('part_markers')])}|{_LIST_MARK}|[、，,\s])+"),
        "trail": re.compile(rf"(?:{alternation(v('trail_words'))}|[、，,\s])+$"),
        "rank": re.compile(rf"(?:在[^，。；]{{1,12}}中)?(?:{scopes})?(?:{rank_verbs})+(?:{scopes})?$"),
    }


def _tags(text: str) -> list[tuple[str, str]]:
    return list(pos_tags(text))  # the vocabulary's words first (pos_tags ensures it), cached


def _is_nounish(flag: str) -> bool:
    return flag.startswith("n") or flag in _NOUNISH


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentences split after 。；！？ (separator kept), surrounding spaces trimmed."""
    spans = []
    for m in _SENTENCE.finditer(text):
        start, end = m.span()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            spans.append((start, end))
    return spans


def clause_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Clauses of text[start:end] split on ，： (not inside 《》, quotes or parentheses)."""
    protected = [m.span() for m in _PROTECTED.finditer(text, start, end)]
    cuts = [m.end() for m in _CLAUSE_SEP.finditer(text, start, end) if not any(a < m.start() < b for a, b in protected)]
    bounds = [start, *cuts, end]
    spans = []
    for a, b in zip(bounds, bounds[1:]):
        while b > a and (text[b - 1] in _PUNCT or text[b - 1].isspace()):
            b -= 1  # the separator is not part of the clause's words
        if a < b:
            spans.append((a, b))
    return spans


def _valid_actor(phrase: str) -> bool:
    if len(phrase) > 25 or re.search(r"[、，,“”《》\s\d]", phrase):
        return False
    tags = _tags(phrase)
    if not tags or tags[0][1][0] in "vdprcuf" or tags[0][1] == "m":
        return False  # 推进…中心 / 进一步完善分中心 / 通过…媒体 are not actors
    v = vocabulary()
    if all(_is_scope_word(w) or (w in v.generic_nouns and v.actor_of(w) is None) for w, _ in tags):
        return False  # 全市地区(生产总值): a scope and a general word name no acting body
    return not any(f == "d" or f.startswith("u") for _, f in tags)


def _is_scope_word(word: str) -> bool:
    """省, 市, 全市, 我省, 本区: a place suffix alone or after 全/我/本 (qa/vocab/places.toml)."""
    suffixes = vocabulary().place_suffixes
    return word in suffixes or (len(word) > 1 and word[0] in "全我本" and word[1:] in suffixes)


def _name_start(phrase: str) -> int:
    """Offset where the organisation name starts: 充分利用国家知识产权局 -> 国家知识产权局."""
    tags, pos, offsets = _tags(phrase), 0, []
    for word, flag in tags:
        offsets.append((pos, word, flag))
        pos += len(word)
    v = vocabulary()
    org = next((i for i, (_, w, f) in enumerate(offsets) if f == "nt" or v.actor_of(w)), None)
    if org is None:
        return 0
    start = org
    while start > 0 and (offsets[start - 1][2] in ("ns", "nt", "m", "j") or _is_scope_word(offsets[start - 1][1])):
        start -= 1
    return offsets[start][0]


def clause_actor(clause: str) -> tuple[str, int, int] | None:
    """The actor named at the start of ``clause``: (name, start, end) or None.

    The first agency suffix whose prefix is a valid noun phrase wins, then the name is
    extended over noun-only continuations (国家知识产权局 + 天津专利代办处).
    """
    lead = _grammar()["lead_time"].match(clause)
    base = lead.end() if lead else 0
    head = clause[base:base + 30]
    ends, pos = set(), 0
    for word, _ in _tags(head):
        pos += len(word)
        ends.add(pos)
    for m in _ACTOR_RE.finditer(head):
        # a name ends where a word ends: 人均地区生产总值 holds the suffix 区 inside one word, and no actor
        if m.end() not in ends or not _valid_actor(head[:m.end()]):
            continue
        end = m.end()
        for nxt in _ACTOR_RE.finditer(head, end):
            tail = head[end:nxt.end()]
            if (tail and nxt.end() in ends and all(_is_nounish(f) or f == "m" for _, f in _tags(tail))
                    and not re.search(r"[、，,]", tail)):
                end = nxt.end()
            else:
                break
        begin = _name_start(head[:end])
        return head[begin:end], base, base + end
    return None


def clean_left(left: str, *, rank: bool = False) -> str:
    """Strip parentheses, a leading period, scope/time words at the start and totalisers/ranking verbs at the end.

    >>> clean_left("近五年累计退还企业"), clean_left("受理案件（含上年结转）"), clean_left("专利密度排名升至", rank=True)
    ('退还企业', '受理案件', '专利密度')
    """
    g = _grammar()
    text = strip_lead_time(FOOTNOTE.sub("", _PARENTHESES.sub("", left)))
    text = g["trail"].sub("", text)
    if rank:
        text = g["trail"].sub("", g["rank"].sub("", text))
    return g["lead"].sub("", text).strip()


def strip_lead_time(text: str) -> str:
    """Without a leading period or year: 近五年累计退还企业 -> 累计退还企业 (the span is the fact's time)."""
    period = next(iter(find_periods(text)), None)
    if period is not None and not text[:period.start].strip("，, "):
        text = text[period.end:]
    return re.sub(rf"^{_YEAR_WORD}(?:度)?[，,]?", "", text)


def leading_noun(text: str) -> str:
    """The noun phrase a clause opens with: 我国市场主体呈现蓬勃发展势头 -> 我国市场主体 (else the clause)."""
    tags, used = _tags(text), 0
    for word, flag in tags:
        if flag.startswith("v") and flag != "vn" or flag[0] in "pcdu":
            break
        used += len(word)
    return text[:used] if used >= 2 else text


def is_verb_only(text: str) -> bool:
    """True when ``text`` names nothing (no noun-like token): 成立, 聘请覆盖, 对."""
    return not any(_is_nounish(f) for _, f in _tags(text))


def is_function_only(text: str) -> bool:
    """True when ``text`` holds only adverbs, prepositions and particles: 一直, 继续, 均."""
    return all(f[0] in "dpcuryf" for _, f in _tags(text))


def noun_after(segment: str) -> tuple[str, int]:
    """The noun phrase written right after a figure, and how many chars of ``segment`` it uses.

    Stops before a main-clause verb, a preposition/conjunction or adverb; a verb is kept
    when it starts the phrase, introduces a relative clause (专家组成的…专家组) or is
    followed only by the head noun (商标受理窗口).

    >>> noun_after("服务队")
    ('服务队', 3)
    >>> noun_after("专利审查员作为技术调查官")
    ('专利审查员', 5)
    """
    segment = re.split(r"[（()）]", segment, maxsplit=1)[0]  # a parenthesis after a figure names no noun of it
    lead = len(segment) - len(segment.lstrip("的 "))
    body = segment[lead:].rstrip("".join(_PUNCT) + " ")
    tags = _tags(body)
    if not tags or tags[0][0][0] in _PUNCT or tags[0][0] in _FUNCTION_WORDS or tags[0][1][0] in "pcu":
        return "", 0  # 128.4%和35.6% / 100家次、实地检查…: nothing is named after the figure
    if tags[0][1] == "v":  # 第5年举办…大赛, 1.5亿支持: the figure qualifies an action
        phrase = body[:20].rstrip("的、 ")
        return phrase, lead + len(phrase)
    used = len(tags[0][0])  # the first word is taken whatever its tag (jieba tags 批次 as d)
    for k in range(1, len(tags)):
        word, flag = tags[k]
        nxt = tags[k + 1] if k + 1 < len(tags) else None
        if flag[0] in "pcdr" or flag in _STOP_FLAGS or word in _FUNCTION_WORDS or word[0] in _PUNCT and word != "、":
            break
        if nxt is not None and nxt[0] in ("了", "着", "过"):
            break  # 商品启动了…: an aspect particle marks the main verb
        if flag == "v":
            head_only = nxt is not None and k + 2 == len(tags) and _is_nounish(nxt[1])
            if not (nxt and nxt[0] == "的") and not head_only:
                break
        used += len(word)
    phrase = body[:used].rstrip("的、 ")
    return phrase, (lead + len(phrase) if phrase else 0)
