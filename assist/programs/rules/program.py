"""The rules program: each section of the brief from its own module, assembled and grounded.

Every module reads the call as :func:`~assist.programs.rules.reading.within_budget` gives it; the header, the
transcript and the turn numbers markers and flags name are the whole call's. The prose sections are written from
the call with its card numbers and SSNs already masked, and every text of the brief is masked again before it
leaves (:func:`~assist.programs.rules.text.mask_secrets`): the transcript alone carries them, as said.
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
from assist.programs.rules.text import call_text, mask_secrets, secrets_by_turn
from assist.programs.rules.topic import topic_of
from assist.schema import (
    SENTIMENT_LABELS,
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
    masked, known = _masked(call)
    topic = topic_of(masked, name_words, slots)
    handoff = handoff_of(masked)
    reason = transfer_reason(masked, topic, handoff, findings, sentiment)
    bullets = summary(
        masked,
        topic=topic,
        handoff=handoff,
        findings=findings,
        sentiment=sentiment,
        slots=slots,
        name_words=name_words,
    )
    steps = next_steps(masked, topic=topic, handoff=handoff, findings=findings)
    issue_turn = topic.issue[0] if topic.issue else None
    turns = transcript(conversation)

    def hide(text: str) -> str:
        return mask_secrets(text, known=known)

    for index, turn_markers in markers(call, mentioned, sentiment, findings, issue_turn, name_words).items():
        number = read.numbers[index]
        hidden = [Marker(type=m.type, description=hide(m.description)) for m in turn_markers]
        turns[number] = turns[number].model_copy(update={"markers": hidden})
    return AgentAssistPortal(
        header=Header(
            caller_name=hide(name),
            phone_number=phone_number(conversation),
            call_duration_seconds=call_duration_seconds(conversation),
            sentiment=Sentiment(label=SENTIMENT_LABELS[sentiment.level], level=sentiment.level),
        ),
        transfer_reason=hide(reason),
        call_summary=[hide(bullet) for bullet in bullets],
        information_collected=[InfoItem(key=hide(s.key), value=hide(s.value)) for s in slots[:10]],
        suggested_next_steps=[
            NextStep(action=hide(action), confidence=confidence) for action, confidence in steps
        ],
        transcript=turns,
        compliance_flags=[ComplianceFlag(type=kind, description=hide(text)) for kind, text in findings.flags],
    )


def _masked(call: Conversation) -> tuple[Conversation, frozenset[str]]:
    """The call with each turn's card numbers and SSNs masked, read as the handoff page reads them (the turn
    before as context), and the digits of every one.

    The prose sections are written from this call, so no word limit or repeated-word rule can cut a number into a
    piece that looks like a value ("four one", "4111 1111"); the digits let the last pass recognise an SSN again in
    a sentence that no longer says "SSN".
    """
    found = secrets_by_turn(call)
    turns = list(call.turns)
    for index, secrets in enumerate(found):
        if secrets:
            before = call.turns[index - 1].content if index else ""
            turns[index] = turns[index].model_copy(
                update={"content": mask_secrets(turns[index].content, context=before)}
            )
    known = frozenset(secret.digits for secrets in found for secret in secrets)
    return call.model_copy(update={"turns": turns}), known
