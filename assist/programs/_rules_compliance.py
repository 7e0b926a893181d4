"""Verification, commitments, escalation and compliance findings, turn by turn.

Every check is a plain cue pattern over one turn plus the order of turns (was the caller verified
*before* this?). They are deliberately conservative: a flag on a clean call is as wrong as a
missed one, so each regulatory check needs both the situation and the agent's failure to handle it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assist.programs._rules_sentiment import HUMAN_REQUEST
from assist.programs._rules_text import FAMILY, clean, digits_in, luhn_ok
from assist.schema import Conversation

__all__ = ["Findings", "find"]


def _rx(*phrases: str) -> re.Pattern[str]:
    """One pattern for lowercase phrases; callers search lowercased text (much faster than IGNORECASE)."""
    return re.compile(r"\b(?:" + "|".join(phrases) + r")")


_VERIFIED = _rx(
    r"you(?:'ve| have) been (?:successfully )?verified",
    r"you(?:'re| are) (?:now |all |fully )?verified",
    r"thank(?:s| you) for verifying",
    r"(?:i've|i have|we've|i) (?:successfully )?(?:verified|authenticated) "
    r"(?:your|you)",
    r"identity (?:has been |is )?(?:verified|confirmed)",
    r"verification (?:is )?(?:complete|successful)",
    r"that (?:matches|checks out)",
    # A one-time code or PIN read back correctly is the check.
    r"(?:code|pin|passcode) (?:is |was )?(?:correct|confirmed|accepted|verified)",
    r"(?:i've|i have|i) (?:found|located|pulled up) your (?:account|booking|chart|record|"
    r"file|profile|reservation|policy|membership)",
)
_SSN_CONTEXT = _rx(r"social(?: security)?", r"\bssn\b")
#: The caller naming the number as something other than an SSN ("loan number is 300771529").
_OTHER_NUMBER = _rx(
    r"(?:loan|account|policy|member|membership|claim|order|reference|confirmation|case|ticket|tracking|"
    r"invoice|employee|customer|booking) (?:number|no|#|id)"
)
_SECRET = _rx(r"(?:my |the )?(?:pin|password|passcode|cvv|cvc|security code)(?: number)? is \S+")
#: An outcome with a deadline ("your account will be unfrozen by end of day", "delivered to you by 9 PM").
_DEADLINE = (
    r"will be \w+(?:ed|en) (?:to [\w ]{1,30} )?by (?:the )?(?:end of (?:the )?(?:day|today|week)|tonight|tomorrow|today|"
    r"noon|\d)"
)
_COMMIT = _rx(
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
_NOT_COMMIT = _rx(
    r"(?:i'll|i will|we'll|we will|(?:i'm|i am|we're|we are) (?:going to|gonna)) (?:now |just |go ahead and )?"
    r"(?:transfer|connect|put you|need|ask|have to|be happy|be glad|verify|text|send you a (?:code|one)|"
    # Passing the caller's story to the human is part of the handoff.
    r"(?:also )?(?:pass|note|mention|let (?:them|the \w+) know|share|brief|make sure (?:they|the \w+) (?:know|ha)))",
    r"(?:i'm|i am|we're|we are) (?:now |also )?(?:sending|passing) (?:them|it|this|that|everything|along|over|on)\b",
    # A one-time code sent for verification is part of the check, not a promise.
    r"(?:i've|i have|we've|we have) (?:just )?(?:sent|texted) (?:a|the|you a) (?:verification |one[- ]time |security )?"
    r"(?:code|passcode|pin)",
)
_GUARANTEE = _rx(
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
_GIVEAWAY = _rx(
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
_HEDGE = _rx(
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
_INABILITY = _rx(
    r"(?:i'm|i am) not able to",
    r"(?:i'm|i am) unable to",
    r"i can(?:'t|not) ",
    r"i'm not authorized",
    r"needs? (?:approval from|a |an |our |the )[\w ]{0,30}(?:specialist|team|agent|representative|advisor|"
    r"adjuster|nurse|pharmacist|supervisor|manager|department)",
    r"(?:specialist|team|agent|representative|advisor|adjuster|nurse|pharmacist|supervisor|manager)s? "
    r"(?:can|will|who can|is able)",
)
_TRANSFER = _rx(
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
_OFFER = _rx(
    r"(?:specialist|team|agent|representative|advisor|adjuster|nurse|pharmacist|supervisor|manager)s? "
    r"(?:can|will|who can|is able)"
)
_THREAT = _rx(
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
_EMERGENCY = _rx(
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
_HUMAN_ASK = _rx(
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

# Regulatory situations, each paired with what handling them looks like.
_HEALTH_INFO = _rx(
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
_THIRD_PARTY = _rx(rf"my {FAMILY}(?:'s)?")
_AUTHORIZED = _rx(r"authorized (?:user|representative|to)", r"hipaa", r"permission", r"consent", r"release form",
                  r"power of attorney", r"on file as")  # fmt: skip
_DEBT_CONTEXT = _rx(r"debts?\b", r"collections?\b", r"collector", r"recovery services")
_DEBT_PUSH = _rx(r"payment (?:plan|arrangement)", r"set up a payment", r"pay (?:today|now)", r"garnish",
                 r"legal (?:department|action)", r"credit report", r"further (?:action|collection)")  # fmt: skip
_DEBT_OBJECTION = _rx(r"don't owe", r"do not owe", r"isn't mine", r"not mine", r"disput", r"already paid",
                      r"i paid", r"stop (?:calling|contacting)", r"(?:don't|do not) (?:call|contact)")  # fmt: skip
_DEBT_DISCLOSURE = _rx(r"debt collector", r"attempt(?:ing)? to collect")
_SHUTOFF = _rx(r"shut (?:my |the |it )?(?:\w+ )?off", r"disconnect", r"shut-?off", r"cut (?:off|my)")
_MEDICAL_DEVICE = _rx(r"oxygen", r"medical (?:equipment|device|condition)", r"life support", r"dialysis",
                      r"ventilator", r"cpap", r"nebulizer")  # fmt: skip
_MEDICAL_HOLD = _rx(r"medical (?:hold|certificat|protection|exemption|priority|baseline)")
_CANCEL_ASK = _rx(
    r"cancel (?:my|the|this|it)", r"(?:want|need|like) to cancel", r"just cancel", r"i said cancel"
)
_CANCEL_BLOCK = _rx(r"in person", r"certified mail", r"by mail", r"in writing", r"not able to cancel",
                    r"can(?:'t|not) cancel", r"unable to cancel")  # fmt: skip
#: Retention offers: a discount, a free period, a pause instead of the cancellation asked for.
_RETENTION = _rx(r"(?:offer|give) you", r"how about", r"would you (?:like|consider)", r"instead", r"discount",
                 r"half (?:price|off)", r"months? (?:free|at)", r"(?:pause|freez)(?:e|ing)? (?:your|the|it)",
                 r"before you go")  # fmt: skip
_DENIED = _rx(
    r"(?:claim|coverage|authorization|request|benefits?|application)s? (?:[\w-]+ ){0,9}(?:was|were|has been|have been|"
    r"is|got) (?:\w+ )?(?:denied|rejected|declined)",
    r"(?:denied|rejected|declined) (?:your|the) (?:claim|coverage|authorization|request|benefits?|application)",
)
_APPEAL = _rx(r"appeal", r"reconsider", r"second review", r"independent review")
_PROVIDER_CANCELLED = _rx(
    r"(?:flight|trip|event|show|class|reservation|booking)s? (?:got |was |has been |is )?cancell?ed"
)
_REFUND_ASK = _rx(r"refund", r"money back")
_REFUND_REFUSED = _rx(r"(?:not able|unable|can't|cannot) (?:to )?(?:process|issue|give|provide|offer) (?:a |any )?"
                      r"(?:cash )?refund", r"eligible for (?:a )?(?:travel )?credit", r"only (?:offer|issue)",
                      r"non-?refundable", r"only be (?:converted|issued|refunded|given)")  # fmt: skip
_HAZARD = _rx(r"gas (?:smell|leak)", r"smell(?:s|ing)? (?:of |like )?gas", r"rotten eggs", r"carbon monoxide",
              r"downed (?:power )?line", r"sparking", r"(?:house|building) (?:is )?on fire", r"smoke (?:coming|from)")  # fmt: skip
_SAFETY = _rx(r"leave (?:the|your)", r"evacuate", r"911", r"safe (?:place|distance|location)", r"get out")
_STOP_CONTACT = _rx(
    r"stop (?:calling|contacting)", r"(?:don't|do not) (?:call|contact) me", r"remove (?:me|my number)"
)
_STOP_HONORED = _rx(r"(?:removed|remove) (?:you|your number)", r"do not call list", r"won't (?:call|contact)",
                    r"stop (?:the )?(?:calls|contact)\b(?! if)")  # fmt: skip


#: The agent reading a full account, routing or card number (not the last four) from the record.
_NUMBER_ON_FILE = _rx(r"(?:account|routing|card|social security|member) (?:number|no)")
#: The agent saying an outcome it already promised needs someone else's approval.
_NEEDS_APPROVAL = _rx(
    r"(?:can't|cannot|not able to|unable to|not authorized to) approve",
    r"needs? (?:[\w']+ ){0,6}approv",
    r"approved by",
    r"approval (?:from|by)",
    r"(?:has|have) to be approved",
)
#: A promise about what will (not) happen next: "you won't be charged", "it will be refunded".
_FUTURE_OUTCOME = _rx(r"won't", r"will not", r"you'll", r"you will", r"it'll", r"it will")

#: Contractions as an unpunctuated (ASR) transcript writes them: "im transferring you", "ive blocked it".
_BARE_CONTRACTIONS = {
    "im": "i'm", "ive": "i've", "ill": "i'll", "cant": "can't", "dont": "don't", "wont": "won't",
    "youre": "you're", "youve": "you've", "youll": "you'll", "weve": "we've", "didnt": "didn't",
    "doesnt": "doesn't", "isnt": "isn't", "wasnt": "wasn't", "couldnt": "couldn't", "wouldnt": "wouldn't",
    "havent": "haven't", "hasnt": "hasn't", "arent": "aren't", "thats": "that's", "theres": "there's",
    "theyre": "they're", "itll": "it'll", "lets": "let's", "whats": "what's",
}  # fmt: skip
_BARE_CONTRACTION = re.compile(r"\b(?:" + "|".join(_BARE_CONTRACTIONS) + r")\b")
#: "well" before a verb is "we'll" heard without its apostrophe ("well pay for the repairs").
_BARE_WE_WILL = re.compile(
    r"\bwell (?=(?:pay|cover|send|refund|credit|waive|get|take|make|call|have|be|set|book)\b)"
)


def _apostrophes(text: str) -> str:
    """Lowercased ASR text with its contractions spelled as the cue patterns expect them."""
    text = _BARE_CONTRACTION.sub(lambda m: _BARE_CONTRACTIONS[m.group()], text)
    return _BARE_WE_WILL.sub("we'll ", text)


@dataclass
class Findings:
    verified_turn: int | None = None
    #: turn -> short description, per marker type.
    commitments: dict[int, str] = field(default_factory=dict)
    escalations: dict[int, str] = field(default_factory=dict)
    sensitive: dict[int, str] = field(default_factory=dict)
    #: The agent's own words about what it cannot do ("I'm not able to apply credits myself").
    inability: str | None = None
    flags: list[tuple[str, str]] = field(default_factory=list)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def _sensitive(text: str, question: str) -> str | None:
    for number in digits_in(text):
        if 13 <= len(number) <= 19 and luhn_ok(number):
            return "a full payment card number"
        # Made-up or misheard card numbers fail Luhn; a 15-16 digit number read out about a card is still one.
        if len(number) in (15, 16) and "card" in f"{text} {question}":
            return "a full payment card number"
        if len(number) == 9 and (
            _SSN_CONTEXT.search(text) or (_SSN_CONTEXT.search(question) and not _OTHER_NUMBER.search(text))
        ):
            return "a full Social Security number"
    # The dash test first: the pattern is slow to scan for and most turns have no dash.
    if "-" in text and _SSN.search(text):
        return "a full Social Security number"
    if _SECRET.search(text) and not re.search(r"reset|forgot|change", text, re.IGNORECASE):
        return "a PIN or password"
    return None


def find(conversation: Conversation) -> Findings:
    out = Findings()
    originals = [clean(t.content) for t in conversation.turns]
    # A transcript with no apostrophe anywhere is unpunctuated speech recognition output.
    asr = not any("'" in text or "\u2019" in text for text in originals)
    turns: list[tuple[str, str]] = [
        (t.role, _apostrophes(text.lower()) if asr else text.lower())
        for t, text in zip(conversation.turns, originals, strict=True)
    ]
    previous_assistant = ""
    for index, (role, text) in enumerate(turns):
        if not text:
            continue
        if role == "assistant":
            _assistant_turn(out, index, originals[index], text, asr=asr)
            previous_assistant = text
            continue
        leaked = _sensitive(text, previous_assistant)
        if leaked and out.verified_turn is None:
            out.sensitive[index] = leaked
        human = HUMAN_REQUEST.search(text) or _HUMAN_ASK.search(text)
        if (
            human
            and _ACCEPT.match(_sentence_at(text, human.start()))
            and (_TRANSFER.search(previous_assistant) or _OFFER.search(previous_assistant))
        ):
            human = None
        threat = _THREAT.search(text)
        emergency = _EMERGENCY.search(text)
        if emergency and not out.escalations:
            out.escalations[index] = f'Caller reports an emergency: "{emergency.group(0)}"'
        elif human or threat:
            cue = (human or threat).group(0)  # type: ignore[union-attr]
            out.escalations[index] = (
                f'Caller asked for a human: "{cue}"' if human else f'Caller threatened: "{cue}"'
            )
    if not any(turns[i][0] == "user" for i in out.escalations):
        # No caller demand: the trigger is where the reason appears, the agent saying it cannot do the
        # needed thing, else the agent handing off.
        handoff = _first(turns, "assistant", _INABILITY)
        handoff = handoff if handoff is not None else _first(turns, "assistant", _TRANSFER)
        if handoff is not None:
            out.escalations[handoff] = "The AI could not resolve the request and handed off to a human"
    read_out = _read_out_unverified(turns, out.verified_turn)
    if read_out is not None:
        out.flags.append(
            (
                "sensitive_data_unverified",
                f"The AI read a full account or card number on file (turn {read_out}) to a caller it had not verified.",
            )
        )
    overreach = _promise_needing_approval(turns, originals, out)
    if overreach is not None:
        out.flags.append(
            (
                "unfulfillable_promise",
                f'The AI promised an outcome that it later said needs someone else\'s approval: "{overreach}"',
            )
        )
    for index, leaked in out.sensitive.items():
        out.flags.append(
            (
                "sensitive_data_unverified",
                f"Caller shared {leaked} (turn {index}) before identity was verified.",
            )
        )
    out.flags.extend(_regulatory(turns, out.verified_turn))
    return out


def _assistant_turn(out: Findings, index: int, text: str, lowered: str, *, asr: bool) -> None:
    """``lowered`` is ``text`` as :func:`find` matches it: lowercased, contractions spelled out."""
    if out.verified_turn is None and _VERIFIED.search(lowered):
        out.verified_turn = index
    for original in _sentences(text):
        sentence = _apostrophes(original.lower()) if asr else original.lower()
        # Each promise counts on its own: "I'm transferring you, and I'll note it" holds none, but
        # "I'll waive the fee, and I'll transfer you" holds one.
        commit = any(not _NOT_COMMIT.match(sentence, m.start()) for m in _COMMIT.finditer(sentence))
        if commit:
            out.commitments.setdefault(index, f'The AI committed: "{original}"')
            promise = _GUARANTEE.search(sentence) or (
                _GIVEAWAY.search(sentence)
                and not _HEDGE.search(sentence)
                and re.search(r"will|'ll|won't", sentence)
            )
            if promise:
                out.flags.append(
                    (
                        "unfulfillable_promise",
                        f'The AI made an unconditional promise it may not be able to keep: "{original}"',
                    )
                )
        inability = _INABILITY.search(sentence)
        if inability and out.inability is None and re.match(r"(?:i'm|i am|i can)", inability.group(0)):
            out.inability = original


def _read_out_unverified(turns: list[tuple[str, str]], verified: int | None) -> int | None:
    """The agent turn, before any verification, that reads out a long number from the record that
    the caller never said (a full bank account or routing number)."""
    said = ""
    for index, (role, text) in enumerate(turns):
        if verified is not None and index >= verified:
            return None
        if role == "user":
            said += " " + " ".join(digits_in(text))
        elif _NUMBER_ON_FILE.search(text) and any(
            len(number) >= 8 and number not in said for number in digits_in(text)
        ):
            return index
    return None


def _promise_needing_approval(
    turns: list[tuple[str, str]], originals: list[str], out: Findings
) -> str | None:
    """A committed outcome ("you won't be charged until January") followed by the agent saying that
    outcome needs approval it cannot give: the promise went beyond what the AI may grant."""
    for index in sorted(out.commitments):
        if not any(r == "assistant" and _NEEDS_APPROVAL.search(t) for r, t in turns[index + 1 :]):
            continue
        for sentence in _sentences(originals[index]):
            if _FUTURE_OUTCOME.search(sentence.lower()) and not _NOT_COMMIT.search(sentence.lower()):
                return sentence
    return None


def _sentence_at(text: str, position: int) -> str:
    """The sentence of ``text`` that holds ``position`` ("fine, put me through" in "Of course. Fine, put me through.")."""
    start = max(text.rfind(". ", 0, position), text.rfind("? ", 0, position), text.rfind("! ", 0, position))
    return text[start + 2 :] if start >= 0 else text


def _first(turns: list[tuple[str, str]], role: str, pattern: re.Pattern[str]) -> int | None:
    return next((i for i, (r, t) in enumerate(turns) if r == role and pattern.search(t)), None)


def _regulatory(turns: list[tuple[str, str]], verified: int | None) -> list[tuple[str, str]]:
    flags: list[tuple[str, str]] = []
    everything = " ".join(t for _, t in turns)
    said = {role: " ".join(t for r, t in turns if r == role) for role in ("user", "assistant")}

    health = _first(turns, "assistant", _HEALTH_INFO)
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
    asked_cancel = _first(turns, "user", _CANCEL_ASK)
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
    denied = _first(turns, "assistant", _DENIED)
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
    hazard = _first(turns, "user", _HAZARD)
    if hazard is not None:
        reply = next((t for r, t in turns[hazard + 1 :] if r == "assistant" and t), "")
        if not _SAFETY.search(reply):
            flags.append((
                "regulatory_requirement",
                "The caller reported a safety hazard and the AI did not give safety instructions first.",
            ))  # fmt: skip
    return flags
