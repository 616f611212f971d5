"""今年 and 去年 read as the report's years (qa.report.plan_year, qa.prepared.with_report_years,
qa.slots.now_offset): on tiny hand-checked inputs, then the model-free engine on a made-up work report
that reviews 2025 and plans 2026."""

from __future__ import annotations

from collections import Counter

from qa.prepared import with_report_years
from qa.reader import read
from qa.report import plan_year
from qa.slots import now_offset, numerals_to_digits

WORK_REPORT = """某省2026年政府工作报告

一、2025年工作回顾
2025年，全省地区生产总值增长5.2%，粮食产量达到820万吨，新增城镇就业35万人，城镇调查失业率5.1%。
全省新建5G基站1.2万个，完成造林面积150万亩，新建口袋公园85个。

二、2026年工作安排
2026年主要预期目标是：地区生产总值增长5%左右，粮食产量稳定在800万吨以上，新增城镇就业30万人，城镇调查失业率5.5%左右。
全省新建5G基站1万个，完成造林面积120万亩，新建口袋公园60个。
"""


def test_now_offset_reads_this_and_last_year_as_words_of_their_own():
    assert now_offset("今年粮食产量目标是多少") == 0
    assert now_offset("去年粮食产量是多少") == -1
    assert now_offset("比去年同期增长多少") is None  # a comparison base, not the year asked about
    assert now_offset("今年的目标比去年多多少") is None  # both: left to the parts
    assert now_offset("粮食产量是多少") is None


def test_plan_year_needs_a_reviewed_year_and_the_next():
    assert plan_year(Counter({2025: 5, 2026: 3})) == 2026
    assert plan_year(Counter({2020: 20, 2019: 2})) is None  # a report about one year: 去年 stays its base
    assert plan_year(Counter({2026: 4})) is None
    assert plan_year(Counter()) is None


def test_with_report_years_fills_years_only_where_none_is_written():
    class View:
        current_year = 2026

    assert with_report_years(read("去年粮食产量是多少"), View()).years == (2025,)
    assert with_report_years(read("今年粮食产量目标是多少"), View()).years == (2026,)
    assert with_report_years(read("2024年粮食产量是多少"), View()).years == (2024,)

    class OneYear:
        current_year = None

    assert with_report_years(read("去年粮食产量是多少"), OneYear()).years == ()


def test_a_follow_up_naming_this_year_drops_the_year_of_the_turn_before():
    from qa.reading import Turn

    history = [Turn("user", "2025年新建口袋公园多少个？"), Turn("assistant", "答：85个")]
    reading = read("那今年呢？", history)
    assert reading.years == () and reading.now_offset == 0


def test_numbered_names_of_the_vocabulary_keep_their_numerals():
    assert numerals_to_digits("第一产业和第三产业投资合计多少") == "第一产业和第三产业投资合计多少"
    assert numerals_to_digits("排第六，抓了三十余人") == "排第6，抓了30余人"


def test_engine_answers_last_year_with_the_review_and_this_year_with_the_plan(tmp_path):
    from qa.engine import EngineConfig, QAEngine
    from tests.conftest import FakeEmbedder

    corpus = tmp_path / "work-report.txt"
    corpus.write_text(WORK_REPORT, encoding="utf-8")
    engine = QAEngine(EngineConfig(corpus=corpus, cache_dir=tmp_path / "cache", retrieval="bm25"),
                      embedder=FakeEmbedder())
    engine.warm_up()
    assert engine.view.current_year == 2026
    last = engine.ask("去年新建了多少个口袋公园？")
    this = engine.ask("今年打算新建多少个口袋公园？")
    assert [f.text for f in last.figures] == ["85个"], last.answer
    assert [f.text for f in this.figures] == ["60个"], this.answer
