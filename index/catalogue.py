"""The report catalogue: one SQLite table of the reports in the knowledge base (parameterised SQL only).

>>> import tempfile, pathlib
>>> cat = Catalogue(pathlib.Path(tempfile.mkdtemp()) / "catalogue.sqlite")
>>> record = ReportRecord(id="bj-2021", title="北京市2021年知识产权工作报告", issuer="", place="北京市", year=2021,
...                       source_name="bj.pdf", source_kind="pdf", source_sha256="a" * 64, text_sha256="b" * 64)
>>> with cat.transaction() as tx:
...     _ = tx.insert(record)
>>> [r.id for r in cat.records()], cat.find_duplicate("a" * 64, "c" * 64).id
(['bj-2021'], 'bj-2021')
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Callable, Iterator

SCHEMA_VERSION = 1
STATUSES = ("live", "error")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    issuer TEXT NOT NULL DEFAULT '',
    place TEXT NOT NULL DEFAULT '',
    year INTEGER,
    source_name TEXT NOT NULL,
    source_kind TEXT NOT NULL,
    source_sha256 TEXT NOT NULL UNIQUE,
    text_sha256 TEXT NOT NULL,
    added_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'live' CHECK (status IN ('live', 'error')),
    status_note TEXT NOT NULL DEFAULT '',
    builtin INTEGER NOT NULL DEFAULT 0
)
"""


class CatalogueError(ValueError):
    """The catalogue file is damaged or from a newer version; the message says what to do."""


@dataclass(frozen=True)
class ReportRecord:
    """One report of the knowledge base, as the catalogue lists it."""

    id: str
    title: str
    issuer: str
    place: str
    year: int | None
    source_name: str  # the file name it was added from (shown only; the stored copy has a fixed name)
    source_kind: str  # pdf | docx | html | txt
    source_sha256: str
    text_sha256: str
    added_at: str = ""
    status: str = "live"  # live | error (files damaged beyond rebuilding; status_note says why)
    status_note: str = ""
    builtin: bool = False  # the default report: always present, cannot be removed

    def to_dict(self) -> dict:
        return asdict(self)


_COLUMNS = tuple(f.name for f in fields(ReportRecord))
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM reports"
_ALL = f"{_SELECT} ORDER BY builtin DESC, rowid"
_BY_ID = f"{_SELECT} WHERE id = ?"
_DUPLICATE = f"{_SELECT} WHERE source_sha256 = ? OR text_sha256 = ? ORDER BY source_sha256 = ? DESC"


def _record(row: sqlite3.Row) -> ReportRecord:
    values = dict(zip(_COLUMNS, row))
    return ReportRecord(**{**values, "builtin": bool(values["builtin"])})


class Transaction:
    """Writes inside one `BEGIN IMMEDIATE` … `COMMIT`; see `Catalogue.transaction`."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def insert(self, record: ReportRecord) -> ReportRecord:
        record = record if record.added_at else ReportRecord(**{**asdict(record),
                                                                "added_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
        placeholders = ", ".join("?" for _ in _COLUMNS)
        values = [int(v) if isinstance(v, bool) else v for v in asdict(record).values()]
        self._db.execute(f"INSERT INTO reports ({', '.join(_COLUMNS)}) VALUES ({placeholders})", values)
        return record

    def delete(self, report_id: str) -> None:
        self._db.execute("DELETE FROM reports WHERE id = ?", (report_id,))

    def set_status(self, report_id: str, status: str, note: str = "") -> None:
        if status not in STATUSES:
            raise ValueError(f"status={status!r} is not one of {', '.join(STATUSES)}")
        self._db.execute("UPDATE reports SET status = ?, status_note = ? WHERE id = ?", (status, note, report_id))


class Catalogue:
    """The catalogue file; construction is cheap, the file and table are created on first use."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)  # explicit BEGIN/COMMIT below
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                db.close()
                raise CatalogueError(f"catalogue {self.path} is from a newer version (schema {version}): "
                                     "update the program")
            if version < SCHEMA_VERSION:
                db.execute(_SCHEMA)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            return db
        except sqlite3.DatabaseError as exc:
            raise CatalogueError(f"catalogue {self.path} is damaged ({exc}): move it away and add the reports "
                                 "again (their folders under reports/ are kept)") from None

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """All writes in the block commit together or not at all (an exception rolls back)."""
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    def _query(self, run: Callable[[sqlite3.Connection], sqlite3.Cursor]) -> list[ReportRecord]:
        """Rows of `run(connection)`; the SQL stays a module constant at each call site."""
        db = self._connect()
        try:
            return [_record(row) for row in run(db)]
        except sqlite3.DatabaseError as exc:
            raise CatalogueError(f"catalogue {self.path} cannot be read ({exc})") from None
        finally:
            db.close()

    def records(self) -> list[ReportRecord]:
        """Every report, the default first, then in the order they were added."""
        return self._query(lambda db: db.execute(_ALL))

    def get(self, report_id: str) -> ReportRecord | None:
        found = self._query(lambda db: db.execute(_BY_ID, (report_id,)))
        return found[0] if found else None

    def find_duplicate(self, source_sha256: str, text_sha256: str) -> ReportRecord | None:
        """A report with the same source file, or the same extracted text (the same report in another format)."""
        found = self._query(lambda db: db.execute(_DUPLICATE, (source_sha256, text_sha256, source_sha256)))
        return found[0] if found else None
