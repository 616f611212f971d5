"""The on-disk index: build, load, validation, damage and atomic switch-over."""

import json
import os
from pathlib import Path

import pytest

from index.builder import BuildSpec, build_index, ensure_index, load_index
from index.chunking import ChunkerSettings
from index.corpus import parse_document
from index.store import IndexUnusable, current_build
from tests.conftest import FakeEmbedder


def _spec(size=80, **extras):
    return BuildSpec(settings=ChunkerSettings(chunk_size=size), extras=extras)


def test_build_then_load_serves_same_index(tmp_path, report, fake_embedder):
    built = ensure_index(report, fake_embedder, tmp_path, _spec())
    assert built.manifest.chunk_count == len(built.chunks) > 50
    assert built.manifest.corpus_sha256 == report.sha256
    assert built.manifest.model_id == "fake-embedder"
    calls = fake_embedder.calls
    again = ensure_index(report, fake_embedder, tmp_path, _spec())
    assert fake_embedder.calls == calls  # loaded, not re-embedded
    assert again.directory == built.directory
    query = fake_embedder.embed_queries(["抓获犯罪嫌疑人564名"])
    top_id, score = again.search(query, 1)[0][0]
    assert "564名" in again.chunks[top_id].text and score > 0.5


@pytest.mark.parametrize("change", ["corpus", "model", "chunker", "extras"])
def test_changed_inputs_trigger_rebuild(tmp_path, report, change):
    ensure_index(report, FakeEmbedder(), tmp_path, _spec())
    doc, emb, spec = report, FakeEmbedder(), _spec()
    if change == "corpus":
        doc = parse_document(report.text + "\n新增一段。", doc_id=report.doc_id)
    elif change == "model":
        emb = FakeEmbedder(model_id="other-model")
    elif change == "chunker":
        spec = _spec(size=60)
    else:
        spec = BuildSpec(settings=ChunkerSettings(chunk_size=80), extras_version={"facts": 2})
    messages = []
    index = ensure_index(doc, emb, tmp_path, spec, log=messages.append)
    assert len(messages) == 1 and "rebuilding" in messages[0]
    assert emb.calls == 1
    assert index.manifest.corpus_sha256 == doc.sha256


@pytest.mark.parametrize("damage", ["delete_vectors", "truncate_vectors", "garble_manifest",
                                    "flip_chunk_byte", "delete_pointer", "garble_pointer"])
def test_damaged_index_gives_one_clear_line_and_is_rebuilt(tmp_path, report, damage):
    first = ensure_index(report, FakeEmbedder(), tmp_path, _spec())
    folder = first.directory
    if damage == "delete_vectors":
        (folder / "vectors.faiss").unlink()
    elif damage == "truncate_vectors":
        data = (folder / "vectors.faiss").read_bytes()
        (folder / "vectors.faiss").write_bytes(data[: len(data) // 2])
    elif damage == "garble_manifest":
        (folder / "manifest.json").write_text("{not json", encoding="utf-8")
    elif damage == "flip_chunk_byte":
        data = bytearray((folder / "chunks.jsonl").read_bytes())
        data[100] ^= 0x01
        (folder / "chunks.jsonl").write_bytes(bytes(data))
    elif damage == "delete_pointer":
        (tmp_path / "CURRENT").unlink()
    else:
        (tmp_path / "CURRENT").write_bytes(b"../../etc")
    with pytest.raises(IndexUnusable):
        load_index(tmp_path)
    messages = []
    rebuilt = ensure_index(report, FakeEmbedder(), tmp_path, _spec(), log=messages.append)
    assert len(messages) == 1 and "\n" not in messages[0]
    assert [c.text for c in rebuilt.chunks] == [c.text for c in first.chunks]
    assert load_index(tmp_path).manifest.chunk_count == first.manifest.chunk_count


def test_failed_build_leaves_previous_index_live(tmp_path, report):
    first = ensure_index(report, FakeEmbedder(), tmp_path, _spec())

    def broken_writer(document, path):
        path.write_text("partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        build_index(report, FakeEmbedder(), tmp_path, _spec(extra=broken_writer))
    assert current_build(tmp_path) == first.directory
    assert load_index(tmp_path).manifest == first.manifest
    assert [p.name for p in (tmp_path / "builds").iterdir()] == [first.directory.name]


def test_extra_files_are_written_and_checksummed(tmp_path, report):
    def writer(document, path: Path):
        path.write_text(document.sha256)

    index = build_index(report, FakeEmbedder(), tmp_path, _spec(**{"facts.txt": writer}))
    assert (index.directory / "facts.txt").read_text() == report.sha256
    assert "facts.txt" in index.manifest.files
    (index.directory / "facts.txt").write_text("tampered")
    with pytest.raises(IndexUnusable, match="facts.txt is truncated or corrupt"):
        load_index(tmp_path)


def test_unwritable_cache_dir_is_a_clear_error(tmp_path, report):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ValueError, match="is not writable.*IPQA_CACHE_DIR"):
        ensure_index(report, FakeEmbedder(), blocker / "index", _spec())


def test_manifest_json_is_plain_and_versioned(tmp_path, report):
    index = ensure_index(report, FakeEmbedder(), tmp_path, _spec())
    manifest = json.loads((index.directory / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format_version"] == 1
    assert manifest["chunker"]["chunk_size"] == 80
    assert set(manifest["files"]) == {"vectors.faiss", "chunks.jsonl"}
    assert not any(name.endswith((".pkl", ".pickle")) for name in os.listdir(index.directory))
