"""Typed errors of the kit. The service and the CLI map these to statuses and messages; nothing else does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

__all__ = [
    "AssistError",
    "ConversationExists",
    "ConversationNotActive",
    "ConversationNotFound",
    "DuplicateHeader",
    "InvalidPhoneNumber",
    "NoLiveKitRoom",
    "NoTranscriptYet",
    "NotFound",
    "StoreLocked",
    "TooDeeplyNested",
    "field_path",
]


class AssistError(Exception):
    """Base of every error the kit raises on purpose; its message is meant for a person."""

    #: A stable name for an error a client is expected to act on (the service sends it as ``code``), or None.
    code: ClassVar[str | None] = None


class NotFound(AssistError):
    """Nothing by that id or number in this organization (existence elsewhere is never revealed)."""


class ConversationNotFound(NotFound):
    pass


class NoLiveKitRoom(NotFound):
    """The conversation is active but no LiveKit room is associated with it."""


class ConversationExists(AssistError):
    """Ingest of an id this organization already has (409)."""


class ConversationNotActive(AssistError):
    """Listening needs a conversation in an active status (triggered, ringing, in_progress)."""


class NoTranscriptYet(AssistError):
    """The conversation has no turns (yet): there is nothing to brief."""

    code = "no_transcript_yet"


class TooDeeplyNested(AssistError, ValueError):
    """JSON whose arrays and objects nest deeper than the kit accepts (``assist.schema.MAX_JSON_DEPTH``)."""


class DuplicateHeader(AssistError):
    """A request header that must be sent once came more than once: which one counts would be a guess."""


class InvalidPhoneNumber(AssistError, ValueError):
    """The input is not something that can be read as a phone number."""


class StoreLocked(AssistError):
    """Another process holds the DuckDB file for writing."""


def field_path(loc: Sequence[str | int], *, default: str) -> str:
    """A pydantic error's ``loc`` as the dotted path users see (``turns.3.content``), or ``default`` when empty."""
    return ".".join(str(part) for part in loc) or default
