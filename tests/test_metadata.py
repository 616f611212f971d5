"""Report metadata read from hand-made headers, and overrides."""

import pytest

from index.metadata import ReportMeta, extract_metadata


@pytest.mark.parametrize("text, title, year, place, issuer", [
    ("北京市2021年知识产权工作报告\n2021年，全市……\n", "北京市2021年知识产权工作报告", 2021, "北京市", ""),
    ("2020年天津市知识产权工作报告\n正文。\n", "2020年天津市知识产权工作报告", 2020, "天津市", ""),
    ("《浙江省2019年知识产权发展状况》\n正文。\n", "浙江省2019年知识产权发展状况", 2019, "浙江省", ""),
    ("国家知识产权局2022年工作总结\n正文。\n", "国家知识产权局2022年工作总结", 2022, "全国", "国家知识产权局"),
    ("上海市知识产权局文件\n关于上海市2021年知识产权保护状况的报告\n正文。\n",
     "关于上海市2021年知识产权保护状况的报告", 2021, "上海市", "上海市知识产权局"),
    ("关于2019年浙江省杭州市知识产权工作情况的报告\n正文。\n",
     "关于2019年浙江省杭州市知识产权工作情况的报告", 2019, "浙江省杭州市", ""),
    ("广西壮族自治区2020年知识产权白皮书\n正文。\n", "广西壮族自治区2020年知识产权白皮书", 2020, "广西壮族自治区", ""),
    # no title line: the year comes from the first paragraph, the title from the file name
    (" 2020年在市委、市政府的高度重视下，全市知识产权工作……。\n一、甲\n乙。\n", "tianjin", 2020, "", ""),
    ("全市专利授权7万件。\n正文。\n落款：深圳市市场监督管理局\n", "tianjin", None, "", ""),
])
def test_metadata_from_headers(text, title, year, place, issuer):
    meta = extract_metadata(text, filename="tianjin.txt")
    assert (meta.title, meta.year, meta.place, meta.issuer) == (title, year, place, issuer)


def test_issuer_from_a_short_line_at_the_end():
    meta = extract_metadata("某某工作情况\n正文。\n深圳市市场监督管理局\n2021年3月\n")
    assert meta.issuer == "深圳市市场监督管理局"


def test_a_section_heading_or_a_sentence_is_not_a_title():
    assert extract_metadata("一、总体情况\n正文。\n", filename="x.txt").title == "x"
    assert extract_metadata("全市专利授权7万件，同比增长。\n", hints=("重庆市2021年知识产权报告_重庆市人民政府",)).title \
        == "重庆市2021年知识产权报告"
    assert extract_metadata("全市专利授权7万件，见《重庆市2021年知识产权工作报告》。\n").title == "重庆市2021年知识产权工作报告"


def test_overrides_and_their_checks():
    meta = extract_metadata("北京市2021年知识产权工作报告\n正文。\n")
    assert meta.with_overrides(year=2022, place=" 北京 ", title=None).year == 2022
    assert meta.with_overrides(place=" 北京 ").place == "北京"
    with pytest.raises(ValueError, match="year=1800"):
        meta.with_overrides(year=1800)
    with pytest.raises(ValueError, match="title=''.*--title"):
        ReportMeta(title="")
