"""What a question asks and what to do with it: the years it names, the threshold of a yes/no question,
the operation (value, compare, difference, sum, yes/no) and a superlative over a list.

>>> short_years("20年那次满意度排第几？"), find_operation("专利和商标加起来多少件？", 2)
((2020,), 'sum')
"""

from __future__ import annotations

import re
from typing import Sequence

import cn2an
from qa.parts import ends_comparative
from qa.reading import Threshold
from qa.slots import CN_NUM, numerals_to_digits
from qa.vocabulary import alternation, vocabulary


def is_base_year(year, text: str) -> bool:
    """A year compared against: 较2019年 (the extractor's rule), or 跟2020年比 / 和去年相比 in a question."""
    after = text[year.end:year.end + 4]
    return year.is_base or any(after.startswith(w) for w in vocabulary().tables["cues"]["base_year"]["after"])


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
               f"(?P<num>\\d+(?:\\.\\d+)?|{CN_NUM})(?P<scale>万|亿)?(?P<unit>成|{units})?")
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
    joined = n_parts >= 2 and any(w in lowered for w in v.operation_cues["joined_sum"])
    if ("sum" in groups and n_parts != 1) or joined or (totals and (n_parts >= 2 or (n_parts == 0 and _asks_amount(text, groups)))):
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
