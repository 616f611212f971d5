"""Which-questions over a list (哪一类涨得最多): the reader's cue and the list's extreme item, on tiny
made-up texts (qa.reader.superlative, qa.totals.rivals / of_kind / extreme)."""

from __future__ import annotations

from index.corpus import parse_document
from qa.facts import extract_facts
from qa.reader import read
from qa.totals import extreme, of_kind, rivals

TEXT = ("4月份，居民消费价格同比上涨1.2%。八大类中，食品价格上涨1.1%，衣着上涨2.4%，医疗保健上涨5.7%，"
        "交通通信下降0.9%。第一产业投资同比增长19.1%；第二产业投资增长4.1%；基础设施投资增长23.3%。\n"
        "全年专利授权3万件。")


def facts():
    return extract_facts(parse_document(f"2017年统计数据。\n一、价格\n{TEXT}\n", doc_id="d"))


def fact(figure):
    return next(f for f in facts() if f.figure_text == figure)


def test_the_reader_reads_most_and_least_only_in_a_which_question():
    assert read("哪一类涨得最多？").operation == "most"
    assert read("哪种企业增速垫底？").operation == "least"
    assert read("哪个行业降幅最大？").operation == "least"  # the steepest fall is the most negative change
    assert read("最多的时候有多少件？").operation == "value"  # no which-word: not over a list
    assert read("专利和商标哪个多？").operation == "compare"  # two things named: a comparison


def test_the_list_is_the_sentences_parallel_changes_and_the_extreme_is_signed():
    items = rivals(fact("5.7%"), facts())
    assert {f.figure_text for f in items} == {"1.1%", "2.4%", "5.7%", "0.9%"}  # not 1.2% (another sentence)
    assert extreme(items, most=True).figure_text == "5.7%"
    assert extreme(items, most=False).figure_text == "0.9%"  # 下降0.9% is the smallest change
    assert rivals(fact("3万件"), facts()) == ()  # a figure alone in its paragraph has no list


def test_the_which_noun_keeps_the_items_of_its_kind():
    items = rivals(fact("19.1%"), facts())  # sentences cut at ；: the paragraph's changes
    named = of_kind(items, "哪个产业投资增速最快", ["哪"], ["个"])
    assert {f.figure_text for f in named} == {"19.1%", "4.1%"}
    assert extreme(named, most=True).figure_text == "19.1%"  # not 基础设施投资's 23.3%
