"""Turn markers and compliance flags of the rules program on short calls in the spoken style; what was said
before, looked up, is what a search of the earlier turns finds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from assist.grounding import normalize_text
from assist.programs.rules.markers import _Heard, _Money
from assist.schema import AgentAssistPortal
from tests.programs.rules.conftest import brief, conversation


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


def test_a_turn_that_opens_by_accepting_carries_no_frustration() -> None:
    portal = brief(
        ("assistant", "How can I help?"),
        ("user", "My package is late."),
        ("assistant", "I see it's delayed."),
        ("user", "This is ridiculous, I've already called twice about this."),
        ("assistant", "I'm sorry. I can have a specialist look at the delivery."),
        ("user", "Okay, and can they also check the address they have on file for me?"),
    )
    assert marked(portal, "frustration") == [3]


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


def test_without_a_request_the_trigger_is_the_agent_saying_it_cannot_not_the_later_handoff() -> None:
    portal = brief(
        ("assistant", "Hi, this is the virtual assistant for the credit union. How can I help?"),
        ("user", "I sent a payment to my landlord this morning and it never showed up."),
        (
            "assistant",
            "I see the payment is held for review. I'm not able to release a held payment from here.",
        ),
        ("user", "Okay, and it has to be there by five or I get a late fee."),
        ("assistant", "Our payments team can release it. I'm connecting you now."),
    )
    assert marked(portal, "escalation_trigger") == [2]


def test_accepting_who_can_help_is_not_a_new_demand_but_asking_after_a_refusal_is() -> None:
    accepted = brief(
        ("assistant", "Hi, how can I help?"),
        ("user", "There's a charge for damage on my rental and I didn't damage anything."),
        ("assistant", "I can't reverse damage charges, but our damage team can review it."),
        ("user", "Of course you can't. Fine, put me through."),
        ("assistant", "Transferring you now."),
    )
    assert marked(accepted, "escalation_trigger") == [2]
    demanded = brief(
        ("assistant", "Hello, what can I do for you?"),
        ("user", "The crown was supposed to be covered and now I have a bill."),
        ("assistant", "I see the claim was over your annual maximum."),
        ("user", "Nobody told me that. I want the office manager."),
        ("assistant", "I'll transfer you now."),
        ("user", "No. Supervisor. Now."),
    )
    assert marked(demanded, "escalation_trigger") == [3, 5]


def test_a_question_about_a_repair_is_not_a_request_for_a_person() -> None:
    portal = brief(
        ("assistant", "Hi, how can I help?"),
        ("user", "The movers cracked my dresser. Can someone fix it properly? It's an antique."),
        (
            "assistant",
            "An adjuster decides repairs for antiques, and I can't make that choice. I'll connect you.",
        ),
    )
    assert marked(portal, "escalation_trigger") == [2]


def test_unpunctuated_speech_keeps_its_commitments_and_handoffs() -> None:
    portal = brief(
        ("assistant", "hi this is the ride support assistant how can i help"),
        ("user", "my driver was texting the whole time and ran a red light i want to report him"),
        ("assistant", "thats not acceptable ive deactivated his account so he wont be driving again"),
        ("user", "okay but i want a real person from your safety team to call me"),
        ("assistant", "i cant schedule that from here im connecting you with the safety team now"),
    )
    assert marked(portal, "ai_commitment") == [2]
    assert marked(portal, "escalation_trigger") == [3]
    # Taking a driver off the platform is not the AI's call to make.
    assert "unfulfillable_promise" in flags(portal)


def test_handing_the_story_to_the_human_is_no_commitment() -> None:
    portal = brief(
        ("assistant", "Hello, how can I help?"),
        ("user", "Your technician missed the appointment again. I want a supervisor."),
        ("assistant", "I'm transferring you to a supervisor now, and I'll note both missed appointments."),
    )
    assert marked(portal, "ai_commitment") == []


def test_an_allergic_reaction_or_water_at_the_breaker_is_the_trigger() -> None:
    allergy = brief(
        ("assistant", "hi how can i help"),
        ("user", "my order had peanuts on it and my son has a severe allergy he already took a bite"),
        ("assistant", "please call nine one one if his throat swells i cant review this from here"),
    )
    assert marked(allergy, "escalation_trigger") == [1]
    leak = brief(
        ("assistant", "Hello, what can I do for you?"),
        ("user", "The leak is worse, there's water running down the wall where the breaker box is."),
        ("assistant", "Please don't touch the panel. I'm connecting you with emergency maintenance now."),
    )
    assert marked(leak, "escalation_trigger") == [1]


def test_answers_to_an_identity_check_are_not_key_info_but_the_reference_is() -> None:
    portal = brief(
        ("assistant", "Hi, how can I help?"),
        ("user", "My power bill doubled this month and I want to know why."),
        ("assistant", "I can look. What's the name on the account?"),
        ("user", "Mireille Thibodeaux. That's M-I-R-E-I-L-L-E."),
        ("assistant", "And the last four digits of the phone number on the account?"),
        ("user", "It's this phone. 3 3 6 1."),
        ("assistant", "Thanks, you're verified. Can I have the claim number you were given?"),
        ("user", "Sure, it's C L 2 2 0 4 6."),
    )
    assert 3 not in marked(portal, "key_info")
    assert 5 not in marked(portal, "key_info")
    assert 7 in marked(portal, "key_info")


def test_options_the_agent_offers_are_not_facts() -> None:
    portal = brief(
        ("assistant", "Hello, how can I help?"),
        ("user", "My premium went up and I can't afford it."),
        (
            "assistant",
            "You could raise your deductible from $250 to $500, which would bring it to $52.30 a month.",
        ),
    )
    assert 2 not in marked(portal, "key_info")


def test_someone_elses_record_is_no_check_of_the_caller() -> None:
    portal = brief(
        ("assistant", "Pharmacy assistant, how can I help?"),
        ("user", "Hi, this is Dana Pruitt, I'm calling about my mom's refill, it says it's on hold."),
        ("assistant", "What's her date of birth?"),
        ("user", "August 30th, 1946."),
        ("assistant", "I see Ruth Pruitt's profile. The refill is waiting on a prior authorization."),
    )
    assert marked(portal, "identity_verified") == []


def test_a_one_time_code_read_back_verifies_and_chart_found_verifies() -> None:
    code = brief(
        ("assistant", "Hi, how can I help?"),
        ("user", "I can't log in to my account."),
        ("assistant", "I've texted you a code. Please read it back to me."),
        ("user", "5 5 0 9 1 3."),
        ("assistant", "Thanks, that code is correct."),
    )
    assert marked(code, "identity_verified") == [4]
    chart = brief(
        ("assistant", "good morning how can i help"),
        ("user", "hi its gus birthday june twelfth nineteen fifty eight i need an appointment"),
        ("assistant", "thank you gus i found your chart whats the appointment for"),
    )
    assert marked(chart, "identity_verified") == [2]


def test_a_labelled_loan_number_is_not_a_social_security_number() -> None:
    portal = brief(
        ("assistant", "Can you give me your loan number and the last four of your Social Security number?"),
        ("user", "Loan number is 3 0 0 7 7 1 5 2 9. Last four is 2218."),
        ("assistant", "Thank you, that matches. You're verified."),
    )
    assert flags(portal) == set()


def test_reading_account_numbers_to_an_unverified_caller_is_flagged() -> None:
    portal = brief(
        ("assistant", "Payroll assistant, how can I help?"),
        ("user", "My paycheck didn't come. My name is Andre."),
        ("assistant", "Your paycheck went to account number 7 7 2 0 0 4 1 9 3 at First Summit Bank."),
        ("user", "That's not my bank!"),
    )
    assert "sensitive_data_unverified" in flags(portal)


def test_a_promise_that_later_needs_someone_elses_approval_is_flagged() -> None:
    portal = brief(
        ("assistant", "Hi, how can I help?"),
        ("user", "I'm having surgery and want to freeze my gym membership."),
        ("assistant", "I've put a medical freeze on your membership. You won't be charged for three months."),
        ("user", "Great. Do you need a doctor's note?"),
        (
            "assistant",
            "Yes, freezes that long need a note approved by the club manager, and I can't approve it myself.",
        ),
    )
    assert "unfulfillable_promise" in flags(portal)


def test_a_denial_with_a_spelled_claim_number_and_no_appeal_is_flagged() -> None:
    portal = brief(
        ("assistant", "Hi, how can I help?"),
        ("user", "My claim got denied and my basement flooded."),
        ("assistant", "Thanks, you're verified. Claim H O 2 2 9 1 4 was denied on October 14th."),
        ("user", "That's wrong."),
        ("assistant", "The decision is final. I'll connect you with a representative."),
    )
    assert flags(portal) == {"regulatory_requirement"}


_SAID = st.lists(
    st.sampled_from(["", "One", "two", "one, two", "$1", "three!", "two one"]), min_size=1, max_size=8
)


@settings(max_examples=300, deadline=None)
@given(_SAID, st.sampled_from(["", "one", "two", "one two", "two one", "two one two", "1", "three"]))
def test_what_was_heard_before_a_turn_is_what_the_earlier_turns_said(said: list[str], phrase: str) -> None:
    call = conversation(*(("user", text) for text in said))
    heard = _Heard(call)
    earlier = " "
    for turn, text in enumerate(said):
        assert heard.said_before(phrase, turn) == (f" {phrase} " in earlier)
        earlier += normalize_text(text) + " "


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(0, 2_000, allow_nan=False).map(lambda v: round(v, 2)), max_size=30),
    st.floats(0, 2_000, allow_nan=False).map(lambda v: round(v, 2)),
)
def test_an_amount_rounds_one_said_before_when_within_a_tenth(earlier: list[float], amount: float) -> None:
    money = _Money()
    money.add(tuple(earlier))
    said = f"${amount:.2f}"
    value = float(f"{amount:.2f}")
    assert money.rounds(said) == any(abs(value - old) <= 0.1 * max(value, old) for old in earlier)
