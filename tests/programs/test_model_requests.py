"""What the dspy program sends and keeps: the prompt, retries with feedback, the cache key, the context budget.

Against ``tests/scripted_lm.py`` on loopback through the real DSPy client, on real labelled calls.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assist.interchange import read_examples
from assist.lm import configure_lm, cost_usd, model_facts
from assist.programs.budget import count_tokens, fit_lines
from assist.programs.dspy_program import DSPyBriefProgram, numbered_transcript
from assist.schema import Gold, GoldMarker, LabelledExample
from tests.conftest import SYNTHETIC
from tests.scripted_lm import ScriptedLM


@pytest.fixture(scope="module")
def calls() -> list[LabelledExample]:
    return list(read_examples(SYNTHETIC))[:6]


@pytest.fixture(scope="module")
def server(calls: list[LabelledExample]) -> Iterator[ScriptedLM]:
    with ScriptedLM() as scripted:
        scripted.add_gold(calls)
        yield scripted


def program(server: ScriptedLM, model: str, cache_dir: Path, **options: object) -> DSPyBriefProgram:
    lm = configure_lm(f"openai/{model}", api_base=server.api_base, cache_dir=str(cache_dir))
    return DSPyBriefProgram(lm=lm, **{"timeout_s": 10, **options})  # type: ignore[arg-type]


def system_prompt(server: ScriptedLM) -> str:
    return str(server.bodies[-1]["messages"][0]["content"])


def test_the_prompt_carries_the_product_before_the_schema(
    server: ScriptedLM, calls: list[LabelledExample], tmp_path: Path
) -> None:
    program(server, "scripted-gold", tmp_path).brief(calls[0].conversation)
    system = system_prompt(server)
    for definition in (
        "escalated: threatens outside action",  # sentiment levels at handoff
        "confidence: high (clearly",
        "identity_verified: the agent turn",  # whose turn each marker type belongs to
        "frustration: a caller turn",
        "regulatory_requirement: a legal or regulatory duty",
        "either speaker",
        "at most its last four digits",
        "spelled out letter by letter",
    ):
        assert definition in system, definition
    assert system.index("Write the brief") < system.index("Your input fields are")
    # The compliance flag type is an enum in the schema the model is shown.
    assert "sensitive_data_unverified" in system[system.index("Your output fields are") :]


def test_json_schema_output_where_the_model_supports_it(
    server: ScriptedLM, calls: list[LabelledExample], tmp_path: Path
) -> None:
    # Asked for by name, the schema is sent whatever LiteLLM knows of the model.
    forced = program(server, "scripted", tmp_path, adapter="json")
    result = forced.brief(calls[0].conversation)
    assert forced.adapter == result.adapter == "json" and not result.fallback, result.fallback_reason
    response_format = server.bodies[-1]["response_format"]
    assert response_format["type"] == "json_schema"
    schema = json.dumps(response_format["json_schema"]["schema"])
    assert "regulatory_requirement" in schema and "key_info" in schema
    # auto: json for a hosted model LiteLLM says takes a schema; chat for any model behind your own server,
    # whatever its name says.
    hosted = DSPyBriefProgram(lm=configure_lm("openai/gpt-4o-mini", cache=False), cache=False)
    assert hosted.adapter == "json"
    assert program(server, "gpt-4o-mini", tmp_path).adapter == "chat"
    chat = program(server, "scripted", tmp_path, adapter="chat")
    assert chat.prompt_version != forced.prompt_version


def test_a_window_too_small_for_the_prompt_is_refused(server: ScriptedLM, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="set ASSIST_LM_CONTEXT_TOKENS to at least"):
        program(server, "scripted", tmp_path, context_tokens=2048)
    with pytest.raises(ValueError, match="at most 3600"):
        program(server, "scripted", tmp_path, timeout_s=float("inf"))


def test_a_request_abandoned_at_the_deadline_is_counted(calls: list[LabelledExample], tmp_path: Path) -> None:
    with ScriptedLM(slow_seconds=2.0) as slow:
        slow_program = program(slow, "scripted-slow", tmp_path, timeout_s=0.3, retries=0)
        result = slow_program.brief(calls[0].conversation)
    assert result.fallback and result.usage is not None
    assert result.usage.requests == slow_program.lm_calls == 1


def test_a_retry_shows_the_model_its_answer_and_is_a_new_rollout(
    server: ScriptedLM, calls: list[LabelledExample], tmp_path: Path
) -> None:
    fixable = program(server, "scripted-fixable", tmp_path)
    before = server.requests["scripted-fixable"]
    result = fixable.brief(calls[1].conversation)
    assert not result.fallback and result.program == "dspy", result.fallback_reason
    assert server.requests["scripted-fixable"] - before == 2 == fixable.lm_calls
    retry = server.bodies[-1]
    assert retry["temperature"] > 0
    assert retry["messages"][-2] == {
        "role": "assistant",
        "content": "I'm sorry, I can't produce that format. The caller seemed fine.",
    }
    assert "could not be used" in retry["messages"][-1]["content"]

    # The unreadable first answer was never cached: a re-run asks again, and reads the retry from the cache.
    again = program(server, "scripted-fixable", tmp_path)
    assert not again.brief(calls[1].conversation).fallback
    assert server.requests["scripted-fixable"] - before == 3
    assert again.lm_calls == 1


def test_answers_that_failed_to_parse_are_never_cached(
    server: ScriptedLM, calls: list[LabelledExample], tmp_path: Path
) -> None:
    before = server.requests["scripted-garbage"]
    for _ in range(2):
        result = program(server, "scripted-garbage", tmp_path, retries=0).brief(calls[2].conversation)
        assert result.fallback and result.fallback_reason is not None
        assert result.fallback_reason.startswith("no part of the answer could be read")
    assert server.requests["scripted-garbage"] - before == 2


def test_the_cache_key_has_the_server_address(calls: list[LabelledExample], tmp_path: Path) -> None:
    with ScriptedLM() as first, ScriptedLM() as second:
        for server in (first, second):
            result = program(server, "scripted", tmp_path).brief(calls[3].conversation)
            assert not result.fallback and result.usage is not None and not result.usage.cached
            assert server.requests["scripted"] == 1
        cached = program(first, "scripted", tmp_path).brief(calls[3].conversation)
        assert cached.usage is not None and cached.usage.cached and cached.usage.requests == 0
        assert first.requests["scripted"] == 1
        uncached = program(first, "scripted", tmp_path, cache=False).brief(calls[3].conversation)
        assert uncached.usage is not None and not uncached.usage.cached and first.requests["scripted"] == 2


def test_usage_and_cost_per_brief(server: ScriptedLM, calls: list[LabelledExample], tmp_path: Path) -> None:
    result = program(server, "scripted", tmp_path).brief(calls[4].conversation)
    usage = result.usage
    assert usage is not None and usage.requests == 1
    body = server.bodies[-1]
    assert usage.prompt_tokens == len(json.dumps(body["messages"])) // 4 + 1  # what the server reported
    assert usage.completion_tokens and usage.prompt_tokens_counted
    assert usage.cost_usd is None  # your own server: its price is not LiteLLM's to know
    # Output is sized to the brief, not a fixed 4,000 tokens.
    assert 800 < body["max_completion_tokens"] < 4000
    facts = model_facts("openai/gpt-4o-mini")
    assert facts is not None
    expected = 1000 * facts["input_cost_per_token"] + 200 * facts["output_cost_per_token"]
    assert cost_usd("openai/gpt-4o-mini", 1000, 200) == pytest.approx(expected)
    assert cost_usd("openai/gpt-4o-mini", 1000, 200, api_base="http://127.0.0.1:1/v1") is None
    assert cost_usd("openai/no-such-model", 1000, 200) is None


def long_call(example: LabelledExample, turns: int) -> LabelledExample:
    """``example``'s turns repeated to ``turns``, its gold marked once more on a turn in the middle."""
    source = example.conversation.turns
    repeated = [source[i % len(source)] for i in range(turns)]
    assert example.gold is not None and example.gold.markers is not None
    gold = example.gold.model_copy(
        update={"markers": [*example.gold.markers, GoldMarker(turn=turns // 2, type="key_info")]}
    )
    conversation = example.conversation.model_copy(update={"turns": repeated})
    return example.model_copy(update={"id": f"{example.id}-long", "conversation": conversation, "gold": gold})


def test_a_call_longer_than_the_context_keeps_its_opening_and_its_latest_turns(
    calls: list[LabelledExample], tmp_path: Path
) -> None:
    long = long_call(calls[5], 1000)
    with ScriptedLM() as server:
        server.add_gold([long])
        brief = program(server, "scripted-gold", tmp_path, context_tokens=8192)
        result = brief.brief(long.conversation)
        shown = server.bodies[-1]["messages"][-1]["content"]
    assert not result.fallback, result.fallback_reason
    usage = result.usage
    assert usage is not None and 0 < usage.turns_omitted < 1000
    assert usage.prompt_tokens_counted is not None and usage.prompt_tokens_counted < 8192
    lines = numbered_transcript(long.conversation).splitlines()
    assert lines[0] in shown and lines[5] in shown and lines[-1] in shown
    assert lines[500] not in shown
    assert f"turns 6–{usage.turns_omitted + 5} are not shown" in shown
    dropped = [(n.section, n.reason) for n in result.salvage if n.action == "dropped"]
    assert ("markers", "turn 500 was not shown to the model") in dropped


def test_trimming_is_head_and_tail_under_the_original_numbers() -> None:
    lines = [f"[{i}] caller: word " + "x " * (i % 7) for i in range(300)]
    fitted = fit_lines(lines, budget=600, model="openai/gpt-4o-mini")
    assert fitted.omitted > 0 and fitted.tokens <= 600
    kept = fitted.text.splitlines()
    assert kept[0] == lines[0] and kept[-1] == lines[-1]
    assert sorted(fitted.shown) == [int(line[1 : line.index("]")]) for line in kept if line[1].isdigit()]
    assert fit_lines(lines[:5], budget=600, model="openai/gpt-4o-mini").omitted == 0
    # A stand-in tokenizer's count is raised by the margin, never lowered.
    assert (
        count_tokens(["hello there"], "ollama/llama3")[0] > count_tokens(["hello there"], "openai/gpt-4o")[0]
    )


def test_gold_keeps_gold_on_unseen_kinds_of_gold(calls: list[LabelledExample]) -> None:
    """The gold file's shape is what the scripted model answers: a Gold validates with no descriptions."""
    assert calls[0].gold is not None
    assert Gold.model_validate(calls[0].gold.model_dump()).markers


def test_assist_brief_says_which_sections_came_from_rules(server: ScriptedLM, tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ASSIST_", "OPENAI_"))}
    env = {**clean, "ASSIST_LM": "openai/scripted-invalid", "ASSIST_LM_API_BASE": server.api_base}
    result = subprocess.run(
        [sys.executable, "-m", "assist", "brief", str(SYNTHETIC), "--program", "dspy", "--id", "syn-001"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "ASSIST_CACHE_DIR": str(tmp_path)},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "note: syn-001: call_summary came from rules" in result.stderr
    assert json.loads(result.stdout)["transfer_reason"].startswith("The caller asked for something")
