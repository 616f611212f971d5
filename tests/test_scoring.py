"""Hand-checked cases for every evaluation metric."""

from __future__ import annotations

import pytest

from eval.dataset import EvalItem, Turn
from eval.scoring import (
    ItemScore,
    citation_hit,
    evidence_rank,
    figure_in_text,
    latency_stats,
    normalize_text,
    percentile,
    refusal_metrics,
    retrieval_metrics,
    score_all,
    score_figures,
    score_item,
    score_text,
    summarize,
)
from qa.answering import Answer, AnswerFigure, Citation

CUSTOMS = "共对323个批次的进出口货物、物品采取知识产权海关保护措施，扣留涉嫌侵权货物81.22万件，扣留的侵权嫌疑货物案值486.26万元。"
COURTS = "2020年，全市法院新收知识产权民事、刑事、行政案件9079件，同比增长31.4%；审结8820件，同比增长37.9%。"
RANK = "2019年天津知识产权保护满意度位居全国第8位，知识产权保护满意度在四个直辖市中位列第1位。"
OTHER = "种子企业共获得授权植物新品种177个。"


def cite(number: int, text: str) -> Citation:
    return Citation(number, number - 1, 2, "实施最严格知识产权保护", 1, text, 0, len(text), 1.0 / number)


def answer(text: str, figures=(), citations=(), found=True, latency_ms=10.0) -> Answer:
    figs = tuple(AnswerFigure(f"f{i}", f, 1) for i, f in enumerate(figures))
    return Answer("q", text, text, found, figs, tuple(citations), latency_ms=latency_ms)


def item(kind="figure", answers=("81.22万件",), evidence="扣留涉嫌侵权货物81.22万件", history=()):
    return EvalItem("t1", "海关扣了多少货？", tuple(answers), evidence, kind, tuple(history))


# ---------------------------------------------------------------- figures


def test_figure_exact_match_is_correct():
    a = answer("海关扣留涉嫌侵权货物81.22万件。[1]", ["81.22万件"], [cite(1, CUSTOMS)])
    score = score_item(item(), a)
    assert score == ItemScore("t1", "figure", True, True, None, True, True, (), 10.0, False)


def test_figure_scale_equivalence():
    # 81.22万 = 81.22万件 = 812200件, in figures and in the answer text.
    a = answer("扣留了812200件。", ["812200件"])
    assert score_figures(["81.22万件"], a) == (True, ())
    assert score_figures(["81.22万"], answer("扣留81.22万件", ["81.22万件"]))[0]
    assert not score_figures(["81.22万件"], answer("扣留81.22件", ["81.22件"]))[0]


def test_percent_never_equals_count():
    ok, reasons = score_figures(["31.4%"], answer("新收31.4件", ["31.4件"]))
    assert not ok
    assert "figure '31.4%' not among answer figures ['31.4件']" in reasons
    assert "figure '31.4%' not in answer text" in reasons


def test_rank_equivalence():
    assert score_figures(["第8位"], answer("天津排名全国第八。", ["第八"])) == (True, ())
    assert score_figures(["第八"], answer("位居全国第8位", ["第8位"])) == (True, ())
    assert not score_figures(["第8位"], answer("8人", ["8人"]))[0]


def test_shotgun_answers_rejected():
    gold = ["9079件"]
    fine = answer("新收9079件，同比增长31.4%。", ["9079件", "31.4%"])  # one extra figure is allowed
    assert score_figures(gold, fine) == (True, ())
    shotgun = answer(COURTS, ["9079件", "31.4%", "8820件", "37.9%"])
    ok, reasons = score_figures(gold, shotgun)
    assert not ok and reasons == ("too many figures: 4 for 1 gold (at most 2)",)


def test_two_gold_figures_need_two_distinct_matches():
    gold = ["178件", "385人"]
    assert score_figures(gold, answer("提起公诉178件385人", ["178件", "385人"])) == (True, ())
    ok, reasons = score_figures(gold, answer("提起公诉178件", ["178件"]))
    assert not ok and "figure '385人' not among answer figures ['178件']" in reasons
    # The same figure cannot satisfy two gold entries.
    assert not score_figures(["30件", "30件"], answer("30件", ["30件"]))[0]
    assert score_figures(["30件", "30件"], answer("调处30件，结案30件", ["30件", "30件"]))[0]


def test_a_result_computed_from_exactly_the_gold_figures_matches_them():
    from dataclasses import replace

    from qa.answering import Computed

    computed = replace(answer("259件（计算得出）\n计算得出：9079件 − 8820件 = 259件", ["9079件", "8820件"]),
                       computed=Computed("difference", "259件", "9079件 − 8820件 = 259件", ("f1", "f2")))
    assert score_figures(["259件"], computed)[0]  # the result itself, as before
    assert score_figures(["9079件", "8820件"], computed)[0]  # the gold names the two figures it comes from
    assert not score_figures(["9079件", "2336件"], computed)[0]  # another operand: wrong
    assert not score_figures(["9079件"], computed)[0]  # one gold figure is a value, not operands
    three = replace(answer("14项（计算得出）", ["1项", "10项", "3项"]),
                    computed=Computed("sum", "14项", "1项 + 10项 + 3项 = 14项", ("f1", "f2", "f3")))
    assert not score_figures(["1项", "3项"], three)[0]  # an operand the gold does not name: wrong
    plain = answer("9079件、8820件", ["9079件", "8820件"])  # not computed: the figures as given
    assert score_figures(["9079件", "8820件"], plain)[0]


def test_gold_figure_must_be_in_answer_text():
    ok, reasons = score_figures(["564名"], answer("见引文。", ["564名"]))
    assert not ok and reasons == ("figure '564名' not in answer text",)
    assert figure_in_text("9.9%", "同比增长9.9%")
    assert not figure_in_text("9.9%", "同比增长29.9%")  # no substring false positive
    assert figure_in_text("323个批次", "共对323个批次的进出口货物")


def test_a_date_is_found_in_the_answer_text_as_written():
    assert score_figures(["2020年"], answer("答：2020年", ["2020年"])) == (True, ())
    assert figure_in_text("2020年4月", "答：2020年4月")
    assert not figure_in_text("2020年4月", "答：2019年")
    assert not score_figures(["2020年"], answer("答：2019年", ["2019年"]))[0]


def test_figure_refused_is_wrong_even_with_figures():
    a = answer("报告没有提到。", ["81.22万件"], found=False)
    score = score_item(item(), a)
    assert not score.correct and score.figure_ok is False and score.refusal_ok is False
    assert "refused an answerable question" in score.reasons


def test_accepts_to_dict_form():
    a = answer("扣留涉嫌侵权货物81.22万件。", ["81.22万件"], [cite(1, CUSTOMS)]).to_dict()
    assert isinstance(a["figures"][0], dict)
    assert score_item(item(), a).correct


# ---------------------------------------------------------------- text


def test_text_accuracy_normalizes_width_and_space_only():
    gold = ["风险先导，精准打击", "国家知识产权局专利审查协作（天津）中心"]
    text = '采用"风险先导, 精准打击"模式；与国家知识产权局专利审查协作(天津)中心合作。'
    assert score_text(gold, answer(text)) == (True, ())
    ok, reasons = score_text(["东丽区", "滨海新区"], answer("滨海新区获批。"))
    assert not ok and reasons == ("text '东丽区' not in answer",)
    assert normalize_text("“昆仑２０２０” 行动") == '"昆仑2020"行动'


def test_text_item_score():
    it = item("text", ["龙腾", "蓝网", "净网"], "“龙腾”、“蓝网”、“净网”")
    good = answer("海关开展了“龙腾”“蓝网”“净网”等专项行动。", citations=[cite(1, "组织开展“龙腾”、“蓝网”、“净网”等专项行动。")])
    s = score_item(it, good)
    assert s.correct and s.text_ok and s.figure_ok is None and s.citation_ok


# ---------------------------------------------------------------- citations


def test_citation_must_be_in_top_three():
    evidence = "扣留涉嫌侵权货物81.22万件"
    top = [cite(1, OTHER), cite(2, COURTS), cite(3, RANK), cite(4, CUSTOMS)]
    assert not citation_hit(evidence, answer("x", citations=top))
    reordered = [cite(4, OTHER), cite(2, COURTS), cite(1, CUSTOMS), cite(3, RANK)]  # printed order by number
    assert citation_hit(evidence, answer("x", citations=reordered))
    assert citation_hit("扣留涉嫌侵权货物 81.22万件", answer("x", citations=[cite(1, CUSTOMS)]))
    assert not citation_hit("", answer("x", citations=[cite(1, CUSTOMS)]))

    s = score_item(item(), answer("扣留81.22万件", ["81.22万件"], top))
    assert s.correct and s.citation_ok is False  # right figure, wrong citation: scored apart
    assert s.reasons == ("evidence '扣留涉嫌侵权货物81.22万件' not in top 3 citations",)


# ---------------------------------------------------------------- refusal


def test_refusal_scores():
    unans = item("unanswerable", (), "")
    assert score_item(unans, answer("报告未提及。", found=False)) == ItemScore(
        "t1", "unanswerable", True, None, None, None, True, (), 10.0, False
    )
    wrong = score_item(unans, answer("北京有1万件", ["1万件"]))
    assert not wrong.correct and wrong.reasons == ("answered an unanswerable question",)


def test_refusal_metrics_counts():
    unans = item("unanswerable", (), "")
    fig = item()
    good = answer("扣留81.22万件", ["81.22万件"], [cite(1, CUSTOMS)])
    refuse = answer("未提及", found=False)
    scores = score_all(
        [unans, unans, unans, fig, fig, fig, fig],
        [refuse, refuse, good, good, good, good, refuse],
    )
    m = refusal_metrics(scores)
    # refused: 2 unanswerable (right) + 1 answerable (wrong)
    assert m["true_refusals"] == 2 and m["false_refusals"] == 1 and m["false_answers"] == 1
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(2 / 3)
    assert m["false_refusal_rate"] == pytest.approx(1 / 4)
    assert m["false_answer_rate"] == pytest.approx(1 / 3)
    empty = refusal_metrics([])
    assert empty["precision"] is None and empty["recall"] is None


def test_score_all_length_mismatch():
    with pytest.raises(ValueError, match="got 0 answers for 1 items"):
        score_all([item()], [])


# ---------------------------------------------------------------- latency and summary


def test_percentiles():
    assert percentile([], 50) is None
    assert percentile([5.0], 95) == 5.0
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile(range(1, 101), 95) == pytest.approx(95.05)
    stats = latency_stats([30, 10, 20])
    assert stats == {"n": 3, "p50": 20.0, "p95": 29.0, "mean": 20.0, "max": 30.0}
    with pytest.raises(ValueError):
        percentile([1], 120)


def test_summarize_per_kind_and_overall():
    fig = item()
    txt = item("text", ["东丽区"], "东丽区")
    unans = item("unanswerable", (), "")
    follow = item(history=(Turn("user", "海关扣了多少？"), Turn("assistant", "81.22万件")))
    scores = score_all(
        [fig, txt, unans, follow],
        [
            answer("扣留81.22万件", ["81.22万件"], [cite(1, CUSTOMS)], latency_ms=10),
            answer("东丽区", citations=[cite(1, "指导东丽区获批")], latency_ms=20),
            answer("有", ["1件"], latency_ms=30),
            answer("不知道", found=False, latency_ms=40),
        ],
    )
    s = summarize(scores, retrieval={"n": 1, "mrr": 1.0})
    assert s["n"] == 4
    assert s["overall"]["correct"] == 2 and s["overall"]["accuracy"] == 0.5
    assert s["by_kind"]["figure"] == {
        "n": 2, "correct": 1, "accuracy": 0.5, "figure_accuracy": 0.5, "text_accuracy": None,
        "citation_accuracy": 0.5, "refusal_accuracy": 0.5,
    }
    assert s["by_kind"]["text"]["accuracy"] == 1.0
    assert s["by_kind"]["unanswerable"]["refusal_accuracy"] == 0.0
    assert s["followup"]["n"] == 1 and s["followup"]["accuracy"] == 0.0
    assert s["latency_ms"]["p50"] == 25.0 and s["latency_ms"]["n"] == 4
    assert s["retrieval"] == {"n": 1, "mrr": 1.0}
    assert [f["id"] for f in s["failures"]] == ["t1", "t1"]
    assert summarize(scores, latencies_ms=[1.0])["latency_ms"]["p95"] == 1.0
    import json

    json.dumps(s)  # summary.json-ready


# ---------------------------------------------------------------- retrieval


def test_retrieval_hit_at_k_and_mrr():
    items = [
        EvalItem("a", "?", ("81.22万件",), "81.22万件", "figure"),
        EvalItem("b", "?", ("9079件",), "新收知识产权民事、刑事、行政案件9079件", "figure"),
        EvalItem("c", "?", ("177个",), "植物新品种177个", "figure"),
        EvalItem("d", "?", (), "", "unanswerable"),  # skipped
    ]
    ranked = [
        [CUSTOMS, COURTS, RANK],  # rank 1
        [OTHER, RANK, CUSTOMS, "x", COURTS],  # rank 5
        [COURTS, RANK, CUSTOMS],  # not retrieved
        [OTHER],
    ]
    assert [evidence_rank(i.evidence, r) for i, r in zip(items, ranked)] == [1, 5, None, None]
    m = retrieval_metrics(items, ranked)
    assert m["n"] == 3
    assert m["hit@1"] == pytest.approx(1 / 3)
    assert m["hit@3"] == pytest.approx(1 / 3)
    assert m["hit@5"] == pytest.approx(2 / 3)
    assert m["mrr"] == pytest.approx((1 + 1 / 5 + 0) / 3)
    with pytest.raises(ValueError, match="got 1 ranked lists for 4 items"):
        retrieval_metrics(items, ranked[:1])
