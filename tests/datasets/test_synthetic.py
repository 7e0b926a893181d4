"""The labelled datasets are what every program is scored against: check they are valid, consistent gold.

``datasets/synthetic/calls.jsonl`` carries full gold and must meet the coverage the eval relies on
(every marker type, sentiment level and compliance family well represented). ``harper_valley``
carries partial gold, so it gets the same schema and range checks but no coverage minimums.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

import pytest

from assist.grounding import appears_in
from assist.interchange import read_examples
from assist.schema import COMPLIANCE_FAMILIES, MARKER_TYPES, SENTIMENT_LEVELS, Gold, LabelledExample
from tests.conftest import (
    HARPER_VALLEY,
    HARPER_VALLEY_HELDOUT,
    SECOND_ANNOTATOR,
    SYNTHETIC,
    SYNTHETIC_DEV2,
    SYNTHETIC_DEV3,
    SYNTHETIC_DEV4,
    SYNTHETIC_HELDOUT,
    SYNTHETIC_HELDOUT2,
    SYNTHETIC_HELDOUT3,
)

FULL_GOLD = {
    "caller_name",
    "sentiment",
    "transfer_reason",
    "call_summary",
    "information_collected",
    "suggested_next_steps",
    "markers",
    "compliance_flags",
}
#: Which speaker a marker type can sit on; the other types may sit on either.
MARKER_ROLE = {
    "frustration": "user",
    "sentiment_shift": "user",
    "identity_verified": "assistant",
    "ai_commitment": "assistant",
}


@pytest.fixture(
    scope="module",
    params=[
        SYNTHETIC,
        SYNTHETIC_DEV2,
        SYNTHETIC_DEV3,
        SYNTHETIC_DEV4,
        SYNTHETIC_HELDOUT,
        SYNTHETIC_HELDOUT2,
        SYNTHETIC_HELDOUT3,
    ],
    ids=["synthetic", "dev2", "dev3", "dev4", "heldout", "heldout2", "heldout3"],
)
def synthetic(request: pytest.FixtureRequest) -> list[LabelledExample]:
    """Every fully labelled set; the coverage minimums below apply to the first only."""
    return [example for example in read_examples(request.param)]


@pytest.fixture(
    scope="module", params=[(HARPER_VALLEY, 61), (HARPER_VALLEY_HELDOUT, 30)], ids=["dev", "heldout"]
)
def harper(request: pytest.FixtureRequest) -> tuple[list[LabelledExample], int]:
    path, size = request.param
    return [example for example in read_examples(path)], size


def _gold(example: LabelledExample) -> Gold:
    assert example.gold is not None, f"{example.id}: no gold"
    return example.gold


def _check_ids_and_ranges(examples: list[LabelledExample]) -> None:
    ids = Counter(example.id for example in examples)
    assert [i for i, n in ids.items() if n > 1] == []
    for example in examples:
        gold = _gold(example)
        turns = example.conversation.turns
        text = "\n".join(turn.content for turn in turns)
        for marker in gold.markers or []:
            assert marker.turn < len(turns), f"{example.id}: marker turn {marker.turn} of {len(turns)}"
        for item in gold.information_collected or []:
            assert appears_in(item.value, text), f"{example.id}: {item.key}={item.value!r} not in transcript"
        starts = [turn.start_ms for turn in turns if turn.start_ms is not None]
        assert starts == sorted(starts), f"{example.id}: start_ms goes backwards"


def test_synthetic_ids_ranges_and_grounded_values(synthetic: list[LabelledExample]) -> None:
    assert len(synthetic) >= 16
    _check_ids_and_ranges(synthetic)


def test_harper_valley_ids_ranges_and_grounded_values(harper: tuple[list[LabelledExample], int]) -> None:
    examples, size = harper
    assert len(examples) == size
    _check_ids_and_ranges(examples)
    for example in examples:
        assert _gold(example).model_fields_set <= {"caller_name", "information_collected", "task_types"}


def test_every_synthetic_call_is_a_complete_labelled_call(synthetic: list[LabelledExample]) -> None:
    for example in synthetic:
        conv, gold = example.conversation, _gold(example)
        assert example.source == "synthetic"
        assert gold.labelled() == FULL_GOLD, f"{example.id}: missing {FULL_GOLD - gold.labelled()}"
        assert 6 <= len(conv.turns) <= 30, example.id
        assert {turn.role for turn in conv.turns} == {"user", "assistant"}, example.id
        starts = [turn.start_ms if turn.start_ms is not None else -1 for turn in conv.turns]
        assert min(starts) >= 0 and starts == sorted(set(starts)), f"{example.id}: start_ms not increasing"
        assert conv.user_id.startswith("+1555") and len(conv.user_id) == 12, example.id
        if conv.status == "in_progress":
            assert conv.room_name and conv.ended_at is None, example.id
        else:
            assert conv.ended_at is not None and conv.ended_at >= conv.created_at, example.id
        assert 3 <= len(gold.call_summary or []) <= 5, example.id
        assert 1 <= len(gold.suggested_next_steps or []) <= 3, example.id
        assert (gold.transfer_reason or "").strip(), example.id
        assert any(m.type == "escalation_trigger" for m in gold.markers or []), f"{example.id}: no trigger"


def test_second_annotator_labels_the_same_calls_completely() -> None:
    second = list(read_examples(SECOND_ANNOTATOR))
    _check_ids_and_ranges(second)
    first = {example.id: example for example in read_examples(SYNTHETIC)}
    assert len(second) == 16 and {example.id for example in second} <= first.keys()
    for example in second:
        assert example.conversation == first[example.id].conversation, example.id
        assert _gold(example).labelled() == FULL_GOLD, example.id


def test_markers_sit_on_the_speaker_that_shows_them(synthetic: list[LabelledExample]) -> None:
    for example in synthetic:
        for marker in _gold(example).markers or []:
            role = MARKER_ROLE.get(marker.type)
            if role is not None:
                turn = example.conversation.turns[marker.turn]
                assert turn.role == role, f"{example.id}: {marker.type} on {turn.role} turn {marker.turn}"


def test_synthetic_coverage_minimums() -> None:
    synthetic = list(read_examples(SYNTHETIC))
    assert len(synthetic) >= 44
    golds = [_gold(example) for example in synthetic]
    markers = Counter(m.type for gold in golds for m in gold.markers or [])
    assert {t: markers[t] for t in MARKER_TYPES if markers[t] < 8} == {}
    sentiments = Counter(gold.sentiment for gold in golds)
    assert {s: sentiments[s] for s in SENTIMENT_LEVELS if sentiments[s] < 5} == {}
    flag_calls = Counter(t for gold in golds for t in {f.type for f in gold.compliance_flags or []})
    assert {f: flag_calls[f] for f in COMPLIANCE_FAMILIES if flag_calls[f] < 5} == {}
    assert sum(1 for gold in golds if gold.compliance_flags == []) >= 10
    assert sum(1 for gold in golds if gold.caller_name == "Unknown Caller") >= 6
    callers = Counter(example.conversation.user_id for example in synthetic)
    assert sum(1 for n in callers.values() if n >= 2) >= 4
    statuses = Counter(example.conversation.status for example in synthetic)
    assert statuses["ended"] > len(synthetic) / 2 and statuses["in_progress"] >= 1 and statuses["failed"] >= 1


def test_repeat_callers_call_at_different_times(synthetic: list[LabelledExample]) -> None:
    calls: defaultdict[str, list[datetime]] = defaultdict(list)
    for example in synthetic:
        calls[example.conversation.user_id].append(example.conversation.created_at)
    repeats = {user: times for user, times in calls.items() if len(times) >= 2}
    for user, times in repeats.items():
        assert len(set(times)) == len(times), user
        names = {_gold(e).caller_name for e in synthetic if e.conversation.user_id == user}
        assert len(names) == 1, f"{user} gives different names: {names}"
