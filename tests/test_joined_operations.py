"""Sums and comparisons over things a question joins (qa.parts joined_sum, qa.operating, qa.decide):
on a made-up work report, through the model-free engine, and the place and plan features on it."""

from __future__ import annotations

import pytest

REPORT = """某省2026年政府工作报告

一、2025年工作回顾
2025年，新增高速公路2600公里、农村公路3000公里、自然村组通硬化路3.66万公里。
累计提请省人大常委会审议地方性法规46件、制定省政府规章21件。
办理省人大代表建议292件、省政协提案553件。
人大代表、政协委员累计提出意见建议2979件、提案3397件。
全年共接投诉举报20件，结案18件。
全省地区生产总值达到13697.5亿元。庆阳市新建物流园区12个。
指导东丽区、滨海新区获批试点城区，共获得国家财政3亿元专项资金支持。
规模以上工业企业从1832户增加到3382户。快递业务量从1.38亿件增加到5.66亿件，增加3.1倍。

二、2026年工作安排
2026年主要预期目标是：地区生产总值增长5.5%左右，城镇调查失业率控制在5.5%左右。
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    from qa.engine import EngineConfig, QAEngine
    from tests.conftest import FakeEmbedder

    root = tmp_path_factory.mktemp("joined")
    corpus = root / "work-report.txt"
    corpus.write_text(REPORT, encoding="utf-8")
    engine = QAEngine(EngineConfig(corpus=corpus, cache_dir=root / "cache", retrieval="bm25"), embedder=FakeEmbedder())
    engine.warm_up()
    return engine


def _figures(answer) -> list[str]:
    return [f.text for f in answer.figures]


def test_a_sum_of_two_named_items_adds_those_two_and_not_their_list(engine):
    answer = engine.ask("高速公路和农村公路加起来一共多少公里？")
    assert answer.computed is not None and answer.computed.text == "5600公里", answer.answer
    assert sorted(_figures(answer)) == ["2600公里", "3000公里"]


def test_a_total_word_over_joined_things_adds_them(engine):
    answer = engine.ask("省人大代表建议和省政协提案一共办理了多少件？")
    assert answer.computed is not None and answer.computed.text == "845件", answer.answer


def test_a_list_item_written_after_a_total_word_is_not_the_total_of_the_others(engine):
    # 累计 opens the list: 46件 is the 法规 only, and the two are added
    answer = engine.ask("地方性法规和省政府规章一共多少件？")
    assert answer.computed is not None and answer.computed.text == "67件", answer.answer


def test_joined_things_with_one_figure_get_that_figure(engine):
    answer = engine.ask("企业和个人一共递交了多少件投诉举报？")
    assert answer.computed is None and _figures(answer) == ["20件"], answer.answer


def test_a_comparison_whose_parts_name_two_figures_compares_them(engine):
    answer = engine.ask("人大代表、政协委员提出的意见建议和提案，哪个更多？")
    assert sorted(_figures(answer)) == ["2979件", "3397件"], answer.answer
    assert answer.computed is not None and answer.computed.operation == "compare"


def test_a_change_written_from_one_figure_to_another_is_their_difference(engine):
    answer = engine.ask("规模以上工业企业增加了多少户？")
    assert answer.computed is not None and answer.computed.text == "1550户", answer.answer
    assert sorted(_figures(answer)) == ["1832户", "3382户"]


def _columns(engine, question: str, names: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """Feature values of the figures a question's candidates hold, by figure text."""
    from qa.features import FACT_FEATURES, Asked
    from qa.figure_features import fact_static
    from qa.prepared import PartWork

    reading = engine.read(question, [])
    work = PartWork.of(reading, engine.view)
    matrix = fact_static(Asked.build(reading, engine.view, None), engine.view, work.candidates)
    return {engine.view.facts[i].figure_text + engine.view.facts[i].subject[:2]:
            {n: float(matrix[k, FACT_FEATURES.index(n)]) for n in names} for k, i in enumerate(work.candidates)}


def test_a_place_the_question_names_must_be_in_the_figures_sentence(engine):
    names = ("place_fit", "place_missing")
    rows = _columns(engine, "庆阳市地区生产总值是多少？", names)
    province = next(v for k, v in rows.items() if k.startswith("13697.5亿元"))
    assert province == {"place_fit": 0.0, "place_missing": 1.0}
    rows = _columns(engine, "全省地区生产总值是多少？", names)  # no place of its own: no signal
    assert all(v == {"place_fit": 0.0, "place_missing": 0.0} for v in rows.values())


def test_a_target_answers_a_question_about_a_target(engine):
    names = ("plan_fit", "plan_unasked")
    actual = _columns(engine, "城镇调查失业率实际是多少？", names)
    assert next(v for k, v in actual.items() if k.startswith("5.5%城镇")) == {"plan_fit": 0.0, "plan_unasked": 1.0}
    target = _columns(engine, "城镇调查失业率的目标是多少？", names)
    assert next(v for k, v in target.items() if k.startswith("5.5%城镇")) == {"plan_fit": 1.0, "plan_unasked": 0.0}


def test_a_members_own_figure_is_not_a_total_over_several(engine):
    own = _columns(engine, "投诉举报单独接了多少件？", ("own_vs_total",))
    plain = _columns(engine, "投诉举报接了多少件？", ("own_vs_total",))
    assert next(v for k, v in own.items() if k.startswith("20件")) == {"own_vs_total": 1.0}  # 共接…20件: a total
    assert next(v for k, v in own.items() if k.startswith("18件")) == {"own_vs_total": 0.0}
    assert next(v for k, v in plain.items() if k.startswith("20件")) == {"own_vs_total": 0.0}
    # a district's own figure: the two districts' total is no candidate at all (the place conflict), and
    # stays one when both are asked
    assert not any(k.startswith("3亿元") for k in _columns(engine, "东丽区单独获得了多少专项资金？", ("own_vs_total",)))
    both = _columns(engine, "东丽区和滨海新区一共获得了多少专项资金？", ("own_vs_total",))
    assert next(v for k, v in both.items() if k.startswith("3亿元")) == {"own_vs_total": 0.0}


def test_the_report_region_is_the_place_it_writes_most():
    from types import SimpleNamespace

    from qa.report import ReportView

    view = SimpleNamespace(document=SimpleNamespace(text="天津市…天津…天津港。北京、天津协同。兰州新区"))
    view.home_places = ReportView.home_places.func(view)
    assert view.home_places == frozenset({"天津"})
    assert ReportView.is_home(view, "天津市") and not ReportView.is_home(view, "北京")
