"""What the call is about: the caller's opening statement of the problem, the topic it falls under (a small
lexicon of contact-centre intents, each with the agent's usual actions) and the money at stake.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assist.programs.rules.details import Slot
from assist.programs.rules.prose import plain, shorten
from assist.programs.rules.text import LETTERS, clean, sentences
from assist.schema import Conversation

__all__ = ["Intent", "Topic", "topic_of"]

_NAME_INTRO = re.compile(
    r"^(?:my name is|my name's|this is|it's|i'm|i am) ([\w'-]+)(?: ([\w'-]+))?[.,]?\s*", re.IGNORECASE
)
_PROBLEM = re.compile(
    r"\b(?:i(?:'d| would) like|i want|i need|i wanted|i was wondering|i'm calling|i am calling|i'm trying|"
    r"i lost|i got|i filed|i cancell?ed|i paid|i was|i have|i had|i think|there's|there are|there is|my |our |"
    r"your |someone|somebody|can you|could you|how do i|we |i've been|it's not|it won't|i can't)",
    re.IGNORECASE,
)
_AMOUNT_NUMERIC = re.compile(r"\$\s?\d[\d,]*(?:\.\d{2})?")


@dataclass(frozen=True, slots=True)
class Intent:
    caller: re.Pattern[str]
    #: What the call is about, as a noun phrase ("unauthorized charges").
    topic: str
    #: What "it" means in an action about this topic ("Refund it" -> "Refund the charge").
    thing: str
    #: The usual agent actions, most important first; ``{amount}`` becomes " of $X" when the call names one.
    actions: tuple[str, ...]


def _intent(pattern: str, topic: str, thing: str, *actions: str) -> Intent:
    # Matched against lowercased text: much faster than IGNORECASE.
    return Intent(re.compile(pattern), topic, thing, actions)


#: Most specific first; only the caller's words are matched, so the agent's offers do not set the topic.
_INTENTS = (
    _intent(
        r"\b(?:emergency|gas (?:smell|leak)|smell(?:s|ing)? (?:of )?gas|chest (?:pain|tight)|tightness in (?:my|the) "
        r"chest|can't breathe|trouble breathing|bleeding|unconscious|on fire|smoke)",
        "an emergency",
        "the emergency",
        "Treat the call as an emergency and dispatch help immediately",
        "Confirm the caller is safe and knows to call 911",
    ),
    _intent(
        r"\b(?:did(?:n't| not)|never) (?:make|authori[sz]e|recogni[sz]e)|unauthori[sz]ed|fraud|"
        r"(?:somebody|someone) (?:used|took|stole|is using)|not my (?:charge|purchase)s?",
        "unauthorized charges",
        "the unauthorized charges",
        "File a fraud claim for the unauthorized charges{amount}",
        "Offer a temporary credit while the fraud claim is investigated",
    ),
    _intent(
        r"\b(?:charged|billed) (?:me |us |my \w+ )?(?:twice|two times|double)|double[- ]charged|"
        r"duplicate (?:charge|payment)|same (?:charge|thing) twice",
        "a duplicate charge",
        "the duplicate charge",
        "Open a dispute for the duplicate charge{amount}",
        "Offer provisional credit while the dispute is reviewed",
    ),
    _intent(
        r"\b(?:hacked|locked out|can't (?:log|sign|get) in|forgot (?:my )?password|reset (?:my )?password)",
        "an account access problem",
        "the account",
        "Verify ownership, secure the account and restore the caller's access",
        "Lock the account and end active sessions",
    ),
    _intent(
        r"\b(?:lost|stolen|missing) (?:my |the )?(?:card|wallet|purse)|(?:card|wallet) (?:was |got )?stolen",
        "a lost or stolen card",
        "the card",
        "Block the card and order a replacement",
        "Confirm the replacement card's delivery address and timing",
    ),
    _intent(
        r"\b(?:dispute|disputing|don't owe|do not owe|not mine|already paid)",
        "a disputed charge",
        "the disputed charge",
        "Record the dispute and review the charge{amount}",
        "Send the caller written confirmation of the dispute",
    ),
    _intent(
        r"\b(?:refund|money back|reimburse)",
        "a refund",
        "the charge",
        "Process a refund{amount} to the original payment method",
        "Confirm the refund timeline with the caller",
    ),
    _intent(
        r"\bcancel(?:l?ing|l?ed)? (?:my |the |our )?(?:membership|subscription|service|plan|account|policy|"
        r"contract|order)",
        "a cancellation",
        "the account",
        "Cancel the service as requested and confirm no further charges",
        "Review refunding any charges billed after the cancellation request",
    ),
    _intent(
        r"\b(?:bill|statement|invoice)\b.{0,40}\b(?:high|wrong|times|higher|went up|doubled|incorrect)|"
        r"overcharg|billing error|payment went up",
        "a billing question",
        "the bill",
        "Review the bill{amount} and correct it if it is wrong",
        "Explain the charges to the caller and adjust the account if needed",
    ),
    _intent(
        r"\b(?:no (?:internet|power|service|signal|heat|water)|outage|(?:internet|power|service|phone|line) "
        r"(?:is |went |has been )?(?:out|down)|never showed up|no-show)",
        "a service problem",
        "the service",
        "Restore the service and book the earliest technician visit",
        "Apply a service credit for the outage",
    ),
    _intent(
        r"\b(?:stopped working|broke|broken|doesn't work|won't (?:turn|start|work)|defective|warranty)",
        "a faulty product",
        "the product",
        "Open a warranty repair or replacement for the product",
        "Confirm the product details and warranty coverage",
    ),
    _intent(
        r"\b(?:appointment|schedule a|book a|reschedule)",
        "an appointment",
        "the appointment",
        "Book the appointment the caller needs",
        "Confirm the appointment details with the caller",
    ),
    _intent(
        r"\bclaim\b",
        "an insurance claim",
        "the claim",
        "Review the claim and update the caller on its status",
        "Contact the assigned adjuster about the next steps",
    ),
    _intent(
        r"\b(?:flight|reservation|booking|hotel|rebook)",
        "a booking",
        "the booking",
        "Review and update the booking",
        "Confirm the change and any price difference with the caller",
    ),
    _intent(
        r"\b(?:order|package|delivery|deliver(?:ed)?|shipment|parcel)\b",
        "an order",
        "the order",
        "Check the order and arrange a replacement, redelivery or refund",
        "Confirm the resolution with the caller",
    ),
    _intent(
        r"\b(?:prescription|refill|medication|pharmacy)",
        "a prescription",
        "the prescription",
        "Resolve the prescription refill with the prescriber",
        "Confirm when the medication will be ready",
    ),
    _intent(
        r"\b(?:transfer|move) (?:some )?(?:money|funds|\$|\d)",
        "a funds transfer",
        "the transfer",
        "Complete the transfer{amount}",
        "Confirm the transfer with the caller",
    ),
    _intent(
        r"\b(?:payment plan|make a payment|pay (?:my|the) bill|late payment|past due)",
        "a payment",
        "the payment",
        "Set up the payment{amount}",
        "Confirm the payment date and amount with the caller",
    ),
    _intent(
        # Moving is an update only when the caller ties it to their records: "I moved out of unit 204" about a
        # deposit, or "we moved on Saturday" about a moving crew, changes no details.
        r"\b(?:change|update) (?:my |the )?(?:address|phone number|email|name)|"
        r"\bmoved\b.{0,60}\b(?:address|records?|on file)\b",
        "an account update",
        "the account details",
        "Update the caller's details on the account",
        "Confirm the change with the caller",
    ),
    _intent(r"\bbalance\b", "a balance enquiry", "the balance", "Give the caller their current balance"),
    _intent(
        r"\b(?:replacement|new) card\b",
        "a replacement card",
        "the replacement card",
        "Confirm the replacement card's delivery",
    ),
)


def _issue(conversation: Conversation, name_words: set[str]) -> tuple[int, str] | None:
    """The caller's opening problem statement, cleaned (first person kept)."""
    for index, turn in enumerate(conversation.turns):
        if turn.role != "user":
            continue
        text = plain(turn.content)
        intro = _NAME_INTRO.match(text)
        if intro and intro.group(1).lower() in name_words:
            text = (
                text[intro.end() :] if (intro.group(2) or "").lower() in name_words else text[intro.end(1) :]
            )
            text = text.lstrip(" ,.")
        kept = [
            s for s in sentences(text)
            if len(s.split()) >= 3 and not set(LETTERS.findall(s.lower())) <= name_words | {"and", "it's"}
        ]  # fmt: skip
        if not kept:
            continue
        start = next((i for i, s in enumerate(kept) if _PROBLEM.search(s)), 0)
        chosen = kept[start]
        if len(chosen.split()) < 8 and start + 1 < len(kept) and "?" not in chosen:
            chosen = chosen.rstrip(".!") + ", " + kept[start + 1][:1].lower() + kept[start + 1][1:]
        return index, shorten(chosen.rstrip(".!?"), 24)
    return None


def _intent_of(conversation: Conversation) -> Intent | None:
    caller = [clean(t.content).lower() for t in conversation.turns if t.role == "user"]
    # The opening turns say what the call is about; later ones add detail.
    for chunk in (" ".join(caller[:2]), " ".join(caller)):
        for intent in _INTENTS:
            if intent.caller.search(chunk):
                return intent
    return None


def _amount(slots: list[Slot]) -> str | None:
    numeric = [s.value for s in slots if _AMOUNT_NUMERIC.fullmatch(s.value)]
    return (
        numeric[0]
        if numeric
        else next((s.value for s in slots if s.key.endswith(("Amount", "amount"))), None)
    )


@dataclass(frozen=True, slots=True)
class Topic:
    #: The caller's opening problem statement (turn, words; first person kept), if any.
    issue: tuple[int, str] | None
    intent: Intent | None
    #: The amount the call is about, as said ("$71.94").
    amount: str | None


def topic_of(conversation: Conversation, name_words: set[str], slots: list[Slot]) -> Topic:
    return Topic(_issue(conversation, name_words), _intent_of(conversation), _amount(slots))
