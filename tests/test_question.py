"""Question understanding and input cleaning on small hand-checked inputs."""

import pytest

from qa.question import Turn, detect_actors, detect_units, understand
from qa.sanitize import MAX_QUESTION_CHARS, clean_question


@pytest.mark.parametrize("question, asked", [
    ("警察抓了多少人？", "count"),
    ("海关扣了多少货", "count"),
    ("罚没款一共多少钱", "money"),
    ("有效发明专利同比增长多少", "growth"),
    ("比去年涨了多少", "growth"),
    ("每万人口发明专利拥有量全国排第几", "rank"),
    ("公安开展了哪些专项行动", "text"),
    ("谁牵头编制十四五规划", "text"),
])
def test_what_is_asked(question, asked):
    assert understand(question).asked == asked


def test_colloquial_words_expand_to_report_vocabulary():
    intent = understand("警察抓了多少人？")
    assert intent.actors == ("公安",)
    assert {"抓获", "犯罪嫌疑人", "公安机关"} <= set(intent.terms)
    assert {"名", "人"} <= intent.units
    # "人" inside "人口" is not a person
    assert "犯罪嫌疑人" not in understand("每万人口发明专利拥有量是多少").terms


def test_units_from_measure_words():
    assert detect_units("立案多少件") >= {"件", "起"}
    assert detect_units("罚了多少钱") == {"元"}
    assert "名" in detect_units("抓了几个人")
    assert detect_units("情况怎么样") == frozenset()


def test_chinese_numerals_in_questions():
    assert understand("二〇一九年法院收了多少案子").years == (2019,)
    assert understand("成立了八支服务队吗").numbers_in_question == ("8",)
    # names and words are not numbers
    assert "十三" in understand("十三五规划完成了吗").core_terms
    assert "1" not in understand("罚没款一共多少钱").core_terms


def test_actors_in_order():
    assert detect_actors("检察院和公安局") == ("检察", "公安")
    assert detect_actors("口岸截获") == ("海关",)


def test_followup_carries_topic_and_switches_kind():
    history = [Turn("user", "有效发明专利有多少？"), Turn("assistant", "答：38152件")]
    intent = understand("那同比增长多少？", history)
    assert intent.is_followup and intent.asked == "growth"
    assert "发明专利" in intent.terms and intent.previous_answer.endswith("38152件")


def test_followup_swaps_actor():
    history = [Turn("user", "公安机关抓获了多少犯罪嫌疑人？"), Turn("assistant", "564名")]
    intent = understand("检察院呢？", history)
    assert intent.actors == ("检察",)
    assert "公安" not in intent.query and "犯罪嫌疑人" in intent.query


def test_full_question_is_not_a_followup():
    history = [Turn("user", "有效发明专利有多少？")]
    assert not understand("海关扣留了多少侵权货物？", history).is_followup


def test_places_and_years():
    intent = understand("北京市2018年专利有多少")
    assert intent.places == ("北京市",) and intent.years == (2018,)


@pytest.mark.parametrize("raw, problem", [("", "请输入"), ("   \n\t", "请输入"), (None, "请输入"),
                                          ("？？！！…", "没有看懂"), ("😀😀🎉", "没有看懂")])
def test_clean_question_problems(raw, problem):
    assert problem in clean_question(raw).problem


def test_clean_question_strips_controls_bidi_and_surrogates():
    cleaned = clean_question("海关\x00扣留\u202e了\ud800多少\u200b货物？")
    assert cleaned.text == "海关扣留了?多少货物?"  # lone surrogate becomes '?', NFKC makes ？ ASCII
    assert not cleaned.problem


def test_clean_question_caps_length_with_notice():
    cleaned = clean_question("专利" * 1000)
    assert len(cleaned.text) == MAX_QUESTION_CHARS
    assert "问题过长（2000字）" in cleaned.notice


def test_everyday_year_on_year_becomes_the_report_word():
    for question in ("比前一年多了多少？", "比去年增长了多少", "较上年涨了多少"):
        intent = understand(question)
        assert "同比" in intent.core_terms and intent.asked == "growth"


def test_short_question_without_a_thing_is_a_followup():
    history = [Turn("user", "全市有效发明专利有多少件？"), Turn("assistant", "答：38152件")]
    assert understand("比前一年多了多少？", history).is_followup
    assert not understand("海关扣留了多少侵权货物？", history).is_followup


def test_nouns_and_places_are_read():
    intent = understand("上海海关扣留了多少侵权货物？")
    assert intent.places == ("上海海关",)
    assert "月工资" in understand("技术调查官一个月工资多少？").asked_nouns
