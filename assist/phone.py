"""Caller-id normalization: every phone number is stored and looked up as E.164."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import unquote

import phonenumbers

from assist.errors import InvalidPhoneNumber

__all__ = ["normalize_phone"]


@lru_cache(maxsize=4096)  # parsing costs ~0.15 ms and every brief request normalizes the same number twice
def normalize_phone(raw: str, *, default_region: str = "US") -> str:
    """Return ``raw`` as E.164 (``+15551234567``).

    Accepts formatted (``+1 (555) 123-4567``) and percent-encoded (``%2B15551234567``) input; a number
    without ``+`` is read in ``default_region``. Raises :class:`InvalidPhoneNumber` for anything that is
    not a possible phone number, so a typo is an error rather than an empty search.

    Possible means a length some number of its country has, with its area code: ``5551234`` is dialable only
    locally, so it names no one caller and is refused rather than read as ``+15551234``. Not "valid"
    (:func:`phonenumbers.is_valid_number`, an assigned range): the library's table of ranges ages with every
    release, and a caller id refused by a stale table would cost the person taking over the call its brief;
    test numbers (``+1555…``, every bundled dataset's) are possible, never valid.
    """
    text = unquote(raw).strip()
    if not text:
        raise _invalid(text, "is empty")
    if len(text) > 64:
        raise _invalid(text, "is far too long")
    try:
        parsed = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise _invalid(text, _PARSE_REASONS.get(exc.error_type, "does not look like one")) from None
    possible = phonenumbers.is_possible_number_with_reason(parsed)
    if possible != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise _invalid(text, _LENGTH_REASONS.get(possible, "has the wrong number of digits"))
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# The library's reasons as a person would say them: its own messages ("(1) The string supplied did not seem to be
# a phone number.") would reach the handoff page and API clients otherwise.
_PARSE_REASONS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "has a country code no country uses",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "does not look like one",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "has too few digits",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "has too few digits",
    phonenumbers.NumberParseException.TOO_LONG: "has too many digits",
}
_LENGTH_REASONS = {
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "has a country code no country uses",
    phonenumbers.ValidationResult.TOO_SHORT: "has too few digits",
    phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "has too few digits: it needs its area code",
    phonenumbers.ValidationResult.TOO_LONG: "has too many digits",
}


def _invalid(text: str, reason: str) -> InvalidPhoneNumber:
    """The one sentence every unreadable number gets: what was given, why it is not a number, what would be."""
    shown = repr(text if len(text) <= 40 else f"{text[:40]}…")
    return InvalidPhoneNumber(
        f"not a phone number: {shown} {reason}. Write it with its country code, like +15551234567"
    )
