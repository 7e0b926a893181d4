"""Turn markers and compliance flags of the rules program on short calls in the spoken style."""

from __future__ import annotations

from datetime import UTC, datetime

from assist.programs.rules import RulesProgram
from assist.schema import AgentAssistPortal, Conversation, Turn

PROGRAM = RulesProgram()


def brief(*turns: tuple[str, str]) -> AgentAssistPortal:
    conversation = Conversation(
        id="conv-markers",
        user_id="+15550001111",
        created_at=datetime(2026, 2, 3, 9, 30, tzinfo=UTC),
        status="ended",
        duration_seconds=90,
        turns=[Turn(role=role, content=content) for role, content in turns],  # type: ignore[arg-type]
    )
    return PROGRAM.brief(conversation).portal


def marked(portal: AgentAssistPortal, kind: str) -> list[int]:
    return [i for i, turn in enumerate(portal.transcript) if any(m.type == kind for m in turn.markers)]


def flags(portal: AgentAssistPortal) -> set[str]:
    return {flag.type for flag in portal.compliance_flags}


def test_frustration_carries_over_until_the_caller_only_answers_or_accepts() -> None:
    portal = brief(
        ("assistant", "Thanks for calling, I'm the virtual assistant. What can I do for you?"),
        ("user", "Hi, um, my internet's been out since Monday and I need it for work."),
        ("assistant", "I'm sorry. I can book a technician for Friday."),
        ("user", "Friday? This is ridiculous, I've already called twice about this."),
        ("assistant", "I understand. Can I have the account number?"),
        ("user", "It's 4410 2298."),
        ("assistant", "Thanks. I see an outage ticket on your street."),
        ("user", "Right, so what am I supposed to do about work until then, just sit here?"),
        ("assistant", "I'll transfer you to a repair specialist."),
        ("user", "Okay, thanks."),
    )
    # Turn 5 answers the agent's question, turn 9 accepts; turn 7 is still the frustrated caller.
    assert marked(portal, "frustration") == [3, 7]
    # A caller who was calm in turn 1 turns in turn 3: that is the one sentiment shift.
    assert marked(portal, "sentiment_shift") == [3]


def test_a_caller_frustrated_from_the_first_words_never_shifts() -> None:
    portal = brief(
        ("assistant", "Hello, how can I help?"),
        ("user", "This is the third time I'm calling about the same charge and nobody has fixed it."),
        ("assistant", "I'm sorry. Can I have your name?"),
        ("user", "Dana Ruiz."),
        ("assistant", "Thank you. I see the charge."),
        ("user", "Are you kidding me? You see it and nobody can take it off?"),
    )
    assert 1 in marked(portal, "frustration") and 5 in marked(portal, "frustration")
    assert marked(portal, "sentiment_shift") == []


def test_worry_and_assent_are_not_frustration() -> None:
    portal = brief(
        ("assistant", "Hi, how can I help today?"),
        ("user", "Hi, I'm a little worried, I got a letter about my policy and I don't understand it."),
        ("assistant", "I can explain. It says your premium changes next month."),
        ("user", "mm hmm"),
        ("assistant", "Is there anything else?"),
        ("user", "No, that's all I needed today, thank you very much for your help."),
    )
    assert marked(portal, "frustration") == []
    assert marked(portal, "sentiment_shift") == []


def test_name_and_reference_number_then_record_found_is_verification() -> None:
    portal = brief(
        ("assistant", "Thanks for calling the hotel. How can I help?"),
        ("user", "Hi, I want to change my booking. My name is Ana Souza and the confirmation is 55120934."),
        ("assistant", "Thank you, Ms. Souza. I see your room for two nights from the 4th."),
        ("user", "Great, can I add a third night?"),
    )
    assert marked(portal, "identity_verified") == [2]


def test_a_name_alone_or_a_volunteered_pin_is_no_check() -> None:
    name_only = brief(
        ("assistant", "How can I help?"),
        ("user", "Hi, it's Ana Souza, my order never came."),
        ("assistant", "Thanks, Ana. I can see your account and a late order."),
    )
    assert marked(name_only, "identity_verified") == []
    pin = brief(
        ("assistant", "How can I help?"),
        ("user", "It's Ana Souza, my PIN is 4471, just fix my account."),
        ("assistant", "Please don't share your PIN. I see two logins from a new device."),
    )
    assert marked(pin, "identity_verified") == []


def test_restated_amounts_and_the_length_of_a_wait_are_not_new_facts() -> None:
    portal = brief(
        ("assistant", "Hi, you've reached billing. How can I help?"),
        ("user", "Hi, um, my last bill looks too high and I'd like to know why."),
        ("assistant", "I see your latest bill is $412.66 for the month of March."),
        ("user", "Four hundred bucks, seriously? I've been waiting on hold for two hours to hear that."),
        ("assistant", "I understand, let me connect you with a billing specialist."),
    )
    assert 2 in marked(portal, "key_info")
    assert 3 in marked(portal, "frustration")
    assert 3 not in marked(portal, "key_info")


def test_a_symptom_the_caller_adds_is_key_info() -> None:
    portal = brief(
        ("assistant", "Thanks for calling, how can I help?"),
        ("user", "Hi, the food we got was the wrong order."),
        ("assistant", "I'm sorry about that. Can you tell me more?"),
        ("user", "Yeah, it has shrimp in it and my daughter is allergic to shellfish so nobody can eat it."),
    )
    assert 3 in marked(portal, "key_info")


def test_actions_taken_are_commitments_but_announcing_the_transfer_is_not() -> None:
    portal = brief(
        ("assistant", "How can I help?"),
        ("user", "My card was stolen this morning, I'm Lee Park."),
        ("assistant", "I'm sorry. I've gone ahead and blocked the card so no new charges go through."),
        ("user", "Thanks. And the charges from this morning?"),
        ("assistant", "I'm going to transfer you to the fraud team for those."),
    )
    assert marked(portal, "ai_commitment") == [2]
    assert marked(portal, "escalation_trigger") == [4]


def test_asking_for_a_person_and_reporting_an_emergency_trigger_escalation() -> None:
    asked = brief(
        ("assistant", "How can I help?"),
        ("user", "Can I get a real person please, this is about a billing dispute."),
        ("assistant", "Sure, I'll connect you."),
    )
    assert marked(asked, "escalation_trigger") == [1]
    emergency = brief(
        ("assistant", "Pharmacy line, how can I help?"),
        ("user", "I took the new pills an hour ago and now my throat is swelling."),
        ("assistant", "Please call 911 right now. I'm connecting you to the pharmacist."),
    )
    assert marked(emergency, "escalation_trigger") == [1]


def test_repeated_retention_offers_after_a_cancellation_request_are_flagged() -> None:
    portal = brief(
        ("assistant", "Thanks for calling StreamBox. How can I help?"),
        ("user", "Hi, I want to cancel my subscription."),
        ("assistant", "Before you go, I can offer you two months at half price."),
        ("user", "No thanks, please just cancel it."),
        ("assistant", "How about pausing your plan for three months instead?"),
        ("user", "No. Cancel it."),
        ("assistant", "I'll transfer you to an account specialist."),
    )
    assert "regulatory_requirement" in flags(portal)


def test_one_retention_offer_is_not_flagged() -> None:
    portal = brief(
        ("assistant", "Thanks for calling StreamBox. How can I help?"),
        ("user", "Hi, I want to cancel my subscription."),
        ("assistant", "Sure. Before you go, I can offer you two months at half price."),
        ("user", "No thanks."),
        ("assistant", "Okay, I've cancelled your subscription effective today."),
    )
    assert flags(portal) == set()


def test_a_denial_without_the_right_to_appeal_is_flagged() -> None:
    turns = [
        ("assistant", "Thanks for calling, how can I help?"),
        ("user", "Hi, I wanted to check on my claim for the hail damage."),
        (
            "assistant",
            "I see your claim was denied on March 3rd because the damage is listed as wear and tear.",
        ),
        ("user", "That's not right. Can I talk to somebody?"),
    ]
    assert "regulatory_requirement" in flags(brief(*turns))
    explained = [
        *turns[:3],
        ("assistant", "You have the right to appeal within 60 days, and I can start that."),
    ]
    assert "regulatory_requirement" not in flags(brief(*explained, turns[3]))


def test_never_again_is_an_unfulfillable_promise() -> None:
    portal = brief(
        ("assistant", "How can I help?"),
        ("user", "My delivery driver left my groceries in the rain again."),
        ("assistant", "I'm so sorry. I'll make sure this will never happen again."),
    )
    assert "unfulfillable_promise" in flags(portal)
