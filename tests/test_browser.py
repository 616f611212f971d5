"""The chat in a real browser: headless chromium driven by Playwright, real engine.

Playwright cannot download its own browser here, so the Debian chromium is used
(installed on first run when we are root). Set IPQA_DOCS_SCREENSHOT=1 to also
refresh docs/screenshot-chat.png.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

import app

pytestmark = [pytest.mark.integration, pytest.mark.browser]

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "data" / "tianjin-ip-2020.txt"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ANSWER_TIMEOUT_MS = 60_000
ANSWERS = "#qa-chat .qa-answer, #qa-chat .qa-error"


def _apt_install(*packages: str) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update"], check=True, capture_output=True, timeout=600, env=env)
    subprocess.run(["apt-get", "install", "-y", *packages], check=True, capture_output=True, timeout=1200, env=env)


@pytest.fixture(scope="session")
def chromium() -> str:
    pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        if not hasattr(os, "geteuid") or os.geteuid() != 0:
            pytest.skip(f"{CHROMIUM} is missing and we are not root: install it with `apt-get install -y chromium`")
        _apt_install("chromium")
    has_cjk = shutil.which("fc-list") and subprocess.run(["fc-list", ":lang=zh"], capture_output=True,
                                                         text=True).stdout.strip()
    if not has_cjk and hasattr(os, "geteuid") and os.geteuid() == 0:
        try:  # only for readable screenshots; the assertions read the DOM
            _apt_install("fonts-noto-cjk")
        except (subprocess.SubprocessError, OSError):
            pass
    return CHROMIUM


@pytest.fixture(scope="session")
def engine(real_engine):
    real_engine.ask("预热")  # load the embedding model now, so the timings below are what a user sees
    return real_engine


@pytest.fixture(scope="module")
def url(engine):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    demo = app.create_app(engine)
    app.launch(demo, prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True)
    yield demo.local_url
    demo.close()


@pytest.fixture
def page(chromium, url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        page.dialogs = []
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(url)
        page.wait_for_selector("#qa-question textarea", timeout=ANSWER_TIMEOUT_MS)
        yield page
        browser.close()


def ask(page, question: str) -> float:
    """Type a question, send it, wait until the streamed answer is complete; seconds taken."""
    before = page.locator(ANSWERS).count()
    started = time.perf_counter()
    page.fill("#qa-question textarea", question)
    page.click("#qa-send")
    page.wait_for_function(
        f"document.querySelectorAll('{ANSWERS}').length > {before}"
        " && !document.querySelector('#qa-chat .qa-pending')"
        " && document.querySelector('#qa-sources .qa-hit, #qa-sources .qa-panel')",
        timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_timeout(400)  # the last streamed block and the sources panel
    return time.perf_counter() - started


def test_chat_answers_with_figure_and_citations(page, tmp_path):
    seconds = ask(page, "公安机关抓获了多少名犯罪嫌疑人？")
    answer = page.locator("#qa-chat .qa-answer").last
    assert "564名" in answer.locator(".qa-short").inner_text()
    assert answer.locator(".qa-sentence mark").first.inner_text() == "564名"
    summary = answer.locator("details summary").first
    assert "[1]" in summary.inner_text() and "第二部分" in summary.inner_text()
    summary.click()
    passage = answer.locator("details blockquote").first
    passage.wait_for(state="visible")
    assert "564名" in passage.locator("mark").first.inner_text()
    assert "相关度" in page.locator("#qa-sources").inner_text()
    page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)
    print(f"first answer in the browser: {seconds:.2f} s")
    assert seconds < 30

    if os.environ.get("IPQA_DOCS_SCREENSHOT"):
        (REPO / "docs").mkdir(exist_ok=True)
        page.screenshot(path=str(REPO / "docs" / "screenshot-chat.png"))


def test_follow_up_and_refusal(page):
    ask(page, "公安机关抓获了多少名犯罪嫌疑人？")
    ask(page, "那涉案金额呢？")
    assert "3.1亿元" in page.locator("#qa-chat .qa-answer").last.inner_text()
    ask(page, "北京市的专利数量是多少？")
    last = page.locator("#qa-chat .qa-answer").last
    assert last.locator(".qa-refusal").count() == 1 and "报告中没有找到" in last.inner_text()
    assert last.locator("details").count() >= 1  # related passages are still shown


def test_script_question_is_shown_as_text(page, tmp_path):
    for attack in ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>"):
        ask(page, attack)
        assert attack in page.locator("#qa-chat .qa-user").last.inner_text()
    page.wait_for_timeout(500)
    assert page.dialogs == []
    assert page.locator("#qa-chat script").count() == 0
    assert page.locator("#qa-chat img[src='x']").count() == 0
    page.screenshot(path=str(tmp_path / "xss.png"), full_page=True)


def test_example_button_and_clear(page):
    page.get_by_role("button", name="海关扣了多少货？").click()
    page.wait_for_selector("#qa-chat .qa-answer", timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_function("!document.querySelector('#qa-chat .qa-pending')", timeout=ANSWER_TIMEOUT_MS)
    assert "海关扣了多少货？" in page.locator("#qa-chat .qa-user").last.inner_text()
    # the answer's sources come in the answer's last message: clear only once it has arrived (clearing before
    # it lets that message bring the sources back; noted as a known race in issue 12's note)
    page.wait_for_function("!document.querySelector('#qa-sources').innerText.includes('提问后')",
                           timeout=ANSWER_TIMEOUT_MS)
    page.click("#qa-clear")
    page.wait_for_function("document.querySelectorAll('#qa-chat .qa-answer').length === 0", timeout=10_000)
    # the sources panel is a second output of the same event; the browser may paint it a frame later
    page.wait_for_function("document.querySelector('#qa-sources').innerText.includes('提问后')", timeout=10_000)
    assert "提问后" in page.locator("#qa-sources").inner_text()


# -- no English on the page --------------------------------------------------------------------------

# Words a Chinese user may see: acronyms the report itself uses, formats, and the model's name.
LATIN_ALLOWED = {"API", "CSV", "PCT", "IP", "JSON", "JSONL", "jsonl", "SHA", "ONNX", "KB", "MB", "OpenAI", "Gradio",
                 "intfloat", "multilingual", "small"}
TABS = ("问答", "事实表", "评测", "关于")
VISIBLE_TEXT = """() => {
  const skip = new Set(["SCRIPT", "STYLE", "CODE", "PRE", "NOSCRIPT", "TEMPLATE", "TITLE", "DEFS"]);
  const out = [];
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) { out.push(node.textContent); return; }
    if (node.nodeType !== Node.ELEMENT_NODE || skip.has(node.tagName.toUpperCase())) return;
    const style = getComputedStyle(node);
    if (style.display === "none" || style.visibility === "hidden") return;
    for (const child of node.childNodes) walk(child);
  };
  walk(document.body);
  return out.join(" ");
}"""


def latin_words(text: str) -> set[str]:
    """Words of two or more Latin letters (f029, int8 or a unit letter are not words)."""
    return {w for w in re.findall(r"(?<![A-Za-z0-9])[A-Za-z]{2,}(?![A-Za-z0-9])", text) if w not in LATIN_ALLOWED}


def run_uploaded_eval(page, tmp_path) -> None:
    """Upload a small eval set with one failure and run it: metrics, failures and the report are on the page."""
    data = tmp_path / "三题.jsonl"  # the user's file name is shown: Chinese, with its extension
    data.write_text('{"id": "a", "question": "抓获几名？", "answers": ["564名"], "evidence": "564名", "kind": "figure"}\n'
                    '{"id": "b", "question": "北京？", "answers": [], "evidence": "", "kind": "unanswerable"}\n'
                    '{"id": "c", "question": "多少起？", "answers": ["425起"], "evidence": "425起", "kind": "figure"}\n',
                    encoding="utf-8")
    page.get_by_role("tab", name="评测").click()
    page.locator("#qa-eval-upload input[type=file]").set_input_files(str(data))
    page.wait_for_timeout(1000)
    page.get_by_role("button", name="运行评测").click()
    page.get_by_text("已评测 3 个问题").wait_for(timeout=ANSWER_TIMEOUT_MS)
    page.get_by_text("完整报告").click()  # open the accordion: the report's text is scanned too
    page.wait_for_timeout(800)


def test_every_tab_is_chinese(page, tmp_path):
    """Each tab's rendered text (code samples aside) has no Latin word outside the allow-list, with a
    refusal, the empty-question hint and the results of an uploaded eval set on the page."""
    ask(page, "北京市的专利数量是多少？")  # a refusal and its related passages are on the page too
    page.click("#qa-send")  # an empty question gets a visible hint, in Chinese
    page.wait_for_selector("#qa-chat .qa-hint", timeout=10_000)
    run_uploaded_eval(page, tmp_path)
    found = {}
    for tab in TABS:
        page.get_by_role("tab", name=tab).click()
        page.wait_for_timeout(800)
        words = latin_words(page.evaluate(VISIBLE_TEXT))
        if words:
            found[tab] = sorted(words)
    assert found == {}
