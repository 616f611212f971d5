"""A part of a two-part question that names nothing of its own (…有多少件，比上年多了多少) is about the figure
chosen for the part before it (qa/decide.py `Decider._follow_parts`), with the model-free engine."""

from __future__ import annotations


def _ids(engine, *figures):
    return [next(i for i, f in enumerate(engine.view.facts) if f.figure_text == text) for text in figures]


def test_a_part_naming_nothing_takes_the_growth_of_the_figure_before_it(model_free_engine):
    engine = model_free_engine
    reading = engine.read("有效专利有多少件，比上年多了多少")
    assert len(reading.parts) == 2
    retrieved = engine.retriever.retrieve(reading.query, k=8)
    patents, growth, other_growth = _ids(engine, "24.6万件", "23.4%", "9.9%")
    threshold = engine.decider.weights["fact_verify"].threshold
    # the joint choice gave the second part the growth of 有效发明专利 (9.9%), written in the same sentence
    chosen = engine.decider._follow_parts(reading.parts, [(patents, 0.9), (other_growth, 0.8)], retrieved, threshold)
    assert chosen[0] == (patents, 0.9) and chosen[1][0] == growth


def test_a_part_naming_its_own_thing_is_left_as_chosen(model_free_engine):
    engine = model_free_engine
    reading = engine.read("有效专利有多少件，有效注册商标有多少件")
    retrieved = engine.retriever.retrieve(reading.query, k=8)
    patents = _ids(engine, "24.6万件")[0]
    threshold = engine.decider.weights["fact_verify"].threshold
    assert engine.decider._follow_parts(reading.parts, [(patents, 0.9), None], retrieved, threshold) == [(patents, 0.9), None]
