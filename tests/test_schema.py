from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from assist.errors import InvalidJson, NoTranscript, NoTranscriptYet, TooDeeplyNested
from assist.interchange import validate_file
from assist.schema import (
    MARKER_TYPES,
    MAX_CLOCK_AHEAD,
    MAX_JSON_DEPTH,
    SENTIMENT_LEVELS,
    STATUSES,
    AgentAssistPortal,
    Conversation,
    LabelledExample,
    NewConversation,
    Turn,
    check_nesting,
    load_json,
    portal_json_schema,
)
from tests.conftest import HARPER_VALLEY, ROOT

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


def test_a_conversation_that_ended_needs_a_turn() -> None:
    for turns in ({}, {"turns": []}):
        with pytest.raises(ValidationError) as info:
            Conversation.model_validate({**BASE, "id": "c", **turns})
        assert info.value.errors()[0]["loc"] == ("turns",)
        assert "a conversation that has ended needs at least one turn" in info.value.errors()[0]["msg"]


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


# --- live calls and what a conversation may say about itself -----------------------------------------


@pytest.mark.parametrize("status", ["triggered", "ringing", "in_progress", "failed"])
def test_a_live_or_failed_call_may_have_no_turns(status: str) -> None:
    """A live call has no brief yet; a failed one never will, and says so rather than "yet"."""
    for turns in ({}, {"turns": []}):
        conversation = Conversation.model_validate({**BASE, "id": "c", "status": status, **turns})
        assert conversation.turns == []
        if status == "failed":
            with pytest.raises(
                NoTranscript, match="conversation 'c' failed before anything was said"
            ) as info:
                conversation.require_transcript()
            assert info.value.code == "no_transcript" and "yet" not in str(info.value)
        else:
            with pytest.raises(NoTranscriptYet, match="no transcript yet: conversation 'c'") as waiting:
                conversation.require_transcript()
            assert waiting.value.code == "no_transcript_yet"


def test_a_labelled_example_needs_turns_whatever_its_status() -> None:
    for status in STATUSES:
        with pytest.raises(ValidationError) as info:
            LabelledExample.model_validate(
                {"id": "ex", "conversation": {**BASE, "status": status, "turns": []}}
            )
        assert info.value.errors()[0]["loc"] == ("conversation", "turns")


def test_a_bare_conversation_without_turns_is_refused_in_a_file_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    lines = [{**BASE, "id": "spoken", "turns": HI}, {**BASE, "id": "ringing", "status": "ringing"}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    found = validate_file(path)
    assert [example.id for example in found.examples] == ["spoken"]
    assert [str(error) for error in found.errors] == ["line 2: conversation.turns: Field required"]


@pytest.mark.parametrize("status", ["completed", "Ended", "in progress", ""])
def test_status_is_one_of_the_documented_values(status: str) -> None:
    with pytest.raises(ValidationError) as info:
        Conversation.model_validate({**BASE, "id": "c", "status": status, "turns": HI})
    assert info.value.errors()[0]["loc"] == ("status",)
    assert STATUSES == ("triggered", "ringing", "in_progress", "ended", "failed")


def test_a_call_ends_no_earlier_than_it_began() -> None:
    with pytest.raises(ValidationError) as info:
        Conversation.model_validate({**BASE, "id": "c", "turns": HI, "ended_at": "2026-01-05T14:02:59Z"})
    assert info.value.errors()[0]["loc"] == ("ended_at",)
    same_instant = Conversation.model_validate(
        {**BASE, "id": "c", "turns": HI, "ended_at": "2026-01-05T16:03:00+02:00"}
    )
    assert same_instant.ended_at == same_instant.created_at


def test_a_new_call_is_not_dated_more_than_a_day_ahead_but_a_stored_one_always_reads() -> None:
    ahead = (datetime.now(UTC) + MAX_CLOCK_AHEAD + timedelta(minutes=1)).isoformat()
    row = {**BASE, "id": "c", "turns": HI, "created_at": ahead}
    with pytest.raises(ValidationError) as info:
        NewConversation.model_validate(row)
    assert info.value.errors()[0]["loc"] == ("created_at",)
    with pytest.raises(ValidationError):
        LabelledExample.model_validate({"id": "ex", "conversation": row})
    # What the store reads back is a Conversation: accepted once, it reads on any clock (a replica behind).
    assert Conversation.model_validate(row).created_at > datetime.now(UTC) + MAX_CLOCK_AHEAD
    soon = (datetime.now(UTC) + MAX_CLOCK_AHEAD - timedelta(minutes=1)).isoformat()
    assert NewConversation.model_validate({**row, "created_at": soon}).id == "c"


def test_a_new_call_does_not_end_more_than_a_day_ahead_either() -> None:
    row = {**BASE, "id": "c", "turns": HI, "ended_at": "9999-01-01T00:00:00Z"}
    with pytest.raises(ValidationError) as info:
        NewConversation.model_validate(row)
    assert info.value.errors()[0]["loc"] == ("ended_at",)
    assert "ended_at is more than a day ahead of this server's clock" in info.value.errors()[0]["msg"]
    assert Conversation.model_validate(row).ended_at == datetime(9999, 1, 1, tzinfo=UTC)  # stored: reads


@pytest.mark.parametrize(
    "moment", [1_700_000_000, 1.7e9, "1700000000", "2026-01-05", "20260105T140300Z", True]
)
def test_a_moment_is_an_iso_8601_date_and_time(moment: object) -> None:
    """Pydantic alone would read a number as seconds since 1970 and a date as its midnight."""
    for field in ("created_at", "ended_at"):
        with pytest.raises(ValidationError) as info:
            NewConversation.model_validate({**BASE, "id": "c", "turns": HI, field: moment})
        error = info.value.errors()[0]
        assert error["loc"] == (field,) and "ISO 8601 date and time" in error["msg"], error
    for spelled in (
        "2026-01-05T14:03:00Z",
        "2026-01-05T14:03:00+02:00",
        "2026-01-05 14:03:00",
        "2026-01-05T14:03",
    ):
        assert (
            NewConversation.model_validate({**BASE, "id": "c", "turns": HI, "created_at": spelled}).id == "c"
        )


def test_a_turn_too_long_is_counted_in_characters() -> None:
    with pytest.raises(ValidationError) as info:
        Turn.model_validate({"role": "user", "content": "x" * 20_001})
    assert info.value.errors()[0]["msg"] == "String should have at most 20000 characters"
    assert Turn.model_json_schema()["properties"]["content"]["maxLength"] == 20_000


@pytest.mark.parametrize(
    "metadata", [{"x": float("nan")}, {"x": [float("inf")]}, {"deep": {"x": -float("inf")}}]
)
def test_nan_and_infinity_are_not_json_even_from_python(metadata: dict[str, object]) -> None:
    """JSON text with them is refused by load_json; built in Python they would reach the store (PostgreSQL
    refuses them, DuckDB keeps them, a turn's copy turns them into null), so the model refuses them too."""
    with pytest.raises(ValidationError, match="metadata: Out of range float values are not JSON compliant"):
        Conversation.model_validate({**BASE, "id": "c", "turns": HI, "metadata": metadata})
    turn = {**HI[0], "score": float("nan")}
    with pytest.raises(ValidationError, match="extra fields of turns"):
        Conversation.model_validate({**BASE, "id": "c", "turns": [turn]})


# --- the one JSON reader ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "path", "problem"),
    [
        ('{"metadata": {"x": NaN}}', ("metadata", "x"), "NaN is not a JSON number"),
        ('{"a": [1, Infinity]}', ("a", 1), "Infinity is not a JSON number"),
        ('{"a": -Infinity}', ("a",), "-Infinity is not a JSON number"),
        ('{"metadata": {"x": 1e400}}', ("metadata", "x"), "1e400 is out of range for a JSON number"),
        ('{"d": -1E+999}', ("d",), "-1E+999 is out of range"),
        ('{"duration_seconds": ' + "9" * 5000 + "}", ("duration_seconds",), "an integer of 5,000 digits"),
        ('{"status": "ended", "status": "ringing"}', ("status",), "given more than once in one object"),
        ('{"turns": [{"role": "user", "role": "assistant"}]}', ("turns", 0, "role"), "given more than once"),
        ('{"a": 1,}', (), "not JSON (Expecting property name enclosed in double quotes at column 9)"),
        ("NaN", (), "NaN is not a JSON number"),
    ],
)
def test_load_json_refuses_what_json_does_not_define_naming_where(
    text: str, path: tuple[str | int, ...], problem: str
) -> None:
    for sent in (text, text.encode("utf-8")):
        with pytest.raises(InvalidJson) as info:
            load_json(sent)
        assert info.value.path == path and problem in info.value.problem, (
            info.value.path,
            info.value.problem,
        )


def test_load_json_reads_json_as_json_loads_does() -> None:
    text = '{"a": [1, -2.5, 1e-400, 1e308, "NaN", null, true], "b": {"c": {}}, "' + "9" * 4300 + '": 0}'
    assert load_json(text) == json.loads(text)
    assert load_json(b"[]") == [] and load_json('"text"') == "text"
    with pytest.raises(InvalidJson, match="not UTF-8 text"):
        load_json(b'{"a": "\xff"}')


def test_every_bundled_dataset_still_validates() -> None:
    files = sorted((ROOT / "datasets").glob("*/*.jsonl"))
    assert len(files) >= 9
    for file in files:
        found = validate_file(file)
        assert (found.errors, len(found.examples) > 0) == ([], True), file


@pytest.mark.parametrize("bad_id", ["a\x80b", "a\x85b", "a\x9fb", "a\x7fb", "a\x1fb"])
def test_ids_refuse_control_characters_c1_included(bad_id: str) -> None:
    with pytest.raises(ValidationError) as info:
        Conversation.model_validate({**BASE, "id": bad_id, "turns": HI})
    assert info.value.errors()[0]["loc"] == ("id",)
    assert Conversation.model_validate({**BASE, "id": "a\xa0b\u00e9", "turns": HI}).id == "a\xa0b\u00e9"


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("duration_seconds",), True),
        (("duration_seconds",), "372"),
        (("duration_seconds",), 372.5),
        (("turns", 0, "start_ms"), False),
        (("turns", 0, "start_ms"), "0"),
    ],
)
def test_numbers_are_numbers(where: tuple[str | int, ...], value: object) -> None:
    data: dict[str, object] = {**BASE, "id": "c", "turns": [{"role": "user", "content": "hi"}]}
    if where[0] == "turns":
        data["turns"] = [{"role": "user", "content": "hi", "start_ms": value}]
    else:
        data["duration_seconds"] = value
    with pytest.raises(ValidationError) as info:
        Conversation.model_validate(data)
    assert info.value.errors()[0]["loc"] == where
    whole = Conversation.model_validate({**BASE, "id": "c", "turns": HI, "duration_seconds": 372.0})
    assert whole.duration_seconds == 372 and isinstance(whole.duration_seconds, int)


def test_a_marker_turn_is_a_number_too() -> None:
    with pytest.raises(ValidationError) as info:
        LabelledExample.model_validate(
            {
                "id": "ex",
                "conversation": {**BASE, "turns": HI},
                "gold": {"markers": [{"turn": True, "type": "key_info"}]},
            }
        )
    assert info.value.errors()[0]["loc"] == ("gold", "markers", 0, "turn")


# --- nesting ----------------------------------------------------------------------------------------


def deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize(
    ("text", "passes"),
    [
        (deep(MAX_JSON_DEPTH), True),
        (deep(MAX_JSON_DEPTH + 1), False),
        (b"[" * 4_000_000, False),  # never closed: refused as deep, not handed to a recursing parser
        (json.dumps({"a": "[" * 100, "b": '\\"[[[[' * 50}).encode(), True),  # brackets in strings are text
        (b'"' + b'\\"' * 100_000 + deep(40), True),  # one string never closed: the rest is in it
        (b"not json at all [[", True),  # the parser says what is wrong with it
        (b"", True),
    ],
)
def test_nesting_is_measured_outside_strings(text: bytes, passes: bool) -> None:
    if passes:
        check_nesting(text)
    else:
        with pytest.raises(TooDeeplyNested, match=f"at most {MAX_JSON_DEPTH} are accepted"):
            check_nesting(text)


def test_a_line_nested_too_deeply_is_refused_with_its_number_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    deep_line = json.dumps({"id": "deep", "conversation": {**BASE, "turns": HI, "metadata": {"k": "x"}}})
    deep_line = deep_line.replace('"x"', "[" * 2_000 + "]" * 2_000)  # Python's parser gives up near 1,000
    path.write_text(
        json.dumps({"id": "fine", "conversation": {**BASE, "turns": HI}}) + "\n" + deep_line + "\n"
    )
    found = validate_file(path)
    assert [example.id for example in found.examples] == ["fine"]
    assert [(error.line, error.field) for error in found.errors] == [(2, "line")]
    assert "JSON nested 2,003 levels deep" in found.errors[0].message
