"""Text helpers every rules module shares: cleaning ASR noise, sentences, cue patterns, spoken digits, Luhn, and
the one reader of card numbers and SSNs (:func:`secret_numbers`) the brief programs and the handoff page mask by.

One way of doing each thing: :func:`sentences` is the only sentence splitter and :func:`sentence_around` the
only "sentence at this position" helper; :class:`CallText` is the one lowercased view of a call the
lowercase cue patterns (:func:`phrases`) are matched against.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from importlib.resources import files
from typing import Literal

from assist._memo import text_cache
from assist.schema import Conversation, Role

__all__ = [
    "DIGIT_WORDS",
    "ENGLISH_WORDS",
    "FAMILY",
    "LETTERS",
    "NUMBER_WORD",
    "PROSE_WORD",
    "TENS",
    "UNITS",
    "CallText",
    "Cue",
    "Secret",
    "SecretNumber",
    "SuffixAutomaton",
    "agent_before",
    "call_text",
    "clean",
    "digit_runs",
    "digits_in",
    "last_four_said",
    "luhn_ok",
    "mask_secrets",
    "phrases",
    "secret_numbers",
    "secrets_by_turn",
    "sentence_around",
    "sentences",
    "word_set",
    "words",
]

#: Transcription artefacts such as ``[noise]``, ``<unk>``, ``[unintelligible]``, and cut-off words (``wou~``); a
#: card number or SSN masked as :func:`mask_secrets` masks it is no artefact, and stays.
_NOISE = re.compile(r"\[(?!number ending \d{4}\])[^\]]*\]|<[^>]*>|\b\w+~")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
#: A sentence ends at . ! ? before a space, except after a title ("Dr. Patel"). The cheap
#: punctuation check comes first: re tries the lookbehinds in order at every position.
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bMrs\.)(?<!\bSt\.)\s+")
_NON_DIGIT = re.compile(r"\D")
#: Runs of lowercase letters: the words of lowercased text, apostrophes and digits left out.
LETTERS = re.compile(r"[a-z]+")

#: Family members a caller may call for or about, as a lowercase regex alternation.
FAMILY = (
    r"(?:mom|mum|mother|dad|father|husband|wife|son|daughter|kid|child|brother|sister|grandmother|grandma|"
    r"grandfather|grandpa|parent|spouse|partner|aunt|uncle)"
)

DIGIT_WORDS: dict[str, str] = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]  # fmt: skip
TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
#: One word of a number said aloud ("two hundred and a half" is made of them), as a regex group.
NUMBER_WORD = "(?:" + "|".join([*UNITS, *TENS, "hundred", "thousand", "million", "and", "a"]) + ")"

_SPOKEN_DIGITS = "zero|oh|one|two|three|four|five|six|seven|eight|nine"
#: One digit said aloud, or two ("double five").
_SPOKEN = rf"(?:double[\s,-]+)?(?:{_SPOKEN_DIGITS})\b"
#: A run of digits: read one by one in comma-separated groups ("5 2 1, 4 4, 7 0 9 3"), written in groups between
#: two or more dots ("4111.1111.1111.1111"; one dot is a decimal point), written with spaces or dashes (en and em
#: dashes too), or four or more digit words grouped by spaces, commas, dashes or the word "dash" ("nine one two
#: dash four four").
_DIGIT_RUN = re.compile(
    r"\b\d(?:(?:[ \t]*,[ \t]*|[\s-]+)\d\b){3,}|\d+(?:\.\d+){2,}|\d(?:[\d\s\u2013\u2014-]*\d)?|"
    rf"\b{_SPOKEN}(?:(?:[\s,-]+dash\b)?[\s,-]+{_SPOKEN}){{3,}}",
    re.IGNORECASE,
)
#: Each digit of a run as said: a written digit, or a spoken word ("double five" says two).
_SAID_DIGIT = re.compile(rf"\d|\b{_SPOKEN}", re.IGNORECASE)
#: What a card number or SSN in a brief becomes: its last four digits, never the rest.
_MASK = "[number ending {}]"
#: A word of a brief's sentence, a masked number counting as one: a word limit keeps it whole or leaves it out.
PROSE_WORD = re.compile(r"\[number ending \d{4}\]|\S+")
#: A mask a word limit cut short ("... is [number ending"): nothing of it is kept.
_CUT_MASK = re.compile(r"\s*\[number(?: ending)?(?: \d{1,4})?(?=[\s.,;:!?\"]*$)")
#: A nine-digit number is an SSN when the text around it names one ...
_SSN_WORDS = re.compile(r"\b(?:social|ssn)\b", re.IGNORECASE)
#: ... or when it is written in an SSN's own shape, which no other number has.
_SSN_SHAPE = re.compile(r"\d{3}[ .-]\d{2}[ .-]\d{4}")
#: A number the speaker names as something else ("loan number is, hold on..."), in the characters before it.
_OTHER_NUMBER = re.compile(
    r"\b(?:loan|account|policy|member|membership|claim|order|reference|confirmation|case|ticket|tracking|invoice|"
    r"employee|customer|booking|routing|phone) (?:number|no\b|#|id\b)",
    re.IGNORECASE,
)
#: How many characters before a number its label may stand: room for a filler ("Loan number is, hold on... ").
_LABEL_REACH = 40


def _english_words() -> frozenset[str]:
    """Every word of VADER's lexicon, read from the file VADER ships (as VADER reads it, first column)."""
    lexicon = files("vaderSentiment").joinpath("vader_lexicon.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().split("\t")[0] for line in lexicon.rstrip("\n").split("\n") if line)


#: Everyday English: VADER's whole lexicon, as published. The names reader takes these words for ordinary
#: words rather than names; the sentiment reader edits a copy of its own.
ENGLISH_WORDS = _english_words()


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


def phrases(*alternatives: str) -> re.Pattern[str]:
    """One pattern for lowercase phrases, each starting at a word; searched in lowercased text (see
    :class:`CallText`), which is much faster than IGNORECASE."""
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")")


def word_set(*lines: str) -> frozenset[str]:
    """The whitespace-separated words of ``lines``, exactly as written."""
    return frozenset(" ".join(lines).split())


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


@text_cache(maxsize=4096)
def sentences(text: str) -> tuple[str, ...]:
    """The sentences of the cleaned text.

    Cached: the handoff, lookup, action, verification and commitment finders each split every agent turn.
    """
    return tuple(s for s in _SENTENCE_END.split(clean(text)) if s)


@text_cache(maxsize=1024)
def _sentence_starts(text: str) -> tuple[int, ...]:
    """Where each sentence of ``text`` (as it is, not cleaned) starts, :func:`sentences`' way."""
    return (0, *(match.end() for match in _SENTENCE_END.finditer(text)))


def sentence_around(text: str, position: int) -> str:
    """The sentence of ``text`` that holds ``position``, split as :func:`sentences` splits.

    For text already cleaned; a look-up in the sentence starts, so asking about every match of a pattern in a
    long turn stays linear.
    """
    starts = _sentence_starts(text)
    index = bisect.bisect_right(starts, position) - 1
    end = starts[index + 1] if index + 1 < len(starts) else len(text)
    return text[starts[index] : end].rstrip()


def agent_before(conversation: Conversation) -> list[str]:
    """For each turn, what the agent said in its last turn before it (empty before the agent's first)."""
    before: list[str] = []
    said = ""
    for turn in conversation.turns:
        before.append(said)
        if turn.role == "assistant":
            said = turn.content
    return before


class SuffixAutomaton:
    """Every stretch of a sequence of tokens (words, characters) added so far, found in time proportional to
    the stretch, not to the sequence: a suffix automaton (Blumer et al., 1985), which also records where each
    stretch first ends. Building it costs a few steps per token."""

    def __init__(self) -> None:
        self._next: list[dict[str, int]] = [{}]
        self._link = [-1]
        self._length = [0]
        self._first_end = [0]
        self._last = 0

    def __len__(self) -> int:
        """How many tokens were added."""
        return self._length[self._last]

    def extend(self, token: str) -> None:
        new = len(self._length)
        self._length.append(self._length[self._last] + 1)
        self._first_end.append(self._length[new])
        self._next.append({})
        self._link.append(0)
        state = self._last
        while state != -1 and token not in self._next[state]:
            self._next[state][token] = new
            state = self._link[state]
        if state != -1:
            known = self._next[state][token]
            if self._length[state] + 1 == self._length[known]:
                self._link[new] = known
            else:
                copy = len(self._length)
                self._length.append(self._length[state] + 1)
                self._first_end.append(self._first_end[known])
                self._next.append(dict(self._next[known]))
                self._link.append(self._link[known])
                while state != -1 and self._next[state].get(token) == known:
                    self._next[state][token] = copy
                    state = self._link[state]
                self._link[known] = self._link[new] = copy
        self._last = new

    def first_end(self, stretch: Iterable[str]) -> int | None:
        """How many tokens had been added when ``stretch`` first ended, or None when it never occurs."""
        state = 0
        for token in stretch:
            found = self._next[state].get(token)
            if found is None:
                return None
            state = found
        return self._first_end[state]


def digits_in(text: str) -> list[str]:
    """Every digit string the text spells out, written (``4111 1111``) or spoken (``four one one one``)."""
    return [digits for _, _, digits in digit_runs(text)]


@text_cache(maxsize=4096)
def digit_runs(text: str) -> tuple[tuple[int, int, str], ...]:
    """Where the text spells out each digit string of :func:`digits_in`: ``(start, end, digits)``.

    Cached: the secrets reader, the details and the verification rules each read the same turns.
    """
    return tuple(_digit_run(match) for match in _DIGIT_RUN.finditer(text))


def _digit_run(match: re.Match[str]) -> tuple[int, int, str]:
    chunk = match.group(0)
    if chunk[0].isdigit():
        return match.start(), match.end(), _NON_DIGIT.sub("", chunk)
    digits: list[str] = []
    repeat = 1
    for token in LETTERS.findall(chunk.lower()):
        if token == "double":
            repeat = 2
        elif token != "dash":
            digits.append(DIGIT_WORDS[token] * repeat)
            repeat = 1
    return match.start(), match.end(), "".join(digits)


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


Secret = Literal["card", "ssn"]


@dataclass(frozen=True, slots=True)
class SecretNumber:
    """A card number or SSN in a text: where it is said, which it is, and its digits."""

    start: int
    end: int
    kind: Secret
    digits: str


def secret_numbers(text: str, *, context: str = "", known: Collection[str] = ()) -> list[SecretNumber]:
    """The card numbers and SSNs in ``text``, written, grouped or said digit by digit (:func:`digit_runs`).

    A card number is any run of 13 to 19 digits, a card's length: Luhn is not asked, as a misheard or made-up
    card number read out is still one, and a long number hidden costs a look at the transcript where a card
    number shown cannot be taken back. An SSN is a run of nine digits written in an SSN's shape (3-2-4), or one of
    the ``known`` digit strings (the secrets a call read out, for a sentence about it that does not say "SSN"
    again), or in a text that, with its ``context`` (the turn before, for a turn), names a Social Security number,
    unless the words just before the run name it as another number ("Loan number is 3 0 0 7 7 1 5 2 9" answering
    "your loan number and the last four of your Social?"). Nothing else is one: phone numbers (10-11 digits), ZIP
    codes, amounts and dates are not.
    """
    found: list[SecretNumber] = []
    named: bool | None = None
    after = 0  # where the words before the next run start: the end of the run before it
    for start, end, digits in digit_runs(text):
        if 13 <= len(digits) <= 19:
            found.append(SecretNumber(start, end, "card", digits))
        elif len(digits) == 9:
            if named is None:
                named = _SSN_WORDS.search(text) is not None or _SSN_WORDS.search(context) is not None
            words_before = text[max(after, start - _LABEL_REACH) : start]
            labelled = _OTHER_NUMBER.search(words_before) is not None and not _SSN_WORDS.search(words_before)
            if digits in known or _SSN_SHAPE.fullmatch(text, start, end) or (named and not labelled):
                found.append(SecretNumber(start, end, "ssn", digits))
        after = end
    return found


def secrets_by_turn(conversation: Conversation) -> list[list[SecretNumber]]:
    """Each turn's card numbers and SSNs, the turn before read as its context, as the handoff page reads them."""
    found: list[list[SecretNumber]] = []
    before = ""
    for turn in conversation.turns:
        found.append(secret_numbers(turn.content, context=before))
        before = turn.content
    return found


def mask_secrets(text: str, *, context: str = "", known: Collection[str] = ()) -> str:
    """``text`` with each card number and SSN of :func:`secret_numbers` named by its last four digits only
    ("[number ending 1111]"), and a mask a word limit cut short taken out: a brief's sentences never carry a
    whole number, nor a piece of one that could be taken for a value."""
    for secret in reversed(secret_numbers(text, context=context, known=known)):
        text = text[: secret.start] + _MASK.format(secret.digits[-4:]) + text[secret.end :]
    return _CUT_MASK.sub("", text) if "[number" in text else text


def last_four_said(text: str, secret: SecretNumber) -> str | None:
    """The words of ``text`` that say the secret's last four digits ("1111", "one one one one"), copied as said:
    what a brief may collect of a card number. ``None`` when they are no words of their own (``4111111111111111``
    has none) or "double" says the fourth and fifth from the end together."""
    count = 0
    for match in reversed(list(_SAID_DIGIT.finditer(text, secret.start, secret.end))):
        count += 2 if match.group(0).lower().startswith("double") else 1
        if count >= 4:
            start = match.start()
            alone = count == 4 and (start == secret.start or not text[start - 1].isdigit())
            return text[start : secret.end] if alone else None
    return None


#: Contractions as an unpunctuated (ASR) transcript writes them: "im transferring you", "ive blocked it".
_BARE_CONTRACTIONS = {
    "im": "i'm", "ive": "i've", "ill": "i'll", "cant": "can't", "dont": "don't", "wont": "won't",
    "youre": "you're", "youve": "you've", "youll": "you'll", "weve": "we've", "didnt": "didn't",
    "doesnt": "doesn't", "isnt": "isn't", "wasnt": "wasn't", "couldnt": "couldn't", "wouldnt": "wouldn't",
    "havent": "haven't", "hasnt": "hasn't", "arent": "aren't", "thats": "that's", "theres": "there's",
    "theyre": "they're", "itll": "it'll", "lets": "let's", "whats": "what's",
}  # fmt: skip
_BARE_CONTRACTION = re.compile(r"\b(?:" + "|".join(_BARE_CONTRACTIONS) + r")\b")
#: "well" before a verb is "we'll" heard without its apostrophe ("well pay for the repairs").
_BARE_WE_WILL = re.compile(
    r"\bwell (?=(?:pay|cover|send|refund|credit|waive|get|take|make|call|have|be|set|book)\b)"
)


def _spell_contractions(lowered: str) -> str:
    """Lowercased ASR text with its contractions spelled as the cue patterns expect them."""
    lowered = _BARE_CONTRACTION.sub(lambda m: _BARE_CONTRACTIONS[m.group()], lowered)
    return _BARE_WE_WILL.sub("we'll ", lowered)


@dataclass(frozen=True, slots=True)
class CallText:
    """The call as the lowercase cue patterns read it, turn by turn."""

    #: ``(role, text)`` of every turn, the text cleaned and then lowercased as :meth:`lower` does.
    turns: list[tuple[Role, str]]
    #: Each turn as :func:`clean` leaves it, case kept.
    cleaned: list[str]
    #: No apostrophe anywhere: unpunctuated speech recognition output.
    asr: bool
    #: Each turn's number in the whole call, for what the brief says about a turn (the rules may read only the
    #: opening and the end of a long call; see ``reading``).
    numbers: list[int]

    def lower(self, text: str) -> str:
        """Text of this call lowercased, with its contractions spelled out when the call is unpunctuated ASR."""
        return _lowered(text, asr=self.asr)

    def first(self, role: Role, pattern: re.Pattern[str]) -> int | None:
        """The first turn of ``role`` in which ``pattern`` is found."""
        return next((i for i, (r, t) in enumerate(self.turns) if r == role and pattern.search(t)), None)

    def caller_turns(self) -> Iterator[tuple[int, str, str]]:
        """``(index, text, the agent's last words before it)`` of every caller turn that says something."""
        agent_said = ""
        for index, (role, text) in enumerate(self.turns):
            if not text:
                continue
            if role == "assistant":
                agent_said = text
            else:
                yield index, text, agent_said


def _lowered(text: str, *, asr: bool) -> str:
    return _spell_contractions(text.lower()) if asr else text.lower()


def call_text(conversation: Conversation, numbers: list[int]) -> CallText:
    cleaned = [clean(turn.content) for turn in conversation.turns]
    asr = not any("'" in text or "\u2019" in text for text in cleaned)
    lowered = [_lowered(text, asr=asr) for text in cleaned]
    turns = [(turn.role, text) for turn, text in zip(conversation.turns, lowered, strict=True)]
    return CallText(turns, cleaned, asr, numbers)
