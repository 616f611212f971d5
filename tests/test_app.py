"""app.py: the Gradio app around an engine (a fake one here; the real one in the integration tests)."""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

import app
from qa.answering import AnswerFigure, Citation, compose_found, compose_refusal
from tests.conftest import free_port

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "data" / "tianjin-ip-2020.txt"
PASSAGE = "侦破侵权假冒知识产权犯罪案件425起，抓获犯罪嫌疑人564名，涉案金额累计3.1亿元。"


class FakeFacts:
    rows = [SimpleNamespace(id="f001", section=2, section_title="实施最严格知识产权保护", paragraph=3, sentence=PASSAGE,
                            subject="抓获犯罪嫌疑人", actor="公安机关", figure_text="564名", unit="名", kind="count",
                            comparison=None, year=2020),
            SimpleNamespace(id="f002", section=4, section_title="提升知识产权创造质量", paragraph=2,
                            sentence="有效发明专利达到38152件，同比增长9.9%。", subject="有效发明专利", actor=None,
                            figure_text="9.9%", unit="%", kind="growth_rate", comparison="同比增长", year=2020)]

    def all(self):
        return list(self.rows)

    def to_csv(self, path):
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "figure_text"])
            writer.writerows([r.id, r.figure_text] for r in self.rows)


class FakeEngine:
    """Answers 抓获 questions with 564名, raises on 'boom', refuses the rest."""

    def __init__(self):
        self.facts = FakeFacts()
        self.calls = []

    def ask(self, question, history=None):
        self.calls.append((question, history))
        question = str(question)
        if "boom" in question:
            raise RuntimeError("engine exploded")
        at = PASSAGE.index("564名")
        first = Citation(1, 7, 2, "实施最严格知识产权保护", 3, PASSAGE, 10, 10 + len(PASSAGE), 0.8123, (at, at + 4))
        other = Citation(2, 8, 2, "实施最严格知识产权保护", 5, "检察机关批准逮捕103件179人。", 90, 106, 0.31)
        if "抓获" in question:
            return compose_found(question, (AnswerFigure("f001", "564名", 1),), "564名", PASSAGE, (first, other),
                                 kind="count")
        return compose_refusal(question, "", (other,), kind="count")

    def ask_ranked(self, question, history=None, *, k=5):
        return self.ask(question, history), [PASSAGE]

    def status(self):
        return SimpleNamespace(model="fake-model", index_directory="/tmp/index", chunk_count=64, fact_count=2,
                               corpus_sha256="ab" * 32, build_time="2020-12-31T00:00:00+0000", dimension=64,
                               chunker={"chunk_size": 120}, size_bytes=2048)


def handler(demo, name):
    return next(f.fn for f in demo.fns.values() if f.name == name)


def consume(demo, message, history=None, chat=None):
    return list(handler(demo, "respond")(message, history or [], chat or []))


@pytest.fixture(scope="module")
def fake():
    engine = FakeEngine()
    demo = app.create_app(engine)
    yield demo, engine
    demo.close()


@pytest.fixture(scope="module")
def fake_client(fake):
    demo, engine = fake
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=free_port(), quiet=True)
    yield Client(demo.local_url, verbose=False), engine
    demo.close()


# -- the /ask API (fake engine) -----------------------------------------------------------------

def test_api_returns_the_structured_answer(fake_client):
    client, _ = fake_client
    result = client.predict("公安机关抓获了多少名犯罪嫌疑人？", "[]", api_name="/ask")
    assert result["found"] is True and result["short_answer"] == "564名"
    assert [f["text"] for f in result["figures"]] == ["564名"]
    assert result["citations"][0]["number"] == 1 and result["citations"][0]["highlight"] == [PASSAGE.index("564名"), PASSAGE.index("564名") + 4]


def test_api_passes_history_to_the_engine(fake_client):
    client, engine = fake_client
    history = [{"role": "user", "content": "公安机关抓获了多少名犯罪嫌疑人？"}, {"role": "assistant", "content": "答：564名"}]
    client.predict("那涉案金额呢？", json.dumps(history, ensure_ascii=False), api_name="/ask")
    assert engine.calls[-1] == ("那涉案金额呢？", history)


def test_api_history_defaults_to_empty(fake_client):
    client, engine = fake_client
    assert client.predict("北京？", api_name="/ask")["found"] is False
    assert engine.calls[-1] == ("北京？", [])


def test_api_rejects_bad_history_clearly(fake_client):
    client, _ = fake_client
    with pytest.raises(AppError, match="history_json"):
        client.predict("x", "[not json", api_name="/ask")
    with pytest.raises(AppError, match="JSON 数组"):
        client.predict("x", '{"role": "user"}', api_name="/ask")


def test_api_engine_failure_is_a_friendly_error_and_the_app_keeps_serving(fake_client):
    client, _ = fake_client
    with pytest.raises(AppError, match="内部错误"):
        client.predict("boom", "[]", api_name="/ask")
    assert client.predict("抓获多少人", "[]", api_name="/ask")["found"] is True


def test_only_ask_is_a_public_endpoint(fake_client):
    client, _ = fake_client
    api = client.view_api(print_info=False, return_format="dict")
    assert set(api["named_endpoints"]) == {"/ask"}
    params = [p["parameter_name"] for p in api["named_endpoints"]["/ask"]["parameters"]]
    assert params == ["question", "history_json"]


# -- the streaming chat handler ------------------------------------------------------------------

def test_chat_streams_progressively_and_keeps_plain_history(fake):
    demo, _ = fake
    steps = consume(demo, "公安机关抓获了多少名犯罪嫌疑人？")
    assert len(steps) >= 4  # pending, then the answer block by block, then the final state
    chat, history, _, box = steps[0]
    assert box == "" and "qa-pending" in chat[-1]["content"] and chat[0]["role"] == "user"
    contents = [s[0][-1]["content"] for s in steps[1:]]
    assert all(len(a) <= len(b) for a, b in zip(contents, contents[1:]))
    chat, history, sources, _ = steps[-1]
    assert "<strong>564名</strong>" in chat[-1]["content"] and "<details" in chat[-1]["content"]
    assert history[0] == {"role": "user", "content": "公安机关抓获了多少名犯罪嫌疑人？"}
    assert history[1]["role"] == "assistant" and history[1]["content"].startswith("答：564名") and len(history) == 2
    assert "0.812" in sources


def test_chat_passes_raw_history_for_follow_ups(fake):
    demo, engine = fake
    first = consume(demo, "公安机关抓获了多少名犯罪嫌疑人？")[-1]
    consume(demo, "那涉案金额呢？", history=first[1], chat=first[0])
    question, history = engine.calls[-1]
    assert question == "那涉案金额呢？" and history[0] == {"role": "user", "content": "公安机关抓获了多少名犯罪嫌疑人？"}
    assert history[1]["content"].startswith("答：564名")  # plain text, not the HTML shown in the chat


def test_chat_shows_user_html_as_text(fake):
    demo, engine = fake
    attack = "<script>alert(1)</script><img src=x onerror=alert(1)>"
    chat, history, _, _ = consume(demo, attack)[-1]
    assert "<script" not in chat[0]["content"] and "&lt;script&gt;" in chat[0]["content"]
    assert "<script" not in chat[1]["content"] and "<img" not in chat[1]["content"]
    assert engine.calls[-1][0] == attack and history[0]["content"] == attack  # the engine gets the raw text


def test_chat_error_is_a_message_not_a_traceback(fake, caplog):
    demo, _ = fake
    steps = consume(demo, "boom")
    chat, history, sources, _ = steps[-1]
    assert "qa-error" in chat[-1]["content"] and "出错" in chat[-1]["content"]
    assert "Traceback" not in chat[-1]["content"] and history == []
    assert "engine exploded" in caplog.text  # logged (to stderr when serving) for the operator
    assert "<strong>564名</strong>" in consume(demo, "抓获多少人")[-1][0][-1]["content"]


def test_chat_answers_empty_input_with_a_hint(fake):
    demo, engine = fake
    before = len(engine.calls)
    steps = consume(demo, "   ")
    chat, history, _, box = steps[-1]
    assert len(steps) == 1 and len(engine.calls) == before and history == [] and box == ""
    assert len(chat) == 1 and chat[0]["role"] == "assistant" and "请先输入一个问题" in chat[0]["content"]


def test_clear_resets_everything(fake):
    demo, _ = fake
    chat, history, sources, box = handler(demo, "clear")()
    assert chat == [] and history == [] and box == "" and "提问后" in sources


# -- facts and eval tabs -------------------------------------------------------------------------

def test_fact_filters(fake):
    demo, _ = fake
    table, count = handler(demo, "show_facts")("全部", "增长率", "")
    assert list(table["编号"]) == ["f002"] and "共 2 条" in count and "显示 1 条" in count
    table, _ = handler(demo, "show_facts")("第二部分「实施最严格知识产权保护」", "全部", "公安")
    assert list(table["数字"]) == ["564名"]


def no_progress(*args, **kwargs):
    return None


def test_eval_upload_with_bad_line_shows_the_line(fake, tmp_path):
    demo, _ = fake
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "question": "几名？", "answers": ["564名"], "evidence": "564名", "kind": "figure"}\n'
                   '{"id": "b", "question": "x", "answers": [], "evidence": "", "kind": "nope"}\n', encoding="utf-8")
    status, *rest = handler(demo, "run_evaluation")(str(bad), progress=no_progress)
    assert "第 2 行" in status and "kind 字段" in status and rest[0] is None


def test_eval_upload_size_is_capped(fake, tmp_path):
    demo, _ = fake
    big = tmp_path / "big.jsonl"
    big.write_bytes(b" " * (app.MAX_UPLOAD_BYTES + 1))
    status, *_ = handler(demo, "run_evaluation")(str(big), progress=no_progress)
    assert "超过大小上限" in status
    assert not big.exists()  # an upload is read once and deleted


def test_eval_without_runner_module_explains(fake, monkeypatch):
    demo, _ = fake
    monkeypatch.setitem(sys.modules, "eval.runner", None)  # import fails as if the file were missing
    status, *rest = handler(demo, "run_evaluation")(None, progress=no_progress)
    assert "评测模块" in status and rest == [None, None, None, ""]


def test_eval_runs_an_upload_and_reports(fake, tmp_path):
    pytest.importorskip("eval.runner")
    demo, _ = fake
    data = tmp_path / "two.jsonl"
    data.write_text('{"id": "a", "question": "抓获几名？", "answers": ["564名"], "evidence": "564名", "kind": "figure"}\n'
                    '{"id": "b", "question": "北京？", "answers": [], "evidence": "", "kind": "unanswerable"}\n'
                    '{"id": "c", "question": "多少起？", "answers": ["425起"], "evidence": "425起", "kind": "figure"}\n',
                    encoding="utf-8")
    calls = []
    status, metrics, chart, failures, report = handler(demo, "run_evaluation")(
        str(data), progress=lambda *a, **k: calls.append(a))
    assert "已评测 3 个问题" in status and "失败 1 个" in status
    assert len(metrics) > 3 and list(failures["编号"]) == ["c"]
    assert chart is not None and Path(chart).exists() and Path(chart).stat().st_size > 0
    assert calls and calls[-1][0] == (3, 3)


def test_about_tab_shows_status_but_no_paths_or_versions():
    import gradio

    text = app.about_markdown(FakeEngine())
    for needle in ("fake-model", "64", "ab" * 32, "2020-12-31", "/v1/ask", "/v1/chat/completions"):
        assert needle in text
    for secret in ("/tmp/index", gradio.__version__, "Python", "torch", "faiss"):
        assert secret not in text


# -- launching -----------------------------------------------------------------------------------

def test_port_taken_exits_2_with_one_line(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert app.main(["--port", str(port)]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(err) == 1 and f"端口 {port}" in err[0] and "已被占用" in err[0]


def test_port_taken_from_the_command_line():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("IPQA_AUTH")}
        done = subprocess.run([sys.executable, str(REPO / "app.py"), "--port", str(port)], capture_output=True,
                              text=True, timeout=120, cwd=REPO, env=env)
    assert done.returncode == 2
    assert "已被占用" in done.stderr and "Traceback" not in done.stderr


def test_auth_needs_both_variables(monkeypatch, capsys):
    monkeypatch.setenv("IPQA_AUTH_USER", "admin")
    monkeypatch.delenv("IPQA_AUTH_PASSWORD", raising=False)
    assert app.main(["--port", str(free_port())]) == 2
    assert "IPQA_AUTH_PASSWORD" in capsys.readouterr().err


# -- the real engine ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_client(real_engine):
    demo = app.create_app(real_engine)
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=free_port(), quiet=True)
    yield Client(demo.local_url, verbose=False)
    demo.close()


@pytest.mark.integration
def test_real_answer_over_the_api(real_client):
    result = real_client.predict("公安机关抓获犯罪嫌疑人多少名", "[]", api_name="/ask")
    assert result["found"] is True
    assert "564名" in [f["text"] for f in result["figures"]]
    assert any("564名" in c["text"] for c in result["citations"])
    cited = result["citations"][0]
    assert cited["highlight"], "the cited figure is highlighted"
    start, end = cited["highlight"]
    assert cited["text"][start:end] == "564名"


@pytest.mark.integration
def test_real_follow_up_over_the_api(real_client):
    first = real_client.predict("公安机关抓获犯罪嫌疑人多少名", "[]", api_name="/ask")
    history = [{"role": "user", "content": "公安机关抓获犯罪嫌疑人多少名"}, {"role": "assistant", "content": first["answer"]}]
    result = real_client.predict("那涉案金额呢？", json.dumps(history, ensure_ascii=False), api_name="/ask")
    assert result["found"] is True and "3.1亿元" in result["answer"]


@pytest.mark.integration
def test_real_refusal_over_the_api(real_client):
    result = real_client.predict("北京市2020年专利授权量是多少", "[]", api_name="/ask")
    assert result["found"] is False and result["answer"].startswith("报告中没有找到")


@pytest.mark.integration
def test_real_script_question_comes_back(real_client):
    result = real_client.predict("<script>alert(1)</script>", "[]", api_name="/ask")
    assert result["found"] is False and isinstance(result["answer"], str)
    long = real_client.predict("海关扣留了多少侵权货物？" * 40, "[]", api_name="/ask")
    assert "问题过长" in long["notice"]
