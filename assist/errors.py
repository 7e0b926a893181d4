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
    "InvalidJson",
    "InvalidPhoneNumber",
    "NoLiveKitRoom",
    "NoTranscript",
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
    """The conversation has no turns yet (a live call before anyone spoke): nothing to brief until someone does."""

    code = "no_transcript_yet"


class NoTranscript(AssistError):
    """The conversation failed before anything was said: there is nothing to brief, and never will be."""

    code = "no_transcript"


class InvalidJson(AssistError, ValueError):
    """Text that is not JSON the kit accepts (``assist.schema.load_json``): not JSON at all, or JSON with what
    JSON itself leaves undefined or unsafe (NaN, numbers out of range, a key twice in one object, deep nesting).
    """

    def __init__(self, path: tuple[str | int, ...], problem: str) -> None:
        super().__init__(f"{field_path(path, default='')}: {problem}" if path else problem)
        #: Where in the document: keys and list indexes from the top (empty for the whole text).
        self.path = path
        self.problem = problem


class TooDeeplyNested(InvalidJson):
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
