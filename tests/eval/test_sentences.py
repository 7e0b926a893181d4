"""The unfinished-sentence linter: each rule on a sentence that breaks it, the sentences it must leave alone, and
the development sets' gold briefs, whose every sentence is finished."""

from __future__ import annotations

import pytest

from assist.interchange import read_examples
from assist.schema import ComplianceFlag, Gold, NextStep
from eval.agreement import brief_from_labels
from eval.metrics import SENTENCES_COMPLETE, score_example
from eval.sentences import complete_share, incomplete_reason, sentences_of, split_sentences
from tests.conftest import SYNTHETIC, SYNTHETIC_DEV2, SYNTHETIC_DEV3, SYNTHETIC_DEV4

DEVELOPMENT = (SYNTHETIC, SYNTHETIC_DEV2, SYNTHETIC_DEV3, SYNTHETIC_DEV4)


@pytest.mark.parametrize(
    ("sentence", "reason"),
    [
        # rules' brief of synthetic_dev4's dev4-007: "the 60,000-mile service" cut to a number
        (
            "Caller dropped their truck off this morning for the 60.",
            "ends in a number without its noun: 'the 60'",
        ),
        ("Check warranty coverage would", "ends in 'would'"),
        (
            "Needs a service advisor to check warranty coverage would and the AI cannot approve work.",
            "'would' before 'and'",
        ),
        ("Dispute the amount, because", "ends in 'because'"),
        ("They are moving to another provider unless.", "ends in 'unless'"),
        ("Look at", "ends in 'at'"),
        ("Caller reports a, there's a man outside.", "'a' before ','"),
        ("Caller had a technician scheduled yesterday between; needs credits.", "'between' before ';'"),
        ("Caller wants a refund of the", "ends in 'the'"),
        ("Caller read out the card number and", "ends in 'and'"),
        ("The caller wants to cancel because…", "cut off: ends in '…'"),
        ("Refund the order (turn 4", "unbalanced brackets"),
        ('The AI said "we will pay for all of it.', "unbalanced quotes"),
        ("$1,812.40", "no words"),
    ],
)
def test_an_unfinished_sentence_says_why(sentence: str, reason: str) -> None:
    assert incomplete_reason(sentence) == reason


@pytest.mark.parametrize(
    "sentence",
    [
        "Caller wants all three charges refunded and a person to talk to.",
        "Call the customer back on the number they called from",
        "Coordinator Stacy Ferris hasn't replied since.",
        "The AI cannot do any of this.",
        "Caller says then get them someone who can.",
        "Thermostat bought in May; he wants a replacement under warranty.",
        "Check with the organizer whether the tour is cancelled and, if so, refund $486.20",
        "She bought three cards, five hundred dollars each, at the drugstore.",
        "The wire is in status 'held for review' (a fraud callback hold).",
        "Dr. Anand's office must send the prior authorization by 5 p.m. on Friday",
        'The AI said "we will pay for all of it."',
        "Caller said: \"Mail's slow. The PT place says they haven't gotten.\"",
        "Caller paid $46.75 for order 5893.",
    ],
)
def test_a_finished_sentence_passes(sentence: str) -> None:
    assert incomplete_reason(sentence) is None


def test_texts_split_into_sentences_not_at_abbreviations_or_initials() -> None:
    assert split_sentences("Caller is J. Smith. He called Dr. Lee at 5 p.m. today! Why? ") == [
        "Caller is J. Smith.",
        "He called Dr. Lee at 5 p.m. today!",
        "Why?",
    ]
    assert split_sentences('Caller said: "It was denied! What now." AI could not help.') == [
        'Caller said: "It was denied! What now."',
        "AI could not help.",
    ]
    assert split_sentences("  ") == []


def test_the_share_is_over_every_free_text_sentence_of_the_brief() -> None:
    example = next(iter(read_examples(SYNTHETIC)))
    gold = Gold(
        transfer_reason="Caller wants a refund. The AI cannot give one.",
        call_summary=["Caller was charged twice.", "Caller wants a refund for the", "AI could not refund."],
        suggested_next_steps=[NextStep(action="Refund the second charge", confidence="high")],
        compliance_flags=[ComplianceFlag(type="regulatory_requirement", description="Card number read out.")],
    )
    portal = brief_from_labels(example.conversation, gold)
    assert len(sentences_of(portal)) == 7
    assert complete_share(portal) == pytest.approx(6 / 7)
    scores = score_example(portal, example.model_copy(update={"gold": gold}))
    assert scores.details[SENTENCES_COMPLETE] == pytest.approx(6 / 7)
    silent = portal.model_copy(
        update={"transfer_reason": "", "call_summary": [], "suggested_next_steps": [], "compliance_flags": []}
    )
    assert complete_share(silent) is None


def test_every_sentence_of_the_development_sets_gold_briefs_is_finished() -> None:
    found = [
        sentence
        for path in DEVELOPMENT
        for example in read_examples(path)
        for sentence in sentences_of(brief_from_labels(example.conversation, example.gold))
    ]
    assert len(found) == 1016
    assert [(s, incomplete_reason(s)) for s in found if incomplete_reason(s) is not None] == []
