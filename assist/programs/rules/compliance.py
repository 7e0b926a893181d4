"""The brief's compliance findings: verification, commitments and escalations (each read by its own module),
and the flags raised from them and from the regulatory checks here.

Every check is a plain cue pattern over one turn plus the order of turns (was the caller verified
*before* this?). They are deliberately conservative: a flag on a clean call is as wrong as a
missed one, so each regulatory check needs both the situation and the agent's failure to handle it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from assist.programs.rules.commitments import commitments
from assist.programs.rules.escalation import escalations
from assist.programs.rules.text import FAMILY, CallText, phrases
from assist.programs.rules.verification import Leak, read_out_unverified, shared_too_early, verified_turn

__all__ = ["Findings", "FlagKind", "find"]

#: The flag types ``rules`` raises: the documented compliance families.
FlagKind = Literal["sensitive_data_unverified", "unfulfillable_promise", "regulatory_requirement"]

# Regulatory situations, each paired with what handling them looks like.
_HEALTH_INFO = phrases(
    r"results?\b",
    r"prescriptions?",
    r"medications?",
    r"refill",
    r"milligram",
    r"\d+ ?mg\b",
    r"diagnos",
    r"a1c",
    r"cholesterol",
    r"blood ?(?:work|pressure|sugar)",
    r"prior authorization",
    r"lab\b",
)
_THIRD_PARTY = phrases(rf"my {FAMILY}(?:'s)?")
_AUTHORIZED = phrases(r"authorized (?:user|representative|to)", r"hipaa", r"permission", r"consent", r"release form",
                  r"power of attorney", r"on file as")  # fmt: skip
_DEBT_CONTEXT = phrases(r"debts?\b", r"collections?\b", r"collector", r"recovery services")
_DEBT_PUSH = phrases(r"payment (?:plan|arrangement)", r"set up a payment", r"pay (?:today|now)", r"garnish",
                 r"legal (?:department|action)", r"credit report", r"further (?:action|collection)")  # fmt: skip
_DEBT_OBJECTION = phrases(r"don't owe", r"do not owe", r"isn't mine", r"not mine", r"disput", r"already paid",
                      r"i paid", r"stop (?:calling|contacting)", r"(?:don't|do not) (?:call|contact)")  # fmt: skip
_DEBT_DISCLOSURE = phrases(r"debt collector", r"attempt(?:ing)? to collect")
_SHUTOFF = phrases(r"shut (?:my |the |it )?(?:\w+ )?off", r"disconnect", r"shut-?off", r"cut (?:off|my)")
_MEDICAL_DEVICE = phrases(r"oxygen", r"medical (?:equipment|device|condition)", r"life support", r"dialysis",
                      r"ventilator", r"cpap", r"nebulizer")  # fmt: skip
_MEDICAL_HOLD = phrases(r"medical (?:hold|certificat|protection|exemption|priority|baseline)")
_CANCEL_ASK = phrases(
    r"cancel (?:my|the|this|it)", r"(?:want|need|like) to cancel", r"just cancel", r"i said cancel"
)
_CANCEL_BLOCK = phrases(r"in person", r"certified mail", r"by mail", r"in writing", r"not able to cancel",
                    r"can(?:'t|not) cancel", r"unable to cancel")  # fmt: skip
#: Retention offers: a discount, a free period, a pause instead of the cancellation asked for.
_RETENTION = phrases(r"(?:offer|give) you", r"how about", r"would you (?:like|consider)", r"instead", r"discount",
                 r"half (?:price|off)", r"months? (?:free|at)", r"(?:pause|freez)(?:e|ing)? (?:your|the|it)",
                 r"before you go")  # fmt: skip
_DENIED = phrases(
    r"(?:claim|coverage|authorization|request|benefits?|application)s? (?:[\w-]+ ){0,9}(?:was|were|has been|have been|"
    r"is|got) (?:\w+ )?(?:denied|rejected|declined)",
    r"(?:denied|rejected|declined) (?:your|the) (?:claim|coverage|authorization|request|benefits?|application)",
)
_APPEAL = phrases(r"appeal", r"reconsider", r"second review", r"independent review")
_PROVIDER_CANCELLED = phrases(
    r"(?:flight|trip|event|show|class|reservation|booking)s? (?:got |was |has been |is )?cancell?ed"
)
_REFUND_ASK = phrases(r"refund", r"money back")
_REFUND_REFUSED = phrases(r"(?:not able|unable|can't|cannot) (?:to )?(?:process|issue|give|provide|offer) (?:a |any )?"
                      r"(?:cash )?refund", r"eligible for (?:a )?(?:travel )?credit", r"only (?:offer|issue)",
                      r"non-?refundable", r"only be (?:converted|issued|refunded|given)")  # fmt: skip
_HAZARD = phrases(r"gas (?:smell|leak)", r"smell(?:s|ing)? (?:of |like )?gas", r"rotten eggs", r"carbon monoxide",
              r"downed (?:power )?line", r"sparking", r"(?:house|building) (?:is )?on fire", r"smoke (?:coming|from)")  # fmt: skip
_SAFETY = phrases(r"leave (?:the|your)", r"evacuate", r"911", r"safe (?:place|distance|location)", r"get out")
_STOP_CONTACT = phrases(
    r"stop (?:calling|contacting)", r"(?:don't|do not) (?:call|contact) me", r"remove (?:me|my number)"
)
_STOP_HONORED = phrases(r"(?:removed|remove) (?:you|your number)", r"do not call list", r"won't (?:call|contact)",
                    r"stop (?:the )?(?:calls|contact)\b(?! if)")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Findings:
    #: The agent turn that verified the caller, if any.
    verified_turn: int | None
    #: Caller turn -> the secret it read out before verification.
    sensitive: dict[int, Leak]
    #: Turn -> short description, per marker type.
    commitments: dict[int, str]
    escalations: dict[int, str]
    #: In the order they are shown; one ``unfulfillable_promise`` at most.
    flags: list[tuple[FlagKind, str]]


def find(call: CallText) -> Findings:
    verified = verified_turn(call)
    sensitive = shared_too_early(call, verified)
    committed = commitments(call)
    flags: list[tuple[FlagKind, str]] = []
    if committed.unconditional is not None:
        flags.append(
            (
                "unfulfillable_promise",
                f'The AI made an unconditional promise it may not be able to keep: "{committed.unconditional}"',
            )
        )
    read_out = read_out_unverified(call, verified)
    if read_out is not None:
        turn = call.numbers[read_out]
        flags.append(
            (
                "sensitive_data_unverified",
                f"The AI read a full account or card number on file (turn {turn}) to a caller it had not verified.",
            )
        )
    if committed.needing_approval is not None and committed.unconditional is None:
        overreach = f'"{committed.needing_approval}"'
        flags.append(
            (
                "unfulfillable_promise",
                f"The AI promised an outcome that it later said needs someone else's approval: {overreach}",
            )
        )
    for index, leaked in sensitive.items():
        flags.append(
            (
                "sensitive_data_unverified",
                f"Caller shared {leaked} (turn {call.numbers[index]}) before identity was verified.",
            )
        )
    flags.extend(_regulatory(call, verified))
    return Findings(verified, sensitive, committed.turns, escalations(call), flags)


def _regulatory(call: CallText, verified: int | None) -> list[tuple[FlagKind, str]]:
    flags: list[tuple[FlagKind, str]] = []
    turns = call.turns
    everything = " ".join(t for _, t in turns)
    said = {role: " ".join(t for r, t in turns if r == role) for role in ("user", "assistant")}

    health = call.first("assistant", _HEALTH_INFO)
    if (
        health is not None
        and (verified is None or verified > health)
        and not _AUTHORIZED.search(said["assistant"])
    ):
        third_party = _THIRD_PARTY.search(said["user"])
        flags.append((
            "regulatory_requirement",
            "The AI disclosed health information "
            + ("about a third party without confirming the caller is authorized" if third_party else
               "before verifying the caller's identity") + " (HIPAA).",
        ))  # fmt: skip
    # The agent collects a debt: a collection agency answering, or the agent itself pressing payment to
    # avoid collection. A caller worried a bill "goes to collections" is not talking to a collector.
    opening = next((t for r, t in turns if r == "assistant"), "")
    collecting = _DEBT_CONTEXT.search(opening) or (
        _DEBT_CONTEXT.search(said["assistant"]) and _DEBT_PUSH.search(said["assistant"])
    )
    if collecting:
        if _DEBT_OBJECTION.search(said["user"]) and _DEBT_PUSH.search(said["assistant"]):
            flags.append((
                "regulatory_requirement",
                "The caller disputed the debt or asked for contact to stop, and the AI kept pressing for payment (FDCPA).",
            ))  # fmt: skip
        if not _DEBT_DISCLOSURE.search(said["assistant"]):
            flags.append(
                ("regulatory_requirement", "The AI did not identify itself as a debt collector (FDCPA).")
            )
    elif _STOP_CONTACT.search(said["user"]) and not _STOP_HONORED.search(said["assistant"]):
        flags.append(
            ("regulatory_requirement", "The caller asked not to be contacted and the AI did not confirm it.")
        )
    if (
        _SHUTOFF.search(everything)
        and _MEDICAL_DEVICE.search(said["user"])
        and not _MEDICAL_HOLD.search(said["assistant"])
    ):
        flags.append((
            "regulatory_requirement",
            "The caller mentioned medical equipment at a service facing disconnection; no medical hold or protections were offered.",
        ))  # fmt: skip
    asked_cancel = call.first("user", _CANCEL_ASK)
    offers_after = (
        sum(1 for r, t in turns[asked_cancel:] if r == "assistant" and _RETENTION.search(t))
        if asked_cancel is not None
        else 0
    )
    if asked_cancel is not None and (_CANCEL_BLOCK.search(said["assistant"]) or offers_after >= 2):
        flags.append((
            "regulatory_requirement",
            "The caller asked to cancel and was kept from it (told it cannot be done on this call, or kept "
            + "being offered deals); cancelling must be as easy as signing up.",
        ))  # fmt: skip
    denied = call.first("assistant", _DENIED)
    if denied is not None and not _APPEAL.search(" ".join(t for r, t in turns[denied:] if r == "assistant")):
        flags.append((
            "regulatory_requirement",
            "A claim or benefit was denied and the AI did not tell the caller about the right to appeal.",
        ))  # fmt: skip
    if (
        _PROVIDER_CANCELLED.search(said["user"] + " " + said["assistant"])
        and _REFUND_ASK.search(said["user"])
        and _REFUND_REFUSED.search(said["assistant"])
    ):
        flags.append((
            "regulatory_requirement",
            "The provider cancelled the service and the caller asked for a refund, but the AI offered only a credit.",
        ))  # fmt: skip
    hazard = call.first("user", _HAZARD)
    if hazard is not None:
        reply = next((t for r, t in turns[hazard + 1 :] if r == "assistant" and t), "")
        if not _SAFETY.search(reply):
            flags.append((
                "regulatory_requirement",
                "The caller reported a safety hazard and the AI did not give safety instructions first.",
            ))  # fmt: skip
    return flags
