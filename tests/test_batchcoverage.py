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


def test_chunk_sets_best_as_max_over_each_rows_chunks():
    from qa.batchcoverage import ChunkSets

    sets = ChunkSets([(7, 9), (), (9,)], [9, 7, 8])
    values = {7: -0.5, 9: -0.25}  # negative values too (dense-only retrieval)
    assert sets.best(values, 0.0, [0, 1, 2]).tolist() == [-0.25, 0.0, -0.25]
    assert sets.best({}, 0.1, [2, 0, 1]).tolist() == [0.1, 0.1, 0.0]


def _sentence_rows(asked, view, candidates, retrieval, chunk_rank, shapes):
    """The per-sentence loop sentence_matrix replaced, as it was."""
    import math

    from qa.features import SENTENCE_FEATURES, action_fit, actor_fit

    reading, layout = asked.reading, view.layout
    _, sentence_sim = view.similarities(asked.query_vector)
    best = max((float(sentence_sim[i]) for i in candidates), default=0.0)
    rows = []
    for i, shape in zip(candidates, shapes):
        ctx, s, chunks = layout.sentence_contexts[i], view.sentences[i], layout.sentence_chunks[i]
        values = {
            "cov_sentence": asked.own.levels(ctx)[2], "cov_paragraph": asked.own.levels(ctx)[3],
            "cov_inherited": asked.inherited.levels(ctx)[2] if asked.inherited else 0.0,
            "unknown": asked.own.unknown_weight, "n_terms": math.log1p(len(asked.own.rows)),
            "unknown_nouns": asked.unknown_nouns,
            "dense_sentence": float(sentence_sim[i]), "dense_gap": float(sentence_sim[i]) - best,
            "retrieval": max((retrieval.get(c, 0.0) for c in chunks), default=0.0),
            "chunk_rank": max((1.0 / (1.0 + chunk_rank.get(c, 20)) for c in chunks), default=0.0),
            "actor_fit": actor_fit(reading, s.text + s.passage.text[:40]),
            "action_fit": action_fit(reading, s.text, s.passage.text), **shape, "cov_gap": 0.0,
        }
        rows.append([values[name] for name in SENTENCE_FEATURES])
    matrix = np.array(rows, dtype=np.float32).reshape(len(rows), len(SENTENCE_FEATURES))
    col, sent = SENTENCE_FEATURES.index("cov_gap"), SENTENCE_FEATURES.index("cov_sentence")
    matrix[:, col] = matrix[:, sent] - matrix[:, sent].max()
    return matrix


def test_sentence_matrix_equals_per_sentence_loop(model_free_engine, questions):
    from qa.candidates import RetrievalView
    from qa.engine import _bm25_terms
    from qa.features import sentence_matrix
    from qa.textanswer import shape_features

    engine = model_free_engine
    view = engine.view
    every = list(range(len(view.sentences)))
    for question in questions:
        reading = engine.read(question)
        retrieved = engine.retriever.retrieve(reading.query, k=8, tokens=_bm25_terms(reading))
        r = RetrievalView.of(retrieved)
        asked = Asked.build(reading, view, engine.embedder.embed_queries([reading.query])[0])
        shapes = [shape_features(reading, view.sentences[i].text) for i in every]
        expected = _sentence_rows(asked, view, every, r.share, r.rank, shapes)
        assert np.array_equal(sentence_matrix(asked, view, every, r.share, r.rank, shapes), expected), question
        some = every[::2]
        assert np.array_equal(sentence_matrix(asked, view, some, r.share, r.rank, shapes[::2]),
                              _sentence_rows(asked, view, some, r.share, r.rank, shapes[::2])), question
