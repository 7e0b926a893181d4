"""Details in a brief's free text that the call never mentions: a faithfulness signal that needs no model.

A detail is a number written with digits (amounts, dates, times, counts), an identifier mixing letters and
digits ("SR88213"), an e-mail address, a month or weekday, or a name-like word. The transcript's spoken numbers
become digits first (``text2num``: "fifty nine ninety nine" is "59 99"; "oh" after a digit is 0; "twenty three
dollars and eighteen cents" is 23.18).

* **Numbers** are compared as values, not as digits found anywhere: "$48,250" matches "forty eight thousand two
  hundred fifty" but "$482.50", "$4,825" or "$250" do not. A number is said when it is one number of the call
  (thousands separators and trailing ".00" aside; "$212" for $212.47, rounded down); or the digits of a run of numbers said together — a whole
  run ("seven seven two oh four one" is 772041), or consecutive numbers of two digits or more within it ("fifty
  nine ninety nine" is 59.99, "nineteen sixty one" 1961); or, from four digits on, the end of such a run ("card
  ending 4821"). A time "9:00" needs its hour said (and its minutes, unless ":00"); a date or range is checked
  part by part ("10/29" with October said, "8-10 AM"), and a month named in the call counts as its number.
* **Identifiers and e-mail addresses** must occur in the call with spaces and punctuation removed ("s r eight
  eight two one three" is SR88213; "jane at example dot com" is jane@example.com).
* **Months and weekdays** must be said, by name (or as the month of a written date, "10/29").
* **Names** are capitalized words (any script's letters) that are not everyday English (``wordfreq`` Zipf
  frequency below :data:`NAME_ZIPF`; at the start of a sentence, where every word is capitalized, below
  :data:`OPENING_NAME_ZIPF`); acronyms of up to five capitals are not names, a possessive is read without its
  "'s", a hyphenated word is a name only where one of its parts is, and words of a label before a colon name a
  field. Each must occur in the call (a name spelled letter by letter, "o y e l a r a n", counts as the word it
  spells, and two words said apart count joined: "epi pen" for "EpiPen").

Numbers the brief spells in words ("two offers") and "(turn 3)" references are not details. What this cannot
see: a wrong fact in ordinary words ("Wells Fargo" for another bank), common names ("Garcia"), amounts said as
fractions ("a quarter percent"); that is a judge's job (``--judge``). The rate per section is ``unsupported
details / details`` (``None`` without details), on labelled and unlabelled calls alike.
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
    "OPENING_NAME_ZIPF",
    "Detail",
    "Evidence",
    "details_in",
    "evidence_of",
    "unsupported_details",
]

DetailKind = Literal["number", "identifier", "email", "month", "weekday", "name"]

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
#: At the start of a sentence every word is capitalized: only a word this rare is read as a name there.
OPENING_NAME_ZIPF = 2.0
#: A number as written, not inside a word or identifier: thousands groups, a decimal part, a time, a percent.
_NUMBER = re.compile(
    r"(?<![\w.])(?:\d{1,2}:\d{2}|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:st|nd|rd|th)?(?![\w])"
)
#: Numbers of the transcript (after ``_digits``), with what stands between them, to find runs said together.
_SPOKEN_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_RUN_GAP = re.compile(r"(?:st|nd|rd|th)?[\s,/:\-\u2013]*")
#: A code: letters and digits in one word ("SR88213", "T3"), or capitals and digits joined by hyphens
#: ("ACCT-99173"); not a number with a word ("90-day", "81-year-old").
_IDENTIFIER = re.compile(r"(?<![\w@-])(?:[A-Z0-9]+(?:-[A-Z0-9]+)+|[^\W_]*\d[^\W_]*)(?![\w@-])")
_ORDINAL = re.compile(r"^\d+(?:st|nd|rd|th)$", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_WRITTEN_DATE = re.compile(r"\b(\d{1,2})[/-]\d{1,2}(?:[/-]\d{2,4})?\b")
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"\u201c(\[]\s*|\n\s*|[-*\u2022]\s+)$")
_NON_DIGIT = re.compile(r"\D")
_SPOKEN_ZERO = re.compile(r"(?<=\d)\s+oh\b", re.IGNORECASE)
_DOLLARS_AND_CENTS = re.compile(r"(\d+) dollars? and (\d+) cents?", re.IGNORECASE)
_POSSESSIVE = re.compile(r"['\u2019]s?$")
_SPOKEN_POSSESSIVE = re.compile(r"(?<=\w)['\u2019]s\b")
_TURN_REFERENCE = re.compile(r"\bturns?\s+(?:\d+\s*(?:,|and|-|to)\s*)*$", re.IGNORECASE)
#: The rest of a label ("Expiration date: ..."): a word there names a field, not a person or place.
_IN_LABEL = re.compile(r"[\w\s'-]*:")
#: Partial runs are joined only this far into a run (a run of 5,000 numbers is not a number).
_MAX_RUN = 40


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

    #: Each number said, canonical (no thousands separators, no trailing decimal zeros); months named, as numbers.
    values: frozenset[str]
    #: Digits of numbers said together: whole runs, and consecutive numbers of two digits or more within one.
    joins: frozenset[str]
    #: The digits of runs of six or more digits, to find "ending 4821".
    long_runs: tuple[str, ...]
    words: frozenset[str]
    #: The call's words run together, with "at" and "dot" dropped (identifiers and e-mail addresses).
    compact: str
    months: frozenset[int]

    def supports(self, detail: Detail) -> bool:
        if detail.kind == "number":
            return self._number(detail.key)
        if detail.kind in ("identifier", "email"):
            return bool(detail.key) and detail.key in self.compact
        if detail.kind == "month":
            return detail.key in self.words or _MONTH_OF[detail.key] in self.months
        return detail.key in self.words

    def _number(self, key: str) -> bool:
        if ":" in key:  # a time: its hour said, and its minutes unless on the hour
            hour, minutes = key.split(":", 1)
            return hour.lstrip("0") in self.values and (minutes == "00" or minutes.lstrip("0") in self.values)
        digits = _NON_DIGIT.sub("", key)
        if key in self.values or digits in self.joins:
            return True
        return len(digits) >= 4 and any(run.endswith(digits) for run in self.long_runs)


def _canonical(number: str) -> str:
    """A number as compared: no thousands separators, no ordinal suffix, no trailing decimal zeros."""
    number = re.sub(r"(?:st|nd|rd|th)$", "", number.replace(",", ""), flags=re.IGNORECASE)
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    return number.lstrip("0") or "0" if ":" not in number else number


@functools.lru_cache(maxsize=4096)
def _digits(text: str) -> str:
    """``text`` with spoken numbers written as digits ("oh" between digits as 0, dollars and cents joined)."""
    spoken = str(alpha2digit(text, "en", threshold=0))
    return _DOLLARS_AND_CENTS.sub(r"\1.\2", _SPOKEN_ZERO.sub(" 0", spoken))


_TITLES = ("Dr.", "Mr.", "Mrs.", "Ms.", "Mx.", "St.", "Prof.")


def _starts_sentence(before: str) -> bool:
    """Whether a word after ``before`` opens a sentence (a bullet, a quote), where any word is capitalized."""
    return bool(_SENTENCE_START.search(before)) and not before.rstrip().endswith(_TITLES)


def _is_name(word: str, *, opening: bool) -> bool:
    if len(word) < 3 or not word[0].isupper():
        return False
    if word.isupper() and len(word) <= 5:  # an acronym: DOB, HIPAA, SSN
        return False
    return zipf_frequency(word.casefold(), "en") < (OPENING_NAME_ZIPF if opening else NAME_ZIPF)


def details_in(text: str, section: BriefSection) -> list[Detail]:
    """The numbers, identifiers, e-mail addresses, months, weekdays and name-like words of a piece of a brief."""
    found: list[Detail] = []
    emails = list(_EMAIL.finditer(text))
    for match in emails:
        found.append(Detail(section, "email", match.group(), _compact(match.group())))
    text = _EMAIL.sub(" ", text)
    codes = [m for m in _IDENTIFIER.finditer(text) if _is_code(m.group())]
    found += [Detail(section, "identifier", m.group(), _compact(m.group())) for m in codes]
    # A code's digits are not a number of their own; a range or date's parts each are ("8-10", "10/29").
    text = _IDENTIFIER.sub(lambda m: " " if _is_code(m.group()) else m.group(), text)
    for match in _NUMBER.finditer(text):
        if not _TURN_REFERENCE.search(text[: match.start()]):  # "(turn 3)" points into the transcript
            found.append(Detail(section, "number", match.group(), _canonical(match.group())))
    for match in _WORD.finditer(text):
        word = _POSSESSIVE.sub("", match.group())
        lower = word.casefold().strip("-")
        if lower in _MONTH_OF and (lower != "may" or word == "May"):
            found.append(Detail(section, "month", word, _MONTHS[_MONTH_OF[lower] - 1]))
        elif lower in _WEEKDAYS:
            found.append(Detail(section, "weekday", word, lower))
        elif not _IN_LABEL.match(text[match.end() :]) and any(
            _is_name(part, opening=_starts_sentence(text[: match.start()])) for part in word.split("-")
        ):
            found.append(Detail(section, "name", word, normalize_text(word).replace(" ", "")))
    return found


def _is_code(word: str) -> bool:
    """Letters and digits together, and not an ordinal ("9th")."""
    return any(c.isdigit() for c in word) and any(c.isalpha() for c in word) and not _ORDINAL.match(word)


def _compact(text: str) -> str:
    return normalize_text(text).replace(" ", "")


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


def _number_runs(digits: str) -> list[list[str]]:
    """The transcript's numbers (canonical), grouped into runs said together (nothing but spaces, commas,
    dashes, slashes or colons between them)."""
    runs: list[list[str]] = []
    end = -1
    for match in _SPOKEN_NUMBER.finditer(digits):
        number = _canonical(match.group())
        if runs and _RUN_GAP.fullmatch(digits[end : match.start()]):
            runs[-1].append(number)
        else:
            runs.append([number])
        end = match.end()
    return runs


def evidence_of(conversation: Conversation) -> Evidence:
    """The call's numbers (spoken ones included) and runs of them, its words (spelled names and neighbouring
    words joined too), its words run together, and the months of its dates."""
    # "Dr. Anand's office": the name is Anand (normalizing alone would make it "anands").
    text = _SPOKEN_POSSESSIVE.sub("", "\n".join(turn.content for turn in conversation.turns))
    digits = _digits(text)
    runs = _number_runs(digits)
    values = {number for run in runs for number in run}
    values |= {number.split(".")[0] for number in values if "." in number}  # "$212" for $212.47: rounded
    joins: set[str] = set()
    long_runs: list[str] = []
    for run in runs:
        plain = [_NON_DIGIT.sub("", number) for number in run]
        whole = "".join(plain)
        joins.add(whole)
        if len(whole) >= 6:
            long_runs.append(whole)
        head = plain[:_MAX_RUN]
        for start in range(len(head)):
            joined = ""
            for number in head[start:]:
                if len(number) < 2:
                    break
                joined += number
                joins.add(joined)
    words = normalize_text(text).split()
    vocabulary = set(words) | _spelled_words(words) | {a + b for a, b in itertools.pairwise(words)}
    spoken_words = normalize_text(digits).split()
    vocabulary |= set(spoken_words)
    named_months = {_MONTH_OF[word] for word in vocabulary if word in _MONTHS}
    months = frozenset(int(m) for m in _WRITTEN_DATE.findall(digits) if 1 <= int(m) <= 12) | named_months
    values |= {str(month) for month in named_months}
    compact = "".join(word for word in spoken_words if word not in ("at", "dot"))
    return Evidence(
        frozenset(values), frozenset(joins), tuple(long_runs), frozenset(vocabulary), compact, months
    )


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
