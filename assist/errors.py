"""Typed errors of the kit. The service and the CLI map these to statuses and messages; nothing else does."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AssistError",
    "ConversationExists",
    "ConversationNotActive",
    "ConversationNotFound",
    "InvalidPhoneNumber",
    "NoLiveKitRoom",
    "NotFound",
    "StoreLocked",
    "field_path",
]


class AssistError(Exception):
    """Base of every error the kit raises on purpose; its message is meant for a person."""


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


class InvalidPhoneNumber(AssistError, ValueError):
    """The input is not something that can be read as a phone number."""


class StoreLocked(AssistError):
    """Another process holds the DuckDB file for writing."""


def field_path(loc: Sequence[str | int], *, default: str) -> str:
    """A pydantic error's ``loc`` as the dotted path users see (``turns.3.content``), or ``default`` when empty."""
    return ".".join(str(part) for part in loc) or default
