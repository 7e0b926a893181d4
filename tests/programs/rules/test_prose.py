"""The prose sections of the rules brief (reason, summary, next steps): short spoken calls in, concise
third-person prose out; and the rewrites' fast path gives what applying every rule gives."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings

from assist.programs.rules import prose
from assist.programs.rules.prose import plain
from tests.programs.rules.conftest import MIXED_TEXT, brief


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
    assert "threatens an FCC complaint and cancellation" in reason
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


def test_verification_bullet_names_only_what_the_agent_checked() -> None:
    portal = brief(
        ("assistant", "Thanks for calling, how can I help?"),
        ("user", "Hi, um, I filed a claim last week, claim number 4471902, and nobody's called me back."),
        ("assistant", "I can help. For security, can you confirm the ZIP code on your policy?"),
        ("user", "Six oh six one four."),
        ("assistant", "Thanks, that matches, you're verified. I see the claim is waiting on an adjuster."),
        ("user", "Okay, can I talk to the adjuster then?"),
        ("assistant", "Sure, I'll transfer you to the claims team."),
    )
    verified = [b for b in portal.call_summary if b.startswith("Verified")]
    assert verified == ["Verified with ZIP code."]


def test_a_code_sent_to_the_phone_is_the_check_not_the_phone() -> None:
    portal = brief(
        ("assistant", "How can I help?"),
        ("user", "My debit card was declined at the store and I have money in the account."),
        ("assistant", "Can I have your name?"),
        ("user", "Dana Whitfield."),
        (
            "assistant",
            "Thanks, Dana. I'm texting a one-time code to the phone number on file. Please read it back.",
        ),
        ("user", "It's 4 4 1 9 0 2."),
        ("assistant", "That matches, you're verified. I see a hold on the card from this morning."),
    )
    assert "Verified with name and a one-time code." in portal.call_summary


def test_summary_states_where_the_caller_stands_and_what_the_ai_promised() -> None:
    portal = brief(
        ("assistant", "How can I help?"),
        ("user", "You charged me a late fee even though autopay took the payment on time."),
        ("assistant", "I'm sorry. Don't worry, I'll waive the late fee for you today."),
        ("user", "This is the third time this happened! I want a supervisor or I'm filing a CFPB complaint."),
        ("assistant", "I understand. I'm transferring you to a supervisor now."),
    )
    assert any(b.startswith("AI will waive the late fee") for b in portal.call_summary)
    assert portal.call_summary[-1].startswith("Caller is")
    assert "threatens a CFPB complaint" in portal.call_summary[-1]
    assert "supervisor" in portal.call_summary[-1]


def test_what_the_ai_cannot_do_takes_its_object_from_what_the_turn_said_is_needed() -> None:
    handoff = (
        "A repair after the plan lapsed needs a reinstatement exception, "
        "and only a service specialist can approve that. I'll transfer you."
    )
    portal = brief(
        ("assistant", "How can I help?"),
        ("user", "My fridge stopped cooling and my warranty plan ran out last week."),
        ("assistant", handoff),
    )
    assert "needs a service specialist to approve a reinstatement exception" in portal.transfer_reason
    assert "only" not in portal.transfer_reason


def test_an_unpunctuated_promise_is_quoted_from_its_own_clause() -> None:
    promise = (
        "i understand how stressful that is i can upgrade the shipping to overnight and i guarantee "
        "the card will be at your door tomorrow morning"
    )
    portal = brief(
        ("assistant", "thanks for calling card services how can i help"),
        ("user", "my replacement card never came and my rent is due"),
        ("assistant", "thanks i've sent a one time code to your phone can you read it to me"),
        ("user", "four four one two"),
        ("assistant", promise),
        ("user", "fine just get me a person"),
    )
    actions = [step.action for step in portal.suggested_next_steps]
    assert "Correct the AI's promise that the card will be at the caller's door tomorrow morning" in actions
    assert not any("stressful" in text for text in [*actions, *portal.call_summary])
    # The code that verified the caller is not a delivery to follow up on.
    assert not any("code" in action for action in actions)


def test_prose_reads_as_sentences_and_names_the_team_not_its_member() -> None:
    portal = brief(
        ("assistant", "How can I help?"),
        (
            "user",
            "I dropped my truck off this morning and the estimate is way too high. I want a second look.",
        ),
        ("assistant", "thanks dana i see a work order from sunday for a brake job on your truck"),
        (
            "assistant",
            "I can't approve or decline work for you, but a member of our service team can review the estimate.",
        ),
    )
    prose = [
        portal.transfer_reason,
        *portal.call_summary,
        *(step.action for step in portal.suggested_next_steps),
    ]
    assert not any(re.search(r"[.!?] [a-z]", line) for line in prose), prose
    assert "a service team" in portal.transfer_reason and "of our" not in portal.transfer_reason
    assert "AI could not approve or decline work." in " ".join(portal.call_summary)
    assert not any("Dana AI" in line or "AI see " in line for line in portal.call_summary)


@pytest.mark.parametrize("rules", [prose._FIRST_PERSON, prose._AGENT_VOICE])
@settings(max_examples=300, deadline=None)
@given(text=MIXED_TEXT)
def test_rewrite_matches_applying_every_rule(
    rules: tuple[tuple[re.Pattern[str], str, str], ...], text: str
) -> None:
    expected = text
    for pattern, replacement, _ in rules:
        expected = pattern.sub(replacement, expected)
    assert prose._rewrite(text, rules) == expected


def test_a_caller_sentence_no_template_fits_is_quoted_verbatim_and_attributed() -> None:
    # Pronouns swapped, this read "Caller says are you kidding them standard mail nobody told them ...".
    portal = brief(
        ("assistant", "Hi, how can I help you today?"),
        ("user", "My debit card was stolen and I filed a fraud claim yesterday."),
        (
            "assistant",
            "I see the claim is open. Your new card goes out by standard mail in seven to ten days.",
        ),
        (
            "user",
            "are you kidding me standard mail nobody told me that i've got no card and my rent is late now",
        ),
        ("assistant", "I understand. I'll transfer you to a specialist who can expedite it."),
    )
    assert (
        'Caller said: "Are you kidding me standard mail nobody told me that I\'ve got no card and my rent is late now."'
        in portal.call_summary
    )
    assert not any("Caller says" in bullet for bullet in portal.call_summary)


def test_a_quoted_reason_cut_short_says_so() -> None:
    portal = brief(
        ("assistant", "Thanks for calling, how can I help?"),
        (
            "user",
            "Your technician never showed up this morning after I took the whole morning off work for it.",
        ),
        ("assistant", "I'm sorry. Let me transfer you to a supervisor."),
    )
    assert portal.transfer_reason.startswith('Caller said: "Your technician never showed up this morning..."')


def test_a_comma_inside_a_number_is_not_where_a_sentence_is_cut() -> None:
    # Cut there, "for the 60,000-mile service" left the bullet "... for the 60."
    portal = brief(
        ("assistant", "How can I help?"),
        (
            "user",
            "I dropped my truck off this morning for the 60,000-mile service and now they want way more money.",
        ),
        ("assistant", "Let me look at the service order."),
    )
    assert not any(bullet.endswith(" 60.") for bullet in portal.call_summary)
    assert prose.shorten(
        "I brought it in for the 60,000-mile service last week and the light came on", 10
    ) == ("I brought it in for the 60,000-mile service last week")
