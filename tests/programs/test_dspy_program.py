"""The dspy program over real HTTP against a scripted OpenAI-compatible server, on real Harper Valley calls.

The scripted server's answers are deterministic functions of the prompt, so these tests check the
plumbing (prompt, parsing, facts from code, grounding, caching, fallback, saving), not model quality.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import dspy
import pytest
from dspy.utils.dummies import DummyLM

from assist.lm import LMNotConfigured, configure_lm
from assist.programs import load_program
from assist.programs._facts import call_duration_seconds, phone_number
from assist.programs.dspy_program import DSPyBriefProgram, assemble_portal, numbered_transcript
from assist.schema import AgentAssistPortal, InfoItem, LabelledExample, NextStep
from tests.scripted_lm import LIAR_PHONE, MADE_UP_VALUE, ScriptedLM


@pytest.fixture(scope="module")
def scripted() -> Iterator[ScriptedLM]:
    with ScriptedLM(slow_seconds=2.0) as server:
        yield server


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, scripted: ScriptedLM, tmp_path: Path) -> Path:
    """``ASSIST_LM*`` pointing at the scripted server and a fresh cache; returns the cache directory."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("ASSIST_LM", "openai/scripted")
    monkeypatch.setenv("ASSIST_LM_API_BASE", scripted.api_base)
    monkeypatch.setenv("ASSIST_CACHE_DIR", str(cache))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return cache


def scripted_program(model: str, *, timeout_s: float = 10.0) -> DSPyBriefProgram:
    return DSPyBriefProgram(lm=configure_lm(f"openai/{model}"), timeout_s=timeout_s)


def test_brief_fills_the_portal_from_the_model_and_facts_from_code(
    env: Path, scripted: ScriptedLM, harper_valley: list[LabelledExample]
) -> None:
    program = load_program("dspy")
    assert isinstance(program, DSPyBriefProgram) and program.name == "dspy"
    for example in harper_valley[:3]:
        result = program.brief(example.conversation)
        assert not result.fallback and result.program == "dspy", result.fallback_reason
        portal = AgentAssistPortal.model_validate(result.portal.model_dump())
        assert example.gold is not None
        assert portal.header.caller_name == example.gold.caller_name
        assert portal.header.phone_number == phone_number(example.conversation)
        assert portal.header.call_duration_seconds == call_duration_seconds(example.conversation)
        turns = example.conversation.turns
        assert [(t.role, t.content) for t in portal.transcript] == [(t.role, t.content) for t in turns]
        assert [m.type for m in portal.transcript[0].markers] == ["key_info"]
        assert all(not turn.markers for turn in portal.transcript[1:])
        assert 3 <= len(portal.call_summary) <= 5


def test_invented_values_and_turns_are_dropped_and_facts_stay_codes(
    env: Path, harper_valley: list[LabelledExample]
) -> None:
    program = scripted_program("scripted-liar")
    example = harper_valley[0]
    result = program.brief(example.conversation)
    assert not result.fallback, result.fallback_reason
    portal = result.portal
    # The liar adds one value the call never mentions and markers at turns len+5 and -1.
    assert MADE_UP_VALUE not in {item.value for item in portal.information_collected}
    assert portal.information_collected, "the grounded value survives"
    assert result.ungrounded_dropped == 1
    dropped = [(n.section, n.reason) for n in result.salvage if n.action == "dropped"]
    last = len(example.conversation.turns) - 1
    assert dropped == [
        ("markers", f"turn {last + 6} is not in the call (turns 0-{last})"),
        ("markers", f"turn -1 is not in the call (turns 0-{last})"),
    ]
    assert sum(len(turn.markers) for turn in portal.transcript) == 1
    # Free text is not grounded; a phone number in it is no card number or SSN, so it is not masked.
    assert f"Call back on {LIAR_PHONE}" in portal.call_summary
    assert portal.header.phone_number == phone_number(example.conversation) != LIAR_PHONE
    assert len(portal.transcript) == len(example.conversation.turns)


def test_an_unchanged_rerun_is_answered_from_the_disk_cache(
    env: Path, scripted: ScriptedLM, harper_valley: list[LabelledExample]
) -> None:
    examples = harper_valley[:5]
    before = scripted.requests["scripted"]
    cold = scripted_program("scripted")
    cold_portals = [cold.brief(example.conversation).portal for example in examples]
    assert cold.lm_calls == 5 == scripted.requests["scripted"] - before

    dspy.cache.reset_memory_cache()  # what a new process starts with: only the disk cache
    warm = scripted_program("scripted")
    warm_portals = [warm.brief(example.conversation).portal for example in examples]
    assert warm.lm_calls == 0
    assert scripted.requests["scripted"] - before == 5
    assert warm_portals == cold_portals
    assert any(env.rglob("*.db")), "the cache lives in ASSIST_CACHE_DIR"


@pytest.mark.parametrize(
    ("model", "reason"),
    [
        ("scripted-500", "LM error"),
        ("scripted-garbage", "no part of the answer could be read"),
    ],
)
def test_model_failures_fall_back_to_rules_after_one_retry(
    env: Path, scripted: ScriptedLM, harper_valley: list[LabelledExample], model: str, reason: str
) -> None:
    program = scripted_program(model)
    before = scripted.requests[model]
    result = program.brief(harper_valley[0].conversation)
    assert result.fallback and result.program == "rules"
    assert result.fallback_reason is not None and result.fallback_reason.startswith(reason)
    assert scripted.requests[model] - before == 2 == program.lm_calls
    assert result.portal.header.phone_number == phone_number(harper_valley[0].conversation)


def test_a_section_that_breaks_the_contract_comes_from_rules_and_says_so(
    env: Path, harper_valley: list[LabelledExample]
) -> None:
    """``scripted-invalid`` answers one summary bullet: the rest of its brief is kept."""
    result = scripted_program("scripted-invalid").brief(harper_valley[0].conversation)
    assert not result.fallback and result.program == "dspy"
    assert result.sections_from_rules == ["call_summary"]
    assert [(n.section, n.action) for n in result.salvage] == [("call_summary", "dropped")]
    assert result.portal.transfer_reason == "The caller asked for something the assistant could not complete"
    rules_brief = load_program("rules").brief(harper_valley[0].conversation).portal
    assert result.portal.call_summary == rules_brief.call_summary


def test_an_unreachable_server_falls_back(
    env: Path, monkeypatch: pytest.MonkeyPatch, harper_valley: list[LabelledExample]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("ASSIST_LM_API_BASE", f"http://127.0.0.1:{port}/v1")
    result = DSPyBriefProgram(timeout_s=10).brief(harper_valley[0].conversation)
    assert result.fallback and result.program == "rules"
    assert result.fallback_reason is not None and result.fallback_reason.startswith("LM error")


def test_a_slow_model_times_out_within_the_budget(env: Path, harper_valley: list[LabelledExample]) -> None:
    program = scripted_program("scripted-slow", timeout_s=0.5)
    start = time.monotonic()
    result = program.brief(harper_valley[0].conversation)
    elapsed = time.monotonic() - start
    assert result.fallback and result.fallback_reason == "no answer within 0.5s"
    assert elapsed < 1.5


def test_litellm_engine_speaks_to_the_same_server(
    env: Path, scripted: ScriptedLM, harper_valley: list[LabelledExample]
) -> None:
    program = DSPyBriefProgram(lm=configure_lm("openai/scripted", engine="litellm"))
    result = program.brief(harper_valley[1].conversation)
    assert not result.fallback, result.fallback_reason
    assert program.lm_calls == 1
    assert harper_valley[1].gold is not None
    assert result.portal.header.caller_name == harper_valley[1].gold.caller_name


def test_save_and_load_round_trip(env: Path, tmp_path: Path, harper_valley: list[LabelledExample]) -> None:
    original = scripted_program("scripted")
    demo = dspy.Example(transcript="[0] caller: my name is ada lovelace", caller_name="Ada Lovelace")
    original.module.write.demos = [demo]
    original.module.write.signature = original.module.write.signature.with_instructions("Be brief.")
    path = original.save(tmp_path / "tuned.json")

    loaded = load_program(str(path))
    assert isinstance(loaded, DSPyBriefProgram) and loaded.name == "tuned"
    assert loaded.module.write.signature.instructions == "Be brief."
    assert [dict(d) for d in loaded.module.write.demos] == [dict(demo)]
    conversation = harper_valley[2].conversation
    first, again = original.brief(conversation), loaded.brief(conversation)
    assert again.portal == first.portal and again.program == "tuned"
    assert again.prompt_version == first.prompt_version != scripted_program("scripted").prompt_version
    assert again.usage is not None and again.usage.cached and again.usage.requests == 0


def test_loading_something_else_is_a_clear_error(env: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text('{"predict": {"demos": []}}')
    with pytest.raises(ValueError, match="not a saved dspy brief program"):
        DSPyBriefProgram.from_file(other)
    with pytest.raises(FileNotFoundError):
        DSPyBriefProgram.from_file(tmp_path / "missing.json")


def test_without_assist_lm_the_error_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSIST_LM", raising=False)
    with pytest.raises(LMNotConfigured, match="ASSIST_LM"):
        load_program("dspy")


def test_dummy_lm_markers_outside_the_transcript_are_dropped(harper_valley: list[LabelledExample]) -> None:
    conversation = harper_valley[0].conversation
    last = len(conversation.turns) - 1
    answer = {
        "caller_name": "Patricia Brown",
        "sentiment": "slightly_frustrated",
        "transfer_reason": "Lost debit card needs replacing",
        "call_summary": ["Caller lost a debit card", "Wants a replacement", "Agent asked which card"],
        "information_collected": [{"key": "Replacement card type", "value": "debit"}],
        "suggested_next_steps": [{"action": "Order a replacement debit card", "confidence": "high"}],
        "markers": [
            {"turn": 5, "type": "key_info", "description": "Card reported lost"},
            {"turn": last, "type": "sentiment_shift", "description": "Caller wraps up"},
            {"turn": last + 1, "type": "frustration", "description": "No such turn"},
        ],
        "compliance_flags": [],
    }
    program = DSPyBriefProgram(lm=DummyLM([answer]))
    result = program.brief(conversation)
    assert not result.fallback, result.fallback_reason
    assert result.ungrounded_dropped == 0
    assert [(n.section, n.action, n.item) for n in result.salvage] == [("markers", "dropped", 2)]
    assert [(i, m.type) for i, t in enumerate(result.portal.transcript) for m in t.markers] == [
        (5, "key_info"),
        (last, "sentiment_shift"),
    ]
    assert result.portal.header.sentiment.label == "Slightly frustrated"
    assert program.lm_calls == 1


def test_the_model_sees_numbered_turns(harper_valley: list[LabelledExample]) -> None:
    lines = numbered_transcript(harper_valley[0].conversation).splitlines()
    assert lines[0] == "[0] agent: hello this is harper valley national bank"
    assert lines[4] == "[4] caller: my name is patricia brown"
    assert len(lines) == len(harper_valley[0].conversation.turns)


def test_full_card_numbers_never_reach_the_brief(harper_valley: list[LabelledExample]) -> None:
    conversation = harper_valley[0].conversation
    values = {
        "caller_name": "Patricia Brown",
        "sentiment": "calm",
        "transfer_reason": "Card 4111 1111 1111 1111 was lost",
        "call_summary": ["Lost card 4111-1111-1111-1111", "Wants a new one", "Verified by name"],
        "information_collected": [
            InfoItem(key="Card number", value="4111111111111111"),
            InfoItem(key="SSN", value="123 45 6789"),
            InfoItem(key="Card last four", value="1111"),
        ],
        "suggested_next_steps": [NextStep(action="Block 4111111111111111", confidence="high")],
        "markers": [],
        "compliance_flags": [],
    }
    portal, from_rules, notes, _ = assemble_portal(
        values, conversation, rules=lambda: load_program("rules").brief(conversation).portal
    )
    prose = " ".join([portal.transfer_reason, *portal.call_summary, portal.suggested_next_steps[0].action])
    assert "4111" not in prose.replace("ending 1111", "") and prose.count("[number ending 1111]") == 3
    dropped = [(n.section, n.item) for n in notes if n.action == "dropped"]
    assert dropped == [("information_collected", 0), ("information_collected", 1)]
    assert from_rules == []
