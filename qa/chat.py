"""`python -m qa chat`: ask the report questions in the terminal, with follow-ups.

The engine loads once (the int8 encoder by default: no torch), then each line you type is a
question; the conversation is kept, so ``那涉案金额呢？`` after a question about arrests is read as a
follow-up. Answers print with their source sentence and numbered citations. ``/清空`` (or ``/clear``)
starts over; ``/退出``, ``/quit``, Ctrl-D or Ctrl-C at the prompt leaves; Ctrl-C while a question is
being answered cancels that question only.

>>> class Engine:
...     def ask(self, question, history=None):
...         from qa.answering import compose_refusal
...         return compose_refusal(question, "", ())
>>> lines = iter(["北京有多少专利？", "/退出"])
>>> run_chat(Engine(), read=lambda prompt: next(lines), out=io.StringIO())
0
"""

from __future__ import annotations

import io
import logging
import sys
from typing import Callable, TextIO

from qa.render import restore_question

log = logging.getLogger("ipqa.chat")
PROMPT = "问> "
BANNER = "天津市2020年知识产权工作报告问答。输入问题后回车；/清空 重新开始，/退出 或 Ctrl-D 结束。"
QUIT = {"/退出", "/quit", "/exit", "/q"}
CLEAR = {"/清空", "/clear", "/reset"}
MAX_TURNS = 12  # the engine reads the last 6 turns; a little more is kept for nothing


def _say(out: TextIO, text: str = "") -> None:
    try:
        out.write(text + "\n")
        out.flush()
    except (OSError, ValueError):
        pass


def run_chat(engine, *, read: Callable[[str], str] = input, out: TextIO | None = None) -> int:
    """The read-answer loop; returns the exit status (0)."""
    out = out if out is not None else sys.stdout
    history: list[dict] = []
    _say(out, BANNER)
    while True:
        try:
            line = read(PROMPT)
        except (EOFError, KeyboardInterrupt):
            _say(out)
            _say(out, "再见。")
            return 0
        question = line.strip()
        if not question:
            _say(out, "请输入一个问题，例如：公安机关抓获了多少名犯罪嫌疑人？")
            continue
        if question in QUIT:
            _say(out, "再见。")
            return 0
        if question in CLEAR:
            history.clear()
            _say(out, "已清空对话，可以重新提问。")
            continue
        try:
            answer = engine.ask(question, history)
        except KeyboardInterrupt:
            _say(out, "（已取消这个问题）")
            continue
        except Exception:  # noqa: BLE001 — a bug: logged with its traceback; the chat goes on
            log.exception("question failed: %r", question[:200])
            _say(out, "抱歉，处理这个问题时出错了，请换个问法再试。")
            continue
        text = restore_question(answer.answer, answer.question, question)
        _say(out, text)
        _say(out)
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.answer}]
        del history[:-MAX_TURNS]


def enable_line_editing() -> None:
    """Arrow keys and history in `input()` when the terminal has readline."""
    try:
        import readline  # noqa: F401 — importing it is what turns line editing on
    except ImportError:
        pass
