"""The next steps: up to three actions for the human, the handoff's own first, then what the AI could not do,
a promise to correct, what the caller asked for, the topic's usual actions and follow-ups on what the AI set in
motion.
"""

from __future__ import annotations

import re

from assist._memo import text_cache
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
from assist.programs.rules.text import clean, sentences, word_set
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
#: The call saying something is done: "$122 has been transferred", "the claim is already open", "I filed a
#: fraud claim yesterday". A negation ("hasn't been", "has not been", "I never filed") matches none of these.
_DONE_SAID = re.compile(
    r"\b(?:has|have|had|was|were|is|are|it's|i've|we've|i|we)(?: (?:already|just|now|been|successfully)){0,3} "
    r"([a-z]+ed|open)\b"
)
_NEGATION = re.compile(r"\b(?:no|not|never|nothing|nobody|yet)\b|n't\b")
#: Steps that carry out something the call may already have carried out ("Complete the transfer" after
#: "$122 has been transferred"), and what such a step's verb or noun reads as once it is done.
_FINISHING = frozenset({"complete", "process", "finish", "finalize", "make", "do", "carry"})
_OPENING = frozenset({"file", "open", "submit", "start", "place", "set"})
_OPENED = frozenset({"open", "opened", "filed", "submitted", "started", "placed"})
#: Words of a step that name no particular thing.
_PLAIN_WORDS = word_set(
    "the a an to of for with and or caller their any it this that as is are on in by from"
)


def next_steps(
    conversation: Conversation, *, topic: Topic, handoff: Handoff, findings: Findings
) -> list[tuple[str, Confidence]]:
    """The handoff's action, what the AI could not do, a promise to correct, the caller's ask, the topic's default."""
    intent, amount = topic.intent, topic.amount
    flags = {kind for kind, _ in findings.flags}
    steps: list[tuple[str, Confidence]] = []
    done = _done_said(conversation)

    def add(action: str | None, confidence: Confidence) -> None:
        if action and not any(_same_step(action, a) for a, _ in steps) and not _already_done(action, done):
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
        # The flag's description is a sentence of its own and stays in the flags; glued after a template
        # ("Review the compliance issue: The caller disputed ...") it reads as neither.
        add("Review the regulatory requirement flagged on this call before acting", "medium")
    if len(steps) < 3:
        add("Confirm the resolution and any follow-up with the caller", "medium" if steps else "high")
    if steps and all(confidence != "high" for _, confidence in steps):
        # The first step is the one the human should take; it is never merely "likely useful".
        steps[0] = (steps[0][0], "high")
    return [(sentence_case(action), confidence) for action, confidence in steps[:3]]


def _done_said(conversation: Conversation) -> list[tuple[str, str]]:
    """Each thing the call says is done, as (the participle, its sentence lowercased after a space)."""
    said: list[tuple[str, str]] = []
    for turn in conversation.turns:
        # One scan of the turn first: most turns say nothing is done, and need no splitting.
        if not _DONE_SAID.search(clean(turn.content).lower()):
            continue
        for sentence in sentences(turn.content):
            lower = sentence.lower()
            # "No fraud claim has been filed yet": a negation before the participle says it is not done.
            negated = _NEGATION.search(lower)
            cut = negated.start() if negated else len(lower)
            said.extend(
                (match.group(1), f" {lower}") for match in _DONE_SAID.finditer(lower) if match.start(1) < cut
            )
    return said


@text_cache(maxsize=1024)
def _stems(step: str) -> tuple[str, tuple[str, ...]]:
    """The step's verb and the words naming what it acts on, each cut to a stem that its past form starts
    with ("file" -> "fil" for "filed", "transfer" for "transferred").

    Cached: each candidate step is compared with every step kept and every thing said done.
    """
    words = [w for w in re.findall(r"[a-z]+", step.lower()) if w not in _PLAIN_WORDS]
    stems = [w.removesuffix("e") for w in words]
    return (stems[0], tuple(w for w in stems[1:] if len(w) > 3)) if stems else ("", ())


def _already_done(step: str, done: list[tuple[str, str]]) -> bool:
    """Whether the call says the step is done: its verb in the past about the same thing ("File a fraud claim"
    after "I filed a fraud claim yesterday"; "the claim is already open"), or its object done ("Complete the
    transfer" after "$122 has been transferred")."""
    verb, objects = _stems(step)
    verb_word = step.split(" ", 1)[0].lower()
    # Two of the step's words, when it has two, so "a fraud lock was placed" does not make "File a fraud
    # claim" done.
    needed = min(2, len(objects))
    for participle, sentence in done:
        # A word of the sentence starts with the stem when the stem follows a space in it.
        about = needed > 0 and sum(f" {stem}" in sentence for stem in objects) >= needed
        if about and (participle.startswith(verb) or (verb_word in _OPENING and participle in _OPENED)):
            return True
        if verb_word in _FINISHING and any(participle.startswith(stem) for stem in objects):
            return True
    return False


def _same_step(step: str, other: str) -> bool:
    """Two steps say the same thing when their words mostly overlap, or when they take the same verb to the
    same thing ("Process a refund of $486.20 for ..." and "Process a refund of $486.20 to ...")."""
    if overlap(step, other):
        return True
    verb, objects = _stems(step)
    other_verb, other_objects = _stems(other)
    return verb == other_verb and not set(objects).isdisjoint(other_objects)


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
