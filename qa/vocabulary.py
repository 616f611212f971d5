"""The shared vocabulary: every word list of the fact extractor and the question reader, as data.

The lists live in TOML files under ``qa/vocab/`` (units, actors, predicates, synonyms, cues,
fillers, places, extraction); this module loads them once and answers look-ups. Code never
holds a Chinese word list of its own: it asks the vocabulary.

>>> v = vocabulary()
>>> v.actor_of("警察"), v.action_of("审结"), "件" in v.units_for("起")
('公安', '结案', True)
>>> v.cue_groups("抓了多少人？")[:1], v.asked("排第几")
(('count',), 'rank')
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Mapping

VOCAB_DIR = Path(__file__).resolve().parent / "vocab"
FILES = ("units", "actors", "predicates", "synonyms", "cues", "fillers", "places", "extraction")


class VocabularyError(ValueError):
    """A vocabulary file that cannot be used: the message names the file, the table and the word."""


def _duplicates(words: list) -> list:
    seen, dup = set(), []
    for w in (tuple(x) if isinstance(x, list) else x for x in words):
        if w in seen and w not in dup:
            dup.append(w)
        seen.add(w)
    return dup


def check_unique(data: Mapping, where: str) -> None:
    """Raise if a list repeats a word, or if a word names two entries of one mapping table.

    Tables whose values are lists of aliases (actors, actions, cue groups) map each alias to one
    entry only; plain lists hold each word once. Unit groups may share units on purpose (人次 is
    counted among people and among times), so ``unit_groups`` is checked per list only.
    """
    for key, value in data.items():
        path = f"{where}.{key}"
        if isinstance(value, list):
            dup = _duplicates(value)
            if dup:
                raise VocabularyError(f"{path}: {dup[0]!r} is listed twice: keep one entry")
        elif isinstance(value, dict):
            check_unique(value, path)
            if key in ("unit_groups", "words"):
                continue
            lists = {k: v for k, v in value.items() if isinstance(v, list) and k != "priority"}
            owner: dict[str, str] = {}
            for name, words in lists.items():
                for word in words:
                    if word in owner:
                        raise VocabularyError(f"{path}: {word!r} is defined twice (in {owner[word]!r} and {name!r}): "
                                              "a word may name one entry only")
                    owner[word] = name


def load_tables(directory: Path = VOCAB_DIR) -> dict[str, dict]:
    """Read and check every vocabulary file (TOML itself rejects a key defined twice)."""
    tables = {}
    for name in FILES:
        path = directory / f"{name}.toml"
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise VocabularyError(f"vocabulary file {path} cannot be read: {exc.strerror or exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise VocabularyError(f"vocabulary file {path} is not valid TOML ({exc}): fix the line it names") from None
        check_unique(data, name)
        tables[name] = data
    return tables


def alternation(words) -> str:
    """A regex alternation of literal words, longest first (so 人次 is tried before 人)."""
    return _alternation(tuple(words))


@lru_cache(maxsize=512)
def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


@dataclass(frozen=True)
class Vocabulary:
    """Typed, read-only access to the vocabulary tables."""

    tables: Mapping[str, dict]

    # -- units ---------------------------------------------------------------------------
    @cached_property
    def measure_words(self) -> tuple[str, ...]:
        return tuple(sorted(self.tables["units"]["measure_words"], key=len, reverse=True))

    @cached_property
    def unit_groups(self) -> dict[str, frozenset[str]]:
        return {k: frozenset(v) for k, v in self.tables["units"]["unit_groups"].items()}

    def units_for(self, measure_word: str) -> frozenset[str]:
        """Every unit a figure may carry when a question counts with ``measure_word``."""
        groups = [g for g in self.unit_groups.values() if measure_word in g]
        return frozenset().union(*groups) if groups else frozenset({measure_word})

    def unit_group_names(self, unit: str) -> frozenset[str]:
        return frozenset(name for name, g in self.unit_groups.items() if unit in g)

    @cached_property
    def _unit_class(self) -> dict[str, str]:
        return {u: name for name, units in self.tables["units"]["unit_classes"].items() for u in units}

    def unit_class(self, unit: str) -> str:
        """people / money / percent / duration, or "things" for every other unit (件, 项, 家 …)."""
        return self._unit_class.get(unit, "things")

    @cached_property
    def ask_words(self) -> tuple[str, ...]:
        """Words asking "how many" (多少, 几多, 几 …), longest first."""
        return tuple(sorted(self.tables["cues"]["ask"]["words"], key=len, reverse=True))

    @cached_property
    def ask_pattern(self) -> re.Pattern:
        """`ask_words` as one compiled alternation (every question is searched with it)."""
        return re.compile(alternation(self.ask_words))

    def units(self, key: str):
        return self.tables["units"][key]

    # -- actors and actions ---------------------------------------------------------------
    @cached_property
    def actors(self) -> dict[str, tuple[str, ...]]:
        return {k: tuple(v) for k, v in self.tables["actors"]["aliases"].items()}

    @cached_property
    def _actor_index(self) -> dict[str, str]:
        return {alias.lower(): name for name, aliases in self.actors.items() for alias in aliases}

    def actor_of(self, word: str) -> str | None:
        return self._actor_index.get(word.lower())

    @cached_property
    def actor_suffixes(self) -> tuple[str, ...]:
        return tuple(self.tables["actors"]["suffixes"]["agency"])

    @cached_property
    def actions(self) -> dict[str, tuple[str, ...]]:
        return {k: tuple(v) for k, v in self.tables["predicates"]["actions"].items()}

    @cached_property
    def _action_index(self) -> dict[str, str]:
        return {w: name for name, words in self.actions.items() for w in words}

    def action_of(self, word: str) -> str | None:
        return self._action_index.get(word)

    @cached_property
    def _action_pattern(self) -> re.Pattern:
        return re.compile(alternation(w for w in self._action_index if len(w) > 1))

    def actions_in(self, text: str) -> tuple[str, ...]:
        """Actions named in report text (words of two characters or more), in order of appearance."""
        return tuple(dict.fromkeys(self._action_index[m.group()] for m in self._action_pattern.finditer(text)))

    @cached_property
    def _facet_index(self) -> dict[str, tuple[str, str]]:
        facets = self.tables["predicates"].get("facets", {})
        return {w: (family, name) for family, kinds in facets.items() for name, words in kinds.items() for w in words}

    @cached_property
    def _facet_pattern(self) -> re.Pattern:
        return re.compile(alternation(self._facet_index))

    def facets_in(self, text: str) -> frozenset[tuple[str, str]]:
        """(family, facet) named in ``text``, longest word first: 进出口总额 -> {(trade, 进出口)}, not 出口.

        >>> sorted(vocabulary().facets_in("城镇居民人均可支配收入"))
        [('flow', '收入'), ('residence', '城镇')]
        """
        return frozenset(self._facet_index[m.group()] for m in self._facet_pattern.finditer(text))

    # -- synonyms, fillers, places ---------------------------------------------------------
    @cached_property
    def synonyms(self) -> dict[str, tuple[str, ...]]:
        return {k.lower(): tuple(v) for k, v in self.tables["synonyms"]["words"].items()}

    @cached_property
    def fillers(self) -> frozenset[str]:
        return frozenset(w.lower() for w in self.tables["fillers"]["fillers"])

    @cached_property
    def generic_nouns(self) -> frozenset[str]:
        return frozenset(self.tables["fillers"]["generic_nouns"])

    @cached_property
    def places(self) -> tuple[str, ...]:
        p = self.tables["places"]
        return tuple(p["provinces"] + p["cities"] + p["countries"])

    @cached_property
    def place_suffixes(self) -> tuple[str, ...]:
        return tuple(self.tables["places"]["suffixes"])

    # -- cues ------------------------------------------------------------------------------
    def _groups(self, table: str) -> dict[str, tuple[str, ...]]:
        data = self.tables["cues"][table]
        return {k: tuple(w.lower() for w in v) for k, v in data.items() if k != "priority"}

    @cached_property
    def asked_cues(self) -> dict[str, tuple[str, ...]]:
        return self._groups("asked")

    @cached_property
    def operation_cues(self) -> dict[str, tuple[str, ...]]:
        return self._groups("operation")

    @cached_property
    def _cue_masks(self):
        """Names that hold a cue phrase but ask nothing (高价值), as one pattern (None if there are none)."""
        words = self.tables["cues"].get("cue_masks", {}).get("words", [])
        return re.compile(alternation(sorted(words, key=len, reverse=True))) if words else None

    def cue_groups(self, text: str, table: str = "asked") -> tuple[str, ...]:
        """Cue groups whose phrases occur in ``text``, in the table's priority order (kept per text: a question
        is looked up by its reading, its operation and its parts)."""
        return self._cue_groups(text, table)

    @cached_property
    def _cue_groups(self):
        return lru_cache(maxsize=4096)(self._find_cue_groups)

    @cached_property
    def _cue_searches(self) -> dict[str, tuple[tuple[str, re.Pattern | None], ...]]:
        """Per cue table, its groups in priority order, each with one pattern of its phrases: a search finds a
        phrase wherever it occurs, as testing each phrase with ``in`` does, in one scan (a quarter of the time)."""
        out = {}
        for table, groups in (("asked", self.asked_cues), ("operation", self.operation_cues)):
            out[table] = tuple((name, re.compile(alternation(groups[name])) if groups.get(name) else None)
                               for name in self.tables["cues"][table]["priority"])
        return out

    def _find_cue_groups(self, text: str, table: str) -> tuple[str, ...]:
        lowered = self._cue_masks.sub(" ", text.lower()) if self._cue_masks else text.lower()
        return tuple(name for name, phrases in self._cue_searches[table] if phrases and phrases.search(lowered))

    def asked(self, text: str) -> str:
        """What a question asks for: the first cue group of the priority order it contains."""
        found = self.cue_groups(text)
        return found[0] if found else "text"

    def cues(self, table: str, key: str) -> tuple[str, ...]:
        return tuple(self.tables["cues"][table][key])

    def extraction(self, key: str):
        return self.tables["extraction"][key]


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The vocabulary, loaded once per process."""
    return Vocabulary(load_tables())
