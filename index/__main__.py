"""Command line: the report index and the knowledge base of reports.

    python -m index build [--force]          build the default report's index (and the model, first time)
    python -m index info [--json]            the live index's manifest
    python -m index add PATH [--title T --year Y --place P --issuer I]
    python -m index remove ID
    python -m index list [--json]
    python -m index synthetic COUNT          COUNT copies of the default report, for timing
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Sequence

from index.settings import add_common_args, default_report_meta, index_root


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m index", description="Build or inspect the report index.")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        made = sub.add_parser(name, help=help)
        add_common_args(made, os.environ)
        return made

    command("build", "build the model (first time) and the index, with progress").add_argument(
        "--force", action="store_true", help="rebuild even if the index on disk is valid")
    command("info", "print the manifest of the live index").add_argument(
        "--json", action="store_true", help="print the manifest as JSON")
    add = command("add", "add a report (PDF, .docx, HTML or text) to the knowledge base and index it")
    add.add_argument("path", type=Path, help="the report file")
    add.add_argument("--title", help="title (default: read from the document)")
    add.add_argument("--year", type=int, help="year, e.g. 2021 (default: read from the title or first paragraph)")
    add.add_argument("--place", help="place, e.g. 北京市 (default: read from the start of the title)")
    add.add_argument("--issuer", help="issuing body, e.g. 北京市知识产权局 (default: read from the document)")
    command("remove", "remove a report from the knowledge base (not the default one)").add_argument(
        "id", help="the report id, as `list` shows it")
    command("list", "list the reports in the knowledge base").add_argument(
        "--json", action="store_true", help="print the catalogue as JSON")
    command("synthetic", "add COUNT synthetic copies of the default report (for timing)").add_argument(
        "count", type=int, help="how many copies (1..1000)")
    return parser


def _spec(args):
    from qa.engine import build_spec  # the engine decides what a build contains (chunks + fact table)

    return build_spec(chunk_size=args.chunk_size)


def cmd_build(args) -> int:
    from index.builder import build_index, ensure_index
    from index.corpus import load_document
    from index.embedding import make_embedder

    document = load_document(args.corpus)
    spec = _spec(args)  # bad settings fail here, before the model loads
    embedder = make_embedder(args.model, cache_dir=args.cache_dir, encoder=args.encoder, progress=True)
    started = time.perf_counter()
    embedder.warm_up()
    model_seconds = time.perf_counter() - started
    root = index_root(args.cache_dir, args.model, args.corpus, getattr(embedder, "index_key", ""))
    started = time.perf_counter()
    builder = build_index if args.force else ensure_index
    index = builder(document, embedder, root, spec, progress=True)
    print(f"model ready in {model_seconds:.1f}s ({getattr(embedder, 'encoder', '') or 'custom'} encoder); index ready "
          f"in {time.perf_counter() - started:.1f}s: {index.manifest.chunk_count} chunks, "
          f"{index.size_bytes / 1024:.0f} KiB at {index.directory}")
    return 0


def _info_root(args):
    """The index `info` describes: the int8 one when it exists (what `auto` serves), else the fp32 one."""
    int8 = index_root(args.cache_dir, args.model, args.corpus, "int8")
    if args.encoder == "int8" or (args.encoder == "auto" and (int8 / "CURRENT").is_file()):
        return int8
    return index_root(args.cache_dir, args.model, args.corpus)


def cmd_info(args) -> int:
    from index.builder import load_index

    index = load_index(_info_root(args))
    manifest = index.manifest
    if args.json:
        print(json.dumps(manifest.__dict__, ensure_ascii=False, indent=2))
        return 0
    rows = [("directory", index.directory), ("model", manifest.model_id), ("dimension", manifest.dimension),
            ("chunks", manifest.chunk_count), ("chunker", json.dumps(manifest.chunker, ensure_ascii=False)),
            ("document", manifest.doc_id), ("corpus sha256", manifest.corpus_sha256),
            ("built", f"{manifest.build_time} in {manifest.build_seconds}s"),
            ("size on disk", f"{index.size_bytes / 1024:.1f} KiB"),
            ("files", ", ".join(f"{k} ({v['bytes']} B)" for k, v in manifest.files.items()))]
    for key, value in rows:
        print(f"{key:>14}: {value}")
    return 0


def _library(args):
    from index.library import ReportLibrary

    return ReportLibrary(args.cache_dir, default_corpus=args.corpus, default_meta=default_report_meta(args.corpus),
                         log=lambda message: print(message, file=sys.stderr))


def _embedder(args):
    """The model that indexes added reports (tests replace this with a fake)."""
    from index.embedding import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder(args.model, cache_dir=args.cache_dir, progress=True)
    embedder.warm_up()
    return embedder


def cmd_add(args) -> int:
    from index.intake import DuplicateReport

    library = _library(args)
    spec = _spec(args)
    library.records()  # registers the default report and checks the catalogue
    try:  # read, extract and check the file before the model loads: a bad file is refused at once
        prepared = library.prepare_file(args.path, title=args.title, year=args.year, place=args.place,
                                        issuer=args.issuer)
        meta = prepared.meta
        print(f"《{meta.title}》 年份 {meta.year or '不详'} 地区 {meta.place or '不详'} 发布单位 {meta.issuer or '不详'}",
              file=sys.stderr)
        result = library.add_prepared(prepared, embedder=_embedder(args), spec=spec, progress=True)
    except DuplicateReport as exc:
        print(f"already added: {exc}", file=sys.stderr)
        return 1
    record = result.record
    print(f"added {record.id}: 《{record.title}》 {record.year or '年份不详'} {record.place or '地区不详'}, "
          f"{result.index.manifest.chunk_count} chunks")
    return 0


def cmd_remove(args) -> int:
    record = _library(args).remove(args.id)
    print(f"removed {record.id}: 《{record.title}》")
    return 0


def cmd_list(args) -> int:
    from index.catalogue import ReportRecord
    from index.pagetext import display_width
    from index.store import IndexUnusable, current_build

    library = _library(args)
    records: list[ReportRecord] = library.records()

    def indexed(record) -> bool:
        try:
            return current_build(library.index_root(record.id, args.model)).is_dir()
        except IndexUnusable:
            return False

    if args.json:
        print(json.dumps([{**r.to_dict(), "indexed": indexed(r)} for r in records], ensure_ascii=False, indent=2))
        return 0
    header = ("id", "年份", "地区", "标题", "发布单位", "格式", "状态", "索引", "添加时间")
    rows = [header] + [(r.id + (" *" if r.builtin else ""), str(r.year or "-"), r.place or "-", r.title,
                        r.issuer or "-", r.source_kind, r.status, "已建" if indexed(r) else "未建", r.added_at[:16])
                       for r in records]
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell + " " * (width - display_width(cell)) for cell, width in zip(row, widths)).rstrip())
    print(f"{len(records)} reports (* = default, always present); {library.root}")
    for record in records:
        if record.status != "live":
            print(f"{record.id}: {record.status_note}")
    return 0


def cmd_synthetic(args) -> int:
    from index.synthetic import add_synthetic_copies

    if not 1 <= args.count <= 1000:
        raise ValueError(f"count={args.count!r} must be between 1 and 1000")
    library = _library(args)
    default = library.records()[0]
    added = add_synthetic_copies(library, default, args.count, embedder=_embedder(args), spec=_spec(args),
                                 log=lambda message: print(message, file=sys.stderr))
    print(f"{len(added)} synthetic copies of {default.id} in the knowledge base")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    commands = {"build": cmd_build, "info": cmd_info, "add": cmd_add, "remove": cmd_remove, "list": cmd_list,
                "synthetic": cmd_synthetic}
    try:
        return commands[args.command](args)
    except ValueError as exc:  # our errors say what to do; no traceback for the user
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; the previous index is untouched", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
