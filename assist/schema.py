"""The data contract: the handoff brief (``AgentAssistPortal``) and the conversations it is built from.

Field names and enums follow ``docs/brief.md`` and ``docs/transcripts.md``
exactly; nothing here knows how a brief is produced or stored.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from assist.errors import InvalidJson, NoTranscript, NoTranscriptYet, TooDeeplyNested

__all__ = [
    "ACTIVE_STATUSES",
    "COMPLIANCE_FAMILIES",
    "MARKER_TYPES",
    "MAX_CLOCK_AHEAD",
    "MAX_JSON_DEPTH",
    "SENTIMENT_LABELS",
    "SENTIMENT_LEVELS",
    "STATUSES",
    "AgentAssistPortal",
    "ComplianceFlag",
    "Confidence",
    "Conversation",
    "Gold",
    "GoldMarker",
    "Header",
    "InfoItem",
    "InputTimestamp",
    "LabelledConversation",
    "LabelledExample",
    "Marker",
    "MarkerType",
    "NewConversation",
    "NewEnd",
    "NextStep",
    "Role",
    "Seconds",
    "Sentiment",
    "SentimentLevel",
    "Status",
    "Timestamp",
    "TranscriptTurn",
    "Turn",
    "check_nesting",
    "load_json",
    "portal_json_schema",
]

SentimentLevel = Literal["calm", "slightly_frustrated", "frustrated", "angry", "escalated"]
MarkerType = Literal[
    "frustration",
    "identity_verified",
    "ai_commitment",
    "escalation_trigger",
    "key_info",
    "sentiment_shift",
]
Confidence = Literal["high", "medium", "low"]
Role = Literal["user", "assistant"]
#: The documented statuses of a conversation: three live ones, then how it ended.
Status = Literal["triggered", "ringing", "in_progress", "ended", "failed"]

#: Ordered from calmest to most heated; metrics use the index as the ordinal level.
SENTIMENT_LEVELS: tuple[SentimentLevel, ...] = get_args(SentimentLevel)
SENTIMENT_LABELS: dict[SentimentLevel, str] = {
    "calm": "Calm",
    "slightly_frustrated": "Slightly frustrated",
    "frustrated": "Frustrated",
    "angry": "Angry",
    "escalated": "Escalated",
}
MARKER_TYPES: tuple[MarkerType, ...] = get_args(MarkerType)
#: The documented compliance families; the set of flag types is open.
COMPLIANCE_FAMILIES = ("sensitive_data_unverified", "unfulfillable_promise", "regulatory_requirement")
STATUSES: tuple[Status, ...] = get_args(Status)
#: A conversation in one of these statuses can be listened to.
ACTIVE_STATUSES: frozenset[Status] = frozenset({"triggered", "ringing", "in_progress"})
#: Statuses a conversation may have without any turn: a live call before anyone has spoken (its turns are
#: appended as they come), and a call that failed before anyone did (unanswered, dropped while ringing), which
#: never will have any. A call that ended normally was a conversation, so it needs its turns.
_UNSPOKEN_STATUSES: frozenset[Status] = ACTIVE_STATUSES | {"failed"}

#: Bounds of one conversation: generous for real calls (hours of speech), small enough that a brief of the
#: largest one stays around a second and a request body a few megabytes.
MAX_TURNS = 5_000
MAX_TURN_CHARS = 20_000
MAX_TRANSCRIPT_CHARS = 500_000
#: Ids travel as URL path segments: 1-128 characters, no slash, backslash or control characters (C0, DEL, C1).
_ID = re.compile(r"[^/\\\x00-\x1f\x7f-\x9f]{1,128}")
#: How far ahead of this machine's clock a new conversation may be dated: clocks of the platform and of this
#: service differ by seconds, not days, while a call dated years ahead would stay its caller's newest for ever.
MAX_CLOCK_AHEAD = timedelta(days=1)
#: How deeply arrays and objects may nest in a JSON request body or one line of a JSONL file. A labelled
#: example needs 4 (example, conversation, turns, a turn); the rest is room for free-form metadata and extra
#: fields. Deeper documents are refused before parsing: Python's parser recurses (and gives up near 1,000
#: levels), pydantic's serializer gives up near 255.
MAX_JSON_DEPTH = 32


def _encodable(text: str) -> str:
    """Refuse lone surrogates (e.g. a JSON ``"\ud800"``): they cannot be stored or sent as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text is not valid Unicode (it contains a lone surrogate)") from None
    return text


NonEmpty = Annotated[str, StringConstraints(min_length=1), AfterValidator(_encodable)]


def _encodable_input(value: object) -> object:
    """:func:`_encodable` on a string as sent, before pydantic reads it: to measure a string against a length
    bound pydantic first decodes it, and a lone surrogate fails there with a vaguer message."""
    return _encodable(value) if isinstance(value, str) else value


def _path_safe_id(value: str) -> str:
    if not _ID.fullmatch(value) or value in (".", ".."):
        raise ValueError(
            "an id is 1 to 128 characters without '/', '\\' or control characters, and not '.' or '..'"
        )
    return value


#: A JSON string, escapes included; one never closed runs to the end of the text, so every quote starts a
#: match and the scan stays linear whatever the input (a failed match would be retried from each later quote).
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
#: Opening brackets to +1 and closing ones to -1, as signed bytes.
_NESTING_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def check_nesting(raw: bytes) -> None:
    """Refuse JSON text nesting arrays and objects deeper than ``MAX_JSON_DEPTH``, before anything parses it.

    Strings are cut out (brackets in them are text), and the deepest running count of opening minus closing
    brackets is the depth. Only C-speed passes over the bytes: a 4 MB body costs at most about 0.2 s, where
    parsing ``[[[[...`` would recurse until Python gives up. Text that is not JSON passes, for the parser to
    report.
    """
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    depth = max(accumulate(memoryview(brackets.translate(_NESTING_STEPS)).cast("b")), default=0)
    if depth > MAX_JSON_DEPTH:
        raise TooDeeplyNested(
            (),
            f"JSON nested {depth:,} levels deep (arrays and objects inside each other); "
            f"at most {MAX_JSON_DEPTH} are accepted",
        )


class _Refused:
    """Put by the parser where a value JSON does not allow was, so that its path can be named afterwards."""

    __slots__ = ("key", "problem")

    def __init__(self, problem: str, *, key: str | None = None) -> None:
        self.problem = problem
        #: The repeated key, for an object refused because a key came twice.
        self.key = key


def load_json(text: str | bytes) -> Any:
    """Parse a request body or a line of a JSONL file: the one JSON reader of what the kit is sent.

    Stricter than :func:`json.loads`, which reads ``NaN``, ``Infinity`` and ``-Infinity`` (not JSON), turns
    ``1e400`` into infinity, lets the last of two equal keys win, and raises a bare ``ValueError`` for an integer
    of more than 4,300 digits. Each is refused here with the path of the value; PostgreSQL refuses NaN and
    infinity in JSON, so accepting them would make the two store backends disagree. Nesting is measured first
    (:func:`check_nesting`). Raises :class:`~assist.errors.InvalidJson` (``path`` empty for the whole text).
    """
    check_nesting(text if isinstance(text, bytes) else text.encode("utf-8"))
    refused = False

    def refuse(problem: str, *, key: str | None = None) -> _Refused:
        nonlocal refused
        refused = True
        return _Refused(problem, key=key)

    def constant(name: str) -> _Refused:
        return refuse(f"{name} is not a JSON number (JSON has no NaN or infinity)")

    def floating(literal: str) -> float | _Refused:
        value = float(literal)
        return value if math.isfinite(value) else refuse(f"{literal} is out of range for a JSON number")

    def integer(literal: str) -> int | _Refused:
        try:
            return int(literal)
        except ValueError:  # Python's guard against quadratic conversion (sys.set_int_max_str_digits)
            return refuse(
                f"an integer of {len(literal.lstrip('-')):,} digits; "
                f"at most {sys.get_int_max_str_digits():,} are read"
            )

    def obj(pairs: list[tuple[str, Any]]) -> dict[str, Any] | _Refused:
        found = dict(pairs)
        if len(found) == len(pairs):
            return found
        twice = next(key for key, count in Counter(key for key, _ in pairs).items() if count > 1)
        return refuse("given more than once in one object (which one counts would be a guess)", key=twice)

    try:
        value = json.loads(
            text, parse_constant=constant, parse_float=floating, parse_int=integer, object_pairs_hook=obj
        )
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}" if exc.lineno > 1 else f"column {exc.colno}"
        raise InvalidJson((), f"not JSON ({exc.msg} at {where})") from None
    except UnicodeDecodeError:
        raise InvalidJson((), "not UTF-8 text") from None
    found = _first_refused(value, ()) if refused else None
    if found is not None:
        path, marker = found
        raise InvalidJson(path if marker.key is None else (*path, marker.key), marker.problem)
    return value


def _first_refused(value: Any, path: tuple[str | int, ...]) -> tuple[tuple[str | int, ...], _Refused] | None:
    """The first refused value in document order, with its path (depth-first: nesting is bounded)."""
    if isinstance(value, _Refused):
        return path, value
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if (found := _first_refused(item, (*path, key))) is not None:
            return found
    return None


Id = Annotated[str, AfterValidator(_path_safe_id), AfterValidator(_encodable)]


def _utc(moment: datetime) -> datetime:
    """Every stored moment is UTC: a time without a zone is read as UTC, others are converted."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("timestamp out of range") from None


#: A date, ``T`` (or a space) and a time: what ISO 8601 calls a date-time, before pydantic reads the rest.
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _a_date_time(value: object) -> object:
    """Only an ISO 8601 date-time is a moment: pydantic would read ``1700000000`` (or ``"1700000000"``) as seconds
    since 1970 and ``"2026-01-05"`` as its midnight, which a client meaning something else would never hear of."""
    if isinstance(value, datetime) or (isinstance(value, str) and _DATE_TIME.match(value)):
        return value
    raise PydanticCustomError(
        "datetime_type", "Input should be an ISO 8601 date and time, like 2026-01-05T14:03:00Z"
    )


#: A moment the store can hold, in UTC (its TIMESTAMP columns are UTC). The before-validator is last in
#: ``Annotated`` so it runs first, on what was sent.
Timestamp = Annotated[datetime, AfterValidator(_utc), BeforeValidator(_a_date_time)]


def _not_ahead_of_the_clock(moment: datetime | None, info: ValidationInfo) -> datetime | None:
    latest = datetime.now(UTC) + MAX_CLOCK_AHEAD
    if moment is not None and moment > latest:
        raise ValueError(
            f"{info.field_name} is more than a day ahead of this server's clock "
            f"(at most {latest:%Y-%m-%dT%H:%M}Z)"
        )
    return moment


#: A moment as it arrives (API ingest, a file): also at most a day ahead of this machine's clock. Stored rows are
#: read back as :data:`Timestamp`, so a row once accepted always reads, even where the clock is behind.
InputTimestamp = Annotated[Timestamp, AfterValidator(_not_ahead_of_the_clock)]


def _a_number(value: object) -> object:
    """Only numbers are numbers: pydantic would read ``true`` as 1 and ``"372"`` as 372. A whole-valued float
    (``372.0``) stays allowed: it is an integer to JSON Schema, and so to every client generated from ours."""
    if isinstance(value, bool | str | bytes | bytearray):
        raise PydanticCustomError(
            "int_type", "Input should be a valid integer, not {kind}", {"kind": type(value).__name__}
        )
    return value


#: Last in ``Annotated``, so it runs first and the bounds stay plain JSON Schema ``minimum``/``maximum``.
_JSON_NUMBER = BeforeValidator(_a_number)
#: A count or offset in seconds or milliseconds.
Natural = Annotated[int, Field(ge=0), _JSON_NUMBER]
#: A duration in seconds the store can hold (its INTEGER columns are 32-bit).
Seconds = Annotated[int, Field(ge=0, le=2**31 - 1), _JSON_NUMBER]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- the brief -------------------------------------------------------------------------------


class Sentiment(_Strict):
    label: NonEmpty
    level: SentimentLevel


class Header(_Strict):
    caller_name: NonEmpty
    phone_number: NonEmpty
    call_duration_seconds: Natural | None
    sentiment: Sentiment


class InfoItem(_Strict):
    key: NonEmpty
    value: NonEmpty


class NextStep(_Strict):
    action: NonEmpty
    confidence: Confidence


class Marker(_Strict):
    type: MarkerType
    description: NonEmpty


class TranscriptTurn(_Strict):
    role: Role
    content: str
    markers: list[Marker] = Field(default_factory=list)


class ComplianceFlag(_Strict):
    type: NonEmpty
    description: NonEmpty


class AgentAssistPortal(_Strict):
    """The handoff brief, exactly as ``docs/brief.md`` shapes it."""

    header: Header
    transfer_reason: NonEmpty
    call_summary: Annotated[list[NonEmpty], Field(min_length=3, max_length=5)]
    information_collected: list[InfoItem]
    suggested_next_steps: Annotated[list[NextStep], Field(min_length=1, max_length=3)]
    transcript: list[TranscriptTurn]
    compliance_flags: list[ComplianceFlag]

    def _repr_html_(self) -> str:
        from assist.render import portal_html

        return portal_html(self)


def portal_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of ``AgentAssistPortal``."""
    return AgentAssistPortal.model_json_schema()


# --- conversations ----------------------------------------------------------------------------


class Turn(BaseModel):
    """One utterance. Extra per-turn fields (e.g. ``emotion``) are kept."""

    model_config = ConfigDict(extra="allow")

    role: Role
    # A string's bound ("at most 20000 characters"); after a validator it would be a sequence's ("items")
    content: Annotated[str, StringConstraints(max_length=MAX_TURN_CHARS), BeforeValidator(_encodable_input)]
    start_ms: Natural | None = None


class Conversation(BaseModel):
    """The conversation part of a labelled transcript; also what the store holds and reads back.

    A live call (triggered, ringing, in progress) may have no turns yet, and so may a failed one.
    """

    model_config = ConfigDict(extra="allow")

    id: Id
    user_id: NonEmpty
    created_at: Timestamp
    ended_at: Timestamp | None = None
    status: Status
    duration_seconds: Seconds | None = None
    room_name: NonEmpty | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    turns: Annotated[list[Turn], Field(default_factory=list, max_length=MAX_TURNS, validate_default=True)]

    @field_validator("ended_at")
    @classmethod
    def _ends_after_it_began(cls, ended_at: datetime | None, info: ValidationInfo) -> datetime | None:
        created_at = info.data.get("created_at")  # absent when it did not validate: that error is reported
        if ended_at is not None and created_at is not None and ended_at < created_at:
            raise ValueError(f"ended_at is before created_at ({created_at.isoformat()})")
        return ended_at

    @field_validator("turns")
    @classmethod
    def _spoken_unless_live(cls, turns: list[Turn], info: ValidationInfo) -> list[Turn]:
        status = info.data.get("status")
        if not turns and status is not None and status not in _UNSPOKEN_STATUSES:
            raise ValueError(
                f"a conversation that has {status} needs at least one turn "
                "(only a live call, or one that failed, may have none)"
            )
        return turns

    @model_validator(mode="after")
    def _storable(self) -> Conversation:
        if sum(len(turn.content) for turn in self.turns) > MAX_TRANSCRIPT_CHARS:
            raise ValueError(f"the transcript is longer than {MAX_TRANSCRIPT_CHARS:,} characters")
        # Free-form fields are stored as JSON: they must be encodable too, and JSON, so without NaN or infinity
        # (possible from Python, not from JSON the kit parses; PostgreSQL would refuse them, DuckDB keep them).
        for name, free in (
            ("metadata", self.metadata),
            ("extra fields", self.model_extra),
            ("extra fields of turns", [turn.model_extra for turn in self.turns]),
        ):
            try:
                _encodable(json.dumps(free, ensure_ascii=False, allow_nan=False))
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        return self

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def require_transcript(self) -> Conversation:
        """This conversation, when something has been said in it. Otherwise :class:`NoTranscriptYet` for a live
        call (someone may still speak) and :class:`NoTranscript` for one that failed (no one ever will).

        Every path that briefs a stored call asks this first: a brief of no turns would be made up (a reason,
        a summary and next steps of nothing).
        """
        if not self.turns and self.status == "failed":
            raise NoTranscript(
                f"no transcript: conversation {self.id!r} failed before anything was said; there is nothing "
                "to brief, and there never will be"
            )
        if not self.turns:
            raise NoTranscriptYet(
                f"no transcript yet: conversation {self.id!r} ({self.status}) has no turns; "
                "a brief is made once something has been said"
            )
        return self


class NewConversation(Conversation):
    """A conversation as it arrives (API ingest, a file): neither begun nor ended more than a day ahead of the clock.

    Stored rows are read back as :class:`Conversation`: the clock is checked on arrival only, so a row once
    accepted always reads, even on a server whose clock is behind the one that took it.
    """

    created_at: InputTimestamp
    ended_at: InputTimestamp | None = None


class NewEnd(BaseModel):
    """The end of a stored call as it arrives (``PATCH``): held to the clock as a new call's times are. Checked
    when the change is applied, beside "not before it began"; an end already stored is not checked again."""

    ended_at: InputTimestamp


class LabelledConversation(NewConversation):
    """A labelled example's call: live or not, it needs turns, or there is nothing to brief and score."""

    turns: Annotated[list[Turn], Field(min_length=1, max_length=MAX_TURNS)]


# --- labelled examples (the interchange format) ----------------------------------------------


class GoldMarker(BaseModel):
    model_config = ConfigDict(extra="allow")

    turn: Natural
    type: MarkerType


class Gold(BaseModel):
    """Partial gold: a key left out is "not labelled"; an empty list is "labelled: none"."""

    model_config = ConfigDict(extra="allow")

    caller_name: NonEmpty | None = None
    sentiment: SentimentLevel | None = None
    transfer_reason: str | None = None
    call_summary: list[str] | None = None
    information_collected: list[InfoItem] | None = None
    suggested_next_steps: list[NextStep] | None = None
    markers: list[GoldMarker] | None = None
    compliance_flags: list[ComplianceFlag] | None = None

    def labelled(self) -> set[str]:
        """Names of the sections this example has gold for."""
        return {name for name in self.model_fields_set if getattr(self, name) is not None}


class LabelledExample(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: NonEmpty
    source: str = ""
    tags: list[str] = Field(default_factory=list)
    conversation: LabelledConversation
    gold: Gold | None = None

    @model_validator(mode="before")
    @classmethod
    def _conversation_id_defaults_to_example_id(cls, data: Any) -> Any:
        if isinstance(data, dict):
            conv = data.get("conversation")
            if isinstance(conv, dict) and "id" not in conv and "id" in data:
                data = {**data, "conversation": {**conv, "id": data["id"]}}
        return data

    def to_json_line(self) -> str:
        return json.dumps(self.model_dump(mode="json", exclude_unset=True), ensure_ascii=False)
