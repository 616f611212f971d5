"""Find and parse the quantities written in Chinese report text.

A quantity keeps the figure exactly as written plus its parsed meaning:

>>> q = parse_quantity("81.22万件")
>>> (q.value, q.unit, q.scale_text, q.kind)
(812200.0, '件', '万', 'count')
>>> [x.text for x in find_quantities("立案270余件，罚没款1150万元，居全国第六。")]
['270余件', '1150万元', '第六']
>>> same_figure(parse_quantity("81.22万"), parse_quantity("812200件"))
True

Labels are NOT quantities and are skipped by `find_quantities` (decisions, all generic):
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
* ``每万人口`` (a rate denominator) and bare 百/千/万 without 近/约/上 (``万众``, ``百家``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

import cn2an

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


class YearMention(NamedTuple):
    """A calendar year written in running text; ``is_base`` for comparison bases (较2019年)."""

    year: int
    start: int
    end: int
    is_base: bool


_AR = r"[0-9０-９]+(?:,[0-9]{3})*(?:[.．][0-9０-９]+)?"
_CN_DIGITS = "零〇一二两三四五六七八九"
_CN = rf"[{_CN_DIGITS}十百千万亿]+(?:点[{_CN_DIGITS}]+)?"
_BARE = {"十": 10, "百": 100, "千": 1000, "万": 10**4, "亿": 10**8}
_CORE = re.compile(rf"(?P<ar>{_AR})|(?P<cn>{_CN})")
_SCALES = {"万亿": 10**12, "千万": 10**7, "百万": 10**6, "十万": 10**5, "亿": 10**8, "万": 10**4, "千": 10**3}
_SCALE_RE = re.compile("|".join(_SCALES))
# Measure words, longest first so 人次 wins over 人 and 个月 over 个.
_UNITS = sorted(
    "个百分点 个批次 个月 周年 人次 家次 件次 户次 批次 小时 分钟 平方公里 平方米 公里 千米 公斤 千克 美元 欧元 港元 "
    "元 件 起 名 人 个 家 项 笔 篇 册 次 支 条 位 批 户 所 座 台 套 部 本 份 种 类 场 期 年 天 周 倍 吨 亩 "
    "例 宗 张 组 首 枚 箱 卷 门 间 只 辆 艘 架 株 处 轮 岁 米".split(),
    key=len, reverse=True,
)
# Words that begin with a measure character but are not one (1.5亿支持, 每万人口, 位居).
_NOT_UNIT = re.compile(
    "支持|支撑|支付|支出|支援|支部|人口|人民|人才|人员|名义|名称|名单|位居|位列|位于|家庭|家乡|项目|条件|条例|"
    "次数|起诉|起草|起来|期间|期限|期刊|年度|天津|天然|部门|部署|所有|所属|场所|种类|类型|份额|组织|组成|单位|"
    "台湾|批准|批复|周期|例如|款项|间接|次要|处理|门类|本市|本地|首例|首家|米兰|轮流|岁月|件事"
)
_DURATION_UNITS = {"个月", "周年", "年", "天", "周", "小时", "分钟"}
_APPROX_PREFIX = ("近", "约", "逾", "上")  # part of the figure as written: 近万次
_TOTAL_PREFIX = ("累计", "合计", "共计", "总计", "达到", "超过", "不足", "不到", "至少", "多达", "共", "达")
_RANK_VERB = re.compile(r"(居|排|列|名列|排名|排在|位居|位列)[^，。；：,;]{0,6}$")
_DATE_SUFFIX = re.compile(r"[月日号时]")
_CONJ = set("和与及至到或、")
_YEAR_RANGE = re.compile(r"(?:19|20)\d\d\s*[-—–~～至到]\s*(?:19|20)\d\d年?")
_DATE = re.compile(r"(?:(?:19|20)\d\d年)?\d{1,2}月(?:\d{1,2}[日号])?")
_YEAR = re.compile(r"(?<![0-9])((?:19|20)\d\d)年")
_BOOK = re.compile(r"《[^《》\n]{0,80}》")
_QUOTE = re.compile(r"“[^“”\n。]{0,60}”|「[^「」\n。]{0,60}」|\"[^\"\n。]{0,60}\"")
_MONTH_DAY = re.compile(r"(\d{1,2})\.(\d{1,2})")
_CLAUSE_END = re.compile(r"[，。；：！？,;:!?（(\n]")


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


def label_spans(text: str) -> list[tuple[int, int]]:
    """Spans of labels whose digits are not quantities: 《titles》, quoted names, year ranges, dates."""
    spans = [m.span() for m in _BOOK.finditer(text)]
    for m in _QUOTE.finditer(text):
        inner = m.group()[1:-1].strip()
        md = _MONTH_DAY.fullmatch(inner)
        is_date = md is not None and 1 <= int(md.group(1)) <= 12 and 1 <= int(md.group(2)) <= 31
        if is_date or not _is_whole_figure(inner):
            spans.append(m.span())
    spans += [m.span() for m in _YEAR_RANGE.finditer(text)]
    spans += [m.span() for m in _DATE.finditer(text)]
    return spans


def _is_whole_figure(s: str) -> bool:
    found = list(_scan(s, whole=True))
    return len(found) == 1 and found[0].start == 0 and found[0].end == len(s)


def _qualifier_before(text: str, i: int) -> str:
    for word in _TOTAL_PREFIX:
        if text.endswith(word, 0, i):
            return word
    return ""


def _is_set_description(text: str, start: int, end: int, value: Decimal) -> bool:
    """在四个直辖市中 / 市级、区级两个保护中心: a count naming a set, not a reported figure."""
    if text.endswith("在", 0, start) and re.match(r"[\u4e00-\u9fff]{1,10}中", text[end:]):
        return True
    clause = _CLAUSE_END.split(text[:start])[-1]
    items = clause.split("、")
    return len(items) >= 2 and Decimal(len(items)) == value


def _scan(text: str, *, whole: bool):
    """Yield every quantity; ``whole`` relaxes the label rules for a single figure string.

    Written by hand: cn2an converts numerals (and is used for them in `_num_value`), but no
    library finds figures in running text with their measure word, 余/近 qualifiers and the
    label rules of report prose (titles, quoted names, editions, dates).
    """
    labels = [] if whole else label_spans(text)
    pos = 0
    while (m := _CORE.search(text, pos)) is not None:
        pos = m.end()
        q = _read(text, m, whole)
        if q is None or any(a < q.end and q.start < b for a, b in labels):
            continue
        pos = max(pos, q.end)
        yield q


def _read(text: str, m: re.Match, whole: bool) -> Quantity | None:
    is_cn = m.group("cn") is not None
    start, end = m.span()
    before, prev = text[:start], text[start - 1] if start else ""
    if prev and prev.isascii() and (prev.isalnum() or prev in "/#_") or text[end:end + 1].isascii() and text[end:end + 1].isalpha():
        return None  # glued to Latin letters: 5G, H7N9, GB/T 123
    core = m.group()
    value = _num_value(core, is_cn)
    if value is None:
        return None
    if before.endswith("第"):
        return _read_ordinal(text, start - 1, end, value, whole)
    if is_cn and text.startswith("百分之", start):
        return None  # the 百 of 百分之 is not a number
    percent_word = before.endswith("百分之")
    if prev and (prev in "每数" or is_cn and core[0] == "一" and prev in "统唯之同单逐专整万"):
        return None  # 每万人口, 数十家 (value unknown), 统一/唯一 are words
    pre = next((p for p in _APPROX_PREFIX if before.endswith(p)), "")
    if pre == "上" and not (is_cn and core in "十百千万亿"):
        pre = ""  # 上 is only an approximation in 上万/上千
    if is_cn and core in "百千万亿" and not pre and not whole:
        return None  # bare 万/百: 万众创新, 百家; 近万次 is fine
    qualifier = pre or _qualifier_before(text, start - len(pre))
    i = end
    approx = ""
    if text.startswith(("余", "多"), i):
        approx, i = text[i], i + 1
    scale = ""
    s = _SCALE_RE.match(text, i)
    if s and (not is_cn or approx):  # 3万, 30余万; a Chinese run already holds its own 万 (三万)
        scale, i = s.group(), s.end()
        if not approx and text.startswith(("余", "多"), i):
            approx, i = text[i], i + 1
    value *= _SCALES.get(scale, 1)
    unit, kind = "", "count"
    if percent_word or text.startswith(("%", "％"), i):
        unit, kind = "%", "percent"
        i += 0 if percent_word else 1
    elif _NOT_UNIT.match(text, i) is None:
        unit = next((u for u in _UNITS if text.startswith(u, i)), "")
        i += len(unit)
    if unit == "个百分点":
        kind = "percent"
    elif unit.endswith("元"):
        kind = "money"
    elif unit in _DURATION_UNITS:
        kind = "duration"
    elif unit == "倍":
        kind = "ratio"
    q_start = start - len(pre) - (3 if percent_word else 0)
    nxt = text[i:i + 1]
    if not unit and not scale and not whole and kind == "count":
        if is_cn or _DATE_SUFFIX.match(nxt) or _is_cjk(nxt) and nxt not in _CONJ:
            return None  # Chinese numerals need a measure word; 4月 is a date; 昆仑2020行动 a name
        if re.fullmatch(r"(?:19|20)\d\d", core) and not pre:
            return None  # a bare year-shaped number is a year inside a name (昆仑2020)
    if not is_cn and unit == "年" and re.fullmatch(r"(?:19|20)\d\d", core) and not approx:
        if not whole:
            return None  # a calendar year, see find_years
        kind = "other"
    if not whole and kind == "count" and not scale and _is_set_description(text, q_start, i, value):
        return None
    return Quantity(text[q_start:i], float(value), unit, scale, kind, approx or qualifier, q_start, i)


def _read_ordinal(text: str, start: int, end: int, value: Decimal, whole: bool) -> Quantity | None:
    """第8位 / 第六 / 居全国第四 are ranks; 连续第5年 is a duration; 第21届, 第二分院 are labels."""
    nxt = text[end:end + 1]
    if nxt == "年":
        qual = "连续" if text.endswith("连续", 0, start) else ""
        return Quantity(text[start:end + 1], float(value), "年", "", "duration", qual, start, end + 1)
    unit = nxt if nxt in ("位", "名") and _NOT_UNIT.match(text, end) is None else ""
    if not unit and _is_cjk(nxt) and not whole and not _RANK_VERB.search(text[:start]):
        return None
    stop = end + len(unit)
    return Quantity(text[start:stop], float(value), unit, "", "rank", "", start, stop)


def find_quantities(text: str) -> list[Quantity]:
    """Every quantity in ``text`` in order, labels skipped (see the module docstring)."""
    return list(_scan(text, whole=False))


def parse_quantity(text: str) -> Quantity | None:
    """Parse one figure string (``"81.22万件"``, ``"第八"``, ``"三十余人"``); None if it is not one.

    Offsets refer to ``text``; leading 共/累计/达到… and surrounding spaces are allowed.
    A lone year such as ``"2020年"`` parses with kind ``"other"``.
    """
    a, b = len(text) - len(text.lstrip()), len(text.rstrip().rstrip("。，,.；;"))
    for word in _TOTAL_PREFIX:
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


def find_years(text: str) -> list[YearMention]:
    """Calendar years in running text (not inside 《》 or quoted names, not year ranges).

    >>> [(y.year, y.is_base) for y in find_years("2020年审结8820件，较2019年增长37.9%")]
    [(2020, False), (2019, True)]
    """
    blocked = [m.span() for m in _BOOK.finditer(text)] + [m.span() for m in _QUOTE.finditer(text)]
    blocked += [m.span() for m in _YEAR_RANGE.finditer(text)]
    out = []
    for m in _YEAR.finditer(text):
        if any(a <= m.start() < b for a, b in blocked):
            continue
        is_base = bool(re.search(r"(较|比|与|同|相比)$", text[max(0, m.start() - 2):m.start()]))
        out.append(YearMention(int(m.group(1)), m.start(), m.end(), is_base))
    return out
