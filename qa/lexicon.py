"""Domain vocabulary: how people ask about enforcement and IP figures vs how reports write them.

This is data, not rules per question: everyday words on the left, the words a
Chinese government work report uses on the right. It covers the actors and
actions of any provincial/municipal IP report (police, procuratorate, courts,
customs, market regulation, culture enforcement, IP office), not this report only.
`expansions` is the one function that reads the synonym tables.
"""

from __future__ import annotations

from functools import lru_cache

# Canonical actor -> words that name it in questions or in reports.
ACTORS: dict[str, tuple[str, ...]] = {
    "公安": ("公安", "警察", "警方", "公安局", "公安机关", "派出所", "民警"),
    "检察": ("检察", "检察院", "检察机关", "检察官", "人民检察院"),
    "法院": ("法院", "法官", "审判", "司法"),
    # A specialised court is named apart: "法院" in a question means the courts as a whole.
    "知识产权法庭": ("知识产权法庭", "法庭"),
    "海关": ("海关", "口岸", "进出口", "关口"),
    "市场监管": ("市场监管", "市场监督", "工商", "执法总队", "综合行政执法", "市场监管局"),
    "文化执法": ("文化执法", "文化市场", "文旅", "文化和旅游", "文化局", "网络文化", "出版"),
    "知识产权局": ("知识产权局", "知识产权部门", "知识产权管理部门", "专利局", "商标局", "专利代办处"),
}

# Everyday word -> report words it stands for (used to expand the question's terms).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "抓": ("抓获", "逮捕", "犯罪嫌疑人"), "抓捕": ("抓获", "逮捕"), "逮住": ("抓获",), "逮": ("逮捕", "抓获"),
    "坏人": ("犯罪嫌疑人",), "嫌犯": ("犯罪嫌疑人",), "罪犯": ("犯罪嫌疑人", "犯罪分子"),
    "扣": ("扣留", "查扣", "扣押"), "扣押": ("扣留", "查扣"), "没收": ("收缴", "罚没", "扣留"), "查获": ("查扣", "扣留", "截获"),
    "货": ("货物", "商品"), "东西": ("货物", "商品", "物品"), "货品": ("货物",),
    "收": ("新收", "受理", "收缴"), "受理": ("受理", "新收"), "接": ("新收", "受理", "接"), "接到": ("新收", "受理"),
    "案子": ("案件",), "官司": ("案件", "纠纷"), "案": ("案件",), "纠纷": ("纠纷",),
    "判": ("审结", "结案"), "审完": ("审结",), "结了": ("审结", "结案", "办结"), "办完": ("办结", "结案"),
    "处理": ("办结", "调处", "查办"), "查处": ("查办", "办结", "立案"), "办": ("办结", "查办", "办理"),
    "罚": ("罚没款", "罚款", "罚没"), "罚款": ("罚没款", "罚款"), "罚金": ("罚没款", "罚款"), "罚钱": ("罚没款", "罚款"),
    "钱": ("金额", "资金", "元"), "经费": ("资金",), "拨款": ("资金", "专项资金"), "补贴": ("资金", "支持"),
    "破": ("侦破", "破案"), "破获": ("侦破", "破案"), "破了": ("侦破", "破案"),
    "起诉": ("提起公诉", "公诉"), "公诉": ("提起公诉",), "批捕": ("批准逮捕",),
    "涨": ("增长",), "增加": ("增长", "新增", "净增"), "上升": ("增长",), "增幅": ("增长",), "增速": ("增长",),
    "多了": ("增长", "新增"), "提高": ("增长", "提升"), "去年": ("同比", "2019"), "上年": ("同比",),
    "排名": ("位居", "位列", "居"), "排": ("位居", "位列", "居"), "名次": ("位居", "位列"), "排第几": ("位居", "位列"),
    "版权": ("著作权", "版权"), "著作权": ("著作权", "版权"), "盗版": ("侵权盗版", "盗版"), "假货": ("假冒", "侵权"),
    "山寨": ("假冒", "侵权"), "冒牌": ("假冒",), "仿冒": ("假冒",),
    "发明": ("发明专利",), "专利数": ("专利",), "商标数": ("注册商标",),
    "网站": ("网站",), "文件": ("方案", "意见", "通知", "规划", "计划", "办法", "白皮书", "条例", "《"), "网": ("网站", "网络"), "互联网": ("网络",),
    "书": ("出版物",), "书籍": ("出版物",), "出版物": ("出版物",),
    "文章": ("稿件",), "报道": ("稿件", "宣传"), "新闻": ("稿件", "宣传", "新闻"),
    "专家": ("专家",), "人才": ("专家", "人员"), "审查员": ("专利审查员", "技术调查官"),
    "贷款": ("质押融资", "融资"), "融资": ("质押融资", "融资"), "质押": ("质押融资",),
    "公司": ("企业",), "厂家": ("企业",), "企业": ("企业",),
    "窗口": ("受理窗口",), "服务队": ("服务队",), "措施": ("措施",),
    "投诉": ("投诉举报",), "举报": ("投诉举报",),
    "疫情": ("疫情", "防疫"), "口罩": ("口罩", "防疫物资"),
    "申请": ("申请", "新申请"), "登记": ("登记",), "新品种": ("植物新品种",), "植物": ("植物新品种",),
    "满意": ("满意度",), "满意度": ("满意度",),
    "人": ("犯罪嫌疑人", "人员", "人次"), "人员": ("人员", "人次"),
    "封": ("关闭", "查封"), "关": ("关闭",), "关停": ("关闭",), "查封": ("关闭", "查封"),
    "交给": ("移送",), "移交": ("移送",), "转给": ("移送",),
    "结案": ("审结", "结案", "办结"), "收案": ("新收", "受理"), "新案": ("新收",),
    "货值": ("案值", "金额"), "案值": ("案值", "涉案金额"), "涉案金额": ("涉案金额", "案值"), "金额": ("金额", "案值"), "价值": ("案值", "金额"), "值多少": ("案值", "金额"),
    "款": ("融资", "资金", "罚没款"), "抵押": ("质押", "质押融资"), "贷": ("融资", "质押融资"),
    "时间": ("为期",), "多久": ("为期",), "多长": ("为期",),
    "检查": ("检查", "巡查"), "巡查": ("巡查",), "曝光": ("曝光",),
    "奖": ("金奖", "优秀奖"), "获奖": ("金奖", "优秀奖"),
}

# Rates and shares are asked as percentages ("破案率多少").
RATE_PATTERN = r"率|比例|比重|占比|百分之|百分比"

# Measure word in a question ("多少件") -> units a matching figure may carry.
UNIT_GROUPS: tuple[frozenset[str], ...] = (
    frozenset({"件", "起", "宗"}),
    frozenset({"名", "人", "人次", "位"}),
    frozenset({"家", "家次", "个", "所"}),
    frozenset({"次", "人次", "家次", "批次"}),
    frozenset({"元"}),
    frozenset({"%"}),
    frozenset({"项"}),
    frozenset({"批次", "批"}),
)

# Words after 多少/几 that signal people, money, etc. when no measure word is given.
# Duration questions ("搞了多久") want figures counted in time units.
DURATION_PATTERN = r"多长时间|多久|多长|几个月|几年|多少年|多少天|几天|为期"
DURATION_UNITS = frozenset({"个月", "月", "年", "天", "周"})

PEOPLE_WORDS = ("人", "嫌疑人", "嫌犯", "坏人", "专家", "人员", "审查员")
MONEY_WORDS = ("钱", "罚", "金额", "罚款", "罚没", "罚金", "资金", "经费", "案值", "收入", "融资", "费用", "减负", "元", "拨款")

# Asked-for patterns (regular expressions over the question).
GROWTH_PATTERN = r"增长|增幅|增速|增长率|涨|同比|比上年|比去年|较.{0,6}年|上升|提高了?(多少|百分之)|百分之几|百分比|净增|多了多少|增加了?(多少|几)"
RANK_PATTERN = r"第几|排名|排第|排在|名次|位居|位列|居全国|全国第|排行"
# Asking for a name or a list, even when a measure word follows ("哪几次全会", "哪几个专家组织").
NAME_PATTERN = r"哪些|哪几|哪个|哪家|哪两|哪一|哪位|谁|叫什么|名称|什么名字|是什么"
TEXT_PATTERN = r"哪些|哪个|哪几|哪家|哪两|哪一|哪里|哪儿|什么|谁|名称|叫什么|是啥|啥|何时|什么时候|内容|怎么|如何|为什么|有没有|是否|吗"
FIGURE_PATTERN = r"多少|几[个件起名人家项次批册篇位支笔年]|几|数量|数目|总数|规模|金额|案值|比例|比率|百分之|第几|排名|名次|多大|多高|多长"
FOLLOWUP_START = ("那", "那么", "那个", "还有", "另外", "此外", "同时", "再", "然后", "其中", "它", "他们", "这")

# Nouns that name a kind of thing rather than a thing ("文件是什么", "哪个单位"): never a sign
# that the question is about something the report does not cover.
GENERIC_NOUNS = frozenset(
    "文件 名称 名字 内容 措施 单位 机构 部门 地方 时间 情况 方面 东西 事情 工作 问题 方式 办法 政策 计划 "
    "方案 项目 活动 数量 数字 数据 总数 结果 成绩 成效 报告 原文 答案 具体 全国 全市 今年 去年 当年 年度 "
    "城市 地区 国家 政府 公司 企业 人员 人数 数目".split()
)


@lru_cache(maxsize=4096)  # pure in the token: the lexicon is fixed, and this runs for every fact
def expansions(token: str) -> tuple[str, ...]:
    """A question token and the report words it may stand for."""
    found = [token, *SYNONYMS.get(token, ())]
    for key, targets in SYNONYMS.items():
        if len(key) > 1 and key != token and key in token:
            found.extend(targets)
    for aliases in ACTORS.values():
        if token in aliases:
            found.extend(a for a in aliases if len(a) > 1)
    return tuple(dict.fromkeys(found))
