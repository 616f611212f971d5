"""The /v1 API on the app's own server: /v1/ask, the OpenAI-compatible endpoint (official `openai` client),
auth, limits and errors in Chinese.

The engine is the real QAEngine on the FakeEmbedder (model-free, fast); the app is served on a free
port of 127.0.0.1 through `app.launch`, exactly as `app.main` does. Requests are few and loopback only.
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.request

import pytest
from openai import AuthenticationError, BadRequestError, OpenAI

import app
from conftest import free_port
from qa.http_api import MODEL_NAME, question_from_messages
from qa.limits import InputError

USER, PASSWORD = "analyst", "s3cret-Pa55"  # ASCII: HTTP headers (Bearer) carry no other characters
POLICE = "公安机关抓获了多少名犯罪嫌疑人？"
FOLLOW_UP = "那涉案金额呢？"


@pytest.fixture(scope="module")
def engine(model_free_engine):
    return model_free_engine


def serve(engine, **kwargs) -> tuple[str, object]:
    demo = app.create_app(engine)
    app.launch(demo, server_name="127.0.0.1", server_port=free_port(), quiet=True, prevent_thread_lock=True, **kwargs)
    return demo.local_url.rstrip("/"), demo


@pytest.fixture(scope="module")
def open_server(engine):
    url, demo = serve(engine)
    yield url
    demo.close()


@pytest.fixture(scope="module")
def locked_server(engine):
    url, demo = serve(engine, auth=(USER, PASSWORD))
    yield url
    demo.close()


def post(url: str, body, *, headers: dict | None = None, raw: bytes | None = None) -> tuple[int, dict, dict]:
    data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read() or b"{}")


def without_latency(answer: dict) -> dict:
    return {k: v for k, v in answer.items() if k != "latency_ms"}


# -- /v1/ask ----------------------------------------------------------------------------------------

def test_ask_returns_the_engines_answer(open_server, engine):
    status, _, body = post(f"{open_server}/v1/ask", {"question": POLICE})
    assert status == 200
    assert without_latency(body) == without_latency(json.loads(json.dumps(engine.ask(POLICE).to_dict())))
    assert body["short_answer"] == "564名" and body["citations"][0]["number"] == 1


def test_ask_follow_up_uses_the_history(open_server, engine):
    first = engine.ask(POLICE)
    history = [{"role": "user", "content": POLICE}, {"role": "assistant", "content": first.answer}]
    status, _, body = post(f"{open_server}/v1/ask", {"question": FOLLOW_UP, "history": history})
    assert status == 200 and body["short_answer"] == engine.ask(FOLLOW_UP, history).short_answer == "3.1亿元"


@pytest.mark.parametrize("body, status, needle", [
    ({"history": []}, 400, "question 应为字符串"),
    ({"question": POLICE, "history": {"role": "user"}}, 400, "history 应为 JSON 数组"),
    ({"question": POLICE, "extra": 1}, 400, "不认识的字段"),
    ([POLICE], 400, "请求体应为 JSON 对象"),
])
def test_ask_rejects_bad_bodies_in_chinese(open_server, body, status, needle):
    code, _, reply = post(f"{open_server}/v1/ask", body)
    assert code == status and needle in reply["error"]["message"]
    assert reply["error"]["type"] == "invalid_request_error"


def test_deeply_nested_history_is_refused_without_recursion(open_server, caplog):
    caplog.set_level(logging.INFO, logger="ipqa")
    nested = b'{"question": "x", "history": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    code, _, reply = post(f"{open_server}/v1/ask", None, raw=nested)
    assert code == 400 and "嵌套过深" in reply["error"]["message"]
    code, _, reply = post(f"{open_server}/v1/ask", None, raw=b'{"question": ')
    assert code == 400 and "不是有效的 JSON" in reply["error"]["message"]
    records = [r for r in caplog.records if r.name == "ipqa.api"]
    assert len(records) == 2 and all(r.levelno == logging.INFO and r.exc_info is None for r in records)


def test_oversized_body_is_413(open_server):
    code, _, reply = post(f"{open_server}/v1/ask", {"question": "a" * 200_100})  # just over: sent whole
    assert code == 413 and "过大" in reply["error"]["message"]


def test_engine_failure_is_a_500_without_details(engine, caplog):
    class Broken:
        facts = engine.facts
        status = engine.status

        def ask(self, question, history=None):
            raise RuntimeError("/secret/path/model.onnx exploded")

    url, demo = serve(Broken())
    try:
        code, _, reply = post(f"{url}/v1/ask", {"question": POLICE})
    finally:
        demo.close()
    assert code == 500 and reply["error"]["message"] == "内部错误，请稍后再试。"
    assert "secret" not in json.dumps(reply)
    assert any(r.exc_info for r in caplog.records if r.name == "ipqa.api")  # the bug keeps its traceback


# -- OpenAI-compatible, with the official client -------------------------------------------------------

def test_openai_client_gets_answer_text_and_structured_answer(open_server, engine):
    client = OpenAI(base_url=f"{open_server}/v1", api_key="unused", max_retries=0)
    completion = client.chat.completions.create(model=MODEL_NAME, messages=[
        {"role": "system", "content": "你是助手"}, {"role": "user", "content": POLICE}])
    expected = engine.ask(POLICE)
    content = completion.choices[0].message.content
    assert content == expected.answer and "[1]" in content and "564名" in content
    assert completion.choices[0].finish_reason == "stop" and completion.model == MODEL_NAME
    structured = completion.model_extra["ipqa_answer"]
    assert structured["short_answer"] == "564名" and structured["figures"][0]["citation"] == 1
    assert [m.id for m in client.models.list()] == [MODEL_NAME]


def test_openai_client_follow_up_and_streaming(open_server, engine):
    client = OpenAI(base_url=f"{open_server}/v1", api_key="unused", max_retries=0)
    first = engine.ask(POLICE)
    messages = [{"role": "user", "content": POLICE}, {"role": "assistant", "content": first.answer},
                {"role": "user", "content": [{"type": "text", "text": FOLLOW_UP}]}]
    stream = client.chat.completions.create(model=MODEL_NAME, messages=messages, stream=True)
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert len(chunks) >= 4 and chunks[0].choices[0].delta.role == "assistant"
    assert text == engine.ask(FOLLOW_UP, messages[:2]).answer and "3.1亿元" in text
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["ipqa_answer"]["short_answer"] == "3.1亿元"


def test_stream_ends_with_done(open_server):
    request = urllib.request.Request(f"{open_server}/v1/chat/completions", method="POST",
                                     data=json.dumps({"messages": [{"role": "user", "content": POLICE}],
                                                      "stream": True}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = response.read().decode("utf-8").strip().split("\n\n")
    assert events[-1] == "data: [DONE]" and all(e.startswith("data: ") for e in events)
    assert json.loads(events[-2][6:])["ipqa_answer"]["short_answer"] == "564名"


def test_openai_client_errors_are_chinese(open_server):
    client = OpenAI(base_url=f"{open_server}/v1", api_key="unused", max_retries=0)
    with pytest.raises(BadRequestError, match="最后一条消息应为用户"):
        client.chat.completions.create(model=MODEL_NAME, messages=[{"role": "assistant", "content": "你好"}])
    with pytest.raises(BadRequestError, match="stream 应为"):
        client.chat.completions.create(model=MODEL_NAME, messages=[{"role": "user", "content": POLICE}],
                                       extra_body={"stream": "yes"})


def test_messages_to_question_and_history():
    question, history = question_from_messages([{"role": "system", "content": "s"}, {"role": "user", "content": "a"},
                                                {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}])
    assert question == "c" and history == [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
    for bad in (None, [], [{"role": "user", "content": 5}], ["x"]):
        with pytest.raises(InputError):
            question_from_messages(bad)


# -- the same login as the page -----------------------------------------------------------------------

def test_api_needs_the_login(locked_server):
    code, headers, reply = post(f"{locked_server}/v1/ask", {"question": POLICE})
    assert code == 401 and "需要登录" in reply["error"]["message"] and "Basic" in headers.get("www-authenticate", "")
    with pytest.raises(AuthenticationError):
        OpenAI(base_url=f"{locked_server}/v1", api_key="wrong", max_retries=0).chat.completions.create(
            model=MODEL_NAME, messages=[{"role": "user", "content": POLICE}])


def test_api_accepts_bearer_basic_and_the_page_cookie(locked_server):
    client = OpenAI(base_url=f"{locked_server}/v1", api_key=PASSWORD, max_retries=0)
    completion = client.chat.completions.create(model=MODEL_NAME, messages=[{"role": "user", "content": POLICE}])
    assert "564名" in completion.choices[0].message.content
    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert post(f"{locked_server}/v1/ask", {"question": POLICE}, headers={"Authorization": f"Basic {basic}"})[0] == 200
    import http.cookiejar
    import urllib.parse

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = urllib.parse.urlencode({"username": USER, "password": PASSWORD}).encode()
    assert opener.open(urllib.request.Request(f"{locked_server}/login", data=form), timeout=30).status == 200
    request = urllib.request.Request(f"{locked_server}/v1/ask", data=json.dumps({"question": POLICE}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    assert json.loads(opener.open(request, timeout=30).read())["short_answer"] == "564名"
