"""No brief carries a whole card number or SSN, whoever wrote it: the one reader of card numbers and SSNs
(``assist.programs.rules.text.secret_numbers``), what it leaves alone, the reviewer's cases, and properties over
random card numbers and SSNs written, grouped or said digit by digit in caller turns, for ``rules`` and for the
model program's masking of a model's answer that repeats them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assist.programs import BriefSection
from assist.programs.dspy_program import assemble_portal
from assist.programs.rules import RulesProgram, secret_numbers
from assist.programs.rules.text import digit_runs, luhn_ok
from assist.programs.salvage import ModelMarker
from assist.schema import AgentAssistPortal, ComplianceFlag, Conversation, InfoItem, NextStep, Turn

RULES = RulesProgram()
_SPOKEN = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
#: Digits said as words, one or two at a time ("double five"), as a brief might repeat a piece of a number.
_SPOKEN_RUN = re.compile(
    r"\b(?:(?:double )?(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)\b(?:[ ,-]+(?:dash )?)?){2,}"
)
_MASK = re.compile(r"\[number ending \d{4}\]")


def call(*turns: tuple[str, str]) -> Conversation:
    return Conversation(
        id="conv-secret",
        user_id="+15551234567",
        created_at=datetime(2026, 1, 5, 14, 3, tzinfo=UTC),
        status="ended",
        duration_seconds=120,
        turns=[Turn(role=role, content=content) for role, content in turns],  # type: ignore[arg-type]
    )


def brief_texts(portal: AgentAssistPortal) -> list[str]:
    """Every text of a brief but the transcript's turns (the call as said) and the caller id (not speech)."""
    return [
        portal.header.caller_name,
        portal.transfer_reason,
        *portal.call_summary,
        *(part for item in portal.information_collected for part in (item.key, item.value)),
        *(step.action for step in portal.suggested_next_steps),
        *(flag.description for flag in portal.compliance_flags),
        *(marker.description for turn in portal.transcript for marker in turn.markers),
    ]


def said_digits(text: str) -> list[str]:
    """Every digit string of two digits and up a text spells out, written or as words, masks left out (a turn
    number, "(turn 3)", is no piece of a number)."""
    text = _MASK.sub(" ", text)
    spoken: list[str] = []
    for run in _SPOKEN_RUN.findall(text.lower()):
        digits, twice = "", False
        for word in re.findall(r"[a-z]+", run.replace("dash", "")):
            if word == "double":
                twice = True
                continue
            digits += str(_SPOKEN.index("zero" if word == "oh" else word)) * (2 if twice else 1)
            twice = False
        spoken.append(digits)
    return [digits for _, _, digits in digit_runs(text) if len(digits) >= 2] + spoken


# --- the reader --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "context", "kind", "digits"),
    [
        ("card 4111 1111 1111 1111 please", "", "card", "4111111111111111"),
        ("card 4111-1111-1111-1111.", "", "card", "4111111111111111"),
        ("card 4111.1111.1111.1111.", "", "card", "4111111111111111"),
        ("it's 4 1 1 1, 1 1 1 1, 1 1 1 1, 1 1 1 1", "", "card", "4111111111111111"),
        ("four one one one one one one one one one one one one one one one", "", "card", "4111111111111111"),
        (
            "four double one one double one one one one one one one one one one one",
            "",
            "card",
            "4111111111111111",
        ),
        ("it's 521-44-7093", "", "ssn", "521447093"),
        ("it's 521 44 7093", "", "ssn", "521447093"),
        ("it's 521.44.7093", "", "ssn", "521447093"),
        ("my social is 5 2 1, 4 4, 7 0 9 3", "", "ssn", "521447093"),
        ("It's five two one four four seven oh nine three.", "Can you confirm your SSN?", "ssn", "521447093"),
        (
            "nine one two dash four four dash eight zero six one",
            "Your Social Security number?",
            "ssn",
            "912448061",
        ),
    ],
)
def test_card_numbers_and_ssns_are_read_however_they_are_said(
    said: str, context: str, kind: str, digits: str
) -> None:
    found = secret_numbers(said, context=context)
    assert [(s.kind, s.digits) for s in found] == [(kind, digits)]


@pytest.mark.parametrize(
    ("said", "context"),
    [
        ("call me back at 555-123-4567", ""),
        ("my number is (555) 123-4567, or +1 555 123 4567", ""),
        ("five five five one two three four five six seven", ""),  # a phone number said aloud
        ("the order number is 123456789", "What's your order number?"),
        ("my ZIP is 44107-1234", "And the ZIP code?"),
        ("it was $1,234,567.89 in total, then 12.05.2024", ""),
        ("on 12/05/2024 at 4:18 p.m., and I called like one or two times, maybe three or four", ""),
        (
            "Loan number is, hold on... 3 0 0 7 7 1 5 2 9. Last four is 2218.",
            "your loan number and the last four of your Social Security number?",
        ),
        ("the last four of my social are 7093", ""),
    ],
)
def test_phone_numbers_orders_zips_amounts_dates_and_counts_are_no_secret(said: str, context: str) -> None:
    assert secret_numbers(said, context=context) == []


# --- the reviewer's cases ------------------------------------------------------------------------------------


def reviewed(said: str) -> AgentAssistPortal:
    return RULES.brief(call(("assistant", "How can I help?"), ("user", said))).portal


def test_a_card_number_said_in_words_is_masked_and_collected_as_its_last_four() -> None:
    said = "My card number is four one one one one one one one one one one one one one one one and it got declined."
    portal = reviewed(said)
    assert portal.transfer_reason == "Caller's card number is [number ending 1111]."
    assert "Caller's card number is [number ending 1111] and it got declined." in portal.call_summary
    assert [(i.key, i.value) for i in portal.information_collected] == [("Card last four", "one one one one")]
    assert all(digits in {"1111"} for text in brief_texts(portal) for digits in said_digits(text))


def test_an_ssn_said_in_words_is_masked() -> None:
    portal = reviewed("My social security number is one two three four five six seven eight nine")
    assert portal.transfer_reason == "Caller's social security number is [number ending 6789]."
    assert "Caller's social security number is [number ending 6789]." in portal.call_summary
    assert portal.information_collected == []
    assert all(not said_digits(text) for text in brief_texts(portal))


def test_an_ssn_after_a_comma_leaves_no_half_number() -> None:
    portal = reviewed("My SSN, it's five two one four four seven zero nine three")
    assert portal.transfer_reason == "Caller's SSN, it's [number ending 7093]."
    assert all(not said_digits(text) for text in brief_texts(portal))


def test_a_card_number_in_groups_is_not_cut_to_a_shorter_number() -> None:
    portal = reviewed("The card is 4111 1111 1111 1111 and it was declined")
    assert 'Caller said: "The card is [number ending 1111] and it was declined."' in portal.call_summary
    assert [(i.key, i.value) for i in portal.information_collected] == [("Card last four", "1111")]
    assert all(digits in {"1111"} for text in brief_texts(portal) for digits in said_digits(text))


def test_a_cut_mask_leaves_nothing_of_the_number() -> None:
    said = (
        "So my new Visa credit card from the bank, the number on the front is four one one one one one one one one "
        "one one one one one one one."
    )
    portal = reviewed(said)
    assert all("[number" not in text or _MASK.search(text) for text in brief_texts(portal))
    assert all(digits in {"1111"} for text in brief_texts(portal) for digits in said_digits(text))


# --- properties -----------------------------------------------------------------------------------------------


def _with_check_digit(body: str) -> str:
    return next(body + check for check in "0123456789" if luhn_ok(body + check))


CARDS = st.integers(13, 19).flatmap(lambda n: st.text("0123456789", min_size=n - 1, max_size=n - 1))
CARDS = CARDS.map(_with_check_digit)
SSNS = st.text("0123456789", min_size=9, max_size=9)


@st.composite
def spoken(draw: st.DrawFn, digits: str, groups: list[int]) -> str:
    """Digits said one by one ("oh" or "zero" for 0, a pair sometimes "double five"), the groups after a space, a
    comma or "dash"."""
    said: list[str] = []
    at = 0
    for size in groups:
        words: list[str] = []
        end = at + size
        while at < end:
            digit = digits[at]
            name = draw(st.sampled_from(["zero", "oh"])) if digit == "0" else _SPOKEN[int(digit)]
            if at + 1 < end and digits[at + 1] == digit and draw(st.booleans()):
                words.append(f"double {name}")
                at += 2
            else:
                words.append(name)
                at += 1
        said.append(" ".join(words))
    return draw(st.sampled_from([" ", ", ", " dash "])).join(said)


@st.composite
def written(draw: st.DrawFn, digits: str, groups: list[int]) -> str:
    """The digits in groups (spaces, dashes or dots), all together, or one by one."""
    how = draw(st.sampled_from(["groups", "together", "one by one"]))
    if how == "together":
        return digits
    if how == "one by one":
        return " ".join(digits)
    parts, at = [], 0
    for size in groups:
        parts.append(digits[at : at + size])
        at += size
    return draw(st.sampled_from([" ", "-", "."])).join(parts)


@st.composite
def a_card(draw: st.DrawFn) -> tuple[str, str]:
    digits = draw(CARDS)
    groups = [4] * (len(digits) // 4) + ([len(digits) % 4] if len(digits) % 4 else [])
    form = draw(st.one_of(written(digits, groups), spoken(digits, groups)))
    return digits, form


@st.composite
def an_ssn(draw: st.DrawFn) -> tuple[str, str]:
    digits = draw(SSNS)
    return digits, draw(st.one_of(written(digits, [3, 2, 4]), spoken(digits, [3, 2, 4])))


_CARD_TURNS = [
    "My card number is {}.",
    "My card number is {} and it got declined.",
    "Yeah, hi. The card is {} and it was declined at the store.",
    "I tried to pay with my Visa, {}, and it didn't go through.",
    "Sure, it's {}.",
    "Okay so the number on the front of the card is {}, can you see why it keeps failing?",
]
#: An SSN said first thing names itself; one answering the AI's question may not.
_SSN_TURNS = [
    "My social security number is {}.",
    "My SSN, it's {}.",
    "Sure, my social is {}, if you need it.",
    "I think they need my SSN, which is {}, to open the claim.",
]
_ANSWERS = ["Yes, it's {}.", "{}"]


@st.composite
def calls_with_a_secret(draw: st.DrawFn) -> tuple[Conversation, str]:
    """A short call where the caller reads a card number or SSN out: first thing, when the AI asks, or later."""
    card = draw(st.booleans())
    digits, form = draw(a_card() if card else an_ssn())
    asked = "What's the card number?" if card else "Can you confirm your Social Security number?"
    opening = (
        "Hi, my card keeps getting declined and I need help." if card else "Hi, I need help with my claim."
    )
    turns = [("assistant", "Thanks for calling. How can I help?")]
    when = draw(st.sampled_from(["first", "asked", "later"]))
    if when == "first":
        said = draw(st.sampled_from(_CARD_TURNS if card else _SSN_TURNS)).format(form)
        turns += [("user", said), ("assistant", asked), ("user", "Sure, give me a second.")]
    elif when == "asked":
        said = draw(st.sampled_from([*(_CARD_TURNS if card else _SSN_TURNS), *_ANSWERS])).format(form)
        turns += [("user", opening), ("assistant", asked), ("user", said)]
    else:
        said = draw(st.sampled_from(_CARD_TURNS if card else _SSN_TURNS)).format(form)
        turns += [
            ("user", opening),
            ("assistant", "I can look into that. What happened exactly?"),
            ("user", said),
        ]
    turns += [("assistant", "Thank you. I'm transferring you to a specialist who can help with this.")]
    return call(*turns), digits


@settings(max_examples=300, deadline=None)
@given(calls_with_a_secret())
def test_no_rules_brief_repeats_a_card_number_or_ssn_or_a_piece_of_one(
    said: tuple[Conversation, str],
) -> None:
    conversation, digits = said
    portal = RULES.brief(conversation).portal
    for text in brief_texts(portal):
        # Nothing of the number but its last four digits, written or in words: no half-number either.
        assert all(found == digits[-4:] for found in said_digits(text)), (text, digits)


@settings(max_examples=200, deadline=None)
@given(calls_with_a_secret(), st.data())
def test_a_model_answer_repeating_a_card_number_or_ssn_is_masked(
    said: tuple[Conversation, str], data: st.DataObject
) -> None:
    conversation, digits = said
    card = len(digits) != 9
    groups = [4] * (len(digits) // 4) + ([len(digits) % 4] if len(digits) % 4 else []) if card else [3, 2, 4]
    # The model repeats the number in any form, and not always saying what it is.
    again = [data.draw(st.one_of(written(digits, groups), spoken(digits, groups))) for _ in range(4)]
    values: dict[BriefSection, Any] = {
        "caller_name": "Pat Doe",
        "sentiment": "calm",
        "transfer_reason": f"Caller read {again[0]} out before verification",
        "call_summary": [
            f"Caller gave {again[1]}",
            "Caller needs a specialist",
            "The AI transferred the call",
        ],
        "information_collected": [
            InfoItem(key="Number", value=again[2]),
            InfoItem(key="Reason", value="help"),
        ],
        "suggested_next_steps": [NextStep(action=f"Check {again[3]} on the account", confidence="high")],
        "markers": [ModelMarker(turn=1, type="key_info", description=f"Caller shared {again[0]}", item=0)],
        "compliance_flags": [
            ComplianceFlag(type="sensitive_data_unverified", description=f"Read {again[1]} aloud")
        ],
    }
    portal, _, _, _ = assemble_portal(values, conversation, rules=lambda: RULES.brief(conversation).portal)
    for text in brief_texts(portal):
        assert all(digits not in found for found in said_digits(text)), (text, digits)
