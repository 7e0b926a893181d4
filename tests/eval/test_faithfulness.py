"""The offline faithfulness signal: details in a brief's free text that its call never mentions.

Briefs are the real gold labels of the development sets (read as a brief, as ``assist dataset agree`` does),
with invented details planted in them; and whole eval runs on labelled and unlabelled calls.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assist.interchange import read_examples
from assist.programs import load_program
from assist.schema import LabelledExample, Marker, NextStep
from eval.agreement import brief_from_labels
from eval.faithfulness import details_in, evidence_of, unsupported_details
from eval.metrics import score_example, unsupported_details_rates
from tests.conftest import ROOT, SYNTHETIC, SYNTHETIC_DEV2, SYNTHETIC_DEV3, SYNTHETIC_DEV4

DEVELOPMENT = (SYNTHETIC, SYNTHETIC_DEV2, SYNTHETIC_DEV3, SYNTHETIC_DEV4)
#: What the development sets' gold says that its own call never does: a figure from the caller's earlier call
#: (syn-003's $1,842 and syn-027's January 9th come from syn-002 and syn-026), a total the writer worked out
#: (two $50 late fees as "$100"), dates and a supply length the writer inferred, the FBI's IC3 named from the
#: writer's knowledge.
GOLD_BEYOND_THE_CALL = {
    ("syn-003", "suggested_next_steps", "1,842"),
    ("syn-027", "suggested_next_steps", "9th"),
    ("syn-037", "suggested_next_steps", "90"),
    ("dev2-018", "call_summary", "1st"),
    ("dev3-004", "transfer_reason", "100"),
    ("dev3-010", "call_summary", "IC3"),
}


@pytest.fixture(scope="module")
def development() -> list[LabelledExample]:
    return [example for path in DEVELOPMENT for example in read_examples(path)]


def test_gold_briefs_are_supported_by_their_calls(development: list[LabelledExample]) -> None:
    flagged = set()
    details = 0
    for example in development:
        counts, unsupported = unsupported_details(
            brief_from_labels(example.conversation, example.gold), example.conversation
        )
        details += sum(counts.values())
        flagged |= {(example.id, d.section, d.text) for d in unsupported}
    assert details > 1000
    assert flagged == GOLD_BEYOND_THE_CALL


def test_rules_briefs_state_nothing_their_calls_do_not(development: list[LabelledExample]) -> None:
    rules = load_program("rules")
    flagged = set()
    for example in development:
        portal = rules.brief(example.conversation).portal
        flagged |= {
            (example.id, d.section, d.text) for d in unsupported_details(portal, example.conversation)[1]
        }
    # This caught rules cutting "the 60,000-mile service" to "for the 60." (dev4-007) before it was mended.
    assert flagged == set()


@pytest.mark.parametrize("call", ["syn-001", "dev2-005", "dev3-004", "dev4-010"])
def test_every_planted_detail_is_caught(development: list[LabelledExample], call: str) -> None:
    example = next(e for e in development if e.id == call)
    portal = brief_from_labels(example.conversation, example.gold)
    evidence = evidence_of(example.conversation)
    said_months = {m for m in ("november", "february") if m in evidence.words}
    month = next(m for m in ("November", "February") if m.casefold() not in said_months)
    planted = {
        "transfer_reason": ("$4,512.77", f"The caller disputes a charge of $4,512.77 made on {month} 3."),
        "call_summary": ("Okonkwo", "Dr. Okonkwo at the Smithfield branch approved the exception."),
        "suggested_next_steps": ("99173", "Reopen ticket ACCT-99173 and call back before Saturday"),
        "markers": ("5531902", "Reference 5531902 given"),
    }
    turns = [turn.model_copy() for turn in portal.transcript]
    turns[0] = turns[0].model_copy(
        update={"markers": [*turns[0].markers, Marker(type="key_info", description=planted["markers"][1])]}
    )
    invented = portal.model_copy(
        update={
            "transfer_reason": planted["transfer_reason"][1],
            "call_summary": [*portal.call_summary[:4], planted["call_summary"][1]],
            "suggested_next_steps": [
                *portal.suggested_next_steps[:2],
                NextStep(action=planted["suggested_next_steps"][1], confidence="high"),
            ],
            "transcript": turns,
        }
    )
    before = {(d.section, d.text) for d in unsupported_details(portal, example.conversation)[1]}
    caught = {(d.section, d.text) for d in unsupported_details(invented, example.conversation)[1]} - before
    expected = {
        ("transfer_reason", "4,512.77"),
        ("transfer_reason", month),
        ("call_summary", "Okonkwo"),
        ("call_summary", "Smithfield"),
        ("suggested_next_steps", "ACCT-99173"),
        ("markers", "5531902"),
    }
    if "saturday" not in evidence.words:
        expected.add(("suggested_next_steps", "Saturday"))
    assert expected <= caught, expected - caught
    rates = unsupported_details_rates(invented, example.conversation)
    assert rates["unsupported_details.transfer_reason"] > 0 and rates["unsupported_details"] > 0


def call(*turns: str) -> LabelledExample:
    """An unlabelled call of these turns, caller and agent in turn."""
    return LabelledExample.model_validate(
        {
            "id": "inline",
            "conversation": {
                "id": "inline",
                "user_id": "+15550100100",
                "created_at": "2026-01-05T14:03:00Z",
                "status": "ended",
                "turns": [
                    {"role": "user" if index % 2 == 0 else "assistant", "content": content}
                    for index, content in enumerate(turns)
                ],
            },
        }
    )


def flagged(example: LabelledExample, text: str) -> list[str]:
    evidence = evidence_of(example.conversation)
    return [d.text for d in details_in(text, "call_summary") if not evidence.supports(d)]


def test_spoken_and_written_forms_are_the_same_detail() -> None:
    example = call(
        "it was fifty nine ninety nine and then one twenty two, born nineteen sixty one",
        "the order is s p seven seven two oh four one, name o y e l a r a n, zip nine oh two one oh",
        "we have the epi pen, card ends four eight two one, on october twenty ninth at nine am, mail jane at "
        "example dot com",
        "twenty three dollars and eighteen cents refunded, between eight and ten, closing at three thirty",
        "My name is José Núñez, it was $212.47 and forty eight thousand two hundred fifty",
    )
    text = (
        "Paid $59.99 and $122 in 1961; order SP772041 for Mr. Oyelaran at 90210; an EpiPen; card [number ending "
        "4821] on October 29 (10/29) at 9:00 AM, jane@example.com; $23.18 refunded; a visit 8-10 AM or at 3:30 "
        "(turn 3); José Núñez paid about $212 of $48,250.00."
    )
    assert flagged(example, text) == []
    kinds = {d.kind for d in details_in(text, "call_summary")}
    assert kinds == {"number", "identifier", "email", "month", "name"}


def test_wrong_numbers_are_caught_even_when_their_digits_were_said() -> None:
    example = call(
        "the balance is forty eight thousand two hundred fifty", "code six one nine oh three seven"
    )
    wrong = ["$482.50", "$4,825", "$48.25", "$825", "$250", "$5", "8:25", "2 PM", "48 hours", "4th", "1903"]
    caught = ["482.50", "4,825", "48.25", "825", "250", "5", "8:25", "2", "48", "4th", "1903"]
    assert flagged(example, "Owes " + ", ".join(wrong) + ".") == caught
    assert flagged(example, "Owes $48,250 under code 619037.") == []


def test_names_codes_and_addresses_the_call_never_says_are_caught() -> None:
    example = call("hi my name is José Núñez", "thank you, your ticket is s r eight eight two one three")
    text = (
        "Okonkwo from the title office called José Núñez; wire reference WX7Q2K, ticket SR88213, write to "
        "ana@example.org."
    )
    assert flagged(example, text) == ["ana@example.org", "WX7Q2K", "Okonkwo"]


def test_an_eval_of_unlabelled_calls_reports_what_needs_no_gold(tmp_path: Path) -> None:
    calls = tmp_path / "calls.jsonl"
    with calls.open("w", encoding="utf-8") as out:
        for example in read_examples(ROOT / "datasets" / "synthetic_dev2" / "calls.jsonl")[:5]:
            out.write(json.dumps(example.conversation.model_dump(mode="json")) + "\n")  # bare conversations
    report = tmp_path / "run.json"
    command = ["eval", "--dataset", str(calls), "--program", "rules", "--db", str(tmp_path / "e.duckdb")]
    result = subprocess.run(
        [sys.executable, "-m", "assist", *command, "--json", str(report)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("ASSIST_")},
    )
    assert result.returncode == 0, result.stderr
    assert "no gold labels, so no section scores" in result.stdout
    assert "unsupported details 0.000" in result.stdout
    document = json.loads(report.read_text())
    assert document["n"] == 5 and document["scores"]["overall"] is None
    assert document["metrics"]["schema_valid"] == 1.0 and document["metrics"]["unsupported_details"] == 0.0
    assert all(not example["score_errors"] for example in document["per_example"])


def test_the_rates_are_sub_metrics_outside_overall(development: list[LabelledExample]) -> None:
    example = development[0]
    portal = brief_from_labels(example.conversation, example.gold)
    scores = score_example(portal, example)
    assert scores.details["unsupported_details"] == 0.0
    assert scores.overall == 1.0
