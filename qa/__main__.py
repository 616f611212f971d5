"""Command line: ``python -m qa <subcommand>``.

    python -m qa facts                 # aligned table of every figure
    python -m qa facts --grep 海关      # only facts whose subject/actor/sentence contains 海关
    python -m qa facts --csv out.csv   # CSV (``--csv`` alone writes to stdout)
    python -m qa facts --stats         # counts per kind and figures without a subject
    python -m qa ask "警察抓了多少人？"     # the answer with its source sentence and citations
    python -m qa ask --json "…"         # the Answer as JSON
    python -m qa chat                  # interactive: follow-ups, /清空, /退出 (Ctrl-D)

A subcommand is a ``_add_<name>(subparsers)`` function that registers its options and
sets ``func`` to a ``cmd_<name>(args) -> int`` handler; `build_parser` calls each adder.
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from collections import Counter
from pathlib import Path

_COLUMNS = (("id", 5), ("sec", 3), ("actor", 20), ("subject", 30), ("figure", 12), ("unit", 4),
            ("kind", 11), ("comparison", 12), ("time", 12), ("scope", 14))


def _width(text: str) -> int:
    """Display width: CJK characters take two terminal columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(text: str, width: int) -> str:
    if _width(text) > width:
        while text and _width(text) > width - 1:
            text = text[:-1]
        text += "…"
    return text + " " * (width - _width(text))


def _fact_row(fact) -> list[str]:
    time = " ".join(x for x in ("" if fact.year is None else str(fact.year), fact.period) if x)
    scope = " ".join(x for x in (fact.role, fact.scope, fact.parent_fact_id and f"of {fact.parent_fact_id}") if x)
    return [fact.id, str(fact.section), fact.actor or "-", fact.subject or "?", fact.figure_text, fact.unit or "-",
            fact.kind, fact.comparison or "-", time, scope or "-"]


def _load_facts(corpus: Path):
    from index.corpus import load_document  # imported here so `--help` stays fast
    from qa.facts import extract_facts

    document = load_document(corpus)
    return document, extract_facts(document)


def cmd_facts(args: argparse.Namespace) -> int:
    """Print (or export) the fact table of the corpus."""
    from qa.factstore import FactTable, write_fact_table
    from qa.facts import unattributed

    try:
        document, facts = _load_facts(Path(args.corpus))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.grep:
        facts = [f for f in facts if any(args.grep in (s or "") for s in (f.subject, f.actor, f.sentence))]
    table = FactTable.from_facts(facts, corpus_sha256=document.sha256)
    if args.sqlite:
        write_fact_table(facts, args.sqlite, corpus_sha256=document.sha256)
    if args.csv is not None:
        if args.csv == "-":
            table.to_csv(sys.stdout)
        else:
            table.to_csv(args.csv)
    elif args.stats:
        missing = unattributed(facts)
        print(f"facts: {len(facts)}")
        for kind, n in sorted(Counter(f.kind for f in facts).items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"  {kind:<12} {n}")
        print(f"unattributed figures: {len(missing)}")
        for f in missing:
            print(f"  {f.id} {f.figure_text} in {f.sentence}")
    else:
        print("  ".join(_cell(name, width) for name, width in _COLUMNS).rstrip())
        for fact in facts:
            cells = _fact_row(fact)
            print("  ".join(_cell(text, width) for text, (_, width) in zip(cells, _COLUMNS)).rstrip())
    return 0


def _add_facts(subparsers) -> None:
    p = subparsers.add_parser(
        "facts", help="list every figure of the report as a fact table",
        description="The fact table is read from the report text alone: it loads no model, and --cache-dir, "
                    "--model, --chunk-size and --encoder are accepted like in the other commands but do not change it.")
    p.add_argument("--csv", nargs="?", const="-", metavar="PATH", help="write CSV to PATH (stdout without PATH)")
    p.add_argument("--grep", metavar="TEXT", help="keep facts whose subject, actor or sentence contains TEXT")
    p.add_argument("--stats", action="store_true", help="print counts per kind and unattributed figures")
    p.add_argument("--sqlite", metavar="PATH", help="also write the table to a SQLite file")
    _add_common(p)
    p.set_defaults(func=cmd_facts)


def _engine(args, log=None):
    """The engine of `ask` and `chat`: every report of the library, as the app answers (int8 encoder by
    default: torch is not imported); with only the default report, exactly that report's engine."""
    from index.embedding import make_embedder
    from qa.console import tune_threads
    from qa.engine import EngineConfig
    from qa.library_engine import open_library

    tune_threads()
    embedder = make_embedder(args.model, cache_dir=args.cache_dir, encoder=args.encoder, log=log)
    return open_library(EngineConfig(corpus=Path(args.corpus), cache_dir=args.cache_dir, model=args.model,
                                     chunk_size=args.chunk_size, encoder=args.encoder), embedder=embedder, log=log)


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer one question (loads the model and index once; builds them on first use)."""
    import json

    from qa.limits import InputError, history_from_json
    from qa.render import restore_question

    from index.progress import Heartbeat

    try:
        history = history_from_json(args.history, what="--history")
        with Heartbeat(sys.stderr, prefix="加载", step="加载模型与索引") as beat:  # a line only if it takes a while
            engine = _engine(args, log=beat.log)
            engine.warm_up()
        answer = engine.ask(args.question, history)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: 无法加载问答引擎：{exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(restore_question(answer.answer, answer.question, args.question))
    return 0 if answer.found else 1


def _add_common(p) -> None:
    import os

    from index.settings import add_common_args

    add_common_args(p, os.environ)


def _add_ask(subparsers) -> None:
    p = subparsers.add_parser("ask", help="answer a question about the report")
    p.add_argument("question", help="the question, in Chinese")
    p.add_argument("--json", action="store_true", help="print the structured Answer as JSON")
    p.add_argument("--history", metavar="JSON", help='earlier turns: [{"role": "user", "content": "…"}, …]')
    _add_common(p)
    p.set_defaults(func=cmd_ask)


def cmd_chat(args: argparse.Namespace) -> int:
    """Interactive chat: load once, then question after question with follow-ups."""
    from index.progress import Heartbeat
    from qa.chat import enable_line_editing, run_chat
    from qa.console import configure_logging, safe_streams

    safe_streams()
    configure_logging()
    try:
        with Heartbeat(sys.stderr, prefix="加载") as beat:
            engine = _engine(args, log=beat.log)
            beat.step("加载模型与索引")
            engine.warm_up()
            engine.ask("公安机关抓获了多少名犯罪嫌疑人？")  # the tokenizer and jieba now, not on the first question
        print(f"已就绪（用时 {beat.elapsed():.1f} 秒）。", file=sys.stderr)
    except ValueError as exc:
        print(f"error: 无法加载问答引擎：{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已取消。", file=sys.stderr)
        return 130
    enable_line_editing()
    return run_chat(engine)


def _add_chat(subparsers) -> None:
    p = subparsers.add_parser("chat", help="interactive chat about the report (follow-ups, citations)")
    _add_common(p)
    p.set_defaults(func=cmd_chat)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m qa", description="Exact-figure QA over a Chinese report")
    subparsers = parser.add_subparsers(dest="command", required=True)
    _add_facts(subparsers)
    _add_ask(subparsers)
    _add_chat(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
