"""The deterministic, offline brief: cue rules over the transcript, no model.

It is the embedded default, the fallback when a model program fails, and the baseline prompts
are compared against. Each section comes from one helper module (``_rules_names``,
``_rules_sentiment``, ``_rules_slots``, ``_rules_compliance``); this module only assembles them
into an ``AgentAssistPortal`` and runs the shared grounding check.
"""

from __future__ import annotations

import re

from assist.grounding import ground
from assist.programs import BriefResult
from assist.programs._facts import call_duration_seconds, phone_number, transcript
from assist.programs._rules_compliance import Findings, find
from assist.programs._rules_names import UNKNOWN_CALLER, caller_name
from assist.programs._rules_sentiment import CallSentiment, analyze
from assist.programs._rules_slots import Slot, collect, mentions
from assist.programs._rules_text import clean
from assist.schema import (
    SENTIMENT_LABELS,
    SENTIMENT_LEVELS,
    AgentAssistPortal,
    ComplianceFlag,
    Confidence,
    Conversation,
    Header,
    InfoItem,
    Marker,
    NextStep,
    Sentiment,
)

__all__ = ["RulesProgram"]

_REQUEST = re.compile(
    r"\b(?:i(?:'d| would) like|i want|i need|i wanted|i was wondering|i'm calling|i am calling|i'm trying|"
    r"i lost|i got|i have|i had|i filed|i called|i returned|i cancell?ed|i was|can you|could you|there's|"
    r"there are|there is|how do i|my (?!name)[\w' ]{1,30} (?:is|was|got|has|have|won't|isn't|says|went))\b",
    re.IGNORECASE,
)
_GREETING = re.compile(
    r"^(?:(?:hi|hello|hey|yes|yeah|yep|um+|uh+|uhm|oh|so|well|ok|okay|hi there|good (?:morning|afternoon|evening))"
    r"\b[\s,.!]*)+",
    re.IGNORECASE,
)
_NAME_INTRO = re.compile(r"\b(?:my name is|my name's|this is|i'm|it's) ", re.IGNORECASE)
_WANT = re.compile(r"\b(?:i(?:'d| would) like|i want|i need|i wanted)(?: to)? (.+)", re.IGNORECASE)
_UNABLE = re.compile(r"\b(?:not able to|unable to|can't|cannot|not authorized to) (.+)", re.IGNORECASE)
_THIRD_PERSON = [(re.compile(pattern, re.IGNORECASE), replacement) for pattern, replacement in [
    (r"\bi'm\b", "they're"), (r"\bi am\b", "they are"), (r"\bi've\b", "they've"), (r"\bi'd\b", "they'd"),
    (r"\bi'll\b", "they'll"), (r"\bi was\b", "they were"), (r"\bi\b", "they"), (r"\bmy\b", "their"),
    (r"\bme\b", "them"), (r"\bmine\b", "theirs"), (r"\bmyself\b", "themselves"), (r"\bthey has\b", "they have"),
    (r"\bthey doesn't\b", "they don't"), (r"\bthey wasn't\b", "they weren't"), (r"\bthey is\b", "they are"),
]]  # fmt: skip
_SHOULD_NOT_RECORD = frozenset({"Date of birth", "Account last four", "Card last four", "ZIP code", "Email"})


class RulesProgram:
    """Cue-rule brief program: deterministic, offline, a few milliseconds per call."""

    name = "rules"

    def brief(self, conversation: Conversation) -> BriefResult:
        portal = _build(conversation)
        grounded, dropped = ground(portal, conversation)
        return BriefResult(portal=grounded, program=self.name, ungrounded_dropped=dropped)


def _third_person(text: str) -> str:
    for pattern, replacement in _THIRD_PERSON:
        text = pattern.sub(replacement, text)
    return text


def _shorten(text: str, words: int = 22) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + ("..." if len(parts) > words else "")


def _topic(conversation: Conversation, name: str) -> tuple[int, str] | None:
    """The caller's opening request: its turn, and its text in the third person ("they lost their debit card")."""
    candidates = [(i, clean(t.content)) for i, t in enumerate(conversation.turns) if t.role == "user"]
    candidates = [(i, c) for i, c in candidates if len(c.split()) >= 3]
    ordered = [(i, c) for i, c in candidates if _REQUEST.search(c)] + candidates[:1]
    for turn, chosen in ordered:
        match = _REQUEST.search(chosen)
        text = chosen[match.start() :] if match else _GREETING.sub("", chosen)
        if name != UNKNOWN_CALLER:
            text = _NAME_INTRO.sub("", text)
            for word in name.split():
                text = re.sub(rf"\b{re.escape(word)}\b", "", text, flags=re.IGNORECASE)
        text = _shorten(_third_person(re.split(r"(?<=[.!?])\s+", text.strip(" ,"))[0].rstrip(".!?, ")))
        if len(text.split()) >= 2:
            return turn, re.sub(r"\s+", " ", text)
    return None


def _want(conversation: Conversation) -> str | None:
    for turn in conversation.turns:
        if turn.role == "user":
            match = _WANT.search(clean(turn.content))
            if match:
                return re.split(r"[.!?]| because | but ", match.group(1))[0].strip(" ,")
    return None


def _markers(
    mentioned: list[Slot], sentiment: CallSentiment, findings: Findings, topic_turn: int | None
) -> dict[int, list[Marker]]:
    markers: dict[int, list[Marker]] = {}

    def add(turn: int, type_: str, description: str) -> None:
        markers.setdefault(turn, []).append(
            Marker.model_validate({"type": type_, "description": description})
        )

    shift_at = {index: (old, new) for index, old, new in sentiment.shifts}
    for scored in sentiment.turns:
        if scored.level >= 2 or (scored.level == 1 and scored.cue and not scored.human_request):
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
    info_turns: dict[int, list[Slot]] = {}
    for slot in mentioned:
        if slot.key not in _SHOULD_NOT_RECORD:
            info_turns.setdefault(slot.turn, []).append(slot)
    for index, turn_slots in info_turns.items():
        if index not in findings.sensitive:
            details = "; ".join(f'{s.key}: "{s.value}"' for s in turn_slots[:3])
            add(index, "key_info", f"Shared {details}")
    if topic_turn is not None and topic_turn not in info_turns and topic_turn not in findings.sensitive:
        add(topic_turn, "key_info", "Caller states the reason for the call")
    return markers


def _summary(
    who: str, topic: str | None, sentiment: CallSentiment, findings: Findings, slots: list[Slot], turns: int
) -> list[str]:
    bullets = [f"{who} called: {topic}." if topic else f"{who} called without stating a clear request."]
    if findings.sensitive:
        bullets.append(
            "Caller shared "
            + " and ".join(sorted(set(findings.sensitive.values())))
            + " before verification."
        )
    elif findings.verified_turn is not None:
        bullets.append("The AI verified the caller's identity.")
    if slots:
        bullets.append("Details: " + "; ".join(f"{s.key}: {s.value}" for s in slots[:5]) + ".")
    cue = next((t.cue for t in sorted(sentiment.turns, key=lambda t: -t.level) if t.cue), "")
    feeling = f"Caller sentiment: {SENTIMENT_LABELS[sentiment.level].lower()}"
    if cue and sentiment.level != "calm":
        feeling += f' (e.g. "{cue}")'
    if any(t.human_request for t in sentiment.turns):
        feeling += "; the caller asked for a human"
    bullets.append(feeling + ".")
    if findings.inability:
        bullets.append(f'The AI could not finish the request: "{findings.inability}"')
    elif findings.commitments:
        bullets.append("The AI made commitments on the call (see marked turns).")
    if len(bullets) < 3:
        bullets.append(f"The conversation has {turns} turns.")
    return bullets[:5]


def _next_steps(want: str | None, findings: Findings, sentiment: CallSentiment) -> list[NextStep]:
    steps: list[tuple[str, Confidence]] = []
    flag_types = {kind for kind, _ in findings.flags}
    if "unfulfillable_promise" in flag_types:
        steps.append(("Review the AI's promise to the caller and confirm only what can be honoured", "high"))
    if findings.inability:
        action = _UNABLE.search(findings.inability)
        if action:
            task = re.sub(
                r"\b(?:myself|from here|over the phone|automatically|for you)\b", "", action.group(1)
            )
            task = re.split(r"[,.;]| but | so ", task)[0].strip()
            if task:
                steps.append((task[0].upper() + task[1:], "high"))
    if want:
        steps.append((f"Help the caller {_third_person(want)}", "medium" if steps else "high"))
    if "regulatory_requirement" in flag_types:
        steps.append(("Check the flagged regulatory requirement before continuing", "high"))
    if "sensitive_data_unverified" in flag_types:
        steps.append(
            (
                "Do not record the sensitive data the caller read out; verify identity the approved way",
                "medium",
            )
        )
    if SENTIMENT_LEVELS.index(sentiment.level) >= 2:
        steps.append(("Acknowledge the caller's frustration and take ownership of the issue", "medium"))
    if not steps:
        steps.append(("Confirm the request was handled and ask if the caller needs anything else", "medium"))
    return [NextStep(action=action, confidence=confidence) for action, confidence in steps[:3]]


def _transfer_reason(topic: str | None, findings: Findings, conversation: Conversation) -> str:
    subject = topic[0].upper() + topic[1:] if topic else "The caller needs help"
    user_escalations = [d for i, d in findings.escalations.items() if conversation.turns[i].role == "user"]
    if user_escalations:
        reason = user_escalations[-1].split(":", 1)[-1].strip()
        return f"{subject}; asked for escalation ({reason})."
    if findings.inability:
        return f'{subject}; the AI could not resolve it ("{_shorten(findings.inability, 16)}").'
    return f"{subject}."


def _build(conversation: Conversation) -> AgentAssistPortal:
    name = caller_name(conversation)
    sentiment = analyze(conversation)
    findings = find(conversation)
    mentioned = mentions(conversation)
    slots = collect(mentioned)
    found_topic = _topic(conversation, name)
    topic = found_topic[1] if found_topic else None
    who = name if name != UNKNOWN_CALLER else "The caller"
    markers = _markers(mentioned, sentiment, findings, found_topic[0] if found_topic else None)
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
        transfer_reason=_transfer_reason(topic, findings, conversation),
        call_summary=_summary(who, topic, sentiment, findings, slots, len(conversation.turns)),
        information_collected=[InfoItem(key=s.key, value=s.value) for s in slots[:10]],
        suggested_next_steps=_next_steps(_want(conversation), findings, sentiment),
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
