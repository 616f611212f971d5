"""One test per feature and per hard constraint, on tiny hand-checked inputs (no model)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from index.chunking import chunk_document
from index.corpus import parse_document
from qa.candidates import action_conflict, firm_actions, unit_conflict, year_conflict, fact_candidates
from qa.coverage import Context, QueryTerms, ReportStats, expansions, unasked_share
from qa.facts import extract_facts
from qa.features import (FACT_FEATURES, Asked, _relative, action_fit, actor_fit, counted_fit, fact_matrix,
                         kind_features)
from qa.reader import read
from qa.report import ReportView
from qa.verifying import verify_row

REPORT = ("2020年工作报告。\n一、执法\n全市法院新收知识产权案件9079件，同比增长31.4%；审结8820件，同比增长37.9%。\n"
          "公安机关抓获犯罪嫌疑人564名，涉案金额3.1亿元。\n检察机关批准逮捕103件179人。\n")


@pytest.fixture(scope="module")
def view():
    doc = parse_document(REPORT, doc_id="t")
    return ReportView(doc, chunk_document(doc), extract_facts(doc))


def fact_index(view, figure):
    return next(i for i, f in enumerate(view.facts) if f.figure_text == figure)


def test_kind_fit():
    growth = kind_features(read("同比增长多少"), "growth_rate", "%", "同比增长")
    assert growth["growth_fit"] == 1.0 and growth["kind_ok"] == 1.0 and growth["kind_bad"] == 0.0
    wrong = kind_features(read("同比增长多少"), "count", "件", None)
    assert wrong["growth_missing"] == 1.0 and wrong["kind_bad"] == 1.0
    assert kind_features(read("抓了多少人"), "count", "名", None)["unit_fit"] == 1.0
    assert kind_features(read("抓了多少人"), "count", "件", None)["unit_miss"] == 1.0
    assert kind_features(read("排第几"), "rank", "位", None)["rank_fit"] == 1.0
    assert kind_features(read("搞了几个网站"), "duration", "个月", None)["kind_bad"] == 1.0


def test_a_rate_in_points_answers_only_a_question_in_points():
    rate_asked = read("居民消费价格同比涨了多少")
    assert kind_features(rate_asked, "growth_rate", "个百分点", "比上月扩大")["points_unasked"] == 1.0
    assert kind_features(rate_asked, "growth_rate", "%", "同比上涨")["points_unasked"] == 0.0
    assert kind_features(read("涨幅扩大了几个百分点"), "growth_rate", "个百分点", "扩大")["points_unasked"] == 0.0


def test_a_bare_how_much_fits_a_sum_of_money_but_a_measure_word_asks_a_count():
    assert kind_features(read("社会消费品零售总额是多少"), "money", "亿元", None)["kind_ok"] == 1.0
    assert kind_features(read("社会消费品零售总额是多少"), "count", "件", None)["kind_ok"] == 1.0
    assert kind_features(read("查处了多少件案件"), "money", "万元", None)["kind_ok"] == 0.0
    assert kind_features(read("社会消费品零售总额是多少"), "growth_rate", "%", "同比增长")["kind_ok"] == 0.0


def test_actor_action_and_counted_fit():
    assert actor_fit(read("警察抓了多少人"), "公安机关抓获犯罪嫌疑人564名") == 1.0
    assert actor_fit(read("警察抓了多少人"), "检察机关批准逮捕103件179人") == -1.0
    assert actor_fit(read("抓了多少人"), "随便什么") == 0.0
    assert action_fit(read("审结了多少件"), "审结8820件", "审结8820件") == 1.0
    assert action_fit(read("审结了多少件"), "新收案件9079件", "新收案件9079件") == 0.0
    assert counted_fit(read("多少名专家"), "20名专家组成的专家组") == (1.0, 0.0)
    assert counted_fit(read("多少名专家"), "16名专利审查员") == (0.0, 1.0)
    assert counted_fit(read("抓了多少人"), "564名") == (0.0, 0.0)


def test_coverage_levels_and_unknown_words():
    stats = ReportStats(["全市法院审结8820件。", "新收案件9079件。"])
    q = QueryTerms.build(["审结", "法院", "工资"], stats)
    assert q.unknown == ("工资",) and 0 < q.unknown_weight < 1
    levels = q.levels(Context("审结8820件", "审结8820件", "全市法院审结8820件。", ""))
    assert levels[0] < levels[2] == levels[3] < 1.0
    assert "公安机关" in expansions("警察") and "犯罪嫌疑人" in expansions("嫌犯")
    assert unasked_share(["审结"], q, stats) == 0.0 and unasked_share(["新收"], q, stats) == 1.0


def test_hard_constraints():
    assert unit_conflict(read("抓了多少人"), "件", "count") and not unit_conflict(read("抓了多少人"), "名", "count")
    assert not unit_conflict(read("下发了几条规则"), "件", "count")          # things mix measure words
    assert unit_conflict(read("净增了多少件"), "%", "growth_rate")           # a rate does not count
    assert year_conflict(read("2019年审结多少件"), 2020) and not year_conflict(read("审结多少件"), 2019)
    assert firm_actions(read("审结了多少件"), REPORT) == {"结案"}
    assert firm_actions(read("判了多少件"), REPORT) == set()                # everyday word: never hard
    assert action_conflict({"结案"}, ("收案",), ()) and not action_conflict({"结案"}, ("收案",), ("结案",))


def test_candidates_drop_conflicting_figures(view):
    kept, excluded = fact_candidates(read("全市法院审结了多少件？"), view)
    figures = {view.facts[i].figure_text for i in kept}
    assert "8820件" in figures and "9079件" not in figures and excluded["action"] >= 1
    kept, excluded = fact_candidates(read("公安抓获了多少人？"), view)
    assert {view.facts[i].figure_text for i in kept} >= {"564名"} and "103件" not in {view.facts[i].figure_text for i in kept}


def _report(text: str):
    """A made-up report's view, and the figures (as written) a question leaves as candidates with what each
    conflict excluded."""
    doc = parse_document(text, doc_id="r")
    view = ReportView(doc, chunk_document(doc), extract_facts(doc))

    def kept(question):
        found, excluded = fact_candidates(read(question), view)
        return {view.facts[i].figure_text for i in found}, excluded

    return view, kept


def test_a_stated_base_period_and_a_share_exclude_other_changes():
    view, kept = _report("2017年4月统计。\n一、工业\n4月份，规模以上工业增加值同比增长6.5%，比上月增长0.56%。"
                         "民间投资88053亿元，增长6.9%，占全部投资的比重为61.0%。\n")

    year, excluded = kept("4月份工业增加值比去年涨了多少？")
    assert "6.5%" in year and "0.56%" not in year and excluded["base"] == 1
    month, _ = kept("4月份工业增加值环比增长多少？")
    assert "0.56%" in month and "6.5%" not in month
    assert {"6.5%", "0.56%"} <= kept("4月份工业增加值增长多少？")[0]  # no base named: both stay
    share, excluded = kept("民间投资占了总投资的几成？")
    assert "61.0%" in share and not {"6.9%", "6.5%"} & share and excluded["share"] >= 2
    # the arrays (conflict_codes) and the figure-by-figure check (conflict) agree
    from qa.candidates import conflict
    for question in ("4月份工业增加值比去年涨了多少？", "民间投资占了总投资的几成？"):
        assert kept(question)[0] == {f.figure_text for i, f in enumerate(view.facts) if not conflict(read(question), view, i)}


def test_a_district_asked_excludes_figures_of_another_district_or_of_several_together():
    view, kept = _report("2020年工作报告。\n一、运营\n先后指导东丽区、滨海新区获批试点城区，共获得国家财政3亿元专项资金支持。"
                         "滨海新区获批建设城市，获得中央财政专项资金1.5亿支持。全市有效专利24.6万件。\n")

    east, excluded = kept("东丽区单独拿了多少资金？")
    assert not {"3亿元", "1.5亿"} & east and excluded["place"] == 2  # 滨海新区's, and the two districts' total
    assert "3亿元" in kept("东丽区获得多少资金？")[0] and "1.5亿" not in kept("东丽区获得多少资金？")[0]
    coast, _ = kept("滨海新区获得多少中央财政专项资金？")
    assert "1.5亿" in coast and "3亿元" in coast  # a total naming it stays a candidate unless one's own is asked
    assert "3亿元" not in kept("滨海新区单独获得多少中央财政专项资金？")[0]
    both, _ = kept("东丽区和滨海新区一共获得多少国家财政资金？")
    assert "3亿元" in both
    assert {"3亿元", "1.5亿"} <= kept("一共获得多少专项资金？")[0]  # no place named: nothing excluded
    from qa.candidates import conflict
    question = "东丽区单独拿了多少资金？"
    assert east == {f.figure_text for i, f in enumerate(view.facts) if not conflict(read(question), view, i)}


def test_a_rank_of_one_thing_does_not_answer_for_another_thing_the_report_counts():
    view, kept = _report("2020年工作报告。\n一、保护\n2019年天津知识产权保护满意度位居全国第8位。"
                         "全市有效注册商标28.9万件。作品著作权登记共计21.3万件，总量位居全国第四。\n")

    trademarks, excluded = kept("天津有效注册商标总量在全国排第几？")
    assert not {"第8位", "第四"} & trademarks and excluded["rank"] >= 1  # counted, never ranked
    assert "第8位" in kept("天津的知识产权保护满意度全国排第几？")[0]
    assert "第四" in kept("作品著作权登记量全国排第几？")[0]
    assert {"第8位", "第四"} <= kept("天津的营商环境全国排第几？")[0]  # a thing the report never names decides nothing
    from qa.candidates import conflict
    question = "天津有效注册商标总量在全国排第几？"
    assert trademarks == {f.figure_text for i, f in enumerate(view.facts) if not conflict(read(question), view, i)}


def test_a_table_cell_misses_no_unit_and_a_part_named_by_the_question_is_its_own_total():
    view, _ = _report("2020年11月湖南省有效发明专利统计表\n地区 | 有效发明专利 | 个人\n长沙市 | 32981 | 1197\n"
                      "湘西州 | 370 | 41\n其他 | 21962 | 1447\n全省 | 55313 | 2685\n")
    idx = {f.figure_text: i for i, f in enumerate(view.facts)}
    assert view.facts[idx["370"]].scope == "part"  # of the province's 55313
    column = FACT_FEATURES.index

    def row(question, figure):
        return fact_matrix(Asked.build(read(question), view, None), view, [idx[figure]], {}, {})[0]

    named = row("湘西州一共多少件有效发明专利", "370")
    assert named[column("asks_total")] == 0.0  # 湘西州 sets it apart from 全省: the total asked
    assert named[column("unit_miss")] == 0.0 and named[column("slots_unmet")] == 0.0  # a cell writes no unit
    assert row("有效发明专利一共多少件", "370")[column("asks_total")] == 1.0  # nothing of it named: a part
    assert kind_features(read("抓了多少人"), "count", "", None)["unit_miss"] == 0.0


def test_a_sentence_saying_how_things_went_against_a_plan_states_no_plan():
    view, _ = _report("2026年政府工作报告。\n一、回顾\n一是经济增长好于预期。地区生产总值增长5.2%，财政收入增长3%。\n"
                      "二、今年\n今年预期目标是：地区生产总值增长5%左右。\n")
    plans = {f.figure_text: bool(p) for f, p in zip(view.facts, view.fact_plans)}
    assert plans["5.2%"] is False and plans["3%"] is False  # 好于预期 is how last year went
    assert plans["5%"] is True
    column = FACT_FEATURES.index("plan_unasked")
    rows = fact_matrix(Asked.build(read("地区生产总值增长了多少？"), view, None), view,
                       [fact_index(view, "5.2%"), fact_index(view, "5%")], {}, {})
    assert rows[:, column].tolist() == [0.0, 1.0]


def test_a_scale_of_hundreds_of_millions_asked_excludes_smaller_figures():
    view, kept = _report("2026年政府工作报告。\n一、回顾\n人均地区生产总值7.6万元，财政收入1.2万亿元，补贴3600元。\n")
    asked, excluded = kept("地区生产总值为多少亿元？")
    assert "1.2万亿元" in asked and not {"7.6万元", "3600元"} & asked and excluded["scale"] == 2
    assert {"7.6万元", "1.2万亿元"} <= kept("人均地区生产总值为多少万元？")[0]  # 万 decides nothing
    from qa.candidates import conflict
    assert asked == {f.figure_text for i, f in enumerate(view.facts) if not conflict(read("地区生产总值为多少亿元？"), view, i)}


def test_fact_matrix_rows_follow_the_question(view):
    reading = read("全市法院审结了多少件？")
    candidates = [fact_index(view, "8820件"), fact_index(view, "564名")]
    rows = fact_matrix(Asked.build(reading, view, None), view, candidates, {}, {})
    col = {name: k for k, name in enumerate(FACT_FEATURES)}
    assert rows.shape == (2, len(FACT_FEATURES))
    assert rows[0, col["cov_segment"]] > rows[1, col["cov_segment"]]
    assert rows[0, col["action_fit"]] == 1.0 and rows[1, col["action_other"]] == 1.0
    assert rows[0, col["cov_gap"]] == 0.0 and rows[1, col["cov_gap"]] < 0.0


def test_relative_columns_compare_within_a_group():
    names = ("a", "b")
    m = np.array([[1.0, 0.0], [0.5, 0.0], [0.2, 0.0]], dtype=np.float32)
    _relative(m, names, "b", "a", [0, 0, 1])
    assert m[:, 1].tolist() == [0.0, -0.5, 0.0]


def test_verify_row_leads_with_score_and_margin():
    matrix = np.array([[1.0], [2.0], [3.0]], dtype=np.float32)
    row = verify_row(matrix, np.array([2.0, 1.5, 0.5]), 0, [False, True, True])
    # the rival's score and the margin on a signed log scale: log(1 + 1.5), log(1 + 0.5)
    assert row[:3].tolist() == pytest.approx([2.0, math.log1p(1.5), math.log1p(0.5)]) and row[-1] == 1.0
    alone = verify_row(matrix, np.array([2.0, 1.5, 0.5]), 0, [False, False, False])
    assert alone[2] == pytest.approx(math.log1p(10.0))  # no rival giving another answer
    below = verify_row(matrix, np.array([-3.0, 1.5, 0.5]), 0, [False, True, True])
    assert below[2] == pytest.approx(-math.log1p(4.5))  # chosen below its rival: a negative margin


def test_other_year_is_measured_from_the_year_most_figures_are_dated():
    # a work report given in 2026 reviews 2025: its 2025 figures are not "another year" (was: the title's 2026)
    text = ("2026年政府工作报告\n一、2025年工作回顾\n地区生产总值增长4.8%，新增企业1200家，税收增长3%。\n"
            "二、2026年重点工作\n地区生产总值预期增长4.5%。\n")
    doc = parse_document(text, doc_id="g")
    view = ReportView(doc, chunk_document(doc), extract_facts(doc))
    assert view.report_year == 2025


def test_the_start_of_a_change_answers_only_a_question_about_the_start():
    from qa.figure_features import fact_static

    doc = parse_document("2025年工作报告。\n一、财政\n一般公共预算收入从874.6亿元增加到1112.4亿元。\n", doc_id="s")
    view = ReportView(doc, chunk_document(doc), extract_facts(doc))
    ids = [fact_index(view, "874.6亿元"), fact_index(view, "1112.4亿元")]
    col = {name: k for k, name in enumerate(FACT_FEATURES)}

    def row(question):
        return fact_static(Asked.build(read(question), view, None), view, ids)

    now = row("一般公共预算收入到了多少")
    assert list(now[:, col["from_unasked"]]) == [1.0, 0.0] and list(now[:, col["from_fit"]]) == [0.0, 0.0]
    before = row("一般公共预算收入原来是多少")
    assert list(before[:, col["from_fit"]]) == [1.0, 0.0] and list(before[:, col["from_unasked"]]) == [0.0, 0.0]


def test_the_end_of_a_change_is_linked_to_its_start_in_focus():
    from qa.figure_features import fact_static
    from qa.reading import Reading

    doc = parse_document("2025年工作报告。\n一、开放\n商品税目比例由21%提升至74%，销售额增长38.9%。\n", doc_id="c")
    view = ReportView(doc, chunk_document(doc), extract_facts(doc))
    ids = [fact_index(view, "74%"), fact_index(view, "38.9%")]
    reading = read("涨到了多少")
    focused = Reading(**{**reading.__dict__, "focus": ("21%",)})
    linked = fact_static(Asked.build(focused, view, None), view, ids)[:, FACT_FEATURES.index("focus_linked")]
    assert list(linked) == [1.0, 0.0]


def _candidates_of(text: str):
    """kept(question) -> (figures left as candidates, excluded counts by conflict) over a made-up report."""
    doc = parse_document(text, doc_id="f")
    view = ReportView(doc, chunk_document(doc), extract_facts(doc))

    def kept(question):
        indices, excluded = fact_candidates(read(question), view)
        return {view.facts[i].figure_text for i in indices}, excluded

    return kept


def test_a_figure_of_another_facet_is_no_candidate():
    # was: 知识产权使用费进口额 answered with the 出口额 (the report gives only exports), 消费支出 with 可支配收入
    kept = _candidates_of("2021年统计公报。\n一、外贸\n全年货物进出口总额391009亿元。其中，出口217348亿元；"
                          "知识产权使用费出口额760.2亿元。\n二、收入\n城镇居民人均可支配收入47412元，农村居民人均可支配收入"
                          "18931元，全国居民人均消费支出24100元。\n")
    imports, excluded = kept("知识产权使用费的进口额是多少")
    assert imports.isdisjoint({"760.2亿元", "217348亿元", "391009亿元"}) and excluded["facet"] == 3  # 进出口 too
    assert "18931元" not in kept("城镇居民人均可支配收入多少")[0] and "47412元" in kept("城镇居民人均可支配收入多少")[0]
    assert "18931元" not in kept("农村居民人均消费支出多少")[0]  # 收入 is another facet of flow; 农村 fits
    both, excluded = kept("城镇和农村居民人均可支配收入各多少")
    assert {"47412元", "18931元"} <= both
    assert "760.2亿元" in kept("知识产权使用费多少")[0]  # naming no facet excludes nothing


def test_kinds_of_property_cases_and_prizes_are_facets():
    # was: 商标质押融资 answered with the 专利质押融资 figure, 跟专利有关的案件 with the 商标侵权案件 count
    kept = _candidates_of("2020年工作报告。\n一、运用\n运营合同金额7364万元，共促成专利质押融资11100万元。"
                          "市场监管部门办结商标侵权案件立案270余件。\n二、奖励\n第21届中国专利奖，天津共获得金奖1项，优秀奖14项。\n")
    figures, excluded = kept("商标质押融资金额是多少")
    assert "11100万元" not in figures and excluded.get("facet")
    # a figure naming no facet, in a sentence naming only another one, is of that one
    assert "7364万元" not in kept("商标运营合同金额多少")[0] and "7364万元" in kept("运营合同金额多少")[0]
    assert "11100万元" in kept("专利质押融资金额是多少")[0] and "11100万元" in kept("质押融资金额是多少")[0]
    assert "270余件" not in kept("跟专利有关的侵权案件有几件")[0] and "270余件" in kept("商标侵权案件有几件")[0]
    assert "1项" not in kept("天津拿了几项银奖")[0] and "1项" in kept("天津拿了几项金奖")[0]
    medals = _candidates_of("2021年统计公报。\n在第32届奥运会上，我国运动员共获得38枚金牌，奖牌总数88枚。\n")
    assert "38枚" not in medals("获得多少枚银牌")[0] and "38枚" in medals("获得多少枚金牌")[0]  # a medal is a grade


def test_another_label_of_a_series_is_no_candidate():
    # was: 第22届中国专利奖 answered with the 第21届's gold medals
    kept = _candidates_of("2020年工作报告。\n一、奖励\n第二十一届中国专利奖，天津共获得金奖1项，优秀奖14项。第3批试点城市5个。\n")
    # 1项 is of another 届 (14项 is of another prize too, a facet found first); 5个 names no 届 and stays
    figures, excluded = kept("第22届中国专利奖天津拿了几个金奖")
    assert figures == {"5个"} and excluded["label"] == 1
    assert "1项" in kept("第21届中国专利奖天津拿了几个金奖")[0] and "1项" in kept("中国专利奖天津拿了几个金奖")[0]
    assert "5个" not in kept("第二批试点城市有几个")[0] and "5个" in kept("第三批试点城市有几个")[0]


def test_a_total_over_several_kinds_is_not_one_of_them():
    # was: 新收的知识产权案件中民事案件多少件 answered with the total of 民事、刑事、行政案件 (9079件)
    kept = _candidates_of("2020年工作报告。\n一、审判\n全市法院新收知识产权民事、刑事、行政案件9079件，审结8820件。"
                          "专利、商标案件分别为120件和340件。\n")
    assert "9079件" not in kept("新收的知识产权案件中民事案件多少件")[0]
    assert "8820件" not in kept("审结的知识产权案件中民事案件多少件")[0]  # its sentence's kinds: their total
    assert "9079件" in kept("新收知识产权民事、刑事、行政案件一共多少件")[0]  # all of them named: the total
    assert "340件" in kept("商标案件多少件")[0]  # a list item of its own kind stays


def test_a_stock_is_not_answered_by_a_change_nor_a_net_change_by_a_stock():
    # was: 到现在总共有多少家分中心 answered with 新增特色分中心4家; 有效注册商标净增了多少 with the stock 28.9万件
    from qa.candidates import change_mismatch

    doc = parse_document("2020年工作报告。\n一、运营\n2020年新增特色分中心4家。累计有效注册商标达到28.9万件。"
                         "每万人口发明专利拥有量达到24.4件，净增2.1件。地区生产总值从874.6亿元增加到1112.4亿元。\n", doc_id="f")
    view = ReportView(doc, chunk_document(doc), extract_facts(doc))
    at = {f.figure_text: i for i, f in enumerate(view.facts)}

    def why(question, figure):
        return change_mismatch(read(question), view, at[figure])

    assert "新增" in why("到现在总共有多少家分中心", "4家") and why("2020年新增了多少家分中心", "4家") == ""
    assert why("分中心有多少家", "4家") == ""  # no word of a stock as it stands: the count of new ones may answer
    assert "净增" in why("有效注册商标比上年净增了多少万件", "28.9万件") and why("有效注册商标有多少万件", "28.9万件") == ""
    assert why("每万人口发明专利拥有量净增多少件", "2.1件") == ""
    assert why("目前地区生产总值有多少", "1112.4亿元") == ""  # the figure a change reaches is a stock


def test_people_counted_without_a_measure_word_are_not_cases():
    # was: 涉疫情案件中抓獲了多少犯罪嫌疑人 answered with 立案237起
    kept = _candidates_of("2020年工作报告。\n一、公安\n立涉疫情制售假冒伪劣商品犯罪案件237起，抓获犯罪嫌疑人564名。\n")
    figures, excluded = kept("涉疫情案件中抓获了多少犯罪嫌疑人")
    assert "237起" not in figures and "564名" in figures and excluded["unit"] == 1


def test_a_rank_among_others_and_a_stage_of_review_are_facets():
    # was: 在四个直辖市中排第几 answered with 全国第8位; 最后评上几人 with 初审合格8人
    kept = _candidates_of("2020年工作报告。\n一、环境\n2019年天津知识产权保护满意度位居全国第8位，在四个直辖市中位列第1位。"
                          "初审合格知识产权高级职称评审参评人员8人。\n")
    assert kept("在四个直辖市中天津的保护满意度排第几")[0] >= {"第1位"}
    assert "第8位" not in kept("在四个直辖市中天津的保护满意度排第几")[0]
    assert "第1位" not in kept("天津的保护满意度全国排第几")[0] and "第8位" in kept("天津的保护满意度全国排第几")[0]
    assert "8人" not in kept("知识产权高级职称最后评上了几个人")[0] and "8人" in kept("高级职称初审合格几人")[0]
