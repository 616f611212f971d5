"""A total asked over a list the report writes item by item (qa/totals.py), and the remainder of two
figures of one sentence (qa/decide.py): tiny hand-made facts, then the model-free engine."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from qa.coverage import expansions
from qa.totals import asked_items, enumeration, label, remainder_pair

OPENERS = ("共计", "合计", "共")
SENTENCE = "第21届中国专利奖，天津专利权人共获得金奖1项，优秀奖14项，外观设计优秀奖3项。"


def fact(figure, subject, *, value, unit="项", kind="count", sentence_start=0, clause="", comparison=None,
         scope="", year=2020):
    return SimpleNamespace(figure_text=figure, subject=subject, value=value, unit=unit, kind=kind, year=year,
                           sentence_start=sentence_start, clause=clause or subject + figure, comparison=comparison,
                           scope=scope)


GOLD = fact("1项", "天津专利权人共获得金奖", value=1)
GOOD = fact("14项", "优秀奖", value=14)
DESIGN = fact("3项", "外观设计优秀奖", value=3)
OTHER_SENTENCE = fact("2项", "优秀奖", value=2, sentence_start=99)
OTHER_UNIT = fact("5件", "优秀奖", value=5, unit="件")
GROWTH = fact("9.9%", "优秀奖", value=9.9, unit="%", kind="growth_rate", comparison="同比增长")
FACTS = [GOLD, GOOD, DESIGN, OTHER_SENTENCE, OTHER_UNIT, GROWTH]


def no_actions(_clause: str) -> tuple:
    return ()


def test_label_is_the_item_own_words():
    assert label("天津专利权人共获得金奖", OPENERS) == "获得金奖"
    assert label("专家组成的知识产权评审专家库", OPENERS) == "知识产权评审专家库"
    assert label("共", OPENERS) == "共"  # nothing after the opener: keep the subject


def test_enumeration_is_one_sentence_one_unit_one_kind():
    assert enumeration(GOOD, FACTS, no_actions) == (GOLD, GOOD, DESIGN)
    assert enumeration(OTHER_SENTENCE, FACTS, no_actions) == ()  # alone in its sentence


def test_items_of_another_action_are_no_list():
    """共接投诉举报20件，立案30件，结案30件: three figures of 件 counting three actions are no list."""
    complaints = fact("20件", "投诉举报", value=20, unit="件", clause="共接投诉举报20件")
    filed = fact("30件", "立案", value=30, unit="件", clause="立案30件")
    closed = fact("30件", "结案", value=30, unit="件", clause="结案30件")
    actions = {"共接投诉举报20件": ("收案",), "立案30件": ("立案",), "结案30件": ("结案",)}
    assert enumeration(filed, [complaints, filed, closed], actions.get) == ()


def test_a_word_naming_one_item_picks_it_and_none_asks_for_all():
    items = (GOLD, GOOD, DESIGN)
    assert asked_items(("外观设计",), items, OPENERS, expansions) == (DESIGN,)
    assert asked_items(("天津", "奖"), items, OPENERS, expansions) == items  # 奖 names every item
    assert asked_items(("金奖", "外观设计"), items, OPENERS, expansions) == (GOLD, DESIGN)


def test_remainder_pairs_only_the_one_other_figure_of_the_sentence():
    filed = fact("237起", "立案", value=237, unit="起")
    solved = fact("178起", "破案", value=178, unit="起")
    rate = fact("75%", "破案率", value=75, unit="%", kind="percent")
    assert remainder_pair(solved, [filed, solved, rate]) == (filed, solved)  # larger first
    assert remainder_pair(GOLD, FACTS) is None  # two other figures of 项 in the sentence: which one is not said


@pytest.mark.parametrize("question, expected", [
    ("第21届中国专利奖上天津的奖项加起来有几项？", "18项（计算得出）"),
    ("知识产权专家智库里的专家加起来一共多少名？", "149名（计算得出）"),
    ("中国专利奖算上外观设计的，天津一共拿了几项？", "18项（计算得出）"),  # named to include, not to pick
    ("市里的专家组和两个专家库的专家总数是多少？", "149名（计算得出）"),  # two parts, the second a list of two
])
def test_total_over_a_list_is_computed_and_cited(model_free_engine, question, expected):
    answer = model_free_engine.ask(question)
    assert answer.short_answer == expected
    assert answer.computed is not None and answer.computed.formula.count("+") >= 2
    assert len({c.number for c in answer.citations}) >= 1


def test_one_item_named_is_answered_as_written(model_free_engine):
    assert model_free_engine.ask("第21届中国专利奖外观设计优秀奖一共多少项？").short_answer == "3项"
