"""qa.render: HTML for answers, sources and tables (pure functions, no model)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import SimpleNamespace

from qa import render, render_eval
from qa.answering import AnswerFigure, Citation, compose_found, compose_refusal

PASSAGE = "组织开展专项行动，侦破侵权假冒知识产权犯罪案件425起，抓获犯罪嫌疑人564名，涉案金额累计3.1亿元。"
SENTENCE = PASSAGE
FIG = PASSAGE.index("564名")
XSS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '"><svg onload=alert(1)>']


def cite(number: int, text: str = PASSAGE, highlight=None, score: float = 0.5, paragraph: int = 3) -> Citation:
    return Citation(number, number, 2, "实施最严格知识产权保护", paragraph, text, 100, 100 + len(text), score, highlight)


def found(question: str = "公安机关抓获了多少名犯罪嫌疑人？", notice: str = ""):
    citations = (cite(1, highlight=(FIG, FIG + 4), score=0.8123), cite(2, "检察机关批准逮捕103件179人。", paragraph=5))
    return compose_found(question, (AnswerFigure("f029", "564名", 1),), "564名", SENTENCE, citations, kind="count",
                         notice=notice)


def refusal(question: str = "北京市2020年专利授权量是多少", notice: str = ""):
    related = (cite(1, "2020年，全市有效专利达到24.6万件。", score=1.0), cite(2, "受理专利新申请10.9万件。"))
    return compose_refusal(question, "这份报告只涉及本地区的工作，没有提到“北京市”。", related, kind="count", notice=notice)


def no_raw_tags(html_text: str, *, allowed=("div", "p", "strong", "b", "mark", "details", "summary", "blockquote", "span")) -> bool:
    tags = {t.lower() for t in re.findall(r"</?([a-zA-Z][a-zA-Z0-9]*)", html_text)}
    return tags <= set(allowed)


# -- escaping -----------------------------------------------------------------------------------

def test_user_text_is_escaped():
    for attack in XSS:
        out = render.user_html(attack)
        assert "<script" not in out and "<img" not in out and "<svg" not in out
        assert render.esc(attack) in out


def test_question_echoed_in_a_refusal_is_escaped():
    for attack in XSS:
        out = render.answer_html(refusal(attack))
        assert no_raw_tags(out), out
        assert "&lt;" in out


def test_report_text_is_escaped_too():
    answer = compose_refusal("x", "", (cite(1, "a<b>c</b>&d"),))
    out = render.answer_html(answer)
    assert "a&lt;b&gt;c&lt;/b&gt;&amp;d" in out
    assert no_raw_tags(out)


def test_long_user_text_is_cut_with_a_note():
    out = render.user_html("啊" * 3000)
    assert out.count("啊") < 1100 and "共3000字" in out


def test_error_message_is_friendly_and_escaped():
    assert "出错" in render.error_html()
    assert "&lt;x&gt;" in render.error_html("<x>")


# -- highlighting -------------------------------------------------------------------------------

def test_mark_span_highlights_exact_span():
    out = render.mark_span("抓获犯罪嫌疑人564名。", (7, 11))
    assert re.search(r"<mark[^>]*>564名</mark>", out)
    assert out.startswith("抓获犯罪嫌疑人<mark") and out.endswith("</mark>。")


def test_mark_span_ignores_bad_spans():
    for span in (None, (5, 2), (-1, 3), (0, 99), ("a", "b"), (3,)):
        assert render.mark_span("abcdef", span) == "abcdef"


def test_mark_spans_escapes_inside_and_outside_marks():
    out = render.mark_spans("<a>x<b>", [(3, 4)])
    assert out.startswith("&lt;a&gt;<mark") and "x</mark>&lt;b&gt;" in out


def test_overlapping_spans_are_merged_to_the_first():
    out = render.mark_spans("0123456789", [(2, 5), (3, 7), (8, 9)])
    assert out.count("<mark") == 2


def test_find_spans_prefers_longer_figures():
    assert render.find_spans("增长23.4%和3.4%", ["3.4%", "23.4%"]) == [(2, 7), (8, 12)]


# -- answers ------------------------------------------------------------------------------------

def test_found_answer_order_bold_sentence_citations():
    out = render.answer_html(found())
    short = out.index("<strong>564名</strong>")
    sentence = out.index("原文：")
    first = out.index("<b>[1]</b>")
    second = out.index("<b>[2]</b>")
    assert short < sentence < first < second
    assert "qa-found" in out and "qa-refusal" not in out


def test_found_answer_marks_the_figure_in_the_sentence_and_the_passage():
    out = render.answer_html(found())
    sentence_html = out[out.index("原文："):out.index("qa-sources")]
    assert re.search(r"<mark[^>]*>564名</mark>", sentence_html)
    passage_html = out[out.index("<b>[1]</b>"):out.index("<b>[2]</b>")]
    assert re.search(r"<blockquote[^>]*>.*<mark[^>]*>564名</mark>", passage_html)


def test_citations_expand_to_full_passage_with_section_label():
    out = render.answer_html(found())
    assert out.count("<details") == 2
    assert "第二部分「实施最严格知识产权保护」第3段" in out
    assert "第二部分「实施最严格知识产权保护」第5段" in out
    assert "检察机关批准逮捕103件179人。" in out


def test_citation_without_highlight_marks_answer_figures():
    out = render.citation_html(cite(3, "共抓获564名嫌疑人"), figures=["564名"])
    assert re.search(r"<mark[^>]*>564名</mark>", out) and "<b>[3]</b>" in out


def test_refusal_is_styled_differently_and_keeps_related_passages():
    out = render.answer_html(refusal())
    assert "qa-refused" in out and "qa-refusal" in out and "#fa8c16" in out
    assert "<strong>" not in out and "答：" not in out
    assert "报告中没有找到" in out and "没有提到“北京市”" in out
    assert "以下是报告中最接近的段落" in out
    assert out.count("<details") == 2 and "<b>[1]</b>" in out and "<b>[2]</b>" in out


def test_refusal_without_related_passages():
    out = render.answer_html(compose_refusal("啥", "", ()))
    assert "qa-refusal" in out and "<details" not in out


def test_notice_is_visible_first():
    for answer in (found(notice="问题过长（300字），只按前200字回答。"), refusal(notice="问题过长（300字），只按前200字回答。")):
        parts = render.answer_parts(answer)
        assert "qa-notice" in parts[0] and "问题过长" in parts[0]


def test_answer_parts_stream_in_order():
    parts = render.answer_parts(found())
    assert len(parts) == 3
    assert "qa-short" in parts[0] and "qa-sentence" in parts[1] and "qa-sources" in parts[2]
    partial = render.wrap_answer(parts[:1], found=True)
    assert "564名" in partial and "<details" not in partial


# -- sources panel ------------------------------------------------------------------------------

def test_sources_panel_lists_passages_with_scores():
    out = render.sources_html(found())
    assert "0.812" in out and "<b>[1]</b>" in out and "<b>[2]</b>" in out
    assert re.search(r"<mark[^>]*>564名</mark>", out)
    assert "最接近" in render.sources_html(refusal())


def test_refusal_panel_shows_no_relevance_score():
    out = render.sources_html(refusal())  # its first related passage has score 1.0
    assert "相关度" not in out and "1.000" not in out and "仅供参考" in out
    assert "相关度 0.812" in render.sources_html(found())


def test_two_passages_of_one_paragraph_get_distinct_labels():
    same = (cite(1, "甲段前半。", paragraph=5), cite(2, "甲段后半。", paragraph=5), cite(3, "乙段。", paragraph=6))
    answer = compose_refusal("问题", "", same)
    labels = re.findall(r"<b>\[\d\]</b> ([^<]+?) ?</summary>", render.answer_html(answer))
    assert len(labels) == 3 and len(set(labels)) == 3, labels
    assert labels[0].endswith("（片段1）") and labels[1].endswith("（片段2）") and "片段" not in labels[2]
    panel = render.sources_html(answer)
    assert "第5段（片段1）" in panel and "第5段（片段2）" in panel


def test_refusal_echoes_the_question_with_the_typed_punctuation():
    typed = "北京市的专利数量是多少？"
    answer = compose_refusal("北京市的专利数量是多少?", "", ())  # what the engine read after NFKC
    assert "多少？”" in render.answer_html(answer, typed)
    assert "多少?”" in render.answer_html(answer)  # without the typed text nothing is guessed


def test_sources_panel_empty_states():
    assert "提问后" in render.sources_html(None)
    assert "没有检索到" in render.sources_html(compose_refusal("x", "", ()))


# -- tables -------------------------------------------------------------------------------------

def fact(i, section, kind, subject, year=2020, comparison=None, actor=None):
    return SimpleNamespace(id=f"f{i:03d}", section=section, section_title=f"标题{section}", paragraph=1,
                           sentence=f"{subject}的句子", subject=subject, actor=actor, figure_text=f"{i}件", unit="件",
                           kind=kind, comparison=comparison, year=year)


FACTS = [fact(1, 1, "count", "专利"), fact(2, 2, "money", "罚没款", year=None, actor="市场监管"),
         fact(3, 2, "growth_rate", "专利申请", comparison="同比增长")]


def test_fact_rows_columns_and_missing_values():
    rows = render.fact_rows(FACTS)
    assert len(rows) == 3 and all(len(r) == len(render.FACT_COLUMNS) for r in rows)
    assert rows[1][1] == "第二部分「标题2」第1段" and rows[1][3] == "市场监管" and rows[1][8] == ""
    assert rows[0][3] == "" and rows[0][7] == ""  # None shows as empty, never "None"


def test_fact_filters_and_search():
    sections, kinds = render.fact_filters(FACTS)
    assert sections == ["全部", "第一部分「标题1」", "第二部分「标题2」"]
    assert kinds == ["全部", "增长率", "数量", "金额"]
    rows = render.fact_rows(FACTS)
    assert [r[6] for r in rows] == ["数量", "金额", "增长率"]
    assert len(render.filter_fact_rows(rows, "第二部分「标题2」", "全部", "")) == 2
    assert [r[0] for r in render.filter_fact_rows(rows, "全部", "金额", "")] == ["f002"]
    assert [r[0] for r in render.filter_fact_rows(rows, "全部", "全部", "专利 同比")] == ["f003"]
    assert render.filter_fact_rows(rows, None, None, None) == rows


def test_unknown_fact_kinds_show_in_chinese():
    rows = render.fact_rows([fact(4, 1, "share", "专利"), fact(5, 1, "kind_from_the_future", "专利")])
    assert [r[6] for r in rows] == ["占比", "其他"]
    assert render.fact_filters([fact(5, 1, "kind_from_the_future", "专利")])[1] == ["全部", "其他"]


def test_metric_rows_flatten_nested_summary_in_chinese():
    rows = render_eval.metric_rows({"n": 3, "overall": {"accuracy": 0.5, "figure_accuracy": None},
                                    "latency_ms": {"p50": 12.345}, "retrieval": {"hit@3": 1.0, "mrr": 0.9}})
    assert rows == [["题数", "3"], ["总体 · 准确率", "0.5000"], ["总体 · 数字题准确率", "—"],
                    ["耗时（毫秒） · 中位数", "12.3450"], ["检索 · 前3命中率", "1.0000"], ["检索 · 平均倒数排名", "0.9000"]]


def test_every_metric_of_the_real_summary_is_translated():
    """The keys eval.scoring.summarize writes today: none is left in English."""
    from eval.scoring import summarize

    summary = summarize([], retrieval={"n": 0, "hit@1": None, "hit@3": None, "mrr": None})
    summary.pop("failures")
    latin = [name for name, _ in render_eval.metric_rows(summary) if re.search("[A-Za-z]", name)]
    assert latin == []


def test_dataset_errors_in_chinese_keep_the_line():
    assert render_eval.dataset_error_zh("line 3: not valid JSON (Expecting ',')") == "第 3 行：不是有效的 JSON"
    assert render_eval.dataset_error_zh("line 2: 'kind' must be one of figure, text, unanswerable, got 'x'") == \
        "第 2 行：kind 字段应为 figure、text 或 unanswerable"
    assert render_eval.dataset_error_zh("<upload>: 9 bytes is over the limit of 5 bytes") == "文件超过大小上限"
    assert render_eval.dataset_error_zh("something new") == "格式不符合要求"


def test_chart_has_chinese_labels(tmp_path):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = render_eval.write_chart({"overall": {"accuracy": 0.9}, "retrieval": {"hit@3": 0.95}}, tmp_path / "c.png")
    assert path.is_file() and path.stat().st_size > 1000
    if render_eval.cjk_font_files():  # CI installs fonts-noto-cjk: then every label has its glyphs
        assert not [w for w in caught if "missing from font" in str(w.message)]
    assert render_eval.write_chart({"overall": {"accuracy": None}}, tmp_path / "none.png") is None


@dataclass
class _Score:
    id: str
    kind: str
    correct: bool
    citation_ok: bool | None
    reasons: tuple = ()


@dataclass
class _Run:
    items: list = field(default_factory=list)
    scores: list = field(default_factory=list)
    answers: list = field(default_factory=list)
    summary: dict = field(default_factory=dict)


def test_failure_rows_from_a_run():
    items = [SimpleNamespace(id="q1", question="抓了多少人？", answers=("564名",)),
             SimpleNamespace(id="q2", question="北京？", answers=())]
    scores = [_Score("q1", "figure", False, False, ("wrong figure",)), _Score("q2", "unanswerable", True, None)]
    answers = [SimpleNamespace(short_answer="425起"), SimpleNamespace(short_answer="报告中没有找到")]
    scores[0].reasons = ("refused an answerable question", "something new")
    headers, rows = render_eval.failure_rows(_Run(items, scores, answers))
    assert headers[0] == "编号" and rows == [["q1", "数字题", "抓了多少人？", "564名", "425起",
                                             "可答的问题被拒答；something new"]]


def test_failure_rows_fallback_to_summary_failures():
    headers, rows = render_eval.failure_rows(_Run(summary={"failures": [{"id": "q9", "reasons": ["a", "b"]}]}))
    assert headers == ["id", "reasons"] and rows == [["q9", "a；b"]]


def test_the_pages_full_report_is_chinese_and_escapes_uploaded_text():
    items = [SimpleNamespace(id="q1", question="<script>x</script>抓了|多少人？", answers=("564名",)),
             SimpleNamespace(id="q2", question="北京？", answers=())]
    scores = [_Score("q1", "figure", False, False, ("refused an answerable question",)),
              _Score("q2", "unanswerable", True, None)]
    answers = [SimpleNamespace(short_answer="报告中没有找到"), SimpleNamespace(short_answer="报告中没有找到")]
    summary = {"overall": {"n": 2, "accuracy": 0.5, "figure_accuracy": 0.0, "text_accuracy": None},
               "retrieval": {"hit@3": 1.0, "mrr": 0.75}, "latency_ms": {"p50": 3.0, "p95": 4.0}}
    report = render_eval.report_markdown(_Run(items, scores, answers, summary), dataset="my-set.jsonl")
    assert "共 2 个问题" in report and "| 总体 · 准确率 | 0.5000 |" in report and "| 检索 · 前3命中率 | 1.0000 |" in report
    assert "未答对的问题（1 个）" in report and "可答的问题被拒答" in report and "北京" not in report
    assert "<script>" not in report and "&lt;script&gt;" in report and "抓了\\|多少人" in report
    latin = set(re.findall(r"[A-Za-z]{2,}", report.replace("my-set.jsonl", ""))) - {"lt", "gt", "script"}
    assert latin == set()
