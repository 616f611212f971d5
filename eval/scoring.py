"""Score engine answers against an evaluation set (pure functions, no model, no I/O).

An answer may be a `qa.answering.Answer` or its ``to_dict()`` form (figures and
citations as objects or dicts alike). What counts as correct, per kind:

* ``figure``: every gold figure is matched, one-to-one, by one of the answer's
  ``figures`` with the same value and scale (`qa.numbers.same_figure`: ``81.22万`` =
  ``81.22万件`` = ``812200件``, ``第8位`` = ``第八``, ``31.4%`` never equals ``31.4件``);
  ``figures`` holds at most one figure more than the gold list (no shotgun answers);
  and every gold figure also appears in the ``answer`` text, as written or as an
  equivalent figure.
* ``text``: every gold string appears in ``answer`` (full/half-width punctuation and
  whitespace normalized).
* ``unanswerable``: the engine refused (``found`` is false).

Citation accuracy (scored separately from correctness): the item's evidence is
contained in the text of one of the top 3 citations. Retrieval metrics are computed
over ranked chunk texts given separately (`retrieval_metrics`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from eval.dataset import KINDS, EvalItem
from index.normalise import normalise_report
from qa.numbers import Quantity, find_quantities, parse_quantity, same_figure
from qa.textanswer import is_date

CITATION_TOP_K = 3
MAX_EXTRA_FIGURES = 1  # figures may hold at most this many more than the gold list
RETRIEVAL_KS = (1, 3, 5)

# Punctuation that differs only in width or typography; NFKC does the rest (，→, （→( ０→0).
_PUNCT = str.maketrans({
    "“": '"', "”": '"', "„": '"', "‟": '"', "「": '"', "」": '"', "『": '"', "』": '"', "＂": '"',
    "‘": "'", "’": "'", "‚": "'", "‛": "'",
    "—": "-", "–": "-", "―": "-", "‐": "-", "‑": "-", "−": "-",
    "〈": "<", "〉": ">",
})
_SPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Fold full/half-width forms, traditional characters and typographic punctuation; drop whitespace."""
    return _SPACE.sub("", normalise_report(unicodedata.normalize("NFKC", text)).translate(_PUNCT))


def _get(record: Any, name: str, default: Any = None) -> Any:
    if isinstance(record, Mapping):
        return record.get(name, default)
    return getattr(record, name, default)


def _figure_texts(answer: Any) -> list[str]:
    """The figures an answer asserts: a computed result (计算得出) when there is one (its operands
    are its cited sources, not answers), else the cited figures."""
    computed = _get(answer, "computed")
    result = _get(computed, "text", "") if computed else ""
    return [result] if result else _cited_figures(answer)


def _cited_figures(answer: Any) -> list[str]:
    """The texts of an answer's cited figures (strings or objects alike)."""
    texts = (f if isinstance(f, str) else _get(f, "text", "") for f in _get(answer, "figures", ()) or ())
    return [t for t in texts if t]


def citation_texts(answer: Any, top_k: int = CITATION_TOP_K) -> list[str]:
    """Texts of the first ``top_k`` citations, in their printed order ([1], [2], ...)."""
    citations = list(_get(answer, "citations", ()) or ())
    if all(_get(c, "number") is not None for c in citations):
        citations.sort(key=lambda c: _get(c, "number"))
    return [_get(c, "text", "") or "" for c in citations[:top_k]]


def _quantity(text: str) -> Quantity | None:
    """Parse a gold or answer figure; fall back to a single figure found inside it (323个批次).

    Read in simplified characters, so 3億元 and 3亿元 are the same figure.
    """
    text = normalise_report(text)
    q = parse_quantity(text)
    if q is not None:
        return q
    found = find_quantities(text)
    return found[0] if len(found) == 1 else None


def _same(gold: str, gold_q: Quantity | None, text: str, q: Quantity | None) -> bool:
    if gold_q is not None and q is not None:
        return same_figure(gold_q, q)
    return normalize_text(gold) == normalize_text(text)


def _max_matching(gold: list[str], figures: list[str]) -> dict[int, int]:
    """One-to-one matching gold index -> figure index (augmenting paths; lists are tiny)."""
    gold_q = [_quantity(g) for g in gold]
    fig_q = [_quantity(f) for f in figures]
    edges = [[j for j, f in enumerate(figures) if _same(g, gold_q[i], f, fig_q[j])] for i, g in enumerate(gold)]
    owner: dict[int, int] = {}  # figure index -> gold index

    def augment(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(gold)):
        augment(i, set())
    return {i: j for j, i in owner.items()}


def figure_in_text(gold: str, text: str) -> bool:
    """Whether ``text`` states the gold figure, as written or as an equivalent value.

    Figures are compared as parsed quantities, so ``9.9%`` is not found inside ``29.9%``;
    a gold string that does not parse as a figure falls back to a substring test.
    """
    gold_q = _quantity(gold)
    if gold_q is None or is_date(gold):  # a date (2020年4月) is no quantity of the report's text: as written
        return normalize_text(gold) in normalize_text(text)
    return any(same_figure(gold_q, q) for q in find_quantities(normalise_report(text)))


def split_gold(gold: Sequence[str]) -> list[str]:
    """Gold strings holding several figures written together (103件179人) as one string per figure."""
    out = []
    for g in gold:
        found = [q for q in find_quantities(normalise_report(g)) if q.kind != "other"]
        out.extend(q.text for q in found) if len(found) > 1 and parse_quantity(g) is None else out.append(g)
    return out


def _cited_operands(answer: Any) -> list[str]:
    """The cited figures a computed difference or sum was worked out from ([] for any other answer)."""
    computed = _get(answer, "computed")
    if not computed or _get(computed, "operation") not in ("difference", "sum"):
        return []
    return _cited_figures(answer)


def score_figures(gold: Sequence[str], answer: Any) -> tuple[bool, tuple[str, ...]]:
    """Figure accuracy for one answer: (ok, reasons it is not).

    A gold list of two or more figures for an arithmetic question names the report's figures the result
    comes from (as the writing brief asks: "list both figures of the report"), so a difference or sum
    computed from exactly those figures, and from no other, matches it.
    """
    gold = split_gold(gold)
    figures = _figure_texts(answer)
    operands = _cited_operands(answer)
    if len(gold) >= 2 and len(operands) == len(gold) and len(_max_matching(gold, operands)) == len(gold):
        figures = operands
    reasons = []
    if len(figures) > len(gold) + MAX_EXTRA_FIGURES:
        reasons.append(
            f"too many figures: {len(figures)} for {len(gold)} gold (at most {len(gold) + MAX_EXTRA_FIGURES})"
        )
    matched = _max_matching(gold, figures)
    for i, g in enumerate(gold):
        if i not in matched:
            reasons.append(f"figure {g!r} not among answer figures {figures}")
    text = _get(answer, "answer", "") or ""
    for g in gold:
        if not figure_in_text(g, text):
            reasons.append(f"figure {g!r} not in answer text")
    return not reasons, tuple(reasons)


def score_judgement(item: EvalItem, answer: Any) -> tuple[str, ...]:
    """Reasons a yes/no verdict or a comparison is wrong (items carrying ``yesno`` / ``larger``)."""
    reasons = []
    expected = item.get("yesno")
    if expected and _get(answer, "verdict", "") != expected:
        reasons.append(f"verdict {_get(answer, 'verdict', '')!r}, expected {expected!r}")
    larger = item.get("larger")
    computed = _get(answer, "computed")
    if larger and computed is not None and _get(computed, "operation") == "compare":
        said = _get(computed, "larger", "")
        if not _same(larger, _quantity(larger), said, _quantity(said) if said else None):
            reasons.append(f"larger figure {said!r}, expected {larger!r}")
    return tuple(reasons)


def score_text(gold: Sequence[str], answer: Any) -> tuple[bool, tuple[str, ...]]:
    """Text accuracy: every gold string appears in the answer text."""
    text = normalize_text(_get(answer, "answer", "") or "")
    reasons = tuple(f"text {g!r} not in answer" for g in gold if normalize_text(g) not in text)
    return not reasons, reasons


def citation_hit(evidence: str, answer: Any, top_k: int = CITATION_TOP_K) -> bool:
    """Whether the evidence is contained in one of the top ``top_k`` citations."""
    needle = normalize_text(evidence)
    return bool(needle) and any(needle in normalize_text(t) for t in citation_texts(answer, top_k))


@dataclass(frozen=True)
class ItemScore:
    """How one answer scored; a check that does not apply to the item's kind is None."""

    id: str
    kind: str
    correct: bool
    figure_ok: bool | None
    text_ok: bool | None
    citation_ok: bool | None
    refusal_ok: bool
    reasons: tuple[str, ...]
    latency_ms: float | None = None
    followup: bool = False  # the item carries history
    style: str = ""  # the item's `style` field, if any
    tags: tuple[str, ...] = ()  # the item's comma-separated `tags`

    def to_dict(self) -> dict:
        return {**asdict(self), "reasons": list(self.reasons)}


def score_item(item: EvalItem, answer: Any) -> ItemScore:
    """Score one answer (an Answer or its dict form) against its evaluation item."""
    found = bool(_get(answer, "found", False))
    latency = _get(answer, "latency_ms")
    latency = float(latency) if isinstance(latency, (int, float)) else None
    reasons: list[str] = []
    figure_ok = text_ok = citation_ok = None
    if item.kind == "unanswerable":
        refusal_ok = not found
        if found:
            reasons.append("answered an unanswerable question")
        correct = refusal_ok
    else:
        refusal_ok = found
        if not found:
            reasons.append("refused an answerable question")
        if item.kind == "figure":
            figure_ok, why = score_figures(item.answers, answer)
            judged = score_judgement(item, answer)
            figure_ok = figure_ok and found and not judged
            reasons += list(why) + list(judged)
            answer_ok = figure_ok
        else:
            text_ok, why = score_text(item.answers, answer)
            text_ok = text_ok and found
            reasons += why
            answer_ok = text_ok
        if item.evidence:
            citation_ok = found and citation_hit(item.evidence, answer)
            if not citation_ok:
                reasons.append(f"evidence {item.evidence!r} not in top {CITATION_TOP_K} citations")
        correct = bool(found and answer_ok)
    return ItemScore(
        item.id, item.kind, correct, figure_ok, text_ok, citation_ok, refusal_ok, tuple(reasons),
        latency, bool(item.history), item.get("style"), item.tags,
    )


def score_all(items: Sequence[EvalItem], answers: Sequence[Any]) -> list[ItemScore]:
    """Score answers given in the same order as the items."""
    if len(items) != len(answers):
        raise ValueError(f"got {len(answers)} answers for {len(items)} items: give one answer per item, in order")
    return [score_item(item, answer) for item, answer in zip(items, answers)]


# ---------------------------------------------------------------- aggregates


def _rate(values: Sequence[bool | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default method); None for no values."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile q={q!r} must be between 0 and 100")
    data = sorted(float(v) for v in values)
    if not data:
        return None
    pos = (len(data) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def latency_stats(latencies_ms: Sequence[float]) -> dict:
    values = [float(v) for v in latencies_ms]
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "mean": sum(values) / len(values) if values else None,
        "max": max(values) if values else None,
    }


def refusal_metrics(scores: Sequence[ItemScore]) -> dict:
    """Refusal as the positive class: precision/recall of refusing, and both error rates."""
    unanswerable = [s for s in scores if s.kind == "unanswerable"]
    answerable = [s for s in scores if s.kind != "unanswerable"]
    true_refusals = sum(s.refusal_ok for s in unanswerable)  # refused, rightly
    false_answers = len(unanswerable) - true_refusals  # answered what the report does not say
    false_refusals = sum(not s.refusal_ok for s in answerable)
    refused = true_refusals + false_refusals

    def div(a: int, b: int) -> float | None:
        return a / b if b else None

    return {
        "unanswerable": len(unanswerable),
        "answerable": len(answerable),
        "refused": refused,
        "true_refusals": true_refusals,
        "false_refusals": false_refusals,
        "false_answers": false_answers,
        "precision": div(true_refusals, refused),
        "recall": div(true_refusals, len(unanswerable)),
        "false_refusal_rate": div(false_refusals, len(answerable)),
        "false_answer_rate": div(false_answers, len(unanswerable)),
    }


def _group(scores: Sequence[ItemScore]) -> dict:
    return {
        "n": len(scores),
        "correct": sum(s.correct for s in scores),
        "accuracy": _rate([s.correct for s in scores]),
        "figure_accuracy": _rate([s.figure_ok for s in scores]),
        "text_accuracy": _rate([s.text_ok for s in scores]),
        "citation_accuracy": _rate([s.citation_ok for s in scores]),
        "refusal_accuracy": _rate([s.refusal_ok for s in scores]),
    }


def summarize(
    scores: Sequence[ItemScore],
    *,
    latencies_ms: Sequence[float] | None = None,
    retrieval: Mapping | None = None,
) -> dict:
    """JSON-ready summary: overall, per kind, follow-ups, refusal, latency (and retrieval if given).

    Latencies default to the ``latency_ms`` recorded on the scores.
    """
    if latencies_ms is None:
        latencies_ms = [s.latency_ms for s in scores if s.latency_ms is not None]
    summary = {
        "n": len(scores),
        "overall": _group(scores),
        "by_kind": {kind: _group([s for s in scores if s.kind == kind]) for kind in KINDS},
        "followup": _group([s for s in scores if s.followup]),
        "by_style": {style: _group([s for s in scores if s.style == style])
                     for style in sorted({s.style for s in scores if s.style})},
        "by_tag": {tag: _group([s for s in scores if tag in s.tags])
                   for tag in sorted({t for s in scores for t in s.tags})},
        "refusal": refusal_metrics(scores),
        "latency_ms": latency_stats(latencies_ms),
        "failures": [{"id": s.id, "kind": s.kind, "reasons": list(s.reasons)} for s in scores if not s.correct],
    }
    if retrieval is not None:
        summary["retrieval"] = dict(retrieval)
    return summary


def evidence_rank(evidence: str, ranked_texts: Sequence[str]) -> int | None:
    """1-based rank of the first text containing the evidence, None if none does."""
    needle = normalize_text(evidence)
    if not needle:
        return None
    for rank, text in enumerate(ranked_texts, start=1):
        if needle in normalize_text(text):
            return rank
    return None


def retrieval_metrics(
    items: Sequence[EvalItem],
    ranked_texts_per_item: Sequence[Sequence[str]],
    ks: Sequence[int] = RETRIEVAL_KS,
) -> dict:
    """hit@k and MRR of the evidence over ranked chunk texts; items without evidence are skipped."""
    if len(items) != len(ranked_texts_per_item):
        raise ValueError(
            f"got {len(ranked_texts_per_item)} ranked lists for {len(items)} items: give one list per item"
        )
    ranks = [
        evidence_rank(item.evidence, texts)
        for item, texts in zip(items, ranked_texts_per_item)
        if item.evidence
    ]
    n = len(ranks)
    result: dict = {"n": n}
    for k in ks:
        result[f"hit@{k}"] = sum(r is not None and r <= k for r in ranks) / n if n else None
    result["mrr"] = sum(1 / r for r in ranks if r is not None) / n if n else None
    return result
