"""What the AI committed to: each turn where it promised or did something for the caller, the promises it may
not be able to keep, and a promise it later said needs someone else's approval.

A commitment is read sentence by sentence ("I'm transferring you, and I'll note it" holds none, "I'll waive the
fee, and I'll transfer you" holds one); announcing the handoff itself or sending a verification code is none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assist.programs.rules.text import CallText, phrases, sentences

__all__ = ["Commitments", "commitments"]

#: An outcome with a deadline ("your account will be unfrozen by end of day", "delivered to you by 9 PM").
_DEADLINE = (
    r"will be \w+(?:ed|en) (?:to [\w ]{1,30} )?by (?:the )?(?:end of (?:the )?(?:day|today|week)|tonight|tomorrow|today|"
    r"noon|\d)"
)
_COMMIT = phrases(
    r"i'll",
    r"i will",
    r"we'll",
    r"we will",
    r"i promise",
    r"i guarantee",
    r"we guarantee",
    r"you will (?:receive|get|be|see|have)",
    r"you'll (?:receive|get|be|see|have)",
    r"(?:i've|i have|we've|we have) (?:now |also |just |gone ahead and )?(?:ordered|scheduled|blocked|booked|sent|"
    r"submitted|issued|credited|refunded|cancell?ed|set up|arranged|upgraded|waived|filed|opened|placed|requested|"
    r"processed|reversed|dispatched|added|marked|put|reset|updated|frozen|locked|escalated|flagged|reported|"
    r"applied|activated|deactivated|removed|rescheduled|extended|reserved|changed|disputed|paused|suspended)",
    r"(?:i'm|i am|we're|we are) (?:going to|gonna) ",
    r"(?:i'm|i am) (?:now )?(?:sending|issuing|crediting|refunding|booking|scheduling|ordering|dispatching|"
    r"waiving|cancell?ing your|blocking|freezing|filing)",
    r"(?:has|have) been (?:sent|transferred|ordered|scheduled|submitted|processed|refunded|credited)",
    r"will (?:definitely|certainly)",
    # "Done." on its own reports an action just taken.
    r"^(?:(?:ok|okay|alright|all right),? )?(?:all )?done\b",
    _DEADLINE,
)
#: Commitments that only announce the handoff itself or ask for something are not promises.
_NOT_COMMIT = phrases(
    r"(?:i'll|i will|we'll|we will|(?:i'm|i am|we're|we are) (?:going to|gonna)) (?:now |just |go ahead and )?"
    r"(?:transfer|connect|put you|need|ask|have to|be happy|be glad|verify|text|send you a (?:code|one)|"
    # Passing the caller's story to the human is part of the handoff.
    r"(?:also )?(?:pass|note|mention|let (?:them|the \w+) know|share|brief|make sure (?:they|the \w+) (?:know|ha)))",
    r"(?:i'm|i am|we're|we are) (?:now |also )?(?:sending|passing) (?:them|it|this|that|everything|along|over|on)\b",
    # A one-time code sent for verification is part of the check, not a promise.
    r"(?:i've|i have|we've|we have) (?:just )?(?:sent|texted) (?:a|the|you a) (?:verification |one[- ]time |security )?"
    r"(?:code|passcode|pin)",
)
_GUARANTEE = phrases(
    r"guarantee",
    r"i promise",
    r"promise you",
    r"will definitely",
    r"definitely (?:be|get|will)",
    r"will certainly",
    r"100 ?(?:%|percent)",
    r"for sure",
    r"(?:won't|will not|will never|never) happen again",
    r"will (?:arrive|be there|be out|get there|reach you|be delivered) (?:by|before|within|tomorrow|today|tonight)",
    # An exact time for someone else's visit, not a window the AI booked: "will be out tomorrow between eight and ten".
    r"will be (?:out|there|here|at your \w+) (?:\w+ ){0,3}between \w+",
    r"(?:you'll|you will) (?:have|get|receive) (?:it|them|that|the \w+|your \w+) (?:by|before|within)\b",
    # Coverage the AI cannot bind: "you're covered starting today".
    r"you(?:'re| are) (?:now |fully )?covered (?:starting|from|as of|today|now|for)",
    # A deadline on an outcome the AI does not control.
    _DEADLINE,
)
_GIVEAWAY = phrases(
    r"waive[ds]?",
    r"(?:completely |totally |absolutely )?free\b",
    r"(?:full )?refund(?:ed)?",
    r"reimburse",
    r"credit(?:ed)? (?:you|your)",
    r"approved",
    r"covered in full",
    r"cover (?:all|the|your|every)",
    r"reinstat",
    r"(?:money|it|that|them|those|your \w+) back\b",
    r"\d+(?:\.\d+)? (?:credit|refund|reimbursement)",
    r"remove (?:the|that|this|your) (?:charge|fee|balance|late fee)",
    r"compensat",
    r"no charge",
    r"pays? for",
    r"deactivat",
    r"\bbann?ed\b",
    r"\bfired\b",
    r"removed from (?:the |our )?(?:platform|app|service)",
)
_HEDGE = phrases(
    r"look (?:at|into)",
    r"review",
    r"see if",
    r"may\b",
    r"might",
    r"could",
    r"request",
    r"eligible",
    r"possibly",
    r"try",
    r"transfer",
    r"connect",
    r"who can",
    r"should",
)
#: The agent saying an outcome it already promised needs someone else's approval.
_NEEDS_APPROVAL = phrases(
    r"(?:can't|cannot|not able to|unable to|not authorized to) approve",
    r"needs? (?:[\w']+ ){0,6}approv",
    r"approved by",
    r"approval (?:from|by)",
    r"(?:has|have) to be approved",
)
#: A promise about what will (not) happen next: "you won't be charged", "it will be refunded".
_FUTURE_OUTCOME = phrases(r"won't", r"will not", r"you'll", r"you will", r"it'll", r"it will")


@dataclass(frozen=True, slots=True)
class Commitments:
    #: Agent turn -> 'The AI committed: "<its first committing sentence>"'.
    turns: dict[int, str]
    #: The first committing sentence that promises outright what the AI may not be able to deliver.
    unconditional: str | None
    #: A committed outcome ("you won't be charged until January") the AI later said needs approval it cannot give.
    needing_approval: str | None


def commitments(call: CallText) -> Commitments:
    turns: dict[int, str] = {}
    unconditional: str | None = None
    for index, (role, text) in enumerate(call.turns):
        if role != "assistant" or not text:
            continue
        for original in sentences(call.cleaned[index]):
            sentence = call.lower(original)
            # Each promise counts on its own: "I'm transferring you, and I'll note it" holds none, but
            # "I'll waive the fee, and I'll transfer you" holds one.
            if not any(not _NOT_COMMIT.match(sentence, m.start()) for m in _COMMIT.finditer(sentence)):
                continue
            turns.setdefault(index, f'The AI committed: "{original}"')
            promise = _GUARANTEE.search(sentence) or (
                _GIVEAWAY.search(sentence)
                and not _HEDGE.search(sentence)
                and re.search(r"will|'ll|won't", sentence)
            )
            if promise and unconditional is None:
                unconditional = original
    return Commitments(turns, unconditional, _needing_approval(call, turns))


def _needing_approval(call: CallText, committed: dict[int, str]) -> str | None:
    """A committed outcome ("you won't be charged until January") followed by the agent saying that
    outcome needs approval it cannot give: the promise went beyond what the AI may grant."""
    last_approval = max(
        (
            i
            for i, (role, text) in enumerate(call.turns)
            if role == "assistant" and _NEEDS_APPROVAL.search(text)
        ),
        default=-1,
    )
    for index in sorted(committed):
        if index >= last_approval:
            continue
        for sentence in sentences(call.cleaned[index]):
            if _FUTURE_OUTCOME.search(sentence.lower()) and not _NOT_COMMIT.search(sentence.lower()):
                return sentence
    return None
