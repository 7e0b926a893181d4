"""``information_collected`` extraction of the rules program: spans of dates, places, measures and
other details said in passing, on short spoken-style calls written for these tests; the look-ups that keep a
long turn cheap answer what the plain definitions answer."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assist.grounding import appears_in
from assist.programs.rules.details import (
    Slot,
    _inside,
    _SpokenAmounts,
    _union,
    _without_filler_tail,
    collect,
    mentions,
)
from tests.programs.rules.conftest import PROGRAM, conversation


def items(*turns: tuple[str, str]) -> dict[str, str]:
    return {slot.key: slot.value for slot in collect(mentions(conversation(*turns)))}


def test_two_days_or_a_span_are_one_detail_with_a_plural_key() -> None:
    found = items(
        ("assistant", "Okay, I see charges of $18.50 on March 3rd and March 17th."),
        ("user", "Yeah, and we booked the cabin from June 2nd to June 5th."),
    )
    assert found["Charge dates"] == "March 3rd and March 17th"
    assert found["Dates"] == "June 2nd to June 5th"


def test_a_day_with_a_time_window_is_kept_whole() -> None:
    found = items(("assistant", "The earliest service window I have is Friday between 9 and 11 AM."))
    assert found["Window"] == "Friday between 9 and 11 AM"


def test_numeric_date_of_birth() -> None:
    found = items(("user", "um my birthday is 7 22 1985 if you need that"))
    assert found["Date of birth"] == "7 22 1985"


def test_places_are_keyed_by_their_cue() -> None:
    found = items(
        ("user", "there's a purchase in boston i didn't make and i'm in texas right now"),
        (
            "user",
            "Also we're headed to Phoenix tomorrow, and the flight goes from Seattle to Honolulu first.",
        ),
    )
    assert found["Location"] == "boston"
    assert found["Caller location"] == "texas"
    assert found["Destination"] == "Phoenix"
    assert found["Route"] == "Seattle to Honolulu"


def test_capitalized_words_that_are_not_places() -> None:
    found = items(("user", "Can somebody explain it in Spanish? It started in January."))
    assert "Location" not in found


def test_where_question_takes_the_callers_description() -> None:
    found = items(
        ("assistant", "Is everyone okay? Where are you right now?"),
        ("user", "Um, the gas station on Route 9, just past exit 14, near Millbrook. Everyone's fine."),
    )
    assert found["Location"] == "gas station on Route 9, just past exit 14, near Millbrook"


def test_a_name_asked_together_with_a_date_of_birth() -> None:
    found = items(
        ("assistant", "Sure. What's the member's name and date of birth?"),
        ("user", "Rosa Diaz, uh, May 2nd, 1950."),
    )
    assert found["Member name"] == "Rosa Diaz"
    assert found["Date of birth"] == "May 2nd, 1950"


def test_measures_are_keyed_by_what_they_measure() -> None:
    found = items(
        ("assistant", "Your hemoglobin was 11.2 and your TSH was 4.6. Your usual is about 700."),
        ("assistant", "This month you used 1,850 kilowatt hours."),
    )
    assert found["Hemoglobin"] == "11.2"
    assert found["TSH"] == "4.6"
    assert found["Usage"] == "1,850 kilowatt hours"
    # A vague subject with a bare number ("your usual is about 700") says too little to keep.
    assert "700" not in found.values()


def test_medication_allergy_and_provider() -> None:
    found = items(
        ("user", "It's for my atorvastatin 40 mg, and I'm allergic to penicillin."),
        ("assistant", "Dr. Okonkwo will need to approve the refill."),
    )
    assert found["Medication"] == "atorvastatin 40 mg"
    assert found["Allergy"] == "penicillin"
    assert found["Provider"] == "Dr. Okonkwo"


def test_full_card_number_yields_only_its_last_four() -> None:
    found = items(("user", "i don't have the card but the number is 5123 8890 1122 4409 if that helps"))
    assert found["Card last four"] == "4409"
    assert all("5123" not in value for value in found.values())


def test_recurring_amount_order_total_and_unlabelled_reference() -> None:
    found = items(
        ("assistant", "I see order 77031 from Taco Town for $24.10."),
        ("user", "Right. And separately I want to pay $250 a month. Oh and it's file RT55021."),
    )
    assert found["Order total"] == "$24.10"
    # "separately" holds "rate" but names no rate: context nouns count at a word start only. A recurring
    # amount without a noun is keyed by its period, and its value is the amount alone.
    assert found["Monthly"] == "$250"
    # No noun after the label: the label alone, as said ("file RT55021").
    assert found["File"] == "RT55021"


def test_products_plans_and_businesses() -> None:
    found = items(
        ("user", "I own Ortiz Plumbing and we bought a Zephyr 450 on the annual Family plan."),
    )
    assert found["Business name"] == "Ortiz Plumbing"
    assert found["Product"] == "Zephyr 450"
    assert found["Plan"] == "annual Family plan"


def test_agent_timestamps_are_kept_but_promised_times_are_not() -> None:
    found = items(
        ("assistant", "I see a password reset at 3:15 this afternoon from a new device."),
        ("assistant", "A technician will call you back by 5 PM."),
    )
    assert found["Time"] == "3:15 this afternoon"
    assert "5 PM" not in found.values()


@pytest.mark.parametrize(
    "turns",
    [
        (("user", "i'm in ohio and there's charges from miami on january 9th and january 23rd"),),
        (("assistant", "Where are you?"), ("user", "Near Flagstaff. My A1C was 7.8 percent.")),
    ],
)
def test_collected_values_are_grounded_in_the_brief(turns: tuple[tuple[str, str], ...]) -> None:
    call = conversation(*turns)
    result = PROGRAM.brief(call)
    text = " ".join(turn.content for turn in call.turns)
    assert result.ungrounded_dropped == 0
    assert result.portal.information_collected
    assert all(appears_in(item.value, text) for item in result.portal.information_collected)


def test_identifiers_spelled_with_letters_or_read_as_spoken_digits() -> None:
    found = items(
        ("user", "Hi, it's about claim B T 4 4 0 1 7. The account number on the bill is K 2 0 0 9 3 1 5."),
        ("assistant", "thanks do you have your warranty number"),
        ("user", "yeah its w r five five one oh two wait no w r five five one oh three"),
        ("user", "and the officer said the report number is thirty one dash oh two two eight"),
    )
    assert found["Claim"] == "B T 4 4 0 1 7"
    assert found["Account number"] == "K 2 0 0 9 3 1 5"
    # The caller corrects themselves: the last identifier in the reply wins.
    assert found["Warranty number"] == "w r five five one oh three"
    assert found["Report number"] == "thirty one dash oh two two eight"


def test_spoken_numbers_that_are_not_identifiers() -> None:
    found = items(
        ("assistant", "Can I get your order number?"),
        ("user", "I have it, give me two minutes, it's on one of the two emails."),
    )
    assert "Order number" not in found


def test_a_phonetic_spelling_is_not_cut_into_an_identifier() -> None:
    found = items(
        ("assistant", "What's your booking number?"),
        ("user", "It's D as in David, 7 7 3 0 1."),
        ("assistant", "Thanks. Booking D 7 7 3 0 1, for March 4th."),
    )
    assert found["Booking"] == "D 7 7 3 0 1"


def test_a_date_of_birth_with_its_year_said_aloud() -> None:
    found = items(
        ("assistant", "can you confirm your date of birth"),
        ("user", "october second nineteen eighty four"),
    )
    assert found["Date of birth"] == "october second nineteen eighty four"


def test_whose_last_four_follows_the_question_and_ending_in() -> None:
    found = items(
        ("assistant", "Can I have the loan number and the last four of your Social Security number?"),
        ("user", "Loan number is, um... 7 1 1 0 4 2 6 9. Last four is 4410."),
        ("assistant", "And the last four digits of the phone number on the account?"),
        ("user", "It's this one. 8 8 0 2."),
        ("user", "Oh and the card ending in 5531 was the one they charged."),
    )
    assert found["SSN last four"] == "4410"
    assert found["Loan number"] == "7 1 1 0 4 2 6 9"
    assert found["Phone last four"] == "8 8 0 2"
    assert found["Card last four"] == "5531"


def test_where_a_one_time_code_goes_is_not_a_detail() -> None:
    found = items(("assistant", "I'm texting a code to the phone number on file ending in 3307."))
    assert "3307" not in found.values()


def test_a_weekday_said_in_passing_is_left_out_but_a_chosen_day_is_kept() -> None:
    passing = items(
        ("user", "I called Tuesday about it. The notice says it shuts off Friday."),
        ("assistant", "Service will be disconnected on Friday, March 20th."),
    )
    assert "Tuesday" not in passing.values()
    assert passing["Disconnection date"] == "Friday, March 20th"
    chosen = items(("assistant", "what day works for you"), ("user", "thursday"))
    assert chosen["Day"] == "thursday"


def test_amounts_keyed_by_what_they_are() -> None:
    assert (
        items(("user", "there's like four thousand dollars of damage"))["Damage"] == "four thousand dollars"
    )
    found = items(
        ("assistant", "Your rent went from $1,450 to $1,525. Last month's payment was short by $75.25."),
        ("assistant", "Accounts over $5,000 need a review. Your plan is $39.99 a month."),
    )
    assert (
        items(("assistant", "i refunded twelve dollars and forty cents"))["Refund"]
        == "twelve dollars and forty cents"
    )
    assert found["Rent"] == "$1,450"
    assert found["New rent"] == "$1,525"
    assert found["Shortfall"] == "$75.25"
    assert found["Monthly"] == "$39.99"
    # A limit in a rule is not an amount of this call.
    assert "$5,000" not in found.values()


def test_bank_task_details_said_the_way_real_callers_say_them() -> None:
    found = items(
        ("assistant", "what is your phone number"),
        ("user", "five five five two one two nine nine eight one"),
        ("assistant", "your password reset link has been sent to your phone"),
        ("assistant", "what is the company address"),
        ("user", "four one two"),
        ("user", "elm street"),
    )
    # The caller's own number is the header's; an address cut after its house number is no address.
    assert found == {"Password reset": "phone"}


def test_spelling_cues_and_relative_clauses_are_not_slots() -> None:
    found = items(
        ("user", "It's M as in Mary, 4 4 1 0 9."),
        ("assistant", "The damage came from a flood, which is excluded under your policy."),
        ("user", "It was not a flood."),
    )
    assert "Location" not in found
    assert not any("excluded" in key.lower() for key in found)


def test_a_patient_who_is_the_caller_is_not_listed_but_a_relative_is() -> None:
    own = items(
        ("assistant", "Can I have the patient's name and date of birth?"),
        ("user", "Marcus Hale. June 3rd, 1980."),
        ("assistant", "Thank you, Marcus, you're verified."),
    )
    assert "Patient name" not in own
    relative = items(
        ("assistant", "Can I have the patient's name and date of birth?"),
        ("user", "Elena Hale, she's my mother. June 3rd, 1950."),
        ("assistant", "Thank you, I found her chart."),
    )
    assert relative["Patient name"] == "Elena Hale"  # the name, not what the caller says of her


def test_two_addresses_joined_by_to_are_origin_and_destination() -> None:
    found = items(("assistant", "Job for November 2nd, 15 Oak Lane to 204 Ridge Road. Is that right?"))
    assert found["Origin"] == "15 Oak Lane"
    assert found["Destination"] == "204 Ridge Road"


def test_a_spoken_amount_rounded_again_is_the_same_money() -> None:
    found = items(
        ("assistant", "i refunded your fare of nineteen dollars and sixty cents"),
        ("user", "i dont want nineteen bucks i want a real person"),
    )
    assert list(found.values()) == ["nineteen dollars and sixty cents"]


def test_hyphenated_identifiers_and_amounts_are_read_whole() -> None:
    found = items(
        ("assistant", "May I have your name and policy number?"),
        ("user", "Beverly Tolliver. Policy number is TM-2281-0657."),
        ("assistant", "Your account balance is $84,209, and it was locked this morning."),
        ("user", "Order number's PP-58812. I paid the deposit, Forty-five hundred dollars, on my Visa."),
    )
    assert found["Policy number"] == "TM-2281-0657"
    assert found["Balance"] == "$84,209"
    assert found["Order number"] == "PP-58812"
    assert found["Deposit"] == "Forty-five hundred dollars"


def test_what_only_looks_like_a_date_an_address_or_an_email_is_none() -> None:
    found = items(
        ("assistant", "Can you give me the email on the account?"),
        ("user", "i bought a monthly pass for november 96 dollars"),
        ("assistant", "thanks i see a visit on august 14 at the elm street clinic"),
    )
    assert "Email" not in found
    assert "november 96" not in found.values()
    assert not any("at the elm" in value for value in found.values())


def test_any_named_number_id_or_code_is_collected_and_corrections_win() -> None:
    found = items(
        ("user", "It's for my son, his student ID is, uh, B 0 0 7 7 3 1 5 2."),
        ("user", "the citation number is p 2 0 7 7 5 1 9 and it was on elm"),
        ("user", "The loan number is, um, 7730-0418-22. Wait, no, 7730-0418-26."),
        ("user", "We bought a 2021 Subaru Outback in March."),
    )
    assert found["Student ID"] == "B 0 0 7 7 3 1 5 2"
    assert found["Citation number"] == "p 2 0 7 7 5 1 9"
    assert found["Loan number"] == "7730-0418-26"
    assert found["Vehicle"] == "2021 Subaru Outback"


def test_a_spelled_name_or_a_social_security_number_is_no_identifier() -> None:
    found = items(
        ("assistant", "What's your rewards number?"),
        ("user", "It's LR 5520-9931. And it's Celeste Moreau. M-O-R-E-A-U."),
        ("assistant", "Can you read me the card number on the back of the first card?"),
        (
            "user",
            "Okay. 6 0 3 9 1 1 4 2 0 7. Oh, he also asked for my Social Security number. It's 3 1 4, 6 2, 8 8 0 5.",
        ),
    )
    assert found["Rewards number"] == "LR 5520-9931"
    assert found["Card number"] == "6 0 3 9 1 1 4 2 0 7"
    assert not any("8 8 0 5" in value for value in found.values())


def test_a_name_given_for_an_address_and_a_pronoun_asked_about_are_no_details() -> None:
    found = items(
        ("assistant", "Can I have your name and the property address?"),
        ("user", "Beata Wojcik."),
        ("assistant", "How many cards did you buy, and do you have them with you?"),
        ("user", "Three."),
    )
    assert "Property address" not in found
    assert "Three" not in found.values()


_AMOUNTS = st.lists(
    st.tuples(
        st.integers(0, 6),
        st.sampled_from(
            [
                "twenty dollars",
                "Twenty dollars",
                "twenty three bucks",
                "twenty three dollars and ten cents",
                "three dollars",
                "twenty three dollars",
                "ten cents",
            ]
        ),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(_AMOUNTS)
def test_a_spoken_amount_rounds_again_what_a_longer_one_said_before(said: list[tuple[int, str]]) -> None:
    spoken = [Slot("Amount", value, turn) for turn, value in said]
    looked_up = _SpokenAmounts(spoken)
    for slot in spoken:
        number = re.sub(r"\s(?:dollars|bucks)$", "", slot.value.lower())
        again = bool(re.match(r"[a-z ]+ (?:dollars|bucks)$", slot.value, re.IGNORECASE)) and any(
            other.turn < slot.turn
            and other.value.lower().startswith(f"{number} ")
            and other.value != slot.value
            for other in spoken
        )
        assert looked_up.rounded_again(slot) == again


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["um", "Uh", "er", "like", "likes", " ", ",", "my", "checking", "x"]), max_size=14
    )
)
def test_a_trailing_filler_goes_as_the_pattern_says(said: list[str]) -> None:
    text = "".join(said)
    assert _without_filler_tail(text) == re.sub(
        r"(?:[ ,]+(?:um+|uh+|er|like))+$", "", text, flags=re.IGNORECASE
    )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 40), st.integers(1, 8)), max_size=6),
    st.lists(st.tuples(st.integers(0, 40), st.integers(1, 8)), max_size=6),
    st.integers(0, 50),
)
def test_a_position_is_inside_the_spans_when_one_holds_it(
    first: list[tuple[int, int]], second: list[tuple[int, int]], position: int
) -> None:
    spans = [(start, start + size) for start, size in first + second]
    merged = _union([(s, s + n) for s, n in first], [(s, s + n) for s, n in second])
    assert _inside(position, merged) == any(start <= position < end for start, end in spans)


def test_a_date_said_for_another_purpose_is_not_a_date_of_birth_even_when_one_was_asked() -> None:
    # A coverage start date given in reply to "date of birth?" keeps its own purpose; the birth date said
    # later is the date of birth, and the name given first is no date at all.
    found = items(
        ("assistant", "Can I get your name and date of birth?"),
        (
            "user",
            "Sure, it's Dana Whitfield. I'm turning sixty-five and my Part B starts November first, twenty twenty-six.",
        ),
        ("assistant", "Got it. And your date of birth?"),
        ("user", "October twenty-ninth, nineteen sixty-one."),
    )
    assert found == {
        "Start date": "November first, twenty twenty-six",
        "Date of birth": "October twenty-ninth, nineteen sixty-one",
    }


def test_a_date_stated_as_a_birth_date_is_one_and_a_start_date_stays_a_start_date() -> None:
    found = items(
        ("assistant", "Can I get your date of birth?"),
        (
            "user",
            "Well, my coverage starts November first, twenty twenty-six. My birthday is October 29th, 1961.",
        ),
    )
    assert found == {"Start date": "November first, twenty twenty-six", "Date of birth": "October 29th, 1961"}


def test_a_yes_or_no_question_and_a_courtesy_reply_collect_nothing() -> None:
    # "We've covered → Thanks" was collected: no detail was asked for, and "Thanks." answers nothing.
    assert (
        items(
            ("user", "My card was declined at the store."),
            ("assistant", "I've unblocked it. Can you confirm we've covered everything?"),
            ("user", "Thanks."),
        )
        == {}
    )
    assert (
        items(
            ("user", "My card was declined at the store."),
            ("assistant", "What's the merchant name?"),
            ("user", "Thanks."),
        )
        == {}
    )
    # ("Going", "Hi") was collected from "What's going on ...?" answered with a greeting.
    assert items(("assistant", "What's going on with the card today?"), ("user", "Hi.")) == {}
