"""The transfer reason: one short sentence with the problem in a few words, who is needed for what, and what the
caller demands.
"""

from __future__ import annotations

import re

from assist.programs.rules.compliance import Findings
from assist.programs.rules.escalation import asked_for, threats
from assist.programs.rules.handoff import Handoff
from assist.programs.rules.prose import CLAUSE_BREAK, DANGLING, caller_clause, plain, sentence_case
from assist.programs.rules.sentiment import CallSentiment
from assist.programs.rules.text import PROSE_WORD, sentences
from assist.programs.rules.topic import Topic
from assist.schema import SENTIMENT_LEVELS, Conversation

__all__ = ["transfer_reason"]

#: Words of the caller's opening kept in the transfer reason: the reason is read at a glance.
_REASON_WORDS = 7
_EMERGENCY_WORDS = re.compile(
    r"\b(?:gas|smell|chest|breath|breathe|bleeding|unconscious|fire|smoke|emergency|pain|tight)",
    re.IGNORECASE,
)


def transfer_reason(
    conversation: Conversation, topic: Topic, handoff: Handoff, findings: Findings, sentiment: CallSentiment
) -> str:
    """One short sentence: the problem in a few words, then who is needed for what and what the caller demands.

    Concise on purpose: a handoff reason is read at a glance, so the caller's opening is clipped to its
    first clause and the caller's demands are named, not quoted.
    """
    demands = [
        (i, findings.escalations[i])
        for i in sorted(findings.escalations)
        if conversation.turns[i].role == "user"
    ]
    emergency = next((i for i, said in demands if said.startswith("Caller reports an emergency")), None)
    if emergency is not None:
        said = _emergency_sentence(conversation.turns[emergency].content)
        subject = caller_clause(clipped := _clip(said, 12), cut=clipped != said.rstrip(".!? "))
    elif topic.issue is not None:
        said = topic.issue[1]
        subject = caller_clause(clipped := _clip(said, _REASON_WORDS), cut=clipped != said.rstrip(".!? "))
    elif topic.intent is not None:
        subject = f"Caller needs help with {topic.intent.topic}"
    else:
        subject = "Caller needs help"
    if topic.amount and topic.amount.lower() not in subject.lower():
        subject += f" ({topic.amount})"
    reasons: list[str] = []
    if handoff.role and handoff.action:
        reasons.append(f"needs {handoff.role} to {handoff.action[0].lower()}{handoff.action[1:]}")
    elif handoff.role:
        reasons.append(f"needs {handoff.role}")
    if handoff.unable:
        reasons.append(f"the AI cannot {handoff.unable}")
    if emergency is not None:
        reasons.append("it is an emergency needing immediate help")
    elif demands:
        threatened = threats(conversation, findings.escalations)
        asked = [asked_for(said) for _, said in demands if said.startswith("Caller asked")]
        demand = "demands" if SENTIMENT_LEVELS.index(sentiment.level) >= 3 else "asked for"
        wants = ([f"threatens {' and '.join(threatened)}"] if threatened else []) + (
            [f"{demand} {asked[-1]}"] if asked else []
        )
        reasons.append("the caller " + " and ".join(wants) if wants else "the caller threatened to escalate")
    # A quote ends the sentence with its own mark.
    alone = subject if subject.endswith('"') else f"{subject}."
    return sentence_case(f"{subject}; {' and '.join(reasons[:2])}." if reasons else alone)


def _clip(text: str, limit: int) -> str:
    """The first clause of a spoken sentence (joined to the next when very short), at most ``limit`` words,
    never ending on a function word ("... saying they")."""
    clauses = [c.strip() for c in CLAUSE_BREAK.split(text.rstrip(".!? ")) if c.strip()]
    if not clauses:
        return text
    kept = clauses[0]
    for extra in clauses[1:]:
        if len(kept.split()) >= 4:
            break
        kept += ", " + extra
    words = PROSE_WORD.findall(kept)[:limit]
    while len(words) > 2 and words[-1].lower().strip(",") in DANGLING:
        words.pop()
    return " ".join(words).rstrip(",")


def _emergency_sentence(content: str) -> str:
    said = sentences(plain(content))
    return next((s for s in said if _EMERGENCY_WORDS.search(s)), said[0] if said else content)
