"""Where the call escalated: the caller demanding a human, threatening or reporting an emergency, else the
AI handing off what it could not do; and what the caller demanded, named for the brief's prose.
"""

from __future__ import annotations

import re

from assist.programs.rules.sentiment import HUMAN_REQUEST
from assist.programs.rules.text import CallText, clean, phrases, sentence_around
from assist.schema import Conversation

__all__ = ["asked_for", "escalations", "threats"]

_INABILITY = phrases(
    r"(?:i'm|i am) not able to",
    r"(?:i'm|i am) unable to",
    r"i can(?:'t|not) ",
    r"i'm not authorized",
    r"needs? (?:approval from|a |an |our |the )[\w ]{0,30}(?:specialist|team|agent|representative|advisor|"
    r"adjuster|nurse|pharmacist|supervisor|manager|department)",
    r"(?:specialist|team|agent|representative|advisor|adjuster|nurse|pharmacist|supervisor|manager)s? "
    r"(?:can|will|who can|is able)",
)
_TRANSFER = phrases(
    r"(?:i'll|i will|let me|i'm going to|i am going to|i can) (?:now )?(?:transfer|connect) you",
    r"(?:i'm|i am) (?:now )?(?:transferring|connecting) you",
    r"transferring you",
    r"connect you (?:with|to)",
    r"(?:put|patch) you through",
    r"(?:pass|hand|send) you (?:over|along|off|on)? ?to",
    r"hand you (?:over|off)",
    r"get you (?:over )?to (?:a|an|the|our|someone|somebody)",
    r"rout(?:e|ing) (?:you|your call)",
)
#: The agent naming who can do what the caller needs: an offered handoff.
_HANDOFF_OFFER = phrases(
    r"(?:specialist|team|agent|representative|advisor|adjuster|nurse|pharmacist|supervisor|manager)s? "
    r"(?:can|will|who can|is able)"
)
_THREAT = phrases(
    r"lawyer",
    r"attorney",
    r"\bsue\b",
    r"suing",
    r"legal action",
    r"(?:file|filing|make|lodge) (?:a |an )?"
    r"(?:formal )?complaint",
    r"better business bureau",
    r"\bbbb\b",
    r"\bcfpb\b",
    r"\bfcc\b",
    r"commissioner",
    r"report(?:ing)? you",
    r"chargeback",
    r"attorney general",
    r"small claims",
    r"\bftc\b",
    r"regulator",
    r"(?:call|calling|go|going) (?:to )?the (?:police|news|press|media)",
)
#: A caller describing a danger to life or property: the handoff is urgent whatever the agent says next.
_EMERGENCY = phrases(
    r"gas (?:smell|leak)",
    r"smell(?:s|ing)? (?:of )?gas",
    r"chest (?:pain|tight)",
    r"tightness in (?:my|the) chest",
    r"can't breathe",
    r"trouble breathing",
    r"unconscious",
    r"not breathing",
    r"on fire",
    r"sparking",
    r"carbon monoxide",
    r"(?:can't|cannot|can not) breath",
    r"(?:throat|tongue|face|lips?) (?:is |are )?(?:swelling|swollen|closing)",
    r"(?:severe|serious|bad) (?:\w+ )?allerg\w*",
    r"allergic reaction",
    r"anaphyla\w*",
    r"epi ?pen",
    r"(?:water|leak\w*|dripping|flooding) [\w ,]{0,60}(?:breaker|fuse box|outlets?|wiring|electrical panel|light fixture)",
    r"(?:passed|blacking) out",
    r"fainted",
    r"collapsed",
    r"seizure",
    r"overdos\w*",
    r"(?:bleeding|bleeds) (?:a lot|heavily|badly)",
    r"kill myself",
    r"(?:end|take) my (?:own )?life",
    r"suicid\w*",
    r"(?:fire|smoke) (?:is )?(?:coming|pouring) (?:out|from)",
    r"downed (?:power )?line",
    r"(?:power|electrical) line (?:is )?down",
    r"(?:someone|somebody) (?:is )?(?:breaking|broke) in",
    r"intruder",
)
_HUMAN_ASK = phrases(
    r"(?:is there|can i (?:talk|speak) to|let me (?:talk|speak) to|get me|put (?:a|me))\s(?:a |an |the |some )?"
    r"(?:somebody|someone|person|human|nurse|pharmacist|doctor|banker|specialist|manager|supervisor|agent|"
    r"representative)",
    r"(?:connect|transfer) me\b",
    r"put me through",
    r"(?:can|could|may) i (?:get|have) (?:a |an |the |some )?(?:real |actual |live )?(?:person|human|agent|"
    r"representative|manager|supervisor|specialist)",
    r"(?:get|put) (?:someone|somebody|a (?:person|human)) on the (?:phone|line)",
    r"(?:speak|talk)(?:ing)? (?:to|with) (?:a |an |the |your |someone (?:in|from) )?(?:\w+ )?(?:department|team|desk|"
    r"specialist|adjuster|pharmacist|nurse)\b",
    r"(?:would|i'd) (?:like|prefer) (?:a |an |to (?:speak|talk) (?:to|with) (?:a |an )?)(?:real |actual |live )?"
    r"(?:person|human|agent|representative|someone|somebody)",
    r"(?:someone|somebody) (?:who|that) can (?:actually )?",
    # "can someone fix it properly?" asks about a repair; "can somebody actually check it" asks for a person.
    r"can (?:someone|somebody) (?:actually|please) (?:check|look|help|fix|call|explain)",
    r"(?:want|need|demand)(?:s|ed)? (?:to (?:speak|talk) (?:to|with) )?(?:a |an |the |your )?(?:\w+ )?"
    r"(?:manager|supervisor)\b",
    # A one-word demand: "Supervisor. Now.", "agent, please".
    r"(?:^|[.!?,] )(?:a |the |your )?(?:supervisor|manager|human|representative|real person)(?: please| now)?(?:[.!?,]|$)",
    r"put me (?:threw|thru)",
)
#: Saying yes to a transfer the agent just offered ("fine yeah put me through") accepts the agent's handoff;
#: the trigger is the agent's turn, not a new demand.
_ACCEPT = re.compile(r"^(?:(?:yes|yeah|yep|ok|okay|fine|sure|please|alright|great|perfect)\b[\s,.!]*)+")
#: Outside actions a caller threatens (the annotation guidelines' "escalated" list), as short noun phrases.
_THREATS = tuple(
    (re.compile(pattern, re.IGNORECASE), phrase)
    for pattern, phrase in (
        (r"\b(FCC|CFPB|FTC|DOT|BBB|attorney general|better business bureau|(?:insurance )?commissioner|regulator)\b",
         "{} complaint"),
        (r"\b(?:wage claim|labor (?:board|department)|department of labor)\b", "a wage claim"),
        (r"\b(?:lawyer|attorney|lawsuit|sue|suing|legal action|court)\b", "legal action"),
        (r"\bchargeback\b|\bdisput\w* (?:it|the charge|this) with (?:my|the) (?:bank|card)", "a chargeback"),
        (r"\b(?:the news|news station|reporter|social media)\b", "going to the news"),
        (r"\bpolice\b", "to call the police"),
        # "I'm cancelling", "or I'll cancel": a threat; "I need to cancel my membership" is the request itself.
        (r"\b(?:i'm|i am|i'll|i will|we're|we'll|gonna|going to) (?:\w+ )?cancel(?:l?ing)?\b|\bor (?:else )?(?:i|we)(?:'ll| will)? cancel|\band cancel(?:l?ing)?\b",
         "cancellation"),
        (r"\b(?:switch(?:ing)?|moving|move) (?:\w+ ){0,3}(?:to )?(?:another|a different) (?:provider|company|bank|carrier)",
         "switching providers"),
    )
)  # fmt: skip


def escalations(call: CallText) -> dict[int, str]:
    """Turn -> what escalates there: each caller turn demanding a human or threatening, and an emergency
    reported before any of those; with no caller demand, the agent turn that hands off what it cannot do."""
    found: dict[int, str] = {}
    for index, text, agent_said in call.caller_turns():
        human = HUMAN_REQUEST.search(text) or _HUMAN_ASK.search(text)
        if (
            human
            and _ACCEPT.match(sentence_around(text, human.start()))
            and (_TRANSFER.search(agent_said) or _HANDOFF_OFFER.search(agent_said))
        ):
            human = None
        threat = _THREAT.search(text)
        emergency = _EMERGENCY.search(text)
        if emergency and not found:
            found[index] = f'Caller reports an emergency: "{emergency.group(0)}"'
        elif human or threat:
            cue = (human or threat).group(0)  # type: ignore[union-attr]
            found[index] = f'Caller asked for a human: "{cue}"' if human else f'Caller threatened: "{cue}"'
    if not found:
        # No caller demand: the trigger is where the reason appears, the agent saying it cannot do the
        # needed thing, else the agent handing off.
        handoff = call.first("assistant", _INABILITY)
        handoff = handoff if handoff is not None else call.first("assistant", _TRANSFER)
        if handoff is not None:
            found[handoff] = "The AI could not resolve the request and handed off to a human"
    return found


def threats(conversation: Conversation, escalated: dict[int, str]) -> list[str]:
    """The outside actions the caller threatens, named ("an FCC complaint", "legal action", "cancellation").

    Read from the caller's escalating turns only: a threat usually comes with the demand for a human in
    the same breath ("I want a supervisor, and I'm filing a DOT complaint"), while "cancel" elsewhere
    is often just the request.
    """
    text = " ".join(
        clean(conversation.turns[i].content)
        for i in sorted(escalated)
        if conversation.turns[i].role == "user"
    )
    found: list[str] = []
    for pattern, phrase in _THREATS:
        match = pattern.search(text)
        if match and len(found) < 2:
            named = match.group(match.lastindex or 0)
            # Agencies are acronyms ("FCC", "BBB"); longer names are ordinary words ("insurance commissioner").
            found.append(_article(phrase.format(named.upper() if len(named) <= 4 else named.lower())))
    return found


def asked_for(escalation: str) -> str:
    """Who the caller asked for, from the escalation's quoted cue ("speak to a supervisor" -> "a supervisor")."""
    roles = re.findall(
        r"\b(supervisor|manager|person|human|nurse|pharmacist|doctor|specialist|representative|agent|banker)\b",
        escalation.split(":", 1)[-1].lower(),
    )
    return f"a {roles[-1]}" if roles else "a human"


def _article(phrase: str) -> str:
    """ "FCC complaint" -> "an FCC complaint": "a" or "an" by the sound of the first word (acronyms by letter name)."""
    if phrase.startswith(("a ", "an ", "legal ", "to ", "cancellation", "switching")):
        return phrase
    first = phrase.split()[0]
    vowel = first[0] in "AEFHILMNORSX" if first.isupper() else first[0].lower() in "aeiou"
    return f"{'an' if vowel else 'a'} {phrase}"
