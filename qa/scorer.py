"""The fitted scorer: feature rows in, calibrated probabilities out (weights from qa/weights.json).

The weights are fitted by ``python -m eval.fit`` (scikit-learn logistic regression on questions
written by others) and stored with the hash of their training data and cross-validated metrics.
At run time only numpy is needed: standardise, dot, logistic.

>>> model = LinearModel("m", ("a", "b"), np.zeros(2), np.ones(2), np.array([1.0, -1.0]), 0.0, 0.5)
>>> [round(float(p), 3) for p in model.probabilities(np.array([[2.0, 0.0], [0.0, 2.0]]))]
[0.881, 0.119]
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

WEIGHTS = Path(__file__).resolve().parent / "weights.json"
FORMAT_VERSION = 1


class WeightsError(ValueError):
    """Weights that cannot be used with this code; the message says how to refit."""


@dataclass(frozen=True)
class LinearModel:
    """Standardised logistic regression with its decision threshold."""

    name: str
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float  # answer when the best candidate's probability reaches this

    def logits(self, rows: np.ndarray) -> np.ndarray:
        if rows.size == 0:
            return np.zeros(len(rows), dtype=np.float64)
        standard = rows - self.mean  # a new float64 array: divided in place, the same numbers as `/`
        standard /= self.scale
        return standard @ self.coef + self.intercept

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits(rows)))

    def probabilities_of(self, rows: np.ndarray, names: Sequence[str]) -> np.ndarray:
        """Probabilities for rows whose columns are ``names`` (a superset of this model's features)."""
        return self.probabilities(rows[:, columns(names, self.features)])

    def to_dict(self) -> dict:
        return {"features": list(self.features), "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "coef": self.coef.tolist(), "intercept": self.intercept, "threshold": self.threshold}

    @classmethod
    def from_dict(cls, name: str, data: dict, expected: Sequence[str]) -> "LinearModel":
        features = tuple(data["features"])
        if features != tuple(expected):
            raise WeightsError(f"weights for {name!r} were fitted on features {list(features)}, but the code computes "
                               f"{list(expected)}: refit with `python -m eval.fit`")
        arrays = [np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "coef")]
        if any(a.shape != (len(features),) for a in arrays):
            raise WeightsError(f"weights for {name!r} have the wrong shape: refit with `python -m eval.fit`")
        return cls(name, features, *arrays, float(data["intercept"]), float(data["threshold"]))


def columns(names: Sequence[str], wanted: Sequence[str]) -> list[int]:
    """Indices of ``wanted`` among ``names``."""
    return list(_columns(tuple(names), tuple(wanted)))


@lru_cache(maxsize=64)
def _columns(names: tuple[str, ...], wanted: tuple[str, ...]) -> tuple[int, ...]:
    index = {n: i for i, n in enumerate(names)}
    return tuple(index[n] for n in wanted)


LEXICAL = "lexical/"  # prefix of the models fitted without the dense (embedding) features, for BM25-only runs
DENSE_FEATURES = ("dense_clause", "dense_sentence", "dense_clause_gap", "dense_gap", "dense_clause_z", "dense_sentence_z")


@dataclass(frozen=True)
class Weights:
    """Every fitted model plus where it came from."""

    models: dict[str, LinearModel]
    training: dict
    cv: dict
    prefix: str = ""

    def __getitem__(self, name: str) -> LinearModel:
        return self.models[self.prefix + name]

    def lexical(self) -> "Weights":
        """The models fitted with the dense features left out (used when no query is embedded)."""
        return Weights(self.models, self.training, self.cv, LEXICAL)


def load_weights(path: Path = WEIGHTS) -> Weights:
    """Read and check the weights file against the features the code computes."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise WeightsError(f"weights file {path} cannot be read ({exc.strerror or exc}): run `python -m eval.fit`") from None
    except ValueError as exc:
        raise WeightsError(f"weights file {path} is not valid JSON ({exc}): run `python -m eval.fit`") from None
    if data.get("format_version") != FORMAT_VERSION:
        raise WeightsError(f"weights file {path} has format {data.get('format_version')!r}, expected {FORMAT_VERSION}: "
                           "run `python -m eval.fit`")
    expected = model_features()
    expected.update({LEXICAL + name: features for name, features in expected.items()})
    try:
        models = {name: LinearModel.from_dict(name, data["models"][name], features) for name, features in expected.items()}
    except KeyError as exc:
        raise WeightsError(f"weights file {path} has no model {exc}: run `python -m eval.fit`") from None
    return Weights(models, data.get("training", {}), data.get("cv", {}))


def model_features() -> dict[str, tuple[str, ...]]:
    """Every model the answer path uses and the features it reads, in order.

    ``*_rank`` orders the candidates of one question; ``*_verify`` reads the chosen candidate's
    features plus its rank score and margin, and gives the probability that it is right.
    """
    from qa.features import FACT_FEATURES, SENTENCE_FEATURES
    from qa.verifying import FACT_VERIFY, VERIFY_EXTRA

    return {"fact_rank": FACT_FEATURES, "fact_verify": FACT_VERIFY,
            "sentence_rank": SENTENCE_FEATURES, "sentence_verify": VERIFY_EXTRA + SENTENCE_FEATURES}


def untrained() -> Weights:
    """Weights that score every candidate 0.5 (for collecting features before anything is fitted)."""
    def zero(name, features):
        n = len(features)
        return LinearModel(name, tuple(features), np.zeros(n), np.ones(n), np.zeros(n), 0.0, 0.5)

    names = model_features()
    return Weights({prefix + name: zero(name, f) for name, f in names.items() for prefix in ("", LEXICAL)}, {}, {})


@lru_cache(maxsize=4)
def default_weights(path: str = str(WEIGHTS)) -> Weights:
    return load_weights(Path(path))
