"""Places a question and a figure's words name, for the place conflict: a question about one district
(东丽区单独拿了多少) is never answered with a figure written for another (滨海新区…获得1.5亿) or for several
together (指导东丽区、滨海新区获批…共获得3亿元).

A place is a word jieba cuts that ends with a place suffix (区, 县, 市 …, qa/vocab/places.toml) and is three
characters or more, unless it ends with a word naming a kind of area (示范区, 城市: ``not_places``).

>>> sorted(places_in("2019年和2020年先后指导东丽区、滨海新区获批国家知识产权运营服务体系试点城区"))
['东丽区', '滨海新区']
>>> place_conflict({"东丽区"}, frozenset(), frozenset({"东丽区", "滨海新区"}), alone=True)
True
>>> place_conflict({"东丽区"}, frozenset(), frozenset({"东丽区", "滨海新区"}), alone=False)
False
>>> place_conflict({"东丽区"}, frozenset({"滨海新区"}), frozenset({"滨海新区"}), alone=False)
True
"""

from __future__ import annotations

from functools import lru_cache

from qa.lexical import tokenize
from qa.vocabulary import vocabulary


@lru_cache(maxsize=8192)
def is_place_name(word: str) -> bool:
    v = vocabulary()
    return len(word) >= 3 and word.endswith(v.place_suffixes) and not word.endswith(tuple(v.tables["places"]["not_places"]))


@lru_cache(maxsize=65536)
def places_in(text: str) -> frozenset[str]:
    """The place names of a text (see the module's docstring)."""
    return frozenset(t for t in tokenize(text, search=False) if is_place_name(t))


def place_conflict(asked: set[str] | frozenset[str], segment: frozenset[str], sentence: frozenset[str], *,
                   alone: bool) -> bool:
    """The question names places (``asked``); the figure's own words name only others, or, naming none, its
    sentence names only others (another place's figure); or the question asks one place's own figure
    (``alone``: 单独, cues.toml [scope] own) and the sentence names places not asked (several places' total)."""
    if not asked:
        return False
    if segment:
        return not asked & segment
    return bool(sentence) and (not asked & sentence or alone and not sentence <= asked)
