"""The labelled-transcript interchange format (JSONL): the one reader every part of the kit uses.

:func:`validate_file` checks every line and reports all problems; :func:`read_examples` is the strict reader
for importers, which refuse a file on its first problem (naming the line and the field). A line may also be a
bare conversation (``{"id": ..., "turns": [...], ...}``, as the API and the store hold it): it is read as an
example of that id without gold, so production calls can be evaluated with what needs no labels. Every line
needs turns, a bare conversation too: a call with none yet (still ringing) is registered through the API, and
its file line is written once something has been said.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from assist.errors import AssistError, InvalidJson, field_path
from assist.schema import LabelledExample, load_json

__all__ = ["WHOLE_LINE", "InvalidFile", "LineError", "Validation", "read_examples", "validate_file"]


class InvalidFile(AssistError, ValueError):
    """A JSONL file with lines that do not match the interchange format."""


#: The ``field`` of a problem with a whole line (not JSON, not an object).
WHOLE_LINE = "line"


@dataclass(frozen=True)
class LineError:
    line: int
    #: A dotted path (``conversation.turns.3.content``), or :data:`WHOLE_LINE`.
    field: str
    message: str

    def __str__(self) -> str:
        if self.field == WHOLE_LINE:
            return f"line {self.line}: {self.message}"
        return f"line {self.line}: {self.field}: {self.message}"


@dataclass(frozen=True)
class Validation:
    """What :func:`validate_file` found: the good lines (as read, and as examples), and every problem."""

    records: list[dict[str, Any]]
    examples: list[LabelledExample]
    #: The line number of each example.
    lines: list[int]
    #: Lines that cannot be used: not a JSON object, a documented field missing or mistyped, a repeated id.
    errors: list[LineError]
    #: Usable but suspicious, e.g. a gold marker on a turn the call does not have (it can never be matched).
    warnings: list[LineError]

    def raise_first(self, path: str | Path) -> None:
        """Raise :class:`InvalidFile` naming the first problem (and how many more there are)."""
        if self.errors:
            first, more = self.errors[0], len(self.errors) - 1
            hint = (
                f" (and {more} more {'problem' if more == 1 else 'problems'}; run `assist dataset validate`)"
                if more
                else ""
            )
            raise InvalidFile(f"{path}: {first}{hint}")


def _validation_errors(number: int, exc: ValidationError) -> list[LineError]:
    return [
        LineError(number, field_path(error["loc"], default=WHOLE_LINE), error["msg"])
        for error in exc.errors()
    ]


def validate_file(path: str | Path) -> Validation:
    """Check every line of ``path`` and report all problems, not just the first."""
    found = Validation(records=[], examples=[], lines=[], errors=[], warnings=[])
    first_line_of: dict[str, int] = {}
    conversation_line_of: dict[str, int] = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = load_json(line)
            except InvalidJson as exc:
                found.errors.append(LineError(number, field_path(exc.path, default=WHOLE_LINE), exc.problem))
                continue
            if not isinstance(record, dict):
                found.errors.append(LineError(number, WHOLE_LINE, "not a JSON object"))
                continue
            if "conversation" not in record and ("turns" in record or "user_id" in record):
                # A bare conversation (the API's and the store's shape): an example without gold, same id.
                # Known by its caller id too, so one without turns is told that, not that it is no example.
                record = {"id": record.get("id"), "conversation": record}
            try:
                example = LabelledExample.model_validate(record)
            except ValidationError as exc:
                found.errors.extend(_validation_errors(number, exc))
                continue
            if example.id in first_line_of:
                first = first_line_of[example.id]
                found.errors.append(
                    LineError(number, "id", f"duplicate id {example.id!r} (first on line {first})")
                )
                continue
            conversation_id = example.conversation.id
            if conversation_id in conversation_line_of:
                first = conversation_line_of[conversation_id]
                found.errors.append(
                    LineError(
                        number,
                        "conversation.id",
                        f"duplicate conversation id {conversation_id!r} (first on line {first})",
                    )
                )
                continue
            first_line_of[example.id] = number
            conversation_line_of[conversation_id] = number
            turns = len(example.conversation.turns)
            markers = example.gold.markers if example.gold is not None else None
            found.warnings.extend(
                LineError(number, f"gold.markers.{i}.turn", f"no turn {m.turn} (the call has {turns})")
                for i, m in enumerate(markers or [])
                if m.turn >= turns
            )
            found.records.append(record)
            found.examples.append(example)
            found.lines.append(number)
    return found


def read_examples(path: str | Path) -> list[LabelledExample]:
    """Every example of a valid file, in order; :class:`InvalidFile` naming the first bad line otherwise."""
    found = validate_file(path)
    found.raise_first(path)
    return found.examples
