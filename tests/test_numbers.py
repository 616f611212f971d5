"""qa.numbers: figures parsed from Chinese report text, labels skipped."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.numbers import find_quantities, find_years, parse_quantity, same_figure

# (snippet copied from the report, figure as written, value, unit, scale, kind, qualifier)
# A Quantity's qualifier is the word touching the figure; 共 further away is added by qa.facts.
REPORT_CASES = [
    ("获得中央财政专项资金1.5亿支持", "1.5亿", 150_000_000, "", "亿", "count", ""),
    ("商标侵权案件立案270余件", "270余件", 270, "件", "", "count", "余"),
    ("罚没款1150万元", "1150万元", 11_500_000, "元", "万", "money", ""),
    ("全市累计开展执法行动近万次", "近万次", 10_000, "次", "", "count", "近"),
    ("出动执法人员3万余人次", "3万余人次", 30_000, "人次", "万", "count", "余"),
    ("涉案金额668.97万元", "668.97万元", 6_689_700, "元", "万", "money", ""),
    ("罚没款合计2205.74万元", "2205.74万元", 22_057_400, "元", "万", "money", "合计"),
    ("开展为期4个月的", "4个月", 4, "个月", "", "duration", ""),
    ("对我市51040家备案网", "51040家", 51040, "家", "", "count", ""),
    ("开展网络巡查100家次", "100家次", 100, "家次", "", "count", ""),
    ("约谈网络文化企业负责人30余人次", "30余人次", 30, "人次", "", "count", "余"),
    ("行政罚款13.2万余元", "13.2万余元", 132_000, "元", "万", "money", "余"),
    ("收缴侵权盗版出版物共计4万余册", "4万余册", 40_000, "册", "万", "count", "余"),
    ("抓获犯罪嫌疑人564名", "564名", 564, "名", "", "count", ""),
    ("涉案金额累计3.1亿元", "3.1亿元", 310_000_000, "元", "亿", "money", "累计"),
    ("破案率75%", "75%", 75, "%", "", "percent", ""),
    ("同比增长31.4%", "31.4%", 31.4, "%", "", "percent", ""),
    ("较2019年增长30.14%", "30.14%", 30.14, "%", "", "percent", ""),
    ("聘请覆盖11个技术领域", "11个", 11, "个", "", "count", ""),
    ("的16名专利审查员", "16名", 16, "名", "", "count", ""),
    ("提出40余项具体措施", "40余项", 40, "项", "", "count", "余"),
    ("批准逮捕103件179人", "103件", 103, "件", "", "count", ""),
    ("共对323个批次的进出口货物", "323个批次", 323, "个批次", "", "count",""),
    ("扣留涉嫌侵权货物81.22万件", "81.22万件", 812_200, "件", "万", "count", ""),
    ("货物案值486.26万元", "486.26万元", 4_862_600, "元", "万", "money", ""),
    ("分别较2019年增长128.4%和35.6%", "128.4%", 128.4, "%", "", "percent", ""),
    ("对132批次的海运进出口商品", "132批次", 132, "批次", "", "count", ""),
    ("位居全国第8位", "第8位", 8, "位", "", "rank", ""),
    ("在四个直辖市中位列第1位", "第1位", 1, "位", "", "rank", ""),
    ("运营收入合同金额7364.55万元", "7364.55万元", 73_645_500, "元", "万", "money", ""),
    ("共促成专利质押融资11100万元", "11100万元", 111_000_000, "元", "万", "money",""),
    ("共获得国家财政3亿元专项资金支持", "3亿元", 300_000_000, "元", "亿", "money",""),
    ("全市有效专利达到24.6万件", "24.6万件", 246_000, "件", "万", "count", "达到"),
    ("同比增长266.9%", "266.9%", 266.9, "%", "", "percent", ""),
    ("每万人口发明专利拥有量达到24.4件", "24.4件", 24.4, "件", "", "count", "达到"),
    ("净增2.1件", "2.1件", 2.1, "件", "", "count", ""),
    ("居全国第六", "第六", 6, "", "", "rank", ""),
    ("总量位居全国第四", "第四", 4, "", "", "rank", ""),
    ("授权植物新品种177个", "177个", 177, "个", "", "count", ""),
    ("成立8支服务队", "8支", 8, "支", "", "count", ""),
    ("受理专利新申请10.9万件", "10.9万件", 109_000, "件", "万", "count", ""),
    ("为近万家企业减负1.5亿元", "近万家", 10_000, "家", "", "count", "近"),
    ("为近万家企业减负1.5亿元", "1.5亿元", 150_000_000, "元", "亿", "money", ""),
    ("连续第5年举办", "第5年", 5, "年", "", "duration", "连续"),
    ("宣传稿件500余篇", "500余篇", 500, "篇", "", "count", "余"),
]


@pytest.mark.parametrize("snippet,figure,value,unit,scale,kind,qualifier", REPORT_CASES)
def test_report_figures(report, snippet, figure, value, unit, scale, kind, qualifier):
    assert snippet in report.text  # the case is really taken from the report
    found = {q.text: q for q in find_quantities(snippet)}
    q = found[figure]
    assert snippet[q.start:q.end] == figure
    assert q.value == pytest.approx(value)
    assert (q.unit, q.scale_text, q.kind, q.qualifier) == (unit, scale, kind, qualifier)


@pytest.mark.parametrize("text", [
    "《2019年天津市知识产权发展状况白皮书》",  # inside a document title
    "《深入实施天津市知识产权战略行动计划（2016—2020年）》",
    "研究起草了2020-2021年推进计划",  # year range
    "2016—2020年",
    "利用“4.26世界知识产权日”",  # a day's name in quotes
    "“12.4”普法宣传日",  # month.day name
    "连续侦破“7.1”制售假冒品牌机油案",  # case name
    "开展“剑网2020”专项行动",
    "组织开展“昆仑2020”四号等专项行动",
    "第21届中国专利奖",  # edition label
    "天津市人民检察院第二分院",  # numbered name
    "贯彻党的十九大和十九届二中、三中、四中、五中全会精神",
    "《天津市知识产权“十三五”规划》，“十三五”规划圆满收官",
    "找准我市“十四五”时期知识产权工作发力点",
    "在四个直辖市中",  # the set something is ranked among
    "市级、区级两个保护中心的建设",  # restates an enumeration
    "全市每万人口发明专利",  # a rate denominator
    "2020年4月国家知识产权局发布",  # a date
    "2020年在市委、市政府的高度重视下",  # a year
    "促进大众创业万众创新",
    "进一步完善一系列一站式服务",
    "5G网络",
    "数十家企业",  # 数十: no value
    "每千人拥有3岁以下婴幼儿托位",  # an age bound says who is counted
    "省图书馆二期建成",  # a project's phase names it
])
def test_labels_are_not_quantities(text):
    assert find_quantities(text) == []


@pytest.mark.parametrize("text,value,unit,kind,qualifier", [
    ("提出十项措施", 10, "项", "count", ""),
    ("三十余人参加", 30, "人", "count", "余"),
    ("两项工作", 2, "项", "count", ""),
    ("居全国第六", 6, "", "rank", ""),
    ("排名第三名", 3, "名", "rank", ""),
    ("百分之三十一点四的企业", 31.4, "%", "percent", ""),
    ("增长2个百分点", 2, "个百分点", "percent", ""),
    ("提高1.5倍", 1.5, "倍", "ratio", ""),
    ("约3000万元", 30_000_000, "元", "money", "约"),
    ("共1,234件", 1234, "件", "count", "共"),
    ("30余万元", 300_000, "元", "money", "余"),
    ("上万人次", 10_000, "人次", "count", "上"),
    ("参加基本养老保险人数54797万人", 547_970_000, "人", "count", ""),  # 数 before digits is no 数十
    ("受理案件总数1000件", 1000, "件", "count", ""),
    ("长臂猿种群恢复至7群", 7, "群", "count", ""),
])
def test_made_up_quantities(text, value, unit, kind, qualifier):
    (q,) = find_quantities(text)
    assert (q.value, q.unit, q.kind, q.qualifier) == (pytest.approx(value), unit, kind, qualifier)


@pytest.mark.parametrize("text,value,unit,scale,kind", [
    ("81.22万", 812_200, "", "万", "count"),
    ("81.22万件", 812_200, "件", "万", "count"),
    ("812200件", 812_200, "件", "", "count"),
    ("第八", 8, "", "", "rank"),
    ("第8位", 8, "位", "", "rank"),
    ("9.9%", 9.9, "%", "", "percent"),
    ("三十余人", 30, "人", "", "count"),
    ("11100万", 111_000_000, "", "万", "count"),
    ("1.5亿", 150_000_000, "", "亿", "count"),
    (" 共计21.3万件。", 213_000, "件", "万", "count"),
    ("十", 10, "", "", "count"),
    ("2020年", 2020, "年", "", "other"),
])
def test_parse_quantity(text, value, unit, scale, kind):
    q = parse_quantity(text)
    assert q is not None
    assert (q.value, q.unit, q.scale_text, q.kind) == (pytest.approx(value), unit, scale, kind)
    assert text[q.start:q.end] == q.text


@pytest.mark.parametrize("text", ["", "abc", "十三五", "81.22万件和3件", "海关扣留81.22万件"])
def test_parse_quantity_rejects_non_figures(text):
    assert parse_quantity(text) is None


@pytest.mark.parametrize("a,b,same", [
    ("81.22万", "81.22万件", True),
    ("81.22万件", "812200件", True),
    ("1.5亿元", "15000万元", True),
    ("第8位", "第八", True),
    ("第六", "第6位", True),
    ("31.4%", "31.4%", True),
    ("9.9%", "29.9%", False),
    ("31.4%", "31.4", False),  # percent vs plain number
    ("第8位", "8件", False),  # rank vs count
    ("103件", "103人", False),  # both units written and different
    ("2个百分点", "2%", False),
])
def test_same_figure(a, b, same):
    assert same_figure(parse_quantity(a), parse_quantity(b)) is same


def test_find_years_marks_comparison_bases_and_skips_titles():
    years = find_years("2020年，审结8820件，较2019年增长37.9%，印发《2018年白皮书》")
    assert [(y.year, y.is_base) for y in years] == [(2020, False), (2019, True)]


def test_quantities_in_a_question():
    assert [q.text for q in find_quantities("海关扣留了81.22万件还是三十余件？")] == ["81.22万件", "三十余件"]


_SCALES = {"": 1, "万": 10_000, "亿": 100_000_000, "千": 1000}


@settings(max_examples=200, deadline=None)
@given(
    integer=st.integers(min_value=0, max_value=99999),
    decimals=st.one_of(st.just(""), st.integers(min_value=0, max_value=99).map(lambda d: f".{d:02d}")),
    scale=st.sampled_from(sorted(_SCALES)),
    approx=st.sampled_from(["", "余"]),
    unit=st.sampled_from(["件", "元", "人次", "家", "项"]),
)
def test_arabic_figures_roundtrip(integer, decimals, scale, approx, unit):
    number = f"{integer}{decimals}"
    text = f"{number}{scale}{approx}{unit}"
    q = parse_quantity(text)
    assert q is not None and q.text == text
    assert q.value == pytest.approx(float(Decimal(number) * _SCALES[scale]))
    assert (q.unit, q.scale_text, q.qualifier) == (unit, scale, approx)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789.万亿余近约第位件元%，。“”《》年月十三五个人次和的在中全市", max_size=40))
def test_offsets_always_match(text):
    for q in find_quantities(text):
        assert text[q.start:q.end] == q.text
        assert q.start < q.end
