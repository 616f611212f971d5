"""Reading questions into one typed record (qa.reader, qa.parts), on small hand-checked inputs."""

from __future__ import annotations

import pytest

from index.normalise import normalise_question, normalise_report
from qa.parts import split_parts, split_shaped
from qa.asking import find_threshold
from qa.reader import read
from qa.reading import Turn
from qa.slots import numerals_to_digits
from qa.sanitize import MAX_QUESTION_CHARS, clean_question


@pytest.mark.parametrize("question, asked", [
    ("警察抓了多少人？", "count"),
    ("罚没款一共多少钱", "money"),
    ("有效发明专利同比增长多少", "growth"),
    ("比去年涨了多少", "growth"),
    ("每万人口发明专利拥有量位列全国多少位", "rank"),
    ("满意度处在什么水平", "rank"),
    ("破案率是百分之多少", "percent"),          # a share asked as 百分之多少 is not a growth rate
    ("剑网行动搞了多长时间", "duration"),
    ("保护中心是哪一年获批的", "date"),
    ("保护中心是啥时候批下来的", "date"),
    ("海关开展了哪些专项行动", "list"),
    ("在哪个口岸截获的", "name"),
    ("批捕的人数", "count"),                    # a count noun asks for a count
])
def test_what_is_asked(question, asked):
    assert read(question).asked == asked


@pytest.mark.parametrize("question, operation, parts", [
    ("法院和检察院谁的案子多？", "compare", 2),
    ("有效专利和有效商标，哪个多？", "compare", 2),
    ("新收与审结相差多少件", "difference", 2),
    ("起诉人数比批捕人数多出多少人？", "difference", 2),
    ("专利和商标加起来多少件", "sum", 2),
    ("公安抓获的犯罪嫌疑人超过500人了吗", "yesno", 0),
    ("代办处给企业减负超过2亿元了么", "yesno", 0),
    ("有效发明专利算不算已经突破了四万件", "yesno", 0),
    ("批准逮捕了多少件、多少人？", "value", 2),
    ("全市有效专利有多少件", "value", 0),
])
def test_operations_and_parts(question, operation, parts):
    reading = read(question)
    assert reading.operation == operation and len(reading.parts) == parts


def test_a_count_suffix_keeps_an_item_a_count_beside_a_money_item():
    parts = read("在打假专项执法中，立案数和涉及的金额各是多少？").parts
    assert [p.asked for p in parts] == ["count", "money"]
    assert read("消费价格指数和涉及的金额各是多少？").parts[0].asked == "money"  # 指数 is no count


def test_thresholds_of_yes_no_questions():
    t = read("公安抓获的犯罪嫌疑人是不是超过了500名？").threshold
    assert (t.op, t.value, t.unit) == (">", 500.0, "名")
    assert (find_threshold("破案率有没有到八成").value, find_threshold("破案率有没有到八成").unit) == (80.0, "%")
    assert find_threshold("罚没款不到两千万吗").op == "<"
    top = read("满意度进全国前五了没").threshold
    assert (top.op, top.value, top.unit) == (">", 5.0, "位") and read("满意度进全国前五了没").asked == "rank"


def test_units_actors_actions_and_counted_things():
    r = read("公安机关一共抓获了多少名犯罪嫌疑人？")
    assert r.actors == ("公安",) and r.actions == ("抓获",) and r.units >= {"名", "人"} and r.measure == "名"
    assert read("多少名专家").counted == ("专家",)
    assert read("商标受理窗口能办多少项业务？").actions == ()  # 受理 names a thing here, not an action
    assert read("破案率多少").actions == ("侦破",)           # an action with a measure suffix
    assert read("检察院不起诉了多少人？").terms == ("检察院", "不起诉")


def test_years_places_and_relative_years():
    r = read("北京市2018年专利有多少")
    assert r.years == (2018,) and "北京市" in r.places
    assert read("那跟2020年比涨了多少？").base_years == (2020,) and read("那跟2020年比涨了多少？").years == ()
    assert read("海关前年扣了多少件").relative_year == "前年"
    assert read("前一年法院受理了多少案子").relative_year == "前一年"  # the year before the report's
    assert read("跟前一年比法院受理的案子涨了多少").relative_year == ""  # a comparison with it (同比) is answered
    assert read("二〇一九年法院收了多少案子").years == (2019,)


def test_numerals_become_digits_only_as_quantities():
    assert numerals_to_digits("抓了三十余人，排第六，十三五规划") == "抓了30余人，排第6，十三五规划"
    assert numerals_to_digits("哪一项更高") == "哪一项更高"
    assert numerals_to_digits("汽车零部件出口增长多少") == "汽车零部件出口增长多少"  # was 汽车0部件: 零 before 部
    assert numerals_to_digits("一百零五件") == "105件"


def test_parts_share_a_subject_in_several_asks_but_not_in_contrasts():
    asks = read("全市法院审结多少件，同比增长多少？").parts
    assert asks[1].asked == "growth" and asks[1].actions == ("结案",) and "审结" in asks[1].inherited
    contrast = read("检察机关批捕的人数和提起公诉的人数，哪个比较多？").parts
    assert contrast[0].inherited == () and contrast[1].actors == ("检察",)


def test_split_shapes():
    assert split_shaped("破了几起？破案率呢？") == ("asks", ["破了几起？", "破案率呢？"])
    assert split_shaped("专利和商标分别有多少")[0] == "each"
    assert split_shaped("全市有效专利有多少件") == ("", ["全市有效专利有多少件"])


def test_followup_fills_only_what_it_omits():
    history = [Turn("user", "公安机关侦破的案件涉案金额一共多少？"), Turn("assistant", "答：3.1亿元")]
    swap = read("海关呢？", history)
    assert swap.followup and swap.actors == ("海关",) and swap.asked == "money" and swap.actions == ()
    assert any("金额" in t for t in swap.inherited) and not any("侦破" in t for t in swap.inherited)
    counted = [Turn("user", "公安抓获了多少犯罪嫌疑人？"), Turn("assistant", "答：564名")]
    money = read("那金额呢？", counted)
    assert money.asked == "money" and "名" not in money.units  # what it states overrides the count
    assert read("那2019年呢？", counted).years == (2019,)
    assert not read("海关扣留了多少侵权货物？", counted).followup


def test_followup_asks_again_for_each_unit_of_the_last_answer():
    history = [Turn("user", "检察机关批准逮捕了多少？"), Turn("assistant", "答：103件、179人（批准逮捕103件179人）")]
    reading = read("那起诉呢？", history)
    assert [p.measure for p in reading.parts] == ["件", "人"] and reading.actions == ("起诉",)


def test_traditional_and_full_width_are_normalised():
    assert normalise_question("公安機關破獲了多少起案件？") == "公安机关破获了多少起案件?"
    text = "海關扣留侵權貨物８１．２２萬件"
    assert normalise_report(text) == "海关扣留侵权货物81.22万件" and len(normalise_report(text)) == len(text)


@pytest.mark.parametrize("raw, problem", [("", "请输入"), ("   \n\t", "请输入"), (None, "请输入"),
                                          ("？？！！…", "没有看懂"), ("😀😀🎉", "没有看懂"),
                                          ("专利" * 1000, "没有看懂")])
def test_clean_question_problems(raw, problem):
    assert problem in clean_question(raw).problem


def test_clean_question_keeps_what_was_typed_and_caps_length():
    cleaned = clean_question("海关\x00扣留\u202e了多少\u200b货物？")
    assert cleaned.text == "海关扣留了多少货物？"  # controls gone, full-width ？ kept for the echo
    long = clean_question("海关扣留了多少侵权货物" * 100)
    assert len(long.text) == MAX_QUESTION_CHARS and "问题过长（1100字）" in long.notice


def test_thresholds_of_doubling_and_more_than():
    doubled = read("海关查扣批次是不是比2019年翻了一倍还多？")
    assert (doubled.asked, doubled.operation) == ("growth", "yesno")
    assert (doubled.threshold.op, doubled.threshold.value, doubled.threshold.unit) == (">", 100.0, "%")
    more = read("知产法庭的收案是不是涨了三成多").threshold
    assert (more.op, more.value, more.unit) == (">", 30.0, "%")  # 三成多 is more than 30%
    assert read("2020年有没有超过500人").threshold.value == 500.0  # the year is no threshold


def test_follow_ups_that_add_to_the_last_answer():
    history = [Turn("user", "知识产权保护专家库多少人"), Turn("assistant", "答：86名")]
    reading = read("跟评审专家库加起来多少人？", history)
    assert reading.operation == "sum" and reading.followup and reading.focus == ("86名",)
    assert "百" not in read("同比涨了百分之多少").terms  # the question's own words name nothing


def test_two_asks_without_a_break_keep_the_counted_thing_with_the_first():
    # was: 代办处帮多少 / 企业省了多少钱 (the cut fell right after the first ask, 企业 went to the money)
    assert split_parts("代办处帮多少企业省了多少钱") == ["代办处帮多少企业", "省了多少钱"]
    assert split_parts("破了几起案子抓了几个人") == ["破了几起案子", "抓了几个人"]
    assert split_parts("审结多少件涉及金额多少") == ["审结多少件", "涉及金额多少"]  # 涉及 joins nothing


def test_together_and_these_years_are_no_quantities():
    # was: 加在一起 became 加在1起 (the sum cue was lost: one operand answered), and 这几年 asked for years
    assert read("稻谷和小麦的产量加在一起是多少万吨？").operation == "sum"
    reading = read("制造业产品合格率这几年咋样？")
    assert reading.measure == "" and reading.asked == "percent"


def test_the_second_thing_of_a_comparison_takes_the_words_it_leaves_out():
    reading = read("城镇居民人均可支配收入比农村居民高出多少元？")
    assert reading.operation == "difference" and "可支配收入" in reading.parts[1].text


def test_a_total_of_one_thing_is_a_noun_and_of_joined_things_a_sum():
    # was: 总量 made every question a sum, so 登记总量排第几 after 21.3万件 answered 21.3万件
    assert read("作品著作权登记总量在全国排第几？").operation == "value"
    assert read("作品著作权登记总量是否进入全国前三？").operation == "yesno"
    joined = read("专利和商标的总数是多少？")
    assert joined.operation == "sum" and len(joined.parts) == 2


def test_an_ask_naming_a_thing_of_its_own_keeps_no_action_of_the_ask_before():
    # was: 罚没款多少 carried 立案 from the ask before it, and the fine (no 立案) was excluded
    first, fine = read("市场监管机构办结商标侵权案件立案多少件？罚没款多少？").parts
    assert "立案" in first.actions and fine.actions == ()
    assert read("全市法院审结多少件，同比增长多少？").parts[1].actions == ("结案",)  # names nothing: carries it
    # a space typed between two asks divides them (was: 同比 went with the first ask, which became a growth rate)
    count, rate = read("全市有效专利达到多少件 同比增长多少").parts
    assert count.asked == "count" and rate.asked == "growth"


def test_a_comparison_stays_a_comparison_even_when_its_two_things_are_not_found_apart():
    # was: 哪个次数多一些啊 with the two things unsplit (啊 after the comparative) was the value of one of them
    joined = read("剑网行动里，在网上巡查和跑到现场去查，哪个次数多一些啊？")
    assert joined.operation == "compare" and len(joined.parts) == 2
    assert read("哪个部门的次数多一些啊？").operation == "compare"  # one thing: refused later, never one value
    assert read("哪个区获得了中央财政专项资金？").operation == "value"  # a which-question without a comparative


def test_a_quoted_label_with_a_number_is_a_term():
    assert "9.26" in read("公安機關偵破的「9.26」案是什麼案件？").terms
    assert "昆仑2020" in read("“昆仑2020”专项行动抓了多少人").terms
    assert not any(ch.isdigit() for t in read("有效专利超过20万件了吗").terms for ch in t)  # a figure is no term


def test_a_total_word_inside_the_first_of_joined_things_does_not_end_them():
    # was: 总量 (a cue of 专利和商标的总量) ended the things before the joiner, so nothing was split and the
    # comparison of two growth rates was refused with one figure found
    first, second = split_parts("有效专利总量的增速和发明专利的增速，谁更快？")
    assert first.startswith("有效专利总量的增速") and second.startswith("发明专利的增速")
    assert len(read("仍在保护期内的专利总数和其中的发明类专利，哪个一年里涨得更快？").parts) == 2
    # a cue before the things with none after them still leaves the question whole
    assert split_parts("合计专利和商标多少件") == ["合计专利和商标多少件"]
    assert split_parts("专利和商标的总数是多少") == ["专利总数是多少", "商标的总数是多少"]
    assert len(read("管维权的专家名单和管评审的专家名单，哪份上的人更多？").parts) == 2  # 哪份 is a which-word


def test_a_direction_asked_with_haishi_and_chabuduo_is_no_difference():
    # was: 涨价还是降价 cut into two things and 差不多多少 read as 多多少: a difference of two prices was computed
    reading = read("4月份猪肉是涨价还是降价了，差不多多少？")
    assert reading.operation == "value" and reading.parts == ()
    assert read("专利和商标差多少").operation == "difference"
    assert len(read("专利还是商标，哪个多？").parts) == 2  # 还是 still joins two things


def test_hui_is_a_measure_of_times():
    # was: 召回了多少回 had no measure word, and a count of goods (7977万件) beat the count of recalls (3804次)
    reading = read("这几年召回了多少回有毛病的消费品？")
    assert reading.measure == "回" and "次" in reading.units and "件" not in reading.units
    assert read("增速回落了多少").measure == ""  # 回落 is no measure


def test_an_amount_joined_with_its_change_asks_two_figures():
    # was: 出口额和增幅 was one ask for a growth rate, and the amount asked first was never given
    amount, change = read("知识产权使用费出口额和增幅？").parts
    assert amount.asked != "growth" and change.asked == "growth" and "出口额" in amount.text
    assert len(read("税收收入完成额及同比变动情况如何？").parts) == 2
    assert split_shaped("铁路和高铁的增长？")[0] != "asks"  # two things, not a thing and its change
    assert split_shaped("专利和商标的增幅？")[0] != "asks"


def test_everyday_words_for_closing_cases_name_the_action():
    # was: 结掉 named no action, so 比结掉的多几件 had no second figure to subtract
    reading = read("法院收进来的案子比结掉的多几件")
    assert reading.operation == "difference" and reading.parts[1].actions == ("结案",)


def test_a_count_noun_before_a_difference_in_words_asks_a_count():
    # was: 人数少了多少 asked a growth rate and got 年均下降11.4% beside 从14458人降至1135人
    reading = read("2000年到2021年，起诉拐卖妇女儿童犯罪的人数少了多少？")
    assert reading.asked == "count" and reading.measure == "人"
    assert read("批捕人数增长了多少？").asked == "growth"  # 增长 of a count may be a rate: left as it was


def test_a_word_naming_a_kind_of_area_is_no_place():
    # was: 各省市 and 文明城市 (tagged ns, ending with 市) were places, so 天津在全国各省市中排第几位 was refused
    # as about a place the report never mentions, and 文明城市 counted as a place the figure's sentence names
    assert read("天津在全国各省市中排第几位？").places == ("天津",)
    assert "文明城市" not in read("之前湖北原本有几座全国文明城市？").places


def test_a_scope_cue_inside_an_action_word_reads_nothing():
    # 新收 is receiving cases, not something new: 一共 makes it a total; 新增 stays a change
    assert read("2020年全市法院一共新收了多少知识产权案件？").scope == "total"
    assert read("一共新增了多少家企业？").scope == "delta"
    assert read("其中新收了多少件？").scope == "part"
