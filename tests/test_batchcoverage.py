"""The answer path's precomputed indexes and kept values give exactly what the plain computations give (no model).

qa.textindex remembers which texts hold a word, qa.batchcoverage and qa.figurearrays read the coverage,
slot and conflict measures of all candidates from it, and several look-ups are kept (kind rows, pinyin,
synonym keys, the speller's grams, idf, abbreviations, the fused ranking): each is checked against the
computation it replaces, bit for bit, over every question of eval/qa.jsonl, most of them twice so that
a remembered answer is read back too.
"""

from __future__ import annotations

import numpy as np
import pytest
from pypinyin import lazy_pinyin

from eval.dataset import load_dataset
from index.corpus import load_document
from qa.batchcoverage import TextTable, covered_shares, level_shares, unasked_shares
from qa.coverage import covered_share, expansions, unasked_share
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


def view_facts(engine):
    return engine.view.facts


def _slot_columns_per_figure(reading, view, candidates, growth_fit):
    """The per-figure loop _slot_columns replaced, as it was."""
    from qa.features import action_fit, actor_fit, counted_fit
    from qa.figure_features import asks_start

    layout, facts = view.layout, [view.facts[i] for i in candidates]
    focus = set(reading.focus)
    focus_ids = {f.id for f in view.facts if f.figure_text in focus}
    focus_sentences = {layout.sentence_of[i].start for i in focus_ids}
    focus_bases = {layout.by_id[i].base_fact_id for i in focus_ids}
    averages = vocabulary().tables["cues"]["unstated"]["average"]
    delta_asked = reading.scope == "delta" or reading.asked == "growth"
    counted = [counted_fit(reading, layout.contexts[i].segment) for i in candidates]
    months, is_delta = [view.fact_months[i] for i in candidates], [layout.is_delta[i] for i in candidates]
    numbers = [n for n in reading.numbers if len(n) > 1]
    starts = [float(f.role == "from") for f in facts]
    start_asked = asks_start(reading.text)
    return {
        "actor_fit": [actor_fit(reading, layout.actor_texts[i]) for i in candidates],
        "action_fit": [action_fit(reading, layout.contexts[i].segment, layout.contexts[i].clause)
                       for i, f in zip(candidates, facts)],
        "action_other": [float(bool(view.fact_actions[i]) and not set(reading.actions) & set(view.fact_actions[i]))
                         for i in candidates] if reading.actions else 0.0,
        "counted_fit": [c[0] for c in counted], "counted_missing": [c[1] for c in counted],
        "delta_unasked": [float(d and not f.comparison and not delta_asked) for f, d in zip(facts, is_delta)],
        "in_question": [float(any(n in f.figure_text for n in numbers)) for f in facts],
        "focus_same": [float(f.id in focus_ids) for f in facts],
        "focus_linked": [float(f.base_fact_id in focus_ids or f.id in focus_bases
                               or view.change_pairs.get(f.id) in focus_ids) for f in facts],
        "focus_sentence": [float(layout.fact_sentences[i].start in focus_sentences) for i in candidates],
        "year_stated": [float(f.year in reading.years) for f in facts] if reading.years else 0.0,
        "month_fit": [float(m == reading.months) for m in months] if reading.months is not None else 0.0,
        "month_conflict": [float(m not in (None, reading.months)) for m in months]
                          if reading.months is not None else 0.0,
        "other_year": [float(f.year is not None and view.report_year is not None and f.year != view.report_year)
                       for f in facts] if not reading.years else 0.0,
        "total_vs_delta": [float(d and not f.comparison) for f, d in zip(facts, is_delta)]
                          if reading.scope == "total" else 0.0,
        "average_missing": [float(not any(w in layout.contexts[i].clause for w in averages)) for i in candidates]
                           if reading.average else 0.0,
        "asks_total": [float(f.scope == "part" and not any(
            o in f.subject and o not in getattr(layout.by_id.get(f.parent_fact_id), "subject", "")
            for t in reading.terms for o in expansions(t))) for f in facts] if reading.scope == "total" else 0.0,
        "focus_growth": [float(f.base_fact_id in focus_ids and g > 0) for f, g in zip(facts, growth_fit)],
        "from_unasked": 0.0 if start_asked else starts, "from_fit": starts if start_asked else 0.0,
        **_place_plan_own_per_figure(reading, view, candidates),
    }


def _place_plan_own_per_figure(reading, view, candidates):
    """The place, plan and own-figure columns, figure by figure from each sentence's text."""
    suffixes = sorted(vocabulary().place_suffixes, key=len, reverse=True)
    bare = lambda p: next((p[:-len(s)] for s in suffixes if p.endswith(s) and len(p) - len(s) >= 2), p)  # noqa: E731
    places = [p for p in reading.places if not view.is_home(p) and not view.is_home(bare(p))]
    sentences = [view.layout.contexts[i].sentence for i in candidates]
    named = [all(p in s or bare(p) in s for p in places) for s in sentences]
    words = vocabulary().tables["cues"]["plan"]
    plan = [float(any(w in s for w in words["words"] + words["figure"])) for s in sentences]
    asks = any(w in reading.text for w in words["words"] + words["question"])
    own = any(w in reading.text for w in vocabulary().tables["cues"]["scope"]["own"])
    return {
        "place_fit": [float(n) for n in named] if places else 0.0,
        "place_missing": [float(not n) for n in named] if places else 0.0,
        "plan_fit": plan if asks else 0.0, "plan_unasked": 0.0 if asks else plan,
        "own_vs_total": [float(view.facts[i].scope == "total") for i in candidates] if own else 0.0,
    }


@pytest.fixture(scope="module")
def readings(model_free_engine):
    """Every question of eval/qa.jsonl read with its history (follow-ups carry a focus), and each part."""
    from eval.runner import _history

    out = []
    for item in load_dataset(REPO / "eval" / "qa.jsonl"):
        reading = model_free_engine.read(item.question, _history(item))
        out += [reading, *reading.parts]
    for question in ("2019年公安抓了多少人？", "564名里判了几个？", "总共有多少件", "原来有多少家", "平均每件多少元"):
        reading = model_free_engine.read(question)
        out += [reading, *reading.parts]
    return out


def test_slot_and_kind_columns_equal_per_figure_functions(model_free_engine, readings):
    from qa.features import KIND_FEATURES, kind_ask, kind_features, kind_row
    from qa.figure_features import _kind_rows, _slot_columns

    kinds_of_figures = {(f.kind, f.unit, f.comparison) for f in view_facts(model_free_engine)}
    kinds_of_figures |= {("count", "人", None), ("money", "万元", None), ("growth_rate", "%", "同比"), ("rank", "位", None),
                         ("percent", "%", None), ("duration", "个月", None), ("ratio", "", None), ("other", "件", None)}
    for _ in range(2):  # kept rows are what the rule gives, read back or not
        for reading in readings:
            for kind in sorted(kinds_of_figures, key=str):
                fresh = kind_row.__wrapped__(kind_ask(reading), *kind)
                assert kind_row(kind_ask(reading), *kind) == fresh, (reading.question, kind)
                assert kind_features(reading, *kind) == dict(zip(KIND_FEATURES, fresh))

    view = model_free_engine.view
    every = list(range(len(view.facts)))
    assert sum(bool(r.focus) for r in readings) > 5  # follow-ups are among them
    for _ in range(2):  # the second pass reads remembered kind rows
        for reading in readings:
            kinds = np.array([kind_row.__wrapped__(kind_ask(reading), f.kind, f.unit, f.comparison)
                              for f in view.facts])
            assert np.array_equal(_kind_rows(reading, view, every), kinds), reading.question
            growth = kinds[:, KIND_FEATURES.index("growth_fit")]
            for which in (every, every[::-2]):
                got = _slot_columns(reading, view, which, growth[which])
                expected = _slot_columns_per_figure(reading, view, which, growth[which])
                assert got.keys() == expected.keys()
                for name, values in expected.items():
                    shape = (len(which),)
                    assert np.array_equal(np.broadcast_to(np.asarray(got[name], dtype=np.float64), shape),
                                          np.broadcast_to(np.asarray(values, dtype=np.float64), shape)), \
                        (reading.question, name)


def test_conflict_codes_exclude_as_conflict_does(model_free_engine, questions):
    from qa.candidates import conflict, fact_candidates, firm_actions

    view = model_free_engine.view
    for question in [*questions, "2019年公安抓了多少人？", "564名里判了几个？", "审结了多少万元", "海关查获出口侵权货物多少批？",
                     "城镇和农村各有多少家？", "第22届中国专利奖天津拿了几个金奖", "审结的知识产权案件中民事案件多少件",
                     "商标质押融资金额是多少", "刑事和民事案件各多少件"]:
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
            assert got == (kept, excluded), question
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
    from qa.textanswer import sentence_shapes, shape_features

    engine = model_free_engine
    view = engine.view
    every = list(range(len(view.sentences)))
    for question in questions:
        reading = engine.read(question)
        retrieved = engine.retriever.retrieve(reading.query, k=8, tokens=_bm25_terms(reading))
        r = RetrievalView.of(retrieved)
        asked = Asked.build(reading, view, engine.embedder.embed_queries([reading.query])[0])
        shapes = [shape_features(reading, view.sentences[i].text) for i in every]
        columns = sentence_shapes(reading, view, every)
        assert {k: v.tolist() for k, v in columns.items()} == {k: [s[k] for s in shapes] for k in shapes[0]}, question
        expected = _sentence_rows(asked, view, every, r.share, r.rank, shapes)
        assert np.array_equal(sentence_matrix(asked, view, every, r.share, r.rank, columns), expected), question
        some = every[::2]
        assert np.array_equal(sentence_matrix(asked, view, some, r.share, r.rank, sentence_shapes(reading, view, some)),
                              _sentence_rows(asked, view, some, r.share, r.rank, shapes[::2])), question


def test_fused_ranking_equals_rrf():
    from types import SimpleNamespace

    from qa.retrieval import DENSE_WEIGHT, RRF_K, HybridRetriever, rrf

    fuse = HybridRetriever._fused.__get__(SimpleNamespace(rrf_k=RRF_K))
    rng = np.random.default_rng(12)
    for n in (0, 1, 7, 60, 200):
        for _ in range(20):
            dense = rng.choice([0.1, 0.5, 0.7, 0.9], n).astype(np.float32) + rng.normal(0, 0.01, n).astype(np.float32) * (
                rng.random() < 0.5)  # with ties, or without
            lexical = np.where(rng.random(n) < 0.4, 0.0, rng.choice([1.0, 2.5, 3.0], n)).astype(np.float32)
            dense_rank = list(np.argsort(-dense, kind="stable"))
            lexical_rank = [i for i in np.argsort(-lexical, kind="stable") if lexical[i] > 0]
            expected = rrf([dense_rank, lexical_rank], k=RRF_K, weights=[DENSE_WEIGHT, 1.0])
            inserted, total = fuse(dense, lexical)
            assert list(zip(inserted.tolist(), total[inserted].tolist())) == list(expected.items())


def test_expansions_find_synonym_keys_inside_a_token_in_vocabulary_order(questions):
    from qa.coverage import expansions
    from qa.lexical import tokenize

    v = vocabulary()

    def by_scan(token):  # what expansions did before it looked keys up by the token's substrings
        found = [token, *v.synonyms.get(token, ())]
        for key, targets in v.synonyms.items():
            if len(key) > 1 and key != token and key in token:
                found.extend(targets)
        actor, action = v.actor_of(token), v.action_of(token)
        found.extend(a for a in v.actors[actor] if len(a) > 1) if actor else None
        found.extend(w for w in v.actions[action] if len(w) > 1) if action else None
        return tuple(dict.fromkeys(found))

    tokens = {t for q in questions for t in tokenize(q, search=False)} | set(v.synonyms) | {"罚款数", "有效发明专利数量"}
    tokens |= {a + b for a in list(v.synonyms)[:40] for b in list(v.synonyms)[-40:]}  # tokens holding several keys
    for token in sorted(tokens):
        assert expansions(token) == by_scan(token), token


def test_abbreviations_and_idf_as_scanned(questions):
    """`abbreviated` searches a masked text and idf counts sentences through a TextIndex: the same as
    the plain regex over the text and the plain count."""
    import math
    import re

    import jieba

    from qa.coverage import MAX_EXPANSIONS, MAX_GAP, ReportStats, abbreviated
    from qa.layout import split_sentences

    def by_regex(term, text):  # abbreviated as it was
        if not 2 <= len(term) <= 4 or not all("\u4e00" <= ch <= "\u9fff" for ch in term) or jieba.dt.FREQ.get(term):
            return ()
        gap = f"[\u4e00-\u9fff]{{0,{MAX_GAP}}}?"
        found: dict[str, int] = {}
        for m in re.finditer(gap.join(re.escape(ch) for ch in term), text):
            if len(m.group()) > len(term):
                found[m.group()] = found.get(m.group(), 0) + 1
        return tuple(sorted(found, key=lambda p: (-found[p], len(p)))[:MAX_EXPANSIONS])

    for corpus in (CORPUS, REPO / "eval" / "corpora" / "nbs-statistical-communique-2021.txt"):
        document = load_document(corpus)
        stats = ReportStats([s.text for s in split_sentences(document)])
        runs = [m.group() for q in questions for m in _HAN_RUN.finditer(q)]
        terms = sorted({run[i:i + n] for run in runs for n in (2, 3, 4) for i in range(len(run) - n + 1)})[::7]
        terms += ["知产", "网企", "规上", "法检", "A股", ""]  # every 7th stretch of the questions, and these
        for term in terms:
            assert abbreviated(term, stats.text) == by_regex(term, stats.text), term
            df = sum(1 for s in stats.sentences if term in s)
            assert stats.idf(term) == math.log(1.0 + len(stats.sentences) / (1.0 + df)), term


def test_speller_grams_are_what_the_report_writes(questions):
    """SpellFixer looks stretches up in its set of the report's 2–4 character stretches: the same answer
    as searching the report text, for every Chinese stretch of the questions, and the same mends."""
    from qa.spelling import SpellFixer

    text = load_document(CORPUS).text
    fixer = SpellFixer(text)
    runs = [m.group() for q in questions for m in _HAN_RUN.finditer(q)] + [m.group() for m in _HAN_RUN.finditer(text)]
    for run in runs:
        for n in (2, 3, 4):
            for i in range(len(run) - n + 1):
                assert (run[i:i + n] in fixer.grams) == (run[i:i + n] in text), run[i:i + n]
    assert fixer.fix("有效专力有多少件？检查机关批捕了几人") == "有效专利有多少件？检察机关批捕了几人"


def test_every_figure_of_a_long_report_can_be_a_candidate(tmp_path):
    """A figure past the 400th of a long report is a candidate and answers (a cap in reading order kept the
    first 400 only, so the last figures of a national communiqué could never be answered)."""
    from qa.candidates import fact_candidates
    from qa.engine import EngineConfig, QAEngine
    from tests.conftest import FakeEmbedder

    lines = ["某市2021年统计公报", ""] + [f"全年第{i}类产品产量{100 + i}万吨，比上年增长{i % 9 + 1}.{i % 7}%。"
                                          for i in range(1, 251)]
    lines.append("全年授予专利权460.1万件，比上年增长26.4%。")
    corpus = tmp_path / "communique.txt"
    corpus.write_text("\n".join(lines), encoding="utf-8")
    engine = QAEngine(EngineConfig(corpus=corpus, cache_dir=tmp_path / "cache", retrieval="bm25"),
                      embedder=FakeEmbedder())
    engine.warm_up()
    assert len(engine.view.facts) > 500
    last = [i for i, f in enumerate(engine.view.facts) if f.figure_text == "460.1万件"]
    candidates, _ = fact_candidates(engine.read("全年授予专利权多少件？"), engine.view)
    assert last and last[0] in candidates
    answer = engine.ask("全年授予专利权多少件？")
    assert [f.text for f in answer.figures] == ["460.1万件"]
