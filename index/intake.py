"""A report file on its way in: read, extracted, described, checked against the catalogue; nothing written.

>>> from index.sourcetypes import Extracted
>>> prepared = prepare(b"raw", "bj.txt", Extracted(text="北京市2021年知识产权工作报告\\n正文。\\n", kind="txt"), year=2022)
>>> prepared.meta.title, prepared.meta.year, prepared.meta.place
('北京市2021年知识产权工作报告', 2022, '北京市')
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from index.catalogue import Catalogue, ReportRecord
from index.metadata import ReportMeta, extract_metadata
from index.sourcetypes import Extracted


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class DuplicateReport(ValueError):
    """The file (or its text) is already in the knowledge base; `existing` is that report."""

    def __init__(self, message: str, existing: ReportRecord) -> None:
        super().__init__(message)
        self.existing = existing


@dataclass(frozen=True)
class PreparedReport:
    """A report read, extracted and described, not yet built or stored."""

    data: bytes  # the file as given
    filename: str  # its name, for display and the id only
    extracted: Extracted
    meta: ReportMeta

    @property
    def source_sha256(self) -> str:
        return sha256_hex(self.data)

    @property
    def text_sha256(self) -> str:
        return sha256_hex(self.extracted.text.encode("utf-8"))


def prepare(data: bytes, filename: str, extracted: Extracted, *, title: str | None = None, year: int | None = None,
            place: str | None = None, issuer: str | None = None) -> PreparedReport:
    """Metadata read from the document, then the caller's overrides (None keeps what was read)."""
    found = extract_metadata(extracted.text, hints=(extracted.title_hint, *extracted.running_lines), filename=filename)
    return PreparedReport(data, filename, extracted,
                          found.with_overrides(title=title, year=year, place=place, issuer=issuer))


def refuse_duplicate(catalogue: Catalogue, prepared: PreparedReport) -> None:
    """`DuplicateReport` when the same file, or the same text in another format, is already listed."""
    duplicate = catalogue.find_duplicate(prepared.source_sha256, prepared.text_sha256)
    if duplicate is not None:
        same = "同一个文件" if duplicate.source_sha256 == prepared.source_sha256 else "内容相同的报告"
        raise DuplicateReport(f"{prepared.filename} 已在报告库中（{same}，sha256 相同）：{duplicate.id}"
                              f"《{duplicate.title}》；不需要再添加", duplicate)
