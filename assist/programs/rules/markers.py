"""Turn markers: where the caller is frustrated and where their mood shifts, where identity is verified, what
the AI commits to, where the call escalates, and where key facts first appear.

A marker sits on the turn that shows it; key facts are marked where they first appear, never where the call
repeats them (a claim number read back, an amount rounded, a date said again in the handoff).
"""

from __future__ import annotations

import itertools
import math
import re

from assist._memo import text_cache
from assist.grounding import normalize_text
from assist.programs.rules.compliance import Findings
from assist.programs.rules.details import Slot
from assist.programs.rules.sentiment import CallSentiment, TurnSentiment
from assist.programs.rules.text import (
    NUMBER_WORD,
    TENS,
    UNITS,
    Cue,
    SuffixAutomaton,
    agent_before,
    clean,
    sentences,
)
from assist.programs.rules.verification import identity_answer, record_found
from assist.schema import SENTIMENT_LABELS, SENTIMENT_LEVELS, Conversation, Marker, MarkerType

__all__ = ["markers"]

#: Milder signs of frustration the sentiment levels leave at calm: exasperated emphasis, repeated effort
#: ("whatever you need" is cooperation, not a shrug).
_FRUSTRATION_HINT = re.compile(
    r"\b(?:someone|somebody|anyone|you) (?:who can |to )?actually\b|\bthat's (?:impossible|ridiculous|crazy|absurd)\b|"
    r"\bwhatever\b(?! (?:you|it takes|works|is needed))|\byou guys\b|\b(?:two|three|four|five|several|\d+) times\b|"
    r"\b(?:i've|i have) (?:already )?(?:called|emailed|left|tried|been waiting)\b|"
    r"\b(?:i|we) (?:already )?(?:called|emailed|wrote|came in) (?:yesterday|earlier|last week|before|this morning)\b|"
    r"\w !|\w!",
    re.IGNORECASE,
)
#: Digits read out one by one ("3 0 0 7 7", "six one nine") are one answer, not many words.
_DIGITS_RUN = re.compile(
    r"\b(?:(?:\d+|zero|oh|one|two|three|four|five|six|seven|eight|nine)\b[\s,.-]*){2,}", re.IGNORECASE
)
#: Level-1 cues that are confusion, hesitation or worry, not irritation: a worried, cooperative caller is calm.
_UNSURE = re.compile(r"confus|worr|concern|not sure|hop(?:e|ing)|understand|strange|odd|weird|hmm")
#: Leading words that accept or thank ("fine yeah", "okay thank you").
_ACCEPTANCE = re.compile(
    r"^(?:(?:yes|yeah|yep|ok|okay|fine|sure|alright|all right|great|perfect|please|thanks?|thank you|"
    r"sounds good|that works|good)\b[\s,.!]*)+",
    re.IGNORECASE,
)
#: An agent offering an option ("I can offer a credit of $10", "you could raise your deductible to $500",
#: "the earliest window is Thursday") states no fact yet.
_AGENT_OFFER = re.compile(
    r"\b(?:i|we) (?:can|could) (?:offer|issue|book|give|schedule|set|apply|send|move|switch|rebook|upgrade|"
    r"downgrade|change|put)\b|\byou (?:can|could) (?:raise|lower|switch|change|move|upgrade|downgrade|add|"
    r"increase|decrease|choose|pick)\b|\b(?:earliest|next) (?:available )?(?:window|slot|appointment|opening)\b|"
    r"\boption\b",
    re.IGNORECASE,
)
#: An opening that only asks for something ("I need to cancel my membership", "I'd like to make an
#: appointment") names no fact yet; one that reports what went wrong does ("my card was charged twice").
_BARE_REQUEST = re.compile(
    r"^(?:(?:hi|hello|hey|yes|yeah|um+|uh+|so|good (?:morning|afternoon|evening)|there)\b[\s,.!]*)*"
    r"(?:i need to|i'd like to|i would like to|i want to|i'm calling (?:about|to|regarding)|i am calling|"
    r"i (?:have|had) (?:a |some |a couple of |a few )?questions?|i was wondering|can you|could you|"
    r"i'm trying to|i'm looking to)\b",
    re.IGNORECASE,
)
_COUNT_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|"
    r"seventy|eighty|ninety|hundred|"
    r"thousand|grand|dozen"
)
#: Specifics that make a statement a fact: numbers, dates and times, (in punctuated text) names, symptoms.
_CONCRETE = re.compile(
    rf"\d[\w.,:/-]*|\b(?:{_COUNT_WORDS})\b|\b(?:january|february|march|april|june|july|august|september|"
    r"october|november|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|tonight|"
    r"tomorrow|this morning|last (?:week|month|year|night|time))\b|(?-i:(?<=[a-z,] )[A-Z][A-Za-z-]*\b)|"
    # Symptoms and damage are facts a human needs even without a number.
    r"\b(?:allergic|allergy|allergies|bleeding|fever|rash|swelling|swollen|dizzy|dizziness|nause\w*|vomit\w*|"
    r"faint\w*|pain|injur\w*|hurt|mold|mould|leak\w*|flood\w*|water damage|smoke|burning|sparks?|sparking|"
    r"cracked|shattered|dented|pregnant|diabetic|disabled|oxygen|hives|itch\w*|wheez\w*|headaches?|cough\w*|numb\w*|"
    r"bruis\w*|sprain\w*|fractur\w*)\b",
    re.IGNORECASE,
)
#: The agent reading out what its records show.
_LOOKUP = Cue(
    r"\b(?:i see|i can see|it looks like|i've found|i found|is ready|are in|arrived|doesn't match|does not match|"
    r"was (?:rejected|denied|approved|cancell?ed|delivered|changed|replaced))\b"
)
_SCALES = {"hundred": 100, "thousand": 1000, "grand": 1000, "k": 1000, "million": 1_000_000}
_SCALE = re.compile(rf"\d\s?({'|'.join(_SCALES)})\b")
_DIGITS = re.compile(r"\d+(?:\.\d+)?")
#: A sum of money, written ("$1,842", "$4.8k", "400 dollars") or spoken ("thirty eight dollars", "ten grand").
#: Spoken, its number words are taken whole and the sum is there only when a unit follows (see
#: :func:`_amounts_in`): a run of number words is read once, never again from each of its words. Written, it
#: never starts inside a run of digits and commas, for the same reason.
_AMOUNT = re.compile(
    r"\$\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:k|thousand|grand|million)\b)?|"
    r"(?<![\d,])\b\d[\d,]*(?:\.\d+)?\s?(?:k|thousand|grand|million|dollars|bucks)\b|"
    rf"(?P<spoken>\b(?:{NUMBER_WORD}[\s-]+)++)(?P<unit>(?:dollars|bucks|grand)\b)?",
    re.IGNORECASE,
)
#: Sums of money read from one turn: a turn naming more is reading out a list, and each costs a parse.
_AMOUNTS_PER_TURN = 20
#: Cheap test for any sum of money; most turns have none and skip the slow pattern.
_MONEY = Cue(r"\$|dollar|buck|grand|thousand|million|\d\s?k\b")
#: How long something took or when it happened ("four days", "two hours", "yesterday", "as of tomorrow").
_WHEN = re.compile(
    rf"\b(?:\d+|{NUMBER_WORD}|a couple of|a few|several)(?: more| whole| full)? "
    r"(?:minutes?|hours?|days?|weeks?|months?|years?)\b|\ba (?:day|week|month) and a half\b|"
    r"\b(?:yesterday|today|tonight|tomorrow|this (?:morning|afternoon|evening)|last (?:week|month|night|time))\b",
    re.IGNORECASE,
)


def _amount_value(text: str) -> float | None:
    """The sum an amount expression names, or None when it names none."""
    text = text.lower().replace(",", "")
    digits = _DIGITS.search(text)
    if digits:
        said = {match.group(1) for match in _SCALE.finditer(text)}
        scale = next((v for k, v in _SCALES.items() if k in said), 1)
        return float(digits.group()) * scale
    total = current = 0
    for word in re.findall(r"[a-z]+", text):
        if word in UNITS:
            current += UNITS.index(word)
        elif word in TENS:
            current += 20 + 10 * TENS.index(word)
        elif word == "a":
            current = current or 1
        elif word == "hundred":
            current = (current or 1) * 100
        elif word in _SCALES:
            total, current = total + (current or 1) * _SCALES[word], 0
    return float(total + current) or None


def _is_amount(match: re.Match[str] | None) -> bool:
    return match is not None and (match.group("spoken") is None or match.group("unit") is not None)


def _amounts_in(text: str) -> list[str]:
    """The sums of money ``text`` names, as said: the first :data:`_AMOUNTS_PER_TURN`."""
    said = (match.group() for match in _AMOUNT.finditer(text) if _is_amount(match))
    return list(itertools.islice(said, _AMOUNTS_PER_TURN))


@text_cache(maxsize=4096)
def _amounts(text: str) -> tuple[float, ...]:
    if not _MONEY.found(text):
        return ()
    return tuple(v for said in _amounts_in(text) if (v := _amount_value(said)) is not None)


class _Money:
    """The amounts a call named so far, asked whether a new one rounds any of them ("four hundred dollars"
    after "$412.66"): two amounts are the same money when they differ by at most a tenth of the larger.

    The amounts are kept by size in buckets narrower than that tenth, so only the three buckets around an
    amount can hold one it rounds, and in each only the smallest and the largest need comparing (to float
    precision): a look-up, however many amounts the call named.
    """

    _WIDTH = math.log(1 / 0.9)

    def __init__(self) -> None:
        self._extremes: dict[int, tuple[float, float]] = {}

    def add(self, values: tuple[float, ...]) -> None:
        for value in values:
            bucket = self._bucket(value)
            low, high = self._extremes.get(bucket, (value, value))
            self._extremes[bucket] = (min(low, value), max(high, value))

    def rounds(self, said: str) -> bool:
        value = _amount_value(said)
        if value is None:
            return False
        bucket = self._bucket(value)
        return any(
            abs(value - old) <= 0.1 * max(value, old)
            for near in (bucket - 1, bucket, bucket + 1)
            for old in self._extremes.get(near, ())
        )

    def __bool__(self) -> bool:
        return bool(self._extremes)

    @classmethod
    def _bucket(cls, value: float) -> int:
        # Zero, and a sum too long to be a float, each keep a bucket of their own.
        if value <= 0 or math.isinf(value):
            return -(2**62) if value <= 0 else 2**62
        return math.floor(math.log(value) / cls._WIDTH)


#: Who is involved (a provider, a business, a patient's name) is context; key_info marks facts.
_WHO_KEY = re.compile(r"name|provider|doctor|company|business|employer|merchant", re.IGNORECASE)
_SHOULD_NOT_RECORD = frozenset({"Date of birth", "Account last four", "Card last four", "ZIP code", "Email"})


def markers(
    conversation: Conversation,
    mentioned: list[Slot],
    sentiment: CallSentiment,
    findings: Findings,
    topic_turn: int | None,
    name_words: set[str],
) -> dict[int, list[Marker]]:
    """Turn -> its markers, in the order they are shown."""
    found: dict[int, list[Marker]] = {}

    def add(turn: int, kind: MarkerType, description: str) -> None:
        found.setdefault(turn, []).append(Marker(type=kind, description=description))

    asked = agent_before(conversation)
    frustrated = _frustrated_turns(conversation, sentiment, asked)
    for index, description in frustrated.items():
        add(index, "frustration", description)
    shift = _shift(conversation, sentiment, frustrated)
    if shift is not None:
        index, old, new = shift
        add(
            index,
            "sentiment_shift",
            f"Caller went from {SENTIMENT_LABELS[SENTIMENT_LEVELS[old]].lower()} to "
            f"{SENTIMENT_LABELS[SENTIMENT_LEVELS[new]].lower()}",
        )
    verified = findings.verified_turn
    if verified is None:
        verified = record_found(conversation, findings.sensitive, name_words)
    if verified is not None:
        add(verified, "identity_verified", "The AI confirmed the caller's identity")
    for index, description in findings.commitments.items():
        add(index, "ai_commitment", description)
    for index, description in findings.escalations.items():
        add(index, "escalation_trigger", description)
    for index, leaked in findings.sensitive.items():
        add(index, "key_info", f"Caller shared {leaked}")
    heard = _Heard(conversation)
    info_turns = _first_mentions(conversation, mentioned, frustrated, asked, heard)
    for index, turn_slots in info_turns.items():
        if index not in findings.sensitive:
            details = "; ".join(dict.fromkeys(f'{s.key}: "{s.value}"' for s in turn_slots))
            add(index, "key_info", f"Shared {details}")
    for index, description in _fact_turns(conversation, findings, name_words, frustrated, asked, heard):
        if index not in info_turns and index not in findings.sensitive:
            add(index, "key_info", description)
    if (
        topic_turn is not None
        and topic_turn not in info_turns
        and topic_turn not in findings.sensitive
        and _reports(clean(conversation.turns[topic_turn].content))
    ):
        add(topic_turn, "key_info", "Caller states the reason for the call")
    return found


def _reports(text: str) -> bool:
    """The opening reports something ("my card was charged twice"), or asks for something while
    giving specifics ("I need to report a driver, he was going ninety on the highway")."""
    if not _BARE_REQUEST.match(text):
        return True
    # Names do not count here: "I'd like an appointment with Dr. Patel" still only asks.
    return sum(1 for found in _CONCRETE.findall(text) if not found[0].isupper()) >= 2


def _frustrated_turns(
    conversation: Conversation, sentiment: CallSentiment, asked: list[str]
) -> dict[int, str]:
    """Caller turn -> why it shows frustration.

    A turn counts when its own words are irritated (a frustration cue, or a milder one that is not
    mere confusion or worry), when the call is heated and the turn has an exasperated hint, or when
    the caller's last real statement was frustrated and this one says more than a short answer or
    an acceptance: a mood carries over until something calms it.
    """
    heated = SENTIMENT_LEVELS.index(sentiment.level) >= 2
    found: dict[int, str] = {}
    previous: TurnSentiment | None = None
    carried = False
    for scored in sentiment.turns:
        text = clean(conversation.turns[scored.index].content)
        irritated = scored.level >= 2 or (
            scored.level == 1
            and bool(scored.cue)
            and not scored.human_request
            and not _UNSURE.search(scored.cue.lower())
        )
        if irritated:
            quoted = f': "{scored.cue}"' if scored.cue else ""
            found[scored.index] = f"Caller sounds {SENTIMENT_LEVELS[scored.level].replace('_', ' ')}{quoted}"
        elif heated and (
            _FRUSTRATION_HINT.search(text)
            or (scored.human_request and previous is not None and previous.level >= 2)
        ):
            found[scored.index] = "Caller sounds exasperated"
        elif (
            carried
            and _substantive(text)
            and not _ACCEPTANCE.match(text)
            and not _answers_question(text, asked[scored.index])
        ):
            # A turn that opens by accepting ("Okay, and the hold...", "Yes, please") moves on; it carries no mood.
            found[scored.index] = "Caller is still frustrated"
        # A short answer to the agent's question neither shows nor resets the caller's mood.
        if scored.index in found or (_substantive(text) and not _answers_question(text, asked[scored.index])):
            carried = scored.index in found
        previous = scored
    return found


def _substantive(text: str) -> bool:
    """More than an acceptance or thanks ("Fine. Thank you.", "ok yeah put me through") or a number
    read out ("Okay, got it. 6 1 9 0 3 7.")."""
    rest = _ACCEPTANCE.sub("", text)
    return _word_count(rest) >= 5


@text_cache(maxsize=1024)
def _word_count(text: str) -> int:
    """How many words, with a run of spoken or written digits counted as one.

    Cached: the frustration and shift passes ask this of each caller turn several times.
    """
    return len(_DIGITS_RUN.sub(" 0 ", text).split())


def _answers_question(text: str, asked: str) -> bool:
    """A short reply (``text``, a caller turn) to the agent's question (``asked``, its last turn before), a
    name, a number, a date, or the details the agent asked for, is an answer, not a mood."""
    short = _word_count(text) <= 8
    return ("?" in clean(asked) and short) or identity_answer("user", asked, or_reference=True)


def _shift(
    conversation: Conversation, sentiment: CallSentiment, frustrated: dict[int, str]
) -> tuple[int, int, int] | None:
    """The caller turn where the mood changes: the first frustrated turn after at least one calm,
    substantive caller turn (a caller frustrated from their first words never shifted), or the
    earlier turn where a calm caller throws the agent's words back in disbelief."""
    calm_before = False
    for scored in sentiment.turns:
        if scored.index == sentiment.echo and calm_before:
            return scored.index, 0, max(scored.level, 1)
        if scored.index in frustrated:
            return (scored.index, 0, max(scored.level, 1)) if calm_before else None
        calm_before = calm_before or _substantive(clean(conversation.turns[scored.index].content))
    return None


class _Heard:
    """What the call said before each turn, as the grounding check reads it (normalized words), asked whether
    a phrase was said already, in time proportional to the phrase (a :class:`SuffixAutomaton` of the call's
    words). A turn with no words leaves a mark of its own, which no phrase crosses, as the two spaces it leaves
    between its neighbours do."""

    _GAP = " "

    def __init__(self, conversation: Conversation) -> None:
        self._words = SuffixAutomaton()
        #: Words heard before each turn.
        self._before: list[int] = []
        gap = False
        for turn in conversation.turns:
            self._before.append(len(self._words))
            said = normalize_text(clean(turn.content))
            if said:
                for word in said.split(" "):
                    self._words.extend(word)
            elif not gap:  # one mark for a run of silent turns: a phrase holds none
                self._words.extend(self._GAP)
            gap = not said

    def said_before(self, phrase: str, turn: int) -> bool:
        """Whether the normalized ``phrase`` was said, as whole words, before ``turn``."""
        end = self._words.first_end(phrase.split(" ") if phrase else [self._GAP])
        return end is not None and end <= self._before[turn]


def _first_mentions(
    conversation: Conversation,
    mentioned: list[Slot],
    frustrated: dict[int, str],
    asked: list[str],
    heard: _Heard,
) -> dict[int, list[Slot]]:
    """Turn -> the details that first appear in it (the first three shown): key_info marks where facts
    *first* appear.

    A value the call already showed (the agent reading back a claim number, a date repeated in the
    handoff, "four hundred dollars" after "$412.66"), a verification secret (last four, date of birth,
    ZIP, email), who is involved (a provider's or a business's name), an amount the agent merely
    offers ("I can offer a credit of $10") and where an indignant caller is ("Tucson? I'm in Ohio!", a
    protest against what the agent found) carry no new information.
    """
    info_turns: dict[int, list[Slot]] = {}
    by_turn: dict[int, list[Slot]] = {}
    for slot in mentioned:
        by_turn.setdefault(slot.turn, []).append(slot)
    money = _Money()
    for index, turn in enumerate(conversation.turns):
        text = clean(turn.content)
        answer = identity_answer(turn.role, asked[index])
        offered: dict[str, bool] = {}
        for slot in by_turn.get(index, ()):
            if (
                answer
                or slot.key in _SHOULD_NOT_RECORD
                or slot.key.endswith("last four")
                or _WHO_KEY.search(slot.key)
                or (slot.key == "Caller location" and index in frustrated)
                or heard.said_before(normalize_text(slot.value), index)
                or (_is_amount(_AMOUNT.fullmatch(slot.value)) and money.rounds(slot.value))
            ):
                continue
            if turn.role == "assistant":
                if slot.value not in offered:
                    offered[slot.value] = _AGENT_OFFER.search(_sentence_with(text, slot.value)) is not None
                if offered[slot.value]:
                    continue
            shown = info_turns.setdefault(index, [])
            shown.append(slot)
            if len(shown) == 3:
                break
        money.add(_amounts(text))
    return info_turns


def _fact_turns(
    conversation: Conversation,
    findings: Findings,
    name_words: set[str],
    frustrated: dict[int, str],
    asked: list[str],
    heard: _Heard,
) -> list[tuple[int, str]]:
    """Turns that state concrete facts no typed slot catches: what the agent found on the account
    ("I see a SIM change on your line at 6:52 this morning"), and the caller's later statements
    with specifics ("I paid Crestline in 2022", "we're supposed to be in Albuquerque tonight").

    A statement counts when it is not a question, has six words or more and names something
    concrete (a number, a date or time word, a capitalized name other than the caller's). The
    caller's demands for a human are escalations, not facts; an amount that rounds one already said
    ("ten bucks" after "$10") is not new; and in a frustrated turn, how long or since when ("four
    days without internet", "I called yesterday") measures the wait rather than adding a fact.
    """
    found: list[tuple[int, str]] = []
    first_user = next(
        (i for i, t in enumerate(conversation.turns) if t.role == "user" and clean(t.content)), None
    )
    money = _Money()
    for index, turn in enumerate(conversation.turns):
        detail = _fact(conversation, findings, name_words, frustrated, asked, heard, money, first_user, index)
        if detail is not None:
            found.append((index, detail))
        money.add(_amounts(clean(turn.content)))
    return found


def _fact(
    conversation: Conversation,
    findings: Findings,
    name_words: set[str],
    frustrated: dict[int, str],
    asked: list[str],
    heard: _Heard,
    money: _Money,
    first_user: int | None,
    index: int,
) -> str | None:
    turn = conversation.turns[index]
    if turn.role == "user" and (
        first_user is None
        or index <= first_user
        or identity_answer(turn.role, asked[index])
        or (index in findings.escalations and not findings.escalations[index].startswith("Caller reports"))
    ):
        return None
    said = [s for s in sentences(turn.content) if "?" not in s]
    if turn.role == "assistant":
        said = [s for s in said if _LOOKUP.found(s)]
    statement = " ".join(said)
    # Only an amount the call already named is restated; most turns come before any.
    for amount in dict.fromkeys(_amounts_in(statement)) if money and _MONEY.found(statement) else ():
        if money.rounds(amount):
            statement = statement.replace(amount, " ")
    if index in frustrated:
        statement = _WHEN.sub(" ", statement)
    if len(statement.split()) < 6:
        return None
    concrete = next(
        (
            m.group(0)
            for m in _CONCRETE.finditer(statement)
            if (said_as := normalize_text(m.group(0))) not in name_words
            and not heard.said_before(said_as, index)
        ),
        None,
    )
    if concrete is None:
        return None
    who = "The AI found" if turn.role == "assistant" else "Caller added"
    return f'{who} a detail: "{concrete}"'


def _sentence_with(text: str, value: str) -> str:
    return next((s for s in sentences(text) if value in s), text)
