"""The 评测 tab in Chinese: metric names, failure rows, upload errors and the chart (no Gradio, no model).

The eval harness (eval/) speaks English in its summary keys, reasons and dataset errors; this module
translates what it knows and leaves anything new readable rather than dropping it.

>>> metric_rows({"overall": {"accuracy": 0.5, "figure_accuracy": None}, "retrieval": {"hit@3": 1.0}})
[['总体 · 准确率', '0.5000'], ['总体 · 数字题准确率', '—'], ['检索 · 前3命中率', '1.0000']]
>>> reason_zh("refused an answerable question")
'可答的问题被拒答'
>>> dataset_error_zh("line 2: not valid JSON (Expecting value)")
'第 2 行：不是有效的 JSON'
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any


NONE = "—"
METRIC_WORDS = {
    "n": "题数", "overall": "总体", "by_kind": "按题型", "figure": "数字题", "text": "文字题", "unanswerable": "无答案题",
    "followup": "追问", "refusal": "拒答", "latency_ms": "耗时（毫秒）", "retrieval": "检索", "correct": "答对",
    "accuracy": "准确率", "figure_accuracy": "数字题准确率", "text_accuracy": "文字题准确率",
    "citation_accuracy": "引用准确率", "refusal_accuracy": "拒答准确率", "answerable": "可答题",
    "refused": "拒答数", "true_refusals": "正确拒答", "false_refusals": "误拒答", "false_answers": "误作答",
    "precision": "精确率", "recall": "召回率", "false_refusal_rate": "误拒率", "false_answer_rate": "误答率",
    "p50": "中位数", "p95": "95分位", "p99": "99分位", "mean": "平均", "max": "最大", "mrr": "平均倒数排名",
    "by_style": "按风格", "by_tag": "按标签", "style": "风格", "tags": "标签",
}
_HIT = re.compile(r"hit@(\d+)")
REASONS = (
    (re.compile(r"too many figures: (\d+) for (\d+) gold.*"), r"数字过多：给出 \1 个，标准答案 \2 个"),
    (re.compile(r"figure (.+) not among answer figures.*"), r"回答的数字中没有 \1"),
    (re.compile(r"figure (.+) not in answer text"), r"回答文字中没有 \1"),
    (re.compile(r"text (.+) not in answer"), r"回答中没有 \1"),
    (re.compile(r"answered an unanswerable question"), "无答案的问题却作答了"),
    (re.compile(r"refused an answerable question"), "可答的问题被拒答"),
    (re.compile(r"evidence (.+) not in top (\d+) citations"), r"前 \2 条引用中没有证据 \1"),
)
DATASET_ERRORS = (
    (re.compile(r"not valid JSON"), "不是有效的 JSON"),
    (re.compile(r"not (valid )?UTF-8|decode", re.I), "不是 UTF-8 编码"),
    (re.compile(r"over the limit"), "文件超过大小上限"),
    (re.compile(r"'kind' must be one of"), "kind 字段应为 figure、text 或 unanswerable"),
    (re.compile(r"missing|required", re.I), "缺少必填字段（id、question、answers、evidence、kind）"),
    (re.compile(r"duplicate", re.I), "编号重复"),
    (re.compile(r"empty|no questions", re.I), "文件中没有问题"),
)


def metric_name(key: str) -> str:
    """'by_kind.figure.accuracy' -> '按题型 · 数字题 · 准确率' (unknown words kept as they are)."""
    words = []
    for part in key.split("."):
        hit = _HIT.fullmatch(part)
        words.append(f"前{hit.group(1)}命中率" if hit else METRIC_WORDS.get(part, part))
    return " · ".join(words)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "_asdict"):
        return value._asdict()
    return value


def _cell(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return NONE
    if isinstance(value, (list, tuple)):
        return "；".join(_cell(x) for x in value)
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def metric_rows(summary: Mapping[str, Any] | None, prefix: str = "") -> list[list[str]]:
    """Flatten a (possibly nested) summary dict to [指标, 值] rows; floats to 4 places, None as —."""
    rows = []
    for key, value in (_plain(summary) or {}).items():
        name = f"{prefix}{key}"
        value = _plain(value)
        if isinstance(value, Mapping):
            rows += metric_rows(value, prefix=name + ".")
        else:
            rows.append([metric_name(name), _cell(value)])
    return rows


def reason_zh(reason: str) -> str:
    for pattern, replacement in REASONS:
        if pattern.fullmatch(reason):
            return pattern.sub(replacement, reason)
    return reason


def dataset_error_zh(message: str) -> str:
    """A DatasetError in Chinese: the line number and what is wrong."""
    line = re.search(r"line (\d+)", message)
    what = next((zh for pattern, zh in DATASET_ERRORS if pattern.search(message)), "格式不符合要求")
    return f"第 {line.group(1)} 行：{what}" if line else what


def record_rows(records: Iterable[Any]) -> tuple[list[str], list[list[str]]]:
    """Headers and rows for a list of dicts / dataclasses (e.g. the failed questions)."""
    dicts = [_plain(r) if not isinstance(_plain(r), str) else {"问题": r} for r in records or ()]
    dicts = [d if isinstance(d, Mapping) else {"值": d} for d in dicts]
    headers: list[str] = []
    for d in dicts:
        headers += [k for k in d if k not in headers]
    return [metric_name(h) for h in headers], [[_cell(d.get(h)) for h in headers] for d in dicts]


FAILURE_COLUMNS = ("编号", "题型", "问题", "标准答案", "系统回答", "原因")
ITEM_KINDS = {"figure": "数字题", "text": "文字题", "unanswerable": "无答案题"}


def _field(row: Any, name: str, default: Any = "") -> Any:
    value = row.get(name, default) if isinstance(row, Mapping) else getattr(row, name, default)
    return default if value is None else value


def failure_rows(run: Any) -> tuple[list[str], list[list[str]]]:
    """The failed questions of an eval run, from its items/scores/answers when it has them."""
    items, scores, answers = (getattr(run, name, None) for name in ("items", "scores", "answers"))
    if items and scores and answers:
        by_id = {getattr(it, "id", None): it for it in items}
        rows = []
        for score, answer in zip(scores, answers):
            if _field(score, "correct", False) and _field(score, "citation_ok", None) is not False:
                continue
            item = by_id.get(_field(score, "id"))
            expected = "；".join(getattr(item, "answers", ()) or ()) or "（应拒答）"
            kind = str(_field(score, "kind"))
            rows.append([str(_field(score, "id")), ITEM_KINDS.get(kind, kind), str(getattr(item, "question", "")),
                         expected, str(_field(answer, "short_answer")),
                         "；".join(reason_zh(str(r)) for r in _field(score, "reasons", ()) or ())])
        return list(FAILURE_COLUMNS), rows
    failures = getattr(run, "failures", None)
    if failures is None:
        failures = (_field(getattr(run, "summary", None) or {}, "failures", None) or [])
    return record_rows(failures)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]#+!|])")


def _md(text: Any) -> str:
    """User text (an uploaded question) as literal Markdown: HTML escaped, Markdown's specials backslashed."""
    import html

    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False)).replace("\n", " ")


def report_markdown(run: Any, *, dataset: str) -> str:
    """The page's 完整报告: the main metrics and every question not answered right, in Chinese.

    (eval/runner.py writes the developers' English report; this is the one a user of the page reads.)"""
    summary = _plain(getattr(run, "summary", None)) or {}
    count = (summary.get("overall") or {}).get("n")
    lines = [f"### 评测报告：{_md(dataset)}", "", f"共 {count if count is not None else NONE} 个问题。", "",
             "| 指标 | 值 |", "|---|---|"]
    for group, key in (*CHART_METRICS, ("latency_ms", "p50"), ("latency_ms", "p95")):
        lines.append(f"| {metric_name(f'{group}.{key}')} | {_cell((summary.get(group) or {}).get(key))} |")
    headers, rows = failure_rows(run)
    lines += ["", f"#### 未答对的问题（{len(rows)} 个）", ""]
    for row in rows:
        cells = dict(zip(headers, row))
        if set(FAILURE_COLUMNS) <= cells.keys():
            lines.append(f"- **{_md(cells['编号'])}**（{cells['题型']}）{_md(cells['问题'])} —— 标准答案："
                         f"{_md(cells['标准答案'])}；系统回答：{_md(cells['系统回答'])}；原因：{_md(cells['原因'])}")
        else:
            lines.append("- " + "；".join(f"{_md(h)}：{_md(v)}" for h, v in cells.items()))
    return "\n".join(lines) + "\n"


CHART_METRICS = (("overall", "accuracy"), ("overall", "figure_accuracy"), ("overall", "text_accuracy"),
                 ("overall", "citation_accuracy"), ("refusal", "recall"), ("refusal", "false_refusal_rate"),
                 ("retrieval", "hit@3"), ("retrieval", "mrr"))
CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
             "SimHei", "Microsoft YaHei", "DejaVu Sans"]


FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")


def cjk_font_files() -> list[Path]:
    """CJK font files installed on the machine (e.g. Debian's fonts-noto-cjk .ttc collections)."""
    found = []
    for folder in FONT_DIRS:
        if folder.is_dir():
            found += [p for p in folder.rglob("*") if p.suffix.lower() in (".ttc", ".ttf", ".otf")
                      and any(k in p.name.lower() for k in ("cjk", "wqy", "wenquanyi", "simhei", "yahei"))]
    return sorted(found)


def _register_cjk_fonts() -> None:
    """matplotlib's font list skips .ttc collections: add them, so that the labels are not empty boxes."""
    from matplotlib import font_manager

    known = {f.fname for f in font_manager.fontManager.ttflist}
    for path in cjk_font_files():
        if str(path) not in known:
            try:
                font_manager.fontManager.addfont(str(path))
            except (OSError, RuntimeError, ValueError):
                pass


def write_chart(summary: Mapping[str, Any], path: Path) -> Path | None:
    """A bar chart of the main metrics with Chinese labels; None when there is nothing to draw."""
    values = [(f"拒答{METRIC_WORDS[k]}" if k in ("recall", "precision") else metric_name(k),
               (summary.get(g) or {}).get(k)) for g, k in CHART_METRICS]
    values = [(name, v) for name, v in values if isinstance(v, (int, float))]
    if not values:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _register_cjk_fonts()
    with plt.rc_context({"font.sans-serif": CJK_FONTS, "font.family": "sans-serif", "axes.unicode_minus": False}):
        fig, ax = plt.subplots(figsize=(8, 3.6), dpi=100)
        bars = ax.bar([n for n, _ in values], [v for _, v in values], color="#4e79a7")
        ax.bar_label(bars, labels=[f"{v:.3f}" for _, v in values], fontsize=8)
        ax.set_ylim(0, 1.1)
        ax.set_ylabel("比例")
        ax.set_title("评测指标")
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)
    return Path(path)
