"""Details gathered in the call (``information_collected``), as short key / verbatim value pairs.

Two sources, both general to contact-centre calls: typed patterns (money, dates, times, emails,
street addresses, labelled reference numbers, card and account types) read from every turn, and
question/answer pairs, where the agent asks "what's your X?" and the caller's short reply is the
value of X. Values are always cut from a single turn's text, so they appear in the transcript.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from assist.programs._rules_text import clean, digits_in, words
from assist.schema import Conversation

__all__ = ["Slot", "collect", "mentions"]

_MONTHS = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
)
_WEEKDAYS = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_ORDINAL = (
    r"(?:\d{1,2}(?:st|nd|rd|th)?|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
    r"eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|"
    r"twentieth|twenty[ -](?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|thirtieth|"
    r"thirty[ -]first)"
)
_NUMBER_WORD = (
    r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|"
    r"thousand|million|and|a)"
)
_DATE = re.compile(
    rf"\b(?:{_WEEKDAYS},? )?(?:{_MONTHS} {_ORDINAL}(?:,? \d{{4}})?|{_ORDINAL} of {_MONTHS}(?:,? \d{{4}})?|"
    rf"\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?)\b|\b{_WEEKDAYS}\b",
    re.IGNORECASE,
)
_DATE_WORDS = frozenset(
    words(
        "january february march april may june july august september october november december jan feb "
        "mar apr jun jul aug sept sep oct nov dec monday tuesday wednesday thursday friday saturday "
        "sunday"
    )
)
_TIME = re.compile(
    r"\b(?:(?:tomorrow|today|tonight) )?(?:between )?\d{1,2}(?::\d{2})? ?(?:a\.?m\.?|p\.?m\.?)"
    r"(?: (?:and|to|-) (?:\d{1,2}(?::\d{2})? ?(?:a\.?m\.?|p\.?m\.?)|noon|midnight))?|\b\d{1,2}:\d{2}\b",
    re.IGNORECASE,
)
_MONEY = re.compile(
    rf"\$\s?\d[\d,]*(?:\.\d{{2}})?|\b\d[\d,]*(?:\.\d{{2}})? (?:dollars|bucks|usd)\b|"
    rf"\b(?:{_NUMBER_WORD} ){{1,8}}(?:dollars|bucks)\b",
    re.IGNORECASE,
)
_EMAIL = re.compile(
    r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b|\b\w+(?: dot \w+)? at \w+ dot (?:com|net|org|edu)\b", re.IGNORECASE
)
_ADDRESS = re.compile(
    r"\b\d{1,6} (?:[A-Za-z]+ ){1,3}(?:street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|way|court|ct|"
    r"place|pl|terrace|circle|parkway|highway)\b\.?(?:,? (?:apartment|apt|suite|unit|#) ?\w+)?",
    re.IGNORECASE,
)
_LAST_FOUR = re.compile(
    r"\blast (?:four|4)(?: digits)?(?: of [\w ]{1,30}?)?(?: are| is|:)? (\d{4})\b", re.IGNORECASE
)
#: "claim number is 4471902", "order #A-1234", "confirmation code Q7KL2P".
_LABELLED_ID = re.compile(
    r"\b(claim|order|account|confirmation|reference|case|ticket|policy|member|membership|tracking|invoice|"
    r"booking|customer|routing|reservation|serial|model|flight|loan|transaction|service request)"
    r"(?: (number|code|id|no\.?|#))?(?: is|:| was)? (#? ?[A-Z0-9](?:[A-Z0-9-]| (?=\d)){2,24}[A-Z0-9]|\d+)\b",
    re.IGNORECASE,
)
_ZIP = re.compile(r"\bzip(?: code)?(?: is|:)? (\d{5})\b", re.IGNORECASE)
_CARD_TYPE = re.compile(
    r"\b(credit|debit|atm|prepaid|gift|business|visa|mastercard|amex|discover|rewards|check) card\b",
    re.IGNORECASE,
)
_ACCOUNT_TYPE = re.compile(
    r"\b(checking|savings|money market|business|joint|retirement|brokerage|credit card|student|ira)"
    r"(?: account)?\b",
    re.IGNORECASE,
)
_TRANSFER = re.compile(
    r"\bfrom (?:my |the )?(\w+)(?: account)? (?:to|into) (?:my |the )?(\w+)(?: account)?\b", re.IGNORECASE
)

#: "what's your X", "which X would you like", "can I have your X", "confirm the X".
_QUESTION = re.compile(
    r"\b(?:what(?:'s| is| was| are)?|which|can i (?:have|get)|could i (?:have|get)|may i (?:have|get)|"
    r"(?:can|could) you (?:confirm|give me|tell me|provide|read me)|confirm|give me|tell me|do you have)"
    r" (?:is |are )?(?:your |the |that )?(?:(?:full |first |last )?name and (?:your |the |that )?)?([a-z' -]{3,40}?)(?= on | for | would | do | you | that | to | please|\?|$|,|\.| and |"
    r" so | we | i | it\b)",
    re.IGNORECASE,
)
_SLOT_STOP = frozenset(
    words("full first last help reason problem issue else anything something way matter best one thing")
)
_CALLER_NAME_SLOTS = frozenset({"name", "full name", "first name", "last name", "surname", "name please"})
_FILLER_WORDS = frozenset({"um", "uh", "uhm", "umm", "er"})
_AUXILIARIES = frozenset(
    words("are is was were do does did can could would will should you i we it they has have had")
)
_FILLER_LEAD = re.compile(
    r"^(?:(?:um+|uh+|uhm|oh|so|well|yes|yeah|yep|sure|okay|ok|right|alright|it's|its|it is|that's|that is|"
    r"the|my|our|from|to|into|i think|i'd like|i would like|it would be|it'll be|gonna be|that'd be|like)\b[ ,]*)+",
    re.IGNORECASE,
)
_ANSWER_BAD = re.compile(
    r"\b(?:repeat|sorry|what|pardon|hold on|hang on|i don't know|not sure|one (?:sec|second|moment))\b",
    re.IGNORECASE,
)
#: Slots whose value is an identifier, not a phrase.
_ID_SLOT = re.compile(r"\b(?:number|code|id|reference|#)$", re.IGNORECASE)
_ID_TOKEN = r"(?:[A-Za-z](?![\w'])|[A-Za-z]*\d[A-Za-z0-9]*(?![\w'])|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+(?![\w']))"
_ID_RUN = re.compile(rf"(?<![\w$'.,-]){_ID_TOKEN}(?: {_ID_TOKEN})*")
_CHOICE_SLOT = re.compile(r"\b(?:account|card)\b")
_KEY_FIXES = {"dob": "Date of birth", "birthday": "Date of birth", "zip": "ZIP code", "zip code": "ZIP code"}


@dataclass(frozen=True, slots=True)
class Slot:
    key: str
    value: str
    turn: int


def _key(phrase: str) -> str:
    phrase = re.sub(r"\s+", " ", phrase.strip(" '-")).lower()
    phrase = _KEY_FIXES.get(phrase, phrase)
    phrase = re.sub(r"\bzip\b", "ZIP", phrase)
    return phrase[:1].upper() + phrase[1:]


def _context_key(text: str, start: int, default: str, nouns: tuple[str, ...]) -> str:
    """``default`` qualified by the nearest noun before the match ("balance" -> "Balance")."""
    before = text[max(0, start - 40) : start].lower()
    best = max(nouns, key=lambda n: before.rfind(n))
    if before.rfind(best) >= 0:
        return _key(best)
    return default


_MONEY_NOUNS = ("balance", "charge", "credit", "payment", "total", "fee", "refund", "bill", "price", "deposit",
                "transfer", "amount", "withdrawal", "premium", "deductible", "cost", "rate", "fare")  # fmt: skip
_DATE_NOUNS = ("birth", "appointment", "surgery", "delivered", "mailed", "disconnect", "due", "flight", "travel",
               "expires", "expiration", "expired", "since", "born", "renewal", "shut", "cancel", "charge", "hold",
               "payment", "transaction")  # fmt: skip
_DATE_KEYS = {"birth": "Date of birth", "born": "Date of birth", "delivered": "Delivery date",
              "mailed": "Mailed date", "disconnect": "Disconnection date", "shut": "Disconnection date",
              "due": "Due date", "since": "Start date", "expires": "Expiration date",
              "expiration": "Expiration date", "expired": "Expiration date", "cancel": "Cancellation date"}  # fmt: skip
#: "last four digits of your Social Security number?" -> the owner of the four digits the caller answers.
_LAST_FOUR_OF = re.compile(
    r"\blast (?:four|4)(?: digits)? of (?:your |the )?([a-z ]+?)(?: number)?(?:\?|$| and|,)"
)
_LAST_FOUR_OWNER = (
    ("social", "SSN"),
    ("ssn", "SSN"),
    ("card", "Card"),
    ("account", "Account"),
    ("phone", "Phone"),
)
_WEEKDAY_ONLY = re.compile(rf"^{_WEEKDAYS}$", re.IGNORECASE)
_SPOKEN_AMOUNT = re.compile(r"[a-z ]+ (?:dollars|bucks)$", re.IGNORECASE)


def _typed(text: str, index: int, question: str) -> list[Slot]:
    found: list[Slot] = []
    lower = text.lower()
    has_digit = any(c.isdigit() for c in text)
    # Cheap substring checks first: these patterns are long alternations and most turns match none.
    for match in _EMAIL.finditer(text) if "@" in text or " dot " in lower else ():
        found.append(Slot("Email", match.group(0), index))
    for match in _ADDRESS.finditer(text) if has_digit else ():
        found.append(Slot("Address", match.group(0).rstrip("."), index))
    for match in _LAST_FOUR.finditer(text) if "last" in lower else ():
        kind = "Card" if "card" in (text + question).lower() else "Account"
        found.append(Slot(f"{kind} last four", match.group(1), index))
    for match in _LABELLED_ID.finditer(text) if has_digit else ():
        value = match.group(3).strip(" #")
        if sum(c.isdigit() for c in value) >= 3:
            label = match.group(1).lower()
            # The noun the speakers used ("confirmation code" vs "confirmation number"), else "number".
            said = match.group(2) or re.search(rf"\b{label} (number|code|id)\b", question.lower())
            noun = said if isinstance(said, str) else said.group(1) if said else "number"
            found.append(
                Slot(_key(f"{label} {'number' if noun.startswith(('no', '#')) else noun}"), value, index)
            )
    for match in _ZIP.finditer(text) if "zip" in lower else ():
        found.append(Slot("ZIP code", match.group(1), index))
    money = "$" in text or "dollar" in lower or "buck" in lower or "usd" in lower
    for match in _MONEY.finditer(text) if money else ():
        value = match.group(0).strip()
        if value.lower().startswith(("a ", "and ")):
            value = value.split(" ", 1)[1]
        found.append(Slot(_context_key(text, match.start(), "Amount", _MONEY_NOUNS), value, index))
    for match in (
        _DATE.finditer(text) if has_digit or not _DATE_WORDS.isdisjoint(re.findall(r"[a-z]+", lower)) else ()
    ):
        noun = _context_key(text + " " + question, match.start(), "", _DATE_NOUNS).lower()
        if "birth" in question.lower() or "birthday" in question.lower():
            noun = "birth"
        key = _DATE_KEYS.get(noun, f"{_key(noun)} date" if noun else "Date")
        if key == "Date" and _WEEKDAY_ONLY.match(match.group(0)):
            key = "Day"
        found.append(Slot(key, match.group(0), index))
    for match in _TIME.finditer(text) if has_digit else ():
        found.append(Slot("Time", match.group(0), index))
    for match in _CARD_TYPE.finditer(text) if "card" in lower else ():
        found.append(Slot("Card type", match.group(1), index))
    transfer = _TRANSFER.search(text) if "from" in lower else None
    if transfer and _ACCOUNT_TYPE.fullmatch(transfer.group(1)) and _ACCOUNT_TYPE.fullmatch(transfer.group(2)):
        found.append(Slot("Transfer source account", transfer.group(1), index))
        found.append(Slot("Transfer destination account", transfer.group(2), index))
    return found


def _question_slot(question: str) -> str | None:
    """The thing an agent question asks for ("company name", "source account"), if it asks one."""
    for match in _QUESTION.finditer(question):
        phrase = re.sub(r"^(?:is|are|was|your|the|that|a|an)\s+", "", match.group(1).strip().lower())
        spoken = [w for w in phrase.split() if w not in _FILLER_WORDS]
        words = list(itertools.takewhile(lambda w: w not in _AUXILIARIES, spoken))
        phrase = " ".join(words)
        # The caller's own name is the header's job, not an information item.
        if not words or len(words) > 4 or phrase in _CALLER_NAME_SLOTS or words[-1] in _SLOT_STOP:
            continue
        if words[0] in {"can", "i", "you", "we", "it", "this", "would", "time", "day"} and len(words) > 1:
            continue
        # A one-time code read back only proves identity; it is not a detail of the request.
        if {"digits", "code", "passcode"} & set(words) and re.search(
            r"\b(?:sent|texted|text)\b", question.lower()
        ):
            continue
        phrase = re.sub(r"^(?:which|what) ", "", phrase)
        if phrase in {"number", "that number", "this number"}:
            # "... with the recovery phone number on the account. What's that number?"
            named = re.findall(
                r"\b((?:(?!the\b|your\b|that\b|this\b|a\b)[a-z]+ ){1,2})number\b", question.lower()
            )
            phrase = f"{named[-1]}number" if named else phrase
        owner = re.match(r"^(\w+) of (?:the |your )?(\w+(?: \w+)?)$", phrase)
        return f"{owner.group(2)} {owner.group(1)}" if owner else phrase
    return None


def _identifier(answer: str) -> str | None:
    """The last identifier-like run in a reply ("Ronald Pike. Reference is S R 88213." -> "S R 88213").

    A run of single letters, digit-bearing tokens or hyphenated tokens, spoken or written, that holds a
    digit or a hyphen: the caller's name and fillers around it are dropped, and a code spelled out
    phonetically and then repeated ("Q as in queen, 7, ... So Q7KL2P") gives the repeated form.
    """
    runs = [m.group(0) for m in _ID_RUN.finditer(answer)]
    runs = [r for r in runs if (any(c.isdigit() for c in r) or "-" in r) and len(r.replace(" ", "")) >= 3]
    return runs[-1] if runs else None


def _answer_value(answer: str, slot: str) -> str | None:
    """The caller's reply without fillers or a restated key ("the company is fossil gas" -> "fossil gas")."""
    if _ID_SLOT.search(slot):
        return _identifier(answer)
    if "account" in slot.split() or "card" in slot.split():
        # A choice between account or card types: the type word is the answer, whatever surrounds it.
        # The last one wins: callers correct themselves ("my checking account oh sorry no my savings").
        kinds = list((_ACCOUNT_TYPE if "account" in slot.split() else _CARD_TYPE).finditer(answer))
        return kinds[-1].group(1) if kinds else None
    text = _FILLER_LEAD.sub("", answer.split("?")[0].strip(" ,."))
    for word in slot.split():
        text = re.sub(
            rf"^(?:\W*\b(?:my|the|our)\b )?\W*{re.escape(word)}\b(?: is| was)?", "", text, flags=re.IGNORECASE
        )
    text = _FILLER_LEAD.sub("", text.strip(" ,.")).strip(" ,.")
    head = slot.split()[-1]
    text = re.sub(rf"\s+{re.escape(head)}s?$", "", text, flags=re.IGNORECASE).strip(" ,.")
    text = re.split(r"[.!;]| and (?:i|it|that|we)\b", text)[0].strip(" ,")
    if not text or len(text.split()) > 8 or _ANSWER_BAD.search(text):
        return None
    kind = _ACCOUNT_TYPE.fullmatch(text)
    return kind.group(1) if kind else text


def collect(mentioned: list[Slot]) -> list[Slot]:
    """The details from :func:`mentions`: one value per key, one key per value (first mention wins)."""
    written_money = any("$" in s.value for s in mentioned)
    kept = [
        s for s in mentioned
        if not (written_money and _SPOKEN_AMOUNT.match(s.value))
        and not ("phone" in s.key.lower() and len(digits_in(s.value)[0] if digits_in(s.value) else "") < 7)
    ]  # fmt: skip
    return _dedupe(kept)


def mentions(conversation: Conversation) -> list[Slot]:
    """Every detail mention, repeats included, in order of appearance."""
    slots: list[Slot] = []
    question = ""
    asked: str | None = None
    for index, turn in enumerate(conversation.turns):
        text = clean(turn.content)
        if not text:
            continue
        if turn.role == "assistant":
            question = text if "?" in text or _QUESTION.search(text) else question
            asked = _question_slot(text) or (asked if len(text.split()) <= 2 else None)
            slots.extend(s for s in _typed(text, index, "") if s.key not in {"Time", "Card type"})
            continue
        typed = _typed(text, index, question)
        four = _LAST_FOUR_OF.search(question.lower())
        digits = re.sub(r"\D", "", text)
        if four and len(digits) == 4 and not any(s.key.endswith("last four") for s in typed):
            owner = next((k for w, k in _LAST_FOUR_OWNER if w in four.group(1)), None)
            if owner:
                typed.append(Slot(f"{owner} last four", re.search(r"\d[\d -]*\d", text).group(0), index))  # type: ignore[union-attr]
                asked = None
        slots.extend(typed)
        if asked and not any(s.key in {"Date of birth", "Email"} for s in typed):
            value = _answer_value(text, asked)
            if value is not None:
                slots.append(Slot(_key(asked), value, index))
                asked = None
            elif not _CHOICE_SLOT.search(asked):
                asked = None
            # else: the caller's next turn may still name the account or card type ("all is well" / "my checking").
        else:
            asked = None
        question = ""
    return slots


def _dedupe(slots: list[Slot]) -> list[Slot]:
    seen_keys: set[str] = set()
    seen_values: list[str] = []
    kept: list[Slot] = []
    for slot in slots:
        value = slot.value.lower()
        if slot.key in seen_keys or any(value in other or other in value for other in seen_values):
            continue
        seen_keys.add(slot.key)
        seen_values.append(value)
        kept.append(slot)
    return kept
