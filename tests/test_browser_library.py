"""The 报告库 tab in a real browser: upload a PDF built here, watch it build, ask about it, remove it.

Headless Debian chromium driven by Playwright, as tests/test_browser.py; the real model (fp32),
a library of its own under the session's model cache.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

import app
from qa.engine import EngineConfig
from qa.library_engine import open_library
from tests.conftest import CORPUS
from tests.docmaker import make_pdf
from tests.test_browser import ANSWER_TIMEOUT_MS, CHROMIUM_ARGS, VISIBLE_TEXT, ask, chromium, latin_words  # noqa: F401
from tests.test_loaders import REPORT

pytestmark = [pytest.mark.integration, pytest.mark.browser]
REPO = Path(__file__).resolve().parent.parent
FORMATS = {"PDF", "DOCX", "HTML", "TXT"}  # the file types, as the tab names them


@pytest.fixture(scope="module")
def library_url(real_cache, real_embedder):
    engine = open_library(EngineConfig(corpus=CORPUS, cache_dir=real_cache), embedder=real_embedder,
                          folder=f"library-browser-{uuid.uuid4().hex[:8]}")
    engine.warm_up()
    demo = app.create_app(engine)
    app.launch(demo, prevent_thread_lock=True, server_name="127.0.0.1", server_port=_port(), quiet=True)
    yield demo.local_url
    demo.close()


def _port() -> int:
    from tests.conftest import free_port

    return free_port()


@pytest.fixture
def page(chromium, library_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        page.goto(library_url)
        page.wait_for_selector("#qa-question textarea", timeout=ANSWER_TIMEOUT_MS)
        yield page
        browser.close()


def test_upload_a_report_on_the_library_tab_and_ask_about_it(page, tmp_path):
    pdf = tmp_path / "beijing-2021.pdf"
    pdf.write_bytes(make_pdf(REPORT, header="内部资料", lines_per_page=6))
    page.get_by_role("tab", name="报告库").click()
    page.wait_for_selector("#lib-table", timeout=10_000)
    assert "天津市2020年知识产权工作报告（默认）" in page.locator("#lib-table").inner_text()
    assert latin_words(page.evaluate(VISIBLE_TEXT)) <= FORMATS
    page.set_input_files("#lib-upload input[type=file]", str(pdf))
    page.wait_for_timeout(1000)  # the upload reaches the server
    page.click("#lib-add")
    # the progress bar names the stage while the report is built
    page.wait_for_function("document.body.innerText.includes('建立索引') || document.body.innerText.includes('已添加')",
                           timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_function("document.querySelector('#lib-status').innerText.includes('已添加')", timeout=120_000)
    assert "《北京市2021年知识产权工作报告》" in page.locator("#lib-status").inner_text()
    assert "北京市2021年知识产权工作报告" in page.locator("#lib-table").inner_text()
    assert "报告库中共有 2 份报告" in page.locator("#lib-count").inner_text()
    page.screenshot(path=str(tmp_path / "library.png"), full_page=True)

    page.get_by_role("tab", name="问答").click()
    ask(page, "北京市发明专利授权量是多少？")
    answer = page.locator("#qa-chat .qa-answer").last
    assert "7.9万件" in answer.locator(".qa-short").inner_text()
    assert "《北京市2021年知识产权工作报告》" in answer.locator(".qa-reports").inner_text()
    assert "《北京市2021年知识产权工作报告》" in answer.locator("details summary").first.inner_text()
    ask(page, "公安机关抓获了多少名犯罪嫌疑人？")  # both reports say: a row for each, labelled
    rows = page.locator("#qa-chat .qa-answer").last.locator(".qa-short").inner_text()
    assert "564名" in rows and "602名" in rows and "2020年" in rows and "2021年" in rows
    if os.environ.get("IPQA_DOCS_SCREENSHOT"):
        page.screenshot(path=str(REPO / "docs" / "screenshot-library.png"))

    page.get_by_role("tab", name="报告库").click()
    page.locator("#lib-pick input").click()
    page.locator("#lib-pick li", has_text="北京市2021年知识产权工作报告").first.click()
    page.click("#lib-remove")
    page.wait_for_function("document.querySelector('#lib-status').innerText.includes('已删除')", timeout=30_000)
    assert "北京市2021年知识产权工作报告" not in page.locator("#lib-table").inner_text()
