"""Months a question asks about and a figure is for (qa/months.py), and the features built on them."""

from qa.months import figure_months, month_span
from qa.reader import read


def test_spans_of_months():
    assert month_span("1-4月份，社会消费品零售总额同比增长10.2%") == (1, 4)
    assert month_span("1至4月") == (1, 4) and month_span("年初到4月") == (1, 4)
    assert month_span("4月份，社会消费品零售总额27278亿元") == (4, 4)
    assert month_span("上半年全市地区生产总值") == (1, 6) and month_span("第一季度") == (1, 3)
    assert month_span("为期4个月的专项行动") is None  # a duration, not a month
    assert month_span("2020年全市法院新收案件9079件") is None


def test_a_comparison_base_is_not_the_figures_months():
    paragraph = "1-4月份，全国固定资产投资144327亿元，同比增长8.9%，增速比1-3月份回落0.3个百分点。"
    assert figure_months("其中，基础设施投资增长23.3%。", "其中，基础设施投资增长", paragraph) == (1, 4)
    assert figure_months("增速比1-3月份回落0.3个百分点", "增速比1-3月份回落", "") is None


def test_questions_read_their_months():
    assert read("4月CPI同比涨了多少？").months == (4, 4)
    assert read("今年头三个月规上工业企业利润总共多少？").months == (1, 3)
    assert read("海关扣了多少货？").months is None
