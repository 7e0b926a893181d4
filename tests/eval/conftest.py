"""Test doubles for the harness: programs that build a brief straight from the gold (perfect, or degraded on purpose).

They stand in for a model program so the harness itself is tested against known answers; the real
``rules`` program is exercised end to end in ``test_cli.py``, and the real ``dspy`` program against the
scripted model server there too.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from assist.programs import BriefResult, LMUsage, SalvageNote
from assist.programs.rules import RulesProgram
from assist.schema import Conversation, LabelledExample
from eval.agreement import brief_from_labels

#: What every GoldProgram brief reports costing, so totals over a run are easy to check by hand.
GOLD_USAGE = LMUsage(requests=1, prompt_tokens=100, completion_tokens=20, cost_usd=0.001)


class GoldProgram:
    """Answers every call with its gold, as a model program would report it (adapter, usage, ``lm_calls``)."""

    name = "gold"

    def __init__(self, examples: Iterable[LabelledExample]) -> None:
        self._gold = {example.conversation.id: example.gold for example in examples}
        self.lm_calls = 0

    def provenance(self) -> dict[str, str | None]:
        return {"lm": "gold/labels", "api_base": None, "adapter": "json", "prompt_version": "gold-1"}

    def brief(self, conversation: Conversation) -> BriefResult:
        self.lm_calls += 1
        return BriefResult(
            portal=brief_from_labels(conversation, self._gold[conversation.id]),
            program=self.name,
            adapter="json",
            prompt_version="gold-1",
            usage=GOLD_USAGE,
        )


class ForgetfulProgram(GoldProgram):
    """Made worse on purpose: never learns the caller's name and drops the last information item."""

    name = "forgetful"

    def brief(self, conversation: Conversation) -> BriefResult:
        result = super().brief(conversation)
        portal = result.portal
        header = portal.header.model_copy(update={"caller_name": "Unknown Caller"})
        worse = portal.model_copy(
            update={"header": header, "information_collected": portal.information_collected[:-1]}
        )
        return result.model_copy(update={"portal": worse, "program": self.name})


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


class PatchyProgram(GoldProgram):
    """A model that is sometimes not heard, by the example's position ``i`` (so threads do not change it):

    * ``i % 4 == 0``: the whole brief falls back to rules (an LM error), one failed request;
    * ``i % 4 == 1``: the model's markers could not be read, so rules wrote them (and a salvage note says why);
    * otherwise the model wrote the whole (gold) brief.
    """

    name = "patchy"
    REASON = "LM error: LMServerError: scripted internal error"
    NOTE = SalvageNote(
        section="markers", action="dropped", reason="marker type 'anger' is not a marker type", item=0
    )

    def __init__(self, examples: Iterable[LabelledExample]) -> None:
        examples = list(examples)
        super().__init__(examples)
        self._position = {example.conversation.id: i for i, example in enumerate(examples)}

    def brief(self, conversation: Conversation) -> BriefResult:
        kind = self._position[conversation.id] % 4
        if kind == 0:
            self.lm_calls += 1
            rules = RulesProgram().brief(conversation)
            return rules.model_copy(
                update={
                    "fallback": True,
                    "fallback_reason": self.REASON,
                    "adapter": "json",
                    "usage": LMUsage(requests=1),
                }
            )
        result = super().brief(conversation)
        if kind == 1:
            rules_markers = RulesProgram().brief(conversation).portal.transcript
            portal = result.portal.model_copy(update={"transcript": rules_markers})
            return result.model_copy(
                update={"portal": portal, "sections_from_rules": ["markers"], "salvage": [self.NOTE]}
            )
        return result


@pytest.fixture
def gold_program(harper_valley: list[LabelledExample]) -> GoldProgram:
    return GoldProgram(harper_valley)
