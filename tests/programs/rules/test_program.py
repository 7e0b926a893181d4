"""The rules program over the real Harper Valley calls, targeted cue checks, and a property test."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assist.grounding import appears_in, normalize_text
from assist.interchange import read_examples
from assist.programs import load_program
from assist.programs.rules.next_steps import _same_step
from assist.programs.rules.text import digits_in, luhn_ok
from assist.schema import AgentAssistPortal, LabelledExample
from tests.conftest import SYNTHETIC
from tests.programs.rules.conftest import PROGRAM, brief, conversation


def marked(portal: AgentAssistPortal, kind: str) -> list[int]:
    return [i for i, turn in enumerate(portal.transcript) if any(m.type == kind for m in turn.markers)]


def test_every_harper_valley_call_gives_a_valid_brief(harper_valley: list[LabelledExample]) -> None:
    for example in harper_valley:
        result = PROGRAM.brief(example.conversation)
        portal = AgentAssistPortal.model_validate(result.portal.model_dump())
        assert result.program == "rules" and not result.fallback
        assert [(t.role, t.content) for t in portal.transcript] == [
            (t.role, t.content) for t in example.conversation.turns
        ]
        assert portal.header.call_duration_seconds == example.conversation.duration_seconds
        assert portal.header.phone_number == example.conversation.user_id
        assert 3 <= len(portal.call_summary) <= 5 and 1 <= len(portal.suggested_next_steps) <= 3
        full_text = " ".join(t.content for t in example.conversation.turns)
        assert all(appears_in(item.value, full_text) for item in portal.information_collected)


def test_caller_name_accuracy_on_harper_valley(harper_valley: list[LabelledExample]) -> None:
    labelled = [e for e in harper_valley if e.gold is not None and e.gold.caller_name is not None]
    correct = sum(
        normalize_text(PROGRAM.brief(e.conversation).portal.header.caller_name)
        == normalize_text(e.gold.caller_name)  # type: ignore[union-attr,arg-type]
        for e in labelled
    )
    assert len(labelled) == 60
    assert correct / len(labelled) >= 0.85


def test_harper_valley_slots_match_gold_values(harper_valley: list[LabelledExample]) -> None:
    """Gold slot values (card type, account type, day, ...) are found as collected values."""
    wanted = found = 0
    for example in harper_valley:
        if example.gold is None or not example.gold.information_collected:
            continue
        values = {
            normalize_text(i.value) for i in PROGRAM.brief(example.conversation).portal.information_collected
        }
        for item in example.gold.information_collected:
            wanted += 1
            found += normalize_text(item.value) in values
    assert wanted > 40 and found / wanted >= 0.6


@pytest.mark.skipif(not SYNTHETIC.exists(), reason="synthetic calls not written yet")
def test_synthetic_calls_give_valid_briefs() -> None:
    for example in read_examples(SYNTHETIC):
        portal = PROGRAM.brief(example.conversation).portal
        assert [(t.role, t.content) for t in portal.transcript] == [
            (t.role, t.content) for t in example.conversation.turns
        ]


@pytest.mark.parametrize(
    ("turns", "expected"),
    [
        (
            (("assistant", "how can i help you"), ("user", "hi my name is patricia brown i lost my card")),
            "Patricia Brown",
        ),
        ((("user", "Hi, this is Dana Whitfield calling about my bill."),), "Dana Whitfield"),
        ((("user", "yes hello this is uh robert jones i would like the branch hours"),), "Robert Jones"),
        (
            (("assistant", "Can I start with your name, please?"), ("user", "Dana Whitfield.")),
            "Dana Whitfield",
        ),
        (
            (
                ("assistant", "can i get your first name please"),
                ("user", "marcus"),
                ("assistant", "thanks marcus and your last name"),
                ("user", "oyelaran o y e l a r a n"),
            ),
            "Marcus Oyelaran",
        ),
        ((("user", "my name is"), ("user", "linda smith")), "Linda Smith"),
        ((("user", "hi my name is also michael but last name smith"),), "Michael Smith"),
        ((("assistant", "And the passenger's last name?"), ("user", "Brown. Keisha Brown.")), "Keisha Brown"),
        ((("user", "Hi, it's Tomás Herrera again."),), "Tomás Herrera"),
        ((("user", "Okay so my name's Carla, Carla Reyes, and I'm calling about my bill."),), "Carla Reyes"),
        ((("user", "Hey, Tom Becker here, I need to change my flight."),), "Tom Becker"),
        ((("user", "Hi, this is Dr. Emily Chen calling about a patient."),), "Emily Chen"),
        (
            (
                ("assistant", "Can I get the name on the account?"),
                ("user", "It's under my wife's name, Lisa Grant. I'm Mark."),
            ),
            "Mark",
        ),
        # Asked for the patient's name, a caller who never says they call for someone else gives their own.
        ((("assistant", "What's the patient's name?"), ("user", "Samuel Okafor.")), "Samuel Okafor"),
        (
            (
                ("assistant", "What's the student's name and student ID?"),
                ("user", "Diego Ortega, and his ID is B 0 0 7 7. I'm his mom, Marisol Ortega."),
            ),
            "Marisol Ortega",
        ),
        (
            (
                ("user", "I'm calling about my dad's medication."),
                ("assistant", "What's the member's name and date of birth?"),
                (
                    "user",
                    "Gopal Raman, G-O-P-A-L, March 4th, 1951. And I'm his daughter, Priya. Priya Raman.",
                ),
            ),
            "Priya Raman",
        ),
        (
            (
                ("assistant", "can i have your name and the email on the account"),
                ("user", "marcus lindqvist marcus dot l at ridgeline mail dot com"),
            ),
            "Marcus Lindqvist",
        ),
        (
            (
                ("assistant", "What's your rewards number?"),
                ("user", "It's LR 5520-9931. And it's Celeste Moreau. M-O-R-E-A-U."),
            ),
            "Celeste Moreau",
        ),
        (
            (
                ("assistant", "May I have your first name?"),
                ("user", "Harold."),
                ("assistant", "Thank you, Harold. And your brother's name?"),
                ("user", "Eugene. Eugene Pettibone."),
                ("assistant", "And your last name, Harold, is that also Pettibone?"),
                ("user", "Yes. Pettibone."),
            ),
            "Harold Pettibone",
        ),
        (
            (
                ("assistant", "can i get your name and unit number"),
                ("user", "jae j a e and it's building c unit 341"),
                ("assistant", "thanks jay i see a work order from sunday"),
                ("user", "low priority there's water coming through the light"),
                ("assistant", "i'm going to mark this as urgent"),
                ("user", "okay and also i mean the upstairs unit they have a washer"),
            ),
            "Jae",
        ),
    ],
)
def test_caller_name_from_speech(turns: tuple[tuple[str, str], ...], expected: str) -> None:
    assert PROGRAM.brief(conversation(*turns)).portal.header.caller_name == expected


@pytest.mark.parametrize(
    "turns",
    [
        (
            ("assistant", "hello this is harper valley bank my name is elizabeth"),
            ("user", "i lost my debit card"),
        ),
        (("user", "this is about my card"), ("user", "my name is on the account")),
        (("user", "i'm calling about a charge"), ("assistant", "how are you"), ("user", "i'm good thanks")),
        (("user", "this is ridiculous"),),
        (
            ("user", "I'm calling about my dad's refill."),
            ("assistant", "What's the patient's name?"),
            ("user", "Samuel Okafor."),
        ),
        (
            ("assistant", "Can I get your name and the loan number?"),
            ("user", "No. Last time the guy threatened to have me arrested. Arrested! Over a loan."),
        ),
        (("user", "My husband's name is Samuel, it's his prescription."),),
        (("user", "I'm here about the bill, the one from March."),),
    ],
)
def test_no_false_caller_names(turns: tuple[tuple[str, str], ...]) -> None:
    assert PROGRAM.brief(conversation(*turns)).portal.header.caller_name == "Unknown Caller"


def test_caller_name_falls_back_to_metadata() -> None:
    conv = conversation(("user", "i need my balance"), metadata={"caller_name": "dana whitfield"})
    assert PROGRAM.brief(conv).portal.header.caller_name == "Dana Whitfield"


def test_luhn_and_spoken_digits() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert digits_in("it's four one one one one one one one one one one one one one one one") == [
        "4111111111111111"
    ]
    assert "4111111111111111" in digits_in("card 4111-1111-1111-1111 thanks")
    # Read one digit at a time, in groups: one number, not three.
    assert digits_in("my social is 5 2 1, 4 4, 7 0 9 3, if you need it") == ["521447093"]
    assert digits_in("ZIP 44107, and it was 2 or 3 times") == ["44107", "2", "3"]


def test_card_number_before_verification_is_flagged() -> None:
    conv = conversation(
        ("assistant", "To verify you I'll text a code to your phone."),
        ("user", "my card number is four one one one one one one one one one one one one one one one"),
        ("assistant", "Please don't read your card number. Thank you, you're verified."),
    )
    portal = PROGRAM.brief(conv).portal
    assert [f.type for f in portal.compliance_flags] == ["sensitive_data_unverified"]
    assert marked(portal, "identity_verified") == [2]
    assert 1 in marked(portal, "key_info")


def test_ssn_read_in_groups_before_verification_is_flagged() -> None:
    conv = conversation(
        ("assistant", "What's your name?"),
        ("user", "Rosalind Kaye. And my social is 5 2 1, 4 4, 7 0 9 3, if you need it."),
        ("assistant", "Please don't share your full Social Security number. Thank you, you're verified."),
    )
    assert [f.type for f in PROGRAM.brief(conv).portal.compliance_flags] == ["sensitive_data_unverified"]


def test_a_caller_fearing_collections_is_not_talking_to_a_debt_collector() -> None:
    conv = conversation(
        ("assistant", "Thanks for calling the animal hospital billing line. How can I help?"),
        ("user", "I want to pay the part I agreed to today so it doesn't go to collections."),
        ("assistant", "I can take that payment. I'll transfer you to billing for the rest."),
    )
    assert PROGRAM.brief(conv).portal.compliance_flags == []


def test_card_number_after_verification_is_not_flagged() -> None:
    conv = conversation(
        ("assistant", "Thank you, you're verified. How can I help?"),
        ("user", "I want to add the card 4111 1111 1111 1111 to my account"),
    )
    assert PROGRAM.brief(conv).portal.compliance_flags == []


def test_human_request_is_an_escalation_trigger() -> None:
    conv = conversation(
        ("assistant", "How can I help?"),
        ("user", "My refund still hasn't arrived."),
        ("assistant", "I can see the refund is processing."),
        ("user", "This is the third time I've called. Let me speak to a supervisor."),
    )
    portal = PROGRAM.brief(conv).portal
    assert marked(portal, "escalation_trigger") == [3]
    assert 3 in marked(portal, "frustration")
    assert portal.header.sentiment.level in {"frustrated", "angry"}
    assert "supervisor" in portal.transfer_reason


def test_guarantee_is_a_commitment_and_an_unfulfillable_promise() -> None:
    conv = conversation(
        ("user", "My card never arrived."),
        ("assistant", "I guarantee the new card will be at your door tomorrow morning."),
    )
    portal = PROGRAM.brief(conv).portal
    assert marked(portal, "ai_commitment") == [1]
    assert [f.type for f in portal.compliance_flags] == ["unfulfillable_promise"]


def test_calm_call_has_no_flags_or_frustration() -> None:
    conv = conversation(
        ("assistant", "Hello, how can I help you today?"),
        ("user", "Hi, I'd like to check my savings account balance please."),
        ("assistant", "Your savings balance is $1,204.50."),
        ("user", "Great, thank you so much."),
    )
    portal = PROGRAM.brief(conv).portal
    assert portal.header.sentiment.level == "calm"
    assert portal.compliance_flags == []
    assert marked(portal, "frustration") == []
    assert {(i.key, i.value) for i in portal.information_collected} >= {("Balance", "$1,204.50")}


def test_threat_from_an_angry_caller_is_escalated() -> None:
    conv = conversation(
        ("user", "Your technician never showed up. Nobody called."),
        ("assistant", "I'm sorry. The next window is Thursday."),
        ("user", "I'm filing a complaint with the FCC and I'm cancelling. Put me through to a supervisor."),
    )
    assert PROGRAM.brief(conv).portal.header.sentiment.level == "escalated"


def test_brief_is_deterministic(harper_valley: list[LabelledExample]) -> None:
    for example in harper_valley[:10]:
        first = PROGRAM.brief(example.conversation).model_dump_json()
        assert load_program("rules").brief(example.conversation).model_dump_json() == first


_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=80)
#: Cue words in random order, so the property test reaches the rules and not just "no cue found".
_CUE_WORDS = (
    "my name is this it's i'm dana four one one guarantee supervisor ridiculous $40 january 3rd "
    "verified card savings . , ! ? the"
)
_WORDY = st.lists(
    st.sampled_from(_CUE_WORDS.split(" ")),
    max_size=15,
).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["user", "assistant"]), st.one_of(_TEXT, _WORDY)), min_size=1, max_size=12
    )
)
def test_any_conversation_gives_a_valid_brief(turns: list[tuple[str, str]]) -> None:
    conv = conversation(*turns)
    result = PROGRAM.brief(conv)
    portal = AgentAssistPortal.model_validate(result.portal.model_dump())
    assert [(t.role, t.content) for t in portal.transcript] == turns
    full_text = " ".join(content for _, content in turns)
    assert all(appears_in(item.value, full_text) for item in portal.information_collected)


def synthetic(call_id: str) -> LabelledExample:
    return next(example for example in read_examples(SYNTHETIC) if example.id == call_id)


_FIRST_PERSON_OR_FILLER = re.compile(r"(?<![\w-])(?:i|i'm|i've|my|me|um|uh)(?![\w-])", re.IGNORECASE)
#: The caller's words quoted, said who said them: the one place their "I" and "my" stay theirs.
_QUOTED = re.compile(r'Caller said: "[^"]*"')


@pytest.mark.skipif(not SYNTHETIC.exists(), reason="synthetic calls not written yet")
def test_prose_sections_are_third_person_without_fillers(harper_valley: list[LabelledExample]) -> None:
    """Transfer reason, summary and steps restate the call, or quote the caller saying so; nothing else keeps
    "I", "my" or "um" verbatim, and no quote goes unattributed."""
    examples = [example for example in read_examples(SYNTHETIC)] + harper_valley
    for example in examples:
        portal = PROGRAM.brief(example.conversation).portal
        for text in [
            portal.transfer_reason,
            *portal.call_summary,
            *(s.action for s in portal.suggested_next_steps),
        ]:
            unquoted = _QUOTED.sub("", text)
            assert not _FIRST_PERSON_OR_FILLER.search(unquoted) and '"' not in unquoted, (example.id, text)
        for step in portal.suggested_next_steps:
            assert len(step.action.split()) >= 2 and step.action[0].isupper(), (example.id, step.action)


@pytest.mark.skipif(not SYNTHETIC.exists(), reason="synthetic calls not written yet")
def test_fraud_call_gets_concrete_steps_and_a_normalized_reason() -> None:
    portal = PROGRAM.brief(synthetic("syn-002").conversation).portal
    actions = [s.action for s in portal.suggested_next_steps]
    assert any("fraud claim" in a and "$1,842" in a for a in actions)
    assert portal.suggested_next_steps[0].confidence == "high"
    assert portal.transfer_reason.startswith("Caller ") and "$1,842" in portal.transfer_reason
    # The one-time code read back for verification is not a detail of the request.
    assert all(item.value != "550913" for item in portal.information_collected)
    assert any("one-time code" in bullet for bullet in portal.call_summary)


@pytest.mark.skipif(not SYNTHETIC.exists(), reason="synthetic calls not written yet")
def test_handoff_sentence_gives_the_reason_and_first_step() -> None:
    """ "a billing specialist can request a meter read review" names who is needed and for what."""
    portal = PROGRAM.brief(synthetic("syn-042").conversation).portal
    assert "a billing specialist to request a meter read review" in portal.transfer_reason
    assert portal.suggested_next_steps[0].action == "Request a meter read review"
    values = {item.value for item in portal.information_collected}
    # "four hundred dollars" is the caller rounding the $412.66 bill, not a second amount.
    assert "$412.66" in values and "four hundred dollars" not in values


@pytest.mark.skipif(not SYNTHETIC.exists(), reason="synthetic calls not written yet")
def test_last_four_is_keyed_by_what_the_agent_asked_for() -> None:
    items = {
        item.key: item.value
        for item in PROGRAM.brief(synthetic("syn-014").conversation).portal.information_collected
    }
    assert items.get("SSN last four") == "5521"


@pytest.mark.skipif(not SYNTHETIC.exists(), reason="synthetic calls not written yet")
def test_reported_emergency_is_the_escalation_trigger() -> None:
    portal = PROGRAM.brief(synthetic("syn-024").conversation).portal
    assert marked(portal, "escalation_trigger") == [1]
    assert "emergency" in portal.transfer_reason
    assert portal.suggested_next_steps[0].confidence == "high"


def test_weekday_alone_is_keyed_as_a_day(harper_valley: list[LabelledExample]) -> None:
    example = next(e for e in harper_valley if e.id == "hv-010eaccb7a23436f")
    items = {
        item.key: normalize_text(item.value)
        for item in PROGRAM.brief(example.conversation).portal.information_collected
    }
    assert items.get("Day") == "monday"


def items_of(portal: AgentAssistPortal) -> dict[str, str]:
    return {normalize_text(item.key): item.value for item in portal.information_collected}


@pytest.mark.skipif(not SYNTHETIC.exists(), reason="synthetic calls not written yet")
def test_key_info_marks_where_facts_first_appear() -> None:
    # syn-004: the agent reading the claim number back (turn 6) adds nothing; the caller's body-shop detail does.
    claim = PROGRAM.brief(synthetic("syn-004").conversation).portal
    assert 3 in marked(claim, "key_info") and 6 not in marked(claim, "key_info")
    assert 7 in marked(claim, "key_info")
    # syn-012: "I need to cancel my membership" asks for something; it states no fact.
    assert 1 not in marked(PROGRAM.brief(synthetic("syn-012").conversation).portal, "key_info")
    # syn-040: what the agent found on the account ("I see a ProBlend 900 delivered last June").
    assert 4 in marked(PROGRAM.brief(synthetic("syn-040").conversation).portal, "key_info")


@pytest.mark.skipif(not SYNTHETIC.exists(), reason="synthetic calls not written yet")
@pytest.mark.parametrize(
    ("call_id", "key", "value"),
    [
        ("syn-014", "reference number", "S R 88213"),  # after the caller's name, letters spoken apart
        ("syn-010", "confirmation code", "Q7KL2P"),  # spelled phonetically, then repeated
        ("syn-030", "rental agreement number", "6610284"),  # "the agreement number is, um, 6610284"
        ("syn-046", "workspace id", "moreau-design"),  # no digits, hyphenated
        ("syn-040", "order number", "K L 7 7 0 4 1 9"),  # asked with "do you have the order number?"
        ("syn-032", "confirmation number", "77120953"),  # keyed by the agent's word, "number"
    ],
)
def test_identifiers_answer_the_agents_question(call_id: str, key: str, value: str) -> None:
    assert items_of(PROGRAM.brief(synthetic(call_id).conversation).portal).get(key) == value


@pytest.mark.parametrize(
    ("call_id", "key", "value"),
    [
        ("hv-035edd1d09c1433e", "account", "savings"),  # "my checking account oh i'm sorry no my savings"
        ("hv-08f360b3f3b844ef", "account", "checking"),  # "all is well" first, the account type next turn
        ("hv-084d8144809747cc", "company name", "fossil gas"),  # "uh the company is fossil gas"
        ("hv-0395f6997a8e4836", "account source", "checking"),  # "from my checking account"
    ],
)
def test_harper_valley_answers_are_cut_to_the_value(
    harper_valley: list[LabelledExample], call_id: str, key: str, value: str
) -> None:
    example = next(e for e in harper_valley if e.id == call_id)
    assert items_of(PROGRAM.brief(example.conversation).portal).get(key) == value


@pytest.mark.skipif(not SYNTHETIC.exists(), reason="synthetic calls not written yet")
def test_accepting_an_offered_transfer_is_not_the_trigger() -> None:
    # syn-002: "fine yeah put me through" answers the agent's handoff in turn 14, which is the trigger.
    assert marked(PROGRAM.brief(synthetic("syn-002").conversation).portal, "escalation_trigger") == [14]
    # syn-012: "Someone who can actually cancel it" is the caller's own demand.
    assert 13 in marked(PROGRAM.brief(synthetic("syn-012").conversation).portal, "escalation_trigger")


@pytest.mark.skipif(not SYNTHETIC.exists(), reason="synthetic calls not written yet")
def test_echoing_the_agent_in_disbelief_is_the_sentiment_shift() -> None:
    # syn-006: "Rejected? Why?" right after the agent says the refill was rejected.
    assert marked(PROGRAM.brief(synthetic("syn-006").conversation).portal, "sentiment_shift") == [5]


@pytest.mark.skipif(not SYNTHETIC.exists(), reason="synthetic calls not written yet")
def test_card_number_failing_luhn_is_still_sensitive() -> None:
    """syn-002's made-up card number fails the checksum; read out before verification it is still flagged."""
    portal = PROGRAM.brief(synthetic("syn-002").conversation).portal
    assert [flag.type for flag in portal.compliance_flags] == ["sensitive_data_unverified"]
    assert 7 in marked(portal, "key_info")


@pytest.mark.skipif(not SYNTHETIC.exists(), reason="synthetic calls not written yet")
def test_deadline_on_an_outcome_is_an_unfulfillable_promise() -> None:
    # syn-048: "Your account will be unfrozen by end of day today" -- a compliance review's outcome.
    portal = PROGRAM.brief(synthetic("syn-048").conversation).portal
    assert "unfulfillable_promise" in {flag.type for flag in portal.compliance_flags}
    # The code sent for verification (turn 6) is part of the check, not a commitment.
    assert marked(portal, "ai_commitment") == [10]


@pytest.mark.skipif(not SYNTHETIC.exists(), reason="synthetic calls not written yet")
def test_flagged_call_fills_its_third_step_with_the_flag() -> None:
    # syn-014: the dispute's two steps, then the FDCPA flag's check (it used to be dropped after two steps), one
    # sentence of its own: the flag's description glued after a template ("Review the compliance issue: The
    # caller disputed the debt or asked for contact to stop") read as neither; the flag itself says what it found.
    steps = PROGRAM.brief(synthetic("syn-014").conversation).portal.suggested_next_steps
    assert len(steps) == 3
    assert steps[2].action == "Review the regulatory requirement flagged on this call before acting"


def test_prose_never_repeats_a_long_number_only_its_last_four() -> None:
    # syn-002: the caller reads a full card number before verification.
    example = next(e for e in read_examples(SYNTHETIC) if e.id == "syn-002")
    card = "4265 3188 0294 7716"
    assert card in " ".join(turn.content for turn in example.conversation.turns)
    portal = PROGRAM.brief(example.conversation).portal
    prose = [
        portal.transfer_reason,
        *portal.call_summary,
        *(step.action for step in portal.suggested_next_steps),
    ]
    assert all(not re.search(r"\d(?:[ .-]?\d){8,}", text) for text in prose)
    leaked = conversation(
        ("user", "hi my card is 4111-1111-1111-1112 and my ssn is 123-45-6789 and it was charged twice"),
        ("assistant", "I can't open a dispute, let me transfer you to a specialist."),
    )
    brief = PROGRAM.brief(leaked).portal
    for text in (brief.transfer_reason, *brief.call_summary, *(s.action for s in brief.suggested_next_steps)):
        assert "1111-1112" not in text and "45-6789" not in text


def test_no_next_step_for_what_the_call_says_is_done() -> None:
    # "$122 has been transferred" then "Complete the transfer": a step for what is already done.
    transferred = brief(
        ("assistant", "How can I help?"),
        ("user", "I want to transfer 122 dollars from savings to checking."),
        ("assistant", "Done. The $122 has been transferred from savings to checking."),
        ("user", "Thanks, can I talk to someone about a loan?"),
    )
    assert not any(s.action.startswith("Complete the transfer") for s in transferred.suggested_next_steps)
    # "File a fraud claim" when the call says the claim is already open.
    claimed = brief(
        ("assistant", "How can I help?"),
        ("user", "There are charges on my card I didn't make, about $500."),
        ("assistant", "I see a fraud claim is already open for those charges."),
        ("user", "Then why is nothing happening? Get me a person."),
    )
    assert not any(s.action.startswith("File a fraud claim") for s in claimed.suggested_next_steps)


def test_a_step_stays_when_the_call_says_it_was_not_done_or_did_something_else() -> None:
    not_done = brief(
        ("assistant", "How can I help?"),
        ("user", "There are charges on my card I didn't make, about $500."),
        ("assistant", "No fraud claim has been filed yet. A fraud lock was placed on your card."),
        ("user", "Okay, get me a person."),
    )
    assert any(s.action.startswith("File a fraud claim") for s in not_done.suggested_next_steps)


def test_no_two_steps_take_the_same_verb_to_the_same_thing() -> None:
    first = "Process a refund of $486.20 for the postponed event"
    assert _same_step("Process a refund of $486.20 to the original payment method", first)
    assert not _same_step("Confirm the refund timeline with the caller", first)


def test_moving_out_is_no_request_to_update_the_callers_details() -> None:
    # "Update the caller's details" though nothing about the caller's records changed.
    portal = brief(
        ("assistant", "How can I help?"),
        (
            "user",
            "hi i moved out of unit 204 on january thirty first and i still haven't gotten my deposit back",
        ),
        ("assistant", "Let me look into the deposit for you."),
    )
    assert not any("details" in s.action for s in portal.suggested_next_steps)
    updated = brief(
        ("assistant", "How can I help?"),
        ("user", "We moved last month, so the address on file is wrong."),
        ("assistant", "I can help with that."),
    )
    assert any(s.action.startswith("Update the caller's details") for s in updated.suggested_next_steps)


def test_what_the_agent_saw_is_a_sentence_saying_who_found_it() -> None:
    # "I can see your account and yesterday's appointment" stood as the bullet "The caller's account and
    # yesterday's appointment."
    portal = brief(
        ("assistant", "How can I help?"),
        ("user", "I missed my appointment yesterday and got charged a fee."),
        ("assistant", "Okay, I can see your account and yesterday's appointment right here now."),
        ("user", "So can you remove the fee?"),
    )
    assert "AI found the caller's account and yesterday's appointment right here now." in portal.call_summary
    assert not any(bullet.startswith("The caller's account") for bullet in portal.call_summary)
