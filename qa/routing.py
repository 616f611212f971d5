"""Which reports of the library a question is about, and what to ask each of them.

A question picks reports by the year, the place or the title it names (`plan`). Two or more
years (or places) that each have a report make a question across reports: each report is asked
the same question with the years and the comparison taken out (`sub_question`), so that every
report answers the same thing and the answers can be put in rows, subtracted or compared.
A question naming nothing is left to one search over every report (qa.library_engine).

Pure functions over the normalised question (index.normalise.normalise_question) and a
`Shelved` description of each report; nothing here reads a report's text.

>>> shelf = (Shelved("p18", "《检察 2018》", 2018, "", frozenset({2018})),
...          Shelved("p19", "《检察 2019》", 2019, "", frozenset({1999, 2019})))
>>> p = plan("19年比18年批捕的知识产权案子多了多少件啊?", shelf)
>>> p.operation, [(g.name, g.report_ids, g.question) for g in p.groups]
('difference', [('2019年', ('p19',), '批捕的知识产权案子是多少件啊?'), ('2018年', ('p18',), '批捕的知识产权案子是多少件啊?')])
>>> plan("2018、2019两年提起公诉的件数各是多少?", shelf).groups[0].question
'提起公诉的件数是多少?'
>>> plan("2020年批捕了多少人?", shelf).reason
'报告库中没有2020年的报告（现有报告的年份：2018、2019年）。请换一个年份，或在「报告库」中添加那一年的报告。'
>>> [g.report_ids for g in plan("1999年起诉了多少人?", shelf).groups]
[('p19',)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Sequence

OPERATIONS = ("value", "each", "difference", "compare")
_CN_DIGITS = str.maketrans("〇零○一二三四五六七八九", "00012345678" "9")
# Years: 2019年 / 2019 (before a joining word or outside Chinese) / 19年 / 二〇一九年.
_YEAR4 = re.compile(r"(?<![\d.])((?:19|20)\d{2})(?:年度?|(?=[、,，和与跟及或至到还比两\s?？)）]|$))")
_YEAR2 = re.compile(r"(?<![\d.近多几前后过这去第每约])(\d{2})年(?![代来间内里以])")
_YEARCN = re.compile(r"([〇零○一二三四五六七八九]{4})年")
# What joins two named years or places, written before the second one.
_JOIN_BEFORE = re.compile(r"(?:(?:多|高|大|少|低)?还是|以及|[、,，和与跟及同或比较]|相比|\s*(?:\bor\b|\band\b|\bthan\b|\bin\b|vs\.?))\s*$")
_JOIN_AFTER = re.compile(r"^(?:相比|比较|比|这?两年|两地|两份|几年)")
_COMPARE_TAIL = re.compile(r"^(?:更|比较)?(?:多|高|大|少|低)(?:一些|一点|些)?(?=[?？。!！,，]|$)")
# Questions across reports: a difference, a comparison, each one's figure.
_DIFFERENCE = re.compile(r"(?:相差|差距|差额|差了?)(?:是|有|为)?(?:多少|几|多大)(?:个百分点)?"
                         r"|(多|少|高|低|增加|减少|增长|下降|上升|提高|降低|涨|降)(?:了|出)?(?:多少|几)(?:个百分点)?")
_MORE_VERB = re.compile(r"(?<![有多至最])(?:多|少)([^，,。？?多少几是有的了]{1,4}?了?)(?:多少|几)")  # 多批捕了多少人
_DIFFERENCE_EN = re.compile(r"how (?:many|much) (?:more|less|fewer)|\bdifference\b", re.I)
_GROWTH_VERBS = ("增加", "减少", "增长", "下降", "上升", "提高", "降低", "涨", "降")
_GROWTH_WORDS = re.compile(r"同比|环比|比上年|较上年|比去年|较去年|比上一年|较上一年")
_COMPARATIVE = r"(?:更|比较|最)?(多|高|大|少|低|快|慢)(?:一些|一点|些)?"
_COMPARE = re.compile(r"(?:哪(?:一)?(?:年|个|家|份|地|里|边|方)|谁)[^，,。？?]{0,12}?" + _COMPARATIVE
                      + r"|(多|高|大|少|低)还是")
_COMPARE_EN = re.compile(r"\bwhich (?:year|one|place|report)\b", re.I)
_ACROSS = re.compile(r"哪(?:一)?(?:年|个|份|地|里)|\bwhich\b", re.I)  # names no report, asks which of them
# What a sub-question drops of a comparison: 哪年更高, 哪个省的, 谁的, and the comparative at its end.
_WHICH = re.compile(r"哪(?:一)?(?:年|个|家|份|地|里|边|方)(?:省|市|地区|地方|城市|年份|年度|报告)?的?"
                    r"(?:(?:更|比较|最)?(?:多|高|大|少|低|快|慢)(?:一些|一点|些)?)?")
_WHO = re.compile(r"谁的?")
_TAIL = re.compile(r"(?<![多有几])" + _COMPARATIVE + r"(?=[?？。!！]*$)")
_EACH = re.compile(r"各自?(?=是|为|有|[^，,。？?]{0,8}(?:多少|几))|，?分别(?:说一下|说说|是多少|是|为|有)?|各(?=是|为)")
_ENGLISH = re.compile(r"[A-Za-z][A-Za-z0-9'’\-]*(?:[ ,.]+[A-Za-z0-9][A-Za-z0-9'’\-]*)+[ ,.?!]*")
_FOLLOWUP = re.compile(r"^(?:那么?|那个|还有|另外|其中|再问|同期|同年|而)|呢[?？。!！]*$")
_ASKS = re.compile(r"多少|几|什么|哪|谁|是否|吗|如何|怎么|怎样|多大|多高|多长|多久")


@dataclass(frozen=True)
class Shelved:
    """A report as routing sees it."""

    id: str
    label: str  # how answers name it: 《title》
    year: int | None  # the year the report is about (catalogue)
    place: str  # the place it is about ("" when national or unknown)
    years: frozenset[int] = frozenset()  # years its text writes (2019年)
    title: str = ""


@dataclass(frozen=True)
class Mention:
    """A year, place or title named in the question, at text[start:end]."""

    kind: str  # year | place | title
    value: object  # 2019, "天津市", or the report id a title names
    start: int
    end: int


@dataclass(frozen=True)
class Group:
    """Reports asked one question: the reports of one named year or place, or the reports picked."""

    name: str  # "2019年", "天津市", or the report's label
    report_ids: tuple[str, ...]
    question: str


@dataclass(frozen=True)
class Plan:
    """What to ask which reports. No groups (and no reason): nothing named, one search decides."""

    operation: str = "value"  # value | each | difference | compare
    groups: tuple[Group, ...] = ()
    reason: str = ""  # non-empty: refuse with this (a year or place no report covers)
    missing: tuple[str, ...] = ()  # years or places named that no report covers, when others do
    lower: bool = False  # a comparison asking for the smaller (哪年更低)
    followup: bool = False  # the reports come from earlier turns of the conversation
    by: str = ""  # year | place: what tells the groups apart (the other must be the same to compare)


def year_mentions(text: str) -> list[Mention]:
    """Years written in a question: 2019年, 2019 (in 2018、2019 or English), 19年, 二〇一九年.

    >>> [(m.value, m.start) for m in year_mentions("18年跟19年各批捕了多少人, 2020年呢, 近10年")]
    [(2018, 0), (2019, 4), (2020, 16)]
    """
    found = []
    for m in _YEAR4.finditer(text):
        found.append(Mention("year", int(m.group(1)), m.start(), m.end()))
    for m in _YEAR2.finditer(text):
        value = int(m.group(1))
        found.append(Mention("year", 2000 + value if value <= 50 else 1900 + value, m.start(), m.end()))
    for m in _YEARCN.finditer(text):
        found.append(Mention("year", int(m.group(1).translate(_CN_DIGITS)), m.start(), m.end()))
    return sorted(found, key=lambda m: m.start)


def place_forms(place: str) -> tuple[str, ...]:
    """How a question may name a place: 天津市 or 天津 (longest first).

    >>> place_forms("广西壮族自治区"), place_forms("北京市"), place_forms("")
    (('广西壮族自治区', '广西'), ('北京市', '北京'), ())
    """
    if not place:
        return ()
    from qa.vocabulary import vocabulary

    for suffix in sorted(vocabulary().place_suffixes, key=len, reverse=True):  # 壮族自治区 before 区
        if place.endswith(suffix) and len(place) - len(suffix) >= 2:
            return place, place[: -len(suffix)]
    return (place,)


def _named(text: str, needles: dict[str, object], kind: str, taken: list[tuple[int, int]]) -> list[Mention]:
    found = []
    for needle in sorted(needles, key=len, reverse=True):
        for m in re.finditer(re.escape(needle), text):
            if not any(m.start() < e and s < m.end() for s, e in taken):
                taken.append((m.start(), m.end()))
                found.append(Mention(kind, needles[needle], m.start(), m.end()))
    return found


def find_mentions(text: str, shelf: Sequence[Shelved]) -> list[Mention]:
    """Titles, places and years the question names, in the order written."""
    taken: list[tuple[int, int]] = []
    titles = {r.title: r.id for r in shelf if len(r.title) >= 6}
    found = _named(text, titles, "title", taken)
    places = {form: r.place for r in shelf for form in place_forms(r.place)}
    found += _named(text, places, "place", taken)
    found += [m for m in year_mentions(text) if not any(m.start < e and s < m.end for s, e in taken)]
    return sorted(found, key=lambda m: m.start)


def operation_of(text: str) -> str:
    """difference | compare | each: what a question naming several reports wants.

    >>> operation_of("19年比18年多了多少件"), operation_of("2018年和2019年同比增长了多少")
    ('difference', 'each')
    >>> operation_of("2019年比2018年多批捕了多少人"), operation_of("18年和19年各有多少人")
    ('difference', 'each')
    >>> operation_of("天津和北京谁的专利多"), operation_of("是2018年多还是2019年多"), operation_of("哪年更低")
    ('compare', 'compare', 'compare')
    """
    difference = _DIFFERENCE.search(text)
    growth_only = difference and difference.group(1) in _GROWTH_VERBS and _GROWTH_WORDS.search(text)
    if _DIFFERENCE_EN.search(text) or _MORE_VERB.search(text) or (difference and not growth_only):
        return "difference"
    if _COMPARE.search(text) or _COMPARE_EN.search(text):
        return "compare"
    return "each"


def wants_lower(text: str) -> bool:
    """Whether a comparison asks for the smaller figure (哪年更低, 谁的少).

    >>> wants_lower("哪年更低?"), wants_lower("谁的专利多?")
    (True, False)
    """
    m = _COMPARE.search(text)
    return bool(m) and (m.group(1) or m.group(2) or "") in ("少", "低", "慢")


def sub_question(text: str, mentions: Sequence[Mention]) -> str:
    """The question without its years, places and titles and without the comparison, as each report is asked it.

    >>> sub_question("起诉的人数是2018年多还是2019年多", year_mentions("起诉的人数是2018年多还是2019年多"))
    '起诉的人数是多少?'
    >>> sub_question("批捕案件数的同比增速,18年和19年哪年更高?", year_mentions("批捕案件数的同比增速,18年和19年哪年更高?"))
    '批捕案件数的同比增速是多少?'
    """
    cut = []
    for m in mentions:
        start, end = m.start, m.end
        before = _JOIN_BEFORE.search(text[:start])
        if before and cut:  # the joining word before a second year belongs to it
            start = before.start()
        after = _JOIN_AFTER.match(text[end:]) or _COMPARE_TAIL.match(text[end:])
        if after:
            end += after.end()
        cut.append((start, end))
    out, last = [], 0
    for start, end in sorted(cut):
        out.append(text[last:max(last, start)])
        last = max(last, end)
    rest = "".join(out) + text[last:]
    rest = _DIFFERENCE.sub("是多少", _MORE_VERB.sub(lambda m: m.group(1) + "多少", rest))
    if _WHO.search(rest):
        rest = _TAIL.sub("", _WHO.sub("", rest))
    rest = _EACH.sub("", _WHICH.sub("", rest))
    if re.search(r"[\u4e00-\u9fff]", _ENGLISH.sub("", rest)):
        rest = _ENGLISH.sub("", rest)
    rest = re.sub(r"[，,、\s]+(?=[?？。!！]|$|是多少)", "", rest)
    rest = re.sub(r"^[的，,、?？\s]+", "", rest).strip()
    rest = re.sub(r"([?？])[?？]+", r"\1", rest)
    if not _ASKS.search(rest):
        rest = re.sub(r"[是的?？。!！\s]+$", "", rest) + "是多少?"
    return rest


def is_followup(text: str) -> bool:
    """A question that leans on the one before (那涉案金额呢, 其中海关呢, 还有呢), not a new question.

    >>> is_followup("那提起公诉呢?"), is_followup("其中公安机关"), is_followup("公安机关抓获了多少名犯罪嫌疑人?")
    (True, True, False)
    """
    return bool(_FOLLOWUP.search(text)) or len(re.findall(r"[\u4e00-\u9fff]", text)) <= 4


def _groups_by(kind: str, mentions: Sequence[Mention], shelf: Sequence[Shelved]) -> list[tuple[str, tuple[str, ...]]]:
    """(name, report ids) for each distinct year or place named, in the order written."""
    groups = []
    for value in dict.fromkeys(m.value for m in mentions if m.kind == kind):
        if kind == "year":
            ids = tuple(r.id for r in shelf if r.year == value)
            groups.append((f"{value}年", ids))
        else:
            groups.append((str(value), tuple(r.id for r in shelf if r.place == value)))
    return groups


def _year_list(years) -> str:
    return "、".join(str(y) for y in sorted(years)) + "年" if years else "不详"


def plan(text: str, shelf: Sequence[Shelved], *, earlier: Sequence[str] = ()) -> Plan:
    """What to ask which reports, for a normalised question; `earlier`: the conversation's earlier
    questions, latest first (a follow-up naming nothing stays with the reports they named)."""
    mentions = find_mentions(text, shelf)
    operation = operation_of(text)
    if not mentions and is_followup(text):
        for turn in earlier:
            before = plan(turn, shelf)
            if before.groups and not before.reason:
                return replace(before, groups=tuple(replace(g, question=text) for g in before.groups), followup=True)
    if not mentions:
        across = operation == "compare" and bool(_ACROSS.search(text))
        return Plan("compare" if across else "value", lower=wants_lower(text), by="year" if across else "")
    pool = list(shelf)
    titled = {m.value for m in mentions if m.kind == "title"}
    if titled:
        pool = [r for r in pool if r.id in titled]
    for kind in ("place", "year"):
        groups = _groups_by(kind, mentions, pool)
        covered = [(name, ids) for name, ids in groups if ids]
        missing = tuple(name for name, ids in groups if not ids)
        if len(covered) >= 2:
            if operation == "difference" and len(covered) > 2:
                return Plan(reason=f"差值只能在两个{'年份' if kind == 'year' else '地区'}之间计算（问题写了"
                                   f"{'、'.join(n for n, _ in covered)}）；请只写两个。")
            asked = sub_question(text, mentions)
            return Plan(operation, tuple(Group(name, ids, asked) for name, ids in covered), missing=missing,
                        lower=wants_lower(text), by=kind)
        if covered:
            pool = [r for r in pool if r.id in covered[0][1]]
        elif kind == "year" and groups:  # no report is about the year: the reports whose text writes it
            years = {m.value for m in mentions if m.kind == "year"}
            pool = [r for r in pool if years <= r.years]
            if not pool:
                known = {r.year for r in shelf if r.year}
                return Plan(reason=f"报告库中没有{_year_list(years)}的报告（现有报告的年份：{_year_list(known)}）。"
                                   "请换一个年份，或在「报告库」中添加那一年的报告。")
    if not pool:
        return Plan(reason="报告库中没有同时符合问题里的报告名称、地区和年份的报告；请在「报告库」中查看有哪些报告。")
    years = {m.value for m in mentions if m.kind == "year"}
    if len(years) == 1 and all(r.year in years for r in pool):  # the year picked the report: it has done its work
        text = without(text, [m for m in mentions if m.kind == "year"])
    return Plan("value", (Group("", tuple(r.id for r in pool), text),))


def without(text: str, mentions: Sequence[Mention]) -> str:
    """The question with the mentions taken out (and a 的 or comma they leave at the start).

    >>> without("2019年的认罪认罚案件有多少?", year_mentions("2019年的认罪认罚案件有多少?"))
    '认罪认罚案件有多少?'
    """
    for m in sorted(mentions, key=lambda m: -m.start):
        text = text[:m.start] + text[m.end:]
    return re.sub(r"^[的，,、\s]+", "", text) or text
