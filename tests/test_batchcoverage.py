"""The answer path's precomputed indexes give exactly what the per-candidate functions give (no model).

qa.textindex remembers which texts hold a word, qa.batchcoverage reads the coverage measures of all
candidates from it, and qa.spelling keeps each word's pinyin: each is checked against the plain
computation it replaces, bit for bit, over every question of eval/qa.jsonl, asked twice so that a
remembered answer is read back too.
"""

from __future__ import annotations

import numpy as np
import pytest
from pypinyin import lazy_pinyin

from eval.dataset import load_dataset
from index.corpus import load_document
from qa.batchcoverage import TextTable, covered_shares, level_shares, unasked_shares
from qa.coverage import covered_share, unasked_share
from qa.features import Asked
from qa.reader import read
from qa.spelling import _HAN_RUN, _run_pinyin
from qa.textindex import TextIndex
from qa.vocabulary import vocabulary
from tests.conftest import CORPUS, REPO


def test_text_index_finds_each_text_holding_a_word():
    index = TextIndex(["公安机关抓获", "海关扣留海关", "", "公安"])
    assert index.holding("公安").tolist() == [True, False, False, True]
    assert index.holding("海关").tolist() == [False, True, False, False]  # twice in one text
    assert index.holding("获海").tolist() == [False] * 4  # never across two texts
    assert index.holding("").tolist() == [True] * 4  # as `"" in text`
    assert index.holding("\0").tolist() == [False] * 4
    assert index.holding_any(["抓获", "扣留"]).tolist() == [True, True, False, False]
    assert index.holding_any([]).tolist() == [False] * 4


def test_remembered_answers_are_read_only_and_per_index():
    first, second = TextIndex(["公安", "法院"]), TextIndex(["法院", "公安"])
    hits = first.holding("公安")
    with pytest.raises(ValueError):
        hits[1] = True  # a caller cannot change what later questions read
    assert second.holding("公安").tolist() == [False, True]  # another report's texts, its own answer
    first.holding_any(["公安", "法院"])
    assert first.holding("公安").tolist() == [True, False]


def test_text_table_ids_share_texts():
    table = TextTable([("甲", "乙"), ("乙", "甲"), ("丙", "乙")], 2)
    assert table.ids.tolist() == [[0, 1], [1, 0], [2, 1]]
    assert table.holding_any(["乙"], 1, [2, 0, 1]).tolist() == [True, True, False]


@pytest.fixture(scope="module")
def questions():
    items = load_dataset(REPO / "eval" / "qa.jsonl")
    return [item.question for item in items] + [t.content for item in items for t in item.history if t.role == "user"]


def test_batch_coverage_equals_per_candidate_functions(model_free_engine, questions):
    view = model_free_engine.view
    every = list(range(len(view.facts)))
    layout = view.layout
    for _ in range(2):  # the second pass reads remembered answers
        for question in questions:
            reading = read(question)
            asked = Asked.build(reading, view, None)
            levels = np.array([asked.own.levels(ctx) for ctx in layout.contexts], dtype=np.float64)
            assert np.array_equal(level_shares(asked.own, view.fact_texts, every), levels), question
            unasked = np.array([unasked_share(layout.own_tokens[i], asked.own, view.stats) for i in every])
            assert np.array_equal(unasked_shares(asked.own, view.own_words, every), unasked), question
            covered = np.array([covered_share(f.subject, reading.terms) for f in view.facts])
            assert np.array_equal(covered_shares(reading.terms, view.subject_texts, every), covered), question
            if asked.inherited is not None:
                inherited = np.array([asked.inherited.levels(ctx) for ctx in layout.contexts])
                assert np.array_equal(level_shares(asked.inherited, view.fact_texts, every), inherited), question
            some = every[::3][::-1]  # any subset, in any order
            assert np.array_equal(level_shares(asked.own, view.fact_texts, some), levels[some]), question


def test_word_by_word_pinyin_equals_lazy_pinyin(questions):
    runs = {m.group() for text in [*questions, load_document(CORPUS).text] for m in _HAN_RUN.finditer(text)}
    for _ in range(2):
        for run in sorted(runs):
            assert _run_pinyin(run) == lazy_pinyin(run), run


def test_slot_and_kind_columns_equal_per_candidate_functions(model_free_engine, questions):
    from qa.features import KIND_FEATURES, action_fit, actor_fit, counted_fit, kind_features
    from qa.figure_features import _kind_rows, _slot_columns

    view = model_free_engine.view
    layout, every = view.layout, list(range(len(view.facts)))
    averages = vocabulary().tables["cues"]["unstated"]["average"]
    for _ in range(2):  # the second pass reads remembered kind rows
        for question in questions:
            for reading in (read(question), *read(question).parts):
                kinds = np.array([[kind_features(reading, f.kind, f.unit, f.comparison)[n] for n in KIND_FEATURES]
                                  for f in view.facts])
                assert np.array_equal(_kind_rows(reading, view, every), kinds), question
                columns = _slot_columns(reading, view, every, kinds[:, KIND_FEATURES.index("growth_fit")])
                counted = [counted_fit(reading, ctx.segment) for ctx in layout.contexts]
                expected = {
                    "actor_fit": [actor_fit(reading, layout.actor_texts[i]) for i in every],
                    "action_fit": [action_fit(reading, layout.segments[f.id], layout.contexts[i].clause)
                                   for i, f in enumerate(view.facts)],
                    "counted_fit": [c[0] for c in counted], "counted_missing": [c[1] for c in counted],
                    "average_missing": [float(not any(w in ctx.clause for w in averages)) for ctx in layout.contexts]
                                       if reading.average else [0.0] * len(every),
                }
                for name, values in expected.items():
                    got = np.broadcast_to(np.asarray(columns[name], dtype=np.float64), (len(every),))
                    assert np.array_equal(got, np.array(values, dtype=np.float64)), (question, name)


def test_conflict_table_excludes_as_conflict_does(model_free_engine, questions):
    from qa.candidates import MAX_CANDIDATES, conflict, fact_candidates, firm_actions

    view = model_free_engine.view
    for question in [*questions, "2019年公安抓了多少人？", "564名里判了几个？", "审结了多少万元"]:
        for reading in (read(question), *read(question).parts):
            firm = firm_actions(reading, view.document.text)
            kept, excluded = [], {}
            for i in range(len(view.facts)):
                why = conflict(reading, view, i, firm)
                if why:
                    excluded[why] = excluded.get(why, 0) + 1
                else:
                    kept.append(i)
            got = fact_candidates(reading, view)
            assert got == (kept[:MAX_CANDIDATES], excluded), question
            assert list(got[1]) == list(excluded), question  # in the same order
