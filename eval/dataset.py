"""Load and validate an evaluation set: JSON Lines, one question per line.

Each non-empty line is a JSON object::

    {"id": "q001", "question": "警察抓了多少人？", "answers": ["564名"],
     "evidence": "抓获犯罪嫌疑人564名", "kind": "figure",
     "history": [{"role": "user", "content": "…"}, {"role": "assistant", "content": "…"}]}

Any other field whose value is a string (``style``, ``tags``, ``yesno``, ``larger``, ``why`` …) is
kept in ``extra``; accuracy is broken down by ``style`` and by each comma-separated ``tags`` value.
``answers`` are the gold figures or names exactly as the report writes them,
``evidence`` a short span of the report a correct citation must contain (``""``
for unanswerable questions), ``kind`` one of ``figure``, ``text``,
``unanswerable``, and ``history`` (optional) the earlier turns of a follow-up.
Every problem is reported with its line number, e.g.
``line 7: 'kind' must be one of figure, text, unanswerable, got 'x'``.

>>> items = parse_dataset('{"id": "a", "question": "几件？", "answers": ["3件"], "evidence": "3件", "kind": "figure"}')
>>> items[0].answers, items[0].history
(('3件',), ())
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from qa.reading import Turn  # the engine's own chat-turn record, re-exported for datasets

KINDS = ("figure", "text", "unanswerable")
ROLES = ("user", "assistant")
REQUIRED_FIELDS = ("id", "question", "answers", "evidence", "kind")
OPTIONAL_FIELDS = ("history",)
DEFAULT_MAX_BYTES = 5_000_000


class DatasetError(ValueError):
    """An evaluation file that cannot be used; the message names the line."""


@dataclass(frozen=True)
class EvalItem:
    """One evaluation question with its gold answers."""

    id: str
    question: str
    answers: tuple[str, ...]
    evidence: str
    kind: str  # figure | text | unanswerable
    history: tuple[Turn, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()  # other string fields, in file order

    def get(self, name: str, default: str = "") -> str:
        return dict(self.extra).get(name, default)

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(t.strip() for t in self.get("tags").split(",") if t.strip())

    @property
    def answerable(self) -> bool:
        return self.kind != "unanswerable"

    def to_dict(self) -> dict:
        record = {
            "id": self.id,
            "question": self.question,
            "answers": list(self.answers),
            "evidence": self.evidence,
            "kind": self.kind,
        }
        if self.history:
            record["history"] = [{"role": t.role, "content": t.content} for t in self.history]
        record.update(self.extra)
        return record


def _type_name(value: object) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number" if isinstance(value, (int, float)) else type(value).__name__
    )


def _nonempty_string(record: dict, key: str, where: str) -> str:
    value = record[key]
    if not isinstance(value, str):
        raise DatasetError(f"{where}: {key!r} must be a string, got {_type_name(value)}")
    if not value.strip():
        raise DatasetError(f"{where}: {key!r} must not be empty")
    return value


def _parse_history(value: object, where: str) -> tuple[Turn, ...]:
    if not isinstance(value, list):
        raise DatasetError(f"{where}: 'history' must be an array of turns, got {_type_name(value)}")
    turns = []
    for i, turn in enumerate(value):
        at = f"{where}: history[{i}]"
        if not isinstance(turn, dict):
            raise DatasetError(f"{at} must be an object with 'role' and 'content', got {_type_name(turn)}")
        unknown = sorted(set(turn) - {"role", "content"})
        if unknown:
            raise DatasetError(f"{at}: unknown field {unknown[0]!r} (a turn has only 'role' and 'content')")
        for key in ("role", "content"):
            if key not in turn:
                raise DatasetError(f"{at}: missing {key!r}")
        role = turn["role"]
        if role not in ROLES:
            raise DatasetError(f"{at}: 'role' must be one of {', '.join(ROLES)}, got {role!r}")
        content = turn["content"]
        if not isinstance(content, str) or not content.strip():
            raise DatasetError(f"{at}: 'content' must be a non-empty string")
        turns.append(Turn(role, content))
    return tuple(turns)


def _parse_record(record: object, where: str) -> EvalItem:
    if not isinstance(record, dict):
        raise DatasetError(f"{where}: expected a JSON object, got {_type_name(record)}")
    extra = tuple((k, v) for k, v in record.items() if k not in REQUIRED_FIELDS + OPTIONAL_FIELDS)
    for key, value in extra:
        if not isinstance(value, str):
            raise DatasetError(f"{where}: extra field {key!r} must be a string, got {_type_name(value)} "
                               f"(fields other than {', '.join(REQUIRED_FIELDS + OPTIONAL_FIELDS)} are kept as text)")
    for key in REQUIRED_FIELDS:
        if key not in record:
            raise DatasetError(f"{where}: missing required field {key!r}")
    item_id = _nonempty_string(record, "id", where)
    question = _nonempty_string(record, "question", where)
    kind = record["kind"]
    if kind not in KINDS:
        raise DatasetError(f"{where}: 'kind' must be one of {', '.join(KINDS)}, got {kind!r}")
    answers = record["answers"]
    if not isinstance(answers, list):
        raise DatasetError(f"{where}: 'answers' must be an array of strings, got {_type_name(answers)}")
    for i, answer in enumerate(answers):
        if not isinstance(answer, str) or not answer.strip():
            raise DatasetError(f"{where}: answers[{i}] must be a non-empty string, got {answer!r}")
    evidence = record["evidence"]
    if not isinstance(evidence, str):
        raise DatasetError(f"{where}: 'evidence' must be a string, got {_type_name(evidence)}")
    if kind == "unanswerable":
        if answers:
            raise DatasetError(f"{where}: an unanswerable item must have 'answers': [], got {answers!r}")
        if evidence:
            raise DatasetError(f"{where}: an unanswerable item must have 'evidence': \"\"")
    elif not answers:
        raise DatasetError(f"{where}: a {kind!r} item needs at least one entry in 'answers'")
    history = _parse_history(record["history"], where) if "history" in record else ()
    return EvalItem(item_id, question, tuple(answers), evidence, kind, history, extra)


def parse_dataset(text: str, source: str = "<dataset>") -> list[EvalItem]:
    """Parse JSON Lines text; blank lines are skipped. Raises DatasetError naming the line."""
    items: list[EvalItem] = []
    first_line: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{source}: line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        item = _parse_record(record, where)
        if item.id in first_line:
            raise DatasetError(f"{where}: duplicate id {item.id!r} (first used on line {first_line[item.id]})")
        first_line[item.id] = number
        items.append(item)
    if not items:
        raise DatasetError(f"{source}: no questions found: give one JSON object per line")
    return items


def load_dataset(source: str | Path | bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[EvalItem]:
    """Load an evaluation set from a file path, or from raw bytes (an upload)."""
    if isinstance(source, (bytes, bytearray)):
        raw, name = bytes(source), "<upload>"
        if len(raw) > max_bytes:
            raise DatasetError(f"{name}: {len(raw):,} bytes is over the limit of {max_bytes:,} bytes")
    else:
        path = Path(source)
        name = str(path)
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise DatasetError(f"{name}: {size:,} bytes is over the limit of {max_bytes:,} bytes")
            raw = path.read_bytes()
        except OSError as exc:
            raise DatasetError(f"cannot read dataset {name!r}: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DatasetError(f"{name}: line {line}: not UTF-8 text (byte {exc.start}): save the file as UTF-8") from None
    return parse_dataset(text, name)


def check_against_report(items: list[EvalItem], report: str) -> list[str]:
    """Problems with gold data that is not in the report (answers or evidence not verbatim).

    Answers of items tagged ``computed`` are results of arithmetic and are not looked up.
    """
    problems = []
    for item in items:
        for answer in item.answers:
            if answer not in report and "computed" not in item.tags:
                problems.append(f"{item.id}: answer {answer!r} is not in the report")
        if item.evidence and item.evidence not in report:
            problems.append(f"{item.id}: evidence {item.evidence!r} is not in the report")
    return problems
