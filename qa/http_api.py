"""Plain HTTP API beside the web page: POST /v1/ask and an OpenAI-compatible /v1/chat/completions.

Routes for the FastAPI app Gradio serves (app.py passes `HttpApi(engine, auth).routes()` in
`launch(app_kwargs={"routes": ...})`), so they share its port, its login and its throttling:

- ``POST /v1/ask`` — ``{"question": "…", "history": [{"role": "user", "content": "…"}, …]}`` → the
  Answer as JSON (``Answer.to_dict()``).
- ``POST /v1/chat/completions`` — OpenAI's request (``messages``; ``model``, ``stream`` …): the last
  user message is the question, earlier user/assistant messages the history, system messages are
  ignored. ``choices[0].message.content`` is the answer text with its numbered citations; the
  structured Answer is in the extra field ``ipqa_answer``. ``"stream": true`` sends the answer as
  server-sent ``chat.completion.chunk`` events ending with ``data: [DONE]``.
- ``GET /v1/models`` — the one model name, for clients that list models first.

Auth, when the app has a login: the page's login cookie, HTTP Basic, or ``Authorization: Bearer
<password>`` (what OpenAI clients send as ``api_key``). Errors are OpenAI-style
``{"error": {"message": "<Chinese>", "type": …}}``; a user's mistake is one log line, an engine
failure a traceback in the log and a generic message to the client (no paths, no versions).

>>> from openai import OpenAI                                                         # doctest: +SKIP
>>> client = OpenAI(base_url="http://127.0.0.1:7860/v1", api_key="<password or anything>")  # doctest: +SKIP
>>> client.chat.completions.create(model=MODEL_NAME, messages=[{"role": "user", "content": "警察抓了多少人？"}])  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import secrets
import time
import uuid
from typing import Any, AsyncIterator

from qa.console import user_error
from qa.limits import InputError, check_history, parse_json

log = logging.getLogger("ipqa.api")
MODEL_NAME = "ipqa-tianjin-ip-2020"
MAX_BODY_BYTES = 200_000
MAX_MESSAGES = 100
ASK_FIELDS = ("question", "history")


def _error(status: int, message: str, kind: str, headers: dict | None = None):
    from starlette.responses import JSONResponse

    return JSONResponse({"error": {"message": message, "type": kind, "code": status}}, status_code=status,
                        headers=headers)


def _text_of(content: Any) -> str | None:
    """OpenAI message content: a string, or a list of parts of which the text parts count."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [p.get("text") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)]
        return "".join(texts) if texts else None
    return None


def question_from_messages(messages: Any) -> tuple[str, list[dict]]:
    """(question, history) from OpenAI `messages`; InputError (Chinese) when there is no user question."""
    if not isinstance(messages, list) or not messages:
        raise InputError('messages 应为非空数组，例如 [{"role": "user", "content": "警察抓了多少人？"}]。')
    if len(messages) > MAX_MESSAGES:
        raise InputError(f"messages 过多（{len(messages)} 条，上限 {MAX_MESSAGES}），只需发送最近几轮。")
    turns = []
    for message in messages:
        if not isinstance(message, dict):
            raise InputError("messages 的每一项都应为对象，含 role 和 content。")
        role, text = message.get("role"), _text_of(message.get("content"))
        if role in ("user", "assistant") and text is not None:
            turns.append({"role": role, "content": text})
    if not turns or turns[-1]["role"] != "user":
        raise InputError("最后一条消息应为用户（role 为 user）的问题。")
    return turns[-1]["content"], turns[:-1]


class HttpApi:
    """The /v1 routes around one engine (anything with `ask(question, history) -> Answer`)."""

    def __init__(self, engine, *, auth: tuple[str, str] | None = None, concurrency: int = 2,
                 max_body: int = MAX_BODY_BYTES) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency={concurrency!r} must be >= 1")
        self.engine, self.auth, self.concurrency, self.max_body = engine, auth, concurrency, max_body
        self._limiter = None

    # -- plumbing -----------------------------------------------------------------------------------

    def authorized(self, request) -> bool:
        """No login configured, or the page's cookie, Basic credentials or a Bearer password."""
        if self.auth is None:
            return True
        user, password = self.auth
        tokens = getattr(request.app, "tokens", {}) or {}
        cookie_id = getattr(request.app, "cookie_id", None)
        for name in (f"access-token-{cookie_id}", f"access-token-unsecure-{cookie_id}"):
            token = request.cookies.get(name)
            if cookie_id and token and tokens.get(token) == user:
                return True
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                given_user, _, given = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                return False
            return secrets.compare_digest(given_user.encode(), user.encode()) and \
                secrets.compare_digest(given.encode(), password.encode())
        if scheme.lower() == "bearer":
            given = value.strip().encode()
            return secrets.compare_digest(given, password.encode()) or \
                secrets.compare_digest(given, f"{user}:{password}".encode())
        return False

    async def _body(self, request) -> Any:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body:
            raise InputError(f"请求体过大（{int(declared):,} 字节，上限 {self.max_body:,}）。")
        data = bytearray()
        async for chunk in request.stream():
            data += chunk
            if len(data) > self.max_body:
                raise InputError(f"请求体过大（上限 {self.max_body:,} 字节）。")
        body = parse_json(bytes(data), what="请求体", max_bytes=self.max_body)
        if not isinstance(body, dict):
            raise InputError('请求体应为 JSON 对象，例如 {"question": "警察抓了多少人？"}。')
        return body

    async def _answer(self, question: Any, history: list):
        import anyio

        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.concurrency)
        return await anyio.to_thread.run_sync(self.engine.ask, question, history, limiter=self._limiter)

    async def _handle(self, request, respond):
        """Auth, body, answer; every failure becomes an OpenAI-style error in Chinese."""
        if not self.authorized(request):
            user_error(log, f"{request.url.path} unauthorized", request.client.host if request.client else "")
            return _error(401, "需要登录：请在 Authorization 头中提供 Basic 用户名和密码，或 Bearer 密码。",
                          "authentication_error", {"WWW-Authenticate": 'Basic realm="ipqa"'})
        try:
            return await respond(await self._body(request))
        except InputError as exc:
            user_error(log, request.url.path, exc)
            return _error(413 if "过大" in str(exc) else 400, str(exc), "invalid_request_error")
        except Exception:  # noqa: BLE001 — a bug: full traceback in the log, a plain message to the client
            log.exception("%s failed", request.url.path)
            return _error(500, "内部错误，请稍后再试。", "server_error")

    # -- endpoints ----------------------------------------------------------------------------------

    async def ask(self, request):
        from starlette.responses import JSONResponse

        async def respond(body: dict):
            unknown = sorted(set(body) - set(ASK_FIELDS))
            if unknown:
                raise InputError(f"不认识的字段：{', '.join(map(str, unknown))[:80]}；只接受 question 和 history。")
            question = body.get("question")
            if not isinstance(question, str):
                raise InputError('question 应为字符串，例如 {"question": "警察抓了多少人？"}。')
            answer = await self._answer(question, check_history(body.get("history")))
            return JSONResponse(answer.to_dict())

        return await self._handle(request, respond)

    async def chat_completions(self, request):
        from starlette.responses import JSONResponse, StreamingResponse

        async def respond(body: dict):
            question, history = question_from_messages(body.get("messages"))
            stream = body.get("stream", False)
            if not isinstance(stream, bool):
                raise InputError("stream 应为 true 或 false。")
            answer = await self._answer(question, history)
            completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
            if stream:
                return StreamingResponse(self._chunks(answer, completion_id, created), media_type="text/event-stream",
                                         headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
            return JSONResponse({
                "id": completion_id, "object": "chat.completion", "created": created, "model": MODEL_NAME,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.answer},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                "ipqa_answer": answer.to_dict()})

        return await self._handle(request, respond)

    async def _chunks(self, answer, completion_id: str, created: int) -> AsyncIterator[str]:
        def event(delta: dict, finish: str | None = None, **extra) -> str:
            chunk = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_NAME,
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
            return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

        yield event({"role": "assistant", "content": ""})
        lines = answer.answer.split("\n")
        for i, line in enumerate(lines):
            yield event({"content": line + ("\n" if i < len(lines) - 1 else "")})
        yield event({}, "stop", ipqa_answer=answer.to_dict())
        yield "data: [DONE]\n\n"

    async def models(self, request):
        from starlette.responses import JSONResponse

        if not self.authorized(request):
            return _error(401, "需要登录。", "authentication_error", {"WWW-Authenticate": 'Basic realm="ipqa"'})
        return JSONResponse({"object": "list", "data": [{"id": MODEL_NAME, "object": "model", "created": 0,
                                                         "owned_by": "ipqa"}]})

    def routes(self) -> list:
        from starlette.routing import Route

        return [Route("/v1/ask", self.ask, methods=["POST"]),
                Route("/v1/chat/completions", self.chat_completions, methods=["POST"]),
                Route("/v1/models", self.models, methods=["GET"])]
