"""The next steps: up to three actions for the human, the handoff's own first, then what the AI could not do,
a promise to correct, what the caller asked for, the topic's usual actions and follow-ups on what the AI set in
motion.
"""

from __future__ import annotations

import re

from assist.programs.rules.compliance import Findings
from assist.programs.rules.handoff import Handoff
from assist.programs.rules.prose import (
    CLAUSE_BREAK,
    DANGLING,
    agent_voice,
    asr_clauses,
    capital,
    overlap,
    plain,
    sentence_case,
    shorten,
    tidy_action,
)
from assist.programs.rules.text import clean
from assist.programs.rules.topic import Intent, Topic
from assist.schema import Confidence, Conversation

__all__ = ["next_steps"]

#: What the AI did, with its object: "I've ordered you a replacement card" -> "a replacement card".
_DONE_OBJECT = re.compile(
    r"\b(?:i've|i have|we've|we have|i|we) (?:now |just |also |already )?(?:ordered|scheduled|booked|sent|submitted|"
    r"issued|requested|dispatched|arranged|set up|opened|placed|filed|processed)"
    r" (?:(?:you|your)(?= (?:a|an|the|your)\b) )?((?:an?|the|your) [\w' -]+?|[a-z]+ [a-z]+)"
    r"(?= (?:so|and|which|to|by|because|but|that|on|at|in|within|today|now|is|are|was|will|should|can|"
    r"for (?:you|your))\b|[,.!?]|$)",
    re.IGNORECASE,
)
#: The caller asking for something to be done: "I need to cancel ...", "can somebody actually check it".
_CALLER_ASK = re.compile(
    r"\b(?:(?:i|we) (?:still )?(?:want|need|would like|'d like)(?: (?:you|someone|somebody|you guys))? to|"
    r"can (?:you|someone|somebody|anyone)) ((?!be\b|talk\b|speak\b)[a-z]+ [^.!?]+)",
    re.IGNORECASE,
)
#: The caller's words inside an ask, as the human agent reads them.
_ASK_VOICE = [(re.compile(p, re.IGNORECASE), r) for p, r in [
    (r"\b(?:my|our)\b", "the caller's"), (r"\b(?:me|us)\b", "the caller"), (r"\b(?:this|that)\b(?= (?!(?:in|on|at|to|for|with|is|was|back|up|out|off|down|now)\b)\w)", "the"),
    (r"\b(?:i'm|i am|we're|we are)\b", "the caller is"), (r"\b(?:i|we)\b", "the caller"),
]]  # fmt: skip
_PROMISE_WORD = re.compile(r"\b(?:will|guarantee|promise|make sure|won't)\b", re.IGNORECASE)
#: "Refund it", "check with them", "process that": an action whose object is a pronoun.
_PRONOUN_OBJECT = re.compile(r"^(\w+(?: \w+)?) (?:it|that|this)\b(?! \w+ed\b)", re.IGNORECASE)
#: Money nouns an amount attaches to; not the imperative verb itself ("Refund the charge").
_MONEY_WORD = re.compile(
    r"(?<!^)\b(?:refund|charges?|credit|bill|payment|fee|deposit)\b(?! of)", re.IGNORECASE
)
_MONEY_VERB = re.compile(r"^(?:refund|credit|reverse|waive|dispute)\b", re.IGNORECASE)
_NOT_DELIVERABLE = frozenset({"code", "passcode", "pin", "verification", "one-time", "caller"})


def next_steps(
    conversation: Conversation, *, topic: Topic, handoff: Handoff, findings: Findings
) -> list[tuple[str, Confidence]]:
    """The handoff's action, what the AI could not do, a promise to correct, the caller's ask, the topic's default."""
    intent, amount = topic.intent, topic.amount
    flags = {kind for kind, _ in findings.flags}
    steps: list[tuple[str, Confidence]] = []

    def add(action: str | None, confidence: Confidence) -> None:
        if action and not any(overlap(action, a) for a, _ in steps):
            steps.append((action, confidence))

    add(_concrete(handoff.action, intent, amount), "high")
    add(_concrete(capital(handoff.unable), intent, amount) if handoff.unable else None, "high")
    if "unfulfillable_promise" in flags:
        promise = next((t for k, t in findings.flags if k == "unfulfillable_promise"), "")
        quoted = re.search(r'"(.+)"', promise)
        add(_promise_step(quoted.group(1) if quoted else None), "medium")
    for wanted in _caller_asks(conversation)[:1]:
        add(_concrete(wanted, intent, amount), "high" if not steps else "medium")
    defaults = (
        [template.format(amount=f" of {amount}" if amount else "") for template in intent.actions]
        if intent
        else []
    )
    # The topic's usual first action, then a check on what the AI already put in motion, then the rest.
    for action in defaults[:1]:
        add(action, "high" if not steps else "medium")
    for done_object in _done_objects(conversation)[:1]:
        add(f"Confirm {done_object} with the caller", "medium")
    for action in defaults[1:]:
        add(action, "medium")
    # Up to three steps: an extra step costs nothing when it is wrong, and a missing one is a missed action.
    if "sensitive_data_unverified" in flags and len(steps) < 3:
        add("Verify the caller's identity the approved way and do not record the sensitive data", "medium")
    if "regulatory_requirement" in flags and len(steps) < 3:
        rule = next(text for kind, text in findings.flags if kind == "regulatory_requirement")
        add(shorten("Review the compliance issue: " + rule.rstrip("."), 18), "medium")
    if len(steps) < 3:
        add("Confirm the resolution and any follow-up with the caller", "medium" if steps else "high")
    if steps and all(confidence != "high" for _, confidence in steps):
        # The first step is the one the human should take; it is never merely "likely useful".
        steps[0] = (steps[0][0], "high")
    return [(sentence_case(action), confidence) for action, confidence in steps[:3]]


def _concrete(action: str | None, intent: Intent | None, amount: str | None) -> str | None:
    """The action with its object named: "Refund it" -> "Refund the charge of $71.94".

    A step is read without the call in front of the reader, so a pronoun object becomes the call's
    topic and the money the call is about is attached to the first money word.
    """
    if action is None:
        return None
    if intent is not None:
        thing = "the charge" if _MONEY_VERB.match(action) else intent.thing
        action = _PRONOUN_OBJECT.sub(lambda m: f"{m.group(1)} {thing}", action, count=1)
    if amount and amount.lower() not in action.lower():
        action = _MONEY_WORD.sub(lambda m: f"{m.group(0)} of {amount}", action, count=1)
    return action


def _promise_step(quote: str | None) -> str:
    """ "Correct the AI's promise that the bag will be delivered tonight by 9 PM": the promise's main clause."""
    if quote is None:
        return "Review the AI's promise and correct it with the caller"
    clauses = [
        c.strip() for part in asr_clauses(quote.rstrip(".!")) for c in CLAUSE_BREAK.split(part) if c.strip()
    ]
    # The clause that promises ("will", "guarantee", "make sure"), not its "since ..." preamble.
    main = next((c for c in clauses if _PROMISE_WORD.search(c)), clauses[0] if clauses else quote)
    main = re.sub(r"^(?:and |since |as )?(?:i promise|i guarantee|i'll make sure|i will make sure)(?: that)?\s*", "",
                  main, flags=re.IGNORECASE)  # fmt: skip
    said = agent_voice(main).strip(" ,")
    return shorten(f"Correct the AI's promise that {said[:1].lower()}{said[1:]}", 18)


def _caller_asks(conversation: Conversation) -> list[str]:
    """What the caller asked to have done, as imperatives: "I want someone to find out where my bag is"
    -> "Find out where the caller's bag is"."""
    asks: list[str] = []
    for turn in conversation.turns:
        if turn.role != "user":
            continue
        for match in _CALLER_ASK.finditer(plain(turn.content)):
            # The ask ends where a new clause starts ("... check it i'm not paying ...", "... and I want ...").
            wanted = re.split(
                r"\b(?:please|like|right now|or else|otherwise)\b|\s(?:and |but |so )?(?:i|i'm|i've|we|we're|you|they)\b",
                match.group(1),
                flags=re.IGNORECASE,
            )[0]
            for pattern, replacement in _ASK_VOICE:
                wanted = pattern.sub(replacement, wanted)
            action = tidy_action(wanted)
            if action and not re.match(
                r"^(?:talk|speak|get|have|be|know|go|do|make sure|put|transfer|connect)\b",
                action,
                re.IGNORECASE,
            ):
                asks.append(shorten(action, 14))
    return asks


def _done_objects(conversation: Conversation) -> list[str]:
    """What the AI put in motion ("the replacement card", "the refund for the January 23rd charge"): the
    human takes over and should confirm each reached the caller."""
    found: list[str] = []
    for turn in conversation.turns:
        if turn.role != "assistant":
            continue
        for match in _DONE_OBJECT.finditer(clean(turn.content)):
            words = match.group(1).split()[:7]
            if words and words[0].lower() in {"a", "an", "your"}:
                words[0] = "the"
            elif words and words[0].lower() != "the":
                words.insert(0, "the")
            while len(words) > 2 and words[-1].lower() in DANGLING:
                words.pop()
            # A code sent to verify the caller is part of the check, not something to follow up on.
            if (
                len(words) >= 2
                and words[1].lower() != "text"
                and not _NOT_DELIVERABLE.intersection(w.lower() for w in words[1:])
            ):
                found.append(" ".join(words))
    return found
