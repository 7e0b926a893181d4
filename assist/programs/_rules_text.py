"""Text helpers the rules program shares: cleaning ASR noise, spoken digits, the Luhn check."""

from __future__ import annotations

import re

from assist._memo import text_cache

__all__ = ["DIGIT_WORDS", "FAMILY", "Cue", "clean", "digits_in", "luhn_ok", "sentences", "words"]

#: Transcription artefacts such as ``[noise]``, ``<unk>``, ``[unintelligible]``, and cut-off words (``wou~``).
_NOISE = re.compile(r"\[[^\]]*\]|<[^>]*>|\b\w+~")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_NON_DIGIT = re.compile(r"\D")
_LETTERS = re.compile(r"[a-z]+")

#: Family members a caller may call for or about, as a lowercase regex alternation.
FAMILY = (
    r"(?:mom|mum|mother|dad|father|husband|wife|son|daughter|kid|child|brother|sister|grandmother|grandma|"
    r"grandfather|grandpa|parent|spouse|partner|aunt|uncle)"
)

DIGIT_WORDS: dict[str, str] = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
#: A run of written digits (with spaces/dashes), of digits read one by one in comma-separated groups
#: ("5 2 1, 4 4, 7 0 9 3"), or of spoken digit words; "double" repeats the next one.
_DIGIT_RUN = re.compile(
    r"\b\d(?:(?:[ \t]*,[ \t]*|[\s-]+)\d\b){3,}|\d(?:[\d\s-]*\d)?|"
    r"\b(?:(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|double)\b[\s,-]*){4,}",
    re.IGNORECASE,
)


class Cue:
    """A case-insensitive yes/no pattern, written in lowercase.

    ASCII text is lowercased and matched case-sensitively, as re's IGNORECASE matching is about three
    times slower; other text keeps IGNORECASE, whose Unicode case folding (the long s matches "s")
    ``lower()`` does not reproduce.
    """

    __slots__ = ("_folded", "_lower")

    def __init__(self, pattern: str) -> None:
        if pattern != pattern.lower():
            raise ValueError(f"cue patterns are lowercase: {pattern!r}")
        self._lower = re.compile(pattern)
        self._folded = re.compile(pattern, re.IGNORECASE)

    def found(self, text: str) -> bool:
        if text.isascii():
            return self._lower.search(text.lower()) is not None
        return self._folded.search(text) is not None


@text_cache(maxsize=4096)
def clean(text: str) -> str:
    """The utterance without transcription artefacts, whitespace collapsed, case kept.

    Cached: every rule module cleans the same turns. Most turns hold no artefact and no run of
    whitespace, so the substitutions are skipped when the characters they need are absent (every
    whitespace character but the plain space is unprintable).
    """
    if "[" in text or "<" in text or "~" in text:
        text = _NOISE.sub(" ", text)
    if "  " in text or not text.isprintable():
        text = _SPACES.sub(" ", text)
    return text.strip()


def words(text: str) -> list[str]:
    """Lowercase word tokens of the cleaned text, apostrophes normalized."""
    return _WORD.findall(clean(text).lower().replace("\u2019", "'"))


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(clean(text)) if s]


def digits_in(text: str) -> list[str]:
    """Every digit string the text spells out, written (``4111 1111``) or spoken (``four one one one``)."""
    found: list[str] = []
    for match in _DIGIT_RUN.finditer(text):
        chunk = match.group(0).lower()
        if chunk[0].isdigit():
            found.append(_NON_DIGIT.sub("", chunk))
            continue
        digits: list[str] = []
        repeat = 1
        for token in _LETTERS.findall(chunk):
            if token == "double":
                repeat = 2
                continue
            digits.append(DIGIT_WORDS[token] * repeat)
            repeat = 1
        found.append("".join(digits))
    return found


def luhn_ok(number: str) -> bool:
    """The Luhn checksum payment card numbers carry."""
    if not number.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0
