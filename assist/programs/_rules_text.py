"""Text helpers the rules program shares: cleaning ASR noise, spoken digits, the Luhn check."""

from __future__ import annotations

import functools
import re

__all__ = ["DIGIT_WORDS", "clean", "digits_in", "luhn_ok", "sentences", "words"]

#: Transcription artefacts such as ``[noise]``, ``<unk>``, ``[unintelligible]``, and cut-off words (``wou~``).
_NOISE = re.compile(r"\[[^\]]*\]|<[^>]*>|\b\w+~")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

DIGIT_WORDS: dict[str, str] = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
#: A run of written digits (with spaces/dashes) or of spoken digit words; "double" repeats the next one.
_DIGIT_RUN = re.compile(
    r"\d(?:[\d\s-]*\d)?|\b(?:(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|double)\b[\s,-]*){4,}",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=4096)
def clean(text: str) -> str:
    """The utterance without transcription artefacts, whitespace collapsed, case kept.

    Cached: every rule module cleans the same turns.
    """
    return _SPACES.sub(" ", _NOISE.sub(" ", text)).strip()


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
            found.append(re.sub(r"\D", "", chunk))
            continue
        digits: list[str] = []
        repeat = 1
        for token in re.findall(r"[a-z]+", chunk):
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
