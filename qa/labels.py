"""Labels: the digits and numerals of report prose that are not quantities, and the years and periods.

A label names something (a title, a case, a date, a span of time, an item of a list); the fact
extractor skips every quantity that overlaps one (`qa.numbers`) and reads the times of figures
from the years and periods found here (`qa.periods`). The words come from qa/vocab/extraction.toml.

>>> text = "近五年全国法院审结案件78.1万件，2016年以来累计办理980件，截至2020年底有效专利3万件。"
>>> [(p.text, p.year, p.needs_year) for p in find_periods(text)]
[('近五年', None, False), ('2016年以来', None, False), ('截至2020年底', 2020, False)]
>>> [(y.year, y.is_base) for y in find_years("2020年审结8820件，较2019年增长37.9%")]
[(2020, False), (2019, True)]
>>> s = "1.查处一批案件。（2）以上三类合计占88%"
>>> [s[a:b] for a, b in label_spans(s)]
['1.', '一批', '（2）', '以上三']
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from qa.vocabulary import alternation, vocabulary

__all__ = ["Period", "YearMention", "find_periods", "find_years", "label_spans", "is_set_description"]


class YearMention(NamedTuple):
    """A calendar year written in running text; ``is_base`` for comparison bases (较2019年)."""

    year: int
    start: int
    end: int
    is_base: bool


class Period(NamedTuple):
    """A span of time written in the text: 2016年以来, 近五年, 截至2020年底, 1-4月份, 上半年.

    ``year`` is the year the span is dated by (截至2020年底 -> 2020), None for spans over
    several years (以来, 近五年, 2013年至2017年); ``needs_year`` marks spans inside one year
    that do not write it (1-4月份, 上半年, 一年来): their year is the one the context gives.
    """

    start: int
    end: int
    text: str
    year: int | None
    needs_year: bool
    is_base: bool = False  # written as a comparison base: 增速比1-3月份回落
    within: bool = False  # a span inside one year (1-4月份, 一季度): it dates flows, not stocks


_CN_NUM = "[一二两三四五六七八九十]{1,3}"
_BOOK = re.compile(r"《[^《》\n]{0,80}》")
_QUOTE = re.compile(r"“[^“”\n。]{0,60}”|「[^「」\n。]{0,60}」|\"[^\"\n。]{0,60}\"")
_MONTH_DAY = re.compile(r"(\d{1,2})\.(\d{1,2})")
_YEAR_RANGE = re.compile(r"(?:19|20)\d\d\s*年?\s*[-—–~～至到]\s*(?:19|20)\d\d年?")
_DATE = re.compile(r"(?:(?:19|20)\d\d年)?\d{1,2}月(?:\d{1,2}[日号])?")
_AGE_BOUND = re.compile(r"\d{1,3}(?:周)?岁(?:及)?(?:以下|以上|以内)")  # 3岁以下婴幼儿: who is counted, not a count
_NUMERIC_DATE = re.compile(r"(?<![\d.])(?:19|20)\d\d([-/.])\d{1,2}\1\d{1,2}(?![\d.])")  # 2026-02-03, 2021/5/8
_YEAR = re.compile(r"(?<![0-9])((?:19|20)\d\d)年")
_WRITTEN_YEAR = re.compile(r"(?:19|20)\d\d")
_LIST_MARK = re.compile(rf"(?:^|(?<=[\n。；;：:！？!?]))\s*(?:\d{{1,2}}|{_CN_NUM})\s*(?:[.．](?!\d)|[.．](?=(?:19|20)\d\d年)|[、)）])"
                        rf"|[（(](?:\d{{1,2}}|{_CN_NUM})[)）]")
_CLAUSE_END = re.compile(r"[，。；：！？,;:!?（(\n]")
# A footnote mark after a word (国内生产总值[2]1143670亿元, as statistics communiqués write them), or opening
# the footnote's own line ([2]国内生产总值…是指).
FOOTNOTE = re.compile(r"(?:(?<=\S)|^)[\[［〔]\d{0,3}[\]］〕]", re.M)
_BASE_BEFORE = re.compile(r"(?:较|比|与|同|相比)$")


def _words(key: str) -> str:
    return alternation(vocabulary().extraction(key))


@lru_cache(maxsize=1)
def _period_pattern() -> re.Pattern:
    """One alternation of every period shape, longest shapes first (see `Period`)."""
    year = r"(?:19|20)\d\d年"
    month = r"(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
    num = rf"(?:\d{{1,3}}|{_CN_NUM}|几|多)"
    opener, end, since = _words("period_openers"), _words("period_ends"), _words("period_suffixes")
    join, recent, this = _words("range_joiners"), _words("recent_years"), _words("this_year")
    within, months, now = _words("within_year_periods"), _words("month_suffixes"), _words("now_words")
    shapes = [
        rf"(?P<until>(?:{opener})\s*(?:{year}(?:{month}月(?:\d{{1,2}}日)?)?(?:{end})?|{month}月(?:{end}|\d{{1,2}}日)?|{now}))",
        rf"(?P<range>(?:19|20)\d\d\s*年?(?:{month}月)?\s*(?:{join})\s*{year}(?:{month}月)?(?:{end})?)",
        rf"(?P<since>(?:{year}(?:{month}月)?(?:{end})?|{this}|(?:{recent})?{num}?年)(?:{since}))",
        rf"(?P<recent>(?:{recent}){num}?年)",
        rf"(?P<months>(?:{year}|{this})?{month}\s*(?:{join})\s*{month}月份?|(?:{year}|{this})?(?<![\d.]){month}(?:{months}))",
        rf"(?P<within>(?:{year}|{this})?(?:{within}))",
        rf"(?P<yearend>{year}(?:{end}))",
    ]
    return re.compile("|".join(shapes))


def find_periods(text: str) -> list[Period]:
    """Every period written in ``text`` (not inside 《》 or quoted names), in order."""
    blocked = [m.span() for m in _BOOK.finditer(text)] + [m.span() for m in _QUOTE.finditer(text)]
    out = []
    for m in _period_pattern().finditer(text):
        if any(a <= m.start() < b for a, b in blocked):
            continue
        kind = m.lastgroup
        written = _WRITTEN_YEAR.findall(m.group())
        if kind in ("range", "since", "recent"):
            one_year = kind == "since" and not written and m.group().startswith(tuple(vocabulary().extraction("one_year_spans")))
            year, needs = None, one_year  # 一年来 / 今年以来: the report's year, as the context says
        else:
            year, needs = (int(written[-1]), False) if written else (None, True)
        is_base = bool(_BASE_BEFORE.search(text, max(0, m.start() - 2), m.start()))
        out.append(Period(m.start(), m.end(), m.group(), year, needs, is_base, kind in ("months", "within")))
    return out


def find_years(text: str) -> list[YearMention]:
    """Calendar years in running text (not inside 《》 or quoted names, not year ranges)."""
    blocked = [m.span() for m in _BOOK.finditer(text)] + [m.span() for m in _QUOTE.finditer(text)]
    blocked += [m.span() for m in _YEAR_RANGE.finditer(text)]
    out = []
    for m in _YEAR.finditer(text):
        if any(a <= m.start() < b for a, b in blocked):
            continue
        is_base = bool(_BASE_BEFORE.search(text, max(0, m.start() - 2), m.start()))
        out.append(YearMention(int(m.group(1)), m.start(), m.end(), is_base))
    return out


def _is_whole_figure(s: str) -> bool:
    from qa.numbers import parse_quantity

    q = parse_quantity(s)
    return q is not None and q.start == 0 and q.end == len(s)


@lru_cache(maxsize=1)
def _word_labels() -> re.Pattern:
    """Vague amounts (一批), references back to a listed set (以上三类) and numbered parts of a document
    (表2, 附件1: not after another character, or 代表3000人 would be one)."""
    refs = _words("set_references")
    parts = _words("numbered_parts")
    articles = rf"(?<![第\d.零〇一二两三四五六七八九十百千万])一(?:{_words('article_measures')})(?![余多])"
    return re.compile(rf"{_words('vague_amounts')}|{articles}|(?:{refs})(?:{_CN_NUM}|\d{{1,2}})"
                      rf"|(?<![\u4e00-\u9fff])(?:{parts})\s?\d{{1,3}}(?![\d.%])")


@lru_cache(maxsize=1)
def _phase() -> re.Pattern:
    """图书馆二期, 核电二期: a numeral + 期 after a name is the project's phase (qa/vocab/extraction.toml)."""
    v = vocabulary().extraction
    not_after = "".join(f"(?<!{re.escape(w)})" for w in v("phase_not_after"))
    return re.compile(rf"(?<=[\u4e00-\u9fff”》]){not_after}[一二三四五六七八九十]期(?!{alternation(v('phase_not_before'))})")


def _label_quotes(text: str):
    """The quoted spans of ``text`` that name something rather than give a figure (“9.26”案, “昆仑2020”; not
    “30%”): no figure is read inside them."""
    for m in _QUOTE.finditer(text):
        inner = m.group()[1:-1].strip()
        md = _MONTH_DAY.fullmatch(inner)
        is_date = md is not None and 1 <= int(md.group(1)) <= 12 and 1 <= int(md.group(2)) <= 31
        if is_date or not _is_whole_figure(inner):
            yield m


def quoted_labels(text: str) -> list[str]:
    """What `_label_quotes` finds, without the quote marks: the question reader keeps those with a number as
    terms (their number is no figure there either).

    >>> quoted_labels("“9.26”案和“昆仑2020”行动，增长“30%”")
    ['9.26', '昆仑2020']
    """
    return [m.group()[1:-1].strip() for m in _label_quotes(text)]


_EDITION = re.compile(r"([\u4e00-\u9fff]{2,})((?:19|20)\d\d)(?![\d年])")


def other_edition(question: str, report: str) -> tuple[str, str]:
    """(asked, written) when the question names an edition of a named campaign (昆仑2022: a name and a year
    with no 年) that the report never writes, while it writes that name with another year (昆仑2021);
    ("", "") otherwise. The name is the longest ending of the characters before the year that the report
    writes with a year.

    >>> other_edition("破获昆仑2022行动多少起", "开展“昆仑2021”专项行动")
    ('昆仑2022', '昆仑2021')
    >>> other_edition("昆仑2021行动破了多少", "开展“昆仑2021”专项行动"), other_edition("2022年破了多少", "昆仑2021")
    (('', ''), ('', ''))
    """
    for m in _EDITION.finditer(question):
        stem, year = m.groups()
        for k in range(len(stem) - 1):
            written = re.search(re.escape(stem[k:]) + r"((?:19|20)\d\d)(?![\d年])", report)
            if written:
                asked = stem[k:] + year
                if asked not in report:
                    return asked, written.group()
                break
    return "", ""


def label_spans(text: str) -> list[tuple[int, int]]:
    """Spans whose digits are no quantities: 《titles》, quoted names, year ranges, dates, periods,
    list markers (1. （2）), vague amounts (一批), references to a listed set (以上三类), numbered parts
    of the document (表2) and footnote marks ([62]).

    >>> from qa.numbers import find_quantities
    >>> [q.text for q in find_quantities("PCT专利申请受理量[62]7.3万件。表2 居民消费价格涨幅；代表3000人")]
    ['7.3万件', '3000人']
    >>> [q.text for q in find_quantities("时间：2026-02-03，增长2.5%")]
    ['2.5%']
    >>> [q.text for q in find_quantities("每千人拥有3岁以下婴幼儿托位数4.59个，60岁以上老人12万人")]
    ['4.59个', '12万人']
    >>> [q.text for q in find_quantities("省图书馆二期建成，举办三期培训班")]
    ['三期']
    >>> [q.text for q in find_quantities("20.2026年10件民生实事")]  # item 20, then a year
    ['10件']
    >>> [q.text for q in find_quantities("走出一条新路，排名第一个，建成十一个站")]  # 一条 is an article
    ['第一', '十一个']
    """
    spans = [m.span() for m in _BOOK.finditer(text)]
    spans += [m.span() for m in _label_quotes(text)]
    spans += [m.span() for m in _YEAR_RANGE.finditer(text)]
    spans += [m.span() for m in _DATE.finditer(text)]
    spans += [m.span() for m in _NUMERIC_DATE.finditer(text)]
    spans += [m.span() for m in _AGE_BOUND.finditer(text)]
    spans += [m.span() for m in _phase().finditer(text)]
    spans += [(p.start, p.end) for p in find_periods(text)]
    spans += [m.span() for m in _LIST_MARK.finditer(text)]
    spans += [m.span() for m in _word_labels().finditer(text)]
    spans += [m.span() for m in FOOTNOTE.finditer(text)]
    return sorted(spans)


def is_set_description(text: str, start: int, end: int, value: Decimal) -> bool:
    """在四个直辖市中 / 市级、区级两个保护中心: a count naming a set, not a reported figure."""
    if text.endswith("在", 0, start) and re.match(r"[\u4e00-\u9fff]{1,10}中", text[end:]):
        return True
    clause = _CLAUSE_END.split(text[:start])[-1]
    items = clause.split("、")
    return len(items) >= 2 and Decimal(len(items)) == value
