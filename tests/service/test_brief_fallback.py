"""The portal never answers 5xx because a model is down, wrong or slow: rules answers, and says so.

The model side is the real dspy program and client talking HTTP to the scripted chat-completions server
on loopback (``tests/scripted_lm.py``); only the hosted model itself is out of reach here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import httpx
import pytest

from assist.lm import configure_lm
from assist.programs import BriefProgram, BriefResult
from assist.programs.dspy_program import DSPyBriefProgram
from assist.schema import AgentAssistPortal, Conversation, LabelledExample
from assist.settings import Settings
from assist.store import Store
from assist.tokens import LiveKitCredentials
from service import create_app
from tests.scripted_lm import ScriptedLM
from tests.service.conftest import World, serve

SLOW_SECONDS = 4.0
SERVICE_TIMEOUT_SECONDS = 0.5


class Exploding:
    """A brief program with a bug: the service must still answer, with rules."""

    name = "exploding"

    def brief(self, conversation: Conversation) -> BriefResult:
        raise RuntimeError(f"bug while briefing {conversation.id}")


@pytest.fixture(scope="module")
def scripted_lm() -> Iterator[ScriptedLM]:
    with ScriptedLM(slow_seconds=SLOW_SECONDS) as lm:
        yield lm


BriefWith = Callable[[BriefProgram, str], tuple[httpx.Response, float]]


@pytest.fixture()
def brief_with(
    seeded_store: tuple[Store, dict[str, str], dict[str, object]],
    livekit_credentials: LiveKitCredentials,
    world: World,
) -> Iterator[BriefWith]:
    """``brief_with(program, phone)`` GETs a brief from a service running ``program``; returns it and its time."""
    store = seeded_store[0]
    settings = Settings(assist_db=store.location, assist_brief_timeout_seconds=SERVICE_TIMEOUT_SECONDS)
    with ExitStack() as servers:

        def brief(program: BriefProgram, phone: str) -> tuple[httpx.Response, float]:
            app = create_app(settings, credentials=livekit_credentials, store=store, program=program)
            base_url = servers.enter_context(serve(app))
            started = time.monotonic()
            response = httpx.get(
                f"{base_url}/core/agent-assist/{phone}", headers=world.headers("a_sensitive"), timeout=30
            )
            return response, time.monotonic() - started

        yield brief


def dspy_program(model: str, lm: ScriptedLM) -> DSPyBriefProgram:
    """The program as the service builds it: the service's deadline, no response cache."""
    return DSPyBriefProgram(
        lm=configure_lm(model, api_base=lm.api_base, timeout_s=SERVICE_TIMEOUT_SECONDS, cache=False),
        timeout_s=SERVICE_TIMEOUT_SECONDS,
        retries=0,
        cache=False,
    )


@pytest.mark.parametrize(
    ("model", "expected_program"),
    [
        ("openai/scripted", "dspy"),  # a working model: its brief, its name
        ("openai/scripted-500", "rules"),  # server error: the dspy program's own fallback
        ("openai/scripted-garbage", "rules"),  # unparseable answer
        ("openai/scripted-slow", "rules"),  # slower than the deadline the service hands the program
    ],
)
def test_the_header_names_the_program_that_answered(
    brief_with: BriefWith,
    scripted_lm: ScriptedLM,
    harper_valley: list[LabelledExample],
    model: str,
    expected_program: str,
) -> None:
    conversation = harper_valley[11].conversation
    response, seconds = brief_with(dspy_program(model, scripted_lm), conversation.user_id)
    assert response.status_code == 200, response.text
    assert response.headers["x-assist-program"] == expected_program
    portal = AgentAssistPortal.model_validate_json(response.text)
    assert [turn.content for turn in portal.transcript] == [turn.content for turn in conversation.turns]
    if model.endswith("slow"):
        assert seconds < SLOW_SECONDS  # the service did not wait for the model


def test_a_program_that_raises_is_answered_by_rules(
    brief_with: BriefWith, harper_valley: list[LabelledExample]
) -> None:
    response, _ = brief_with(Exploding(), harper_valley[12].conversation.user_id)
    assert response.status_code == 200
    assert response.headers["x-assist-program"] == "rules"
    assert "bug while briefing" not in response.text
