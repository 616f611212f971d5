"""Title, issuer, place and year of a report, read from where the document states them.

* title: the first line when it reads like a title (short, no sentence punctuation,
  not a section heading; 《》 removed; after a ``某某局文件`` header line), else a 《…报告》 named in the first paragraph,
  else the format's own title (PDF /Title, Word properties, HTML <title>) or a running
  header, else the file name;
* year: the first 19xx/20xx年 in the title, else in the first paragraph;
* place: a province, city, county or district name at the start of the title (after
  an optional year), 全国 for national issuers;
* issuer: an organisation at the start of the title or on a short line near the top
  or the bottom (``天津市知识产权局``, ``XX市人民政府办公厅``).

Every field can be overridden by the caller (``--title`` and friends).

>>> meta = extract_metadata("天津市知识产权局2021年知识产权工作报告\\n2021年，全市……\\n")
>>> meta.title, meta.year, meta.place, meta.issuer
('天津市知识产权局2021年知识产权工作报告', 2021, '天津市', '天津市知识产权局')
>>> extract_metadata("《2020年浙江省知识产权发展状况》\\n正文。\\n").place
'浙江省'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from index.headings import match_heading

MAX_TITLE = 120
_YEAR = re.compile(r"(?<!\d)((?:19[5-9]|20\d)\d)\s*年")
_ORG_SUFFIX = r"(?:人民政府办公厅|人民政府办公室|人民政府|人民代表大会常务委员会|委员会|办公厅|办公室|管理局|局|厅|委|院|署|中心|协会|政府)"
_PLACE = re.compile(r"^(?:关于)?(?:(?:19|20)\d\d\s*年(?:度)?)?\s*((?:[\u4e00-\u9fff]{2,7}?(?:省|自治区|特别行政区))?"
                    r"(?:[\u4e00-\u9fff]{1,7}?(?:市|自治州|地区|盟))?(?:[\u4e00-\u9fff]{1,7}?(?:县|区|旗))?)")
_ORG = re.compile(rf"^((?:国家|国务院|中共|全国)?[\u4e00-\u9fff]{{2,24}}?{_ORG_SUFFIX})(?=\d|关于|[\u4e00-\u9fff]{{0,4}}(?:年|工作|报告)|文件|$)")
_NATIONAL = ("国家", "国务院", "全国", "中华人民共和国", "中国")
_SENTENCE = re.compile(r"[。；！？，,;!?]")
_BOOK_TITLE = re.compile(r"《([^《》\n]{4,60}?(?:报告|总结|公报|白皮书|状况|情况))》")
_NOT_PLACE = ("全市", "全省", "本市", "我市", "全区", "全县")


@dataclass(frozen=True)
class ReportMeta:
    """What the catalogue records about a report; empty string / None when unknown."""

    title: str
    issuer: str = ""
    place: str = ""
    year: int | None = None

    def __post_init__(self) -> None:
        if not self.title.strip() or len(self.title) > MAX_TITLE:
            raise ValueError(f"title={self.title!r} must be 1 to {MAX_TITLE} characters: give --title")
        if self.year is not None and not 1949 <= self.year <= 2100:
            raise ValueError(f"year={self.year!r} is not a year between 1949 and 2100: give --year like 2021")
        for name in ("issuer", "place"):
            if len(getattr(self, name)) > 60:
                raise ValueError(f"{name}={getattr(self, name)!r} is longer than 60 characters: shorten it")

    def with_overrides(self, **values) -> "ReportMeta":
        """The same, with the non-None values given (e.g. from --title/--year/--place/--issuer)."""
        return replace(self, **{k: (v.strip() if isinstance(v, str) else v) for k, v in values.items() if v is not None})


def _first_lines(text: str, n: int) -> list[str]:
    lines = []
    for line in text.splitlines():
        if line.strip():
            lines.append(line.strip())
            if len(lines) == n:
                break
    return lines


def _looks_like_title(line: str) -> bool:
    return (4 <= len(line) <= 60 and not _SENTENCE.search(line.strip("《》")) and match_heading(line) is None
            and not line.endswith(("：", ":")))


def find_title(text: str, hints: tuple[str, ...] = (), filename: str = "") -> str:
    """The report's title (see the module doc for the order); never empty."""
    first = _first_lines(text, 3)
    if first and first[0].endswith("文件") and len(first) > 1:  # a red-header document: 某某局文件, then the title
        first = first[1:]
    if first and _looks_like_title(first[0]):
        return first[0].strip("《》 ")
    book = _BOOK_TITLE.search(" ".join(first))
    if book:
        return book.group(1)
    for hint in hints:
        hint = " ".join(hint.split())
        if hint and _looks_like_title(hint.split("_")[0].split(" - ")[0]):
            return hint.split("_")[0].split(" - ")[0].strip("《》 ")  # drop "_站点名" / " - 站点名" of page titles
    return (Path(filename).stem if filename else "") or "未命名报告"


def find_year(title: str, text: str) -> int | None:
    """The first year written as 2020年 in the title, else in the first paragraph."""
    for where in (title, " ".join(_first_lines(text, 2))):
        found = _YEAR.search(where)
        if found:
            return int(found.group(1))
    return None


def find_place(title: str, issuer: str = "") -> str:
    """A place name at the start of the title (after an optional year), or of the issuer; 全国 for national ones."""
    for where in (title, issuer):
        if where.startswith(_NATIONAL):
            return "全国"
        found = _PLACE.match(where)
        if found and found.group(1) and not found.group(1).startswith(_NOT_PLACE):
            return found.group(1)
    return ""


def find_issuer(title: str, text: str) -> str:
    """An organisation at the start of the title, or a short organisation line near the top or bottom."""
    candidates = [re.sub(r"^(?:19|20)\d\d\s*年(?:度)?", "", title)]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    candidates += [line for line in lines[:3] + lines[-3:] if len(line) <= 30 and not _SENTENCE.search(line)]
    for candidate in candidates:
        found = _ORG.match(candidate.strip("《》 "))
        if found:
            return found.group(1)
    return ""


def extract_metadata(text: str, *, hints: tuple[str, ...] = (), filename: str = "") -> ReportMeta:
    """Read title, issuer, place and year from a report's text (and the format's own hints)."""
    title = find_title(text, hints, filename)[:MAX_TITLE]
    issuer = find_issuer(title, text)
    return ReportMeta(title=title, issuer=issuer, place=find_place(title, issuer), year=find_year(title, text))
