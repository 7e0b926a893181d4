"""Whether and when the AI checked who the caller is, and what the caller gave away before it did.

The check is the agent saying so ("you've been verified", "that matches", "I've pulled up your account"), or
finding the caller's record once the caller gave both a name and a reference number. Secrets read out before
it (a full card number, an SSN, a PIN) are compliance findings; answers to the agent's identity questions are
the check itself, not facts of the call.
"""

from __future__ import annotations

import re
from typing import Literal

from assist._memo import text_cache
from assist.grounding import normalize_text
from assist.programs.rules.text import (
    CallText,
    SuffixAutomaton,
    clean,
    digits_in,
    luhn_ok,
    phrases,
    sentences,
)
from assist.schema import Conversation, Role

__all__ = [
    "Leak",
    "identity_answer",
    "read_out_unverified",
    "record_found",
    "shared_too_early",
    "verified_turn",
]

#: What a caller read out that the AI should not have heard before verifying them.
Leak = Literal["a full payment card number", "a full Social Security number", "a PIN or password"]

_VERIFIED = phrases(
    r"you(?:'ve| have) been (?:successfully )?verified",
    r"you(?:'re| are) (?:now |all |fully )?verified",
    r"thank(?:s| you) for verifying",
    r"(?:i've|i have|we've|i) (?:successfully )?(?:verified|authenticated) "
    r"(?:your|you)",
    r"identity (?:has been |is )?(?:verified|confirmed)",
    r"verification (?:is )?(?:complete|successful)",
    r"that (?:matches|checks out)",
    # A one-time code or PIN read back correctly is the check.
    r"(?:code|pin|passcode) (?:is |was )?(?:correct|confirmed|accepted|verified)",
    r"(?:i've|i have|i) (?:found|located|pulled up) your (?:account|booking|chart|record|"
    r"file|profile|reservation|policy|membership)",
)
_SSN_CONTEXT = phrases(r"social(?: security)?", r"\bssn\b")
#: The caller naming the number as something other than an SSN ("loan number is 300771529").
_OTHER_NUMBER = phrases(
    r"(?:loan|account|policy|member|membership|claim|order|reference|confirmation|case|ticket|tracking|"
    r"invoice|employee|customer|booking) (?:number|no|#|id)"
)
_SECRET = phrases(r"(?:my |the )?(?:pin|password|passcode|cvv|cvc|security code)(?: number)? is \S+")
_SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
#: The agent reading a full account, routing or card number (not the last four) from the record.
_NUMBER_ON_FILE = phrases(r"(?:account|routing|card|social security|member) (?:number|no)")
#: The agent reading the caller's record back: "I see your file", "I've pulled up your booking"
#: ("I see Ruth Pruitt's profile" finds someone else's record: no check of the caller).
_RECORD_FOUND = re.compile(
    r"\b(?:i see|i can see|i've found|i found|i've pulled up|i have pulled up|i've located)\b(?! (?:\w+ ){0,2}\w+'s\b)",
    re.IGNORECASE,
)
#: An agent question that checks who the caller is: a name, date of birth, ZIP, last four, email, address, code.
_IDENTITY_QUESTION = re.compile(
    r"\b(?:name|date of birth|birthday|dob|zip|postal code|last (?:four|4)|e-?mail|address|code|pin|passcode|"
    r"read it (?:back|to me)|verif\w*|security question)\b",
    re.IGNORECASE,
)
#: ... unless it also asks for the reference the call is about ("your name and claim number").
_REFERENCE_QUESTION = re.compile(
    r"\b(?<!of the )(?<!of your )(?:claim|policy|account|loan|order|confirmation|reference|agreement|booking|"
    r"workspace|employee|member|job|case|ticket|tracking|invoice|license|plan) (?:number|code|id)\b",
    re.IGNORECASE,
)
#: A request in an unpunctuated or imperative sentence: "can i get your name", "please read it back".
_ASKING = re.compile(
    r"\b(?:(?:can|may|could) i (?:have|get)|please (?:read|give|tell|confirm|spell)|what(?:'s| is))\b",
    re.IGNORECASE,
)


def verified_turn(call: CallText) -> int | None:
    """The agent turn that says the caller is verified, if one does."""
    return call.first("assistant", _VERIFIED)


def shared_too_early(call: CallText, verified: int | None) -> dict[int, Leak]:
    """Caller turn -> the secret it reads out before the AI verified the caller."""
    found: dict[int, Leak] = {}
    for index, text, agent_said in call.caller_turns():
        if verified is not None and index > verified:
            break
        leaked = _leak(text, agent_said)
        if leaked:
            found[index] = leaked
    return found


def _leak(text: str, question: str) -> Leak | None:
    for number in digits_in(text):
        if 13 <= len(number) <= 19 and luhn_ok(number):
            return "a full payment card number"
        # Made-up or misheard card numbers fail Luhn; a 15-16 digit number read out about a card is still one.
        if len(number) in (15, 16) and "card" in f"{text} {question}":
            return "a full payment card number"
        if len(number) == 9 and (
            _SSN_CONTEXT.search(text) or (_SSN_CONTEXT.search(question) and not _OTHER_NUMBER.search(text))
        ):
            return "a full Social Security number"
    # The dash test first: the pattern is slow to scan for and most turns have no dash.
    if "-" in text and _SSN.search(text):
        return "a full Social Security number"
    if _SECRET.search(text) and not re.search(r"reset|forgot|change", text, re.IGNORECASE):
        return "a PIN or password"
    return None


def read_out_unverified(call: CallText, verified: int | None) -> int | None:
    """The agent turn, before any verification, that reads out a long number from the record that
    the caller never said (a full bank account or routing number)."""
    unverified = call.turns[:verified] if verified is not None else call.turns
    if not any(role == "assistant" and _NUMBER_ON_FILE.search(text) for role, text in unverified):
        return None
    said = SuffixAutomaton()  # the digits the caller read out, number by number
    for index, (role, text) in enumerate(unverified):
        if role == "user":
            for number in digits_in(text):
                for digit in f" {number}":
                    said.extend(digit)
        elif _NUMBER_ON_FILE.search(text) and any(
            len(number) >= 8 and said.first_end(number) is None for number in digits_in(text)
        ):
            return index
    return None


def record_found(conversation: Conversation, leaks: dict[int, Leak], name_words: set[str]) -> int | None:
    """The agent turn that finds the caller's record once the caller gave both their name and a
    reference number: matching the two is the check, even when the agent never says "verified".
    A name alone ("I can see your account" after just a name) is no check, nor are secrets the
    caller volunteered unasked (a PIN, a Social Security number)."""
    named = numbered = False
    for index, turn in enumerate(conversation.turns):
        text = clean(turn.content)
        if turn.role == "user":
            named = named or bool(name_words & set(normalize_text(text).split()))
            numbered = numbered or (index not in leaks and any(len(d) >= 4 for d in digits_in(text)))
        elif named and numbered and _RECORD_FOUND.search(text):
            return index
    return None


def identity_answer(role: Role, agent_before: str, *, or_reference: bool = False) -> bool:
    """A caller turn answering the agent's identity check (``agent_before``, the agent's last turn before it):
    what it gives is the check, not the call's facts (the name, date of birth, ZIP, email or code the agent
    asked for). With ``or_reference``, also an answer giving the reference asked for ("your name and loan
    number")."""
    if role != "user":
        return False
    identity, reference = _asks_for(agent_before)
    return (identity or reference) if or_reference else (identity and not reference)


@text_cache(maxsize=1024)
def _asks_for(agent_turn: str) -> tuple[bool, bool]:
    """Whether the agent turn's questions and requests ask for an identity check, and for a reference.

    Cached: the marker passes ask this about the same agent turn for each caller turn after it.
    """
    asked = " ".join(s for s in sentences(agent_turn) if "?" in s or _ASKING.search(s))
    return bool(_IDENTITY_QUESTION.search(asked)), bool(_REFERENCE_QUESTION.search(asked))
