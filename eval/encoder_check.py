"""Check the int8 encoder against fp32 before it becomes the default: sentences, answers, hit@3.

Three tests, all of which must pass (the verdict is stored in the encoder folder as check.json):

1. every sentence of the report, embedded as a passage by both encoders: cosine >= MIN_COSINE each
   (measured here: min 0.996, mean 0.997 over 90 sentences);
2. for every eval set about the report (`eval/*.jsonl` and its training sets in eval/training.toml): the engine answers the same (found, short answer, figures) with
   int8 as with fp32 for at least SAME_ANSWERS of the questions; and over all those questions pooled,
   int8's accuracy is no lower than fp32's by more than ACCURACY_MARGIN (the fitted scorer reads dense
   similarities, so a question whose best candidate sits at the refusal threshold can flip either way;
   what must not happen is int8 answering worse). Pooled, because on one set of 130 questions the margin
   is less than two questions: on 2026-12-07 a fresh build failed on tianjin-e (118 against 120 right)
   while tianjin-c and -d each gained one, 776 against 778 of 875 pooled; CI had passed the same code.
3. and its hit@3 is no worse than fp32's by more than HIT_MARGIN.

The fp32 side is the same graph in ONNX Runtime without quantisation (identical to the torch model
within 1e-6, tests/test_int8_encoder.py checks it), so no torch is needed. Each side gets its own
index in a temporary cache, both built with that side's encoder, as they would be served. The
verdict is reused until an input changes: the encoder files, the report, an eval set, or the
answering code (qa/ except its serving-only modules, eval/runner.py, eval/scoring.py).

>>> Verdict.from_dict({"passed": True, "reason": "", "key": "k", "sentences": {}, "sets": {}}).passed
True
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from index.store import write_atomic

CHECK_FILE = "check.json"
CHECK_VERSION = 2
MIN_COSINE = 0.98
SAME_ANSWERS = 0.95
ACCURACY_MARGIN = 0.01
HIT_MARGIN = 0.01
ROOT = Path(__file__).resolve().parent.parent
EVAL_DIR = ROOT / "eval"
CORPUS = ROOT / "data" / "tianjin-ip-2020.txt"
_SENTENCE_END = re.compile(r"(?<=[。！？；])")
CODE_SUFFIXES = (".py", ".json", ".toml", ".txt")  # the answering code and its vocabulary files
# qa/ modules that serve answers but never change them: editing them must not re-run the check.
SERVING_ONLY = {"__main__.py", "chat.py", "console.py", "guard.py", "handover.py", "http_api.py", "limits.py",
                "render.py", "render_eval.py", "server.py"}


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check and the measurements behind it."""

    passed: bool
    reason: str  # why it failed ("" when it passed)
    key: str  # digest of every input; a different key means the verdict is stale
    sentences: dict = field(default_factory=dict)
    sets: dict = field(default_factory=dict)  # eval file name -> measurements
    seconds: float = 0.0

    @classmethod
    def from_dict(cls, data: dict) -> "Verdict":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def eval_sets(eval_dir: Path = EVAL_DIR, corpus: Path = CORPUS) -> list[Path]:
    """Every question set about ``corpus``: eval/*.jsonl and the training sets of eval/training.toml
    written on it (the reserved sets are never run here)."""
    from eval.fit import TRAINING, load_training

    sets = set(Path(eval_dir).glob("*.jsonl"))
    if (Path(eval_dir) / TRAINING.name).is_file():
        sets |= {d for c, d in load_training(Path(eval_dir) / TRAINING.name) if c.resolve() == Path(corpus).resolve()}
    return sorted(sets)


def check_key(encoder_manifest: bytes, *, corpus: Path = CORPUS, sets: list[Path] | None = None) -> str:
    """Digest of everything the verdict depends on."""
    h = hashlib.sha256(f"check-{CHECK_VERSION}".encode())
    code = sorted(p for p in (ROOT / "qa").rglob("*") if p.is_file() and p.suffix in CODE_SUFFIXES
                  and p.name not in SERVING_ONLY and "__pycache__" not in p.parts)
    code += [ROOT / "eval" / "runner.py", ROOT / "eval" / "scoring.py"]
    for path in [*code, Path(corpus), *(eval_sets(corpus=corpus) if sets is None else sets)]:
        h.update(path.name.encode())
        h.update(path.read_bytes() if path.is_file() else b"-")
    h.update(encoder_manifest)
    return h.hexdigest()


def report_sentences(corpus: Path = CORPUS) -> list[str]:
    text = Path(corpus).read_text(encoding="utf-8")
    return [s.strip() for line in text.splitlines() for s in _SENTENCE_END.split(line) if s.strip()]


class _Queries:
    """Wraps an embedder: remembers every query text it is asked for, and can be primed with vectors
    computed up front in batches (the fp32 side gets the texts the int8 side asked for: the engine's
    query text depends on the question and the history, never on the vectors)."""

    def __init__(self, base, index_key: str = "") -> None:
        self.base, self.model_id, self.index_key, self.asked = base, base.model_id, index_key, []
        self._vectors: dict = {}

    def prime(self, texts: list[str]) -> None:
        unique = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if unique:
            self._vectors.update(zip(unique, self.base.embed_queries(unique)))

    @property
    def dimension(self) -> int:
        return self.base.dimension

    def embed_queries(self, texts):
        import numpy as np

        self.asked += texts
        missing = [t for t in texts if t not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, self.base.embed_queries(missing)))
        return np.stack([self._vectors[t] for t in texts])

    def embed_passages(self, texts, *, progress: bool = False):
        return self.base.embed_passages(texts, progress=progress)


def _answer_key(answer) -> tuple:
    return answer.found, answer.short_answer, tuple(f.text for f in answer.figures)


class Side:
    """One encoder's half of the check: its sentence vectors and an engine over an index it built.

    Preparing the fp32 side needs no int8 model, so a fresh build prepares it while it quantises.
    """

    def __init__(self, embedder, sentences: list[str], corpus: Path = CORPUS, *, serving_cache: Path | None = None,
                 index_key: str = "") -> None:
        """`serving_cache`: build the index there instead of in a temp dir (the int8 side of a first start
        builds exactly the index the server will load, so it is built once)."""
        from index.builder import build_index
        from index.corpus import load_document
        from index.embedding import DEFAULT_MODEL
        from index.settings import index_root
        from qa.engine import EngineConfig, QAEngine, build_spec

        started = time.perf_counter()
        self.queries = _Queries(embedder, index_key)
        self.sentence_vectors = embedder.embed_passages(sentences)
        self.keep = serving_cache is not None
        self.cache = Path(serving_cache) if self.keep else Path(tempfile.mkdtemp(prefix="ipqa-encoder-check-"))
        try:  # built here, so the engine finds it instead of printing "no index yet; rebuilding"
            build_index(load_document(corpus), self.queries, index_root(self.cache, DEFAULT_MODEL, corpus, index_key),
                        build_spec())
            self.engine = QAEngine(EngineConfig(corpus=Path(corpus), cache_dir=self.cache), embedder=self.queries)
            self.engine.warm_up()
        except BaseException:
            self.close()
            raise
        self.seconds = round(time.perf_counter() - started, 2)

    def run(self, items_by_set: dict, prime: list[str] = ()) -> dict:
        """Every set through run_eval; `prime`: query texts to embed first, in batches."""
        from eval.runner import run_eval

        self.queries.prime(prime)
        return {name: run_eval(self.engine, items) for name, items in items_by_set.items()}

    def close(self) -> None:
        if not self.keep:
            shutil.rmtree(self.cache, ignore_errors=True)


def _close(reference) -> None:
    """Remove a prepared side's temp cache, waiting for it if it is still being prepared."""
    from concurrent.futures import Future

    if isinstance(reference, Future):
        if reference.exception() is not None:
            return
        reference = reference.result()
    if isinstance(reference, Side):
        reference.close()


def prepare_reference(fp32, corpus: Path = CORPUS) -> Side:
    return Side(fp32, report_sentences(corpus), corpus)


def _serving_index(cache: Path | None, corpus: Path) -> Path | None:
    """The server's cache when its int8 index does not exist yet and it serves this report, else None."""
    from index.embedding import DEFAULT_MODEL
    from index.settings import DEFAULT_CORPUS, index_root

    if cache is None or Path(corpus).resolve() != DEFAULT_CORPUS.resolve():
        return None
    return None if (index_root(cache, DEFAULT_MODEL, corpus, "int8") / "CURRENT").exists() else Path(cache)


def run_check(int8, reference, *, key: str, corpus: Path = CORPUS, sets: list[Path] | None = None,
              serving_cache: Path | None = None) -> Verdict:
    """Compare the int8 embedder with the fp32 reference (an embedder, a prepared Side or a Future of one).

    `serving_cache`: the server's cache; on a first start the int8 side builds the server's index there."""
    from concurrent.futures import Future, ThreadPoolExecutor

    import numpy as np

    from eval.dataset import load_dataset
    from eval.runner import metric

    started = time.perf_counter()
    sentences = report_sentences(corpus)
    items_by_set = {path.name: load_dataset(path) for path in (eval_sets(corpus=corpus) if sets is None else sets)}
    timings = {}
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ipqa-check") as pool:
        if not isinstance(reference, (Side, Future)):  # prepared on the other core while int8 works here
            reference = pool.submit(prepare_reference, reference, corpus)
        try:
            ours = Side(int8, sentences, corpus, serving_cache=_serving_index(serving_cache, corpus), index_key="int8")
            try:
                int8_runs = ours.run(items_by_set)
                timings["int8"] = round(time.perf_counter() - started, 2)
                reference = reference.result() if isinstance(reference, Future) else reference
                fp32_runs = reference.run(items_by_set, prime=ours.queries.asked)
            finally:
                ours.close()
        finally:
            _close(reference)
    cosines = np.sum(ours.sentence_vectors * reference.sentence_vectors, axis=1)
    sentence_stats = {"n": len(sentences), "min_cosine": round(float(cosines.min()), 5),
                      "mean_cosine": round(float(cosines.mean()), 5), "threshold": MIN_COSINE}
    reasons = []
    if cosines.min() < MIN_COSINE:
        worst = sentences[int(cosines.argmin())]
        reasons.append(f"sentence cosine {cosines.min():.4f} < {MIN_COSINE} ({worst[:30]}…)")
    per_set, right = {}, {"int8": 0, "fp32": 0}
    for name, items in items_by_set.items():
        ours_run, ref_run = int8_runs[name], fp32_runs[name]
        same = sum(_answer_key(a) == _answer_key(b) for a, b in zip(ours_run.answers, ref_run.answers))
        hit_int8, hit_fp32 = metric(ours_run.summary, "retrieval", "hit@3"), metric(ref_run.summary, "retrieval", "hit@3")
        per_set[name] = {"questions": len(items), "same_answers": same, "hit@3_int8": hit_int8,
                         "hit@3_fp32": hit_fp32, "accuracy_int8": metric(ours_run.summary, "overall", "accuracy"),
                         "accuracy_fp32": metric(ref_run.summary, "overall", "accuracy")}
        if items and same < SAME_ANSWERS * len(items):
            reasons.append(f"{name}: same answers for {same}/{len(items)} questions")
        right["int8"] += sum(s.correct for s in ours_run.scores)
        right["fp32"] += sum(s.correct for s in ref_run.scores)
        if hit_int8 is not None and hit_fp32 is not None and hit_int8 < hit_fp32 - HIT_MARGIN:
            reasons.append(f"{name}: hit@3 {hit_int8:.3f} against {hit_fp32:.3f} with fp32")
    asked = sum(len(items) for items in items_by_set.values())
    if asked and right["int8"] < right["fp32"] - ACCURACY_MARGIN * asked:
        reasons.append(f"accuracy over all {asked} questions {right['int8'] / asked:.3f} against "
                       f"{right['fp32'] / asked:.3f} with fp32")
    timings.update(total=round(time.perf_counter() - started, 2), fp32_prepare=reference.seconds)
    sentence_stats["timings_s"] = timings
    return Verdict(not reasons, "; ".join(reasons), key, sentence_stats, per_set, timings["total"])


def read_verdict(directory: Path) -> Verdict | None:
    try:
        return Verdict.from_dict(json.loads((Path(directory) / CHECK_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def ensure_checked(directory: Path, int8, make_reference: Callable[[], object], *,
                   log: Callable[[str], None], serving_cache: Path | None = None) -> Verdict:
    """The stored verdict if it is current, else a fresh check (stored; best effort on a read-only cache)."""
    from index.int8_encoder import MANIFEST

    key = check_key((Path(directory) / MANIFEST).read_bytes())
    verdict = read_verdict(directory)
    if verdict is not None and verdict.key == key:
        return verdict
    log("ipqa: 正在用 fp32 检验 int8 编码器（报告句子的余弦、每个评测集的答案与 hit@3；仅在输入变化后）…")
    verdict = run_check(int8, make_reference(), key=key, serving_cache=serving_cache)
    try:
        write_atomic(Path(directory) / CHECK_FILE, json.dumps(asdict(verdict), ensure_ascii=False, indent=2).encode())
    except OSError:
        pass
    return verdict
