"""``information_collected`` extraction of the rules program: spans of dates, places, measures and
other details said in passing, on short spoken-style calls written for these tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from assist.grounding import appears_in
from assist.programs._rules_slots import collect, mentions
from assist.programs.rules import RulesProgram
from assist.schema import Conversation, Turn


def call(*turns: tuple[str, str]) -> Conversation:
    return Conversation(
        id="conv-slots",
        user_id="+15550001111",
        created_at=datetime(2026, 2, 3, 9, 30, tzinfo=UTC),
        status="ended",
        turns=[Turn(role=role, content=content) for role, content in turns],  # type: ignore[arg-type]
    )


def items(*turns: tuple[str, str]) -> dict[str, str]:
    return {slot.key: slot.value for slot in collect(mentions(call(*turns)))}


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
    # "separately" holds "rate" but names no rate: context nouns count at a word start only.
    assert found["Amount"] == "$250 a month"
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
    conversation = call(*turns)
    result = RulesProgram().brief(conversation)
    text = " ".join(turn.content for turn in conversation.turns)
    assert result.ungrounded_dropped == 0
    assert result.portal.information_collected
    assert all(appears_in(item.value, text) for item in result.portal.information_collected)
