"""Reading a question into one typed record: what is asked, what to do with it, about whom and when.

The reader knows no report: it reads words against the shared vocabulary (qa/vocab). What the
report says about those words is the matcher's business.

>>> r = read("警察抓了多少人？")
>>> r.asked, r.operation, r.actors, r.actions, sorted(r.units)[:2]
('count', 'value', ('公安',), ('抓获',), ['人', '人次'])
>>> read("法院和检察院谁的案子多？").operation, len(read("法院和检察院谁的案子多？").parts)
('compare', 2)
>>> t = read("公安抓获的犯罪嫌疑人是不是超过了500名？").threshold
>>> (t.op, t.value, t.unit)
('>', 500.0, '名')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Sequence

import cn2an
from qa.lexical import tokenize
from qa.months import month_span
from qa.numbers import find_years
from qa.parts import ends_comparative, split_shaped
from qa.tagging import block_tags
from qa.vocabulary import alternation, vocabulary

OPERATIONS = ("value", "compare", "difference", "sum", "yesno")
_CN_NUM = "[零〇一二两三四五六七八九十百千万亿]+"
DIGITS = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Turn:
    """One message of a chat history."""

    role: str  # "user" or "assistant"
    content: str


@dataclass(frozen=True)
class Threshold:
    """The figure a yes/no question compares with: 超过500人了吗 -> ('>', 500, '人')."""

    op: str  # ">" | "<" | "="
    value: float
    unit: str
    text: str


@dataclass(frozen=True)
class Reading:
    """A question as the matcher needs it. Slots left empty were not stated."""

    question: str  # as asked
    text: str  # normalised, numerals as digits, everyday phrases rewritten
    asked: str = "text"  # first cue group found: rank, ratio, growth, percent, duration, date, money, list, name, count, text
    cues: tuple[str, ...] = ()  # every cue group found
    operation: str = "value"  # value | compare | difference | sum | yesno
    threshold: Threshold | None = None
    measure: str = ""  # measure word written after 多少/几 ("" if none, or the everyday 个)
    units: frozenset[str] = frozenset()  # units a figure answering it may carry (empty: any)
    years: tuple[int, ...] = ()
    base_years: tuple[int, ...] = ()
    months: tuple[int, int] | None = None  # the span of months asked about (4月份 -> (4, 4)), see qa.months
    actors: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    action_words: tuple[tuple[str, str], ...] = ()  # (word as written, action) for each action named
    terms: tuple[str, ...] = ()  # the question's own content words
    nouns: tuple[str, ...] = ()  # its content words that name things (jieba noun tags): what must be in the report
    relative_year: str = ""  # a year named relative to now that is not the report's (前年)
    inherited: tuple[str, ...] = ()  # content words carried from earlier turns (follow-ups)
    counted: tuple[str, ...] = ()  # the noun after 多少/几 + measure word
    places: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()  # figures written in the question
    scope: str = ""  # total | part | delta | ""
    average: bool = False  # asks for an average (平均每笔), which only a figure written as one answers
    parts: tuple["Reading", ...] = ()  # one reading per figure asked for
    followup: bool = False
    focus: tuple[str, ...] = field(default=())  # figures the previous answer gave

    @property
    def query(self) -> str:
        """Text for retrieval: the question with the words it inherits."""
        return " ".join((self.text, *self.inherited)).strip()

    @property
    def all_terms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.terms, *self.inherited)))


# -- small readers, each a pure function of the text ---------------------------------------

def rewrite_phrases(text: str) -> str:
    """Everyday phrases to the report's words (比去年 -> 同比), from the vocabulary's phrase table."""
    for phrase, target in _phrases_longest_first():
        text = text.replace(phrase, target)
    return text


@lru_cache(maxsize=1)
def _phrases_longest_first() -> tuple[tuple[str, str], ...]:
    return tuple(sorted(vocabulary().tables["synonyms"]["phrases"].items(), key=lambda kv: -len(kv[0])))


def numerals_to_digits(text: str) -> str:
    """Chinese numerals that are quantities become digits (三十余人 -> 30余人, 第六 -> 第6).

    Only a numeral followed by a measure word (or after 第) counts: 十三五 and 一共 stay.

    >>> numerals_to_digits("抓了三十余人，排第六，十三五")
    '抓了30余人，排第6，十三五'
    """
    measures = alternation(vocabulary().measure_words + ("万", "亿"))

    def convert(m: re.Match) -> str:
        if m.group(1) == "零":  # 零部件, 零件: a lone 零 before a measure word is part of a word, not a quantity
            return m.group(0)
        try:
            return str(cn2an.cn2an(m.group(1), "smart")) + m.group(2)
        except (ValueError, KeyError, IndexError):  # not a well-formed numeral: keep it as written
            return m.group(0)

    glued = "".join(vocabulary().units("numeral_not_after"))
    text = re.sub(f"(?<![{glued}])({_CN_NUM})((?:余|多)?(?:{measures}))", convert, text)
    return re.sub(f"(?<=第)({_CN_NUM})()", convert, text)


def find_actors(text: str) -> tuple[str, ...]:
    """Actors named in a text (canonical names), in order of appearance."""
    lowered, found = text.lower(), {}
    for name, aliases in _lowered_actors():
        positions = [lowered.find(a) for a in aliases if a in lowered]
        if positions:
            found[name] = min(positions)
    return tuple(sorted(found, key=found.get))


@lru_cache(maxsize=1)
def _lowered_actors() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each actor's aliases in lower case, in the vocabulary's order."""
    return tuple((name, tuple(a.lower() for a in aliases)) for name, aliases in vocabulary().actors.items())


def find_actions(tokens: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """(word, action) for the words (jieba tokens) naming an action, or an action with a measure
    suffix (破案率, 结案数); the 受理 of 受理窗口 names a thing, not an action."""
    v = vocabulary()
    suffixes = v.tables["predicates"]["measures"]["suffixes"]
    found = []
    for t in tokens:
        if v.action_of(t):
            found.append((t, v.action_of(t)))
            continue
        for suffix in suffixes:
            stem = t[: -len(suffix)]
            if t.endswith(suffix) and len(stem) > 1 and v.action_of(stem):
                found.append((stem, v.action_of(stem)))
                break
    return tuple(dict.fromkeys(found))


def find_measure(text: str, *, count_nouns: bool = True) -> tuple[str, frozenset[str]]:
    """The measure word after 多少/几 (or a count noun such as 人数) and the units it allows.

    个 alone allows anything, except in 几个人 and 几个月. A noun led by a measure word is no measure:

    >>> find_measure("机电产品占了多大份额")[0], find_measure("多少份文件")[0]
    ('', '份')
    """
    v = vocabulary()
    # 哪几家, 哪几个 ask which ones, not how many: no measure word after 哪.
    led = alternation(v.units("measure_led_nouns"))
    m = re.search(f"(?<!哪)(?:{alternation(v.ask_words)})(万|亿)?(?!{led})({alternation(v.measure_words)})", text)
    word = m.group(2) if m else ""
    if word == "个":
        word = {"人": "人", "月": "个月"}.get(text[m.end():m.end() + 1], "")
    if not word and count_nouns:  # 批捕的人数 counts people; 件数涨幅 asks a rate, not a count
        nouns = v.tables["units"]["count_nouns"]
        word = next((nouns[n] for n in sorted(nouns, key=len, reverse=True) if n in text), "")
    return word, (v.units_for(word) if word else frozenset())


def find_counted(text: str) -> tuple[str, ...]:
    """The noun a question counts: 多少名专家 -> 专家."""
    v = vocabulary()
    found = []
    pattern = f"(?<!哪)(?:{alternation(v.ask_words)})(?:{alternation(v.measure_words)})?([^，,。？?！!、的了呢吗]{{1,8}})"
    for m in re.finditer(pattern, text):
        found += tokenize(m.group(1), search=False)[:2]
    return tuple(dict.fromkeys(found))


def _is_base(year, text: str) -> bool:
    """A year compared against: 较2019年 (the extractor's rule), or 跟2020年比 / 和去年相比 in a question."""
    after = text[year.end:year.end + 4]
    return year.is_base or any(after.startswith(w) for w in vocabulary().tables["cues"]["base_year"]["after"])


def find_places(text: str) -> tuple[str, ...]:
    """Place names: jieba's ns tag, and the vocabulary's provinces, cities and countries."""
    v = vocabulary()
    # jieba tags some everyday words ns (东西, 惠及): a tagged word is a place only when it ends
    # with a place suffix (东丽区, 上海市) or is one of the vocabulary's places.
    tagged = [w for w, flag in block_tags(text) if flag == "ns" and v.actor_of(w) is None
              and len(w) > 2 and w.endswith(v.place_suffixes) and w not in v.generic_nouns]
    listed = [p for p in v.places if p in text]
    return tuple(dict.fromkeys(tagged + listed))


def find_scope(text: str) -> str:
    scope = vocabulary().tables["cues"]["scope"]
    for name in ("part", "delta", "total"):
        if any(w in text for w in scope[name]):
            return name
    return ""


CENTURY_PIVOT = 50  # a two-digit year below it is 20xx, else 19xx (98年 -> 1998)


def short_years(text: str) -> tuple[int, ...]:
    """Years a question types with two digits: 20年那次 -> 2020, 98年 -> 1998; not durations or the start
    of a period (近20年, 20年来, 18年到现在; words in qa/vocab/cues.toml [short_years]).

    >>> short_years("20年那次满意度排第几？我看的是19年的"), short_years("近20年来"), short_years("18年到现在")
    ((2020, 2019), (), ())
    """
    words = vocabulary().tables["cues"]["short_years"]
    found = []
    for m in re.finditer(r"(?<![\d.])(\d\d)年", text):
        if text[:m.start()].endswith(tuple(words["not_after"])) or text[m.end():].startswith(tuple(words["not_before"])):
            continue
        n = int(m.group(1))
        found.append(2000 + n if n < CENTURY_PIVOT else 1900 + n)
    return tuple(found)


def bare_years(text: str) -> tuple[int, ...]:
    """Years typed as a keyword, without 年: "2026 地区生产总值 预期增速" -> 2026. Only a 19xx/20xx number
    standing alone (start, end, a space or a comma on both sides), so 2026家 or 破2000了吗 are not years.

    >>> bare_years("2026 地区生产总值 预期增速"), bare_years("GDP 2021"), bare_years("超过2000家了吗"), bare_years("2020年")
    ((2026,), (2021,), (), ())
    """
    edge = r"[\s,，、:：;；?？!！]"
    return tuple(int(m.group(1)) for m in re.finditer(rf"(?:^|(?<={edge}))((?:19|20)\d\d)(?=$|{edge})", text))


def find_threshold(text: str) -> Threshold | None:
    """超过500人了吗 -> (>, 500, 人); 有没有到八成 -> (>, 80, %); 成立了8支服务队吗 -> (=, 8, 支).

    >>> [(t.op, t.value, t.unit) for t in map(find_threshold, ["破4万件了吗", "到八成了吗", "不到两千万吗"])]
    [('>', 40000.0, '件'), ('>', 80.0, '%'), ('<', 20000000.0, '')]
    """
    v = vocabulary()
    words = v.tables["cues"]["threshold"]
    for phrase, rise in sorted(words["doubling"].items(), key=lambda kv: -len(kv[0])):
        if phrase in text or numerals_to_digits(phrase) in text:  # 是不是翻了一番: a rise of at least 100%
            return Threshold(">", float(rise), "%", phrase)
    units = alternation(v.measure_words + ("%",))
    pattern = (f"(?P<op>{alternation(words['above'] + words['below'])})?"
               f"(?P<num>\\d+(?:\\.\\d+)?|{_CN_NUM})(?P<scale>万|亿)?(?P<unit>成|{units})?")
    # The number a comparison word governs (降幅有没有超过七成), else the last one: a threshold closes the
    # question, while earlier numbers name what is asked about (近五年, 一致性 typed 一至性).
    matches = list(re.finditer(pattern, text))
    matches = [m for m in matches if m.group("op")] + [m for m in reversed(matches) if not m.group("op")]
    for m in matches:
        try:
            value = float(m.group("num")) if m.group("num")[0].isdigit() else float(cn2an.cn2an(m.group("num"), "smart"))
        except (ValueError, KeyError, IndexError):
            continue
        if re.fullmatch(r"(?:19|20)\d\d", m.group("num")) and "年" in (m.group("unit"), text[m.end():m.end() + 1]):
            continue  # a year, not a threshold
        value *= {"万": 1e4, "亿": 1e8}.get(m.group("scale") or "", 1)
        unit = m.group("unit") or ""
        if unit == "成":
            value, unit = value * 10, "%"
        op = m.group("op") or ""
        op = "<" if op in words["below"] else ">" if op else "="
        if op == "=" and text[m.end():m.end() + 1] in v.units("approx_suffixes"):
            op = ">"  # 涨了三成多: more than 30%
        if any(text[:m.start()].endswith(w) for w in words["top"]):  # 前五: a rank of 5 or better
            return Threshold(">", value, "位", m.group(0))
        return Threshold(op, value, unit, m.group(0))
    return None


def find_operation(text: str, n_parts: int) -> str:
    """compare / difference / sum need two figures; yes/no needs no other question word."""
    v = vocabulary()
    groups = v.cue_groups(text, "operation")
    lowered = text.lower()
    comparative = ends_comparative(lowered)
    which = alternation(v.tables["cues"]["which"]["words"])
    if n_parts >= 2 and ("compare" in groups or (re.search(which, lowered) and comparative)):
        return "compare"
    extreme = superlative(lowered)
    if extreme and n_parts < 2:
        return extreme
    if comparative and ("compare" in groups or re.search(which, lowered)):
        # 网上巡查和跑到现场去查，哪个次数多一些: a comparison whose two things were not found apart is
        # still a comparison (refused for want of a second figure), never the value of one of them
        return "compare"
    if "difference" in groups:  # with fewer than two parts, the other figures come from the last answer
        return "difference"
    # 总数/总量 add up joined things (专利和商标的总数) or a list's items (获奖总数); they name a rank's or a
    # yes/no question's thing (登记总量排第几, 总量是否进入前三)
    totals = any(w in lowered for w in v.operation_cues["sum_of_parts"])
    if ("sum" in groups and n_parts != 1) or (totals and (n_parts >= 2 or (n_parts == 0 and _asks_amount(text, groups)))):
        return "sum"
    if "yesno" not in groups:
        return "value"
    yes_no = alternation(w for w in v.operation_cues["yesno"] if len(w) > 1)
    rest = re.sub(yes_no, "", text)
    # Another question word makes it a wh-question (有没有…多少); a noun of the count cues does not
    # (规模以上企业的负债率有没有超过60%).
    asks_other = {"name", "list", "date"} & set(v.cue_groups(rest)) or any(w in rest for w in v.ask_words)
    return "value" if asks_other else "yesno"


def _asks_amount(text: str, operation_groups: Sequence[str]) -> bool:
    """Whether a question asks an amount (a count or a sum of money), not a rank, rate or yes/no."""
    not_amounts = {"rank", "ratio", "growth", "percent"}
    return "yesno" not in operation_groups and not not_amounts & set(vocabulary().cue_groups(text))


def superlative(text: str) -> str:
    """most / least for a which-question over a list (哪一类涨得最多), "" otherwise.

    >>> superlative("哪一类涨得最多"), superlative("哪个行业降幅最大"), superlative("增长最快的是第几"), superlative("最多多少件")
    ('most', 'least', '', '')
    """
    v = vocabulary()
    words = v.tables["cues"]["superlative"]
    if not any(w in text for w in words["which"]):
        return ""
    most, least = (any(w in text for w in words[k]) for k in ("most", "least"))
    if most == least:
        return ""
    falling = any(w in text for w in [*words["falling"], *v.extraction("decrease_words")])
    return "most" if most != falling else "least"


def content_terms(text: str) -> tuple[str, ...]:
    """The question's own content words: jieba words minus fillers, cues and figures; a negated
    word keeps its negation (不起诉 is not 起诉)."""
    negations = tuple(vocabulary().tables["cues"]["negation"]["words"])
    text = re.sub(alternation(vocabulary().ask_words), " ", text)  # 百分之多少 asks; it names nothing
    terms = []
    for t in tokenize(text, search=False):
        if DIGITS.fullmatch(t):
            continue
        at = text.find(t)
        before = next((n for n in negations if text.endswith(n, 0, at)), "") if at > 0 else ""
        terms.append(before + t)
    return tuple(dict.fromkeys(terms))


def content_nouns(text: str, terms: Sequence[str]) -> tuple[str, ...]:
    """Content words tagged as nouns by jieba (工资, 商业秘密): things the report must mention."""
    v = vocabulary()
    tagged = {w.lower() for w, flag in block_tags(text) if flag.startswith(("n", "vn", "eng")) and len(w) > 1}
    return tuple(t for t in terms if t in tagged and t not in v.generic_nouns and v.actor_of(t) is None)


def is_followup(text: str, reading: "Reading") -> bool:
    """A turn that leans on the one before: opens with 那/还有…, ends with 呢, or names no thing."""
    v = vocabulary()
    stripped = re.sub(r"[？?！!。，,\s]", "", text)
    followup = v.tables["cues"]["followup"]
    if stripped.startswith(tuple(followup["openers"])) or stripped.endswith(tuple(followup["closers"])):
        return True
    if reading.operation in ("sum", "difference", "compare") and len(reading.parts) < 2:
        return True  # 跟评审专家库加起来多少人: one thing to add to what was answered before
    return len(stripped) <= 8 or not names_thing(text)


def names_thing(text: str) -> bool:
    """Whether a question names a thing of its own (a noun that is no actor, action, cue or filler)."""
    v = vocabulary()
    cue_words = {c for group in v.asked_cues.values() for c in group}
    text = re.sub(alternation(v.ask_words), " ", text)
    for word, flag in block_tags(text):
        word = word.lower()
        if (flag.startswith(("n", "vn", "eng")) and len(word) > 1 and word not in v.fillers
                and word not in cue_words and v.actor_of(word) is None and v.action_of(word) is None
                and word not in v.generic_nouns):
            return True
    return False


# -- the reader ------------------------------------------------------------------------------

def read_one(question: str, text: str | None = None, *, split: bool = True) -> Reading:
    """Read one question on its own (no history). ``text`` is its normalised form."""
    text = numerals_to_digits(rewrite_phrases(text if text is not None else question))
    v = vocabulary()
    tokens = tokenize(text, search=False)
    cues = v.cue_groups(text)
    asked = cues[0] if cues else "text"
    measure, units = find_measure(text, count_nouns=asked not in ("growth", "percent", "ratio", "rank"))
    terms = content_terms(text)
    action_words = find_actions(tokens)
    shape, pieces = split_shaped(text) if split else ("", [text])
    parts = tuple(read_one(p, p, split=False) for p in pieces) if len(pieces) > 1 else ()
    # Several asks are answered one by one: 有几项？…加起来有多少？ sums nothing across the two questions.
    operation = "value" if shape == "asks" else find_operation(text, len(parts))
    threshold = find_threshold(text) if operation == "yesno" else None
    if operation in ("compare", "difference", "sum") and asked in ("name", "text", "list"):
        asked = "count"
    if threshold is not None and threshold.text in v.tables["cues"]["threshold"]["doubling"]:
        asked = "growth"  # 翻了一番吗 asks about a rise
    elif threshold is not None and asked in ("text", "name", "count"):
        asked = {"%": "percent", "位": "rank"}.get(threshold.unit, "money" if threshold.unit.endswith("元") else "count")
    if asked == "count" and units and units <= v.unit_groups["money"]:
        asked = "money"
    if asked == "text" and measure:  # 批捕的人数: a count noun asks for a count
        asked = "count"
    whole = Reading(
        question=question, text=text, asked=asked, cues=cues, operation=operation, threshold=threshold,
        measure=measure, units=units,
        years=tuple(dict.fromkeys([*(y.year for y in find_years(text) if not _is_base(y, text)), *short_years(text),
                                   *bare_years(text)])),
        base_years=tuple(dict.fromkeys(y.year for y in find_years(text) if _is_base(y, text))),
        months=month_span(text), actors=find_actors(text), actions=tuple(dict.fromkeys(a for w, a in action_words if any(w in t for t in terms))),
        action_words=tuple(w for w in action_words if any(w[0] in t for t in terms)), terms=terms,
        nouns=content_nouns(text, terms),
        relative_year=next((w for w in v.tables["cues"]["relative_years"]["before"] if w in text), ""),
        counted=find_counted(text), places=find_places(text),
        numbers=tuple(DIGITS.findall(text)), scope=find_scope(text),
        average=any(w in text for w in v.tables["cues"]["unstated"]["average"]),
    )
    return replace(whole, parts=_share_context(parts, whole, shape)) if parts else whole


def _share_context(parts: tuple[Reading, ...], whole: Reading, shape: str) -> tuple[Reading, ...]:
    """What one part leaves unsaid comes from the others and from the whole question.

    Every part takes the actor named in another part when it names none. Parts of several asks
    (审结多少件，同比增长多少) share one subject: a later part carries the earlier parts' words and
    action. Parts over joined things (法院和检察院谁多) contrast, so they share nothing else. A part
    whose own question word is vague (哪个, 多少) asks what the whole question asks.
    """
    actors = next((p.actors for p in parts if p.actors), ())
    shared, before = [], []
    # A distributed item that is nothing but a cue (销售额及增速分别为多少: 增速) asks that for itself
    # only; a cue written with a thing (批次与数量较上年的增幅分别为多少) is shared by every item.
    own_cues = {c for p in parts if _cue_only(p) for c in p.cues if c != "count"} if shape == "each" else set()
    for p in parts:
        # A vague part (多少, 哪个) of one ask over joined things asks what the whole asks, unless the
        # whole asks it only because another part says so; each of several asks has its own question
        # word (IP法庭新收案件多少，增长多少: a count, then a rate).
        vague = (p.asked in ("name", "text", "count") and not p.measure and shape != "asks"
                 and whole.asked not in own_cues and not _counts_explicitly(p))
        carry = shape == "asks" and bool(before)
        # …but an ask that names a thing of its own (立案多少件？罚没款多少？) keeps no action of the others
        acts = carry and not _names_own_thing(p)
        shared.append(replace(
            p, actors=p.actors or actors,
            actions=p.actions or (tuple(a for q in before for a in q.actions) if acts else ()),
            action_words=p.action_words or (tuple(w for q in before for w in q.action_words) if acts else ()),
            inherited=tuple(dict.fromkeys(t for q in before for t in q.terms if t not in p.terms)) if carry else (),
            asked=whole.asked if vague and whole.asked not in ("name", "text") else p.asked,
            cues=tuple(dict.fromkeys((*p.cues, *whole.cues))) if vague else p.cues,
            units=p.units or (whole.units if shape != "asks" else frozenset()), years=p.years or whole.years,
            months=p.months or whole.months,
        ))
        before.append(p)
    return tuple(shared)


def _counts_explicitly(part: Reading) -> bool:
    """Whether a part asks for a count in words of its own (窝点数量, 案件总数), not just with 多少."""
    v = vocabulary()
    return part.asked == "count" and any(w in part.text for w in v.asked_cues["count"] if w not in v.ask_words)


def _names_own_thing(part: Reading) -> bool:
    """Whether a part names a thing of its own: a content word that is not itself a cue phrase or a filler
    (罚没款多少 names 罚没款; 同比增长多少 names nothing)."""
    fillers = vocabulary().fillers
    return any(t not in _asked_cue_words() and t not in fillers for t in part.terms)


@lru_cache(maxsize=1)
def _asked_cue_words() -> frozenset[str]:
    """Every cue phrase of the asked table (what a question asks for), as one set."""
    return frozenset(w for ws in vocabulary().asked_cues.values() for w in ws)


def _cue_only(part: Reading) -> bool:
    """Whether every content word of a part is a cue word (增速, 同比增幅) other than a count's."""
    v = vocabulary()
    cue_words = [w for name, ws in v.asked_cues.items() if name != "count" for w in ws]
    return bool(part.terms) and all(any(c in t for c in cue_words) or t in v.fillers for t in part.terms)


def merge(new: Reading, previous: Reading) -> Reading:
    """A follow-up: what it states overrides the previous turn; what it omits is taken from it."""
    v = vocabulary()
    stated_kind = new.asked not in ("count", "text") or bool(new.measure) or bool(new.counted)
    dropped = set()
    if new.actors:  # 海关呢？: the previous actor goes, and the actions it did go with it
        dropped |= {a.lower() for name in previous.actors for a in v.actors[name]}
        dropped |= {w for w, _ in previous.action_words}
    if new.actions:
        dropped |= {w for name in previous.actions for w in v.actions[name]}
    if new.years:
        dropped |= {str(y) for y in previous.years}
    inherited = tuple(t for t in previous.all_terms if t not in new.terms and t not in dropped
                      and not any(t in d or d in t for d in dropped if len(d) > 1))
    parts = new.parts
    if not parts and previous.parts and not stated_kind:
        parts = tuple(merge(replace(new, parts=()), p) for p in previous.parts)
    elif parts:  # 具体是多少件，比上年多了多少？ after 每万人发明专利拥有量排第几: each part takes the topic
        parts = tuple(merge(replace(p, followup=False), replace(previous, parts=())) for p in parts)
    return replace(
        new,
        asked=new.asked if stated_kind else previous.asked,
        cues=new.cues if stated_kind else tuple(dict.fromkeys((*new.cues, *previous.cues))),
        measure=new.measure or (previous.measure if not stated_kind else ""),
        units=new.units or (previous.units if not stated_kind else frozenset()),
        years=new.years or previous.years, base_years=new.base_years or previous.base_years,
        months=new.months or previous.months,
        actors=new.actors or previous.actors,
        # An action belongs to its actor and thing: 海关呢？ or 罚没款呢？ after 公安侦破… is not about 侦破.
        actions=new.actions or (() if new.actors or new.terms else previous.actions),
        action_words=new.action_words or (() if new.actors or new.terms else previous.action_words),
        inherited=inherited, counted=new.counted or previous.counted,
        places=new.places or previous.places, scope=new.scope or previous.scope,
        average=new.average or previous.average, relative_year=new.relative_year or previous.relative_year,
        parts=parts, followup=True,
    )


def read(question: str, history: Sequence[Turn] = (), *, text: str | None = None,
         normalise=lambda s: s) -> Reading:
    """Read a question in the light of the chat history (the last few user turns, folded in order)."""
    reading = read_one(question, text)
    users = [normalise(t.content) for t in history if t.role == "user" and t.content.strip()][-3:]
    if not users or not is_followup(reading.text, reading):
        return reading
    previous = read_one(users[0])
    for earlier in users[1:]:
        turn = read_one(earlier)
        previous = merge(turn, previous) if is_followup(turn.text, turn) else turn
    answer = next((t.content for t in reversed(history) if t.role == "assistant"), "")
    merged = replace(merge(reading, previous), focus=_figures_of(answer))
    return _mirror_answer(merged)


def _mirror_answer(reading: Reading) -> Reading:
    """那起诉呢？ after 批准逮捕103件179人: ask again for one figure per unit the last answer gave."""
    from qa.numbers import parse_quantity

    if reading.parts or reading.measure or reading.asked not in ("count", "text") or len(reading.focus) < 2:
        return reading
    units = list(dict.fromkeys(q.unit for q in map(parse_quantity, reading.focus) if q is not None and q.unit))
    if len(units) < 2:
        return reading
    v = vocabulary()
    parts = tuple(replace(reading, measure=u, units=v.units_for(u), asked="count", parts=()) for u in units)
    return replace(reading, parts=parts)


def _figures_of(answer: str) -> tuple[str, ...]:
    """Figures an earlier answer gave: those of its first line when it is one of ours (答：…)."""
    from qa.numbers import find_quantities

    if answer.startswith("答"):  # ours: 答：564名（抓获犯罪嫌疑人564名） 原文：… (history may arrive on one line)
        text = re.split(r"[（(\n]|原文", answer, maxsplit=1)[0]
    else:
        text = answer[:200]
    return tuple(dict.fromkeys(q.text for q in find_quantities(text)))
