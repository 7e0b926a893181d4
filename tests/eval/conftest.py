"""Test doubles for the harness: programs that build a brief straight from the gold (perfect, or degraded on purpose).

They stand in for a model program so the harness itself is tested against known answers; the real
``rules`` program is exercised end to end in ``test_cli.py``.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from assist.programs import BriefResult, _facts
from assist.schema import (
    SENTIMENT_LABELS,
    AgentAssistPortal,
    Conversation,
    Gold,
    Header,
    LabelledExample,
    Marker,
    NextStep,
    Sentiment,
)


def portal_from_gold(conversation: Conversation, gold: Gold | None) -> AgentAssistPortal:
    """The brief a perfect program would write for ``gold``; unlabelled sections get neutral filler."""
    gold = gold or Gold()
    transcript = _facts.transcript(conversation)
    for marker in gold.markers or []:
        transcript[marker.turn].markers.append(Marker(type=marker.type, description=f"{marker.type} here"))
    level = gold.sentiment or "calm"
    summary = gold.call_summary if gold.call_summary and 3 <= len(gold.call_summary) <= 5 else None
    return AgentAssistPortal(
        header=Header(
            caller_name=gold.caller_name or "Unknown Caller",
            phone_number=_facts.phone_number(conversation),
            call_duration_seconds=_facts.call_duration_seconds(conversation),
            sentiment=Sentiment(label=SENTIMENT_LABELS[level], level=level),
        ),
        transfer_reason=gold.transfer_reason or "caller asked for a person",
        call_summary=summary or ["Caller called.", "Agent answered.", "Call ended."],
        information_collected=list(gold.information_collected or []),
        suggested_next_steps=list(
            gold.suggested_next_steps or [NextStep(action="Follow up", confidence="low")]
        )[:3],
        transcript=transcript,
        compliance_flags=list(gold.compliance_flags or []),
    )


class GoldProgram:
    """Answers every call with its gold; ``lm_calls`` counts calls as a model program would."""

    name = "gold"

    def __init__(self, examples: Iterable[LabelledExample]) -> None:
        self._gold = {example.conversation.id: example.gold for example in examples}
        self.lm_calls = 0

    def brief(self, conversation: Conversation) -> BriefResult:
        self.lm_calls += 1
        return BriefResult(
            portal=portal_from_gold(conversation, self._gold[conversation.id]), program=self.name
        )


class ForgetfulProgram(GoldProgram):
    """Made worse on purpose: never learns the caller's name and drops the last information item."""

    name = "forgetful"

    def brief(self, conversation: Conversation) -> BriefResult:
        portal = super().brief(conversation).portal
        header = portal.header.model_copy(update={"caller_name": "Unknown Caller"})
        worse = portal.model_copy(
            update={"header": header, "information_collected": portal.information_collected[:-1]}
        )
        return BriefResult(portal=worse, program=self.name)


class CrashingProgram(GoldProgram):
    """Fails on every third call, as a flaky model backend would."""

    name = "crashing"

    def __init__(self, examples: Iterable[LabelledExample]) -> None:
        super().__init__(examples)
        self._calls = 0

    def brief(self, conversation: Conversation) -> BriefResult:
        self._calls += 1
        if self._calls % 3 == 0:
            raise RuntimeError(f"backend unavailable for {conversation.id}")
        return super().brief(conversation)


@pytest.fixture
def gold_program(harper_valley: list[LabelledExample]) -> GoldProgram:
    return GoldProgram(harper_valley)
