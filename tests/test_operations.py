"""Arithmetic on cited figures, short text answers and typo mending, on hand-checked inputs."""

from __future__ import annotations

from dataclasses import replace

import pytest

from qa.numbers import parse_quantity as q
from qa.operations import combine, larger, verdict
from qa.reader import read
from qa.spelling import SpellFixer
from qa.textanswer import short_answer


def test_difference_and_sum_keep_the_written_scale():
    assert combine("difference", q("9079件"), q("8820件")).text == "259件"
    assert combine("difference", q("8820件"), q("9079件")).formula == "9079件 − 8820件 = 259件"  # larger first
    assert combine("sum", q("24.6万件"), q("28.9万件")).text == "53.5万件"
    assert combine("sum", q("20名"), q("86名")).text == "106名"
    assert combine("sum", replace(q("1.5亿"), kind="money"), q("3亿元")).text == "4.5亿元"  # both yuan
    assert combine("difference", q("385人"), q("179人")).text == "206人"


@pytest.mark.parametrize("a, b", [("9079件", "31.4%"), ("24项", "8个"), ("564名", "3.1亿元")])
def test_figures_of_other_units_or_kinds_are_not_combined(a, b):
    assert combine("sum", q(a), q(b)).reason and not combine("sum", q(a), q(b)).text


def test_comparisons_and_verdicts():
    assert larger(q("564名"), q("385人")).text == "564名"
    assert larger(q("30件"), q("30件")) is None
    assert verdict(q("564名"), ">", 500, "名") == "是" and verdict(q("486.26万元"), ">", 5e6, "元") == "否"
    assert verdict(q("75%"), ">", 80, "%") == "否" and verdict(q("第8位"), ">", 5, "位") == "否"
    assert verdict(q("第1位"), ">", 5, "位") == "是" and verdict(q("8支"), "=", 8, "支") == "是"


@pytest.mark.parametrize("question, sentence, expected", [
    ("在哪个口岸截获的？", "帮助企业在宁波口岸截获侵犯商标权砂轮片案。", "宁波口岸"),
    ("海关开展了哪些专项行动？", "组织开展“龙腾”、“蓝网”、“净网”等专项行动，加强执法。", "“龙腾”、“蓝网”、“净网”"),
    ("保护中心是哪一年获批的？", "保护中心于2020年获得批准建设。", "2020年"),
    ("出台了什么文件？", "制定出台《关于知识产权强区建设的意见》，组织实施。", "《关于知识产权强区建设的意见》"),
])
def test_short_answers(question, sentence, expected):
    assert short_answer(read(question), sentence) == expected


def test_typos_are_mended_against_the_report_only():
    fixer = SpellFixer("全市有效专利达到24.6万件。全市检察机关批准逮捕103件。在宁波口岸截获。市场监管罚没款。")
    assert fixer.fix("有效专力有多少") == "有效专利有多少"
    assert fixer.fix("检查机关批捕了多少人") == "检察机关批捕了多少人"
    assert fixer.fix("在哪个口按截获的") == "在哪个口岸截获的"
    assert fixer.fix("技术调查官工资多少") == "技术调查官工资多少"     # a real word, not a typo
    assert fixer.fix("北京市的专利数量是多少") == "北京市的专利数量是多少"  # places are never respelt
    assert fixer.fix("专利有多少件") == "专利有多少件"                # function characters are never respelt
    # a question's own cue phrases are kept: 由多少 (a start) was respelt 有多少 after a report with 有多少
    assert SpellFixer("全市共有多少人参加。").fix("专利由多少增长到多少") == "专利由多少增长到多少"


def test_typos_next_to_known_words_and_fuzzy_pinyin():
    fixer = SpellFixer("加强专利侵权纠纷调解工作，共接投诉举报20件。“铁拳”行动发现问题，罚没款2205.74万元。")
    assert fixer.fix("专力侵权纠纷调解") == "专利侵权纠纷调解"  # 侵权, 纠纷 are kept, 力 is mended
    assert fixer.fix("收到几个投述举报") == "收到几个投诉举报"  # shu for su: a fuzzy-pinyin slip
    assert fixer.fix("铁拳行动罚了多少钱") == "铁拳行动罚了多少钱"  # 行动 is the report's word: 动罚 is no typo


def test_a_two_character_window_does_not_cut_into_a_dictionary_word():
    # was: 的申 (of 群众的申诉) read like the report's 的审 and became it: 群众的审诉
    fixer = SpellFixer("全市法院的审判工作。点对点帮扶企业338家。")
    assert fixer.fix("收到多少起群众的申诉和检举") == "收到多少起群众的申诉和检举"
    assert fixer.fix("点对点帮付的企业数量") == "点对点帮扶的企业数量"  # a typo is still mended
    # a one-character cue of a question is what the user meant: 占 (a share) is not the report's 开展全市
    assert SpellFixer("开展全市知识产权执法。").fix("法庭的案子大概占全市的几成") == "法庭的案子大概占全市的几成"
