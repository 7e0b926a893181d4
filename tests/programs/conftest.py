"""Short spoken-style calls written inline in the rules tests, and the brief ``rules`` makes of them."""

from __future__ import annotations

from datetime import UTC, datetime

from assist.programs.rules import RulesProgram
from assist.schema import AgentAssistPortal, Conversation, Turn

PROGRAM = RulesProgram()


def conversation(*turns: tuple[str, str], metadata: dict[str, str] | None = None) -> Conversation:
    """An ended two-minute call made of ``(role, content)`` turns."""
    return Conversation(
        id="conv-test",
        user_id="+15551234567",
        created_at=datetime(2026, 1, 5, 14, 3, tzinfo=UTC),
        status="ended",
        duration_seconds=120,
        metadata=metadata or {},
        turns=[Turn(role=role, content=content) for role, content in turns],  # type: ignore[arg-type]
    )


def brief(*turns: tuple[str, str]) -> AgentAssistPortal:
    """The ``rules`` brief of :func:`conversation` ``(*turns)``."""
    return PROGRAM.brief(conversation(*turns)).portal
