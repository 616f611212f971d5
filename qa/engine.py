"""QAEngine: load once, answer many questions with exact figures and citations.

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
from index.embedding import DEFAULT_MODEL, Embedder, SentenceTransformerEmbedder
from index.settings import index_root
from index.store import LoadedIndex
from qa.answering import Answer, compose_refusal
from qa.question import Turn, understand
from qa.reasoning import Reasoner
from qa.retrieval import MODES, HybridRetriever
from qa.sanitize import clean_question

ANSWER_MODES = ("facts", "sentences", "passage")
FACTS_FILE = "facts.sqlite"


def _write_facts(document: Document, path: Path) -> None:
    from qa.facts import extract_facts
    from qa.factstore import write_fact_table

    write_fact_table(extract_facts(document), path, corpus_sha256=document.sha256)


def extractor_fingerprint() -> str:
    """The fact extractor's version plus a hash of its source, so any change to the code that
    reads figures rebuilds the fact table (a stale table would answer with old readings)."""
    import qa.facts
    import qa.numbers
    import qa.subjects

    digest = hashlib.sha256()
    for module in (qa.numbers, qa.facts, qa.subjects):
        digest.update(Path(module.__file__).read_bytes())
    return f"{qa.facts.EXTRACTOR_VERSION}+{digest.hexdigest()[:12]}"


def build_spec(*, chunk_size: int | None = None) -> BuildSpec:
    """What an index build holds: chunks, vectors and the fact table (versioned together)."""
    settings = ChunkerSettings(chunk_size=chunk_size) if chunk_size else ChunkerSettings()
    return BuildSpec(settings=settings, extras={FACTS_FILE: _write_facts},
                     extras_version={"facts_extractor": extractor_fingerprint()})


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

    def __init__(self, config: EngineConfig, *, embedder: Embedder | None = None) -> None:
        self.config = config
        self.embedder = embedder or SentenceTransformerEmbedder(config.model, cache_dir=config.cache_dir,
                                                                progress=config.progress)
        self._lock = threading.Lock()
        self._ready = False

    def variant(self, **changes) -> "QAEngine":
        """Same loaded model and index, other settings (for baselines); shares the embedder."""
        other = QAEngine(replace(self.config, **changes), embedder=self.embedder)
        if self._ready and changes.keys() <= {"retrieval", "answer_mode"}:
            other._load(self.document, self.index, self.facts)
        return other

    def warm_up(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            from qa.factstore import FactTable, FactTableError

            document = load_document(self.config.corpus)
            spec = build_spec(chunk_size=self.config.chunk_size)
            root = index_root(self.config.cache_dir, self.config.model)
            index = ensure_index(document, self.embedder, root, spec, progress=self.config.progress)
            try:
                facts = FactTable.load(index.directory / FACTS_FILE, corpus_sha256=document.sha256)
            except FactTableError as exc:
                print(f"facts: {exc}; rebuilding", file=sys.stderr)
                index = ensure_index(document, self.embedder, root, spec, progress=self.config.progress, force=True)
                facts = FactTable.load(index.directory / FACTS_FILE, corpus_sha256=document.sha256)
            self._load(document, index, facts)

    def _load(self, document: Document, index: LoadedIndex, facts) -> None:
        self.document, self.index, self.facts = document, index, facts
        self.retriever = HybridRetriever(index, self.embedder, mode=self.config.retrieval)
        self.reasoner = Reasoner(document, index.chunks, facts.all(), answer_mode=self.config.answer_mode)
        self._ready = True

    def ask(self, question: Any, history: Any = None) -> Answer:
        """Answer one question (with optional chat history); never raises on bad input."""
        return self.ask_ranked(question, history)[0]

    def ask_ranked(self, question: Any, history: Any = None, *, k: int = 5) -> tuple[Answer, list[str]]:
        """The answer and the texts of the top-k retrieved chunks behind it (for retrieval metrics)."""
        started = time.perf_counter()
        self.warm_up()
        cleaned = clean_question(question)
        ranked: list[str] = []
        if cleaned.problem:
            answer = compose_refusal(cleaned.text, cleaned.problem, (), kind="invalid", notice=cleaned.notice)
        else:
            intent = understand(cleaned.text, to_turns(history))
            retrieved = self.retriever.retrieve(intent.query, k=max(k, 8), tokens=list(intent.terms))
            answer = self.reasoner.answer(intent, retrieved, notice=cleaned.notice, chinese=cleaned.has_chinese)
            ranked = [h.chunk.text for h in retrieved.hits[:k]]
        return replace(answer, latency_ms=round((time.perf_counter() - started) * 1000, 2)), ranked

    def status(self) -> EngineStatus:
        self.warm_up()
        m = self.index.manifest
        return EngineStatus(model=m.model_id, index_directory=str(self.index.directory), chunk_count=m.chunk_count,
                            fact_count=len(self.facts.all()), corpus_sha256=m.corpus_sha256, build_time=m.build_time,
                            dimension=m.dimension, chunker=m.chunker, size_bytes=self.index.size_bytes)

