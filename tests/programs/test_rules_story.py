"""The prose sections of the rules brief: short spoken calls in, concise third-person prose out."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from assist.programs._rules_story import plain
from assist.programs.rules import RulesProgram
from assist.schema import AgentAssistPortal, Conversation, Turn

PROGRAM = RulesProgram()


def brief(*turns: tuple[str, str]) -> AgentAssistPortal:
    conversation = Conversation(
        id="conv-story",
        user_id="+15550001111",
        created_at=datetime(2026, 2, 3, 9, 30, tzinfo=UTC),
        status="ended",
        duration_seconds=90,
        turns=[Turn(role=role, content=content) for role, content in turns],  # type: ignore[arg-type]
    )
    return PROGRAM.brief(conversation).portal


@pytest.mark.parametrize(
    ("spoken", "expected"),
    [
        ("yeah so it's like eight months old, I think.", "it's eight months old"),
        ("um I'd like to, like, change my plan", "I'd like to change my plan"),
        ("it smells like burnt plastic", "it smells like burnt plastic"),
        ("hold on, I just really need the router fixed", "I need the router fixed"),
        ("there's fees on my bill a bunch of them", "there's fees on my bill"),
    ],
)
def test_plain_drops_spoken_filler_but_keeps_like_as_a_verb_or_comparison(spoken: str, expected: str) -> None:
    assert plain(spoken) == expected


def test_transfer_reason_is_one_short_sentence_naming_the_problem_the_role_and_the_threat() -> None:
    portal = brief(
        ("assistant", "thanks for calling how can i help"),
        (
            "user",
            "um yeah my router keeps dropping like every hour and i work from home so it's a real problem",
        ),
        ("assistant", "i'm sorry about that i see two outages on your line this week"),
        ("user", "this is ridiculous i'm going to file a complaint with the fcc and cancel"),
        ("assistant", "i understand a repair technician can book a site visit i'll transfer you now"),
    )
    reason = portal.transfer_reason
    assert reason.startswith("Caller's router keeps dropping")
    assert "needs a repair technician to book a site visit" in reason
    assert "threatens a complaint to the FCC and cancellation" in reason
    assert len(reason.split()) <= 30 and reason.endswith(".") and " like " not in reason


def test_reported_emergency_replaces_the_opening_request_in_the_reason() -> None:
    portal = brief(
        ("assistant", "Hello, how can I help?"),
        ("user", "Hi, I'd like to book a checkup for next week."),
        ("assistant", "Sure, can I have your date of birth?"),
        ("user", "Actually I've had chest pain since this morning and it's getting worse."),
        ("assistant", "Please call 911 now. I'm connecting you to a nurse."),
    )
    assert portal.transfer_reason.startswith("Caller has had chest pain since this morning")
    assert "emergency" in portal.transfer_reason and "checkup" not in portal.transfer_reason


def test_summary_skips_spelled_identifiers_and_agent_pleasantries() -> None:
    portal = brief(
        ("assistant", "thanks for calling what can i help with"),
        ("user", "i was charged a late fee on my water bill but i paid on time"),
        ("assistant", "can i have your account number"),
        ("user", "it's a c 4 4 1 9 z"),
        ("assistant", "thank you you're verified i see a late fee of $35 added on march 3rd"),
        ("user", "right and i have the bank receipt showing the payment went out on february 28th"),
        ("assistant", "a billing specialist can remove the fee i'll transfer you"),
    )
    summary = " ".join(portal.call_summary)
    assert 3 <= len(portal.call_summary) <= 5
    assert "4 4 1 9" not in summary and "verified AI see" not in summary
    assert any(b.startswith("A late fee of $35 added on march 3rd") for b in portal.call_summary)
    assert any("bank receipt" in b and b.startswith("Caller has") for b in portal.call_summary)


def test_caller_clauses_agree_with_caller_as_subject() -> None:
    portal = brief(
        ("assistant", "How can I help?"),
        ("user", "I fly home on Friday and my suitcase still hasn't arrived."),
        ("assistant", "I see the bag is at the airport. A baggage agent can arrange delivery."),
    )
    assert portal.call_summary[0] == "Caller flies home on Friday and their suitcase still hasn't arrived."


def test_steps_name_their_object_and_amount_and_correct_a_promise() -> None:
    portal = brief(
        ("assistant", "hi how can i help"),
        ("user", "you charged me twice for my gym membership this month"),
        ("assistant", "i see two charges of $49.99 on march 1st i've sent you a confirmation email"),
        ("user", "i want you to put the second charge back on my card"),
        ("assistant", "your refund will definitely arrive tomorrow. refunding it needs a billing specialist"),
    )
    actions = [step.action for step in portal.suggested_next_steps]
    assert actions[0] == "Refund the charge of $49.99"
    assert portal.suggested_next_steps[0].confidence == "high"
    assert "Correct the AI's promise that the caller's refund will definitely arrive tomorrow" in actions
    assert 1 <= len(actions) <= 3
    for action in actions:
        assert not re.search(r"(?<![\w-])(?:i|my|me|it)(?![\w-])", action, re.IGNORECASE), action


def test_caller_ask_becomes_an_imperative_step() -> None:
    portal = brief(
        ("assistant", "How can I help?"),
        ("user", "My parcel says delivered but it's not here."),
        ("assistant", "I can see it was marked delivered at 2 PM."),
        ("user", "I need someone to find out where my parcel went, please."),
        ("assistant", "I'll connect you with our team."),
    )
    actions = [step.action for step in portal.suggested_next_steps]
    assert "Find out where the caller's parcel went" in actions
