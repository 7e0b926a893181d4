"""What every brief program copies from the conversation instead of asking a model for it."""

from __future__ import annotations

from assist.errors import InvalidPhoneNumber
from assist.phone import normalize_phone
from assist.schema import Conversation, TranscriptTurn

__all__ = ["call_duration_seconds", "phone_number", "transcript"]


def phone_number(conversation: Conversation) -> str:
    """The caller id as E.164 when it reads as a phone number, else exactly as recorded."""
    try:
        return normalize_phone(conversation.user_id)
    except InvalidPhoneNumber:
        return conversation.user_id


def call_duration_seconds(conversation: Conversation) -> int | None:
    """The recorded duration, else ``ended_at - created_at``; ``None`` when neither is known (or they disagree)."""
    if conversation.duration_seconds is not None:
        return conversation.duration_seconds
    if conversation.ended_at is not None and conversation.ended_at >= conversation.created_at:
        return round((conversation.ended_at - conversation.created_at).total_seconds())
    return None


def transcript(conversation: Conversation) -> list[TranscriptTurn]:
    """Every turn, in order, role and text untouched, no markers yet."""
    return [TranscriptTurn(role=turn.role, content=turn.content) for turn in conversation.turns]
