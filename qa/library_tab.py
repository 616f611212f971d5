"""The 报告库 tab of the web page: upload a report, list the reports, remove one. UI only.

An upload is checked for size before it is read, read once into memory and its temporary
file deleted; the type is read from the content and must agree with the name (index/loaders.py).
The library keeps its own read-only copy under the cache (index/library.py); nothing here
executes a file or serves one back. Answers come from qa.library_engine.LibraryEngine.

>>> parse_year(" 2021 "), parse_year("")
(2021, None)
>>> user_message(ValueError("year=1 is out of range"))
'无法添加这个文件：请确认它是 PDF、DOCX 文档、HTML 网页或 TXT 文本格式的报告，再重新上传。'
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

log = logging.getLogger("ipqa.app")
# The page's upload cap for reports (the command line takes up to 50 MiB): half of what qa.guard lets
# one client upload in 10 minutes, so a refused upload can be tried again.
MAX_REPORT_BYTES = 10_000_000
REPORT_TYPES = [".pdf", ".docx", ".html", ".htm", ".txt"]
COLUMNS = ["标题", "年份", "地区", "发布单位", "格式", "状态", "添加时间"]
_CJK = re.compile(r"[\u4e00-\u9fff]")


def parse_year(text: str | None) -> int | None:
    """The year typed in the form (None when left empty)."""
    text = (text or "").strip()
    if not text:
        return None
    if not re.fullmatch(r"(?:19|20)\d{2}", text):
        raise ValueError(f"年份“{text[:10]}”无法识别：请填四位数字，例如 2021，或留空由系统从报告中读取。")
    return int(text)


def user_message(exc: Exception) -> str:
    """A refusal as the page shows it: the loader's own Chinese message, else a general one."""
    message = str(exc)
    if _CJK.search(message):
        return message
    return "无法添加这个文件：请确认它是 PDF、DOCX 文档、HTML 网页或 TXT 文本格式的报告，再重新上传。"


def read_upload(path: str, limit: int = MAX_REPORT_BYTES) -> tuple[bytes, str]:
    """The uploaded file's bytes and name, size checked first; the temporary file is deleted either way."""
    try:
        size = os.path.getsize(path)
        if size > limit:
            raise ValueError(f"文件有 {size / 1_000_000:.1f} MB，超过网页上传的上限 {limit // 1_000_000} MB："
                             "请压缩其中的图片，或在服务器上用 python -m index add 添加。")
        return Path(path).read_bytes(), Path(path).name
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass


def report_rows(records) -> list[list]:
    """The catalogue as the page lists it (ids are for the command line: `python -m index list`)."""
    return [[r.title + ("（默认）" if r.builtin else ""), r.year or "", r.place or "", r.issuer or "",
             r.source_kind.upper(), {"live": "可用", "error": "出错"}.get(r.status, r.status),
             (r.added_at or "")[:16].replace("T", " ")]
            for r in records]


def removable(records) -> list[tuple[str, str]]:
    """(label, id) of every report but the default."""
    return [(f"《{r.title}》（{r.year or '年份不详'}）", r.id) for r in records if not r.builtin]


def build_library_tab(engine) -> None:
    """The 报告库 tab, inside the caller's gr.Blocks; `engine` is a LibraryEngine."""
    import gradio as gr
    import pandas as pd

    def listing():
        records = engine.records()
        table = pd.DataFrame(report_rows(records), columns=COLUMNS)
        choices = removable(records)
        return table, gr.update(choices=choices, value=None), f"报告库中共有 {len(records)} 份报告。"

    def add_report(upload, title, year, place, progress=gr.Progress(track_tqdm=True)):
        if not upload:
            return ("请先选择要上传的报告文件（PDF、DOCX、HTML 或 TXT，不超过 "
                    f"{MAX_REPORT_BYTES // 1_000_000} MB）。", gr.skip(), gr.skip(), gr.skip(), None)
        try:
            data, name = read_upload(upload)
            record = engine.add(data, name, progress=True, stage=lambda f, what: progress(f, desc=what),
                                title=(title or "").strip() or None, year=parse_year(year),
                                place=(place or "").strip() or None)
        except ValueError as exc:  # the file or the form: the user can fix it
            log.info("report upload refused: %s", str(exc)[:300])
            return (f"**未能添加**：{user_message(exc)}", gr.skip(), gr.skip(), gr.skip(), None)
        except Exception:  # noqa: BLE001 — a bug: traceback in the log, a plain message on the page
            log.exception("adding a report failed")
            return ("**添加失败**：内部错误，报告库没有改动；请稍后再试，或查看服务器日志。", gr.skip(), gr.skip(),
                    gr.skip(), None)
        progress(1.0, desc="完成")
        table, choices, count = listing()
        where = "、".join(str(x) for x in (record.year and f"{record.year}年", record.place) if x)
        hint = f"例如：“{record.year}年……是多少？”" if record.year else "问题中写明报告名称、年份或地区可以只问这一份。"
        return (f"已添加《{record.title}》{f'（{where}）' if where else ''}。现在可以在「问答」中提问，{hint}",
                table, choices, count, None)

    def remove_report(report_id):
        if not report_id:
            return "请先在下拉框中选择要删除的报告。", gr.skip(), gr.skip(), gr.skip()
        try:
            record = engine.remove(report_id)
        except ValueError as exc:  # the default report, or one already removed in another window
            why = str(exc) if _CJK.search(str(exc)) else "这份报告不能删除（默认报告始终保留），或已被删除；请刷新页面后重新选择。"
            return f"**未能删除**：{why}", gr.skip(), gr.skip(), gr.skip()
        table, choices, count = listing()
        return f"已删除《{record.title}》，其余报告不受影响。", table, choices, count

    with gr.Tab("报告库") as tab:
        gr.Markdown("上传报告（PDF、DOCX 文档、HTML 网页或 TXT 文本，不超过 "
                    f"{MAX_REPORT_BYTES // 1_000_000} MB；扫描件没有文字层，无法识别）。标题、年份和地区会从报告中读取，"
                    "也可以在下面填写。添加后，「问答」会同时检索所有报告，回答注明出自哪一份报告。")
        with gr.Row():
            upload = gr.File(label="选择报告文件", file_types=REPORT_TYPES, type="filepath", elem_id="lib-upload")
            with gr.Column():
                title = gr.Textbox(label="标题（可选）", max_lines=1, max_length=200)
                with gr.Row():
                    year = gr.Textbox(label="年份（可选）", max_lines=1, max_length=10, placeholder="例如 2021")
                    place = gr.Textbox(label="地区（可选）", max_lines=1, max_length=40, placeholder="例如 北京市")
        add_btn = gr.Button("添加到报告库", variant="primary", elem_id="lib-add")
        status = gr.Markdown(elem_id="lib-status")
        records = engine.records()
        count = gr.Markdown(f"报告库中共有 {len(records)} 份报告。", elem_id="lib-count")
        table = gr.Dataframe(pd.DataFrame(report_rows(records), columns=COLUMNS), interactive=False, wrap=True,
                             elem_id="lib-table")
        with gr.Row():
            pick = gr.Dropdown(removable(records), value=None, label="要删除的报告", elem_id="lib-pick")
            remove_btn = gr.Button("删除所选报告", variant="stop", elem_id="lib-remove")
        add_btn.click(add_report, [upload, title, year, place], [status, table, pick, count, upload],
                      api_visibility="private", concurrency_limit=1, concurrency_id="library")
        remove_btn.click(remove_report, [pick], [status, table, pick, count], api_visibility="private",
                         concurrency_limit=1, concurrency_id="library")
        tab.select(listing, None, [table, pick, count], api_visibility="private", queue=False)
