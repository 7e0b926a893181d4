"""Details gathered in the call (``information_collected``), as short key / verbatim value pairs.

Two sources, both general to contact-centre calls: typed patterns read from every turn (money,
dates and spans of dates, times, emails, street addresses, labelled reference numbers, card and
account types, places after a cue, measured values, medication, products, plans and businesses),
and question/answer pairs, where the agent asks "what's your X?" (or "where are you?") and the
caller's short reply is the value of X. Values are always cut from a single turn's text, so they
appear in the transcript. Keys are short and use the speakers' own head noun ("Charge", "Rate",
"Location"), which is what a human label for the same detail most often contains.
"""

from __future__ import annotations

import functools
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
#: A clock time or a named one; the bare hour only opens a window ("between 8 and 10 am").
_CLOCK = r"(?:\d{1,2}(?::\d{2})? ?(?:a\.?m\.?|p\.?m\.?)|noon|midnight)"
#: One day: "March 14th, 1962", "the 3rd of May", "4/11", "4 11 1990" (numeric, with a four-digit year), "Thursday".
_ONE_DATE = (
    rf"(?:(?:{_WEEKDAYS},? )?(?:{_MONTHS} {_ORDINAL}(?:,? \d{{4}})?|{_ORDINAL} of {_MONTHS}(?:,? \d{{4}})?|"
    rf"\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?|\d{{1,2}}[ -]\d{{1,2}}[ -](?:19|20)\d{{2}})\b|{_WEEKDAYS}\b)"
)
#: A day, or a span or pair of days ("March 6th to March 8th", "January 9th and January 23rd"), or a
#: day with a time window ("Thursday between noon and 5 PM"): the whole span is one detail.
_DATE = re.compile(
    rf"\b{_ONE_DATE}(?:,? (?:to|through|thru|until|till|and|or|-) {_ONE_DATE}|,? (?:between|from) "
    rf"(?:{_CLOCK}|\d{{1,2}}(?::\d{{2}})?) (?:and|to|-) {_CLOCK})?",
    re.IGNORECASE,
)
_DATE_SPAN = re.compile(r" (?:to|through|thru|until|till|and|or|-) ", re.IGNORECASE)
_CLOCK_SPAN = re.compile(r" (?:between|from) ", re.IGNORECASE)
_DATE_WORDS = frozenset(
    words(
        "january february march april may june july august september october november december jan feb "
        "mar apr jun jul aug sept sep oct nov dec monday tuesday wednesday thursday friday saturday "
        "sunday"
    )
)
#: A clock time, a window, and the part of the day it falls in ("6:52 this morning").
_TIME = re.compile(
    r"\b(?:(?:tomorrow|today|tonight) )?(?:between )?(?:\d{1,2}(?::\d{2})? ?(?:a\.?m\.?|p\.?m\.?)"
    r"(?: (?:and|to|-) (?:\d{1,2}(?::\d{2})? ?(?:a\.?m\.?|p\.?m\.?)|noon|midnight))?|\d{1,2}:\d{2}\b)"
    r"(?: (?:this|tomorrow|yesterday) (?:morning|afternoon|evening)| tonight| today| yesterday| last night)?",
    re.IGNORECASE,
)
#: An amount, with its period when it recurs ("$500 a month", "$59.99 per month").
_MONEY = re.compile(
    rf"(?:\$\s?\d[\d,]*(?:\.\d{{2}})?|\b\d[\d,]*(?:\.\d{{2}})? (?:dollars|bucks|usd)\b|"
    rf"\b(?:{_NUMBER_WORD} ){{1,8}}(?:dollars|bucks)\b)(?: (?:a|per|each) (?:month|year|week|night)\b)?",
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
    r"booking|customer|routing|reservation|serial|model|flight|loan|transaction|service request|file|application|"
    r"prescription|incident|report|agreement|registration|meter|device|license|permit|plate|patient|vehicle|"
    r"record|contract|work order)"
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
_FILLER_TAIL = re.compile(r"(?:[ ,]+(?:um+|uh+|er|like))+$", re.IGNORECASE)
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

#: US states and the largest US cities: places lowercase (ASR-style) transcripts name without capitals.
#: Cities that are also common first names (Madison, Lincoln, Jackson, Aurora) are left out.
_PLACE_NAMES = (
    "alabama|alaska|arizona|arkansas|california|colorado|connecticut|delaware|florida|georgia|hawaii|idaho|"
    "illinois|indiana|iowa|kansas|kentucky|louisiana|maine|maryland|massachusetts|michigan|minnesota|"
    "mississippi|missouri|montana|nebraska|nevada|new hampshire|new jersey|new mexico|new york|"
    "north carolina|north dakota|ohio|oklahoma|oregon|pennsylvania|rhode island|south carolina|south dakota|"
    "tennessee|texas|utah|vermont|virginia|washington|west virginia|wisconsin|wyoming|"
    "los angeles|chicago|houston|phoenix|philadelphia|san antonio|san diego|dallas|san jose|austin|"
    "jacksonville|fort worth|columbus|charlotte|indianapolis|san francisco|seattle|denver|nashville|"
    "oklahoma city|el paso|boston|portland|las vegas|detroit|memphis|louisville|baltimore|milwaukee|"
    "albuquerque|tucson|fresno|sacramento|kansas city|atlanta|omaha|colorado springs|raleigh|long beach|"
    "virginia beach|miami|oakland|minneapolis|tulsa|tampa|new orleans|wichita|cleveland|bakersfield|"
    "anaheim|honolulu|riverside|corpus christi|st\\. louis|saint louis|pittsburgh|cincinnati|anchorage|"
    "orlando|newark|durham|buffalo|st\\. paul|reno|boise|richmond|salt lake city|spokane|des moines|"
    "birmingham|rochester|hartford|providence|savannah|charleston|knoxville|san juan"
)
#: A place: a known name in any case, or (punctuated text) one to three capitalized words.
_PLACE = rf"(?:(?i:{_PLACE_NAMES})\b|[A-Z][a-z]+(?: [A-Z][a-z]+){{0,2}}\b)"
#: Where the caller is ("I'm in Ohio", "I live in Atlanta"), where they are going, a route, any other place.
_PLACE_CUES = (
    ("Caller location", re.compile(
        rf"(?i:\b(?:i|we)(?:'m|'re| am| are| live| reside| moved)(?: (?:now|currently|actually|still|back))? "
        rf"(?:in|near|outside(?: of)?) )({_PLACE})")),
    ("Destination", re.compile(
        rf"(?i:\b(?:to be|going|headed|heading|flying|driving|traveling|travelling|on (?:my|our) way|trip) "
        rf"(?:to|in|into) )({_PLACE})")),
    ("Route", re.compile(rf"(?i:\bfrom )((?:{_PLACE}) to (?:{_PLACE}))")),
    ("Location", re.compile(rf"(?i:\b(?:in|near|outside(?: of)?) )({_PLACE})")),
)  # fmt: skip
#: Capitalized words after "in" that are not places.
_NOT_PLACE = _DATE_WORDS | frozenset(
    words(
        "i english spanish french chinese person writing total advance general fact addition case order "
        "particular short"
    )
)
#: "your A1C was 7.8 percent", "the usage is 2,140 kilowatt hours": a measured value keyed by what it measures.
_UNITS = (
    r"percent|%|kilowatt[- ]hours?|kwh|kilowatts?|gallons|miles|pounds|degrees|gigabytes|gb|megabits|mbps|"
    r"milligrams?|mg"
)
_MEASURE = re.compile(
    r"\b(?:your|my|his|her|our|the) ((?:[A-Za-z][\w-]* )?[A-Za-z][\w-]*) (?:was|is|were|are|came back at|reads?) "
    rf"(?:about |around |roughly |approximately |only |just |at )?(\d[\d,]*(?:\.\d+)?(?: ?(?:{_UNITS})\b)?)"
    r"(?![\w$.,-]?\d| \d| ?(?:dollars|bucks|cents|digits|times|days|weeks|months|years|hours|minutes))",
    re.IGNORECASE,
)
_UNIT_AMOUNT = re.compile(rf"\b\d[\d,]*(?:\.\d+)? ?(?:{_UNITS})\b", re.IGNORECASE)
#: What an amount in a unit measures when no subject names it.
_UNIT_KEYS = (("kilowatt", "Usage"), ("kwh", "Usage"), ("gallon", "Usage"), ("gigabyte", "Data usage"),
              ("gb", "Data usage"), ("mile", "Mileage"), ("degree", "Temperature"), ("pound", "Weight"))  # fmt: skip
#: Subjects whose values other patterns read (identifiers, money) or that are not measures.
_NOT_MEASURE = frozenset(
    words(
        "number code id pin zip phone account card order claim policy reference confirmation balance total bill "
        "payment amount charge fee price cost it this that one name address email date birthday age call "
        "extension social ssn security"
    )
)
#: A drug with its strength: "lisinopril 20 milligram", "metoprolol 25 mg".
_MEDICATION = re.compile(
    r"\b(?!(?:the|your|take|takes|about|than|each|only|with|from|over|under|like|some|extra)\b)"
    r"([a-z]{4,} \d+(?:\.\d+)? ?(?:milligrams?|mg|mcg|micrograms?|milliliters?|ml|units))\b",
    re.IGNORECASE,
)
_ALLERGY = re.compile(r"\ballergic to (?:the |any |all )?([a-z]+(?: and [a-z]+)?)", re.IGNORECASE)
_DOCTOR = re.compile(r"\b(?:Dr\.?|Doctor) [A-Z][a-z]+(?:-[A-Z][a-z]+)?\b")
#: Four groups of four digits: a full card number read out. Only its last four is a detail to keep.
_FULL_CARD = re.compile(r"\b\d{4}[ -]\d{4}[ -]\d{4}[ -](\d{4})\b")
_YEAR = re.compile(r"\b(?:in|since|during|back in) ((?:19|20)\d{2})\b(?![ /-]\d)", re.IGNORECASE)
#: A named model: capitalized words and a model number after a determiner ("a ProBlend 900").
_PRODUCT = re.compile(
    r"\b(?:a|an|the|my|your|our|this|that) ((?:[A-Z][A-Za-z-]*[a-z][A-Za-z-]* ){1,2}[A-Z]{0,2}\d{2,5}[A-Za-z]{0,2})\b"
)
_NOT_PRODUCT = frozenset(
    words(
        "flight room suite gate apartment unit route highway interstate exit mile box building floor terminal "
        "platform channel extension line step level order claim policy account case ticket invoice model "
        "serial loan reservation booking section row seat store branch"
    )
)
#: A named plan or tier: "the annual Business plan", "your Premium Plus package".
_PLAN = re.compile(
    r"\b(?:the|your|my|our|a|an) ((?:[a-z]+ )?[A-Z][A-Za-z+-]*(?: [A-Z][A-Za-z+-]*)? (?i:plan|package|tier|membership))\b"
)
#: "I'm the owner of Lin's Bakery", "my business, Ortiz Plumbing": the caller's business.
_BUSINESS = re.compile(
    r"(?i:\b(?:owner of|i own|i run|my (?:business|company|shop|store|restaurant|practice)(?: is| is called| called|,)) )"
    r"((?:the )?[A-Z][\w'&-]*(?:(?: (?:&|and|of))? [A-Z][\w'&-]*){0,3})"
)
#: Cheap substring checks that let most turns skip the long patterns above.
_PLACE_HINT = re.compile(r"\b(?:in|near|outside|from)\b")
_DOSE_HINT = re.compile(r"\d ?(?:milligram|mg|mcg|microgram|ml|milliliter|unit)")
_PLAN_HINT = re.compile(r"\b(?:plan|package|tier|membership)\b")
_BUSINESS_HINT = re.compile(
    r"\b(?:owner of|i own|i run|my (?:business|company|shop|store|restaurant|practice))\b"
)
_WHERE = re.compile(r"\bwhere (?:are you|is the \w+|is your \w+|exactly)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Slot:
    key: str
    value: str
    turn: int


def _key(phrase: str) -> str:
    phrase = re.sub(r"\s+", " ", phrase.strip(" '-")).lower()
    phrase = _KEY_FIXES.get(phrase, phrase)
    phrase = re.sub(r"'s (?=\w)", " ", phrase)  # "patient's name" -> "patient name"
    phrase = re.sub(r"\bzip\b", "ZIP", phrase)
    return phrase[:1].upper() + phrase[1:]


def _context_key(text: str, start: int, default: str, nouns: tuple[str, ...]) -> str:
    """``default`` qualified by the nearest noun before the match ("balance" -> "Balance")."""
    before = text[max(0, start - 40) : start].lower()
    said = _noun_pattern(nouns).findall(before)
    return _key(said[-1]) if said else default


@functools.lru_cache(maxsize=8)
def _noun_pattern(nouns: tuple[str, ...]) -> re.Pattern[str]:
    # At a word start, so "charges" names a charge but "separately" names no rate.
    return re.compile(rf"\b({'|'.join(nouns)})")


_MONEY_NOUNS = ("balance", "charge", "credit", "payment", "total", "fee", "refund", "bill", "price", "deposit",
                "transfer", "amount", "withdrawal", "premium", "deductible", "cost", "rate", "fare", "order",
                "estimate", "quote", "paid")  # fmt: skip
#: An amount said about an order is its total; "I paid $40" is the amount paid.
_MONEY_KEYS = {"Order": "Order total", "Paid": "Amount paid"}
_DATE_NOUNS = ("birth", "appointment", "surgery", "delivered", "mailed", "disconnect", "due", "flight", "travel",
               "expires", "expiration", "expired", "since", "born", "renewal", "shut", "cancel", "charge", "hold",
               "payment", "transaction", "window")  # fmt: skip
_DATE_KEYS = {"window": "Window", "birth": "Date of birth", "born": "Date of birth", "delivered": "Delivery date",
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
_DOTTED_MERIDIEM = re.compile(r"[ap]\.m\.$", re.IGNORECASE)
_WEEKDAY_ONLY = re.compile(rf"^{_WEEKDAYS}$", re.IGNORECASE)
_SPOKEN_AMOUNT = re.compile(r"[a-z ]+ (?:dollars|bucks)$", re.IGNORECASE)


def _unstop(value: str) -> str:
    """The value without the sentence's full stop ("5 PM." -> "5 PM"); "5 p.m." keeps its own."""
    return value[:-1] if value.endswith(".") and not _DOTTED_MERIDIEM.search(value) else value


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
            # The noun the speakers used ("confirmation code" vs "confirmation number"), else the label
            # alone as they said it ("file DEN48812", "flight 1182").
            said = match.group(2) or re.search(rf"\b{label} (number|code|id)\b", question.lower())
            noun = said if isinstance(said, str) else said.group(1) if said else ""
            noun = "number" if noun.startswith(("no", "#")) else noun
            found.append(Slot(_key(f"{label} {noun}"), value, index))
    for match in _ZIP.finditer(text) if "zip" in lower else ():
        found.append(Slot("ZIP code", match.group(1), index))
    money = "$" in text or "dollar" in lower or "buck" in lower or "usd" in lower
    for match in _MONEY.finditer(text) if money else ():
        value = match.group(0).strip()
        if value.lower().startswith(("a ", "and ")):
            value = value.split(" ", 1)[1]
        key = _context_key(text, match.start(), "Amount", _MONEY_NOUNS)
        found.append(Slot(_MONEY_KEYS.get(key, key), value, index))
    for match in (
        _DATE.finditer(text) if has_digit or not _DATE_WORDS.isdisjoint(re.findall(r"[a-z]+", lower)) else ()
    ):
        noun = _context_key(text + " " + question, match.start(), "", _DATE_NOUNS).lower()
        if "birth" in question.lower() or "birthday" in question.lower():
            noun = "birth"
        key = _DATE_KEYS.get(noun, f"{_key(noun)} date" if noun else "Date")
        if key == "Date" and _WEEKDAY_ONLY.match(match.group(0)):
            key = "Day"
        elif _DATE_SPAN.search(match.group(0)) and not _CLOCK_SPAN.search(match.group(0)):
            key += "s"  # "Charge dates": two days or a span
        found.append(Slot(key, _unstop(match.group(0)), index))
    for match in _TIME.finditer(text) if has_digit else ():
        found.append(Slot("Time", _unstop(match.group(0)), index))
    for match in _CARD_TYPE.finditer(text) if "card" in lower else ():
        found.append(Slot("Card type", match.group(1), index))
    found.extend(_places(text, index) if _PLACE_HINT.search(lower) else ())
    found.extend(_stated(text, index))
    for match in _FULL_CARD.finditer(text) if has_digit and "card" in (lower + question.lower()) else ():
        found.append(Slot("Card last four", match.group(1), index))
    transfer = _TRANSFER.search(text) if "from" in lower else None
    if transfer and _ACCOUNT_TYPE.fullmatch(transfer.group(1)) and _ACCOUNT_TYPE.fullmatch(transfer.group(2)):
        found.append(Slot("Transfer source account", transfer.group(1), index))
        found.append(Slot("Transfer destination account", transfer.group(2), index))
    return found


def _stated(text: str, index: int) -> list[Slot]:
    """Details told in passing: measures, medication, allergies, doctors, years, products, businesses."""
    found: list[Slot] = []
    lower = text.lower()
    has_digit = any(c.isdigit() for c in text)
    measured: set[str] = set()
    for match in _MEASURE.finditer(text) if has_digit else ():
        subject = match.group(1)
        # "your usual is about 700" is too vague to keep: a measure has a unit, a decimal, or a named subject.
        named = " " in subject or any(c.isupper() or c.isdigit() for c in subject)
        if _NOT_MEASURE.isdisjoint(words(subject)) and (named or not match.group(2).isdigit()):
            key = " ".join(
                w if w.isupper() or any(c.isdigit() for c in w) else w.lower() for w in subject.split()
            )
            found.append(Slot(key[:1].upper() + key[1:], match.group(2), index))
            measured.add(match.group(2))
    for match in _UNIT_AMOUNT.finditer(text) if has_digit else ():
        unit_key = next((k for u, k in _UNIT_KEYS if u in match.group(0).lower()), None)
        if unit_key and match.group(0) not in measured:
            found.append(Slot(unit_key, match.group(0), index))
    for match in _MEDICATION.finditer(text) if has_digit and _DOSE_HINT.search(lower) else ():
        found.append(Slot("Medication", match.group(1), index))
    for match in _ALLERGY.finditer(text) if "allergic" in lower else ():
        found.append(Slot("Allergy", match.group(1), index))
    for match in _DOCTOR.finditer(text) if "Dr" in text or "Doctor" in text else ():
        found.append(Slot("Provider", match.group(0), index))
    for match in _YEAR.finditer(text) if has_digit else ():
        found.append(Slot("Year", match.group(1), index))
    for match in _PRODUCT.finditer(text) if has_digit and not text.islower() else ():
        if match.group(1).split()[0].lower() not in _NOT_PRODUCT:
            found.append(Slot("Product", match.group(1), index))
    for match in _PLAN.finditer(text) if _PLAN_HINT.search(lower) else ():
        found.append(Slot("Plan", match.group(1), index))
    for match in _BUSINESS.finditer(text) if _BUSINESS_HINT.search(lower) else ():
        found.append(Slot("Business name", match.group(1), index))
    return found


def _places(text: str, index: int) -> list[Slot]:
    """Places said after a cue: the caller's whereabouts, a destination, a route, any other place."""
    found: list[Slot] = []
    taken: list[tuple[int, int]] = []
    for key, cue in _PLACE_CUES:
        for match in cue.finditer(text):
            start, end = match.span(1)
            place = match.group(1)
            if any(s <= start < e for s, e in taken) or place.split()[0].lower() in _NOT_PLACE:
                continue
            taken.append((start, end))
            found.append(Slot(key, place, index))
    return found


def _question_slot(question: str) -> str | None:
    """The thing an agent question asks for ("company name", "source account"), if it asks one."""
    if _WHERE.search(question):
        return "location"
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
    text = _FILLER_TAIL.sub("", text)
    # A place is described, not named: "I-40 eastbound, just past mile marker 198, near Flagstaff".
    if not text or len(text.split()) > (12 if slot == "location" else 8) or _ANSWER_BAD.search(text):
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
            # The agent's times are mostly offers and promises ("by 9 PM"); one it reads from the
            # records is a timestamp ("a SIM change at 6:52 this morning").
            slots.extend(
                s
                for s in _typed(text, index, "")
                if s.key != "Card type" and (s.key != "Time" or f"at {s.value}" in text)
            )
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
        # A date of birth or email given with the answer is that detail; a name asked with it
        # ("the patient's name and date of birth?") is still the rest of the reply.
        paired = any(s.key in {"Date of birth", "Email"} for s in typed)
        if asked and (not paired or asked.endswith("name")):
            answer = text
            for slot in typed if paired else ():
                answer = answer.replace(slot.value, " ")
            value = _answer_value(answer, asked)
            if value is not None:
                # A described location holds the places named in it; the whole description goes first.
                at = len(slots) - len(typed) if asked == "location" else len(slots)
                slots.insert(at, Slot(_key(asked), value, index))
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
