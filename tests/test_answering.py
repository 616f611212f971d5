"""Answer records: distinct citation labels, computed answers shown as computed."""

from __future__ import annotations

from qa.answering import Citation, Computed, citation_lines, compose_found


def test_two_passages_of_one_paragraph_get_distinct_labels():
    cites = (Citation(1, 0, 2, "执法", 3, "甲", 0, 1, 0.5), Citation(2, 1, 2, "执法", 3, "乙", 1, 2, 0.4),
             Citation(3, 2, 2, "执法", 4, "丙", 2, 3, 0.3))
    lines = citation_lines(cites)
    assert lines[0].startswith("[1] 第二部分「执法」第3段·片段1") and lines[1].startswith("[2] 第二部分「执法」第3段·片段2")
    assert lines[2] == "[3] 第二部分「执法」第4段：丙"


def test_a_computed_answer_says_so_with_its_formula():
    computed = Computed("difference", "259件", "9079件 − 8820件 = 259件", ("f1", "f2"))
    answer = compose_found("差多少？", (), "259件（计算得出）", "原句。", (), kind="count", computed=computed)
    assert "计算得出：9079件 − 8820件 = 259件" in answer.answer and answer.computed.text == "259件"
    assert answer.to_dict()["computed"]["operands"] == ("f1", "f2")


def test_a_sum_the_report_states_is_answered_as_written(model_free_engine):
    # 东丽区、滨海新区…共获得国家财政3亿元: the report's own total, never 1.5亿 + 3亿.
    answer = model_free_engine.ask("东丽区和滨海新区两个试点加起来一共拿了国家多少钱？")
    assert answer.computed is None
    assert [f.text for f in answer.figures] == ["3亿元"]


def test_a_change_the_report_states_is_not_recomputed(model_free_engine):
    history = [{"role": "user", "content": "每万人口发明专利拥有量是多少？"},
               {"role": "assistant", "content": "答：24.4件"}]
    answer = model_free_engine.ask("比上年多了多少？", history)
    assert answer.computed is None  # 净增2.1件 as written (or a refusal), never 24.4件 − 2.1件 = 22.3件
    assert "22.3" not in answer.answer


def test_a_question_with_no_question_word_gets_the_figure_it_names(model_free_engine):
    # 每万人口发明专利拥有量？ names a measure: its figure, not only the sentence that holds it.
    answer = model_free_engine.ask("全市每万人口发明专利拥有量？")
    assert [f.text for f in answer.figures] == ["24.4件"]


def test_a_question_with_no_question_word_and_no_sure_figure_gets_a_sentence():
    from types import SimpleNamespace

    from qa.prepared import may_want_figure
    from qa.reader import read

    assert may_want_figure(read("全市每万人口发明专利拥有量？"))
    assert not may_want_figure(read("全市每万人口发明专利拥有量是多少？"))  # a figure question already
    assert not may_want_figure(read("知识产权保护中心是怎么建的？"))  # asks for a text
    assert not may_want_figure(SimpleNamespace(cues=(), operation="compare", parts=(), asked="text"))


def test_a_date_answer_carries_the_date_as_its_figure(model_free_engine):
    """A date question is answered with the date as written, in the answer's figures too (API users read
    figures; a text answer asserts none)."""
    answer = model_free_engine.ask("中国（天津）知识产权保护中心是哪一年获得批准建设的？")
    assert answer.found and answer.short_answer == "2020年"
    assert [f.text for f in answer.figures] == ["2020年"] and answer.figures[0].fact_id == ""
    spoken = model_free_engine.ask("中国（天津）知识产权保护中心是啥时候获批建设的？")
    assert spoken.kind == "date" and [f.text for f in spoken.figures] == ["2020年"]
    named = model_free_engine.ask("华北知识产权运营中心的运营收入合同金额是多少？")
    assert named.kind != "date" and all(f.fact_id for f in named.figures)


def test_another_edition_of_a_named_campaign_is_refused_with_the_edition_the_report_writes(model_free_engine):
    # was: 剑网2019 (the report writes only “剑网2020”) got the 2020 campaign's figure
    answer = model_free_engine.ask("剑网2019专项行动罚了多少钱？")
    assert not answer.found and "剑网2020" in answer.answer and "剑网2019" in answer.answer
    assert model_free_engine.ask("“剑网2020”专项行动中，行政罚款金额为多少？").reason == ""
