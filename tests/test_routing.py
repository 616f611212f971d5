"""Which reports a question picks, what each is asked, and how their answers are put together (no model)."""

from __future__ import annotations

import pytest

from qa.answering import AnswerFigure, Citation, compose_found, compose_refusal
from qa.combining import Part, difference, merge_citations, put_together, scope_problem
from qa.routing import Plan, Shelved, find_mentions, operation_of, plan, sub_question, year_mentions

SHELF = (Shelved("tj", "《天津》", 2020, "天津市", frozenset({2019, 2020}), "天津市2020年知识产权工作报告"),
         Shelved("p18", "《检察2018》", 2018, "", frozenset({2018})),
         Shelved("p19", "《检察2019》", 2019, "", frozenset({1999, 2019})),
         Shelved("bj", "《北京》", 2021, "北京市", frozenset({2021})))


@pytest.mark.parametrize("question, years", [
    ("19年比18年多了多少件?", [2019, 2018]),
    ("2018、2019两年各是多少?", [2018, 2019]),
    ("how many more in 2019 than 2018? 差多少", [2019, 2018]),
    ("二〇一九年批捕了多少人?", [2019]),
    ("近10年来批捕了多少人? 10年来呢", []),
    ("批捕了2018件吗?", []),
])
def test_years_written_in_a_question(question, years):
    assert [m.value for m in year_mentions(question)] == years


def test_places_and_titles_pick_reports_by_their_catalogue_entry():
    assert [(m.kind, m.value) for m in find_mentions("天津和北京谁的专利多?", SHELF)] == [
        ("place", "天津市"), ("place", "北京市")]
    titled = find_mentions("天市2020年知识产权工作报告里", SHELF) + find_mentions("天津市2020年知识产权工作报告里", SHELF)
    assert [(m.kind, m.value) for m in titled] == [("year", 2020), ("title", "tj")]


@pytest.mark.parametrize("question, operation", [
    ("19年比18年批捕的案子多了多少件啊?", "difference"),
    ("2019年起诉的案件数跟2018年比多了几件", "difference"),
    ("2019年比2018年多批捕了多少人?", "difference"),
    ("2018年和2019年批捕的人数相差多少?", "difference"),
    ("2018年和2019年同比增长了多少?", "each"),  # each year's growth, not a difference
    ("起诉的人数是2018年多还是2019年多", "compare"),
    ("批捕增速,18年和19年哪年更高?", "compare"),
    ("天津和北京谁的专利多?", "compare"),
    ("18年跟19年各批捕了多少人,分别说一下", "each"),
])
def test_what_a_question_across_reports_wants(question, operation):
    assert operation_of(question) == operation


@pytest.mark.parametrize("question, asked", [
    ("19年比18年批捕的知识产权案子多了多少件啊?", "批捕的知识产权案子是多少件啊?"),
    ("2019年的公诉件数比2018年多多少?", "公诉件数是多少?"),
    ("公诉人数的同比涨幅,19年比18年高了几个百分点?", "公诉人数的同比涨幅是多少?"),
    ("18年跟19年各批捕了多少人,分别说一下", "批捕了多少人"),
    ("2018、2019两年提起公诉的件数各是多少?", "提起公诉的件数是多少?"),
    ("起诉的人数是2018年多还是2019年多", "起诉的人数是多少?"),
    ("Which year had more cases approved for arrest, 2018 or 2019? 批捕件数", "批捕件数是多少?"),
])
def test_each_report_is_asked_the_question_without_years_and_comparison(question, asked):
    assert sub_question(question, year_mentions(question)) == asked


def test_plans():
    cross = plan("19年比18年批捕的知识产权案子多了多少件啊?", SHELF)
    assert (cross.operation, cross.by, [(g.name, g.report_ids) for g in cross.groups]) == (
        "difference", "year", [("2019年", ("p19",)), ("2018年", ("p18",))])
    one = plan("2019年批捕了多少人?", SHELF)
    assert [(g.report_ids, g.question) for g in one.groups] == [(("p19",), "批捕了多少人?")]  # the year did its work
    kept = plan("1999年起诉了多少人?", SHELF)  # no report is about 1999: the one whose text writes it, asked as is
    assert [(g.report_ids, g.question) for g in kept.groups] == [(("p19",), "1999年起诉了多少人?")]
    assert "没有2017年的报告" in plan("2017年批捕了多少人?", SHELF).reason
    assert "2018、2019、2020、2021年" in plan("2017年批捕了多少人?", SHELF).reason
    assert plan("批捕了多少人?", SHELF) == Plan()  # names nothing: one search decides
    assert plan("批捕增速哪一年更高?", SHELF).operation == "compare"
    place = plan("天津和北京谁的专利多?", SHELF)
    assert (place.by, [g.question for g in place.groups]) == ("place", ["专利是多少?", "专利是多少?"])
    assert "只写两个" in plan("2018年、2019年和2020年批捕的人数相差多少?", SHELF).reason


def test_a_follow_up_naming_nothing_stays_with_the_reports_named_before():
    follow = plan("那起诉呢?", SHELF, earlier=["2018年和2019年批捕各多少人?"])
    assert follow.followup and follow.operation == "each"
    assert [(g.report_ids, g.question) for g in follow.groups] == [(("p18",), "那起诉呢?"), (("p19",), "那起诉呢?")]


# -- putting answers together -------------------------------------------------------------------

def _part(name: str, figure: str, *, found: bool = True, rid: str = "", facts=(), place: str = "", year=None) -> Part:
    sentence = f"报告写道{figure}。"
    cite = Citation(1, 0, 0, "", 1, sentence, 0, len(sentence), 1.0)
    other = Citation(2, 1, 1, "保护", 2, "另一段。", 20, 24, 0.5)
    answer = (compose_found("?", (AnswerFigure("f7", figure, 1),), figure, sentence, (cite, other), kind="count",
                            confidence=0.9) if found else compose_refusal("?", "报告中没有这个数字。", (other,)))
    return Part(name, rid or f"r{name}", f"《{name}报告》", answer, facts, year=year, place=place)


def test_difference_is_computed_from_both_cited_figures_larger_first():
    a = difference("?", _part("2018年", "3306件"), _part("2019年", "4346件"), ("《2018年报告》", "《2019年报告》"))
    assert a.found and a.short_answer == "1040件（计算得出）"
    assert a.computed.formula == "4346件（2019年）− 3306件（2018年）= 1040件"
    assert a.computed.operands == ("r2018年:f7", "r2019年:f7")
    assert [(f.text, f.citation) for f in a.figures] == [("3306件", 1), ("4346件", 2)]
    assert [(c.number, c.report) for c in a.citations] == [(1, "《2018年报告》"), (2, "《2019年报告》"),
                                                           (3, "《2018年报告》"), (4, "《2019年报告》")]
    assert "计算得出：" in a.answer and "[2] 《2019年报告》引言 第1段：报告写道4346件。" in a.answer
    points = difference("?", _part("2019年", "32.2%"), _part("2018年", "22.3%"), ())
    assert points.computed.text == "9.9个百分点"  # percentages differ by percentage points


@pytest.mark.parametrize("other, why", [("8325人", "单位不同"), ("31.7%", "类型不同")])
def test_figures_of_another_unit_or_kind_are_not_subtracted(other, why):
    a = difference("?", _part("2018年", "3306件"), _part("2019年", other), ())
    assert not a.found and why in a.reason and a.computed is None


def test_figures_that_mean_different_things_are_not_compared():
    class Fact:
        def __init__(self, actor):
            self.kind, self.actor, self.scope, self.comparison = "count", actor, "", None

    a = difference("?", _part("2018年", "330件", facts=(Fact("公安"),)), _part("2019年", "430件", facts=(Fact("检察"),)), ())
    assert not a.found and "执行方不同" in a.reason
    assert scope_problem("year", [_part("2020年", "1件", place="天津市"), _part("2019年", "2件")]).startswith(
        "2020年的报告是天津市的、2019年的报告是全国或未写明地区的")
    assert scope_problem("year", [_part("2020年", "1件", place="天津市"), _part("2019年", "2件", place="天津市")]) == ""


def test_rows_name_each_report_and_a_named_report_without_the_figure_says_so():
    route = Plan("each", by="year")
    a = put_together("?", route, [_part("2018年", "5627人"), _part("2019年", "", found=False)])
    assert a.found and a.short_answer == "2018年：5627人；2019年：没有找到"
    assert "2019年（《2019年报告》）：没有找到。报告中没有这个数字。" in a.answer
    assert all(c.report == "《2018年报告》" for c in a.citations)
    searched = put_together("?", Plan(), [_part("甲", "1件"), _part("乙", "", found=False)], searched=True, more=4)
    assert searched.short_answer == "1件" and "另有4份报告也有相关段落" in searched.answer
    assert searched.citations[0].report == "《甲报告》" and searched.answer.splitlines()[1] == "报告：《甲报告》"


def test_citations_of_several_reports_are_taken_in_turn_and_numbered_again():
    cites, numbers = merge_citations([_part("甲", "1件"), _part("乙", "2件")], per_part=1)
    assert [(c.number, c.report) for c in cites] == [(1, "《甲报告》"), (2, "《乙报告》")]
    assert numbers == [{1: 1}, {1: 2}]
