"""QAEngine: load once, answer many questions with exact figures and citations.

The answer path reads as stages: normalise -> read -> retrieve -> candidates -> features ->
score -> decide -> compose (qa.reader, qa.retrieval, qa.candidates, qa.features, qa.scorer,
qa.decide, qa.compose).

>>> engine = QAEngine(EngineConfig(corpus=DEFAULT_CORPUS, cache_dir=DEFAULT_CACHE))  # doctest: +SKIP
>>> engine.ask("警察抓了多少人？").short_answer  # doctest: +SKIP
'564名'
"""

from __future__ import annotations

import hashlib
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from index.builder import BuildSpec, ensure_index
from index.chunking import ChunkerSettings
from index.corpus import Document, load_document
from index.embedding import DEFAULT_MODEL, Embedder, make_embedder
from index.normalise import normalise_question
from index.settings import index_root
from index.store import LoadedIndex
from qa.answering import Answer, AnswerFigure, compose_found, compose_refusal
from qa.compose import citations, compose, refusal
from qa.decide import Decider
from qa.ranked import Decision
from qa.reader import read
from qa.reading import Reading, Turn
from qa.report import ReportView, unit_texts
from qa.retrieval import MODES, HybridRetriever
from qa.sanitize import clean_question

ANSWER_MODES = ("facts", "sentences", "passage")
FACTS_FILE = "facts.sqlite"


def _write_facts(document: Document, path: Path) -> None:
    from qa.facts import extract_facts
    from qa.factstore import write_fact_table

    write_fact_table(extract_facts(document), path, corpus_sha256=document.sha256)


def _units(document: Document) -> list[str]:
    from qa.facts import extract_facts

    return unit_texts(document, extract_facts(document))


def extractor_fingerprint() -> str:
    """The fact extractor's version plus a hash of its source and vocabulary, so any change to the
    code or the words that read figures rebuilds the fact table (a stale table would answer with
    old readings)."""
    import qa.facts
    from qa.vocabulary import VOCAB_DIR

    digest = hashlib.sha256()
    here = Path(qa.facts.__file__).parent
    for name in (*qa.facts.SOURCES, "lexical", "vocabulary"):
        digest.update((here / f"{name}.py").read_bytes())
    for path in sorted(VOCAB_DIR.glob("*.toml")):
        digest.update(path.read_bytes())
    return f"{qa.facts.EXTRACTOR_VERSION}+{digest.hexdigest()[:12]}"


def build_spec(*, chunk_size: int | None = None) -> BuildSpec:
    """What an index build holds: chunks, vectors, embedded sentences and clauses, and the fact table."""
    settings = ChunkerSettings(chunk_size=chunk_size) if chunk_size else ChunkerSettings()
    return BuildSpec(settings=settings, extras={FACTS_FILE: _write_facts}, units=_units,
                     extras_version={"facts_extractor": extractor_fingerprint(), "units": "sentences+figure-clauses/2"})


@dataclass(frozen=True)
class EngineConfig:
    """Where things are and which parts to use (the eval baselines switch parts off)."""

    corpus: Path
    cache_dir: Path
    model: str = DEFAULT_MODEL
    chunk_size: int | None = None
    retrieval: str = "hybrid"  # hybrid | dense | bm25
    answer_mode: str = "facts"  # facts | sentences (no fact table) | passage (top chunk as the answer)
    progress: bool = False
    encoder: str = "auto"  # auto (int8 ONNX if it passed its check, else fp32 torch) | int8 | fp32

    def __post_init__(self) -> None:
        if self.retrieval not in MODES:
            raise ValueError(f"retrieval={self.retrieval!r} is not one of {', '.join(MODES)}")
        if self.answer_mode not in ANSWER_MODES:
            raise ValueError(f"answer_mode={self.answer_mode!r} is not one of {', '.join(ANSWER_MODES)}")


@dataclass(frozen=True)
class EngineStatus:
    """What the About tab shows."""

    model: str
    index_directory: str
    chunk_count: int
    fact_count: int
    corpus_sha256: str
    build_time: str
    dimension: int
    chunker: dict
    size_bytes: int


def to_turns(history: Any) -> tuple[Turn, ...]:
    """Accept history as Turns, {"role", "content"} dicts (Gradio's format) or None; ignore junk."""
    if not isinstance(history, (list, tuple)):  # None, or anything that is not a list of turns
        return ()
    turns = []
    for item in history:
        role = getattr(item, "role", None) if not isinstance(item, dict) else item.get("role")
        content = getattr(item, "content", None) if not isinstance(item, dict) else item.get("content")
        if isinstance(content, list):  # Gradio 6 may give [{"type": "text", "text": ...}]
            content = " ".join(str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in content)
        if role in ("user", "assistant") and content is not None:
            turns.append(Turn(role, clean_question(content, max_chars=2000).text))
    return tuple(turns[-6:])


class QAEngine:
    """Answers questions about one report. Construction is cheap; `warm_up` loads everything once."""

    def __init__(self, config: EngineConfig, *, embedder: Embedder | None = None, weights=None) -> None:
        self.config = config
        self.embedder = embedder or make_embedder(config.model, cache_dir=config.cache_dir, encoder=config.encoder,
                                                  progress=config.progress)
        self._weights = weights
        self._lock = threading.Lock()
        self._ready = False

    def variant(self, **changes) -> "QAEngine":
        """Same loaded model and index, other settings (for baselines); shares the embedder."""
        other = QAEngine(replace(self.config, **changes), embedder=self.embedder, weights=self._weights)
        if self._ready and changes.keys() <= {"retrieval", "answer_mode"}:
            other._load(self.document, self.index, self.facts)
        return other

    @classmethod
    def loaded(cls, config: EngineConfig, document: Document, index: LoadedIndex, facts, *, embedder: Embedder,
               weights=None) -> "QAEngine":
        """An engine over a report already built and loaded elsewhere (the report library loads each
        report itself, qa.library_engine); answers exactly as `warm_up` would have it answer."""
        engine = cls(config, embedder=embedder, weights=weights)
        engine._load(document, index, facts)
        return engine

    def warm_up(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            from qa.factstore import FactTable, FactTableError

            document = load_document(self.config.corpus)
            spec = build_spec(chunk_size=self.config.chunk_size)
            root = index_root(self.config.cache_dir, self.config.model, self.config.corpus,
                              getattr(self.embedder, "index_key", ""))
            index = ensure_index(document, self.embedder, root, spec, progress=self.config.progress)
            try:
                facts = FactTable.load(index.directory / FACTS_FILE, corpus_sha256=document.sha256)
            except FactTableError as exc:
                print(f"facts: {exc}; rebuilding", file=sys.stderr)
                index = ensure_index(document, self.embedder, root, spec, progress=self.config.progress, force=True)
                facts = FactTable.load(index.directory / FACTS_FILE, corpus_sha256=document.sha256)
            self._load(document, index, facts)

    def _load(self, document: Document, index: LoadedIndex, facts) -> None:
        from qa.scorer import default_weights

        self.document, self.index, self.facts = document, index, facts
        weights = self._weights or default_weights()
        # Without a semantic query vector (BM25-only runs, the hashing embedder of tests) the answer path
        # uses the weights fitted without dense features, and sees no dense features.
        self.dense = self.config.retrieval != "bm25" and getattr(self.embedder, "semantic", True)
        self.weights = weights if self.dense else weights.lexical()
        self.view = ReportView(document, index.chunks, facts.all(), index.unit_vector_map())
        self.retriever = HybridRetriever(index, self.embedder, mode=self.config.retrieval)
        self.decider = Decider(self.view, self.weights, dense=self.dense)
        self._ready = True

    # -- asking --------------------------------------------------------------------------
    def read(self, question: str, history: Any = None) -> Reading:
        """Normalise, mend typos against the report, and read a (cleaned) question with its history."""
        fix = self.view.speller.fix
        text = fix(normalise_question(question))
        return read(question, to_turns(history), text=text, normalise=lambda s: fix(normalise_question(s)))

    def ask(self, question: Any, history: Any = None) -> Answer:
        """Answer one question (with optional chat history); never raises on bad input."""
        return self.ask_ranked(question, history)[0]

    def ask_ranked(self, question: Any, history: Any = None, *, k: int = 5) -> tuple[Answer, list[str]]:
        """The answer and the texts of the top-k retrieved chunks behind it (for retrieval metrics)."""
        answer, retrieved, _ = self.ask_traced(question, history)
        ranked = [h.chunk.text for h in retrieved.hits[:k]] if retrieved is not None else []
        return answer, ranked

    def ask_traced(self, question: Any, history: Any = None):
        """(answer, retrieval, decision): what `ask` returns plus what led to it (for eval and fitting)."""
        started = time.perf_counter()
        self.warm_up()
        cleaned = clean_question(question)
        retrieved, decision = None, None
        if cleaned.problem:
            answer = compose_refusal(cleaned.text, cleaned.problem, (), kind="invalid", notice=cleaned.notice)
        elif not cleaned.has_chinese:
            answer = compose_refusal(cleaned.text, "目前只支持用中文提问，请换成中文重新提问。", (),
                                     kind="invalid", notice=cleaned.notice)
        else:
            reading = self.read(cleaned.text, history)
            retrieved = self.retriever.retrieve(reading.query, k=8, tokens=_bm25_terms(reading))
            if self.config.answer_mode != "facts":
                answer = self._baseline(reading, cleaned.text, retrieved, cleaned.notice)
            else:
                decision = self.decider.decide(reading, retrieved)
                answer = compose(decision, reading, cleaned.text, self.view, retrieved, notice=cleaned.notice)
        answer = replace(answer, latency_ms=round((time.perf_counter() - started) * 1000, 2))
        return answer, retrieved, decision

    def _baseline(self, reading: Reading, question: str, retrieved, notice: str) -> Answer:
        """Eval baselines: the best sentence without the fact table, or the top chunk as the answer."""
        from qa.numbers import find_quantities

        if not retrieved.hits:
            return refusal(reading, question, self.view, retrieved, "", notice=notice)
        if self.config.answer_mode == "passage":
            top = retrieved.hits[0].chunk
            figures = tuple(AnswerFigure("", q.text, 1) for q in find_quantities(top.text))
            return compose_found(question, figures, top.text, top.text, citations(self.view, [], retrieved),
                                 kind=reading.asked, notice=notice)
        decision = self.decider._sentence(reading, retrieved)
        if decision.mode == "refuse":
            return refusal(reading, question, self.view, retrieved, decision.reason, notice=notice)
        s = self.view.sentences[decision.sentence]
        found = [q for q in find_quantities(s.text) if q.kind != "other"][:1]
        cites = citations(self.view, [(s.start + q.start, s.start + q.end) for q in found] or [(s.start, s.end)],
                          retrieved)
        figures = tuple(AnswerFigure("", q.text, 1) for q in found)
        return compose_found(question, figures, figures[0].text if figures else s.text, s.text, cites,
                             kind=reading.asked, notice=notice)

    def status(self) -> EngineStatus:
        self.warm_up()
        m = self.index.manifest
        return EngineStatus(model=m.model_id, index_directory=str(self.index.directory), chunk_count=m.chunk_count,
                            fact_count=len(self.facts.all()), corpus_sha256=m.corpus_sha256, build_time=m.build_time,
                            dimension=m.dimension, chunker=m.chunker, size_bytes=self.index.size_bytes)


def _bm25_terms(reading: Reading) -> list[str]:
    """The question's words plus the report words they stand for (for the lexical search)."""
    from qa.coverage import expansions
    from qa.lexical import tokenize

    tokens = tokenize(reading.query)
    return list(dict.fromkeys(o for t in tokens for o in expansions(t)))


__all__ = ["QAEngine", "EngineConfig", "EngineStatus", "Decision", "FACTS_FILE", "build_spec", "to_turns"]
