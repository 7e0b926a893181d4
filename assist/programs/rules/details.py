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

import bisect
import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from assist._memo import text_cache
from assist.programs.rules.names import is_name_word
from assist.programs.rules.text import (
    NUMBER_WORD,
    Cue,
    SecretNumber,
    clean,
    digits_in,
    last_four_said,
    secret_numbers,
    sentence_around,
    words,
)
from assist.schema import Conversation

__all__ = ["Slot", "collect", "mentions"]

_MONTHS = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
)
_WEEKDAYS = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_ORDINAL = (
    # A day of the month is 1-31 and no amount: "november 96 dollars" is a price.
    r"(?:(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?! ?(?:dollars|bucks|cents|percent|%))|"
    r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
    r"eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|"
    r"twentieth|twenty[ -](?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|thirtieth|"
    r"thirty[ -]first)"
)
#: A clock time or a named one; the bare hour only opens a window ("between 8 and 10 am").
_CLOCK = r"(?:\d{1,2}(?::\d{2})? ?(?:a\.?m\.?|p\.?m\.?)|noon|midnight)"
#: One day: "March 14th, 1962", "the 3rd of May", "4/11", "4 11 1990" (numeric, with a four-digit year), "Thursday".
#: A year said aloud: "nineteen ninety one", "twenty twenty four", "two thousand and nine", "twenty oh five".
_UNITS_WORD = r"(?:one|two|three|four|five|six|seven|eight|nine)"
_SPOKEN_YEAR = (
    rf"(?:nineteen|twenty) (?:oh {_UNITS_WORD}|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|"
    rf"eighteen|nineteen|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[ -]{_UNITS_WORD})?)|"
    rf"two thousand(?: and)?(?: (?:ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|"
    rf"nineteen|twenty(?:[ -]{_UNITS_WORD})?|{_UNITS_WORD}))?"
)
_YEAR_PART = rf"(?:,? (?:\d{{4}}|{_SPOKEN_YEAR}))"
_ONE_DATE = (
    rf"(?:(?:{_WEEKDAYS},? )?(?:{_MONTHS} {_ORDINAL}{_YEAR_PART}?|{_ORDINAL} of {_MONTHS}{_YEAR_PART}?|"
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
#: Any of those words as a whole token of lowercased text (the cheap test before :data:`_DATE`).
_DATE_WORD = re.compile(rf"(?<![a-z])(?:{'|'.join(sorted(_DATE_WORDS))})(?![a-z])")
#: A clock time, a window, and the part of the day it falls in ("6:52 this morning").
_TIME = re.compile(
    r"\b(?:(?:tomorrow|today|tonight) )?(?:between )?(?:\d{1,2}(?::\d{2})? ?(?:a\.?m\.?|p\.?m\.?)"
    r"(?: (?:and|to|-) (?:\d{1,2}(?::\d{2})? ?(?:a\.?m\.?|p\.?m\.?)|noon|midnight))?|\d{1,2}:\d{2}\b)"
    r"(?: (?:this|tomorrow|yesterday) (?:morning|afternoon|evening)| tonight| today| yesterday| last night)?",
    re.IGNORECASE,
)
#: An amount, with its period when it recurs ("$500 a month", "$59.99 per month").
_MONEY = re.compile(
    rf"(?:\$\s?\d(?:[\d,]*\d)?(?:\.\d{{2}})?|(?<![\d,])\b\d(?:[\d,]*\d)?(?:\.\d{{2}})? (?:dollars|bucks|usd)\b|"
    rf"\b(?:{NUMBER_WORD}[ -]){{1,8}}(?:dollars|bucks)(?: and (?:{NUMBER_WORD} ){{1,3}}cents)?\b)"
    rf"(?: (?:a|per|each) (?P<period>month|year|week|night)\b)?",
    re.IGNORECASE,
)
#: A recurring amount is keyed by its period ("Monthly"), its value is the amount alone ("$54.99").
_PERIOD_KEYS = {"month": "Monthly", "year": "Yearly", "week": "Weekly", "night": "Nightly"}
#: "Balances over $2,500 need ...": a limit of a rule, not an amount of this call.
_THRESHOLD = re.compile(
    r"\b(?:over|under|above|below|more than|less than|up to|at least|exceeds?)\s*$", re.IGNORECASE
)
#: "went from $48.20 to $61.75": the second amount is the new one.
_CHANGED_TO = re.compile(r"\bfrom \S+(?: a (?:month|year))? (?:up |down )?to\s*$", re.IGNORECASE)
#: "eight thousand dollars of damage", "$200 in fees": what the amount is of.
_AMOUNT_OF = re.compile(
    r" (?:of|in|worth of) (damages?|fees|charges|repairs|rent|interest|credit)\b", re.IGNORECASE
)
_EMAIL = re.compile(
    r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b|\b\w+(?: dot \w+)? at \w+ dot (?:com|net|org|edu)\b", re.IGNORECASE
)
_ADDRESS = re.compile(
    r"\b\d{1,6} (?:(?!(?:at|the|on|in|and|of|to|for|from|by|near)\b)[A-Za-z]+ ){1,3}"
    r"(?:street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|way|court|ct|"
    r"place|pl|terrace|circle|parkway|highway)\b\.?(?:,? (?:apartment|apt|suite|unit|#) ?\w+)?",
    re.IGNORECASE,
)
_LAST_FOUR = re.compile(
    r"\blast (?:four|4)(?: digits)?(?: of [\w ]{1,30}?)?(?: are| is|:)? (\d{4})\b", re.IGNORECASE
)
#: Spoken digits as callers read identifiers out ("r a eight eight one oh six four", "twenty six dash oh four").
_SPOKEN_DIGIT = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)"
_SPOKEN_TENS = (
    r"(?:ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|"
    r"fifty|sixty|seventy|eighty|ninety)"
)
#: One token of an identifier: a lone letter, a short capital group ("AL"), a token holding a digit, a
#: hyphenated token, or a spoken digit, tens word or "dash".
_ID_TOKEN = (
    rf"(?:[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+(?![\w'])|[A-Za-z](?![\w'-])|(?-i:[A-Z]{{2,3}})(?![\w'-])|"
    rf"[A-Za-z]*\d[A-Za-z0-9]*(?![\w'])|(?i:{_SPOKEN_DIGIT}|{_SPOKEN_TENS}|dash)(?![\w']))"
)
_ID_RUN = re.compile(rf"(?<![\w$'.,-]){_ID_TOKEN}(?: {_ID_TOKEN})*")
_SPOKEN_ID_HINT = re.compile(rf"\b(?:{_SPOKEN_DIGIT}|{_SPOKEN_TENS}|dash) (?:{_SPOKEN_DIGIT}|dash)\b")
_SPELLED_BEFORE = re.compile(r"\b[A-Za-z] (?:as in|like|for) [A-Za-z]+,? $")
_SPOKEN_ID_WORD = re.compile(rf"^(?:{_SPOKEN_DIGIT}|{_SPOKEN_TENS}|dash)$", re.IGNORECASE)
#: "is, uh, B 0 0 7": a filler between a label and what it labels.
_ID_FILLER = r"(?:,? (?:uh|um|uhm|er)\b,?|,)?"
#: "claim number is 4471902", "order #A-1234", "confirmation code Q7KL2P", "claim H O 2 2 9 1 4".
_LABELS = (
    r"claim|order|account|confirmation|reference|case|ticket|policy|member|membership|tracking|invoice|"
    r"booking|customer|routing|reservation|serial|model|flight|loan|transaction|service request|file|application|"
    r"prescription|incident|report|agreement|registration|meter|device|license|permit|plate|patient|vehicle|"
    r"record|contract|work order|job|notice|employee"
)
_LABELLED_ID = re.compile(
    rf"\b({_LABELS})"
    rf"(?: (number|code|id|no\.?|#))?(?:'s)?(?: on (?:the|your|my) \w+)?(?: is|:| was)?{_ID_FILLER} #? ?"
    rf"({_ID_TOKEN}(?: {_ID_TOKEN})*)",
    re.IGNORECASE,
)
#: Any other "<noun> number/ID/code" a speaker names: "student ID B 0 0 7 7", "citation number p 2 0 7 7".
_NAMED_ID = re.compile(
    r"\b(?!(?:the|a|an|your|my|his|her|our|their|that|this|same|wrong|right|new|old|last|first|phone|cell|"
    r"callback|home|work|mobile|security|verification|one-time|social|pin|zip|area)\b)([a-z]+) (number|id|code)"
    rf"(?:'s)?(?: is|:| was)?{_ID_FILLER} #? ?({_ID_TOKEN}(?: {_ID_TOKEN})*)",
    re.IGNORECASE,
)
#: A vehicle by model year and make: "a 2021 Subaru Outback", "the 2022 Honda CR-V".
_VEHICLE = re.compile(r"\b((?:19|20)\d{2} [A-Z][a-z]+(?: [A-Z][\w-]*[A-Za-z0-9])?)")
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
_FUNDS_TRANSFER = re.compile(
    r"\bfrom (?:my |the )?(\w+)(?: account)? (?:to|into) (?:my |the )?(\w+)(?: account)?\b", re.IGNORECASE
)

#: "what's your X", "which X would you like", "can I have your X", "confirm the X".
_QUESTION = re.compile(
    r"\b(?:what(?:'s| is| was| are)?|(?<!, )which|can i (?:have|get)|could i (?:have|get)|may i (?:have|get)|"
    r"(?:can|could) you (?:confirm|give me|tell me|provide|read me)|confirm|give me|tell me|do you have)"
    r" (?:is |are )?(?:your |the |that )?(?:(?:full |first |last )?name and (?:your |the |that )?)?([a-z' -]{3,40}?)(?= on | for | would | do | you | that | to | please|\?|$|,|\.| and |"
    r" so | we | i | it\b)",
    re.IGNORECASE,
)
#: Whether a turn asks at all: the yes/no form of :data:`_QUESTION`, much cheaper to test.
_ASKS = Cue(_QUESTION.pattern)
_SLOT_STOP = frozenset(
    words("full first last help reason problem issue else anything something way matter best one thing")
)
_PRONOUN_CONTRACTIONS = frozenset(
    words("i'm i've i'll i'd we're we've we'll we'd you're you've you'll you'd they're they've it's that's")
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
_FILLER_WORD = re.compile(r"um+|uh+|er|like", re.IGNORECASE)
_ANSWER_BAD = re.compile(
    r"\b(?:repeat|sorry|what|pardon|hold on|hang on|i don't know|not sure|one (?:sec|second|moment))\b",
    re.IGNORECASE,
)
#: A reply of courtesy or greeting alone.
_COURTESY = re.compile(
    r"(?:hi|hello|hey|thanks|thank you|thank you so much|thanks so much|great|perfect|bye|goodbye|no|nope|yes|yeah|yep|"
    r"all right|alright|ok|okay|cool|awesome|got it)[.!]?",
    re.IGNORECASE,
)
#: Slots whose value is an identifier, not a phrase.
_ID_SLOT = re.compile(r"\b(?:number|code|id|reference|#)$", re.IGNORECASE)
_CHOICE_SLOT = re.compile(r"\b(?:account|card)\b")
#: Matches of each kind read from one turn. Calls hold at most four of a kind in a turn; a turn holding many
#: more is a list read out (or a made-up one), whose items neither the brief's ten details nor the markers'
#: first three would show, and reading each costs what a word costs many times over.
_PER_KIND = 20
#: Details kept at most: the brief shows ten and the amount at stake is one of the first, so no more are
#: compared with each other (every kept value is compared with every new one).
_MAX_DETAILS = 50
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
    # "M as in Mary" spells a letter; it names no place.
    ("Location", re.compile(rf"(?i:\b(?:(?<!\bas )in|near|outside(?: of)?) )({_PLACE})")),
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
_UNIT_AMOUNT = re.compile(rf"(?<![\d,])\b\d[\d,]*(?:\.\d+)? ?(?:{_UNITS})\b", re.IGNORECASE)
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
_YEAR = re.compile(r"\b(?:in|since|during|back in) ((?:19|20)\d{2})\b(?![ /-]\d)", re.IGNORECASE)
#: A named model: capitalized words and a model number after a determiner ("a ProBlend 900").
_PRODUCT = re.compile(
    r"\b(?:a|an|the|my|your|our|this|that) ((?:[A-Z][A-Za-z-]*[a-z][A-Za-z-]* ){1,2}[A-Z]{0,2}\d{2,5}[A-Za-z]{0,2})\b"
)
_NOT_PRODUCT = frozenset(
    words(
        "flight room suite gate apartment unit route highway interstate exit mile box building floor terminal "
        "platform channel extension line step level order claim policy account case ticket invoice model "
        "serial loan reservation booking section row seat store branch january february march april may june "
        "july august september october november december"
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
_LABEL_HINT = re.compile(rf"\b(?:{_LABELS})")
_NAMED_ID_HINT = re.compile(r"[a-z] (?:number|id|code)")
#: A date in digits needs a slash or a year; any other date names a month or a day.
_YEAR_DIGITS = re.compile(r"(?:19|20)\d\d")
_MERIDIEM_HINT = re.compile(r"[ap]\.?m")
_UNIT_HINT = re.compile(_UNITS)
_DOSE_HINT = re.compile(r"\d ?(?:milligram|mg|mcg|microgram|ml|milliliter|unit)")
_PLAN_HINT = re.compile(r"\b(?:plan|package|tier|membership)\b")
_BUSINESS_HINT = re.compile(
    r"\b(?:owner of|i own|i run|my (?:business|company|shop|store|restaurant|practice))\b"
)
_WHERE = Cue(r"\bwhere (?:are you|is the \w+|is your \w+|exactly)\b")


@dataclass(frozen=True, slots=True)
class Slot:
    key: str
    value: str
    turn: int


@text_cache(maxsize=1024)
def _key(phrase: str) -> str:
    """Cached: a call names the same few kinds of detail again and again."""
    phrase = _SPACES.sub(" ", phrase.strip(" '-")).lower()
    phrase = _KEY_FIXES.get(phrase, phrase)
    phrase = _POSSESSIVE.sub(" ", phrase)  # "patient's name" -> "patient name"
    phrase = _ZIP_WORD.sub("ZIP", phrase)
    phrase = _ID_WORD.sub("ID", phrase)
    return phrase[:1].upper() + phrase[1:]


_SPACES = re.compile(r"\s+")
_POSSESSIVE = re.compile(r"'s (?=\w)")
_ZIP_WORD = re.compile(r"\bzip\b")
_ID_WORD = re.compile(r"\bid\b")


def _context_key(text: str, start: int, default: str, nouns: re.Pattern[str]) -> str:
    """``default`` qualified by the nearest noun before the match ("balance" -> "Balance")."""
    before = text[max(0, start - 40) : start].lower()
    said = nouns.findall(before)
    return _key(said[-1]) if said else default


def _nouns(nouns: tuple[str, ...]) -> re.Pattern[str]:
    # At a word start, so "charges" names a charge but "separately" names no rate.
    return re.compile(rf"\b({'|'.join(nouns)})")


_MONEY_NOUNS = ("balance", "charge", "credit", "payment", "total", "fee", "refund", "bill", "price", "deposit",
                "transfer", "amount", "withdrawal", "premium", "deductible", "cost", "rate", "fare", "order",
                "estimate", "quote", "paid", "shortage", "shortfall", "value", "paycheck", "owe", "leaves", "leaving",
                "principal", "rent", "penalty", "salary", "short")  # fmt: skip
_MONEY_NOUNS_SET = frozenset(_MONEY_NOUNS)
_MONEY_NOUN = _nouns(_MONEY_NOUNS)
_HAS_NUMBER = re.compile(rf"\d|\b(?:{_SPOKEN_DIGIT}|{_SPOKEN_TENS}|hundred|thousand)\b", re.IGNORECASE)
#: An amount said about an order is its total; one owed, or that a payment leaves, is a balance.
_MONEY_KEYS = {"Order": "Order total", "Owe": "Balance", "Leaves": "Balance", "Leaving": "Balance",
               "Short": "Shortfall"}  # fmt: skip
_DATE_NOUNS = ("birth", "appointment", "surgery", "delivered", "mailed", "disconnect", "due", "flight", "travel",
               "expires", "expiration", "expired", "since", "born", "renewal", "shut", "cancel", "charge", "hold",
               "payment", "transaction", "window", "start", "begin", "effective")  # fmt: skip
_DATE_NOUN = _nouns(_DATE_NOUNS)
#: Words of a question's slot that ask for a date.
_DATE_SLOT_WORDS = frozenset(("date", "birth", "birthday", "dob"))
_PER_AT_END = re.compile(r"\s(?:a|per|each)$", re.IGNORECASE)
_DATE_KEYS = {"window": "Window", "birth": "Date of birth", "born": "Date of birth", "delivered": "Delivery date",
              "mailed": "Mailed date", "disconnect": "Disconnection date", "shut": "Disconnection date",
              "due": "Due date", "since": "Start date", "expires": "Expiration date",
              "expiration": "Expiration date", "expired": "Expiration date", "cancel": "Cancellation date",
              "start": "Start date", "begin": "Start date", "effective": "Effective date"}  # fmt: skip
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
    ("line", "Line"),
)
#: "your password reset link has been sent to your phone": where the reset went.
_RESET_SENT = re.compile(
    r"\breset\b[^.?!]{0,40}?\b(?:sent|send|sending|texted|emailed|go(?:es|ing)?)\b[^.?!]{0,20}?"
    r"\bto (?:your|the) (phone|email|e-mail|cell phone|cell|mobile|inbox)\b",
    re.IGNORECASE,
)
#: "account ending 6053", "your line ending in 0 9 2 5": the last four of what is named.
_ENDING = re.compile(
    r"\b(account|card|line|phone)(?: number)?(?: on file)? ending(?: in| with)? (\d{4}|\d \d \d \d)\b",
    re.IGNORECASE,
)
_NON_DIGIT = re.compile(r"\D")
_DOTTED_MERIDIEM = re.compile(r"[ap]\.m\.$", re.IGNORECASE)
_DAY_ASKED = re.compile(r"\b(?:day|days|when)\b", re.IGNORECASE)
#: The key of a weekday said in passing: a mention (it marks the turn) that is never collected.
_PASSING_DAY = "Weekday mentioned"
_WEEKDAY_ONLY = re.compile(rf"^{_WEEKDAYS}$", re.IGNORECASE)
_SPOKEN_AMOUNT = re.compile(r"[a-z ]+ (?:dollars|bucks)$", re.IGNORECASE)


def _four_owner(phrase: str) -> str | None:
    """Whose last four a phrase names: the owner word said first ("phone number on the account" -> Phone)."""
    said = [(phrase.find(word), owner) for word, owner in _LAST_FOUR_OWNER if word in phrase]
    return min(said)[1] if said else None


def _unstop(value: str) -> str:
    """The value without the sentence's full stop ("5 PM." -> "5 PM"); "5 p.m." keeps its own."""
    return value[:-1] if value.endswith(".") and not _DOTTED_MERIDIEM.search(value) else value


def _typed(text: str, index: int, question: str) -> list[Slot]:
    found: list[Slot] = []
    lower = text.lower()
    # What every match below may ask of the question, worked out once: a turn can hold thousands of matches.
    asked = question.lower()
    about_card = "card" in lower or "card" in asked
    has_digit = any(map(str.isdigit, text))
    # Cheap substring checks first: these patterns are long alternations and most turns match none.
    for match in _some(_EMAIL, text) if "@" in text or " dot " in lower else ():
        found.append(Slot("Email", match.group(0), index))
    addresses = list(_some(_ADDRESS, text)) if has_digit else []
    for i, match in enumerate(addresses):
        # "44 Elm Street to 910 Birchwood Drive": a move or a ride from one address to the other.
        following = addresses[i + 1] if i + 1 < len(addresses) else None
        preceding = addresses[i - 1] if i else None
        if following and re.fullmatch(r",? to ", text[match.end() : following.start()]):
            key = "Origin"
        elif preceding and re.fullmatch(r",? to ", text[preceding.end() : match.start()]):
            key = "Destination"
        else:
            key = "Address"
        found.append(Slot(key, match.group(0).rstrip("."), index))
    four_of = _LAST_FOUR_OF.search(asked) if "last" in lower else None
    for match in _some(_LAST_FOUR, text) if "last" in lower else ():
        # Whose four digits: named in the reply, else in the question ("the last four of your Social?").
        kind = _four_owner(match.group(0).lower()) or (_four_owner(four_of.group(1)) if four_of else None)
        kind = kind or ("Card" if about_card else "Account")
        found.append(Slot(f"{kind} last four", match.group(1), index))
    for match in _some(_RESET_SENT, text) if "reset" in lower else ():
        found.append(Slot("Password reset", match.group(1), index))
    # The phone number a one-time code goes to only routes the code; it is not a detail of the request.
    for match in _some(_ENDING, text) if "ending" in lower and "code" not in lower else ():
        found.append(Slot(f"{_four_owner(match.group(1).lower())} last four", match.group(2), index))
    # Labelled identifiers, in order and not overlapping: (start, end) of each.
    labelled: list[tuple[int, int]] = []
    label_nouns: dict[str, str] = {}
    identifiers = has_digit or _SPOKEN_ID_HINT.search(lower)
    for match in _some(_LABELLED_ID, text) if identifiers and _LABEL_HINT.search(lower) else ():
        value = _id_value(match.group(3), answered=False)
        if value is not None:
            label = match.group(1).lower()
            # The noun the speakers used ("confirmation code" vs "confirmation number"), else the label
            # alone as they said it ("file DEN48812", "flight 1182").
            if label not in label_nouns:
                in_question = re.search(rf"\b{label} (number|code|id)\b", asked)
                label_nouns[label] = in_question.group(1) if in_question else ""
            noun = match.group(2) or label_nouns[label]
            noun = "number" if noun.startswith(("no", "#")) else noun
            found.append(Slot(_key(f"{label} {noun}"), _corrected_id(value, text, match.end()), index))
            labelled.append(match.span())
    for match in _some(_NAMED_ID, text) if identifiers and _NAMED_ID_HINT.search(lower) else ():
        value = _id_value(match.group(3), answered=False)
        if value is not None and not _inside(match.start(), labelled):
            found.append(Slot(_key(f"{match.group(1)} {match.group(2)}"), value, index))
    for match in _some(_VEHICLE, text) if has_digit and not text.islower() else ():
        found.append(Slot("Vehicle", match.group(1), index))
    for match in _some(_ZIP, text) if "zip" in lower else ():
        found.append(Slot("ZIP code", match.group(1), index))
    money = "$" in text or "dollar" in lower or "buck" in lower or "usd" in lower
    for match in _some(_MONEY, text) if money else ():
        before = text[max(0, match.start() - 40) : match.start()]
        if _THRESHOLD.search(before):
            continue
        period = match.group("period")
        value = text[match.start() : match.start("period") if period else match.end()].strip()
        value = _PER_AT_END.sub("", value)
        if value.lower().startswith(("a ", "and ")):
            value = value.split(" ", 1)[1]
        of = _AMOUNT_OF.match(text, match.end())
        key = _key(of.group(1).rstrip("s")) if of else _context_key(text, match.start(), "", _MONEY_NOUN)
        key = _MONEY_KEYS.get(key, key)
        if _CHANGED_TO.search(before):
            key = f"New {key.lower() or 'amount'}"
        found.append(Slot(key or (_PERIOD_KEYS[period.lower()] if period else "Amount"), value, index))
    birth_asked = "birth" in asked
    day_asked = _DAY_ASKED.search(question) is not None
    dated = _DATE_WORD.search(lower) or has_digit and ("/" in text or _YEAR_DIGITS.search(text))
    for match in _some(_DATE, text) if dated else ():
        # A date the reply itself says is for something else ("my Part B starts November first") is that
        # date even when a date of birth was asked: a date is filed only under the purpose the call gives it.
        noun = _context_key(text, match.start(), "", _DATE_NOUN).lower()
        noun = "birth" if birth_asked and noun in {"", "born"} else noun
        key = _DATE_KEYS.get(noun, f"{_key(noun)} date" if noun else "Date")
        if _WEEKDAY_ONLY.match(match.group(0)):
            # A weekday alone is a detail when it answers "what day?"; said in passing ("I called Tuesday",
            # "it says Friday") it dates nothing, and :func:`collect` leaves it out.
            key = "Day" if day_asked else _PASSING_DAY
        elif _DATE_SPAN.search(match.group(0)) and not _CLOCK_SPAN.search(match.group(0)):
            key += "s"  # "Charge dates": two days or a span
        found.append(Slot(key, _unstop(match.group(0)), index))
    for match in _some(_TIME, text) if has_digit and (":" in text or _MERIDIEM_HINT.search(lower)) else ():
        found.append(Slot("Time", _unstop(match.group(0)), index))
    for match in _some(_CARD_TYPE, text) if "card" in lower else ():
        found.append(Slot("Card type", match.group(1), index))
    found.extend(_places(text, index) if _PLACE_HINT.search(lower) else ())
    found.extend(_stated(text, index, has_digit=has_digit))
    # A card number read out is collected as its last four digits, as said ("1111", "one one one one").
    for secret in secret_numbers(text) if about_card else ():
        four = last_four_said(text, secret) if secret.kind == "card" else None
        if four is not None:
            found.append(Slot("Card last four", four, index))
    transfer = _FUNDS_TRANSFER.search(text) if "from" in lower else None
    if transfer and _ACCOUNT_TYPE.fullmatch(transfer.group(1)) and _ACCOUNT_TYPE.fullmatch(transfer.group(2)):
        found.append(Slot("Transfer source account", transfer.group(1), index))
        found.append(Slot("Transfer destination account", transfer.group(2), index))
    return found


def _some(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """The first :data:`_PER_KIND` matches of ``pattern`` in ``text``."""
    return itertools.islice(pattern.finditer(text), _PER_KIND)


def _stated(text: str, index: int, *, has_digit: bool) -> list[Slot]:
    """Details told in passing: measures, medication, allergies, doctors, years, products, businesses."""
    found: list[Slot] = []
    lower = text.lower()
    measured: set[str] = set()
    for match in _some(_MEASURE, text) if has_digit else ():
        subject = match.group(1)
        # "your usual is about 700" is too vague to keep: a measure has a unit, a decimal, or a named subject.
        named = " " in subject or any(c.isupper() or c.isdigit() for c in subject)
        if _NOT_MEASURE.isdisjoint(words(subject)) and (named or not match.group(2).isdigit()):
            key = " ".join(
                w if w.isupper() or any(c.isdigit() for c in w) else w.lower() for w in subject.split()
            )
            found.append(Slot(key[:1].upper() + key[1:], match.group(2), index))
            measured.add(match.group(2))
    for match in _some(_UNIT_AMOUNT, text) if has_digit and _UNIT_HINT.search(lower) else ():
        unit_key = next((k for u, k in _UNIT_KEYS if u in match.group(0).lower()), None)
        if unit_key and match.group(0) not in measured:
            found.append(Slot(unit_key, match.group(0), index))
    for match in _some(_MEDICATION, text) if has_digit and _DOSE_HINT.search(lower) else ():
        found.append(Slot("Medication", match.group(1), index))
    for match in _some(_ALLERGY, text) if "allergic" in lower else ():
        found.append(Slot("Allergy", match.group(1), index))
    for match in _some(_DOCTOR, text) if "Dr" in text or "Doctor" in text else ():
        found.append(Slot("Provider", match.group(0), index))
    for match in _some(_YEAR, text) if has_digit else ():
        found.append(Slot("Year", match.group(1), index))
    for match in _some(_PRODUCT, text) if has_digit and not text.islower() else ():
        if match.group(1).split()[0].lower() not in _NOT_PRODUCT:
            found.append(Slot("Product", match.group(1), index))
    for match in _some(_PLAN, text) if _PLAN_HINT.search(lower) else ():
        found.append(Slot("Plan", match.group(1), index))
    for match in _some(_BUSINESS, text) if _BUSINESS_HINT.search(lower) else ():
        found.append(Slot("Business name", match.group(1), index))
    return found


def _places(text: str, index: int) -> list[Slot]:
    """Places said after a cue: the caller's whereabouts, a destination, a route, any other place.

    A place an earlier cue took is not taken again ("I'm in Ohio" is the caller's location, not also a
    "Location"); one cue's matches never overlap each other.
    """
    found: list[Slot] = []
    taken: list[tuple[int, int]] = []
    for key, cue in _PLACE_CUES:
        spans: list[tuple[int, int]] = []
        for match in _some(cue, text):
            place = match.group(1)
            if _inside(match.start(1), taken) or place.split()[0].lower() in _NOT_PLACE:
                continue
            spans.append(match.span(1))
            found.append(Slot(key, place, index))
        taken = _union(taken, spans)
    return found


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    """Whether ``position`` falls in one of ``spans`` (sorted, none overlapping): a look-up, not a scan."""
    at = bisect.bisect_right(spans, (position, math.inf)) - 1
    return at >= 0 and position < spans[at][1]


def _union(first: list[tuple[int, int]], second: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The positions either list of spans covers, as sorted spans none overlapping."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(first + second):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _question_slot(question: str) -> str | None:
    """The thing an agent question asks for ("company name", "source account"), if it asks one."""
    if _WHERE.found(question):
        return "location"
    # Facts about the whole question, each looked for once however many phrases it asks about.
    own_phone = re.search(r"\byour phone number\b", question, re.IGNORECASE) is not None
    code_sent = re.search(r"\b(?:sent|texted|text)\b", question.lower()) is not None
    for match in _QUESTION.finditer(question):
        phrase = re.sub(r"^(?:is|are|was|your|the|that|a|an)\s+", "", match.group(1).strip().lower())
        spoken = [w for w in phrase.split() if w not in _FILLER_WORDS]
        words = list(itertools.takewhile(lambda w: w not in _AUXILIARIES, spoken))
        phrase = " ".join(words)
        # The caller's own name and number are the header's job, not information items.
        if not words or len(words) > 4 or phrase in _CALLER_NAME_SLOTS or words[-1] in _SLOT_STOP:
            continue
        if phrase == "phone number" and own_phone:
            continue
        if words[0] in {"them", "it", "him", "her", "those", "these", "any", "one"}:
            continue  # "do you have them with you?" asks about something already named
        if words[0] in {"can", "i", "you", "we", "it", "this", "would", "time", "day"} and len(words) > 1:
            continue
        if words[0] in _PRONOUN_CONTRACTIONS:
            continue  # "can you confirm we've covered everything?" asks a yes or no, not for a detail
        # A one-time code read back only proves identity; it is not a detail of the request.
        if {"digits", "code", "passcode"} & set(words) and code_sent:
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


_SSN_SAID = re.compile(r"\bsocial(?: security)?\b|\bssn\b", re.IGNORECASE)
#: "7730-0418-22. Wait, no, 7730-0418-26": the caller correcting the identifier just read.
_ID_CORRECTION = re.compile(
    rf"[.,!?]?\s*(?:(?:wait|sorry|no|oops|actually|i mean|my bad)\b[,.!]?\s*)+(?:it's |its |it is )?"
    rf"({_ID_TOKEN}(?: {_ID_TOKEN})*)",
    re.IGNORECASE,
)


def _corrected_id(value: str, text: str, end: int) -> str:
    """The identifier as the speaker corrected it right after reading it, else as read."""
    fix = _ID_CORRECTION.match(text, end)
    better = _id_value(fix.group(1), answered=False) if fix else None
    return better if better is not None and abs(len(better) - len(value)) <= 2 else value


def _identifier(answer: str) -> str | None:
    """The last identifier-like run in a reply ("Ronald Pike. Reference is S R 88213." -> "S R 88213").

    A run of single letters, digit-bearing tokens or hyphenated tokens, spoken or written, that holds a
    digit or a hyphen: the caller's name and fillers around it are dropped, and a code spelled out
    phonetically and then repeated ("Q as in queen, 7, ... So Q7KL2P") gives the repeated form.
    """
    # A Social Security number read out is never a detail to keep: digits in a sentence that names it, or
    # nine digits read in a turn that does ("... my Social Security number. It's 3 1 4, 6 2, 8 8 0 5.").
    ssn_turn = _SSN_SAID.search(answer) is not None
    ssn_sentences: dict[str, bool] = {}

    def about_ssn(sentence: str) -> bool:
        if sentence not in ssn_sentences:
            ssn_sentences[sentence] = _SSN_SAID.search(sentence) is not None or any(
                len(number) == 9 for number in digits_in(sentence)
            )
        return ssn_sentences[sentence]

    runs = [
        (m.start(), _id_value(m.group(0), answered=True))
        for m in _ID_RUN.finditer(answer)
        if not ssn_turn or not about_ssn(sentence_around(answer, m.start()))
    ]
    start, value = next(((i, v) for i, v in reversed(runs) if v is not None), (0, None))
    # The tail of a phonetic spelling ("M as in Mary, 5 0 1 9 8") is not the identifier; its restatement is.
    return None if _SPELLED_BEFORE.search(answer[:start]) else value


def _id_value(run: str, *, answered: bool) -> str | None:
    """An identifier run trimmed of what only looks like one, or ``None`` when too little of it is digits.

    After a label ("claim H O 2 2 9 1 4") written digits need three or more; in the reply to a question
    for an identifier, one digit or a hyphen will do ("Q7KL2P", "moreau-design"). Spoken digits
    ("r a eight eight one oh six four") need four or more, so "a one" or "twenty three" stay numbers.
    A lone "a" or "I" at either end is a word, and spoken digit words next to written digits are speech
    ("4417 one more thing"), not part of the code.
    """
    tokens = run.strip(" #").split(" ")
    written = any(c.isdigit() for c in run)

    def speech(token: str) -> bool:
        return token.lower() in {"a", "i"} or (written and _SPOKEN_ID_WORD.match(token) is not None)

    end = len(tokens)
    while end and speech(tokens[end - 1]):
        end -= 1
    start = next((i for i in range(end) if not speech(tokens[i])), end)
    tokens = tokens[start:end]
    value = " ".join(tokens)
    if written:
        enough = len(value.replace(" ", "")) >= 3 if answered else sum(c.isdigit() for c in value) >= 3
        return value if enough else None
    spoken = sum(
        (1 if re.fullmatch(_SPOKEN_DIGIT, t, re.IGNORECASE) else 2 if t.lower() != "dash" else 0)
        for t in tokens
        if _SPOKEN_ID_WORD.match(t)
    )
    if spoken >= 4:
        return value
    # "moreau-design" is a handle; "M-O-R-E-A-U" spells a name.
    spelling = all(len(part) == 1 for part in value.split("-"))
    return value if answered and "-" in value and len(value) >= 3 and not spelling else None


def _answer_value(answer: str, slot: str) -> str | None:
    """The caller's reply without fillers or a restated key ("the company is fossil gas" -> "fossil gas")."""
    if _ID_SLOT.search(slot):
        return _identifier(answer)
    if slot.split()[-1] in {"email", "e-mail"}:
        return None  # an email is read by its own pattern; a reply without one gave something else
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
    if slot.endswith("name"):
        # "Gopal Raman, G-O-P-A-L, and his birthday is ...": a name holds no comma, and is words said as names.
        text = text.split(",")[0]
        if not _name_like(text, cased=answer != answer.lower()):
            return None
    text = _without_filler_tail(text)
    # A place is described, not named: "I-40 eastbound, just past mile marker 198, near Flagstaff".
    if not text or len(text.split()) > (12 if slot == "location" else 8) or _ANSWER_BAD.search(text):
        return None
    if _COURTESY.fullmatch(text):
        return None  # "Thanks." or "Hi." answers nothing that was asked
    # An amount asked for is answered with a number ("I think I got back..." is not one).
    if not _MONEY_NOUNS_SET.isdisjoint(slot.split()) and not _HAS_NUMBER.search(text):
        return None
    # A date asked for is answered with one: "Sure, it's Dana Whitfield" to "your name and date of birth?"
    # gives the name, which is no date of birth.
    if not _DATE_SLOT_WORDS.isdisjoint(slot.split()) and not _DATE.search(text):
        return None
    # An address cut off after its house number ("nine three zero" ... next turn "first street") is no address.
    if "address" in slot.split() and (
        all(_SPOKEN_ID_WORD.match(w) or w.isdigit() for w in text.split()) or not _HAS_NUMBER.search(text)
    ):
        return None  # cut off after the house number, or no house number at all (a name given first)
    kind = _ACCOUNT_TYPE.fullmatch(text)
    return kind.group(1) if kind else text


def _without_filler_tail(text: str) -> str:
    """``text`` without the fillers it trails off with, each after a space or comma ("my checking, um").

    Read from the end, one word at a time, so a long run of commas or fillers is read once.
    """
    end = len(text)
    while True:
        cut = max(text.rfind(" ", 0, end), text.rfind(",", 0, end))
        if cut < 0 or not _FILLER_WORD.fullmatch(text, cut + 1, end):
            return text[:end]
        end = cut
        while end and text[end - 1] in " ,":
            end -= 1


def _name_like(text: str, *, cased: bool) -> bool:
    """One to four words that can be a name, by the caller-name reader's test of a name word."""
    said = text.split()
    return 0 < len(said) <= 4 and all(is_name_word(w, cased=cased, weak=False) for w in said)


def collect(mentioned: list[Slot]) -> list[Slot]:
    """The details from :func:`mentions`: one value per key, one key per value (first mention wins)."""
    written_money = any("$" in s.value for s in mentioned)
    spoken = _SpokenAmounts(
        [s for s in mentioned if _SPOKEN_AMOUNT.match(s.value) or s.value.lower().endswith(" cents")]
    )
    kept = [
        s for s in mentioned
        if not (written_money and _SPOKEN_AMOUNT.match(s.value)) and s.key != _PASSING_DAY
        and not spoken.rounded_again(s)
        and not (
            "phone" in s.key.lower()
            and not s.key.endswith("last four")
            and len(digits_in(s.value)[0] if digits_in(s.value) else "") < 7
        )
    ]  # fmt: skip
    return _dedupe(kept)


class _SpokenAmounts:
    """The spoken amounts of a call, looked up by how they begin.

    For each way an amount's words begin ("twenty", "twenty three", ...): the earliest amount that begins
    so, and the earliest one that begins so with another value. That answers "was a different amount
    beginning with these words said before this turn?" at once, however many amounts the call holds.
    """

    def __init__(self, spoken: list[Slot]) -> None:
        self._first: dict[str, tuple[Slot, Slot | None]] = {}
        for slot in spoken:
            said = slot.value.lower()
            for cut in (i for i, char in enumerate(said) if char == " "):
                first, other = self._first.get(said[:cut], (slot, None))
                if slot.turn < first.turn:
                    first, other = slot, first if first.value != slot.value else other
                elif slot.value != first.value and (other is None or slot.turn < other.turn):
                    other = slot
                self._first[said[:cut]] = (first, other)

    def rounded_again(self, slot: Slot) -> bool:
        """True for a spoken amount that rounds one said before ("twenty three bucks" after "twenty three
        dollars and eighteen cents"): the same money, told again."""
        if not _SPOKEN_AMOUNT.match(slot.value):
            return False
        number = re.sub(r"\s(?:dollars|bucks)$", "", slot.value.lower())
        found = self._first.get(number)
        if found is None or found[0].turn >= slot.turn:
            return False
        first, other = found
        if first.value != slot.value:
            return True
        return other is not None and other.turn < slot.turn


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
            question = text if "?" in text or _ASKS.found(text) else question
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
        if asked and _ID_SLOT.search(asked):
            # The identifier the agent asked for, labelled by the caller too ("The agreement number is
            # 6610284"): keyed by the agent's fuller name for it ("rental agreement number").
            wanted = set(asked.lower().split())
            typed = [
                Slot(_key(asked), s.value, s.turn) if set(s.key.lower().split()) < wanted else s
                for s in typed
            ]
        four = _LAST_FOUR_OF.search(question.lower())
        if (
            four
            and len(_NON_DIGIT.sub("", text)) == 4
            and not any(s.key.endswith("last four") for s in typed)
        ):
            owner = _four_owner(four.group(1))
            if owner:
                typed.append(Slot(f"{owner} last four", re.search(r"\d[\d -]*\d", text).group(0), index))  # type: ignore[union-attr]
                asked = None
        slots.extend(typed)
        # A date of birth or email given with the answer is that detail; a name asked with it
        # ("the patient's name and date of birth?") is still the rest of the reply.
        paired = any(s.key in {"Date of birth", "Email"} for s in typed)
        if asked and (not paired or asked.endswith("name")):
            answer = text
            # A reply that also gives another detail ("Loan number is 3 0 0 7. Last four is 2218."): the
            # other detail is not the answer.
            for other in dict.fromkeys(s.value for s in typed) if paired or _ID_SLOT.search(asked) else ():
                answer = answer.replace(other, " ")
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
    replies = _replies(conversation) if any(s.key.endswith(" name") for s in slots) else []
    return [s for s in _without_secrets(slots, conversation) if not _addressed_as(s, replies)]


def _without_secrets(slots: list[Slot], conversation: Conversation) -> list[Slot]:
    """The details with no card number or SSN, whole or in part: a value holding a card number, or a piece of
    one (the identifier reader stops at a dot), becomes its last four digits as said ("Card number: 4111 ... 1111"
    -> "Card last four: 1111"), or is left out when they are no words of their own; one holding an SSN is left
    out, as the page hides an SSN whole (its last four is an identity check)."""
    found: list[list[SecretNumber]] = []
    before = ""
    for turn in conversation.turns:
        text = clean(turn.content)
        found.append(secret_numbers(text, context=before))
        before = text
    if not any(found):
        return slots
    known = {secret.digits for secrets in found for secret in secrets}
    kept: list[Slot] = []
    for slot in slots:
        text = clean(conversation.turns[slot.turn].content)
        secret, said = _secret_in(slot.value, text, found[slot.turn], known)
        if secret is None:
            kept.append(slot)
            continue
        four = last_four_said(said, secret) if secret.kind == "card" else None
        if four is not None:
            before = conversation.turns[slot.turn - 1].content if slot.turn else ""
            card = "card" in f"{slot.key} {text} {before}".lower()
            kept.append(Slot("Card last four" if card else f"{slot.key} last four", four, slot.turn))
    return kept


def _secret_in(
    value: str, text: str, secrets: list[SecretNumber], known: set[str]
) -> tuple[SecretNumber | None, str]:
    """The card number or SSN ``value`` holds or is cut from, with the text that says it whole: the turn's, when
    every place the value stands in the turn overlaps a number read out (a reader may stop inside one, at a dot or
    at "double"), else the value's own."""
    places = [match.span() for match in re.finditer(re.escape(value), text)] if secrets else []
    inside = [next((s for s in secrets if s.start < end and start < s.end), None) for start, end in places]
    if places and all(inside):
        return inside[-1], text
    own = secret_numbers(value, known=known)
    return (own[-1], value) if own else (None, value)


def _replies(conversation: Conversation) -> list[str]:
    """For each turn, what the agent says next (empty when the agent says nothing more)."""
    replies: list[str] = []
    reply = ""
    for turn in reversed(conversation.turns):
        replies.append(reply)
        if turn.role == "assistant":
            reply = turn.content
    return replies[::-1]


def _addressed_as(slot: Slot, replies: list[str]) -> bool:
    """True for a named person ("the patient's name?") whom the agent's next turn thanks by first name:
    the caller gave their own name, which is the header's job, not an information item."""
    if not slot.key.endswith(" name"):
        return False
    first = re.escape(slot.value.split()[0])
    return (
        re.search(rf"\b(?:thanks|thank you|okay|ok|got it)[, ]+{first}\b", replies[slot.turn], re.IGNORECASE)
        is not None
    )


def _dedupe(slots: list[Slot]) -> list[Slot]:
    seen_keys: set[str] = set()
    seen_values: list[str] = []
    kept: list[Slot] = []
    for slot in slots:
        if len(kept) == _MAX_DETAILS:
            break
        value = slot.value.lower()
        if slot.key in seen_keys or any(value in other or other in value for other in seen_values):
            continue
        seen_keys.add(slot.key)
        seen_values.append(value)
        kept.append(slot)
    return kept
