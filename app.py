"""Web app: chat with the Tianjin 2020 IP report, browse its fact table, run the eval set; plus the HTTP API.

    python app.py [--host 127.0.0.1] [--port 7860] [--encoder auto|int8|fp32] [--insecure-public]
                  [--corpus …] [--cache-dir …] [--model …]

Login when both IPQA_AUTH_USER and IPQA_AUTH_PASSWORD are set; it covers the page, Gradio's API and
the /v1 API (qa/http_api.py), and failed logins are throttled per client (qa/guard.py). Listening
on an address other than loopback needs a login, or --insecure-public. UI and wiring only: answers
come from `qa.engine.QAEngine`, HTML from `qa.render` / `qa.render_eval`.

Process details (host/port checks, signals, the main loop) are in qa/server.py.
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from index.progress import say
from qa import render, render_eval
from qa.console import configure_logging, quiet_client_errors, safe_streams, tune_threads, user_error
from qa.handover import EngineSlot, Handover
from qa.server import Stop, is_loopback, listen_problem, port_number, serve_forever, stop_signals

log = logging.getLogger("ipqa.app")
EVAL_SET = Path(__file__).resolve().parent / "eval" / "qa.jsonl"
EXAMPLES = ("公安机关抓获了多少名犯罪嫌疑人？", "海关扣了多少货？", "全市有效发明专利同比增长多少？", "北京市的专利数量是多少？")
MAX_UPLOAD_BYTES = 2_000_000
MAX_INPUT_CHARS = 5000  # the textbox refuses more; the engine caps further and says so (answer.notice)
STREAM_DELAY = 0.05  # seconds between streamed blocks of an answer
# The engine is CPU-bound on 2 cores and ONNX Runtime/faiss release the GIL, so two questions can run
# at once; more would only queue inside the CPU. Chat and API share the "engine" group of 2 slots.
CONCURRENCY = 2
QUEUE_SIZE = 32  # waiting requests beyond this are refused ("queue full") instead of piling up in memory
UPLOAD_CACHE = (600, 1800)  # Gradio deletes uploads older than 30 min, checking every 10 min
# Gradio keeps a copy of the page's config (with the whole fact table) per session: about 120 KB each.
# Its default of 10,000 sessions lets a scanner that invents session ids hold ~1.2 GB; 1,000 caps it near 120 MB.
SESSION_CAPACITY = 1000
FACT_WIDTHS = ["6%", "17%", "12%", "8%", "8%", "5%", "7%", "8%", "5%", "24%"]
CSS = ".qa-panel{max-height:640px;overflow-y:auto} #qa-sources{min-height:200px}"
EMPTY_QUESTION = "请先输入一个问题，例如：“公安机关抓获了多少名犯罪嫌疑人？”"
# Keys Gradio's own frontend uses but does not translate (its screen-reader status reads "common.complete").
GRADIO_MISSING_I18N = {locale: {"common.complete": text} for locale, text in
                       (("zh-CN", "已完成"), ("zh-TW", "已完成"), ("zh", "已完成"), ("en", "Complete"))}


def about_markdown(engine) -> str:
    """What is loaded; no server paths and no library versions (they would help only an attacker)."""
    try:
        s = engine.status()
    except Exception:  # noqa: BLE001 — the page must render even if status fails
        log.exception("status failed")
        return "无法读取索引状态，请查看服务器日志。"
    encoder = getattr(getattr(engine, "embedder", None), "encoder", "")
    encoder = {"int8": "int8 量化（ONNX）", "fp32": "fp32"}.get(encoder, encoder or "—")
    return (f"### 模型与索引\n\n| 项目 | 值 |\n|---|---|\n| 嵌入模型 | `{s.model}`（{s.dimension} 维） |\n"
            f"| 查询编码 | {encoder} |\n| 段落块数 | {s.chunk_count} |\n| 事实数 | {s.fact_count} |\n"
            f"| 索引大小 | {s.size_bytes / 1024:.1f} KB |\n| 报告 SHA-256 | `{s.corpus_sha256}` |\n"
            f"| 构建时间 | {s.build_time} |\n\n"
            "### 接口\n\n- `POST /v1/ask`：`{\"question\": \"…\", \"history\": […]}`，返回结构化回答（JSON）。\n"
            "- `POST /v1/chat/completions`：与 OpenAI 兼容，回答与引用在 `choices[0].message.content`，"
            "结构化回答在 `ipqa_answer`，支持 `stream`。\n"
            "- `gradio_client.Client(url).predict(问题, \"[]\", api_name=\"/ask\")`。\n")


def create_app(engine, *, eval_set: Path = EVAL_SET):
    """The whole UI around a loaded engine (anything with ask/status/facts, see qa.engine)."""
    import gradio as gr
    import pandas as pd

    from eval.dataset import DatasetError, load_dataset
    from qa.limits import InputError, history_from_json

    workdir = Path(tempfile.mkdtemp(prefix="ipqa-app-"))
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    facts = list(engine.facts.all())
    fact_rows = render.fact_rows(facts)
    section_choices, kind_choices = render.fact_filters(facts)
    csv_path = workdir / "tianjin-ip-2020-facts.csv"
    engine.facts.to_csv(csv_path)

    def ask(question: str, history_json: str = "[]") -> dict:
        """Answer one question about the report. history_json: JSON list of {"role", "content"} turns."""
        try:
            history = history_from_json(history_json, what="history_json")
        except InputError as exc:
            user_error(log, "/ask", exc)
            raise gr.Error(str(exc), title="请求有误", print_exception=False) from None
        try:
            return engine.ask(question, history).to_dict()
        except Exception:  # noqa: BLE001 — a bug: traceback in the log, a plain message to the client
            log.exception("ask failed")
            raise gr.Error("内部错误，请稍后再试。", title="出错了", print_exception=False) from None

    def respond(message, history, chat):
        chat, history = list(chat or []), list(history or [])
        if not isinstance(message, str) or not message.strip():
            # Said in the chat (not in a toast, whose header Gradio always writes in English), not kept.
            yield list(chat) + [{"role": "assistant", "content": render.hint_html(EMPTY_QUESTION)}], history, \
                gr.skip(), ""
            return
        chat += [{"role": "user", "content": render.user_html(message)},
                 {"role": "assistant", "content": render.pending_html()}]
        yield list(chat), history, gr.skip(), ""
        try:
            answer = engine.ask(message, history)
            parts = render.answer_parts(answer, message)
        except Exception:  # noqa: BLE001 — any failure becomes a message; the app keeps serving
            log.exception("question failed: %r", message[:200])
            chat[-1] = {"role": "assistant", "content": render.error_html()}
            yield list(chat), history, render.sources_html(None), ""
            return
        for i in range(1, len(parts) + 1):
            chat[-1] = {"role": "assistant", "content": render.wrap_answer(parts[:i], found=answer.found)}
            yield list(chat), history, gr.skip(), ""
            if i < len(parts):
                time.sleep(STREAM_DELAY)
        history += [{"role": "user", "content": message}, {"role": "assistant", "content": answer.answer}]
        yield list(chat), history, render.sources_html(answer), ""

    def clear():
        return [], [], render.sources_html(None), ""

    def show_facts(section, kind, query):
        rows = render.filter_fact_rows(fact_rows, section, kind, query)
        return pd.DataFrame(rows, columns=list(render.FACT_COLUMNS)), f"共 {len(fact_rows)} 条事实，当前显示 {len(rows)} 条。"

    def read_upload(upload) -> tuple[list, str]:
        """The uploaded eval set, read once and deleted (uploads are never kept or served back)."""
        try:
            size = os.path.getsize(upload)
            if size > MAX_UPLOAD_BYTES:
                raise DatasetError(f"<upload>: {size:,} bytes is over the limit of {MAX_UPLOAD_BYTES:,} bytes")
            return load_dataset(Path(upload).read_bytes(), max_bytes=MAX_UPLOAD_BYTES), Path(upload).name
        finally:
            try:
                os.unlink(upload)
            except OSError:
                pass

    def run_evaluation(upload, progress=gr.Progress()):
        empty = (None, None, None, "")
        try:
            runner = importlib.import_module("eval.runner")
        except ImportError:
            log.exception("eval.runner cannot be imported")
            return ("评测模块暂时不可用，无法运行评测；请查看服务器日志。", *empty)
        try:
            items, name = read_upload(upload) if upload else (load_dataset(eval_set), eval_set.name)
        except (DatasetError, OSError) as exc:
            user_error(log, "eval upload", exc)
            limit = f"（文件不超过 {MAX_UPLOAD_BYTES // 1_000_000} MB，每行一个 JSON 对象）"
            return (f"**评测集无法使用**：{render.esc(render_eval.dataset_error_zh(str(exc)))}{limit}", *empty)
        progress((0, len(items)), desc="评测中")
        try:
            run = runner.run_eval(engine, items, progress=lambda i, n, *_: progress((i, n), desc=f"评测中 {i}/{n}"))
            for old in workdir.glob("run-*"):  # keep only the latest chart
                shutil.rmtree(old, ignore_errors=True)
            out = Path(tempfile.mkdtemp(prefix="run-", dir=workdir))
            report = render_eval.report_markdown(run, dataset=name)
            chart = render_eval.write_chart(run.summary or {}, out / "metrics.png")
        except Exception:  # noqa: BLE001
            log.exception("eval failed")
            return ("**评测运行失败**，请查看服务器日志。", *empty)
        summary = {k: v for k, v in (run.summary or {}).items() if k != "failures"}
        metrics = pd.DataFrame(render_eval.metric_rows(summary), columns=["指标", "值"])
        headers, rows = render_eval.failure_rows(run)
        failures = pd.DataFrame(rows, columns=headers) if headers else None
        return (f"已评测 {len(items)} 个问题（{render.esc(name)}），失败 {len(rows)} 个。",
                metrics, str(chart) if chart else None, failures, report)

    with gr.Blocks(title="天津市2020年知识产权工作报告问答", analytics_enabled=False, delete_cache=UPLOAD_CACHE) as demo:
        gr.Markdown("## 天津市2020年知识产权工作报告 · 问答\n用中文提问，回答给出报告原文中的数字、原句和编号出处；报告没写的会直接说明。")
        with gr.Tab("问答"):
            history = gr.State([])
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(show_label=False, height=560, render_markdown=False, sanitize_html=True,
                                         allow_tags=False, feedback_options=None, buttons=["copy"],
                                         placeholder="请在下方输入关于报告的问题，或点击示例问题。", elem_id="qa-chat")
                    with gr.Row():
                        question = gr.Textbox(label="问题", placeholder="例如：海关扣留了多少侵权货物？", show_label=False,
                                              scale=5,
                                              max_length=MAX_INPUT_CHARS, lines=1, elem_id="qa-question")
                        send = gr.Button("发送", variant="primary", scale=1, min_width=80, elem_id="qa-send")
                        clear_btn = gr.Button("清空", scale=1, min_width=80, elem_id="qa-clear")
                    gr.Markdown("**示例问题：**")
                    with gr.Row():
                        example_buttons = [gr.Button(q, size="sm") for q in EXAMPLES]
                with gr.Column(scale=2):
                    gr.Markdown("**检索到的段落**")
                    sources = gr.HTML(render.sources_html(None), elem_id="qa-sources")
            outputs = [chatbot, history, sources, question]
            chat_args = dict(inputs=[question, history, chatbot], outputs=outputs, api_name="chat_stream",
                             api_visibility="private", concurrency_id="engine")
            gr.on([question.submit, send.click], respond, **chat_args)
            for button, text in zip(example_buttons, EXAMPLES):
                button.click(lambda t=text: t, None, question, queue=False, api_visibility="private").then(
                    respond, **{**chat_args, "api_name": None})
            # The chatbot's own 🗑 button clears only itself; reset the history and the panel too.
            gr.on([clear_btn.click, chatbot.clear], clear, None, outputs, queue=False, api_visibility="private")
            gr.api(ask, api_name="ask", concurrency_id="engine")
        with gr.Tab("事实表"):
            gr.Markdown("报告中抽取出的全部数字事实。点击列标题排序；可按部分、类型筛选或搜索。")
            with gr.Row():
                section = gr.Dropdown(section_choices, value=render.ALL, label="部分")
                kind = gr.Dropdown(kind_choices, value=render.ALL, label="类型")
                search = gr.Textbox(label="搜索", placeholder="例如：专利 或 海关")
            count = gr.Markdown(f"共 {len(fact_rows)} 条事实，当前显示 {len(fact_rows)} 条。")
            table = gr.Dataframe(pd.DataFrame(fact_rows, columns=list(render.FACT_COLUMNS)), interactive=False,
                                 wrap=True, max_height=600, elem_id="qa-facts", column_widths=FACT_WIDTHS)
            gr.DownloadButton("下载全部事实（CSV）", value=str(csv_path))
            gr.on([section.change, kind.change, search.change], show_facts, [section, kind, search], [table, count],
                  api_visibility="private")
        with gr.Tab("评测"):
            gr.Markdown(f"运行内置评测集，或上传自己的评测集（每行一个 JSON 对象，不超过 {MAX_UPLOAD_BYTES // 1_000_000} MB）。")
            upload = gr.File(label="上传评测集（可选）", file_types=[".jsonl", ".json", ".txt"], type="filepath",
                             elem_id="qa-eval-upload")
            run_btn = gr.Button("运行评测", variant="primary")
            status = gr.Markdown()
            with gr.Row():
                metrics = gr.Dataframe(label="指标", interactive=False)
                chart = gr.Image(label="图表", type="filepath", interactive=False)
            failures = gr.Dataframe(label="未答对的问题", interactive=False, wrap=True)
            with gr.Accordion("完整报告", open=False):
                report = gr.Markdown()
            run_btn.click(run_evaluation, [upload], [status, metrics, chart, failures, report],
                          api_visibility="private", concurrency_limit=1, concurrency_id="eval")
        if hasattr(engine, "library"):  # the report library (qa/library_tab.py)
            from qa.library_tab import build_library_tab

            build_library_tab(engine)
        with gr.Tab("关于"):
            about = gr.Markdown(about_markdown(engine))
        demo.load(lambda: about_markdown(engine), None, about, queue=False, api_visibility="private")  # after a handover
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    demo.ipqa_engine = engine
    return demo


def launch(demo, *, auth: tuple[str, str] | None = None, throttle=None, uploads=None, **kwargs):
    """Launch with the /v1 API and the guard middleware on the same server (and the app's settings).

    `throttle` / `uploads`: qa.guard.Throttle and UploadQuota (defaults: back-off after 5 failed
    logins per client; 20 uploads or 20 MB per client in 10 minutes)."""
    from starlette.middleware import Middleware

    from qa.guard import GuardMiddleware, Throttle, UploadQuota
    from qa.http_api import HttpApi

    import gradio as gr

    api = HttpApi(demo.ipqa_engine, auth=auth, concurrency=CONCURRENCY)
    guard = Middleware(GuardMiddleware, throttle=throttle or Throttle(), uploads=uploads or UploadQuota())
    from qa.library_tab import MAX_REPORT_BYTES

    largest = MAX_REPORT_BYTES if hasattr(demo.ipqa_engine, "library") else MAX_UPLOAD_BYTES  # reports, or eval sets
    options = dict(auth=auth, css=CSS, max_file_size=largest, show_error=False, footer_links=["api"],
                   app_kwargs={"routes": api.routes(), "middleware": [guard]}, i18n=gr.I18n(**GRADIO_MISSING_I18N),
                   state_session_capacity=SESSION_CAPACITY)
    launched = demo.launch(**{**options, **kwargs})
    quiet_client_errors()  # after launch: uvicorn configures its loggers when the server is created
    return launched


# -- command line --------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    from index.settings import add_common_args

    parser = argparse.ArgumentParser(description="天津市2020年知识产权工作报告问答（网页与 HTTP API）")
    add_common_args(parser, os.environ)
    parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1，仅本机）")
    parser.add_argument("--port", type=port_number, default=7860, help="端口（默认 7860）")
    parser.add_argument("--insecure-public", action="store_true",
                        help="允许在非本机地址上不设登录就对外服务（不推荐）")
    return parser


def main(argv: list[str] | None = None) -> int:
    safe_streams()  # a closed terminal must never break a request
    print("启动：正在加载……", file=sys.stderr, flush=True)  # before the slow imports, so the start is never silent
    args = build_parser().parse_args(argv)
    with stop_signals():
        try:
            return _serve(args)
        except (KeyboardInterrupt, Stop) as exc:
            print(f"已停止（{'Ctrl-C' if isinstance(exc, KeyboardInterrupt) else f'收到 {exc}'}），尚未开始服务。",
                  file=sys.stderr)
            return 130 if isinstance(exc, KeyboardInterrupt) else 0


def _serve(args) -> int:
    configure_logging()
    user, password = os.environ.get("IPQA_AUTH_USER", ""), os.environ.get("IPQA_AUTH_PASSWORD", "")
    if bool(user) != bool(password):
        print("error: 请同时设置 IPQA_AUTH_USER 和 IPQA_AUTH_PASSWORD 以启用登录，或两者都不设置。", file=sys.stderr)
        return 2
    auth = (user, password) if user else None
    if not auth and not is_loopback(args.host) and not args.insecure_public:
        print(f"error: --host {args.host} 会让其他机器访问本服务，但没有设置登录。请设置 IPQA_AUTH_USER 和 "
              "IPQA_AUTH_PASSWORD，或确认风险后加 --insecure-public。", file=sys.stderr)
        return 2
    problem = listen_problem(args.host, args.port)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if not auth and not is_loopback(args.host):
        log.warning("serving on %s without a login (--insecure-public): anyone who can reach it can use it", args.host)
    from index.progress import Heartbeat

    # Gradio takes ~2.5 s to import; do it on another thread while the engine loads (or the int8
    # encoder is built in its child process).
    threading.Thread(target=importlib.import_module, args=("gradio",), name="ipqa-import-gradio", daemon=True).start()
    with Heartbeat(sys.stderr) as beat:
        beat.step("导入模块")
        from index.embedding import make_embedder
        from qa.engine import EngineConfig
        from qa.library_engine import open_library

        tune_threads()
        try:  # defer_check: a first start serves with fp32 and checks int8 in the background (qa/handover.py)
            embedder = make_embedder(args.model, cache_dir=args.cache_dir, encoder=args.encoder, log=beat.log,
                                     defer_check=True)
            engine = open_library(EngineConfig(corpus=args.corpus, cache_dir=args.cache_dir, model=args.model,
                                               chunk_size=args.chunk_size, encoder=args.encoder), embedder=embedder,
                                  log=beat.log)  # every report of the library under the cache (报告库)
            beat.step("加载编码器")
            getattr(embedder, "warm_up", lambda: None)()
            beat.step("加载索引与事实表（首次运行会建立索引）")
            engine.warm_up()
            beat.step("预热")
            engine.ask(EXAMPLES[0])  # loads the tokenizer and the jieba dictionary now, not on the first question
        except ValueError as exc:
            print(f"error: 无法加载问答引擎：{exc}", file=sys.stderr)
            return 1
        beat.step("构建网页")
        slot = EngineSlot(engine)
        encoder, deferred = getattr(embedder, "encoder", "") or args.encoder, getattr(embedder, "deferred", False)
        del engine, embedder  # after a handover only the slot holds the fp32 engine: let it go
        demo = create_app(slot)
        try:
            launch(demo, auth=auth, server_name=args.host, server_port=args.port, quiet=True,
                   prevent_thread_lock=True)
        except OSError as exc:
            print(f"error: 无法在 {args.host}:{args.port} 上启动服务（{exc}）。", file=sys.stderr)
            return 2
    handover = None
    if deferred:
        encoder += "，int8 编码器在后台构建并检验，通过后自动切换"
        handover = Handover(slot, log=say, warm_question=EXAMPLES[0],
                            rebuild=lambda config, emb: open_library(config, embedder=emb, log=say))
    print(f"正在服务：{demo.local_url}（查询编码 {encoder}；API：/v1/ask、/v1/chat/completions；启动用时 "
          f"{beat.elapsed():.1f} 秒；按 Ctrl-C 停止）", file=sys.stderr, flush=True)
    try:
        if handover is not None:
            handover.start()
        serve_forever(demo)
    finally:
        if handover is not None:
            handover.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
