from __future__ import annotations

from datetime import UTC, datetime

from assist.programs._facts import call_duration_seconds
from assist.schema import Conversation


def conversation(**fields: object) -> Conversation:
    return Conversation.model_validate(
        {
            "id": "c",
            "user_id": "+15551234567",
            "created_at": "2026-01-05T14:03:00Z",
            "status": "ended",
            "turns": [{"role": "user", "content": "hi"}],
            **fields,
        }
    )


def test_duration_is_recorded_else_derived_else_unknown() -> None:
    assert call_duration_seconds(conversation(duration_seconds=42, ended_at="2026-01-05T15:00:00Z")) == 42
    assert (
        call_duration_seconds(conversation(ended_at="2026-01-05T14:09:12")) == 372
    )  # zone-less reads as UTC
    assert call_duration_seconds(conversation()) is None


def test_an_end_before_the_start_gives_no_duration_rather_than_zero() -> None:
    # The schema refuses such a call; one put together in code without validation can still have it.
    ended_early = conversation().model_copy(update={"ended_at": datetime(2026, 1, 5, 14, 0, tzinfo=UTC)})
    assert call_duration_seconds(ended_early) is None
