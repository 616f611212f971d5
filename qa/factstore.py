"""The fact table on disk (SQLite) and in memory, with BM25 search and filters.

>>> from qa.facts import Fact
>>> f = Fact("f001", "d", 1, "执法", 1, "海关扣留货物81.22万件。", 0, 14, "海关扣留货物81.22万件", 6, 13,
...          "81.22万件", 812200.0, "件", "万", "", "count", "扣留货物", "海关", None, None, 2020)
>>> table = FactTable.from_facts([f])
>>> [(h.fact.figure_text, h.score > 0) for h in table.search("海关 扣留 货物")]
[('81.22万件', True)]
"""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, NamedTuple

import bm25s
import jieba

from qa.facts import EXTRACTOR_VERSION, FACT_FIELDS, Fact

FORMAT_VERSION = "1"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_INT_FIELDS = {"section", "paragraph", "sentence_start", "sentence_end", "start", "end", "year"}
_STOPWORDS = frozenset("的 了 和 与 及 在 对 为 是 有 多少 几 哪 什么 吗 呢 共 等 其中 ？ ? 。 ， , 、 ； ： “ ” 《 》 （ ）".split())


class FactTableError(ValueError):
    """A fact table file that is missing, corrupt, truncated or built for something else."""


class FactHit(NamedTuple):
    fact: Fact
    score: float


@dataclass(frozen=True)
class FactTableMeta:
    format_version: str
    corpus_sha256: str | None
    extractor_version: str
    fact_count: int
    built_at: str


def tokenize(text: str) -> list[str]:
    """jieba search-mode tokens, lower-cased, without stop words and punctuation.

    >>> tokenize("海关扣留的货物")
    ['海关', '扣留', '货物']
    """
    return [t.lower() for t in jieba.lcut_for_search(text) if t.strip() and t not in _STOPWORDS]


def _column_type(name: str) -> str:
    return "INTEGER" if name in _INT_FIELDS else "REAL" if name == "value" else "TEXT"


def write_fact_table(facts: list[Fact], path: str | Path, *, corpus_sha256: str) -> FactTableMeta:
    """Write ``facts`` to SQLite at ``path`` atomically (temp file in the same dir + os.replace)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = FactTableMeta(FORMAT_VERSION, corpus_sha256, EXTRACTOR_VERSION, len(facts),
                         datetime.now(timezone.utc).isoformat(timespec="seconds"))
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        con = sqlite3.connect(tmp)
        try:
            columns = ", ".join(f'"{name}" {_column_type(name)}' for name in FACT_FIELDS)  # fixed names, no user text
            con.execute(f"CREATE TABLE facts ({columns}, PRIMARY KEY (id))")
            con.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
            marks = ", ".join("?" for _ in FACT_FIELDS)
            con.executemany(f"INSERT INTO facts VALUES ({marks})",
                            [tuple(getattr(f, name) for name in FACT_FIELDS) for f in facts])
            con.executemany("INSERT INTO meta VALUES (?, ?)",
                            [(k, None if v is None else str(v)) for k, v in vars(meta).items()])
            con.commit()
        finally:
            con.close()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return meta


class FactTable:
    """All facts of one report, with search (BM25 over jieba tokens) and filters."""

    def __init__(self, facts: list[Fact] | tuple[Fact, ...], meta: FactTableMeta):
        self._facts = tuple(facts)
        self._by_id = {f.id: f for f in self._facts}
        self.meta = meta
        self._bm25: bm25s.BM25 | None = None

    @classmethod
    def from_facts(cls, facts: list[Fact], *, corpus_sha256: str | None = None) -> FactTable:
        meta = FactTableMeta(FORMAT_VERSION, corpus_sha256, EXTRACTOR_VERSION, len(facts), "")
        return cls(facts, meta)

    @classmethod
    def load(cls, path: str | Path, *, corpus_sha256: str | None = None) -> FactTable:
        """Read and validate a table written by `write_fact_table`; raises `FactTableError`."""
        path = Path(path)
        try:
            with path.open("rb") as fh:
                magic = fh.read(len(_SQLITE_MAGIC))
        except OSError as exc:
            raise FactTableError(f"fact table {str(path)!r} cannot be read: {exc.strerror or exc}") from None
        if magic != _SQLITE_MAGIC:
            raise FactTableError(f"fact table {str(path)!r} is not a SQLite file (corrupt?): rebuild it")
        try:
            con = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
            try:
                meta_rows = dict(con.execute("SELECT key, value FROM meta").fetchall())
                cursor = con.execute("SELECT * FROM facts ORDER BY rowid")
                names = [d[0] for d in cursor.description]
                rows = cursor.fetchall()
            finally:
                con.close()
        except sqlite3.Error as exc:
            raise FactTableError(f"fact table {str(path)!r} is corrupt or truncated ({exc}): rebuild it") from None
        meta = _check_meta(path, meta_rows, names, len(rows), corpus_sha256)
        facts = [Fact(**dict(zip(names, row))) for row in rows]
        return cls(facts, meta)

    def all(self) -> list[Fact]:
        return list(self._facts)

    def __len__(self) -> int:
        return len(self._facts)

    def get(self, fact_id: str) -> Fact | None:
        return self._by_id.get(fact_id)

    def filter(self, *, kind: str | None = None, unit: str | None = None, year: int | None = None,
               section: int | None = None) -> list[Fact]:
        """Facts matching every given field (None = any)."""
        wanted = {"kind": kind, "unit": unit, "year": year, "section": section}
        return [f for f in self._facts if all(v is None or getattr(f, k) == v for k, v in wanted.items())]

    def search(self, text: str, *, limit: int = 10, kind: str | None = None, unit: str | None = None,
               year: int | None = None, section: int | None = None) -> list[FactHit]:
        """Facts ranked by BM25 of ``text`` against subject, actor, unit and sentence (score > 0 only)."""
        allowed = {f.id for f in self.filter(kind=kind, unit=unit, year=year, section=section)}
        query = tokenize(text)
        if not query or not allowed or limit <= 0:
            return []
        bm25 = self._index()
        known = bm25.get_tokens_ids(query)
        if not known:
            return []
        scores = bm25.get_scores(known)
        hits = [FactHit(f, float(s)) for f, s in zip(self._facts, scores) if f.id in allowed and s > 0]
        hits.sort(key=lambda h: (-h.score, h.fact.start))
        return hits[:limit]

    def _index(self) -> bm25s.BM25:
        if self._bm25 is None:
            # The subject is what a question names, so it is counted twice (a cheap field boost).
            corpus = [tokenize(" ".join([f.subject, f.subject, f.actor or "", f.unit, f.sentence]))
                      for f in self._facts]
            self._bm25 = bm25s.BM25(backend="numpy")
            self._bm25.index(corpus, show_progress=False)
        return self._bm25

    def to_csv(self, path_or_file: str | Path | IO[str]) -> None:
        """Write all facts as CSV with a header row (a path, or an open text file)."""
        if isinstance(path_or_file, (str, Path)):
            with open(path_or_file, "w", encoding="utf-8", newline="") as fh:
                self._write_csv(fh)
        else:
            self._write_csv(path_or_file)

    def _write_csv(self, fh: IO[str]) -> None:
        writer = csv.writer(fh)
        writer.writerow(FACT_FIELDS)
        for f in self._facts:
            writer.writerow(["" if getattr(f, n) is None else getattr(f, n) for n in FACT_FIELDS])

    def csv_text(self) -> str:
        buf = io.StringIO()
        self._write_csv(buf)
        return buf.getvalue()


def _check_meta(path: Path, meta: dict, names: list[str], rows: int, corpus_sha256: str | None) -> FactTableMeta:
    where = f"fact table {str(path)!r}"
    if meta.get("format_version") != FORMAT_VERSION:
        raise FactTableError(f"{where} has format version {meta.get('format_version')!r}, expected {FORMAT_VERSION!r}: rebuild it")
    if tuple(names) != FACT_FIELDS:
        raise FactTableError(f"{where} has columns {names}, expected {list(FACT_FIELDS)}: rebuild it")
    if str(rows) != meta.get("fact_count"):
        raise FactTableError(f"{where} holds {rows} facts but its meta says {meta.get('fact_count')}: truncated, rebuild it")
    if corpus_sha256 is not None and meta.get("corpus_sha256") != corpus_sha256:
        raise FactTableError(f"{where} was built for corpus sha256 {meta.get('corpus_sha256')}, not {corpus_sha256}: rebuild it")
    return FactTableMeta(meta["format_version"], meta.get("corpus_sha256"), meta.get("extractor_version", ""),
                         rows, meta.get("built_at", ""))
