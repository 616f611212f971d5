"""Which ranks may answer a rank question: a position is written for one thing, and a question ranking a
thing the report counts elsewhere is not answered with the position of something else.

天津累计有效注册商标总量在全国排名第几 names 注册商标, which the report counts (有效注册商标28.9万件) but
never ranks; its one position (天津知识产权保护满意度位居全国第8位) is another thing's, so the question
conflicts with it and is refused, instead of answered 第8位. A thing the report never names (a paraphrase,
an everyday word) decides nothing: the question may still mean a ranked thing in other words.

>>> ranked_things(["天津", "注册商标", "排名"], ["天津"], ["有效注册商标", "满意度"])
['注册商标']
>>> rank_conflict(["注册商标"], "2019年天津知识产权保护满意度位居全国第8位")
True
>>> rank_conflict(["发明专利"], "全市每万人口发明专利拥有量达到24.4件，净增2.1件，居全国第六")
False
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from qa.coverage import expansions
from qa.reading import Reading
from qa.vocabulary import vocabulary


def ranked_things(nouns: Sequence[str], places: Iterable[str], subjects: Iterable[str]) -> list[str]:
    """The question's nouns that name a thing the report counts (a figure's subject holds the noun or a
    synonym of it), places and general words (fillers.toml generic_nouns) left out."""
    v, places = vocabulary(), set(places)
    counted = "\n".join(subjects)  # one text: a word inside one subject is found in it, and never across two
    return [n for n in nouns if n not in places and n not in v.generic_nouns and len(n) > 1
            and any(o in counted for o in expansions(n))]


def rank_conflict(things: Sequence[str], words: str) -> bool:
    """A rank cannot answer for ``things`` when its ``words`` (its sentence and its subject, which holds a
    table's column heading) name none of them."""
    return bool(things) and not any(o in words for t in things for o in expansions(t))


def rank_conflicts(reading: Reading, view) -> np.ndarray | None:
    """Per figure of ``view``: a rank that cannot answer ``reading`` (None when it asks no rank)."""
    if reading.asked != "rank":
        return None
    facts = view.facts
    things = ranked_things(reading.nouns, [*reading.places, *view.asked_places(reading.terms)],
                           (f.subject for f in facts if f.kind != "rank"))
    if not things:
        return None
    return np.array([f.kind == "rank" and rank_conflict(things, f.sentence + f.subject) for f in facts], dtype=bool)
