"""Answers over every report of the knowledge base: one QAEngine per report, one shared embedder.

The question's year, place or title picks the reports (qa.routing). A question naming none is
one hybrid search over every report's chunks at once (index.reports.CombinedIndex), and the
reports holding the best passages answer (at most MAX_ASKED). Each picked report answers with
its own engine, exactly as it would alone (its own retrieval over its own chunks, so adding or
removing another report never changes its answers); the query is embedded once for all of them
(QueryMemo). Their answers are put together by qa.combining: rows labelled with their report,
or a difference or comparison computed from two cited figures. With only the default report
loaded, `ask` returns that report's engine's answer unchanged.

>>> engine = LibraryEngine(EngineConfig(corpus=DEFAULT_CORPUS, cache_dir=DEFAULT_CACHE), library)  # doctest: +SKIP
>>> engine.ask("19年比18年批捕的知识产权案子多了多少件？").short_answer  # doctest: +SKIP
'1040件（计算得出）'
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, Sequence

from index.catalogue import ReportRecord
from index.embedding import Embedder, make_embedder
from index.library import TEXT_FILE, ReportLibrary
from index.normalise import normalise_question
from index.querycache import QueryMemo
from index.reports import CombinedIndex, LoadedReport, load_reports
from qa.answering import compose_refusal
from qa.combining import Part, put_together
from qa.engine import FACTS_FILE, EngineConfig, QAEngine, build_spec, to_turns
from qa.numbers import find_years
from qa.reading import Turn
from qa.retrieval import HybridRetriever, RetrievalResult
from qa.routing import Group, Plan, Shelved, find_mentions, plan, sub_question
from qa.sanitize import clean_question

MAX_ASKED = 3  # reports asked when the question names none (or a named year has more)
SEARCH_HITS = 8  # passages of the one search over every report that pick those reports
TITLE_CHARS = 20


def report_label(record: ReportRecord) -> str:
    """How answers name a report: 《title》, long titles cut (never in the middle of a figure).

    >>> report_label(ReportRecord("a", "2018年检察机关共批捕侵犯知识产权犯罪3306件5627人", "", "", 2018, "a.txt", "txt", "", ""))
    '《2018年检察机关共批捕侵犯知识产权犯罪…》'
    """
    title = record.title or record.id
    if len(title) > TITLE_CHARS:
        title = re.sub(r"[\d.,，]+$", "", title[:TITLE_CHARS]) + "…"
    return f"《{title}》"


@dataclass(frozen=True)
class Shelf:
    """Everything loaded, replaced as a whole when a report is added or removed."""

    shelved: tuple[Shelved, ...]  # the default first
    engines: dict  # report id -> QAEngine
    retriever: HybridRetriever | None  # over every report's chunks (None with one report)

    def label(self, report_id: str) -> str:
        return next(s.label for s in self.shelved if s.id == report_id)


class LibraryEngine:
    """Answers over the library's reports; the same ask / ask_ranked / ask_traced / status as QAEngine."""

    def __init__(self, config: EngineConfig, library: ReportLibrary, *, embedder: Embedder | None = None,
                 weights=None, log: Callable[[str], None] | None = None, only: frozenset[str] | None = None) -> None:
        """`only`: the ids of the added reports to load (None: every live one; the default is always loaded)."""
        self.config, self.library, self._weights, self.only = config, library, weights, only
        inner = embedder or make_embedder(config.model, cache_dir=config.cache_dir, encoder=config.encoder,
                                          progress=config.progress)
        self.embedder = inner if isinstance(inner, QueryMemo) else QueryMemo(inner)
        self.default = QAEngine(config, embedder=self.embedder, weights=weights)
        self.log = log or (lambda message: None)
        self._shelf: Shelf | None = None
        self._lock = threading.Lock()

    # -- loading -------------------------------------------------------------------------
    def warm_up(self) -> None:
        if self._shelf is None:
            with self._lock:
                if self._shelf is None:
                    self._shelf = self._load(None)

    def reload(self) -> None:
        """Load the library again after a report was added or removed (unchanged reports keep their engine)."""
        with self._lock:
            self._shelf = self._load(self._shelf)

    def _load(self, previous: Shelf | None) -> Shelf:
        from qa.factstore import FactTable, FactTableError

        self.default.warm_up()
        default_record = self.library.ensure_default()
        spec = build_spec(chunk_size=self.config.chunk_size)
        loaded = [LoadedReport(default_record, self.default.document, self.default.index,
                               self.default.index.directory / FACTS_FILE)]
        engines = {default_record.id: self.default}
        for report in load_reports(self.library, self.embedder, spec, progress=self.config.progress, log=self.log,
                                   include_default=False):
            rid = report.record.id
            if self.only is not None and rid not in self.only:
                continue
            old = previous.engines.get(rid) if previous else None
            if old is not None and old.index.directory == report.index.directory:
                engines[rid] = old
            else:
                try:
                    facts = FactTable.load(report.facts_path, corpus_sha256=report.document.sha256)
                except FactTableError as exc:
                    self.log(f"report {rid} skipped: {exc}; remove it and add it again")
                    continue
                config = replace(self.config, corpus=self.library.report_dir(rid) / TEXT_FILE)
                engines[rid] = QAEngine.loaded(config, report.document, report.index, facts, embedder=self.embedder,
                                               weights=self._weights)
            loaded.append(report)
        shelved = tuple(Shelved(r.record.id, report_label(r.record), r.record.year, r.record.place,
                                frozenset(y.year for y in find_years(r.document.text)), r.record.title)
                        for r in loaded)
        retriever = HybridRetriever(CombinedIndex.from_reports(loaded), self.embedder) if len(loaded) > 1 else None
        return Shelf(shelved, engines, retriever)

    @property
    def shelf(self) -> Shelf:
        self.warm_up()
        return self._shelf

    # -- the knowledge base ------------------------------------------------------------------
    def records(self) -> list[ReportRecord]:
        return self.library.records()

    def add(self, data: bytes, filename: str, *, progress: bool = False,
            stage: Callable[[float, str], None] | None = None, **overrides) -> ReportRecord:
        """Add a report (PDF, .docx, HTML or text, as bytes), build it, and answer from it from now on.

        `stage(fraction, what)` hears where it is; `overrides`: title, year, place, issuer."""
        stage = stage or (lambda fraction, what: None)
        stage(0.02, "读取文件、抽取文字")
        prepared = self.library.prepare_bytes(data, filename, **overrides)
        stage(0.1, f"建立索引：《{prepared.meta.title}》（段落向量与事实表）")
        spec = build_spec(chunk_size=self.config.chunk_size)
        result = self.library.add_prepared(prepared, embedder=self.embedder, spec=spec, progress=progress)
        stage(0.9, "载入报告库")
        self.reload()
        return result.record

    def remove(self, report_id: str) -> ReportRecord:
        record = self.library.remove(report_id)
        self.reload()
        return record

    # -- what the app and eval read ------------------------------------------------------
    @property
    def facts(self):
        self.warm_up()
        return self.default.facts

    def status(self):
        return self.default.status()

    def variant(self, **changes) -> "LibraryEngine":
        """Same loaded reports, other answering settings (the eval baselines)."""
        other = LibraryEngine(replace(self.config, **changes), self.library, embedder=self.embedder,
                              weights=self._weights, log=self.log, only=self.only)
        shelf = self.shelf
        other.default = self.default.variant(**changes)
        engines = {rid: (other.default if e is self.default else e.variant(**changes)) for rid, e in shelf.engines.items()}
        other._shelf = replace(shelf, engines=engines)
        return other

    # -- asking --------------------------------------------------------------------------
    def ask(self, question: Any, history: Any = None):
        return self.ask_traced(question, history)[0]

    def ask_ranked(self, question: Any, history: Any = None, *, k: int = 5):
        answer, retrieved, _ = self.ask_traced(question, history)
        return answer, ([h.chunk.text for h in retrieved.hits[:k]] if retrieved is not None else [])

    def ask_traced(self, question: Any, history: Any = None):
        """(answer, retrieval, decision) as QAEngine.ask_traced; decision only when one report answered."""
        started = time.perf_counter()
        shelf = self.shelf
        cleaned = clean_question(question)
        if len(shelf.engines) == 1 or cleaned.problem or not cleaned.has_chinese:
            return self.default.ask_traced(question, history)
        turns = to_turns(history)
        text = normalise_question(cleaned.text)
        earlier = [normalise_question(t.content) for t in reversed(turns) if t.role == "user"]
        route = plan(text, shelf.shelved, earlier=earlier)
        retrieved, decision = None, None
        if route.reason:
            answer = compose_refusal(cleaned.text, route.reason, (), notice=cleaned.notice)
        else:
            groups, more = route.groups, 0
            if not groups or any(len(g.report_ids) > MAX_ASKED for g in groups):
                ranked, retrieved = self._search(shelf, cleaned.text, history)
                groups, more = self._searched_groups(shelf, route, ranked, text)
            history = self._history(shelf, turns)  # each report is asked alone: earlier years name no report
            traced = [(g, rid, *shelf.engines[rid].ask_traced(cleaned.text if g.question == text else g.question,
                                                              history)[:3])
                      for g in groups for rid in g.report_ids]
            answer = put_together(cleaned.text, route, self._parts(shelf, traced), more=more,
                                  searched=not route.groups, notice=cleaned.notice)
            if len(traced) == 1:
                retrieved, decision = traced[0][3], traced[0][4]
            elif retrieved is None:
                retrieved = _merged([t[3] for t in traced])
        return replace(answer, latency_ms=round((time.perf_counter() - started) * 1000, 2)), retrieved, decision

    def _search(self, shelf: Shelf, question: str, history: Any) -> tuple[list[str], RetrievalResult]:
        """One hybrid search over every report's chunks; the reports in the order of their best passage."""
        reading = self.default.read(question, history)  # the query text every engine embeds (memoised)
        retrieved = shelf.retriever.retrieve(reading.query, k=SEARCH_HITS)
        return list(dict.fromkeys(h.chunk.doc_id for h in retrieved.hits)), retrieved

    @staticmethod
    def _searched_groups(shelf: Shelf, route: Plan, ranked: list[str], text: str) -> tuple[tuple[Group, ...], int]:
        """The groups to ask when the plan names no report (or more than MAX_ASKED share a year or place)."""
        if route.groups:
            picked = [tuple(i for i in ranked if i in g.report_ids)[:MAX_ASKED] or g.report_ids[:MAX_ASKED]
                      for g in route.groups]
            more = sum(len(g.report_ids) - len(p) for g, p in zip(route.groups, picked))
            return tuple(replace(g, report_ids=p) for g, p in zip(route.groups, picked)), more
        years = {s.id: s.year for s in shelf.shelved}
        asked = sorted(ranked[:MAX_ASKED], key=lambda i: years[i] or 0)  # rows read in time order
        distinct = len({years[i] for i in asked}) == len(asked) and all(years[i] for i in asked)
        # 哪一年更高: each report is one side, asked without the comparison
        question = sub_question(text, ()) if route.operation == "compare" else text
        groups = tuple(Group(f"{years[i]}年" if distinct else shelf.label(i), (i,), question) for i in asked)
        return groups, len(ranked) - len(asked)

    @staticmethod
    def _history(shelf: Shelf, turns: Sequence[Turn]) -> list[Turn]:
        """Earlier questions without the years and places that picked their reports (each report is asked alone)."""
        out = []
        for t in turns:
            text = normalise_question(t.content) if t.role == "user" else t.content
            mentions = find_mentions(text, shelf.shelved) if t.role == "user" else ()
            out.append(Turn(t.role, sub_question(text, mentions) if mentions else t.content))
        return out

    @staticmethod
    def _parts(shelf: Shelf, traced: list) -> list[Part]:
        about = {s.id: s for s in shelf.shelved}
        return [Part(g.name, rid, about[rid].label, answer,
                     tuple(shelf.engines[rid].facts.get(f.fact_id) for f in answer.figures),
                     year=about[rid].year, place=about[rid].place)
                for g, rid, answer, _, _ in traced]


def open_library(config: EngineConfig, reports: Sequence = (), *, folder: str = "library",
                 embedder: Embedder | None = None, log: Callable[[str], None] | None = None) -> LibraryEngine:
    """A LibraryEngine over the library in `config.cache_dir/folder`, with `reports` (paths) added
    first unless already there; the default report is `config.corpus`."""
    from index.intake import DuplicateReport
    from index.settings import default_report_meta

    library = ReportLibrary(config.cache_dir, default_corpus=config.corpus, folder=folder, log=log,
                            default_meta=default_report_meta(config.corpus))
    engine = LibraryEngine(config, library, embedder=embedder, log=log)
    spec = build_spec(chunk_size=config.chunk_size)
    for path in reports:
        try:
            library.add_file(path, embedder=engine.embedder, spec=spec, progress=config.progress)
        except DuplicateReport:
            pass
    return engine


def _merged(results: Sequence[RetrievalResult | None]) -> RetrievalResult | None:
    """Several reports' retrievals as one ranking: their hits taken in turn."""
    results = [r for r in results if r is not None]
    if not results:
        return None
    hits = [r.hits[i] for i in range(max(len(r.hits) for r in results)) for r in results if i < len(r.hits)]
    return RetrievalResult(tuple(hits), max(r.max_dense for r in results), max(r.max_lexical for r in results))
