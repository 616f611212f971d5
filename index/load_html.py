"""HTML -> report text with trafilatura: the main text of the page, without menus, footers or scripts.

Scripts never run: trafilatura parses the markup with lxml and keeps text only. The
page's own encoding (``<meta charset="gb2312">`` and the like) is honoured.

>>> page = ("<html><head><title>某市2021年工作报告</title></head><body><div>首页 | 政务公开</div>"
...         "<article><h2>一、总体情况</h2><p>全市办结案件12件。</p></article></body></html>")
>>> got = html_to_text(page.encode("utf-8"))
>>> got.text, got.title_hint
('一、总体情况\\n全市办结案件12件。\\n', '某市2021年工作报告')
"""

from __future__ import annotations

import re

from index.sourcetypes import Extracted, LoaderError


def _config():
    from trafilatura.settings import use_config

    config = use_config()
    # A short report page is still a report: without these, trafilatura falls back to a
    # recall-oriented extractor on small pages, and that one keeps the menus.
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "1")
    config.set("DEFAULT", "MIN_OUTPUT_SIZE", "1")
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")  # its timeout uses signals, which only work in the main thread
    return config


def html_to_text(data: bytes) -> Extracted:
    """Extract the main text of an HTML page; `LoaderError` (Chinese, one line) when there is none."""
    import trafilatura

    try:
        result = trafilatura.bare_extraction(data, with_metadata=True, include_tables=True, include_comments=False,
                                             include_images=False, include_links=False, config=_config())
    except Exception as exc:  # lxml on hostile markup can raise many types  # noqa: BLE001
        raise LoaderError(f"网页无法解析（{exc.__class__.__name__}）：请在浏览器中另存为 .html 或复制正文为 .txt 后再添加") from None
    text = (getattr(result, "text", None) or "") if result is not None else ""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line and not re.fullmatch(r"[|｜]+", line)]
    if not lines:
        raise LoaderError("网页里没有找到正文：请在浏览器中复制报告正文，存为 .txt 后再添加")
    title = (getattr(result, "title", None) or "").strip()
    return Extracted(text="\n".join(lines) + "\n", kind="html", title_hint=title, notes=(f"{len(lines)} 段",))
