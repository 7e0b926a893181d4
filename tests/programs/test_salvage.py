"""Reading a model's answer section by section: the formats models actually write, and anything else."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from assist.programs import BRIEF_SECTIONS
from assist.programs.salvage import SYNONYMS, answer_fields, normalize_enum, salvage_answer
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
    assert {n.section for n in salvaged.notes if n.reason == "missing from the answer"} == set(
        salvaged.missing
    )


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
