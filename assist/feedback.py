"""What a person reading a brief says of it, section by section: helpful or wrong, with an optional comment.

Feedback names the brief by what made it (the conversation, the program, its prompt version), never by its
text: briefs are never stored. Those names are the eval harness's too (a call in a dataset keeps its
``conversation.id``; ``eval_predictions.program`` and ``eval_runs.prompt_version``), so an export joins to runs
(:func:`export_rows`, ``assist feedback export``; the README shows the query).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from assist.programs import BriefSection
from assist.schema import Timestamp

__all__ = [
    "EXPORT_COLUMNS",
    "MAX_COMMENT_CHARS",
    "VERDICTS",
    "ExportFormat",
    "Feedback",
    "NewFeedback",
    "Verdict",
    "export_rows",
    "write_export",
]

Verdict = Literal["helpful", "wrong"]
VERDICTS: tuple[Verdict, ...] = get_args(Verdict)
ExportFormat = Literal["jsonl", "csv"]
#: Room for a sentence or two of why; a comment is a note on the brief, not a place to paste the call.
MAX_COMMENT_CHARS = 1000


#: A program's name or a prompt version, as the brief's headers carried them: 1 to 128 printable characters.
#: Constraints the API schema states too (a pattern, not a validator), so clients can see them.
Name = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f-\x9f]+$")]


def _comment(text: str) -> str | None:
    """A blank comment is none. A long one is refused by its length as sent, not cut (its end may be the point);
    so is a lone surrogate, by the pattern's match."""
    return text.strip() or None


#: No NUL: no store's text column holds it.
Comment = Annotated[
    str, StringConstraints(max_length=MAX_COMMENT_CHARS, pattern=r"^[^\x00]*$"), AfterValidator(_comment)
]


class NewFeedback(BaseModel):
    """One verdict on one section of a brief, as the person who read it gives it."""

    model_config = ConfigDict(extra="forbid")

    section: BriefSection = Field(description="The part of the brief the verdict is about")
    verdict: Verdict
    comment: Comment | None = Field(None, description=f"Optional, at most {MAX_COMMENT_CHARS:,} characters")
    program: Name = Field(description="The program that wrote the brief: its `X-Assist-Program` header")
    prompt_version: Name | None = Field(
        None, description="Its `X-Assist-Prompt-Version` header; absent for a `rules` brief"
    )


class Feedback(NewFeedback):
    """Feedback as stored: which conversation's brief, and when."""

    id: str
    conversation_id: str
    created_at: Timestamp

    @classmethod
    def received(cls, new: NewFeedback, *, conversation_id: str) -> Feedback:
        """``new`` on a brief of ``conversation_id``, given now: a random id and the time in UTC."""
        return cls(
            **new.model_dump(),
            id=uuid.uuid4().hex,
            conversation_id=conversation_id,
            created_at=datetime.now(UTC),
        )


#: The columns of an export, in order: ``conversation_id`` is the eval harness's ``example_id``.
EXPORT_COLUMNS = (
    "conversation_id",
    "program",
    "prompt_version",
    "section",
    "verdict",
    "comment",
    "created_at",
    "id",
)


def export_rows(feedback: Iterable[Feedback]) -> list[dict[str, Any]]:
    """Feedback as flat rows of :data:`EXPORT_COLUMNS`, times in ISO 8601 UTC."""
    return [
        {name: item.model_dump(mode="json", include=set(EXPORT_COLUMNS))[name] for name in EXPORT_COLUMNS}
        for item in feedback
    ]


def write_export(rows: list[dict[str, Any]], *, fmt: ExportFormat) -> str:
    """Rows as JSON Lines (one object a line) or CSV with a header; a missing value is ``null``, or empty in CSV."""
    if fmt == "jsonl":
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
