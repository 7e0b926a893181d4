"""Short spoken-style calls written inline in the rules tests, the brief ``rules`` makes of them, and text in
mixed case for the property tests of the fast paths."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import strategies as st

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


#: Words the cues and rewrites look for, in mixed case, with the characters that case-insensitive
#: matching folds differently from ``lower()`` (long s, Kelvin sign, dotless and dotted i).
_WORDS = ["I", "i'm", "I'VE", "my", "Me", "we", "You", "your", "us", "u\u017f", "\u0131", "\u0130", "li\u212ae", "like",
          "see", "they", "has", "is", "have", "will", "'ll", "ve", "um", " ", "  ", ",", ".", "\t", "\n", "\u00a0",
          "[noise]", "<unk>", "wou~", "-"]  # fmt: skip
MIXED_TEXT = st.lists(st.sampled_from(_WORDS), max_size=12).map("".join)
