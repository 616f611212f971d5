"""qa.facts: every figure of the report becomes a fact with subject, actor, base and year."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.corpus import parse_document
from qa.facts import extract_facts, unattributed

# Digit runs of the report that are labels, not quantities (each must still occur).
EXCLUSIONS = [
    (r"(?:19|20)\d\d年", "a calendar year (2020年全市…, 较2019年增长): kept as Fact.year, not a figure"),
    (r"(?:19|20)\d\d年\d{1,2}月", "a date: 2020年4月"),
    (r"《[^》]*》", "inside a document title: 《2019年…白皮书》, 《…（2016—2020年）》, 《…（2020-2023）》"),
    (r"“(?:剑网|昆仑)2020”", "campaign names “剑网2020”, “昆仑2020”"),
    (r"“\d{1,2}\.\d{1,2}”", "names written as month.day: “7.1”…案, “9.26”…案, “9.27”…案, “12.4”普法宣传日"),
    (r"“4\.26世界知识产权日”", "the name of a day"),
    (r"“2019年全国海关知识产权典型案例”", "the title of a case list"),
    (r"第21届", "an edition label of 中国专利奖"),
]


@pytest.fixture(scope="module")
def facts(report):
    return extract_facts(report)


def find(facts, figure, near=""):
    """The one fact with this figure text whose sentence contains ``near``."""
    hits = [f for f in facts if f.figure_text == figure and near in f.sentence]
    assert len(hits) == 1, (figure, near, [(f.id, f.sentence[:20]) for f in hits])
    return hits[0]


def test_every_digit_quantity_is_covered(report, facts):
    excluded = []
    for pattern, reason in EXCLUSIONS:
        spans = [m.span() for m in re.finditer(pattern, report.text)]
        assert spans, f"stale exclusion {pattern!r} ({reason})"
        excluded += spans
    runs = [m.span() for m in re.finditer(r"\d+(?:\.\d+)?", report.text)]
    quantities = [r for r in runs if not any(a <= r[0] and r[1] <= b for a, b in excluded)]
    covered = [r for r in quantities if any(f.start <= r[0] and r[1] <= f.end for f in facts)]
    print(f"coverage: {len(covered)}/{len(quantities)} = {len(covered) / len(quantities):.0%} "
          f"({len(runs) - len(quantities)} label digit runs excluded)")
    missing = [report.text[a - 6:b + 4] for a, b in quantities if (a, b) not in covered]
    assert missing == []
    assert len(quantities) == 95 and len(runs) - len(quantities) == 41
    # no exclusion swallowed a figure the extractor reports
    assert not any(a < f.end and f.start < b for f in facts for a, b in excluded)


def test_offsets_ids_and_sentences(report, facts):
    assert len(facts) == 99
    assert [f.id for f in facts] == [f"f{i:03d}" for i in range(1, len(facts) + 1)]
    assert [f.start for f in facts] == sorted(f.start for f in facts)
    for f in facts:
        assert report.text[f.start:f.end] == f.figure_text
        assert report.text[f.sentence_start:f.sentence_end] == f.sentence
        assert f.sentence_start <= f.start < f.end <= f.sentence_end
        assert f.clause in f.sentence and f.figure_text in f.clause


def test_no_unattributed_figures(facts):
    assert [f.figure_text for f in unattributed(facts)] == []


@pytest.mark.parametrize("figure,near,value,unit,kind,qualifier", [
    ("81.22万件", "", 812_200, "件", "count", ""),
    ("270余件", "", 270, "件", "count", "余"),
    ("近万次", "", 10_000, "次", "count", "近"),
    ("3.1亿元", "", 310_000_000, "元", "money", "累计"),
    ("1.5亿", "专项资金", 150_000_000, "", "money", ""),  # money from 资金, no written unit
    ("11100万元", "", 111_000_000, "元", "money", "共"),  # 共促成 … further away
    ("31.4%", "", 31.4, "%", "growth_rate", ""),
    ("75%", "", 75, "%", "percent", ""),
    ("第8位", "", 8, "位", "rank", ""),
    ("第六", "", 6, "", "rank", ""),
    ("第5年", "", 5, "年", "duration", "连续"),
    ("2.1件", "", 2.1, "件", "count", ""),
])
def test_fact_values(facts, figure, near, value, unit, kind, qualifier):
    f = find(facts, figure, near)
    assert (f.value, f.unit, f.kind, f.qualifier) == (pytest.approx(value), unit, kind, qualifier)


def test_multi_figure_sentences_are_split(facts):
    arrests = [find(facts, "103件"), find(facts, "179人")]
    charges = [find(facts, "178件"), find(facts, "385人")]
    assert [(f.subject, f.unit) for f in arrests] == [("批准逮捕", "件"), ("批准逮捕", "人")]
    assert [(f.subject, f.unit) for f in charges] == [("提起公诉", "件"), ("提起公诉", "人")]
    thirty = [f for f in facts if f.figure_text == "30件"]
    assert [f.subject for f in thirty] == ["立案并调处", "结案"]
    rates = [find(facts, "128.4%"), find(facts, "35.6%")]
    assert [f.subject for f in rates] == ["查扣批次", "查扣数量"]
    assert {f.comparison for f in rates} == {"较2019年增长"}
    assert find(facts, "16名").subject == "专利审查员"
    assert find(facts, "11个").subject == "技术领域"
    assert find(facts, "8支").subject == "服务队"


@pytest.mark.parametrize("rate,base,comparison", [
    ("31.4%", "9079件", "同比增长"),
    ("37.9%", "8820件", "同比增长"),
    ("30.14%", "2336件", "较2019年增长"),
    ("29.98%", "160件", "较2019年增长"),
    ("128.4%", "323个批次", "较2019年增长"),
    ("35.6%", "81.22万件", "较2019年增长"),
    ("23.4%", "24.6万件", "同比增长"),
    ("9.9%", "38152件", "同比增长"),
    ("266.9%", "21.3万件", "同比增长"),
    ("2.1件", "24.4件", "净增"),
])
def test_growth_links_to_its_base(facts, rate, base, comparison):
    f = find(facts, rate)
    assert f.comparison == comparison
    assert f.base_fact_id == find(facts, base).id
    assert f.subject == find(facts, base).subject or f.subject.startswith("查扣")


@pytest.mark.parametrize("figure,near,actor", [
    ("81.22万件", "", "海关"),
    ("425起", "", "公安机关"),
    ("9079件", "", "全市法院"),
    ("8820件", "", "全市法院"),  # inherited across ；
    ("2336件", "", "天津知识产权法庭"),
    ("160件", "", "天津知识产权法庭"),  # inherited from the previous sentence
    ("385人", "", "全市检察机关"),
    ("270余件", "", "市场监管行政执法机构"),
    ("1174人次", "", "文化执法部门"),
    ("2891人次", "", "市文化和旅游局"),
    ("19件", "移送公安机关", "市市场监管综合行政执法总队"),  # 公安机关 is the object here
    ("10.9万件", "", "国家知识产权局天津专利代办处"),
    ("8支", "", "市知识产权局"),
])
def test_actors(facts, figure, near, actor):
    assert find(facts, figure, near).actor == actor


def test_years(facts):
    assert find(facts, "第8位").year == 2019  # 2019年天津知识产权保护满意度…
    assert find(facts, "2336件").year == 2020  # 较2019年 is a comparison base, not the year
    assert {f.year for f in facts} == {2019, 2020}


def test_subjects_of_plain_figures(facts):
    assert find(facts, "425起").subject == "侦破侵权假冒知识产权犯罪案件"
    assert find(facts, "564名").subject == "抓获犯罪嫌疑人"
    assert find(facts, "38152件").subject == "有效发明专利"
    assert find(facts, "81.22万件").subject == "扣留涉嫌侵权货物"
    assert find(facts, "第四").subject == "作品著作权登记总量"
    assert find(facts, "第六").subject == "每万人口发明专利拥有量"


GENERIC = """2022年全省工作综述。
一、执法办案
省版权局查处盗版案件35起，同比下降12.5%。省公安厅破获案件88起，抓获嫌疑人120名。
全年办理维权援助112件，结案96件，受理和办结数量分别较上年增长20%和15%。
市高级人民法院审结知识产权案件1,200件，较2021年增长8%；调解结案300件。
二、服务
组建6支专家服务团，帮扶企业200余家，居全国第三位。
"""


def test_extractor_is_generic():
    doc = parse_document(GENERIC, doc_id="made-up")
    facts = extract_facts(doc)
    rows = [(f.figure_text, f.actor, f.subject, f.kind, f.comparison, f.base_fact_id, f.year) for f in facts]
    assert rows == [
        ("35起", "省版权局", "查处盗版案件", "count", None, None, 2022),
        ("12.5%", "省版权局", "查处盗版案件", "growth_rate", "同比下降", "f001", 2022),
        ("88起", "省公安厅", "破获案件", "count", None, None, 2022),
        ("120名", "省公安厅", "抓获嫌疑人", "count", None, None, 2022),
        ("112件", None, "办理维权援助", "count", None, None, 2022),
        ("96件", None, "结案", "count", None, None, 2022),
        ("20%", None, "受理数量", "growth_rate", "较上年增长", "f005", 2022),
        ("15%", None, "办结数量", "growth_rate", "较上年增长", "f006", 2022),
        ("1,200件", "市高级人民法院", "审结知识产权案件", "count", None, None, 2022),
        ("8%", "市高级人民法院", "审结知识产权案件", "growth_rate", "较2021年增长", "f009", 2022),
        ("300件", "市高级人民法院", "调解结案", "count", None, None, 2022),
        ("6支", None, "专家服务团", "count", None, None, 2022),
        ("200余家", None, "帮扶企业", "count", None, None, 2022),
        ("第三位", None, "帮扶企业", "rank", None, None, 2022),
    ]
    assert all(doc.text[f.start:f.end] == f.figure_text for f in facts)


def test_adjacent_figures_share_a_subject_and_year_defaults():
    doc = parse_document("2021年报告。\n一、甲\n区法院受理案件12件30人；2019年审结8件。\n", doc_id="x")
    facts = extract_facts(doc)
    assert [(f.subject, f.unit, f.actor, f.year) for f in facts] == [
        ("受理案件", "件", "区法院", 2021), ("受理案件", "人", "区法院", 2021), ("审结", "件", "区法院", 2019),
    ]
    # without a year in the introduction the report year is the most frequent one
    doc = parse_document("报告。\n一、甲\n2019年审结8件。\n二、乙\n受理案件12件。\n", doc_id="y")
    assert [f.year for f in extract_facts(doc)] == [2019, 2019]


_ALPHABET = "0123456789.万亿余近约第位件元%，。；“”《》（）年十三五个人次和的在中全市局法院分别较同比增长净增达到共计、\n一二"


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=_ALPHABET, min_size=1, max_size=80))
def test_any_text_keeps_exact_offsets(text):
    try:
        doc = parse_document(text, doc_id="fuzz")
    except ValueError:  # empty document
        return
    facts = extract_facts(doc)
    ids = {f.id for f in facts}
    for f in facts:
        assert doc.text[f.start:f.end] == f.figure_text
        assert doc.text[f.sentence_start:f.sentence_end] == f.sentence
        assert f.base_fact_id is None or f.base_fact_id in ids
