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
    """
    text = unquote(raw).strip()
    if not text or len(text) > 64:
        raise InvalidPhoneNumber(f"not a phone number: {raw[:64]!r}")
    try:
        parsed = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"not a phone number: {raw!r} ({exc})") from None
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidPhoneNumber(f"not a possible phone number: {raw!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
