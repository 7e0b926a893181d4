"""The service's model path: no response cache and nothing on disk, one deadline, a circuit breaker, and
headers that say who wrote the brief.

The service builds its own program from the settings (``ASSIST_LM`` naming a scripted model at the
scripted chat-completions server on loopback, ``tests/scripted_lm.py``), exactly as ``assist serve`` does;
the model side is the real dspy program and client over HTTP.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import dspy
import httpx
import pytest

from assist.lm import use_cache_dir
from assist.programs import BriefResult
from assist.schema import AgentAssistPortal, Conversation, LabelledExample
from assist.settings import Settings
from assist.store import Store
from assist.tokens import LiveKitCredentials
from service import create_app
from tests.scripted_lm import ScriptedLM
from tests.service.conftest import World, serve

#: The service's brief deadline in these tests: far above a scripted answer (milliseconds), far below a hang.
DEADLINE_SECONDS = 1.0
#: How long a hanging scripted model takes to answer; longer than any wait of the service.
HANG_SECONDS = 5.0
COOLDOWN_SECONDS = 0.5
#: "At once": a rules brief takes milliseconds; anything near the deadline means the model was waited for.
AT_ONCE_SECONDS = DEADLINE_SECONDS / 3
#: What the scripted model writes as the transfer reason, and rules never does.
SCRIPTED_REASON = "The caller asked for something the assistant could not complete"


@pytest.fixture(scope="module")
def scripted_lm() -> Iterator[ScriptedLM]:
    with ScriptedLM(slow_seconds=HANG_SECONDS) as lm:
        yield lm


@pytest.fixture()
def flaky(scripted_lm: ScriptedLM) -> Iterator[ScriptedLM]:
    """The scripted server with ``scripted-flaky`` hanging until a test says otherwise."""
    scripted_lm.hanging = True
    yield scripted_lm
    scripted_lm.hanging = False


ModelService = Callable[[str], AbstractContextManager[str]]


@pytest.fixture()
def model_service(
    seeded_store: tuple[Store, dict[str, str], dict[str, object]],
    livekit_credentials: LiveKitCredentials,
    scripted_lm: ScriptedLM,
    monkeypatch: pytest.MonkeyPatch,
) -> ModelService:
    """``with model_service("openai/scripted") as base_url``: the service configured like a deployment whose
    ``ASSIST_LM`` is that scripted model; it builds its program itself."""
    store = seeded_store[0]

    @contextmanager
    def run(model: str) -> Iterator[str]:
        monkeypatch.setenv("ASSIST_LM", model)
        monkeypatch.setenv("ASSIST_LM_API_BASE", scripted_lm.api_base)
        settings = Settings(
            assist_db=store.location,
            assist_program=None,
            assist_brief_timeout_seconds=DEADLINE_SECONDS,
            assist_breaker_cooldown_seconds=COOLDOWN_SECONDS,
        )
        assert settings.brief_program == "dspy"
        with serve(create_app(settings, credentials=livekit_credentials, store=store)) as base_url:
            yield base_url

    return run


def get_brief(base_url: str, world: World, phone: str, *, html: bool = False) -> tuple[httpx.Response, float]:
    headers = world.headers("a_sensitive")
    if html:
        headers["Accept"] = "text/html"
    started = time.monotonic()
    response = httpx.get(f"{base_url}/core/agent-assist/{phone}", headers=headers, timeout=30)
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    return response, elapsed


def test_a_hanging_model_costs_the_deadline_once_then_the_breaker_answers_at_once(
    model_service: ModelService, flaky: ScriptedLM, world: World, harper_valley: list[LabelledExample]
) -> None:
    phone = harper_valley[20].conversation.user_id
    timings: dict[str, float] = {}
    with model_service("openai/scripted-flaky") as base_url:
        # The first request waits for the model's deadline (the program's, handed over by the service).
        hung, timings["hang"] = get_brief(base_url, world, phone)
        assert hung.headers["x-assist-program"] == "rules"
        assert DEADLINE_SECONDS <= timings["hang"] < HANG_SECONDS
        asked = flaky.requests["scripted-flaky"]

        # The breaker is open: rules at once, and the model is not even asked.
        for n in (1, 2):
            open_, timings[f"open{n}"] = get_brief(base_url, world, phone)
            assert open_.headers["x-assist-program"] == "rules"
            assert timings[f"open{n}"] < AT_ONCE_SECONDS
        assert flaky.requests["scripted-flaky"] == asked

        # After the cooldown one request probes the (still hanging) model; the others keep getting rules at once.
        time.sleep(COOLDOWN_SECONDS)
        probe: dict[str, tuple[httpx.Response, float]] = {}
        prober = threading.Thread(target=lambda: probe.update(r=get_brief(base_url, world, phone)))
        prober.start()
        deadline = time.monotonic() + DEADLINE_SECONDS
        while flaky.requests["scripted-flaky"] == asked and time.monotonic() < deadline:
            time.sleep(0.01)
        assert flaky.requests["scripted-flaky"] == asked + 1, "the probe did not reach the model"
        during, timings["during_probe"] = get_brief(base_url, world, phone)
        assert during.headers["x-assist-program"] == "rules"
        assert timings["during_probe"] < AT_ONCE_SECONDS
        prober.join(HANG_SECONDS)
        failed_probe, timings["failed_probe"] = probe["r"]
        assert failed_probe.headers["x-assist-program"] == "rules"
        assert timings["failed_probe"] >= DEADLINE_SECONDS

        # The failed probe re-opened the breaker.
        reopened, timings["reopened"] = get_brief(base_url, world, phone)
        assert reopened.headers["x-assist-program"] == "rules"
        assert timings["reopened"] < AT_ONCE_SECONDS
        assert flaky.requests["scripted-flaky"] == asked + 1

        # The model recovers; after the cooldown a probe gets its brief, and the breaker is closed again.
        flaky.hanging = False
        time.sleep(COOLDOWN_SECONDS)
        recovered, timings["recovered"] = get_brief(base_url, world, phone)
        assert recovered.headers["x-assist-program"] == "dspy"
        assert AgentAssistPortal.model_validate_json(recovered.text).transfer_reason == SCRIPTED_REASON
        closed, timings["closed"] = get_brief(base_url, world, phone)
        assert closed.headers["x-assist-program"] == "dspy"
        assert flaky.requests["scripted-flaky"] == asked + 3
    print("elapsed seconds:", {name: round(seconds, 3) for name, seconds in timings.items()})


def test_three_quick_failures_in_a_row_open_the_breaker(
    model_service: ModelService, scripted_lm: ScriptedLM, world: World, harper_valley: list[LabelledExample]
) -> None:
    phone = harper_valley[21].conversation.user_id
    with model_service("openai/scripted-500") as base_url:
        for _ in range(3):
            before = scripted_lm.requests["scripted-500"]
            response, _ = get_brief(base_url, world, phone)
            assert response.headers["x-assist-program"] == "rules"
            assert scripted_lm.requests["scripted-500"] > before  # asked (the program may retry once)
        before = scripted_lm.requests["scripted-500"]
        response, seconds = get_brief(base_url, world, phone)
        assert response.headers["x-assist-program"] == "rules"
        assert scripted_lm.requests["scripted-500"] == before  # the fourth was not asked
        assert seconds < AT_ONCE_SECONDS


def test_two_identical_requests_reach_the_model_twice(
    model_service: ModelService, scripted_lm: ScriptedLM, world: World, harper_valley: list[LabelledExample]
) -> None:
    phone = harper_valley[22].conversation.user_id
    with model_service("openai/scripted") as base_url:
        before = scripted_lm.requests["scripted"]
        first, _ = get_brief(base_url, world, phone)
        second, _ = get_brief(base_url, world, phone)
    assert first.headers["x-assist-program"] == second.headers["x-assist-program"] == "dspy"
    assert first.text == second.text  # the same brief, made twice: nothing was answered from a cache
    assert scripted_lm.requests["scripted"] == before + 2


class IgnoresItsDeadline:
    """A program that claims a deadline and keeps working past it, until the test lets it go."""

    name = "stubborn"
    timeout_s = 0.2

    def __init__(self) -> None:
        self.release = threading.Event()

    def brief(self, conversation: Conversation) -> BriefResult:
        self.release.wait(30)
        raise RuntimeError("released")


def test_the_backstop_answers_for_a_program_that_ignores_its_deadline(
    seeded_store: tuple[Store, dict[str, str], dict[str, object]],
    livekit_credentials: LiveKitCredentials,
    world: World,
    harper_valley: list[LabelledExample],
) -> None:
    program = IgnoresItsDeadline()
    settings = Settings(assist_db=seeded_store[0].location, assist_breaker_cooldown_seconds=60)
    app = create_app(settings, credentials=livekit_credentials, store=seeded_store[0], program=program)
    phone = harper_valley[26].conversation.user_id
    try:
        with serve(app) as base_url:
            stuck, waited = get_brief(base_url, world, phone)
            after, at_once = get_brief(base_url, world, phone)
    finally:
        program.release.set()
    assert stuck.headers["x-assist-program"] == after.headers["x-assist-program"] == "rules"
    # Its deadline plus the service's grace (1 s), not the setting's 15 s; and the backstop opened the breaker.
    assert program.timeout_s + 1 <= waited < settings.assist_brief_timeout_seconds
    assert at_once < AT_ONCE_SECONDS


def _files_containing(text: str, root: Path) -> list[Path]:
    needle = text.encode()
    found = []
    for directory, _, names in os.walk(root):
        for name in names:
            path = Path(directory, name)
            if path.is_file() and needle in path.read_bytes():
                found.append(path)
    return found


def test_no_part_of_a_brief_is_written_to_disk(
    model_service: ModelService,
    world: World,
    harper_valley: list[LabelledExample],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home, work, cache = tmp_path / "home", tmp_path / "work", tmp_path / "cache" / "dspy"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("ASSIST_CACHE_DIR", str(cache))
    monkeypatch.chdir(work)
    # DSPy's one process-wide cache points wherever earlier tests left it, full of their answers: point it at
    # an empty directory of this test's, so anything the service wrote would be found there.
    use_cache_dir(tmp_path / "dspy-global")
    with model_service("openai/scripted") as base_url:
        response, _ = get_brief(base_url, world, harper_valley[23].conversation.user_id)
    assert response.headers["x-assist-program"] == "dspy"
    assert AgentAssistPortal.model_validate_json(response.text).transfer_reason == SCRIPTED_REASON
    dspy_cache = getattr(dspy.cache, "disk_cache_dir", None)
    searched = [tmp_path, *([Path(dspy_cache)] if dspy_cache else [])]
    assert [path for root in searched for path in _files_containing(SCRIPTED_REASON, root)] == []
    assert not (work / ".assist-cache").exists()
    assert not cache.exists()


@pytest.mark.parametrize("html", [False, True])
def test_no_rules_sections_header_on_a_whole_model_brief_or_a_rules_brief(
    model_service: ModelService, world: World, harper_valley: list[LabelledExample], html: bool
) -> None:
    phone = harper_valley[24].conversation.user_id
    with model_service("openai/scripted") as base_url:
        model, _ = get_brief(base_url, world, phone, html=html)
    with model_service("openai/scripted-500") as base_url:
        rules, _ = get_brief(base_url, world, phone, html=html)
    assert model.headers["x-assist-program"] == "dspy"
    assert rules.headers["x-assist-program"] == "rules"
    for response in (model, rules):
        assert response.headers["content-type"].startswith("text/html" if html else "application/json")
        assert "x-assist-rules-sections" not in response.headers


@pytest.mark.parametrize("html", [False, True])
def test_the_rules_sections_header_names_what_rules_filled_in_a_model_brief(
    model_service: ModelService, world: World, harper_valley: list[LabelledExample], html: bool
) -> None:
    # scripted-invalid writes one summary bullet (the brief needs 3 to 5); the rest of its answer is usable, so
    # the brief stays the model's and only the summary comes from rules (assist/programs/salvage.py).
    with model_service("openai/scripted-invalid") as base_url:
        response, _ = get_brief(base_url, world, harper_valley[25].conversation.user_id, html=html)
    assert response.headers["x-assist-program"] == "dspy"
    assert response.headers["x-assist-rules-sections"] == "call_summary"


def test_the_openapi_schema_documents_every_header(client: httpx.Client) -> None:
    brief = client.get("/openapi.json").json()["paths"]["/core/agent-assist/{phone_number}"]["get"]
    headers = brief["responses"]["200"]["headers"]
    assert set(headers) == {
        "ETag",
        "X-Assist-Program",
        "X-Assist-Rules-Sections",
        "X-Assist-Conversation-Id",
        "X-Assist-Prompt-Version",
    }
    assert "Absent when the model wrote every section" in headers["X-Assist-Rules-Sections"]["description"]
