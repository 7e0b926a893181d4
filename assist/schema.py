"""The data contract: the handoff brief (``AgentAssistPortal``) and the conversations it is built from.

Field names and enums follow ``docs/brief.md`` and ``docs/transcripts.md``
exactly; nothing here knows how a brief is produced or stored.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

__all__ = [
    "ACTIVE_STATUSES",
    "COMPLIANCE_FAMILIES",
    "MARKER_TYPES",
    "SENTIMENT_LABELS",
    "SENTIMENT_LEVELS",
    "AgentAssistPortal",
    "ComplianceFlag",
    "Confidence",
    "Conversation",
    "Gold",
    "GoldMarker",
    "Header",
    "InfoItem",
    "LabelledExample",
    "Marker",
    "MarkerType",
    "NextStep",
    "Role",
    "Seconds",
    "Sentiment",
    "SentimentLevel",
    "Timestamp",
    "TranscriptTurn",
    "Turn",
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
#: A conversation in one of these statuses can be listened to.
ACTIVE_STATUSES = frozenset({"triggered", "ringing", "in_progress"})

#: Bounds of one conversation: generous for real calls (hours of speech), small enough that a brief of the
#: largest one stays around a second and a request body a few megabytes.
MAX_TURNS = 5_000
MAX_TURN_CHARS = 20_000
MAX_TRANSCRIPT_CHARS = 500_000
#: Ids travel as URL path segments: 1-128 characters, no slash, backslash or control characters.
_ID = re.compile(r"[^/\\\x00-\x1f\x7f]{1,128}")


def _encodable(text: str) -> str:
    """Refuse lone surrogates (e.g. a JSON ``"\ud800"``): they cannot be stored or sent as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text is not valid Unicode (it contains a lone surrogate)") from None
    return text


Text = Annotated[str, AfterValidator(_encodable)]
NonEmpty = Annotated[str, StringConstraints(min_length=1), AfterValidator(_encodable)]


def _path_safe_id(value: str) -> str:
    if not _ID.fullmatch(value) or value in (".", ".."):
        raise ValueError(
            "an id is 1 to 128 characters without '/', '\\' or control characters, and not '.' or '..'"
        )
    return value


Id = Annotated[str, AfterValidator(_path_safe_id), AfterValidator(_encodable)]


def _utc(moment: datetime) -> datetime:
    """Every stored moment is UTC: a time without a zone is read as UTC, others are converted."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("timestamp out of range") from None


#: A moment the store can hold, in UTC (its TIMESTAMP columns are UTC).
Timestamp = Annotated[datetime, AfterValidator(_utc)]
#: A duration in seconds the store can hold (its INTEGER columns are 32-bit).
Seconds = Annotated[int, Field(ge=0, le=2**31 - 1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- the brief -------------------------------------------------------------------------------


class Sentiment(_Strict):
    label: NonEmpty
    level: SentimentLevel


class Header(_Strict):
    caller_name: NonEmpty
    phone_number: NonEmpty
    call_duration_seconds: Annotated[int, Field(ge=0)] | None
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
    content: Annotated[Text, Field(max_length=MAX_TURN_CHARS)]
    start_ms: Annotated[int, Field(ge=0)] | None = None


class Conversation(BaseModel):
    """The conversation part of a labelled transcript; also what the store holds."""

    model_config = ConfigDict(extra="allow")

    id: Id
    user_id: NonEmpty
    created_at: Timestamp
    ended_at: Timestamp | None = None
    status: NonEmpty
    duration_seconds: Seconds | None = None
    room_name: NonEmpty | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    turns: Annotated[list[Turn], Field(min_length=1, max_length=MAX_TURNS)]

    @model_validator(mode="after")
    def _storable(self) -> Conversation:
        if sum(len(turn.content) for turn in self.turns) > MAX_TRANSCRIPT_CHARS:
            raise ValueError(f"the transcript is longer than {MAX_TRANSCRIPT_CHARS:,} characters")
        # Free-form fields are stored as JSON: they must be encodable too.
        _encodable(
            json.dumps(
                [self.metadata, self.model_extra, [t.model_extra for t in self.turns]], ensure_ascii=False
            )
        )
        return self

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


# --- labelled examples (the interchange format) ----------------------------------------------


class GoldMarker(BaseModel):
    model_config = ConfigDict(extra="allow")

    turn: Annotated[int, Field(ge=0)]
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
    conversation: Conversation
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
