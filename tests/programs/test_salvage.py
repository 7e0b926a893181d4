"""Reading a model's answer section by section: the formats models actually write, and anything else."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from assist.programs import BRIEF_SECTIONS
from assist.programs.salvage import (
    ITEM_LIMITS,
    REPAIR_LIMIT,
    SYNONYMS,
    TEXT_LIMITS,
    answer_fields,
    normalize_enum,
    salvage_answer,
)
from assist.schema import MARKER_TYPES, SENTIMENT_LEVELS, InfoItem


def test_a_fenced_empty_list_is_an_empty_list() -> None:
    salvaged = salvage_answer("[[ ## compliance_flags ## ]]\n```json\n[]\n```\n\n[[ ## completed ## ]]")
    assert salvaged.values == {"compliance_flags": []}


def test_one_json_object_with_prose_around_it_and_a_wrapper() -> None:
    brief = {"brief": {"Caller Name": "Ada Obi", "summary": ["a", "b", "c"], "next-steps": []}}
    salvaged = salvage_answer(f"Here is the brief:\n{json.dumps(brief)}\nHope it helps!")
    assert salvaged.values == {"caller_name": "Ada Obi", "call_summary": ["a", "b", "c"]}
    assert ("suggested_next_steps", "dropped") in {(n.section, n.action) for n in salvaged.notes}


def test_truncated_json_keeps_what_arrived() -> None:
    text = '{"caller_name": "Ada Obi", "sentiment": "calm", "call_summary": ["a", "b", "c"], "markers": [{"tu'
    salvaged = salvage_answer(text)
    assert salvaged.values["caller_name"] == "Ada Obi" and salvaged.values["sentiment"] == "calm"


def test_bullets_as_lines_and_unknown_names() -> None:
    text = "[[ ## call_summary ## ]]\n- one\n- two\n3. three\n\n[[ ## caller_name ## ]]\nunknown"
    salvaged = salvage_answer(text)
    assert salvaged.values["call_summary"] == ["one", "two", "three"]
    assert salvaged.values["caller_name"] == "Unknown Caller"


def test_text_sections_are_text_even_when_they_look_like_json() -> None:
    text = "[[ ## transfer_reason ## ]]\n[Caller] wants a refund the AI cannot give\n\n[[ ## caller_name ## ]]\n[Ada]"
    salvaged = salvage_answer(text)
    assert salvaged.values["transfer_reason"] == "[Caller] wants a refund the AI cannot give"
    assert (
        salvage_answer('{"sentiment": {"label": "Angry", "level": "angry"}}').values["sentiment"] == "angry"
    )


def test_information_as_one_item_or_a_mapping() -> None:
    one = salvage_answer('{"information_collected": {"key": "Order", "value": "A1"}}')
    mapping = salvage_answer('{"information_collected": {"Order": "A1", "Zip": 94110}}')
    assert one.values["information_collected"] == [InfoItem(key="Order", value="A1")]
    assert mapping.values["information_collected"] == [
        InfoItem(key="Order", value="A1"),
        InfoItem(key="Zip", value="94110"),
    ]


def test_enums_normalize_and_synonyms_resolve() -> None:
    assert normalize_enum("Slightly-Frustrated.", SENTIMENT_LEVELS) == "slightly_frustrated"
    assert normalize_enum(" 'Key Info' ", MARKER_TYPES) == "key_info"
    assert normalize_enum("neutral", SENTIMENT_LEVELS, SYNONYMS["sentiment"]) == "calm"
    assert normalize_enum("happy", SENTIMENT_LEVELS, SYNONYMS["sentiment"]) is None
    # Every synonym points at a real value.
    allowed = {
        "sentiment": set(SENTIMENT_LEVELS),
        "confidence": {"high", "medium", "low"},
        "marker": set(MARKER_TYPES),
        "compliance": {"sensitive_data_unverified", "unfulfillable_promise", "regulatory_requirement"},
    }
    for kind, synonyms in SYNONYMS.items():
        assert set(synonyms.values()) <= allowed[kind], kind


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_is_read_without_raising(text: str) -> None:
    salvaged = salvage_answer(text)
    assert set(salvaged.values) <= set(BRIEF_SECTIONS)
    missing = {section for section in BRIEF_SECTIONS if section not in salvaged.values}
    assert {n.section for n in salvaged.notes if n.reason == "missing from the answer"} <= missing


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([*BRIEF_SECTIONS, "extra"]), json_values, max_size=9))
def test_any_json_answer_is_read_item_by_item(answer: dict[str, object]) -> None:
    salvaged = salvage_answer(json.dumps(answer))
    assert set(salvaged.values) <= set(answer)
    if set(answer) & set(BRIEF_SECTIONS):
        assert answer_fields(json.dumps(answer)).keys() == answer.keys()


def test_invalid_and_invisible_characters_are_removed_and_noted() -> None:
    answer = json.dumps(
        {"caller_name": "Bad \ud800 name", "call_summary": ["a\u200b", "\u202eb", "c\x00d", "\u200b"]}
    )
    salvaged = salvage_answer(answer)
    assert salvaged.values["caller_name"] == "Bad name"
    assert salvaged.values["call_summary"] == ["a", "b", "cd"]
    assert ("caller_name", "repaired") in {(n.section, n.action) for n in salvaged.notes}
    assert ("call_summary", "dropped", 3) in {(n.section, n.action, n.item) for n in salvaged.notes}


def test_deep_nesting_costs_only_its_section() -> None:
    assert salvage_answer("[" * 100_000).values == {}
    nested = "[" * 5000 + "]" * 5000
    text = f"[[ ## caller_name ## ]]\nAda Obi\n\n[[ ## markers ## ]]\n{nested}\n\n[[ ## completed ## ]]"
    salvaged = salvage_answer(text)
    assert salvaged.values["caller_name"] == "Ada Obi" and "markers" not in salvaged.values
    assert ("markers", "dropped") in {(n.section, n.action) for n in salvaged.notes}


def test_a_long_answer_cut_short_is_closed_at_its_last_complete_item() -> None:
    bullets = [f"Bullet number {i} of a long summary that goes on and on" for i in range(3)]
    markers = [{"turn": i, "type": "key_info", "description": "x" * 40} for i in range(150)]
    whole = json.dumps({"caller_name": "Ada Obi", "call_summary": bullets, "markers": markers})
    assert len(whole) > REPAIR_LIMIT
    salvaged = salvage_answer(whole[: len(whole) - 30])  # cut inside the last marker's description
    assert salvaged.values["caller_name"] == "Ada Obi" and len(salvaged.values["markers"]) == 150
    assert ("answer", "repaired", "broken JSON repaired") in {
        (n.section, n.action, n.reason) for n in salvaged.notes
    }


def test_wrappers_and_chat_headers_around_a_json_brief() -> None:
    brief = {"caller_name": "Ada Obi", "call_summary": ["a", "b", "c"]}
    for text in (
        json.dumps({"response": {"brief": brief}}),
        json.dumps({"result": brief, "meta": {"model": "x"}}),
        json.dumps({"brief": [brief]}),
        f"[[ ## reasoning ## ]]\nthinking\n\n```json\n{json.dumps(brief)}\n```",
        f"[[ ## brief ## ]]\n{json.dumps(brief)}",
    ):
        assert salvage_answer(text).values == {"caller_name": "Ada Obi", "call_summary": ["a", "b", "c"]}, (
            text
        )


def test_lists_and_texts_are_cut_to_what_a_brief_shows() -> None:
    answer = {  # the huge text last: the answer is read up to MAX_ANSWER_CHARS, and closed there
        "caller_name": 12345,
        "information_collected": [{"key": f"K{i}", "value": str(i)} for i in range(500)],
        "compliance_flags": [{"type": "regulatory_requirement", "description": "HIPAA"}] * 50,
        "transfer_reason": "x" * 300_000,
    }
    salvaged = salvage_answer(json.dumps(answer))
    assert len(salvaged.values["transfer_reason"]) == TEXT_LIMITS["reason"]
    assert len(salvaged.values["information_collected"]) == ITEM_LIMITS["information_collected"]
    assert len(salvaged.values["compliance_flags"]) == 1
    notes = {(n.section, n.action) for n in salvaged.notes}
    assert {
        ("transfer_reason", "cut"),
        ("information_collected", "cut"),
        ("compliance_flags", "dropped"),
    } <= notes
    assert ("caller_name", "repaired") in notes  # a number where a name belongs
