from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assist.errors import InvalidPhoneNumber
from assist.interchange import read_examples
from assist.phone import normalize_phone
from tests.conftest import ROOT


@pytest.mark.parametrize(
    "raw",
    [
        "+15551234567",
        "+1 (555) 123-4567",
        "%2B15551234567",
        "%2b1 555 123 4567",
        "(555) 123-4567",
        " +1.555.123.4567 ",
    ],
)
def test_spellings_of_one_number_normalize_to_e164(raw: str) -> None:
    assert normalize_phone(raw) == "+15551234567"


@pytest.mark.parametrize(
    "raw", ["", "   ", "hello", "12", "+1", "%2B", "not-a-number", "+1555123456789012345", "x" * 500]
)
def test_non_numbers_are_errors_not_empty_results(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber, match="phone number"):
        normalize_phone(raw)


@settings(max_examples=100)
@given(st.integers(min_value=2_000_000_000, max_value=9_999_999_999))
def test_normalization_is_idempotent(national: int) -> None:
    try:
        once = normalize_phone(str(national))
    except InvalidPhoneNumber:
        return
    assert normalize_phone(once) == once
    assert once.startswith("+1")


@settings(max_examples=100)
@given(st.text(max_size=30))
def test_arbitrary_text_either_normalizes_or_raises_the_typed_error(raw: str) -> None:
    try:
        result = normalize_phone(raw)
    except InvalidPhoneNumber:
        return
    assert result.startswith("+") and result[1:].isdigit()


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("hello", "does not look like one"),
        ("12", "has too few digits"),
        ("+1555123456789012345", "has too many digits"),
        ("+999 123", "has a country code no country uses"),
        ("", "is empty"),
        ("+1555010000", "has too few digits"),
        # Seven digits dial a number only within its area: no one caller, so not read as +15551234.
        ("5551234", "has too few digits: it needs its area code"),
        ("+15551234", "has too few digits: it needs its area code"),
        ("555-0100", "has too few digits: it needs its area code"),
    ],
)
def test_an_unreadable_number_gets_one_plain_sentence(raw: str, why: str) -> None:
    """The handoff page and API clients show this message: the library's own text ("(1) The string supplied
    did not seem to be ...") never reaches them."""
    with pytest.raises(InvalidPhoneNumber) as caught:
        normalize_phone(raw)
    assert str(caught.value) == (
        f"not a phone number: {raw!r} {why}. Write it with its country code, like +15551234567"
    )


@pytest.mark.parametrize("path", sorted((ROOT / "datasets").glob("*/*.jsonl")), ids=lambda p: p.parent.name)
def test_every_bundled_caller_id_is_a_number(path: Path) -> None:
    """Fictional +1555 numbers are possible, never valid (no such area code): what the kit checks is whether a
    number is possible, so the bundled calls stay reachable by their caller id."""
    callers = [example.conversation.user_id for example in read_examples(path)]
    assert callers and all(normalize_phone(caller) == caller for caller in callers)
