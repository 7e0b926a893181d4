"""Text helpers every rules module shares: cleaning ASR noise, sentences, cue patterns, spoken digits, Luhn.

One way of doing each thing: :func:`sentences` is the only sentence splitter and :func:`sentence_around` the
only "sentence at this position" helper; :class:`CallText` is the one lowercased view of a call the
lowercase cue patterns (:func:`phrases`) are matched against.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib.resources import files

from assist._memo import text_cache
from assist.schema import Conversation, Role

__all__ = [
    "DIGIT_WORDS",
    "ENGLISH_WORDS",
    "FAMILY",
    "LETTERS",
    "NUMBER_WORD",
    "TENS",
    "UNITS",
    "CallText",
    "Cue",
    "SuffixAutomaton",
    "agent_before",
    "call_text",
    "clean",
    "digit_runs",
    "digits_in",
    "luhn_ok",
    "mask_long_numbers",
    "phrases",
    "sentence_around",
    "sentences",
    "word_set",
    "words",
]

#: Transcription artefacts such as ``[noise]``, ``<unk>``, ``[unintelligible]``, and cut-off words (``wou~``).
_NOISE = re.compile(r"\[[^\]]*\]|<[^>]*>|\b\w+~")
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

#: A run of written digits (with spaces/dashes), of digits read one by one in comma-separated groups
#: ("5 2 1, 4 4, 7 0 9 3"), or of spoken digit words; "double" repeats the next one.
_DIGIT_RUN = re.compile(
    r"\b\d(?:(?:[ \t]*,[ \t]*|[\s-]+)\d\b){3,}|\d(?:[\d\s-]*\d)?|"
    r"\b(?:(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|double)\b[\s,-]*){4,}",
    re.IGNORECASE,
)
#: Nine or more digits, possibly grouped by spaces, dashes or dots: card numbers, SSNs, account numbers.
_LONG_NUMBER = re.compile(r"\d(?:[ .-]?\d){8,}")


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


def digit_runs(text: str) -> Iterator[tuple[int, int, str]]:
    """Where the text spells out each digit string of :func:`digits_in`: ``(start, end, digits)``.

    The handoff page masks card numbers and SSNs by these spans (``assist.render``)."""
    for match in _DIGIT_RUN.finditer(text):
        chunk = match.group(0).lower()
        if chunk[0].isdigit():
            yield match.start(), match.end(), _NON_DIGIT.sub("", chunk)
            continue
        # A spoken run's match takes the separators after its last word ("nine one two, "); its span does not.
        end = match.start() + len(chunk.rstrip(" \t\n,-"))
        digits: list[str] = []
        repeat = 1
        for token in LETTERS.findall(chunk):
            if token == "double":
                repeat = 2
                continue
            digits.append(DIGIT_WORDS[token] * repeat)
            repeat = 1
        yield match.start(), end, "".join(digits)


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


def mask_long_numbers(text: str) -> str:
    """The prose of a brief names long numbers by their last four digits only; the transcript keeps them.

    Card numbers, SSNs and long account numbers read out in a call are not repeated in the brief's sentences
    (the model program applies the same rule to what a model writes)."""
    return _LONG_NUMBER.sub(
        lambda match: "[number ending " + _NON_DIGIT.sub("", match.group())[-4:] + "]", text
    )


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
