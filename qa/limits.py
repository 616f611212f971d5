"""Untrusted JSON from users (chat history, API bodies): size and depth limits, Chinese messages.

`json.loads` on 5,000 nested ``[`` raises RecursionError deep inside the parser; here the nesting
is measured first with a linear scan (strings skipped), so a hostile body costs one pass and gets a
`InputError` whose message is Chinese and says what to send instead.

>>> parse_json('[{"role": "user", "content": "警察抓了多少人？"}]')[0]["role"]
'user'
>>> parse_json("[" * 5000)
Traceback (most recent call last):
...
qa.limits.InputError: JSON 嵌套过深（超过 8 层），请发送 [{"role": "user", "content": "警察抓了多少人？"}] 这样的对话列表。
>>> history_from_json('{"role": "user"}')
Traceback (most recent call last):
...
qa.limits.InputError: history 应为 JSON 数组，例如 [{"role": "user", "content": "警察抓了多少人？"}]。
"""

from __future__ import annotations

import json
from typing import Any

MAX_JSON_BYTES = 100_000  # a chat history of 6 turns is a few KB; the engine keeps the last 6 turns anyway
MAX_DEPTH = 8  # {"messages": [{"content": [{"text": …}]}]} is 5 deep
MAX_TURNS = 100
EXAMPLE = '[{"role": "user", "content": "警察抓了多少人？"}]'


class InputError(ValueError):
    """A request the user can fix; the message is Chinese and names what to change."""


def nesting_depth(text: str) -> int:
    """Deepest [/{ nesting outside JSON strings (a linear scan; no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def parse_json(raw: str | bytes | None, *, what: str = "JSON", max_bytes: int = MAX_JSON_BYTES,
               max_depth: int = MAX_DEPTH) -> Any:
    """json.loads with a size cap and a depth cap; every failure is an InputError in Chinese."""
    if raw is None:
        return None
    if isinstance(raw, bytes):
        if len(raw) > max_bytes:
            raise InputError(f"{what} 过大（{len(raw):,} 字节，上限 {max_bytes:,} 字节），请缩短后再试。")
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{what} 不是 UTF-8 编码的文本，请用 UTF-8 发送。") from None
    if len(raw) > max_bytes:
        raise InputError(f"{what} 过长（{len(raw):,} 字符，上限 {max_bytes:,}），请缩短后再试。")
    if nesting_depth(raw) > max_depth:
        raise InputError(f"{what} 嵌套过深（超过 {max_depth} 层），请发送 {EXAMPLE} 这样的对话列表。")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(f"{what} 不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列附近有误），"
                         f"例如：{EXAMPLE}") from None
    except (RecursionError, ValueError):
        raise InputError(f"{what} 无法解析，请发送 {EXAMPLE} 这样的 JSON。") from None


def check_history(history: Any, *, what: str = "history") -> list:
    """A list of turns (the engine ignores malformed turns); None means no history."""
    if history is None:
        return []
    if not isinstance(history, list):
        raise InputError(f"{what} 应为 JSON 数组，例如 {EXAMPLE}。")
    if len(history) > MAX_TURNS:
        raise InputError(f"{what} 的轮次过多（{len(history)} 轮，上限 {MAX_TURNS}），只需发送最近几轮。")
    return history


def history_from_json(raw: str | bytes | None, *, what: str = "history") -> list:
    """Parse and check a history given as JSON text ("" and None mean no history)."""
    if raw is None or (isinstance(raw, (str, bytes)) and not raw.strip()):
        return []
    return check_history(parse_json(raw, what=what), what=what)
