"""The shared grounding check: ungrounded information and markers are dropped and counted."""

from __future__ import annotations

from assist.grounding import appears_in, ground, normalize_text
from assist.programs.rules import RulesProgram
from assist.schema import AgentAssistPortal, InfoItem, LabelledExample, Marker, TranscriptTurn


def test_normalize_text() -> None:
    assert normalize_text("  Don't   STOP!  4111-1111 ") == "dont stop 4111 1111"
    assert normalize_text("…—") == ""


def test_appears_in_is_whole_words_case_and_punctuation_insensitive() -> None:
    assert appears_in("Fossil Gas", "the company is fossil gas.")
    assert appears_in("$212.47", "a Costco charge, $212.47, on January 3rd")
    assert not appears_in("debit", "debits and credits")
    assert not appears_in("!!!", "anything at all")


def _portal(example: LabelledExample) -> AgentAssistPortal:
    return RulesProgram().brief(example.conversation).portal


def test_ground_drops_invented_values_and_markers(harper_valley: list[LabelledExample]) -> None:
    example = harper_valley[0]
    portal = _portal(example)
    turns = list(portal.transcript)
    turns[4] = turns[4].model_copy(
        update={
            "markers": [
                Marker(type="key_info", description='Caller said "patricia brown"'),
                Marker(type="key_info", description='Caller said "account 998877"'),
            ]
        }
    )
    turns.append(
        TranscriptTurn(
            role="user", content="invented turn", markers=[Marker(type="frustration", description="x")]
        )
    )
    tampered = portal.model_copy(
        update={
            "information_collected": [
                InfoItem(key="Card type", value="debit"),
                InfoItem(key="SSN", value="123-45-6789"),
            ],
            "transcript": turns,
        }
    )
    grounded, dropped = ground(tampered, example.conversation)
    assert dropped == 3
    assert [i.value for i in grounded.information_collected] == ["debit"]
    assert [m.description for m in grounded.transcript[4].markers] == ['Caller said "patricia brown"']
    assert [(t.role, t.content) for t in grounded.transcript] == [
        (t.role, t.content) for t in example.conversation.turns
    ]


def test_ground_drops_markers_on_turns_that_do_not_match(harper_valley: list[LabelledExample]) -> None:
    example = harper_valley[0]
    portal = _portal(example)
    turns = list(portal.transcript)
    turns[0] = TranscriptTurn(
        role="user", content="changed", markers=[Marker(type="key_info", description="x")]
    )
    grounded, dropped = ground(portal.model_copy(update={"transcript": turns}), example.conversation)
    assert dropped == 1 and grounded.transcript[0].markers == []


def test_rules_briefs_are_already_grounded(harper_valley: list[LabelledExample]) -> None:
    for example in harper_valley:
        portal = _portal(example)
        assert ground(portal, example.conversation)[1] == 0
