"""The fact extractor on the shapes report prose writes figures in (issue 11), each on a tiny hand-checked text.

Every text is made up; each test would fail if its pattern were read the old way (noted per case).
"""

from __future__ import annotations

import pytest

from index.corpus import parse_document
from qa.facts import extract_facts


def facts_of(text: str, year: str = "2021"):
    doc = parse_document(f"{year}年工作报告。\n一、执法\n{text}\n", doc_id="d")
    return extract_facts(doc)


def rows(text: str, *fields: str):
    return [tuple(getattr(f, name) for name in ("figure_text", *fields)) for f in facts_of(text)]


# -- lists ---------------------------------------------------------------------------------------

def test_a_list_of_items_gives_each_figure_its_item_and_the_shared_head_noun():
    # was: 专利 / 商标 / 版权案件
    assert rows("专利、商标、版权案件分别为12件、34件和56件。", "subject") == [
        ("12件", "专利案件"), ("34件", "商标案件"), ("56件", "版权案件")]
    assert rows("专利、商标案件依次为12件、34件。", "subject") == [("12件", "专利案件"), ("34件", "商标案件")]


def test_a_list_of_rates_links_each_rate_to_its_own_base():
    facts = facts_of("批捕案件4346件7430人，同比分别上涨31.5%、24.3%。")  # was: the second rate a plain percent
    by = {f.figure_text: f for f in facts}
    assert by["31.5%"].base_fact_id == by["4346件"].id and by["24.3%"].base_fact_id == by["7430人"].id
    assert {by["31.5%"].kind, by["24.3%"].kind} == {"growth_rate"}
    assert by["24.3%"].comparison == "同比上涨" and by["24.3%"].direction == "up"


def test_a_count_after_a_relative_clause_counts_what_the_clause_describes():
    # was: 有 / 市
    assert rows("全省各市中，受理投诉超过500件的有4个市。", "subject") == [
        ("500件", "受理投诉"), ("4个", "受理投诉超过500件的市")]


def test_an_enumerated_item_is_the_subject_of_the_next_clause():
    assert rows("第一是专利，达到5.6万件；其次是商标，达到7.8万件。", "subject") == [  # was: empty subjects
        ("5.6万件", "专利"), ("7.8万件", "商标")]
    assert rows("登记量最多的是美术作品，占登记总量的51.28%。", "subject") == [("51.28%", "美术作品占登记总量")]


def test_items_named_in_the_clause_before_a_list_of_from_to_figures():
    text = "扣留批次和数量在非货运渠道的占比，分别由2020年的11.69%和9.93%提升到2021年的23.25%和18.11%。"
    assert rows(text, "subject", "year", "role") == [
        ("11.69%", "扣留批次在非货运渠道的占比", 2020, "from"), ("9.93%", "扣留数量在非货运渠道的占比", 2020, "from"),
        ("23.25%", "扣留批次在非货运渠道的占比", 2021, "to"), ("18.11%", "扣留数量在非货运渠道的占比", 2021, "to")]


# -- totals and parts ----------------------------------------------------------------------------

def test_parts_after_qizhong_point_at_their_total():
    facts = facts_of("全年受理案件500件，其中专利案件200件，商标案件300件。")  # was: no scope
    assert [(f.figure_text, f.scope, f.parent_fact_id) for f in facts] == [
        ("500件", "total", None), ("200件", "part", "f001"), ("300件", "part", "f001")]


def test_a_part_in_parentheses_and_its_figure():
    facts = facts_of("受理案件（含上年结转200件）1200件。")  # was: both subjects 受理案件（含上年结转）
    assert [(f.figure_text, f.subject, f.scope, f.parent_fact_id) for f in facts] == [
        ("200件", "上年结转", "part", "f002"), ("1200件", "受理案件", "total", None)]


def test_a_share_of_the_listed_items_is_a_total_and_the_set_is_no_figure():
    facts = facts_of("专利案件200件，商标案件300件，版权案件100件，以上三类合计占88%。")  # was: 三类 a fact
    assert [f.figure_text for f in facts] == ["200件", "300件", "100件", "88%"]
    assert facts[-1].scope == "total" and {f.scope for f in facts[:3]} == {""}


def test_a_share_is_said_of_what_the_sentence_is_about():
    assert rows("民间投资88053亿元，增长6.9%，占全部投资的比重为61.0%。", "subject", "kind")[-1] == (
        "61.0%", "民间投资占全部投资的比重", "percent")


def test_yishang_after_a_figure_or_in_a_name_is_no_total():
    assert {f.scope for f in facts_of("规模以上工业企业产销率达到97.6%，合格率保持在93%以上，收入2000万元及以上。")} == {""}


# -- from -> to ----------------------------------------------------------------------------------

def test_from_to_gives_two_facts_with_their_roles_and_times():
    # was: both subjects 示范企业从2015年的增长到目前, 1200家 dated 2015
    assert rows("示范企业从2015年的300家增长到目前的1200家。", "subject", "year", "role", "direction") == [
        ("300家", "示范企业", 2015, "from", "up"), ("1200家", "示范企业", 2021, "to", "up")]


def test_a_bare_figure_of_a_change_is_kept():
    # was: 1.5 lost
    assert rows("万人发明专利拥有量由1.5下降到0.6。", "subject", "role", "direction") == [
        ("1.5", "万人发明专利拥有量", "from", "down"), ("0.6", "万人发明专利拥有量", "to", "down")]


# -- periods -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, figure, year, period, subject", [
    # a span over several years: no single year (a year question must not take it), the period kept
    ("2016年以来累计办理案件980件。", "980件", None, "2016年以来", "办理案件"),  # was: year 2016, subject 以来累计…
    ("近五年审结案件78.1万件。", "78.1万件", None, "近五年", "审结案件"),  # was: 近五年 a duration fact
    ("2013年至2017年，全国法院审结案件78.1万件。", "78.1万件", None, "2013年至2017年", "审结案件"),
    ("截至2020年底，有效发明专利38152件。", "38152件", 2020, "截至2020年底", "有效发明专利"),
    ("1-4月份受理案件120件。", "120件", 2021, "1-4月份", "受理案件"),  # was: 1 a fact, subject -4月份受理案件
    ("上半年结案90件。", "90件", 2021, "上半年", "结案"),
    ("2019年上半年结案90件。", "90件", 2019, "2019年上半年", "结案"),
    ("一年来，受理案件30件。", "30件", 2021, "一年来", "受理案件"),  # was: 一年 a duration fact
])
def test_periods_are_times_not_years_or_figures(text, figure, year, period, subject):
    (fact,) = [f for f in facts_of(text) if f.figure_text == figure]
    assert (fact.year, fact.period, fact.subject) == (year, period, subject)
    assert len(facts_of(text)) == 1


def test_a_comparison_base_is_no_time_of_the_figure():
    facts = facts_of("受理案件120件，与2019年同期相比增长10%，增速比1-3月份回落0.3个百分点。")
    assert [(f.figure_text, f.year, f.period, f.comparison) for f in facts] == [
        ("120件", 2021, "", None), ("10%", 2021, "", "与2019年同期相比增长"), ("0.3个百分点", 2021, "", "比1-3月份回落")]


def test_a_period_written_after_the_figures_dates_nothing_later():
    facts = facts_of("登记量增长35.95%，创5年来新高。登记量约147万件。")
    assert facts[-1].period == "" and facts[-1].year == 2021


# -- directions and ranks ------------------------------------------------------------------------

@pytest.mark.parametrize("text, direction", [
    ("专利申请量下降40%。", "down"), ("商标注册量同比减少3.5%。", "down"), ("增速比上月回落2个百分点。", "down"),
    ("专利申请量增长40%。", "up"), ("授权率提高2个百分点。", "up"), ("价格同比上升1.2%。", "up"),
])
def test_the_direction_of_a_change(text, direction):
    (fact,) = facts_of(text)
    assert (fact.kind, fact.direction) == ("growth_rate", direction)  # was: 下降40% a plain percent, no direction


@pytest.mark.parametrize("text, rank, subject", [
    ("专利密度排名升至第五。", "第五", "专利密度"),  # was: subject 专利密度排名升至
    ("商标总量居全国第三。", "第三", "商标总量"),
    ("国际标准化贡献率跃居全球第三。", "第三", "国际标准化贡献率"),  # was: …贡献率跃
])
def test_ranks_have_a_clean_subject(text, rank, subject):
    (fact,) = facts_of(text)
    assert (fact.figure_text, fact.kind, fact.subject) == (rank, "rank", subject)


# -- numerals and junk ---------------------------------------------------------------------------

def test_numerals_that_measure_are_figures_and_labels_are_not():
    facts = facts_of("用时三年，建成五个中心，查处一批案件，涉及12大类商品，三级联动，近三年增长，扣留零件。")
    assert [(f.figure_text, f.kind, f.subject) for f in facts] == [
        ("三年", "duration", "用时"), ("五个", "count", "中心"), ("12大类", "count", "商品")]


def test_list_numbers_and_parentheses_never_become_facts_or_subjects():
    facts = facts_of("1.受理案件12件。2.结案10件。（三）调解纠纷8起。")
    assert [(f.figure_text, f.subject) for f in facts] == [("12件", "受理案件"), ("10件", "结案"), ("8起", "调解纠纷")]


def test_footnote_marks_never_become_facts_where_they_open_a_line_or_follow_a_word():
    facts = facts_of("PCT专利申请受理量[62]7.3万件。\n[62]PCT专利申请受理量是指国家知识产权局作为受理局受理的申请。")
    assert [f.figure_text for f in facts] == ["7.3万件"]


def test_an_actor_ends_where_a_word_ends():
    # 地区生产总值 is one word: the agency suffix 区 inside it names no actor (人均地区), for it or the next clauses
    facts = facts_of("人均地区生产总值增长25%左右，财政收入1350亿元。全市法院审结案件90件。")
    assert [(f.figure_text, f.actor) for f in facts] == [("25%", None), ("1350亿元", None), ("90件", "全市法院")]


def test_a_unit_written_once_for_two_figures():
    facts = facts_of("增速分别比全部工业快5.8和3.8个百分点。")
    assert [(f.figure_text, f.unit, f.kind) for f in facts] == [("5.8", "个百分点", "percent"),
                                                             ("3.8个百分点", "个百分点", "percent")]


def test_the_trigger_words_are_vocabulary_data():
    """The extraction modules hold no Chinese word lists: 分别, 其中, 以来, 下降 … are in qa/vocab/extraction.toml."""
    import ast
    import re
    from pathlib import Path

    han = re.compile(r"[\u4e00-\u9fff]")
    for name in ("labels", "periods", "lists", "changes", "links", "scopes", "facts"):
        tree = ast.parse(Path(f"qa/{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
                words = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
                assert not any(han.search(w) for w in words), (name, words)


# -- sums, measures, ratios, tables (checked against eval/corpora gold facts) --------------------

def test_totals_are_written_as_sums():
    facts = facts_of("全市共查处案件554件，近五年累计退还企业120亿元，专利质押融资总额达到3098亿元，结案96件。")
    assert [f.scope for f in facts] == ["total", "total", "total", ""]


def test_parts_add_up_to_no_more_than_their_total():
    # 8 + 46 + 60 = 114: 批准逮捕29件 and 提起公诉34件 are steps of those, not more parts of 114件
    facts = facts_of("共办理案件114件，其中民事案件8件，审结审查逮捕案件46件，批准逮捕29件，受理审查起诉60件，提起公诉34件。")
    assert [(f.figure_text, f.scope) for f in facts] == [
        ("114件", "total"), ("8件", "part"), ("46件", "part"), ("29件", ""), ("60件", "part"), ("34件", "")]
    # 超过200件 is no part of 超过100件
    assert {f.scope for f in facts_of("近一半的省案件量超过100件，其中五个省超过200件。")} == {""}


def test_a_set_named_by_its_figure_and_a_breakdown_in_parentheses():
    facts = facts_of("提起公诉的118人中，涉嫌假冒注册商标罪51人，销售假冒注册商标的商品罪35人。")
    assert [(f.figure_text, f.subject, f.scope, f.parent_fact_id) for f in facts] == [
        ("118人", "提起公诉", "total", None), ("51人", "涉嫌假冒注册商标罪", "part", "f001"),
        ("35人", "销售假冒注册商标的商品罪", "part", "f001")]
    facts = facts_of("办理专利纠纷案件8220件(专利侵权纠纷7671件)，同比增长62.6%。")
    assert [(f.figure_text, f.scope, f.parent_fact_id, f.base_fact_id) for f in facts] == [
        ("8220件", "total", None, None), ("7671件", "part", "f001", None), ("62.6%", "", None, "f001")]


def test_a_measure_of_the_figure_before_is_its_comparison():
    facts = facts_of("受理审查起诉案件60件214人，案件数量同比上升9%，人数同比上升89.4%。")
    assert [(f.figure_text, f.subject, f.base_fact_id) for f in facts][2:] == [
        ("9%", "受理审查起诉案件数量", "f001"), ("89.4%", "受理审查起诉案件人数", "f002")]


def test_a_span_inside_the_year_dates_flows_not_stocks_and_a_change_is_dated_by_its_own_phrase():
    facts = facts_of("一季度，全市新增注册商标1272件，有效发明专利618件。")
    assert [(f.year, f.period) for f in facts] == [(2021, "一季度"), (2021, "")]
    facts = facts_of("近五年来，万台特种设备死亡率下降73%，从0.30下降到0.08。")
    assert [(f.figure_text, f.year, f.period, f.kind) for f in facts] == [
        ("73%", None, "近五年来", "growth_rate"), ("0.30", None, "", "other"), ("0.08", None, "", "other")]
    facts = facts_of("与2013年的1∶2.21相比，比例约为1∶1.98。")
    assert [(f.figure_text, f.kind, f.year) for f in facts] == [("1∶2.21", "ratio", 2013), ("1∶1.98", "ratio", 2021)]


def test_shares_in_words_and_multiples_of_a_change():
    shares = {f.figure_text: (f.kind, round(f.value, 1)) for f in facts_of("近一半的省超过100件，三分之一的企业参与。")}
    assert shares["近一半"] == ("percent", 50.0) and shares["三分之一"] == ("percent", 33.3)
    assert rows("市场主体增长了近2倍。", "kind", "comparison") == [("近2倍", "growth_rate", "增长了")]
    assert rows("制造业质量竞争力指数达到84.91。", "kind") == [("84.91", "other")]


def test_a_report_about_no_single_year_dates_only_what_it_dates():
    doc = parse_document("市场监管事业回顾\n市场主体快速增长。审查政策措施文件493万件。2018年组建总局，2021年药品抽检合格率达到99%。\n",
                         doc_id="d")
    assert [(f.figure_text, f.year) for f in extract_facts(doc)] == [("493万件", None), ("99%", 2021)]


TABLE = """2020年11月湖南省有效发明专利统计表
地区 | 总量 | 大专院校 | 工矿企业 | 职务总计 | 排名
长沙市 | 3300 | 1200 | 2000 | 3200 | 1
株洲市 | 2070 | 900 | 1100 | 2000 | 2
全 省 | 5370 | 2100 | 3100 | 5200 | -
"""


def test_a_table_reads_rows_columns_its_title_date_and_its_sums():
    facts = extract_facts(parse_document(TABLE, doc_id="t"))
    by = {(f.subject, f.figure_text): f for f in facts}
    assert ("株洲市总量", "2070") in by  # a year-shaped number in a cell is a figure
    cell = by[("长沙市大专院校", "1200")]
    assert (cell.year, cell.period, cell.kind) == (2020, "2020年11月", "count")
    assert by[("长沙市职务总计", "3200")].scope == "total" and cell.scope == "part"  # 1200 + 2000 = 3200
    assert by[("全省总量", "5370")].scope == "total" and by[("长沙市总量", "3300")].scope == "part"
    rank = by[("长沙市有效发明专利排名", "1")]  # a rank column ranks by what the table counts
    assert (rank.kind, rank.scope) == ("rank", "")


TWO_LEVEL = """2021年6月某省有效商标统计表
地区 | 2021年 | 单位 | 非单位 | 人口 | 密度 | 位次 | 6月 | 企业 | 社团 | 单位合计 | 个人 | (万人) | (件/万人)
甲市 | 350 | 200 | 100 | 300 | 50 | 120.5 | 2.90 | 1
乙市 | 150 | 80 | 40 | 120 | 30 | 80.0 | 1.88 | 2
全 省 | 500 | 280 | 140 | 420 | 80 | 200.5 | 2.49
"""


def test_a_header_flattened_from_two_levels_names_each_column():
    facts = extract_facts(parse_document(TWO_LEVEL, doc_id="t"))
    by = {f.figure_text: f for f in facts if f.sentence.startswith("甲市")}
    assert [by[x].subject for x in ("350", "200", "300", "50")] == ["甲市有效商标", "甲市企业有效商标",
                                                                    "甲市单位有效商标合计", "甲市个人有效商标"]
    assert (by["120.5"].subject, by["120.5"].year, by["120.5"].period) == ("甲市人口", 2021, "")  # a unit of its own
    assert (by["2.90"].subject, by["2.90"].period) == ("甲市密度", "2021年6月")  # a rate of what the table counts
    assert (by["1"].subject, by["1"].kind) == ("甲市密度位次", "rank")
    assert by["200"].scope == "part" and by["300"].scope == "total"
    total = next(f for f in facts if f.sentence.startswith("全") and f.figure_text == "2.49")
    assert total.subject == "全省密度"  # a row shorter than the widest lacks its last cells


def test_a_year_heading_dates_the_paragraphs_under_it_until_the_next_one():
    # A work report given in 2022 about 2021: was dated 2022 (the report's own line) for every figure.
    doc = parse_document("最高人民检察院工作报告\n——2022年3月8日在大会上\n2021年工作回顾\n全年批准逮捕犯罪嫌疑人868445人。\n"
                         "2022年工作安排\n计划培训检察官3000人。\n", doc_id="d")
    years = {f.figure_text: f.year for f in extract_facts(doc)}
    assert years["868445人"] == 2021 and years["3000人"] == 2022


def test_a_year_heading_dates_the_numbered_sections_under_it():
    # was: the first numbered section after 2021年工作回顾 went back to the report's own year (2022), so every
    # 2021 question about the review met a year conflict; a section title with its own year still wins.
    text = ("最高人民检察院工作报告\n——2022年3月8日在大会上\n2021年工作回顾\n一、服务大局\n全年批准逮捕868445人。\n"
            "二、2020年改革回顾\n新建机构12个。\n三、司法为民\n办理信访5万件。\n2022年工作安排\n四、加强队伍\n培训检察官3000人。\n")
    assert _years(text) == [("868445人", 2021), ("12个", 2020), ("5万件", 2021), ("3000人", 2022)]


def test_a_scope_and_a_general_word_are_no_actor():
    # was: actor 全市地区 (区 ends agency names) and subject 生产总值, so 地区生产总值 questions missed it
    assert rows("全市地区生产总值增长4.8%，全市法院审结案件1200件。", "subject", "actor") == [
        ("4.8%", "地区生产总值", None), ("1200件", "审结案件", "全市法院")]


def test_a_figure_right_after_the_clauses_actor_counts_the_actor():
    # was: no subject (医疗卫生机构 ends in an actor suffix and was taken as the clause's actor)
    (total, part) = rows("年末全市共有医疗卫生机构3821个，其中医院412个。", "subject")
    assert "医疗卫生机构" in total[1] and part == ("412个", "医院")


def test_a_head_count_written_after_renshu_is_a_figure_and_its_change_shares_the_subject():
    # was: no fact for 54797万人 (数 before a digit was read as 数十), and 增加554万人 had no subject
    assert rows("参加城乡居民基本养老保险人数54797万人，增加554万人。", "subject", "comparison") == [
        ("54797万人", "参加城乡居民基本养老保险人数", None), ("554万人", "参加城乡居民基本养老保险人数", "增加")]


def _years(text):
    return [(f.figure_text, f.year) for f in extract_facts(parse_document(text, doc_id="d"))]


def test_a_sections_title_dates_the_section_of_a_report_given_the_next_year():
    # was: every figure dated 2026, the year of the report's title (a 2025 question met a year conflict)
    text = "2026年政府工作报告\n一、2025年工作回顾\n全市地区生产总值增长4.8%。\n二、2026年重点工作\n预期地区生产总值增长4.5%左右。\n"
    assert _years(text) == [("4.8%", 2025), ("4.5%", 2026)]


def test_a_heading_reviewing_a_five_year_plan_dates_it_by_the_plans_last_year():
    text = ("2026年政府工作报告\n各位代表：\n“十四五”时期工作回顾\n全省地区生产总值达到13697.5亿元。\n"
            "“十五五”时期的主要目标任务\n研发经费投入强度达到2.5%。\n")
    years = dict(_years(text))
    assert years["13697.5亿元"] == 2025 and years["2.5%"] != 2025


def test_a_section_without_a_year_takes_the_year_its_first_paragraph_opens_with():
    # was: 一、工作回顾 under 2026年政府工作报告 dated every paragraph after 2025年是收官之年 2026
    text = ("2026年吉林省政府工作报告\n一、工作回顾\n2025年是收官之年，地区生产总值增长5%。\n一是稳增长，工业增加值增长6%。\n"
            "二、2026年工作安排\n今年预期地区生产总值增长5%左右。\n三、改革\n全省开展改革试点12个。\n")
    assert _years(text) == [("5%", 2025), ("6%", 2025), ("5%", 2026), ("12个", 2026)]


def test_a_numeric_date_is_no_figure():
    assert rows("时间：2026-02-03，全市新增企业1200家。") == [("1200家",)]
