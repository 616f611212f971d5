"""Web app: chat with the Tianjin 2020 IP report, browse its fact table, run the eval set.

    python app.py [--host 127.0.0.1] [--port 7860] [--corpus …] [--cache-dir …] [--model …]

Basic auth when both IPQA_AUTH_USER and IPQA_AUTH_PASSWORD are set. UI only: answers come
from `qa.engine.QAEngine`, HTML from `qa.render`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import platform
import socket
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import gradio as gr
import pandas as pd

from eval.dataset import DatasetError, load_dataset
from qa import render

log = logging.getLogger("ipqa.app")
EVAL_SET = Path(__file__).resolve().parent / "eval" / "qa.jsonl"
EXAMPLES = ("公安机关抓获了多少名犯罪嫌疑人？", "海关扣了多少货？", "全市有效发明专利同比增长多少？", "北京市的专利数量是多少？")
MAX_UPLOAD_BYTES = 2_000_000
MAX_INPUT_CHARS = 5000  # the textbox refuses more; the engine caps further and says so (answer.notice)
MAX_HISTORY_JSON = 100_000
STREAM_DELAY = 0.05  # seconds between streamed blocks of an answer
# The engine is CPU-bound on 2 cores and torch/faiss release the GIL, so two questions can run at
# once; more would only queue inside the CPU. Chat and API share the "engine" group of 2 slots.
CONCURRENCY = 2
QUEUE_SIZE = 32  # waiting requests beyond this are refused ("queue full") instead of piling up in memory
FACT_WIDTHS = ["6%", "17%", "12%", "8%", "8%", "5%", "7%", "8%", "5%", "24%"]
CSS = ".qa-panel{max-height:640px;overflow-y:auto} #qa-sources{min-height:200px}"


def _versions() -> str:
    rows = [("Python", platform.python_version())]
    for name in ("gradio", "gradio_client", "sentence-transformers", "faiss-cpu", "torch", "transformers"):
        try:
            rows.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            rows.append((name, "未安装"))
    return "\n".join(f"| {n} | {v} |" for n, v in rows)


def about_markdown(engine) -> str:
    try:
        s = engine.status()
    except Exception:  # noqa: BLE001 — the page must render even if status fails
        log.exception("status failed")
        return "无法读取索引状态，请查看服务器日志。"
    return (f"### 模型与索引\n\n| 项目 | 值 |\n|---|---|\n| 嵌入模型 | `{s.model}`（{s.dimension} 维） |\n"
            f"| 索引目录 | `{s.index_directory}` |\n| 段落块数 | {s.chunk_count} |\n| 事实数 | {s.fact_count} |\n"
            f"| 分块设置 | `{json.dumps(s.chunker, ensure_ascii=False)}` |\n| 索引大小 | {s.size_bytes / 1024:.1f} KB |\n"
            f"| 报告 SHA-256 | `{s.corpus_sha256}` |\n| 构建时间 | {s.build_time} |\n\n"
            f"### 接口\n\n`gradio_client.Client(url).predict(问题, \"[]\", api_name=\"/ask\")` 返回结构化回答（JSON）。\n\n"
            f"### 版本\n\n| 组件 | 版本 |\n|---|---|\n{_versions()}\n")


def create_app(engine, *, eval_set: Path = EVAL_SET) -> gr.Blocks:
    """The whole UI around a loaded engine (anything with ask/status/facts, see qa.engine)."""
    workdir = Path(tempfile.mkdtemp(prefix="ipqa-app-"))
    facts = list(engine.facts.all())
    fact_rows = render.fact_rows(facts)
    section_choices, kind_choices = render.fact_filters(facts)
    csv_path = workdir / "tianjin-ip-2020-facts.csv"
    engine.facts.to_csv(csv_path)

    def ask(question: str, history_json: str = "[]") -> dict:
        """Answer one question about the report. history_json: JSON list of {"role", "content"} turns."""
        if len(history_json or "") > MAX_HISTORY_JSON:
            raise gr.Error(f"history_json 过长（上限 {MAX_HISTORY_JSON} 字符）")
        try:
            history = json.loads(history_json or "[]")
        except json.JSONDecodeError as exc:
            raise gr.Error(f"history_json 不是有效的 JSON：{exc.msg}（第 {exc.colno} 列）") from None
        if not isinstance(history, list):
            raise gr.Error("history_json 应为 JSON 数组，例如 []")
        try:
            return engine.ask(question, history).to_dict()
        except Exception:  # noqa: BLE001
            log.exception("ask failed")
            raise gr.Error("内部错误，请稍后再试。") from None

    def respond(message, history, chat):
        chat, history = list(chat or []), list(history or [])
        if not isinstance(message, str) or not message.strip():
            yield list(chat), history, gr.skip(), ""
            return
        chat += [{"role": "user", "content": render.user_html(message)},
                 {"role": "assistant", "content": render.pending_html()}]
        yield list(chat), history, gr.skip(), ""
        try:
            answer = engine.ask(message, history)
            parts = render.answer_parts(answer)
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

    def run_evaluation(upload, progress=gr.Progress()):
        empty = (None, None, None, "")
        try:
            runner = importlib.import_module("eval.runner")
        except ImportError as exc:
            return ("评测模块（eval/runner.py）不可用，暂时无法运行评测：" + render.esc(exc), *empty)
        try:
            if upload:
                size = os.path.getsize(upload)
                if size > MAX_UPLOAD_BYTES:
                    raise DatasetError(f"<upload>: {size:,} bytes is over the limit of {MAX_UPLOAD_BYTES:,} bytes")
                items, name = load_dataset(Path(upload).read_bytes(), max_bytes=MAX_UPLOAD_BYTES), Path(upload).name
            else:
                items, name = load_dataset(eval_set), eval_set.name
        except (DatasetError, OSError) as exc:
            return (f"**评测集无法使用**：\n\n```\n{exc}\n```", *empty)
        progress((0, len(items)), desc="评测中")
        try:
            run = runner.run_eval(engine, items, progress=lambda i, n, *_: progress((i, n), desc=f"评测中 {i}/{n}"))
            out = Path(tempfile.mkdtemp(dir=workdir))
            report = getattr(run, "report_markdown", None)
            if not isinstance(report, str):
                report = runner.report_markdown([run], dataset=name) if hasattr(runner, "report_markdown") else ""
            chart = getattr(run, "chart_path", None)
            if not chart and hasattr(runner, "write_chart"):
                runner.write_chart([run], out / "metrics.png")
                chart = out / "metrics.png"
        except Exception as exc:  # noqa: BLE001
            log.exception("eval failed")
            return (f"**评测运行失败：**{render.esc(exc)}", *empty)
        summary = {k: v for k, v in (run.summary or {}).items() if k != "failures"}
        metrics = pd.DataFrame(render.metric_rows(summary), columns=["指标", "值"])
        headers, rows = render.failure_rows(run)
        failures = pd.DataFrame(rows, columns=headers) if headers else None
        return (f"已评测 {len(items)} 个问题（{render.esc(name)}），失败 {len(rows)} 个。",
                metrics, str(chart) if chart else None, failures, report)

    with gr.Blocks(title="天津市2020年知识产权工作报告问答", analytics_enabled=False) as demo:
        gr.Markdown("## 天津市2020年知识产权工作报告 · 问答\n用中文提问，回答给出报告原文中的数字、原句和编号出处；报告没写的会直接说明。")
        with gr.Tab("问答"):
            history = gr.State([])
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(label="对话", height=560, render_markdown=False, sanitize_html=True,
                                         allow_tags=False, feedback_options=None, buttons=["copy"],
                                         placeholder="请在下方输入关于报告的问题，或点击示例问题。", elem_id="qa-chat")
                    with gr.Row():
                        question = gr.Textbox(placeholder="例如：海关扣留了多少侵权货物？", show_label=False, scale=5,
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
            gr.Markdown(f"运行内置评测集（`eval/qa.jsonl`），或上传自己的 JSONL 评测集（不超过 {MAX_UPLOAD_BYTES // 1_000_000} MB）。")
            upload = gr.File(label="上传 JSONL（可选）", file_types=[".jsonl", ".json", ".txt"], type="filepath")
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
        with gr.Tab("关于"):
            gr.Markdown(about_markdown(engine))
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    return demo


def port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: TIME_WAIT is not "taken"
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    from index.settings import add_common_args

    parser = argparse.ArgumentParser(description="天津市2020年知识产权工作报告问答 (web app)")
    add_common_args(parser, os.environ)
    parser.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)
    user, password = os.environ.get("IPQA_AUTH_USER", ""), os.environ.get("IPQA_AUTH_PASSWORD", "")
    if bool(user) != bool(password):
        print("error: set both IPQA_AUTH_USER and IPQA_AUTH_PASSWORD for basic auth, or neither", file=sys.stderr)
        return 2
    taken = f"error: port {args.port} on {args.host} is already in use; stop the other server or pass --port N"
    if not port_free(args.host, args.port):
        print(taken, file=sys.stderr)
        return 2
    from qa.engine import EngineConfig, QAEngine

    engine = QAEngine(EngineConfig(corpus=args.corpus, cache_dir=args.cache_dir, model=args.model,
                                   chunk_size=args.chunk_size, progress=True))
    try:
        engine.warm_up()  # builds the model and the index on first run (progress in the terminal); loads once
        started = time.perf_counter()
        engine.ask(EXAMPLES[0])  # loads the embedding model and tokenizers now, not on the first user's question
        log.info("engine ready (warm-up question answered in %.1f s)", time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001
        print(f"error: cannot load the engine: {exc}", file=sys.stderr)
        return 1
    demo = create_app(engine)
    try:
        demo.launch(server_name=args.host, server_port=args.port, auth=(user, password) if user else None,
                    css=CSS, max_file_size=MAX_UPLOAD_BYTES, show_error=False, footer_links=["api"])
    except OSError as exc:
        print(f"{taken} ({exc})", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
