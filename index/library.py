"""The knowledge base of reports: add, remove and list, each report in a folder of its own.

Layout under the cache::

    library/catalogue.sqlite          the catalogue (index/catalogue.py)
    library/.lock                     held while adding or removing
    library/reports/<id>/source.pdf   the file as added (never executed, never served)
                         text.txt     the extracted text, one paragraph per line
                         report.json  manifest: the record and the sha256 of both files
                         index/<model>/CURRENT, builds/…   chunks, vectors, facts (index/store.py)

Adding builds the new report in ``reports/.staging-…`` and makes it live in one step:
the catalogue row is inserted and the folder renamed inside one SQLite transaction,
so a failure at any point leaves the catalogue and every other report as they were.
The default report (``--corpus``) is always in the catalogue; its index, like every
report's, is built for a model the first time that model loads it.

>>> import tempfile, pathlib
>>> from index.builder import BuildSpec
>>> from tests.conftest import FakeEmbedder
>>> cache = pathlib.Path(tempfile.mkdtemp())
>>> corpus = cache / "tianjin.txt"; _ = corpus.write_text("天津市2020年报告\\n一、保护\\n办结案件12件。\\n", encoding="utf-8")
>>> library = ReportLibrary(cache, default_corpus=corpus)
>>> report = cache / "bj-2021.txt"; _ = report.write_text("北京市2021年知识产权工作报告\\n一、创造\\n授权7.9万件。\\n")
>>> added = library.add_file(report, embedder=FakeEmbedder(), spec=BuildSpec())
>>> [(r.id, r.title, r.year, r.builtin) for r in library.records()]
[('tianjin', '天津市2020年报告', 2020, True), ('bj-2021', '北京市2021年知识产权工作报告', 2021, False)]
>>> library.remove("bj-2021").id
'bj-2021'
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from index.builder import BuildSpec, build_index
from index.catalogue import Catalogue, ReportRecord
from index.corpus import Document, parse_document
from index.embedding import Embedder
from index.intake import PreparedReport, prepare, refuse_duplicate, sha256_hex
from index.loaders import load_bytes, load_file
from index.settings import model_dirname
from index.store import LoadedIndex, build_lock, current_build, read_build, write_atomic

REPORT_MANIFEST = "report.json"
TEXT_FILE = "text.txt"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")
Log = Callable[[str], None]


@dataclass(frozen=True)
class AddResult:
    """A report just added: its record and its live index (for the embedder's model)."""

    record: ReportRecord
    index: LoadedIndex
    notes: tuple[str, ...] = ()


def check_report_id(report_id: str) -> str:
    """Ids are lower-case ASCII letters, digits and hyphens (they name folders)."""
    if not isinstance(report_id, str) or not ID_PATTERN.match(report_id):
        raise ValueError(f"report id {report_id!r} is not valid: ids look like 'tianjin-ip-2020' "
                         "(see `python -m index list`)")
    return report_id


def _slug(filename: str) -> str:
    """ASCII slug of a file stem: "Beijing IP 2021.pdf" -> "beijing-ip-2021" (empty when it has none)."""
    stem = Path(filename).stem.lower()
    return re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9]+", "-", stem)).strip("-")[:40].strip("-")


class ReportLibrary:
    """The reports under `cache_dir/library`. Construction is cheap; nothing is read until used."""

    def __init__(self, cache_dir: Path, *, default_corpus: Path, default_meta: dict | None = None,
                 log: Log | None = None, folder: str = "library") -> None:
        """`folder`: the library's folder under the cache (eval keeps its own, apart from the app's)."""
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}", folder or ""):
            raise ValueError(f"folder={folder!r} must be a plain folder name such as 'library'")
        self.root = Path(cache_dir) / folder
        self.reports_dir = self.root / "reports"
        self.catalogue = Catalogue(self.root / "catalogue.sqlite")
        self.default_corpus = Path(default_corpus)
        self.default_meta = dict(default_meta or {})
        self.log = log or (lambda message: None)

    # -- paths --------------------------------------------------------------------------
    def report_dir(self, report_id: str) -> Path:
        return self.reports_dir / check_report_id(report_id)

    def index_root(self, report_id: str, model: str) -> Path:
        """Where a report's index for one model lives (each model has its own)."""
        return self.report_dir(report_id) / "index" / model_dirname(model)

    def source_path(self, record: ReportRecord) -> Path:
        return self.report_dir(record.id) / f"source.{record.source_kind}"

    # -- reading --------------------------------------------------------------------------
    def records(self) -> list[ReportRecord]:
        """Every report, the default first (registered on first use)."""
        self.ensure_default()
        return self.catalogue.records()

    def get(self, report_id: str) -> ReportRecord:
        record = self.catalogue.get(check_report_id(report_id))
        if record is None:
            raise ValueError(f"no report with id {report_id!r}: see `python -m index list` for the ids")
        return record

    def load_document(self, record: ReportRecord) -> Document:
        """The report's text as a Document whose doc_id is the report id (so every chunk and fact names it)."""
        path = self.report_dir(record.id) / TEXT_FILE
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ValueError(f"report {record.id}: {path} cannot be read ({exc.strerror or exc}); "
                             f"remove it and add it again") from None
        if sha256_hex(data) != record.text_sha256:
            raise ValueError(f"report {record.id}: {path} was changed or damaged (sha256 differs from the catalogue); "
                             "remove it and add it again")
        return parse_document(data.decode("utf-8"), doc_id=record.id)

    # -- the default report ------------------------------------------------------------------
    def ensure_default(self) -> ReportRecord:
        """Register the default corpus (copying its text, not building) unless it is already there."""
        try:
            data = self.default_corpus.read_bytes()
        except OSError as exc:
            raise ValueError(f"cannot read corpus file {str(self.default_corpus)!r}: {exc.strerror or exc}") from None
        source_sha = sha256_hex(data)
        current = [r for r in self.catalogue.records() if r.builtin]
        if current and current[0].source_sha256 == source_sha and self.report_dir(current[0].id).is_dir():
            return current[0]
        extracted = load_bytes(data, self.default_corpus.name)
        with build_lock(self.root):
            self._sweep()
            current = [r for r in self.catalogue.records() if r.builtin]
            if current and current[0].source_sha256 == source_sha and self.report_dir(current[0].id).is_dir():
                return current[0]
            prepared = prepare(data, self.default_corpus.name, extracted, **self.default_meta)
            record, staging = self._stage(prepared, builtin=True)
            replaced = [r.id for r in current] + [r.id for r in self.catalogue.records()
                                                  if r.source_sha256 == source_sha and not r.builtin]
            self._commit(record, staging, drop=replaced)
            self.log(f"默认报告 {record.id}：《{record.title}》")
            return record

    # -- adding ------------------------------------------------------------------------------
    def prepare_file(self, path: str | Path, **overrides) -> PreparedReport:
        """Read and extract a report, read its metadata, refuse a duplicate: everything but the build.

        `overrides`: title, year, place, issuer (None keeps what the document states). Cheap
        enough to run before the model loads, so a bad file is refused at once (and a UI can
        show the metadata found before building).
        """
        self.log(f"读取 {Path(path).name} …")
        data, extracted = load_file(path)
        return self._prepare(prepare(data, Path(path).name, extracted, **overrides))

    def prepare_bytes(self, data: bytes, filename: str, **overrides) -> PreparedReport:
        """Like `prepare_file`, for an upload held in memory (`filename` only types it and labels it)."""
        return self._prepare(prepare(data, Path(filename).name, load_bytes(data, filename), **overrides))

    def add_file(self, path: str | Path, *, embedder: Embedder, spec: BuildSpec, progress: bool = False,
                 **overrides) -> AddResult:
        """Add a PDF, .docx, HTML or text report and build its index; the other reports are not touched.

        `overrides`: title, year, place, issuer (see `prepare_file`)."""
        return self.add_prepared(self.prepare_file(path, **overrides), embedder=embedder, spec=spec, progress=progress)

    def add_bytes(self, data: bytes, filename: str, *, embedder: Embedder, spec: BuildSpec, progress: bool = False,
                  **overrides) -> AddResult:
        """Like `add_file`, for an upload held in memory."""
        return self.add_prepared(self.prepare_bytes(data, filename, **overrides), embedder=embedder, spec=spec,
                                 progress=progress)

    def _prepare(self, prepared: PreparedReport) -> PreparedReport:
        for note in prepared.extracted.notes:
            self.log(note)
        refuse_duplicate(self.catalogue, prepared)
        return prepared

    def add_prepared(self, prepared: PreparedReport, *, embedder: Embedder, spec: BuildSpec,
                     progress: bool = False) -> AddResult:
        """Build a prepared report's index in a staging folder and make it live with its catalogue row."""
        self.ensure_default()  # takes the lock itself (flock is not re-entrant), so before ours
        with build_lock(self.root):
            self._sweep()
            refuse_duplicate(self.catalogue, prepared)  # again, under the lock: another process may have added it
            record, staging = self._stage(prepared, builtin=False)
            try:
                self.log(f"建立索引：《{record.title}》")
                build_index(self._document(staging, record.id), embedder,
                            staging / "index" / model_dirname(embedder.model_id), spec, progress=progress)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            self._commit(record, staging)
        index = read_build(current_build(self.index_root(record.id, embedder.model_id)))
        self.log(f"已添加 {record.id}：《{record.title}》，{index.manifest.chunk_count} 段索引")
        return AddResult(self.catalogue.get(record.id) or record, index, prepared.extracted.notes)

    def _document(self, folder: Path, report_id: str) -> Document:
        return parse_document((folder / TEXT_FILE).read_text(encoding="utf-8"), doc_id=report_id)

    def _new_id(self, filename: str, source_sha: str) -> str:
        taken = {r.id for r in self.catalogue.records()}
        base = _slug(filename)
        for candidate in ((base, f"{base}-{source_sha[:6]}") if len(base) >= 3 and re.search("[a-z]", base) else ()):
            if candidate not in taken and ID_PATTERN.match(candidate):
                return candidate
        return f"report-{source_sha[:8]}"

    def _stage(self, prepared: PreparedReport, *, builtin: bool) -> tuple[ReportRecord, Path]:
        """Write source, text and manifest into a fresh staging folder."""
        meta, extracted = prepared.meta, prepared.extracted
        report_id = self._new_id(prepared.filename, prepared.source_sha256)
        record = ReportRecord(id=report_id, title=meta.title, issuer=meta.issuer, place=meta.place, year=meta.year,
                              source_name=prepared.filename[:200], source_kind=extracted.kind,
                              source_sha256=prepared.source_sha256, text_sha256=prepared.text_sha256,
                              added_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"), builtin=builtin)
        self.reports_dir.mkdir(parents=True, exist_ok=True)
        staging = self.reports_dir / f".staging-{report_id}-{uuid.uuid4().hex[:8]}"
        staging.mkdir()
        try:
            source = staging / f"source.{extracted.kind}"
            write_atomic(source, prepared.data)
            source.chmod(0o444)  # data, not a program: never executable, never rewritten in place
            write_atomic(staging / TEXT_FILE, extracted.text.encode("utf-8"))
            files = {p.name: {"bytes": p.stat().st_size, "sha256": sha256_hex(p.read_bytes())}
                     for p in (source, staging / TEXT_FILE)}
            manifest = {"format_version": 1, "record": record.to_dict(), "files": files}
            write_atomic(staging / REPORT_MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return record, staging

    def _commit(self, record: ReportRecord, staging: Path, *, drop: list[str] = ()) -> None:
        """Insert the row and move the folder in place in one transaction; `drop` ids are removed with it."""
        final = self.report_dir(record.id)
        trash: list[tuple[Path, Path]] = []
        moved = False
        try:
            with self.catalogue.transaction() as tx:
                for old in drop:
                    tx.delete(old)
                    if self.report_dir(old).exists():
                        away = self.reports_dir / f".trash-{old}-{uuid.uuid4().hex[:8]}"
                        os.rename(self.report_dir(old), away)
                        trash.append((away, self.report_dir(old)))
                tx.insert(record)
                if final.exists():  # a leftover of a crash between rename and commit: not in the catalogue
                    shutil.rmtree(final)
                os.rename(staging, final)
                moved = True
        except BaseException:
            if moved:
                os.rename(final, staging)
            for away, back in trash:
                os.rename(away, back)
            shutil.rmtree(staging, ignore_errors=True)
            raise
        for away, _ in trash:
            shutil.rmtree(away, ignore_errors=True)

    # -- removing ----------------------------------------------------------------------------
    def remove(self, report_id: str) -> ReportRecord:
        """Remove one report (catalogue row and folder); the default cannot be removed."""
        check_report_id(report_id)
        self.ensure_default()
        with build_lock(self.root):
            record = self.get(report_id)
            if record.builtin:
                raise ValueError(f"{report_id} is the default report and cannot be removed "
                                 "(start with another --corpus to change the default)")
            folder, away = self.report_dir(record.id), self.reports_dir / f".trash-{record.id}-{uuid.uuid4().hex[:8]}"
            moved = False
            try:
                with self.catalogue.transaction() as tx:
                    tx.delete(record.id)
                    if folder.exists():
                        os.rename(folder, away)
                        moved = True
            except BaseException:
                if moved:
                    os.rename(away, folder)
                raise
            shutil.rmtree(away, ignore_errors=True)
        self.log(f"已删除 {record.id}：《{record.title}》")
        return record

    def _sweep(self) -> None:
        """Inside the lock: drop the staging and trash folders of killed runs.

        A report folder that no catalogue row names is left alone (it is never loaded, and
        adding a report with its id replaces it): deleting stored sources because the
        catalogue is missing rows would lose data.
        """
        if not self.reports_dir.is_dir():
            return
        for folder in self.reports_dir.iterdir():
            if folder.name.startswith((".staging-", ".trash-")):
                shutil.rmtree(folder, ignore_errors=True)
