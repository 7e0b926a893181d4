"""The rules program: each section of the brief from its own module, assembled and grounded.

Every module reads the call as :func:`~assist.programs.rules.reading.within_budget` gives it; the header, the
transcript and the turn numbers markers and flags name are the whole call's.
"""

from __future__ import annotations

from assist.grounding import ground, normalize_text
from assist.programs import BriefResult
from assist.programs._facts import call_duration_seconds, phone_number, transcript
from assist.programs.rules.compliance import find
from assist.programs.rules.details import collect, mentions
from assist.programs.rules.handoff import handoff_of
from assist.programs.rules.markers import markers
from assist.programs.rules.names import UNKNOWN_CALLER, caller_name
from assist.programs.rules.next_steps import next_steps
from assist.programs.rules.reading import within_budget
from assist.programs.rules.reason import transfer_reason
from assist.programs.rules.sentiment import analyze
from assist.programs.rules.summary import summary
from assist.programs.rules.text import call_text, mask_long_numbers
from assist.programs.rules.topic import topic_of
from assist.schema import (
    SENTIMENT_LABELS,
    AgentAssistPortal,
    ComplianceFlag,
    Conversation,
    Header,
    InfoItem,
    NextStep,
    Sentiment,
)

__all__ = ["RulesProgram"]


class RulesProgram:
    """Cue-rule brief program: deterministic, offline, a few milliseconds per call."""

    name = "rules"

    def brief(self, conversation: Conversation) -> BriefResult:
        portal = _build(conversation)
        grounded, dropped = ground(portal, conversation)
        return BriefResult(portal=grounded, program=self.name, ungrounded_dropped=dropped)


def _build(conversation: Conversation) -> AgentAssistPortal:
    read = within_budget(conversation)
    call = read.call
    name = caller_name(call)
    sentiment = analyze(call)
    findings = find(call_text(call, read.numbers))
    mentioned = mentions(call)
    slots = collect(mentioned)
    name_words = set(normalize_text(name).split()) if name != UNKNOWN_CALLER else set()
    topic = topic_of(call, name_words, slots)
    handoff = handoff_of(call)
    reason = transfer_reason(call, topic, handoff, findings, sentiment)
    bullets = summary(
        call,
        topic=topic,
        handoff=handoff,
        findings=findings,
        sentiment=sentiment,
        slots=slots,
        name_words=name_words,
    )
    steps = next_steps(call, topic=topic, handoff=handoff, findings=findings)
    issue_turn = topic.issue[0] if topic.issue else None
    turns = transcript(conversation)
    for index, turn_markers in markers(call, mentioned, sentiment, findings, issue_turn, name_words).items():
        number = read.numbers[index]
        turns[number] = turns[number].model_copy(update={"markers": turn_markers})
    return AgentAssistPortal(
        header=Header(
            caller_name=name,
            phone_number=phone_number(conversation),
            call_duration_seconds=call_duration_seconds(conversation),
            sentiment=Sentiment(label=SENTIMENT_LABELS[sentiment.level], level=sentiment.level),
        ),
        transfer_reason=mask_long_numbers(reason),
        call_summary=[mask_long_numbers(bullet) for bullet in bullets],
        information_collected=[InfoItem(key=s.key, value=s.value) for s in slots[:10]],
        suggested_next_steps=[
            NextStep(action=mask_long_numbers(action), confidence=confidence) for action, confidence in steps
        ],
        transcript=turns,
        compliance_flags=[ComplianceFlag(type=kind, description=text) for kind, text in findings.flags],
    )
