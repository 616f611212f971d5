"""The fact table measured against hand-checked gold facts, document by document.

    python -m eval.facts               # the table: precision, recall, subject/time/kind/scope accuracy
    python -m eval.facts --failures    # and every miss, spurious figure and wrong field, per document
    python -m eval.facts --write       # record the numbers in eval/facts.json (tests/test_eval_facts.py holds them)

Gold facts are ``eval/corpora/<slug>.facts.jsonl`` beside ``<slug>.txt``: one JSON object per
quantity with ``figure`` (as written), ``occurrence`` (the nth time that string occurs in the text,
1-based), ``subject``, ``actor``, ``year``, ``period``, ``kind``, ``scope``, ``parent`` … .

Matching, defined once here:

* **position** — a gold fact is where the nth occurrence of its figure string is (in the text as
  written, or as normalised, which has the same offsets); it matches the extracted fact whose figure
  overlaps that span and one holds the other (``7100万件`` and ``逾7100万件``), one to one;
* **subject** — both sides lose actor, time and scope words (the gold and extracted actors, years,
  periods, 全国/全市…, 其中/共…, punctuation, parentheses, 的); then they agree when both are empty,
  when one contains the other and the shorter is at least a third of the longer (审结 is not
  审结知识产权刑事一审案件), or when the characters they share are at least 60% of the longer;
* **time** — the same year (None = None) and the same period, periods compared without 的/来
  and spaces, one containing the other (近五年 = 近五年来);
* **kind** — gold kinds are mapped onto the extractor's (`KIND_MAP`: share -> percent …);
* **scope** — total / part / none, equal.

>>> subject_agrees("专利案件", "专利案件"), subject_agrees("审结", "审结知识产权刑事一审案件")
(True, False)
>>> subject_agrees("全国法院审结知识产权案件", "审结知识产权案件", actors=("全国法院",))
True
>>> time_agrees((None, "近五年"), (None, "近五年来")), time_agrees((2016, ""), (None, "2016年以来"))
(True, False)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from index.settings import REPO_ROOT

CORPORA = REPO_ROOT / "eval" / "corpora"
RECORD = REPO_ROOT / "eval" / "facts.json"
METRICS = ("precision", "recall", "subject", "time", "kind", "scope")
KIND_MAP = {"share": "percent", "proportion": "percent", "rate": "percent", "growth": "growth_rate",
            "change": "growth_rate", "amount": "money", "number": "count", "quantity": "count", "index": "other",
            "value": "other", "position": "rank", "ordinal": "rank", "period": "duration", "multiple": "ratio"}
_STRIP = re.compile(r"（[^（）]*）|\([^()]*\)|(?:19|20)\d\d年(?:\d{1,2}月)?|[\s，,、。；;：:“”\"《》的]")


@dataclass
class DocResult:
    """One document: counts and the fields that agree, with the disagreements for --failures."""

    name: str
    gold: int = 0
    extracted: int = 0
    matched: int = 0
    agree: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def metrics(self) -> dict[str, float]:
        m = max(self.matched, 1)
        return {"precision": self.matched / max(self.extracted, 1), "recall": self.matched / max(self.gold, 1),
                **{k: self.agree[k] / m for k in ("subject", "time", "kind", "scope")}}


def _bare(text: str, actors: Sequence[str]) -> str:
    """A subject without actor, time and scope words (see the module doc)."""
    from qa.labels import find_periods
    from qa.vocabulary import vocabulary

    v = vocabulary()
    for p in sorted(find_periods(text), key=lambda p: -p.start):
        text = text[:p.start] + text[p.end:]
    for word in sorted({a for a in actors if a}, key=len, reverse=True):
        text = text.replace(word, "")
    text = _STRIP.sub("", text)
    lead = [w for w in v.extraction("lead_words") if len(w) > 1] + list(v.extraction("now_words"))
    for word in sorted(lead, key=len, reverse=True):
        text = text.replace(word, "")
    return text


def subject_agrees(gold: str, extracted: str, *, actors: Sequence[str] = ()) -> bool:
    """Gold and extracted subjects name the same thing (the rule is in the module doc)."""
    a, b = _bare(gold or "", actors), _bare(extracted or "", actors)
    if not a or not b:
        return not a and not b
    short, long_ = sorted((a, b), key=len)
    if short in long_ and len(short) * 3 >= len(long_):
        return True
    shared = sum((Counter(a) & Counter(b)).values())
    return shared >= 0.6 * len(long_)


def _period(text: str | None) -> str:
    return re.sub(r"[\s的来]", "", text or "")


def time_agrees(gold: tuple, extracted: tuple) -> bool:
    """(year, period) pairs agree: same year, periods equal or one holding the other."""
    (gy, gp), (ey, ep) = gold, extracted
    if (gy or None) != (ey or None):
        return False
    a, b = _period(gp), _period(ep)
    return a == b or bool(a and b and (a in b or b in a))


def _spans(text: str, written: str, figure: str) -> list[int]:
    for source in (text, written):
        starts = [m.start() for m in re.finditer(re.escape(figure), source or "")]
        if starts:
            return starts
    return []


def locate(gold: list[dict], text: str, written: str) -> list[tuple[int, int] | None]:
    """Each gold fact's span in the text: the nth occurrence of its figure (None when it is not there)."""
    base = 0 if any(g.get("occurrence") == 0 for g in gold) else 1
    out = []
    for g in gold:
        starts = _spans(text, written, str(g["figure"]))
        n = int(g.get("occurrence") or base) - base
        out.append((starts[n], starts[n] + len(str(g["figure"]))) if 0 <= n < len(starts) else None)
    return out


def _gold_kind(kind: str | None) -> str:
    return KIND_MAP.get(kind or "", kind or "")


def evaluate(name: str, document, facts: list, gold: list[dict]) -> DocResult:
    """Match gold facts to extracted facts by position and compare their fields."""
    result = DocResult(name, gold=len(gold), extracted=len(facts))
    spans = locate(gold, document.text, getattr(document, "written", "") or "")
    free = list(facts)
    for g, span in zip(gold, spans):
        label = f"{g['figure']}#{g.get('occurrence', 1)}"
        if span is None:
            result.failures.append(f"gold figure not in the text: {label}")
            continue
        a, b = span
        hit = next((f for f in free if f.start < b and a < f.end and (f.start <= a and b <= f.end or a <= f.start and f.end <= b)),
                   None)
        if hit is None:
            result.failures.append(f"missed {label} ({g.get('subject', '')})")
            continue
        free.remove(hit)
        result.matched += 1
        checks = {
            "subject": subject_agrees(g.get("subject", ""), hit.subject, actors=(g.get("actor") or "", hit.actor or "")),
            "time": time_agrees((g.get("year"), g.get("period")), (hit.year, hit.period)),
            "kind": _gold_kind(g.get("kind")) == hit.kind,
            "scope": (g.get("scope") or "") == (hit.scope or ""),
        }
        for key, ok in checks.items():
            result.agree[key] += ok
            if not ok:
                got = {"subject": hit.subject, "time": (hit.year, hit.period), "kind": hit.kind, "scope": hit.scope}[key]
                want = {"subject": g.get("subject"), "time": (g.get("year"), g.get("period")),
                        "kind": g.get("kind"), "scope": g.get("scope")}[key]
                result.failures.append(f"{key} of {label}: gold {want!r}, extracted {got!r}")
    result.failures += [f"spurious {f.figure_text} @{f.start} ({f.subject})" for f in free]
    return result


def gold_files(folder: Path = CORPORA) -> list[tuple[Path, Path]]:
    """(text, gold facts) of every annotated document in ``folder``."""
    pairs = []
    for gold in sorted(folder.glob("*.facts.jsonl")):
        text = gold.with_name(gold.name.replace(".facts.jsonl", ".txt"))
        if text.is_file():
            pairs.append((text, gold))
    return pairs


def load_gold(path: Path) -> list[dict]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: line {number} is not JSON ({exc.msg})") from None
    return rows


def run(folder: Path = CORPORA) -> list[DocResult]:
    from index.corpus import load_document
    from qa.facts import extract_facts

    results = []
    for text, gold in gold_files(folder):
        document = load_document(text)
        results.append(evaluate(text.stem, document, extract_facts(document), load_gold(gold)))
    return results


def table(results: list[DocResult]) -> str:
    total = DocResult("all (micro)")
    for r in results:
        total.gold, total.extracted, total.matched = total.gold + r.gold, total.extracted + r.extracted, total.matched + r.matched
        total.agree.update(r.agree)
    width = max([len(r.name) for r in results] + [12])
    head = f"{'document':<{width}}  gold  facts  " + "  ".join(f"{m:>9}" for m in METRICS)
    lines = [head, "-" * len(head)]
    for r in [*results, total]:
        values = r.metrics()
        lines.append(f"{r.name:<{width}}  {r.gold:>4}  {r.extracted:>5}  " + "  ".join(f"{values[m]:>9.2f}" for m in METRICS))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.facts", description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=CORPORA, help="folder of <slug>.txt and <slug>.facts.jsonl")
    parser.add_argument("--failures", action="store_true", help="list every disagreement per document")
    parser.add_argument("--write", action="store_true", help=f"record the numbers in {RECORD.relative_to(REPO_ROOT)}")
    args = parser.parse_args(argv)
    import logging

    logging.getLogger("qa.facts").setLevel(logging.ERROR)  # unattributed figures show up as subject failures
    try:
        results = run(args.corpora)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not results:
        print(f"no gold facts in {args.corpora} (<slug>.facts.jsonl beside <slug>.txt)", file=sys.stderr)
        return 2
    print(table(results))
    if args.failures:
        for r in results:
            print(f"\n## {r.name}")
            print("\n".join(r.failures) or "(none)")
    if args.write:
        record = {r.name: {m: round(v, 4) for m, v in r.metrics().items()} for r in results}
        RECORD.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {RECORD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
