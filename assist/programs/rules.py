"""The deterministic, offline brief: cue rules over the transcript, no model.

It is the embedded default, the fallback when a model program fails, and the baseline prompts
are compared against. Each section comes from one helper module (``_rules_names``,
``_rules_sentiment``, ``_rules_slots``, ``_rules_compliance``, and ``_rules_story`` for the transfer
reason, summary and next steps); this module only assembles them into an ``AgentAssistPortal``, adds
the turn markers, and runs the shared grounding check.
"""

from __future__ import annotations

import re

from assist.grounding import ground, normalize_text
from assist.programs import BriefResult
from assist.programs._facts import call_duration_seconds, phone_number, transcript
from assist.programs._rules_compliance import Findings, find
from assist.programs._rules_names import UNKNOWN_CALLER, caller_name
from assist.programs._rules_sentiment import CallSentiment, analyze
from assist.programs._rules_slots import Slot, collect, mentions
from assist.programs._rules_story import tell
from assist.programs._rules_text import clean, sentences
from assist.schema import (
    SENTIMENT_LABELS,
    SENTIMENT_LEVELS,
    AgentAssistPortal,
    ComplianceFlag,
    Conversation,
    Header,
    InfoItem,
    Marker,
    NextStep,
    Sentiment,
)

__all__ = ["RulesProgram"]

#: Milder signs of frustration the sentiment levels leave at calm: exasperated emphasis, repeated effort.
_FRUSTRATION_HINT = re.compile(
    r"\b(?:someone|somebody|anyone|you) (?:who can |to )?actually\b|\bthat's (?:impossible|ridiculous|crazy|absurd)\b|"
    r"\bwhatever\b|\byou guys\b|\b(?:two|three|four|five|several|\d+) times\b|"
    r"\b(?:i've|i have) (?:already )?(?:called|emailed|left|tried|been waiting)\b|\w !|\w!",
    re.IGNORECASE,
)
#: An agent offering an option ("I can offer a credit of $10", "I can book Thursday") states no fact yet.
_OFFER = re.compile(
    r"\b(?:i|we) (?:can|could) (?:offer|issue|book|give|schedule|set|apply|send)\b", re.IGNORECASE
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
_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|hundred|"
    r"thousand|grand|dozen"
)
#: Specifics that make a statement a fact: numbers, dates and times, and (in punctuated text) names.
_CONCRETE = re.compile(
    rf"\d[\w.,:/-]*|\b(?:{_NUMBER_WORDS})\b|\b(?:january|february|march|april|june|july|august|september|"
    r"october|november|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|tonight|"
    r"tomorrow|this morning|last (?:week|month|year|night|time))\b|(?-i:(?<=[a-z,] )[A-Z][A-Za-z-]*\b)",
    re.IGNORECASE,
)
#: The agent reading out what its records show.
_LOOKUP = re.compile(
    r"\b(?:i see|i can see|it looks like|i've found|i found|is ready|are in|arrived|doesn't match|does not match|"
    r"was (?:rejected|denied|approved|cancell?ed|delivered|changed|replaced))\b",
    re.IGNORECASE,
)
_SHOULD_NOT_RECORD = frozenset({"Date of birth", "Account last four", "Card last four", "ZIP code", "Email"})


class RulesProgram:
    """Cue-rule brief program: deterministic, offline, a few milliseconds per call."""

    name = "rules"

    def brief(self, conversation: Conversation) -> BriefResult:
        portal = _build(conversation)
        grounded, dropped = ground(portal, conversation)
        return BriefResult(portal=grounded, program=self.name, ungrounded_dropped=dropped)


def _markers(
    conversation: Conversation,
    mentioned: list[Slot],
    sentiment: CallSentiment,
    findings: Findings,
    topic_turn: int | None,
    name_words: set[str],
) -> dict[int, list[Marker]]:
    markers: dict[int, list[Marker]] = {}

    def add(turn: int, type_: str, description: str) -> None:
        markers.setdefault(turn, []).append(
            Marker.model_validate({"type": type_, "description": description})
        )

    shift_at = {index: (old, new) for index, old, new in sentiment.shifts}
    heated = SENTIMENT_LEVELS.index(sentiment.level) >= 2
    previous = 0
    for scored in sentiment.turns:
        hinted = heated and (
            bool(_FRUSTRATION_HINT.search(clean(conversation.turns[scored.index].content)))
            or (scored.human_request and previous >= 2)
        )
        previous = scored.level
        if (
            hinted
            and scored.level < 2
            and not (scored.level == 1 and scored.cue and not scored.human_request)
        ):
            add(scored.index, "frustration", "Caller sounds exasperated")
        elif scored.level >= 2 or (scored.level == 1 and scored.cue and not scored.human_request):
            quoted = f': "{scored.cue}"' if scored.cue else ""
            add(
                scored.index,
                "frustration",
                f"Caller sounds {SENTIMENT_LEVELS[scored.level].replace('_', ' ')}{quoted}",
            )
        if scored.index in shift_at:
            old, new = shift_at[scored.index]
            add(
                scored.index,
                "sentiment_shift",
                f"Caller went from {SENTIMENT_LABELS[SENTIMENT_LEVELS[old]].lower()} to "
                f"{SENTIMENT_LABELS[SENTIMENT_LEVELS[new]].lower()}",
            )
    if findings.verified_turn is not None:
        add(findings.verified_turn, "identity_verified", "The AI confirmed the caller's identity")
    for index, description in findings.commitments.items():
        add(index, "ai_commitment", description)
    for index, description in findings.escalations.items():
        add(index, "escalation_trigger", description)
    for index, leaked in findings.sensitive.items():
        add(index, "key_info", f"Caller shared {leaked}")
    info_turns = _first_mentions(conversation, mentioned)
    for index, turn_slots in info_turns.items():
        if index not in findings.sensitive:
            details = "; ".join(dict.fromkeys(f'{s.key}: "{s.value}"' for s in turn_slots[:3]))
            add(index, "key_info", f"Shared {details}")
    for index, description in _fact_turns(conversation, findings, name_words):
        if index not in info_turns and index not in findings.sensitive:
            add(index, "key_info", description)
    if (
        topic_turn is not None
        and topic_turn not in info_turns
        and topic_turn not in findings.sensitive
        and not _BARE_REQUEST.match(clean(conversation.turns[topic_turn].content))
    ):
        add(topic_turn, "key_info", "Caller states the reason for the call")
    return markers


def _first_mentions(conversation: Conversation, mentioned: list[Slot]) -> dict[int, list[Slot]]:
    """Turn -> the details that first appear in it: key_info marks where facts *first* appear.

    A value the call already showed (the agent reading back a claim number, a date repeated in the
    handoff), a verification secret (last four, date of birth, ZIP, email) and an amount the agent
    merely offers ("I can offer a credit of $10") carry no new information.
    """
    seen = " "
    info_turns: dict[int, list[Slot]] = {}
    by_turn: dict[int, list[Slot]] = {}
    for slot in mentioned:
        by_turn.setdefault(slot.turn, []).append(slot)
    for index, turn in enumerate(conversation.turns):
        text = clean(turn.content)
        for slot in by_turn.get(index, ()):
            value = normalize_text(slot.value)
            if (
                slot.key in _SHOULD_NOT_RECORD
                or slot.key.endswith("last four")
                or f" {value} " in seen
                or (turn.role == "assistant" and _OFFER.search(_sentence_with(text, slot.value)))
            ):
                continue
            info_turns.setdefault(index, []).append(slot)
        seen += normalize_text(text) + " "
    return info_turns


def _fact_turns(
    conversation: Conversation, findings: Findings, name_words: set[str]
) -> list[tuple[int, str]]:
    """Turns that state concrete facts no typed slot catches: what the agent found on the account
    ("I see a SIM change on your line at 6:52 this morning"), and the caller's later statements
    with specifics ("I paid Crestline in 2022", "we're supposed to be in Albuquerque tonight").

    A statement counts when it is not a question, has six words or more and names something
    concrete (a number, a date or time word, a capitalized name other than the caller's). The
    caller's demands for a human are escalations, not facts.
    """
    found: list[tuple[int, str]] = []
    first_user = next(
        (i for i, t in enumerate(conversation.turns) if t.role == "user" and clean(t.content)), None
    )
    seen = " "
    for index, turn in enumerate(conversation.turns):
        earlier, seen = seen, f"{seen}{normalize_text(clean(turn.content))} "
        said = [s for s in sentences(turn.content) if "?" not in s]
        if turn.role == "assistant":
            said = [s for s in said if _LOOKUP.search(s)]
        elif (
            first_user is None
            or index <= first_user
            or (
                index in findings.escalations and not findings.escalations[index].startswith("Caller reports")
            )
        ):
            continue
        statement = " ".join(said)
        concrete = [
            m.group(0)
            for m in _CONCRETE.finditer(statement)
            if normalize_text(m.group(0)) not in name_words
            and f" {normalize_text(m.group(0))} " not in earlier
        ]
        if len(statement.split()) >= 6 and concrete:
            who = "The AI found" if turn.role == "assistant" else "Caller added"
            found.append((index, f'{who} a detail: "{concrete[0]}"'))
    return found


def _sentence_with(text: str, value: str) -> str:
    return next((s for s in sentences(text) if value in s), text)


#: Nine or more digits, possibly grouped by spaces, dashes or dots: card numbers, SSNs, account numbers.
_LONG_NUMBER = re.compile(r"\d(?:[ .-]?\d){8,}")
_NON_DIGIT = re.compile(r"\D")


def _mask_long_numbers(text: str) -> str:
    """The prose of a brief names long numbers by their last four digits only; the transcript keeps them."""
    return _LONG_NUMBER.sub(
        lambda match: "[number ending " + _NON_DIGIT.sub("", match.group())[-4:] + "]", text
    )


def _build(conversation: Conversation) -> AgentAssistPortal:
    name = caller_name(conversation)
    sentiment = analyze(conversation)
    findings = find(conversation)
    mentioned = mentions(conversation)
    slots = collect(mentioned)
    name_words = set(normalize_text(name).split()) if name != UNKNOWN_CALLER else set()
    story = tell(
        conversation,
        name_words=name_words,
        findings=findings,
        sentiment=sentiment,
        mentioned=mentioned,
        slots=slots,
    )
    markers = _markers(conversation, mentioned, sentiment, findings, story.issue_turn, name_words)
    turns = transcript(conversation)
    for index, turn_markers in markers.items():
        turns[index] = turns[index].model_copy(update={"markers": turn_markers})
    return AgentAssistPortal(
        header=Header(
            caller_name=name,
            phone_number=phone_number(conversation),
            call_duration_seconds=call_duration_seconds(conversation),
            sentiment=Sentiment(label=SENTIMENT_LABELS[sentiment.level], level=sentiment.level),
        ),
        transfer_reason=_mask_long_numbers(story.transfer_reason),
        call_summary=[_mask_long_numbers(bullet) for bullet in story.summary],
        information_collected=[InfoItem(key=s.key, value=s.value) for s in slots[:10]],
        suggested_next_steps=[
            NextStep(action=_mask_long_numbers(action), confidence=confidence)
            for action, confidence in story.next_steps
        ],
        transcript=turns,
        compliance_flags=[
            ComplianceFlag(type=kind, description=text) for kind, text in _dedupe_flags(findings.flags)
        ],
    )


def _dedupe_flags(flags: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: set[str] = set()
    kept: list[tuple[str, str]] = []
    for kind, text in flags:
        if kind == "unfulfillable_promise" and kind in seen:
            continue
        seen.add(kind)
        kept.append((kind, text))
    return kept
