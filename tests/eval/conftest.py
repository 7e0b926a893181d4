"""Test doubles for the harness: programs that build a brief straight from the gold (perfect, or degraded on purpose).

They stand in for a model program so the harness itself is tested against known answers; the real
``rules`` program is exercised end to end in ``test_cli.py``.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from assist.programs import BriefResult
from assist.schema import Conversation, LabelledExample
from eval.agreement import brief_from_labels


class GoldProgram:
    """Answers every call with its gold; ``lm_calls`` counts calls as a model program would."""

    name = "gold"

    def __init__(self, examples: Iterable[LabelledExample]) -> None:
        self._gold = {example.conversation.id: example.gold for example in examples}
        self.lm_calls = 0

    def brief(self, conversation: Conversation) -> BriefResult:
        self.lm_calls += 1
        return BriefResult(
            portal=brief_from_labels(conversation, self._gold[conversation.id]), program=self.name
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
