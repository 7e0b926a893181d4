"""The prose sections of the rules brief: transfer reason, summary bullets and next steps.

Everything is rewritten from the call's own sentences, never quoted raw: disfluencies are
removed, the caller's words are put in the third person ("Caller wants to cancel their
membership"), the agent's in the past tense of "the AI" ("AI blocked the card"). Three general
sources carry most of the meaning of a handoff:

* the caller's opening problem statement (what the call is about),
* the agent's handoff sentence, which names who is needed and for what ("a billing specialist
  can request a meter read review"), and what the agent could not do ("I'm not able to ..."),
* a small topic lexicon of contact-centre intents (fraud, duplicate charge, refund, cancellation,
  lost card, outage, appointment, claim, ...) with the default agent action for each, filled with
  the amount the call mentions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assist.programs._rules_compliance import Findings
from assist.programs._rules_sentiment import CallSentiment
from assist.programs._rules_slots import Slot
from assist.programs._rules_text import clean
from assist.schema import SENTIMENT_LEVELS, Confidence, Conversation

__all__ = ["Story", "tell"]

_FILLERS = re.compile(
    r"\b(?:u+m+|u+h+|uhm|erm|hmm+|you know|i mean|kind of|sort of|basically|literally|honestly|actually)\b,?"
    r"|(?<=[,.]) like,?|^like,? |\blike(?= (?:a |the |totally |really |three |two |four |five |ten |\d))",
    re.IGNORECASE,
)
_LEAD = re.compile(
    r"^(?:(?:hi|hello|hey|yes|yeah|yep|no|oh|ah|so|well|ok|okay|right|great|sure|alright|good (?:morning|afternoon|"
    r"evening)|hi there|thanks|thank you|and|but|look|listen)\b[\s,.!?]*)+",
    re.IGNORECASE,
)
_REPEAT = re.compile(r"\b(\w+)(?:[\s,]+\1\b)+", re.IGNORECASE)
_NAME_INTRO = re.compile(
    r"^(?:my name is|my name's|this is|it's|i'm|i am) ([\w'-]+)(?: ([\w'-]+))?[.,]?\s*", re.IGNORECASE
)
_PROBLEM = re.compile(
    r"\b(?:i(?:'d| would) like|i want|i need|i wanted|i was wondering|i'm calling|i am calling|i'm trying|"
    r"i lost|i got|i filed|i cancell?ed|i paid|i was|i have|i had|i think|there's|there are|there is|my |our |"
    r"your |someone|somebody|can you|could you|how do i|we |i've been|it's not|it won't|i can't)",
    re.IGNORECASE,
)
_FIRST_PERSON = [(re.compile(p, re.IGNORECASE), r) for p, r in [
    (r"\bi'm\b", "they're"), (r"\bi am\b", "they are"), (r"\bi've\b", "they've"), (r"\bi'd\b", "they'd"),
    (r"\bi'll\b", "they'll"), (r"\bi was\b", "they were"), (r"\bi\b", "they"), (r"\bmy\b", "their"),
    (r"\bme\b", "them"), (r"\bmine\b", "theirs"), (r"\bmyself\b", "themselves"), (r"\bwe're\b", "they're"),
    (r"\bwe've\b", "they've"), (r"\bwe'd\b", "they'd"), (r"\bwe\b", "they"), (r"\bour\b", "their"),
    (r"\bus\b", "them"), (r"\byour\b", "the"), (r"^you\b", "the company"), (r"\byou guys\b", "the company"), (r"\byou people\b", "the company"),
    (r"\bthey has\b", "they have"), (r"\bthey doesn't\b", "they don't"), (r"\bthey wasn't\b", "they weren't"),
    (r"\bthey is\b", "they are"), (r"\bthey's\b", "they're"),
]]  # fmt: skip
#: The agent's "I" becomes "AI", its "you" the caller.
_AGENT_VOICE = [(re.compile(p, re.IGNORECASE), r) for p, r in [
    (r"\b(?:i've|i have|we've|we have) (?:now |just |also )?", "AI "), (r"\b(?:i'll|i will|we'll|we will) ", "AI will "),
    (r"\bi promise\b", "AI promised"), (r"\bi can\b", "AI can"), (r"\bi'm\b", "AI is"), (r"(?<![\w-])i(?![\w-])", "AI"),
    (r"\byou're\b", "the caller is"), (r"\byourself\b", "the caller"), (r"\byour\b", "the caller's"),
    (r"\byou\b", "the caller"), (r"\bwe\b", "the company"), (r"\bour\b", "the"), (r"\bmy\b", "the AI's"),
    (r"\bme\b", "the AI"), (r"\bu[hm]+\b,? ?", ""),
]]  # fmt: skip
_ROLE = (
    r"(?:specialist|team|agent|representative|rep|advisor|adviser|adjuster|nurse|pharmacist|supervisor|manager|"
    r"department|banker|desk|dispatch|technician|doctor|officer|line|member|expert|staff)s?"
)
#: Cheap pre-checks: most agent sentences name no role and admit no inability.
_ROLE_WORD = re.compile(rf"\b{_ROLE}\b")
_UNABLE_WORD = re.compile(r"\b(?:not able|unable|can't|cannot|not authorized)\b")
#: "... to a billing specialist who can request a review", "a pharmacist can start it", "so they can ...".
_CAPABILITY = re.compile(
    rf"((?:an? |our |the |your )?(?:[\w-]+ ){{0,3}}{_ROLE})(?: (?:who|that|which) can| can| will| is able to"
    rf"|,? so (?:that )?(?:they|he|she|someone|the \w+) can| to| handles?)(?! you\b) ([a-z][\w' -]*)",
    re.IGNORECASE,
)
#: "A replacement vehicle needs to be arranged by a rental agent", "refunding it needs a billing specialist".
_NEEDS = re.compile(
    rf"^(.{{3,70}}?) (?:needs?|requires?|has to|must) (?:to be (\w+ed) by |be (\w+ed) by )?"
    rf"((?:an? |our |the )?(?:[\w-]+ ){{0,3}}{_ROLE})",
    re.IGNORECASE,
)
_ACK = re.compile(
    r"^(?:(?:thank you|thanks|i understand|i'm sorry|i apologi[sz]e|yes|okay|ok|sure|of course|understood|got it|"
    r"great|perfect|alright|please)\b[,.!]?\s*)+",
    re.IGNORECASE,
)
_UNABLE = re.compile(
    r"\b(?:i'm|i am) (?:not able|unable) to ([^,.;]+)|\bi can(?:'t|not) ([^,.;]+)|\bnot authorized to ([^,.;]+)",
    re.IGNORECASE,
)
_WEAK_ACTION = re.compile(
    r"^(?:do (?:that|this|it)|help(?: (?:you|the caller))?(?: with (?:that|this|it))?|assist(?: you)?|"
    r"take (?:it|that) from here|go over (?:them|it|that)|(?:talk|speak) (?:to|with)|directly)\b|^\w+$",
    re.IGNORECASE,
)
_TAIL = re.compile(
    r"\b(?:myself|from here|over the phone|on this call|automatically|for you|for the caller|right now|now|today|"
    r"directly|with you|on my end|in this channel)\b",
    re.IGNORECASE,
)
_LOOKUP = re.compile(
    r"\b(?:i see|i can see|i've found|i found|i've pulled up|it shows|shows|that license|your (?:latest|current|last) "
    r"\w+ (?:is|was)|(?:is|are|was|were) (?:ready|on hold|rejected|denied|cancell?ed|delayed|scheduled|delivered))\b",
    re.IGNORECASE,
)
_DONE = re.compile(
    r"\b(?:i've|i have|we've|we have) (?:now |just |also )?(?:ordered|scheduled|blocked|booked|sent|submitted|"
    r"issued|credited|refunded|cancell?ed|set up|arranged|waived|filed|opened|placed|requested|processed|reversed|"
    r"dispatched|noted|added|marked|reset|updated|frozen|locked|applied|changed)\b|\bi promise\b|"
    r"\bwill (?:definitely|certainly)\b|\b(?:i'll|i will) make sure\b",
    re.IGNORECASE,
)
#: A sentence ends at . ! ? before a space, except after a title ("Dr. Patel").
_SENTENCE_END = re.compile(r"(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bMrs\.)(?<!\bSt\.)(?<=[.!?])\s+")
_FIRST_PERSON_WORD = re.compile(r"(?<![\w-])(?:i|i'm|i've|my|me|we|our)(?![\w-])", re.IGNORECASE)
_AMOUNT_NUMERIC = re.compile(r"\$\s?\d[\d,]*(?:\.\d{2})?")


@dataclass(frozen=True, slots=True)
class _Intent:
    caller: re.Pattern[str]
    #: What the call is about, as a noun phrase ("unauthorized charges").
    topic: str
    #: The usual agent actions, most important first; ``{amount}`` becomes " of $X" when the call names one.
    actions: tuple[str, ...]


def _intent(pattern: str, topic: str, *actions: str) -> _Intent:
    # Matched against lowercased text: much faster than IGNORECASE.
    return _Intent(re.compile(pattern), topic, actions)


#: Most specific first; only the caller's words are matched, so the agent's offers do not set the topic.
_INTENTS = (
    _intent(
        r"\b(?:emergency|gas (?:smell|leak)|smell(?:s|ing)? (?:of )?gas|chest (?:pain|tight)|tightness in (?:my|the) "
        r"chest|can't breathe|trouble breathing|bleeding|unconscious|on fire|smoke)",
        "an emergency",
        "Treat the call as an emergency and dispatch help immediately",
        "Confirm the caller is safe and knows to call 911",
    ),
    _intent(
        r"\b(?:did(?:n't| not)|never) (?:make|authori[sz]e|recogni[sz]e)|unauthori[sz]ed|fraud|"
        r"(?:somebody|someone) (?:used|took|stole|is using)|not my (?:charge|purchase)s?",
        "unauthorized charges",
        "File a fraud claim for the unauthorized charges{amount}",
        "Offer a temporary credit while the fraud claim is investigated",
    ),
    _intent(
        r"\b(?:charged|billed) (?:me |us |my \w+ )?(?:twice|two times|double)|double[- ]charged|"
        r"duplicate (?:charge|payment)|same (?:charge|thing) twice",
        "a duplicate charge",
        "Open a dispute for the duplicate charge{amount}",
        "Offer provisional credit while the dispute is reviewed",
    ),
    _intent(
        r"\b(?:hacked|locked out|can't (?:log|sign|get) in|forgot (?:my )?password|reset (?:my )?password)",
        "an account access problem",
        "Verify ownership, secure the account and restore the caller's access",
        "Lock the account and end active sessions",
    ),
    _intent(
        r"\b(?:lost|stolen|missing) (?:my |the )?(?:card|wallet|purse)|(?:card|wallet) (?:was |got )?stolen",
        "a lost or stolen card",
        "Block the card and order a replacement",
        "Confirm the replacement card's delivery address and timing",
    ),
    _intent(
        r"\b(?:dispute|disputing|don't owe|do not owe|not mine|already paid)",
        "a disputed charge",
        "Record the dispute and review the charge{amount}",
        "Send the caller written confirmation of the dispute",
    ),
    _intent(
        r"\b(?:refund|money back|reimburse)",
        "a refund",
        "Process a refund{amount} to the original payment method",
        "Confirm the refund timeline with the caller",
    ),
    _intent(
        r"\bcancel(?:l?ing|l?ed)? (?:my |the |our )?(?:membership|subscription|service|plan|account|policy|"
        r"contract|order)",
        "a cancellation",
        "Cancel the service as requested and confirm no further charges",
        "Review refunding any charges billed after the cancellation request",
    ),
    _intent(
        r"\b(?:bill|statement|invoice)\b.{0,40}\b(?:high|wrong|times|higher|went up|doubled|incorrect)|"
        r"overcharg|billing error|payment went up",
        "a billing question",
        "Review the bill{amount} and correct it if it is wrong",
        "Explain the charges to the caller and adjust the account if needed",
    ),
    _intent(
        r"\b(?:no (?:internet|power|service|signal|heat|water)|outage|(?:internet|power|service|phone|line) "
        r"(?:is |went |has been )?(?:out|down)|never showed up|no-show)",
        "a service problem",
        "Restore the service and book the earliest technician visit",
        "Apply a service credit for the outage",
    ),
    _intent(
        r"\b(?:stopped working|broke|broken|doesn't work|won't (?:turn|start|work)|defective|warranty)",
        "a faulty product",
        "Open a warranty repair or replacement for the product",
        "Confirm the product details and warranty coverage",
    ),
    _intent(
        r"\b(?:appointment|schedule a|book a|reschedule)",
        "an appointment",
        "Book the appointment the caller needs",
        "Confirm the appointment details with the caller",
    ),
    _intent(
        r"\bclaim\b",
        "an insurance claim",
        "Review the claim and update the caller on its status",
        "Contact the assigned adjuster about the next steps",
    ),
    _intent(
        r"\b(?:flight|reservation|booking|hotel|rebook)",
        "a booking",
        "Review and update the booking",
        "Confirm the change and any price difference with the caller",
    ),
    _intent(
        r"\b(?:order|package|delivery|deliver(?:ed)?|shipment|parcel)\b",
        "an order",
        "Check the order and arrange a replacement, redelivery or refund",
        "Confirm the resolution with the caller",
    ),
    _intent(
        r"\b(?:prescription|refill|medication|pharmacy)",
        "a prescription",
        "Resolve the prescription refill with the prescriber",
        "Confirm when the medication will be ready",
    ),
    _intent(
        r"\b(?:transfer|move) (?:some )?(?:money|funds|\$|\d)",
        "a funds transfer",
        "Complete the transfer{amount}",
        "Confirm the transfer with the caller",
    ),
    _intent(
        r"\b(?:payment plan|make a payment|pay (?:my|the) bill|late payment|past due)",
        "a payment",
        "Set up the payment{amount}",
        "Confirm the payment date and amount with the caller",
    ),
    _intent(
        r"\b(?:change|update) (?:my |the )?(?:address|phone number|email|name)|\bmoved\b",
        "an account update",
        "Update the caller's details on the account",
        "Confirm the change with the caller",
    ),
    _intent(r"\bbalance\b", "a balance enquiry", "Give the caller their current balance"),
    _intent(r"\b(?:replacement|new) card\b", "a replacement card", "Confirm the replacement card's delivery"),
)


@dataclass(frozen=True, slots=True)
class Story:
    #: The caller's opening problem statement, if any.
    issue_turn: int | None
    transfer_reason: str
    summary: list[str]
    next_steps: list[tuple[str, Confidence]]


def plain(text: str) -> str:
    """The utterance without fillers, repeated words or a leading "yeah, so, okay"."""
    text = _FILLERS.sub(" ", clean(text))
    text = _REPEAT.sub(r"\1", text)
    text = re.sub(r"\s+([,.!?])", r"\1", re.sub(r"\s+", " ", text))
    text = re.sub(r"([,.!?])(?:\s*[,.])+", r"\1", text)
    return _LEAD.sub("", text.strip(" ,")).strip(" ,")


def _third_person(text: str) -> str:
    for pattern, replacement in _FIRST_PERSON:
        text = pattern.sub(replacement, text)
    return text


def _agent_voice(text: str) -> str:
    text = re.sub(r"^(?:(?:thank you|thanks|i understand|i'm sorry|i apologi[sz]e|okay|sure|yes|of course|"
                  r"got it|understood)[^,.!?]*[,.!](?:\s+|$))+", "", text, flags=re.IGNORECASE)  # fmt: skip
    text = re.sub(r"^(?:i see|i can see)(?: that)? ", "", text, flags=re.IGNORECASE)
    for pattern, replacement in _AGENT_VOICE:
        text = pattern.sub(replacement, text)
    return text


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def _words(text: str, limit: int) -> str:
    """At most ``limit`` words, cut at the last clause boundary when there is one past a third of the limit."""
    parts = text.split()
    if len(parts) <= limit:
        return text
    head = " ".join(parts[:limit])
    comma = head.rfind(",")
    if comma >= 0 and len(head[:comma].split()) >= limit // 3:
        return head[:comma]
    return head.rstrip(",;:")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sentence(text: str) -> str:
    text = text.strip(" ,;:")
    return _capital(text) + ("" if text.endswith((".", "!", "?")) else ".")


def _caller_clause(text: str) -> str:
    """A caller sentence as a clause about "Caller": "I need to cancel" -> "Caller needs to cancel"."""
    text = text.rstrip(".!? ")
    lead = re.match(r"^(?:i|we)(?:'m| am| are|'re)? (\w+)", text, re.IGNORECASE)
    if re.match(r"^(?:i|we)'(?:m|re) ", text, re.IGNORECASE):
        text = "Caller is " + text.split(" ", 1)[1]
    elif re.match(r"^(?:i|we)'(?:ve) ", text, re.IGNORECASE):
        text = "Caller has " + text.split(" ", 1)[1]
    elif re.match(r"^(?:i|we)'d like", text, re.IGNORECASE):
        text = "Caller would like" + text.split("like", 1)[1]
    elif lead and not re.match(r"^(?:i|we) (?:am|are)\b", text, re.IGNORECASE):
        verb = lead.group(1).lower()
        verb = {"need": "needs", "want": "wants", "have": "has", "was": "was", "were": "was", "think": "thinks",
                "don't": "doesn't", "can't": "can't", "do": "does", "just": "just"}.get(verb, verb)  # fmt: skip
        text = f"Caller {verb}" + text[lead.end() :]
    elif re.match(r"^(?:my|our) ", text, re.IGNORECASE):
        text = "Caller's " + text.split(" ", 1)[1]
    else:
        text = "Caller says " + text[:1].lower() + text[1:]
    return _third_person(text)


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
            s for s in _sentences(text)
            if len(s.split()) >= 3 and not set(re.findall(r"[a-z]+", s.lower())) <= name_words | {"and", "it's"}
        ]  # fmt: skip
        if not kept:
            continue
        start = next((i for i, s in enumerate(kept) if _PROBLEM.search(s)), 0)
        chosen = kept[start]
        if len(chosen.split()) < 8 and start + 1 < len(kept) and "?" not in chosen:
            chosen = chosen.rstrip(".!") + ", " + kept[start + 1][:1].lower() + kept[start + 1][1:]
        return index, _words(chosen.rstrip(".!?"), 24)
    return None


def _verb_base(participle: str) -> str:
    """ "arranged" -> "arrange", "reviewed" -> "review", "filed" -> "file" (good enough for agent verbs)."""
    word = participle.lower()
    if not word.endswith("ed"):
        return word
    stem = word[:-2]
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "ls":
        return stem[:-1]
    if stem.endswith(("v", "c", "g", "u", "z", "at", "it", "ir", "ar", "ur", "bl", "dl", "tl", "pl", "fil", "rs",
                      "ns", "is", "os", "iz", "ag")) and not stem.endswith(("ag",)):  # fmt: skip
        return stem + "e"
    return stem


def _gerund_base(word: str) -> str:
    stem = word.lower()[:-3]
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "ls":
        return stem[:-1]
    return stem


@dataclass(frozen=True, slots=True)
class _Handoff:
    #: Who the caller needs ("a billing specialist").
    role: str | None
    #: What only they can do, imperative ("Request a meter read review").
    action: str | None
    #: What the AI said it cannot do ("process a cash refund").
    unable: str | None


def _tidy_action(text: str) -> str | None:
    text = re.split(
        r"[.;!?]| but | because | since | if | while you| (?:and )?(?:i|i'll|i'm|they'll|you)\b", text
    )[0]
    text = _TAIL.sub("", text)
    text = re.sub(r"\s+", " ", text).strip(" ,")
    if _WEAK_ACTION.match(text):
        return None
    text = re.sub(r"\byour\b", "the caller's", re.sub(r"\byou\b", "the caller", text))
    words = text.split()
    if len(words) < 2:
        return None
    return _capital(" ".join(words[:16]))


def _handoff(conversation: Conversation) -> _Handoff:
    role = action = unable = None
    for turn in conversation.turns:
        if turn.role != "assistant":
            continue
        for sentence in _sentences(clean(turn.content)):
            lowered = sentence.lower()
            unable_here = unable is None and _UNABLE_WORD.search(lowered)
            if not unable_here and not _ROLE_WORD.search(lowered):
                continue
            sentence = _ACK.sub("", sentence)
            lowered = sentence.lower()
            if unable_here:
                match = _UNABLE.search(sentence)
                if match:
                    task = _tidy_action(next(g for g in match.groups() if g))
                    unable = task[0].lower() + task[1:] if task else None
            needs = _NEEDS.search(sentence)
            if needs and not re.match(r"^(?:i|you|it|that|this)\b", needs.group(1), re.IGNORECASE):
                subject = re.sub(
                    r"^(?:so|and|but|since)\s+",
                    "",
                    needs.group(1).split(",")[-1].strip(),
                    flags=re.IGNORECASE,
                )
                participle = needs.group(2) or needs.group(3)
                role = needs.group(4)
                first = subject.split()[0].lower() if subject.split() else ""
                if participle:
                    action = _tidy_action(f"{_verb_base(participle)} {subject[0].lower()}{subject[1:]}")
                elif first.endswith("ing") and len(first) > 4:
                    action = _tidy_action(f"{_gerund_base(first)} {' '.join(subject.split()[1:])}")
                elif not re.match(r"^(?:a|an|the)? ?(?:name|it|that|this)\b", subject, re.IGNORECASE):
                    action = _tidy_action(f"arrange {subject[0].lower()}{subject[1:]}")
                continue
            capable = _CAPABILITY.search(sentence)
            if capable and ("transfer" in lowered or "connect" in lowered or " can " in lowered):
                found = _tidy_action(capable.group(2))
                if found or role is None:
                    role = capable.group(1)
                    action = found or action
    if role is not None:
        role = re.split(r"\b(?:to|with|or|and|yes|you)\b", role, flags=re.IGNORECASE)[-1]
        role = re.sub(r"^(?:our|your|the)\s+", "a ", role.strip(), flags=re.IGNORECASE)
        role = role if re.match(r"^(?:an?|the)\s", role, re.IGNORECASE) else f"a {role}"
        role = re.sub(r"^a (?=[aeiou])", "an ", role, flags=re.IGNORECASE)
    return _Handoff(role, action, unable)


def _intent_of(conversation: Conversation) -> _Intent | None:
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


def _lookup_fact(conversation: Conversation, used: set[int]) -> tuple[int, str] | None:
    """The first detail the agent read out from its records ("I see two charges of $4,800 on ...")."""
    for index, turn in enumerate(conversation.turns):
        if turn.role != "assistant" or index in used:
            continue
        for sentence in _sentences(clean(turn.content)):
            if _LOOKUP.search(sentence) and (re.search(r"\d", sentence) or len(sentence.split()) >= 8):
                fact = _agent_voice(sentence).rstrip("?")
                fact = re.sub(
                    r"\b(?:do|does|did) (?:those|these|that|this|they) look familiar\b.*",
                    "",
                    fact,
                    flags=re.IGNORECASE,
                )
                if len(fact.split()) >= 4:
                    return index, _words(fact, 28)
    return None


def _actions(conversation: Conversation) -> list[str]:
    """What the AI did or promised, in its own (converted) words."""
    done: list[str] = []
    for turn in conversation.turns:
        if turn.role != "assistant":
            continue
        for sentence in _sentences(clean(turn.content)):
            match = _DONE.search(sentence)
            if match and not re.search(
                r"\b(?:transfer|connect)|\?|\b(?:can|could) you\b", sentence, re.IGNORECASE
            ):
                done.append(_words(_agent_voice(sentence[match.start() :]), 22).rstrip(".!"))
    return done


def _verification(findings: Findings, mentioned: list[Slot], conversation: Conversation) -> str | None:
    how = _verified_with(findings, mentioned, conversation)
    if findings.sensitive:
        leaked = " and ".join(sorted(set(findings.sensitive.values())))
        after = f"; identity was verified afterwards{how}" if findings.verified_turn is not None else ""
        return f"Caller shared {leaked} before verification{after}."
    if findings.verified_turn is None:
        return None
    return f"Identity verified{how}."


def _verified_with(findings: Findings, mentioned: list[Slot], conversation: Conversation) -> str:
    """What the caller gave before the agent confirmed them, as " with date of birth and a one-time code"."""
    if findings.verified_turn is None:
        return ""
    used = []
    for slot in mentioned:
        if (
            slot.turn < findings.verified_turn
            and slot.key.lower() not in used
            and "amount" not in slot.key.lower()
        ):
            used.append(slot.key.lower())
    asked = " ".join(
        t.content.lower() for t in conversation.turns[: findings.verified_turn] if t.role == "assistant"
    )
    if re.search(r"\bcode\b", asked):
        used = [k for k in used if "digit" not in k and "code" not in k] + ["a one-time code"]
    return f" with {' and '.join(used[:3])}" if used else ""


def _detail(conversation: Conversation, used: set[int], name_words: set[str]) -> tuple[int, str] | None:
    """The caller's most detailed later turn (what they added after the opening), as a clause."""
    best: tuple[int, int, str] | None = None
    for index, turn in enumerate(conversation.turns):
        if turn.role != "user" or index in used:
            continue
        said = [
            s for s in _sentences(plain(turn.content))
            if len(s.split()) >= 4 and "?" not in s and not set(re.findall(r"[a-z]+", s.lower())) <= name_words
        ]  # fmt: skip
        text = " ".join(said)
        score = len(text.split()) + 3 * len(re.findall(r"\d+|\b[A-Z][a-z]+", text))
        if said and len(text.split()) >= 6 and (best is None or score > best[0]):
            best = (score, index, _words(text.rstrip(".!"), 22))
    return (best[1], best[2]) if best else None


def _state(sentiment: CallSentiment, conversation: Conversation, used: set[int]) -> str | None:
    """The caller's state and remaining ask, from their most heated (or last substantial) turn."""
    level = SENTIMENT_LEVELS.index(sentiment.level)
    peak = max(
        (t for t in sentiment.turns if t.index not in used and t.level >= 1),
        key=lambda t: t.level,
        default=None,
    )
    mood = {1: "is getting frustrated", 2: "is frustrated", 3: "is angry", 4: "is escalating"}.get(level)
    if peak is not None:
        said = [s for s in _sentences(plain(conversation.turns[peak.index].content)) if len(s.split()) >= 3]
        if said:
            detail = _third_person(_words(max(said, key=len).rstrip(".!?"), 18))
            return f"Caller {mood or 'is concerned'}: {detail[:1].lower()}{detail[1:]}."
    if any(t.human_request for t in sentiment.turns):
        return f"Caller {mood or 'is calm'} and asked to speak with a person."
    return None


def tell(
    conversation: Conversation,
    *,
    name_words: set[str],
    findings: Findings,
    sentiment: CallSentiment,
    mentioned: list[Slot],
    slots: list[Slot],
) -> Story:
    issue = _issue(conversation, name_words)
    intent = _intent_of(conversation)
    handoff = _handoff(conversation)
    amount = _amount(slots)
    flags = {kind for kind, _ in findings.flags}

    # Transfer reason: what the call is about + why a human is needed.
    if issue is not None:
        subject = _caller_clause(_words(issue[1], 18))
    elif intent is not None:
        subject = f"Caller needs help with {intent.topic}"
    else:
        subject = "Caller needs help"
    if amount and amount.lower() not in subject.lower():
        subject += f" ({amount})"
    reasons: list[str] = []
    if handoff.role and handoff.action:
        reasons.append(f"needs {handoff.role} to {handoff.action[0].lower()}{handoff.action[1:]}")
    elif handoff.role:
        reasons.append(f"needs {handoff.role}")
    if handoff.unable and not reasons:
        reasons.append(f"the AI cannot {handoff.unable}")
    caller_demand = [i for i in findings.escalations if conversation.turns[i].role == "user"]
    if caller_demand:
        said = findings.escalations[caller_demand[-1]]
        reasons.append(
            "the caller threatened to escalate" if said.startswith("Caller threatened")
            else "it is an emergency needing immediate help" if said.startswith("Caller reports an emergency")
            else f"the caller asked for {_asked_for(said)}"
        )  # fmt: skip
    if "unfulfillable_promise" in flags:
        reasons.append("the AI made a promise that needs review")
    reason = f"{subject}; {' and '.join(reasons[:2])}." if reasons else f"{subject}."

    # Summary: issue, verification, what the records show, what the AI did, where the caller is now.
    used = {issue[0]} if issue else set()
    bullets: list[str] = [
        _sentence(_caller_clause(issue[1])) if issue else "Caller did not state a clear request."
    ]
    verification = _verification(findings, mentioned, conversation)
    if verification:
        bullets.append(verification)
    fact = _lookup_fact(conversation, used)
    if fact:
        bullets.append(_sentence(fact[1]))
        used.add(fact[0])
    detail = _detail(conversation, used, name_words)
    if detail:
        bullets.append(_sentence(_caller_clause(detail[1])))
        used.add(detail[0])
    done = _actions(conversation)
    if handoff.unable:
        done.append(f"AI could not {handoff.unable}")
    if done:
        bullets.append(_sentence("; ".join(done[:2])))
    state = _state(sentiment, conversation, used)
    if state:
        bullets.append(state)
    plain_slots = [s for s in slots if not _FIRST_PERSON_WORD.search(s.value)]
    fallbacks = [
        "Details: " + "; ".join(f"{s.key}: {s.value}" for s in plain_slots[:4]) + "."
        if plain_slots
        else None,
        f"The call was handed to {handoff.role}." if handoff.role else None,
        f"Caller sentiment is {sentiment.level.replace('_', ' ')}.",
        "The AI handed the call over without resolving it.",
    ]
    for fallback in fallbacks:
        if len(bullets) < 3 and fallback:
            bullets.append(fallback)

    # Next steps: the handoff's action, what the AI could not do, the topic's default, a promise to correct.
    steps: list[tuple[str, Confidence]] = []

    def add(action: str | None, confidence: Confidence) -> None:
        if action and not any(_overlap(action, a) for a, _ in steps):
            steps.append((action, confidence))

    add(handoff.action, "high")
    add(_capital(handoff.unable) if handoff.unable else None, "high")
    if "unfulfillable_promise" in flags:
        promise = next((t for k, t in findings.flags if k == "unfulfillable_promise"), "")
        quoted = re.search(r'"(.+)"', promise)
        what = _agent_voice(quoted.group(1)).rstrip(".!") if quoted else "the AI's promise"
        add(_words(f"Review and correct the AI's promise: {what}", 24), "medium")
    for template in intent.actions if intent else ():
        add(template.format(amount=f" of {amount}" if amount else ""), "high" if not steps else "medium")
    # Up to three steps: an extra step costs nothing when it is wrong, and a missing one is a missed action.
    if "sensitive_data_unverified" in flags and len(steps) < 3:
        add("Verify the caller's identity the approved way and do not record the sensitive data", "medium")
    if "regulatory_requirement" in flags and len(steps) < 3:
        add("Check the flagged regulatory requirement before continuing", "medium")
    if len(steps) < 3:
        add("Confirm the resolution and any follow-up with the caller", "medium" if steps else "high")
    if len(bullets) > 5 and verification in {"Identity verified.", None}:
        bullets = [b for b in bullets if b != "Identity verified."]
    return Story(
        issue_turn=issue[0] if issue else None,
        transfer_reason=reason,
        summary=bullets[:5],
        next_steps=steps[:3],
    )


def _asked_for(escalation: str) -> str:
    """Who the caller asked for, from the escalation's quoted cue ("speak to a supervisor" -> "a supervisor")."""
    roles = re.findall(
        r"\b(supervisor|manager|person|human|nurse|pharmacist|doctor|specialist|representative|agent|banker)\b",
        escalation.split(":", 1)[-1].lower(),
    )
    return f"a {roles[-1]}" if roles else "a human"


def _overlap(a: str, b: str) -> bool:
    left, right = set(a.lower().split()), set(b.lower().split())
    return len(left & right) >= 0.6 * min(len(left), len(right))
