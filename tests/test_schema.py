from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from assist.schema import (
    MARKER_TYPES,
    SENTIMENT_LEVELS,
    AgentAssistPortal,
    Conversation,
    LabelledExample,
    portal_json_schema,
)
from tests.conftest import HARPER_VALLEY

nonempty = st.text(min_size=1, max_size=30)

markers = st.builds(dict, type=st.sampled_from(MARKER_TYPES), description=nonempty)
turns = st.builds(
    dict,
    role=st.sampled_from(["user", "assistant"]),
    content=st.text(max_size=60),
    markers=st.lists(markers, max_size=3),
)
portals = st.builds(
    dict,
    header=st.builds(
        dict,
        caller_name=nonempty,
        phone_number=nonempty,
        call_duration_seconds=st.none() | st.integers(min_value=0, max_value=10**6),
        sentiment=st.builds(dict, label=nonempty, level=st.sampled_from(SENTIMENT_LEVELS)),
    ),
    transfer_reason=nonempty,
    call_summary=st.lists(nonempty, min_size=3, max_size=5),
    information_collected=st.lists(st.builds(dict, key=nonempty, value=nonempty), max_size=4),
    suggested_next_steps=st.lists(
        st.builds(dict, action=nonempty, confidence=st.sampled_from(["high", "medium", "low"])),
        min_size=1,
        max_size=3,
    ),
    transcript=st.lists(turns, max_size=6),
    compliance_flags=st.lists(st.builds(dict, type=nonempty, description=nonempty), max_size=3),
)


@settings(max_examples=60)
@given(portals)
def test_portal_round_trips_through_json(data: dict) -> None:
    portal = AgentAssistPortal.model_validate(data)
    again = AgentAssistPortal.model_validate_json(portal.model_dump_json())
    assert again == portal
    assert json.loads(portal.model_dump_json()) == data


@settings(max_examples=40)
@given(portals, st.sampled_from(["call_summary", "suggested_next_steps"]), st.booleans())
def test_portal_rejects_list_bounds(data: dict, field: str, too_many: bool) -> None:
    items = data[field]
    data[field] = items * 6 if too_many else items[:0]
    with pytest.raises(ValidationError) as info:
        AgentAssistPortal.model_validate(data)
    assert info.value.errors()[0]["loc"][0] == field


@settings(max_examples=40)
@given(portals, st.text(min_size=1, max_size=12).filter(lambda s: s not in SENTIMENT_LEVELS))
def test_portal_rejects_unknown_sentiment_level(data: dict, level: str) -> None:
    data["header"]["sentiment"]["level"] = level
    with pytest.raises(ValidationError):
        AgentAssistPortal.model_validate(data)


@settings(max_examples=30)
@given(portals, st.text(min_size=1, max_size=12).filter(lambda s: s.isidentifier()))
def test_portal_rejects_unknown_fields(data: dict, extra: str) -> None:
    if extra in data:
        return
    data[extra] = 1
    with pytest.raises(ValidationError):
        AgentAssistPortal.model_validate(data)


def test_portal_json_schema_names_the_contract() -> None:
    schema = portal_json_schema()
    assert set(schema["required"]) == {
        "header",
        "transfer_reason",
        "call_summary",
        "information_collected",
        "suggested_next_steps",
        "transcript",
        "compliance_flags",
    }
    summary = schema["properties"]["call_summary"]
    assert (summary["minItems"], summary["maxItems"]) == (3, 5)
    marker = schema["$defs"]["Marker"]["properties"]["type"]
    assert set(marker["enum"]) == set(MARKER_TYPES)


def test_harper_valley_lines_round_trip(harper_valley: list[LabelledExample]) -> None:
    lines = HARPER_VALLEY.read_text(encoding="utf-8").splitlines()
    assert len(harper_valley) == len(lines) == 61
    for example, line in zip(harper_valley, lines, strict=True):
        assert json.loads(example.to_json_line()) == json.loads(line)
        assert example.conversation.turns[0].model_extra == {
            "emotion": json.loads(line)["conversation"]["turns"][0]["emotion"]
        }


#: The documented fields of a conversation, without id and turns.
BASE = {"user_id": "+15551234567", "created_at": "2026-01-05T14:03:00Z", "status": "ended"}
HI = [{"role": "user", "content": "hi"}]


def test_conversation_needs_a_turn() -> None:
    with pytest.raises(ValidationError) as info:
        Conversation.model_validate({**BASE, "id": "c", "turns": []})
    assert info.value.errors()[0]["loc"] == ("turns",)


def test_conversation_id_defaults_to_example_id() -> None:
    example = LabelledExample.model_validate({"id": "ex-1", "conversation": {**BASE, "turns": HI}})
    assert example.conversation.id == "ex-1"


def test_gold_distinguishes_absent_from_empty() -> None:
    example = LabelledExample.model_validate(
        {
            "id": "ex-1",
            "conversation": {**BASE, "turns": HI},
            "gold": {"compliance_flags": [], "caller_name": "Dana"},
        }
    )
    assert example.gold is not None
    assert example.gold.labelled() == {"compliance_flags", "caller_name"}


@pytest.mark.parametrize(
    ("field", "value"),
    [("duration_seconds", 2**31), ("duration_seconds", -1), ("created_at", "9999-12-31T23:59:59-23:00")],
)
def test_conversation_refuses_what_the_store_cannot_hold(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as info:
        Conversation.model_validate({**BASE, "id": "c", "turns": HI, field: value})
    assert info.value.errors()[0]["loc"][0] == field


def test_every_moment_is_utc() -> None:
    conversation = Conversation.model_validate(
        {
            **BASE,
            "id": "c",
            "created_at": "2026-01-05T14:03:00",
            "ended_at": "2026-01-05T16:09:00+02:00",
            "turns": HI,
        }
    )
    assert conversation.created_at.isoformat() == "2026-01-05T14:03:00+00:00"
    assert (
        conversation.ended_at is not None and conversation.ended_at.isoformat() == "2026-01-05T14:09:00+00:00"
    )


@pytest.mark.parametrize("bad_id", ["a/b", "a\\b", ".", "..", "x" * 129, "tab\there", ""])
def test_ids_must_survive_a_url_path(bad_id: str) -> None:
    with pytest.raises(ValidationError) as info:
        Conversation.model_validate({**BASE, "id": bad_id, "turns": HI})
    assert info.value.errors()[0]["loc"] == ("id",)


@pytest.mark.parametrize(
    ("turns", "metadata", "where"),
    [
        ([{"role": "user", "content": "\ud800"}], {}, ("turns", 0, "content")),
        ([{"role": "user", "content": "hi"}], {"note": "\udfff"}, ()),
        ([{"role": "user", "content": "x" * 10_000}] * 51, {}, ()),  # over MAX_TRANSCRIPT_CHARS
    ],
)
def test_conversations_that_cannot_be_stored_are_refused(
    turns: list[dict[str, str]], metadata: dict[str, str], where: tuple[object, ...]
) -> None:
    with pytest.raises(ValidationError) as info:
        Conversation.model_validate({**BASE, "id": "c", "turns": turns, "metadata": metadata})
    assert info.value.errors()[0]["loc"] == where
