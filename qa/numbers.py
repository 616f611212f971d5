"""Find and parse the quantities written in Chinese report text.

A quantity keeps the figure exactly as written plus its parsed meaning:

>>> q = parse_quantity("81.22万件")
>>> (q.value, q.unit, q.scale_text, q.kind)
(812200.0, '件', '万', 'count')
>>> [x.text for x in find_quantities("立案270余件，罚没款1150万元，居全国第六。")]
['270余件', '1150万元', '第六']
>>> same_figure(parse_quantity("81.22万"), parse_quantity("812200件"))
True

Labels are NOT quantities and are skipped by `find_quantities` (`qa.labels`; decisions, all generic):
* years and dates: ``2020年``, ``2020年4月``, ``4月``, year ranges ``2016—2020年``
  (years stay discoverable through `find_years`, for the year a fact refers to);
* anything inside book-title marks ``《…》`` and inside quotes ``“…”`` that hold a name
  (``“4.26世界知识产权日”``, ``“剑网2020”``); a quote holding only a month.day
  (``“7.1”制售…案``, ``“12.4”普法宣传日``) is a date-name; a quote holding only a figure
  (``“81.22万件”``) stays a quantity;
* editions and numbered names: ``第21届``, ``第二分院`` (第N followed by a noun, no ranking
  verb before it); Chinese numerals that are not followed by a measure word
  (``十三五``, ``十九大``, ``二中全会``, ``四号``); a bare Arabic number glued to a name
  (``昆仑2020行动``, ``5G``) and a bare year-shaped number without unit (``昆仑2020``);
* set descriptions: ``在四个直辖市中`` (the group something is ranked among) and a count
  restating an enumeration (``市级、区级两个保护中心``): they describe a set the text
  names anyway, they are not reported figures;
* ``每万人口`` (a rate denominator) and bare 百/千/万 without 近/约/上 (``万众``, ``百家``);
* periods (``近五年``, ``五年来``, ``1-4月份``: times, see `qa.labels.find_periods`), list markers
  (``1.`` ``（2）``), vague amounts (``一批``), references to a listed set (``以上三类``) and a lone
  ``零`` (``零件``); ``第二是…`` and a clause opened by ``第一，`` are list items, not ranks.

A bare figure written in a change is a quantity even before a word (``由1.5下降到0.6``), and
``12大类`` keeps its 大 (qa/vocab/units.toml ``size_infixes``). Word lists: units.toml, extraction.toml.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

import cn2an

from qa.labels import YearMention, find_years, is_set_description, label_spans
from qa.vocabulary import alternation, vocabulary

__all__ = ["Quantity", "YearMention", "find_quantities", "parse_quantity", "same_figure", "find_years", "label_spans"]


@dataclass(frozen=True)
class Quantity:
    """One figure: ``text`` as written, ``value`` with the scale applied, offsets in the input."""

    text: str
    value: float
    unit: str
    scale_text: str
    kind: str  # count | money | percent | rank | duration | ratio | other
    qualifier: str
    start: int
    end: int


_AR = r"[0-9０-９]+(?:,[0-9]{3})*(?:[.．][0-9０-９]+)?"
_CN_DIGITS = "零〇一二两三四五六七八九"
_CN = rf"[{_CN_DIGITS}十百千万亿]+(?:点[{_CN_DIGITS}]+)?"
_BARE = {"十": 10, "百": 100, "千": 1000, "万": 10**4, "亿": 10**8}
_CORE = re.compile(rf"(?P<ar>{_AR})|(?P<cn>{_CN})")
_DATE_SUFFIX = re.compile(r"[月日号时]")
_RATIO = re.compile(r"\d+(?:\.\d+)?(?:\s*[∶:：]\s*\d+(?:\.\d+)?)+")
_FRACTION = re.compile(rf"([{_CN_DIGITS}十百]+)分之([{_CN_DIGITS}十]+)|一(半)")
_CONJ = set("和与及至到或、")


@lru_cache(maxsize=1)
def _words() -> dict:
    """The vocabulary this module reads, compiled once (qa/vocab/units.toml and extraction.toml)."""
    v = vocabulary()
    scales = v.units("scales")
    extraction = v.extraction
    return {
        "scales": {k: int(f) for k, f in scales.items()},
        "scale_re": re.compile(alternation(scales)),
        "units": v.measure_words,
        "not_unit": re.compile(alternation(v.units("not_units"))),
        "durations": frozenset(v.units("duration_units")),
        "approx": tuple(v.units("approx_prefixes")),
        "totals": tuple(v.units("total_prefixes")),
        "approx_after": tuple(v.units("approx_suffixes")),
        "infixes": tuple(v.units("size_infixes")),
        "glued": frozenset(v.units("numeral_not_after")),
        "rank_verb": re.compile(rf"(?:{alternation(extraction('rank_verbs'))})[^，。；：,;]{{0,6}}$"),
        "change_after": re.compile(alternation([*extraction("increase_words"), *extraction("decrease_words"),
                                                *extraction("to_endings"), *extraction("to_words")])),
        "from_before": re.compile(rf"(?:{alternation(extraction('from_words'))})$"),
    }


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _num_value(core: str, is_cn: bool) -> Decimal | None:
    if not is_cn:  # plain digits: exact decimal arithmetic (cn2an's smart mode goes via float)
        core = core.replace(",", "").replace("．", ".")
        return Decimal("".join(str(int(c)) if c.isdigit() else c for c in core))
    if core in _BARE:  # 近万次: cn2an rejects a lone scale character
        return Decimal(_BARE[core])
    try:  # Chinese numerals: cn2an does this (两, 一万二, 三十一点四); it raises on 十三五
        return Decimal(str(cn2an.cn2an(core, "normal")))
    except (ValueError, KeyError, IndexError):
        return None


def _scan(text: str, *, whole: bool):
    """Yield every quantity; ``whole`` relaxes the label rules for a single figure string.

    Written by hand: cn2an converts numerals (and is used for them in `_num_value`), but no
    library finds figures in running text with their measure word, 余/近 qualifiers and the
    label rules of report prose (titles, quoted names, editions, dates).
    """
    labels = [] if whole else label_spans(text)
    pos, bare = 0, None
    while (m := _CORE.search(text, pos)) is not None:
        pos = m.end()
        q = _ratio(text, m) or _read(text, m, whole)
        if q is None or any(a < q.end and q.start < b for a, b in labels):
            continue
        pos = max(pos, q.end)
        if bare is not None:  # 快5.8和3.8个百分点, 提高0.9、5.9个百分点: the first takes the unit written once
            if text[bare.end:q.start] in _CONJ and q.unit and not q.scale_text:
                bare = Quantity(bare.text, bare.value, q.unit, "", q.kind, bare.qualifier, bare.start, bare.end)
            yield bare
            bare = None
        if not q.unit and not q.scale_text and q.kind == "count" and not whole and text[q.end:q.end + 1] in _CONJ:
            bare = q
            continue
        yield q
    if bare is not None:
        yield bare


def _is_cell(text: str, start: int, end: int) -> bool:
    """The figure is a whole cell of a table row: 常德市 | 2070 | 262."""
    after = text[end:].lstrip(" ")
    return text[:start].rstrip(" ").endswith(("|", "｜", "\t")) and (not after or after[0] in "|｜\t\n")


def _ratio(text: str, m: re.Match) -> Quantity | None:
    """1∶1.98 and 3.9：59.5：36.6 are one ratio; 三分之一 and 一半 are shares (percent)."""
    start = m.start()
    pre = next((p for p in _words()["approx"] if text.endswith(p, 0, start)), "")
    r = _RATIO.match(text, start)
    if r and m.group("ar"):
        parts = [float(x) for x in re.split(r"\s*[∶:：]\s*", r.group())]
        value = parts[1] / parts[0] if len(parts) == 2 and parts[0] else parts[0]
        return Quantity(r.group(), value, "", "", "ratio", "", start, r.end())
    f = _FRACTION.match(text, start)
    if f and m.group("cn") and f.group(1) != "百":  # 百分之 is a percent, read as one by _read
        den, num = (_num_value(f.group(1), True), _num_value(f.group(2), True)) if f.group(2) else (Decimal(2), Decimal(1))
        if den and num is not None:
            return Quantity(text[start - len(pre):f.end()], float(num / den * 100), "%", "", "percent", pre,
                            start - len(pre), f.end())
    return None


def _read(text: str, m: re.Match, whole: bool) -> Quantity | None:
    is_cn, w = m.group("cn") is not None, _words()
    start, end = m.span()
    before, prev = text[:start], text[start - 1] if start else ""
    if prev and prev.isascii() and (prev.isalnum() or prev in "/#_") or text[end:end + 1].isascii() and text[end:end + 1].isalpha():
        return None  # glued to Latin letters: 5G, H7N9, GB/T 123
    core = m.group()
    value = _num_value(core, is_cn)
    if value is None or is_cn and core in "零〇" and not whole:
        return None  # 零件, 零售: a lone 零 is part of a word
    if before.endswith("第"):
        return _read_ordinal(text, start - 1, end, value, whole)
    if is_cn and text.startswith("百分之", start):
        return None  # the 百 of 百分之 is not a number
    percent_word = before.endswith("百分之")
    if prev and (prev == "每" or is_cn and (prev == "数" or core[0] == "一" and prev in w["glued"])):
        return None  # 每万人口, 数十家 (value unknown), 统一/唯一 are words; 人数54797万人 is a figure
    pre = next((p for p in w["approx"] if before.endswith(p)), "")
    if pre == "上" and not (is_cn and core in "十百千万亿"):
        pre = ""  # 上 is only an approximation in 上万/上千
    if is_cn and core in "百千万亿" and not pre and not whole:
        return None  # bare 万/百: 万众创新, 百家; 近万次 is fine
    qualifier = pre or next((t for t in w["totals"] if text.endswith(t, 0, start - len(pre))), "")
    i = end
    approx = ""
    if text.startswith(w["approx_after"], i):
        approx, i = text[i], i + 1
    scale = ""
    s = w["scale_re"].match(text, i)
    if s and (not is_cn or approx):  # 3万, 30余万; a Chinese run already holds its own 万 (三万)
        scale, i = s.group(), s.end()
        if not approx and text.startswith(w["approx_after"], i):
            approx, i = text[i], i + 1
    value *= w["scales"].get(scale, 1)
    unit, kind = "", "count"
    if percent_word or text.startswith(("%", "％"), i):
        unit, kind = "%", "percent"
        i += 0 if percent_word else 1
    elif w["not_unit"].match(text, i) is None:
        infix = next((x for x in w["infixes"] if text.startswith(x, i) and w["not_unit"].match(text, i + len(x)) is None
                      and any(text.startswith(u, i + len(x)) for u in w["units"])), "")  # 12大类
        unit = next((u for u in w["units"] if text.startswith(u, i + len(infix))), "")
        i += len(infix) + len(unit)
    if unit == "个百分点":
        kind = "percent"
    elif unit.endswith("元"):
        kind = "money"
    elif unit in w["durations"]:
        kind = "duration"
    elif unit == "倍":
        kind = "ratio"
    q_start = start - len(pre) - (3 if percent_word else 0)
    nxt = text[i:i + 1]
    if not unit and not scale and not whole and kind == "count":
        # 由1.5下降到0.6: a bare figure of a change is one, whatever follows it
        in_change = not is_cn and (w["change_after"].match(text, i) or w["from_before"].search(before))
        if is_cn or _DATE_SUFFIX.match(nxt) or _is_cjk(nxt) and nxt not in _CONJ and not in_change:
            return None  # Chinese numerals need a measure word; 4月 is a date; 昆仑2020行动 a name
        if re.fullmatch(r"(?:19|20)\d\d", core) and not pre and not _is_cell(text, start, i):
            return None  # a bare year-shaped number is a year inside a name (昆仑2020), not in a table cell
    if not is_cn and unit == "年" and re.fullmatch(r"(?:19|20)\d\d", core) and not approx:
        if not whole:
            return None  # a calendar year, see find_years
        kind = "other"
    if not whole and kind == "count" and not scale and is_set_description(text, q_start, i, value):
        return None
    return Quantity(text[q_start:i], float(value), unit, scale, kind, approx or qualifier, q_start, i)


def _read_ordinal(text: str, start: int, end: int, value: Decimal, whole: bool) -> Quantity | None:
    """第8位 / 第六 / 居全国第四 are ranks; 连续第5年 is a duration; 第21届, 第二分院 are labels."""
    nxt = text[end:end + 1]
    if nxt == "年":
        qual = "连续" if text.endswith("连续", 0, start) else ""
        return Quantity(text[start:end + 1], float(value), "年", "", "duration", qual, start, end + 1)
    unit = nxt if nxt in ("位", "名") and _words()["not_unit"].match(text, end) is None else ""
    if not unit and not whole and not _words()["rank_verb"].search(text[:start]) and (_is_cjk(nxt) or _opens_clause(text, start)):
        return None  # 第二是摄影作品 / "第一，…": an item of a list, no rank
    stop = end + len(unit)
    return Quantity(text[start:stop], float(value), unit, "", "rank", "", start, stop)


def _opens_clause(text: str, start: int) -> bool:
    return start == 0 or text[start - 1] in "，。；：,;:\n"


def find_quantities(text: str) -> list[Quantity]:
    """Every quantity in ``text`` in order, labels skipped (see the module docstring)."""
    return list(_scan(text, whole=False))


def parse_quantity(text: str) -> Quantity | None:
    """Parse one figure string (``"81.22万件"``, ``"第八"``, ``"三十余人"``); None if it is not one.

    Offsets refer to ``text``; leading 共/累计/达到… and surrounding spaces are allowed.
    A lone year such as ``"2020年"`` parses with kind ``"other"``.
    """
    a, b = len(text) - len(text.lstrip()), len(text.rstrip().rstrip("。，,.；;"))
    for word in _words()["totals"]:
        if text.startswith(word, a) and b > a + len(word):
            a += len(word)
            break
    return next((q for q in _scan(text, whole=True) if (q.start, q.end) == (a, b)), None)


_GROUP = {"count": "value", "money": "value", "duration": "value", "other": "value"}


def same_figure(a: Quantity, b: Quantity) -> bool:
    """Same value and compatible kind: 81.22万 == 81.22万件 == 812200件, 第8位 == 第八.

    Percent only matches percent (with the same unit, % vs 个百分点), rank only rank;
    counts/money/durations compare by value, and units must agree when both are written.
    """
    if _GROUP.get(a.kind, a.kind) != _GROUP.get(b.kind, b.kind):
        return False
    if a.unit and b.unit and a.unit != b.unit and a.kind != "rank":
        return False
    return math.isclose(a.value, b.value, rel_tol=1e-9, abs_tol=1e-9)
