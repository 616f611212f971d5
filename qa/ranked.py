"""The records between scoring and writing: a scored candidate, the ranked candidates of one question with
what verification needs, and the decision of what to answer (qa.compose writes it out).

>>> Decision("refuse", reason="报告没有写明具体时间。").mode
'refuse'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


class Scored(NamedTuple):
    """A candidate (index into facts or sentences) and its rank score; ``row`` is its row in the matrix."""

    index: int
    logit: float
    row: int


@dataclass(frozen=True)
class Ranked:
    """The candidates of one question (or part), best first, with what verification needs."""

    scored: list[Scored]
    matrix: np.ndarray  # feature rows in candidate order
    logits: np.ndarray  # rank scores in candidate order
    values: list[str]  # the answer each candidate would give (figure as written, or sentence number)
    verifier: object  # the fitted verify model
    names: tuple[str, ...] = ()  # the matrix's feature names

    def __bool__(self) -> bool:
        return bool(self.scored)

    def value(self, position: int = 0) -> str:
        return self.values[self.scored[position].row]

    def probability(self, position: int = 0, context: tuple[float, ...] | None = None,
                    same: frozenset[int] = frozenset()) -> float:
        """Calibrated probability that the candidate at ``position`` (0 = best) is right; ``context``
        is its part context when the question asks for several figures (qa.verifying.part_context);
        ``same``: candidates (indices) that give the same answer although their values differ (the
        items of a list whose total is asked), so they are no rivals in the margin."""
        from qa.verifying import part_context, verify_names, verify_row

        row = self.scored[position].row
        value = self.values[row]
        if same:
            index = {s.row: s.index for s in self.scored}
            different = [v != value and index.get(r) not in same for r, v in enumerate(self.values)]
        else:
            different = [v != value for v in self.values]
        context = context or part_context([self.values[row]], 0)
        full = verify_row(self.matrix, self.logits, row, different, context)[None, :]
        return float(self.verifier.probabilities_of(full, verify_names(self.names))[0])


@dataclass(frozen=True)
class Decision:
    """What to answer, before it is written out (qa.compose writes the text)."""

    mode: str  # figures | sentence | refuse
    facts: tuple = ()  # the figures, in the order of the parts asked
    sentence: int | None = None  # index into view.sentences for a text answer
    short: str = ""
    operation: str = "value"
    computed: tuple | None = None  # (operation, Combined | None, larger fact | None)
    verdict: str = ""
    probability: float = 0.0
    reason: str = ""
    missing_parts: int = 0
