"""Details in a brief's free text that the call never mentions: a faithfulness signal that needs no model.

A detail is a number written with digits (amounts, dates, times, identifiers), a month or weekday, or a
name-like word. The transcript's spoken numbers become digits first (``text2num``: "fifty nine ninety nine" is
"59 99"; "oh" between digits is 0; "twenty three dollars and eighteen cents" is 23.18), so "$59.99" is found in
"fifty nine ninety nine" and "$122" in "one twenty two"; a name spelled out letter by letter ("o y e l a r a
n") counts as the word it spells, and two words said apart count joined ("epi pen" for "EpiPen").

* **Numbers** are compared as digit strings: a detail's digits must occur inside a run of digits the call
  says (consecutive numbers joined), so "4821" of "[number ending 4821]" is found in a card number read out.
  A range or date is checked part by part ("8-10 AM", "10/29"). Numbers the brief spells in words ("two
  offers", "third party") are not details.
* **Months and weekdays** must be said, by name (or as the month of a written date, "10/29").
* **Names** are capitalized words, not at the start of a sentence, that are not everyday English (``wordfreq``
  Zipf frequency below :data:`NAME_ZIPF`; acronyms of up to five capitals are not names; a possessive is
  read without its "'s"; a hyphenated word is a name only where one of its parts is; words of a label before a
  colon name a field); each must occur in the call. "(turn 3)" points into the transcript and is no detail.

The rate per section is ``unsupported details / details`` (``None`` without details), on labelled and
unlabelled calls alike. It only finds what it can read: a wrong fact written in ordinary words is a judge's
job (``--judge``).
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass
from typing import Literal

from text_to_num import alpha2digit
from wordfreq import zipf_frequency

from assist.grounding import normalize_text
from assist.programs import BriefSection
from assist.schema import AgentAssistPortal, Conversation

__all__ = [
    "FREE_TEXT_SECTIONS",
    "NAME_ZIPF",
    "Detail",
    "Evidence",
    "details_in",
    "evidence_of",
    "unsupported_details",
]

DetailKind = Literal["number", "month", "weekday", "name"]

#: Sections whose text a program writes in its own words (``information_collected`` values are grounded).
FREE_TEXT_SECTIONS: tuple[BriefSection, ...] = (
    "caller_name",
    "transfer_reason",
    "call_summary",
    "suggested_next_steps",
    "markers",
    "compliance_flags",
)
#: Words at least this frequent in English (Zipf scale: 3 is once per million words) are not names.
NAME_ZIPF = 3.5

_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONTH_OF = {name: index + 1 for index, name in enumerate(_MONTHS)} | {
    name[:3]: index + 1 for index, name in enumerate(_MONTHS) if name != "may"
}
_WEEKDAYS = frozenset(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])
#: A number as written: digits with thousands/decimal/time separators; ranges and dates split on - and /.
_NUMBER = re.compile(r"\d(?:[\d,.:]*\d)?")
_DIGIT_RUN = re.compile(r"\d+(?:(?:st|nd|rd|th)?[\s,.:/-]+\d+)*")
_WRITTEN_DATE = re.compile(r"\b(\d{1,2})[/-]\d{1,2}(?:[/-]\d{2,4})?\b")
_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"\u201c(\[]\s*|\n\s*|[-*\u2022]\s+)$")
_NON_DIGIT = re.compile(r"\D")
_SPOKEN_ZERO = re.compile(r"(?<=\d)\s+oh\s+(?=\d)", re.IGNORECASE)
_DOLLARS_AND_CENTS = re.compile(r"(\d+) dollars? and (\d+) cents?", re.IGNORECASE)
_POSSESSIVE = re.compile(r"['\u2019]s?$")
_SPOKEN_POSSESSIVE = re.compile(r"(?<=\w)['\u2019]s\b")
_TURN_REFERENCE = re.compile(r"\bturns?\s+(?:\d+\s*(?:,|and|-|to)\s*)*$", re.IGNORECASE)
#: The rest of a label ("Expiration date: ..."): a word there names a field, not a person or place.
_IN_LABEL = re.compile(r"[\w\s'-]*:")


@dataclass(frozen=True)
class Detail:
    """One checkable detail of a brief: where it was, what kind, the words, and the form it is matched by."""

    section: BriefSection
    kind: DetailKind
    text: str
    key: str


@dataclass(frozen=True)
class Evidence:
    """What a call says, in the forms details are matched against."""

    digit_runs: tuple[str, ...]
    words: frozenset[str]
    months: frozenset[int]

    def supports(self, detail: Detail) -> bool:
        if detail.kind == "number":
            return bool(detail.key) and any(detail.key in run for run in self.digit_runs)
        if detail.kind == "month":
            return detail.key in self.words or _MONTH_OF[detail.key] in self.months
        return detail.key in self.words


@functools.lru_cache(maxsize=4096)
def _digits(text: str) -> str:
    """``text`` with spoken numbers written as digits ("oh" between digits as 0, dollars and cents joined)."""
    spoken = str(alpha2digit(text, "en", threshold=0))
    return _DOLLARS_AND_CENTS.sub(r"\1.\2", _SPOKEN_ZERO.sub(" 0 ", spoken))


_TITLES = ("Dr.", "Mr.", "Mrs.", "Ms.", "Mx.", "St.", "Prof.")


def _starts_sentence(before: str) -> bool:
    """Whether a word after ``before`` opens a sentence (a bullet, a quote), where any word is capitalized."""
    return bool(_SENTENCE_START.search(before)) and not before.rstrip().endswith(_TITLES)


def _is_name(word: str) -> bool:
    if len(word) < 3 or not word[0].isupper():
        return False
    if word.isupper() and len(word) <= 5:  # an acronym: DOB, HIPAA, SSN
        return False
    return zipf_frequency(word.casefold(), "en") < NAME_ZIPF


def details_in(text: str, section: BriefSection) -> list[Detail]:
    """The numbers, months, weekdays and name-like words of one piece of a brief's text."""
    found: list[Detail] = []
    for match in _NUMBER.finditer(text):
        if _TURN_REFERENCE.search(text[: match.start()]):
            continue  # "(turn 3)": the brief pointing into its own transcript, not a fact of the call
        found.append(Detail(section, "number", match.group(), _NON_DIGIT.sub("", match.group())))
    for match in _WORD.finditer(text):
        word = _POSSESSIVE.sub("", match.group())
        lower = word.casefold().strip("-")
        if lower in _MONTH_OF and (lower != "may" or word == "May"):
            found.append(Detail(section, "month", word, _MONTHS[_MONTH_OF[lower] - 1]))
        elif lower in _WEEKDAYS:
            found.append(Detail(section, "weekday", word, lower))
        elif (
            not _starts_sentence(text[: match.start()])
            and not _IN_LABEL.match(text[match.end() :])
            and any(_is_name(part) for part in word.split("-"))
        ):
            found.append(Detail(section, "name", word, normalize_text(word).replace(" ", "")))
    return found


def _spelled_words(words: list[str]) -> set[str]:
    """Runs of three or more single letters joined ("o y e l a r a n" -> "oyelaran")."""
    joined: set[str] = set()
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        if len(run) >= 3:
            joined.add("".join(run))
        run = []
    return joined


def evidence_of(conversation: Conversation) -> Evidence:
    """The call's digit runs (spoken numbers included), its words (spelled names and neighbouring words joined
    too) and the months of its written dates."""
    # "Dr. Anand's office": the name is Anand (normalizing alone would make it "anands").
    text = _SPOKEN_POSSESSIVE.sub("", "\n".join(turn.content for turn in conversation.turns))
    digits = _digits(text)
    runs = tuple(_NON_DIGIT.sub("", run) for run in _DIGIT_RUN.findall(digits))
    words = normalize_text(text).split()
    vocabulary = set(words) | _spelled_words(words) | {a + b for a, b in itertools.pairwise(words)}
    vocabulary |= set(normalize_text(digits).split())
    months = frozenset(int(m) for m in _WRITTEN_DATE.findall(digits) if 1 <= int(m) <= 12)
    return Evidence(runs, frozenset(vocabulary), months)


def _texts(portal: AgentAssistPortal) -> list[tuple[BriefSection, str]]:
    texts: list[tuple[BriefSection, str]] = []
    if portal.header.caller_name != "Unknown Caller":
        texts.append(("caller_name", portal.header.caller_name))
    texts.append(("transfer_reason", portal.transfer_reason))
    texts += [("call_summary", bullet) for bullet in portal.call_summary]
    texts += [("suggested_next_steps", step.action) for step in portal.suggested_next_steps]
    texts += [("markers", marker.description) for turn in portal.transcript for marker in turn.markers]
    texts += [("compliance_flags", flag.description) for flag in portal.compliance_flags]
    return texts


def unsupported_details(
    portal: AgentAssistPortal, conversation: Conversation, evidence: Evidence | None = None
) -> tuple[dict[BriefSection, int], list[Detail]]:
    """Details per free-text section, and those the call does not support (in the brief's order).

    A caller name is read as a name even at the start of its text (it is nothing else).
    """
    evidence = evidence or evidence_of(conversation)
    counts: dict[BriefSection, int] = dict.fromkeys(FREE_TEXT_SECTIONS, 0)
    unsupported: list[Detail] = []
    for section, text in _texts(portal):
        found = details_in(f"- {text}" if section != "caller_name" else f"The caller is {text}", section)
        counts[section] += len(found)
        unsupported += [detail for detail in found if not evidence.supports(detail)]
    return counts, unsupported
