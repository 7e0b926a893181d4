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

from assist._memo import text_cache
from assist.programs._rules_compliance import Findings
from assist.programs._rules_sentiment import CallSentiment
from assist.programs._rules_slots import Slot
from assist.programs._rules_text import Cue, clean
from assist.schema import SENTIMENT_LEVELS, Confidence, Conversation

__all__ = ["Story", "tell"]


def _word_set(*lines: str) -> frozenset[str]:
    return frozenset(" ".join(lines).split())


_FILLERS = re.compile(
    r"\b(?:u+m+|u+h+|uhm|erm|hmm+|you know|i mean|kind of|sort of|basically|literally|honestly|actually|just|"
    r"really|totally|pretty much|super|anyway|or something|or whatever|and stuff|and everything|"
    r"(?:a bunch|a couple|all) of them|(?:i|we) (?:think|guess|believe|suppose)(?=[,.]| so\b)|"
    r"to be honest|(?:hold|hang) on(?: a (?:sec|second|minute))?|one (?:sec|second)|let me (?:see|think|check))\b,?",
    re.IGNORECASE,
)
#: Spoken "like" is a filler unless a verb or comparison governs it ("I'd like", "smells like", "feel like").
_LIKE = re.compile(r"(\b[\w']+)?,?\s*\blike\b,?", re.IGNORECASE)
_LIKE_KEPT = _word_set(
    "i you we they he she would 'd i'd you'd we'd they'd he'd she'd don't didn't doesn't not look looks looked "
    "looking sound sounds sounded smell smells smelled feel feels felt seem seems seemed something anything nothing "
    "more much things stuff what taste tastes tasted just people someone somebody would've"
)
_LEAD = re.compile(
    r"^(?:(?:hi|hello|hey|yes|yeah|yep|no|oh|ah|so|well|ok|okay|right|great|sure|alright|good (?:morning|afternoon|"
    r"evening)|hi there|thanks|thank you|and|but|look|listen)\b[\s,.!?]*)+",
    re.IGNORECASE,
)
_REPEAT = re.compile(r"\b(\w+)(?:[\s,]+\1\b)+", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_MARK = re.compile(r"\s+([,.!?])")
#: "okay,, so." -> "okay, so.": punctuation left behind by removed fillers.
_MARK_RUN = re.compile(r"([,.!?])(?:\s*[,.])+")
_NAME_INTRO = re.compile(
    r"^(?:my name is|my name's|this is|it's|i'm|i am) ([\w'-]+)(?: ([\w'-]+))?[.,]?\s*", re.IGNORECASE
)
_PROBLEM = re.compile(
    r"\b(?:i(?:'d| would) like|i want|i need|i wanted|i was wondering|i'm calling|i am calling|i'm trying|"
    r"i lost|i got|i filed|i cancell?ed|i paid|i was|i have|i had|i think|there's|there are|there is|my |our |"
    r"your |someone|somebody|can you|could you|how do i|we |i've been|it's not|it won't|i can't)",
    re.IGNORECASE,
)
#: (pattern, replacement, word): each rewrite, applied in order, with a word every match contains
#: (see :func:`_rewrite`).
_FIRST_PERSON = tuple((re.compile(p, re.IGNORECASE), r, w) for p, r, w in [
    (r"\bi'm\b", "they're", "i'm"), (r"\bi am\b", "they are", "i am"), (r"\bi've\b", "they've", "i've"),
    (r"\bi'd\b", "they'd", "i'd"), (r"\bi'll\b", "they'll", "i'll"), (r"\bi was\b", "they were", "i was"),
    (r"(?<![\w-])i(?![\w-])", "they", "i"), (r"\bmy\b", "their", "my"), (r"\bme\b", "them", "me"),
    (r"\bmine\b", "theirs", "mine"), (r"\bmyself\b", "themselves", "myself"), (r"\bwe're\b", "they're", "we're"),
    (r"\bwe've\b", "they've", "we've"), (r"\bwe'd\b", "they'd", "we'd"), (r"\bwe\b", "they", "we"),
    (r"\bour\b", "their", "our"), (r"\bus\b", "them", "us"), (r"\byour\b", "the", "your"),
    (r"^you\b", "the company", "you"), (r"\byou guys\b", "the company", "you guys"),
    (r"\byou people\b", "the company", "you people"), (r"\bthey has\b", "they have", "they has"),
    (r"\bthey doesn't\b", "they don't", "they doesn't"), (r"\bthey wasn't\b", "they weren't", "they wasn't"),
    (r"\bthey is\b", "they are", "they is"), (r"\bthey's\b", "they're", "they's"),
])  # fmt: skip
#: What an agent sentence opens with before its content, in spoken or unpunctuated form: thanks,
#: apologies, "you're verified" (the summary says so separately), "I see", "Ms. Brown,".
_AGENT_OPENING = re.compile(
    # First, "thanks simone i see ...": unpunctuated speech puts the caller's first name between the two.
    r"^(?:(?:(?:thank you|thanks|okay|ok),? [a-z][\w'-]*(?=,?\s+(?:i see|i can see|it looks like)\b)|"
    r"thank you|thanks|okay|ok|sure|alright|great|perfect|got it|understood|of course|yes|i understand|"
    r"i'm sorry(?: about that)?|i apologi[sz]e|(?:mr|ms|mrs|miss|dr)\.? [a-z][\w'-]*|you'?re (?:all )?verified|"
    r"you've been verified|you are verified|i see|i can see|it looks like)(?: that)?\b[,.!]?\s*)+",
    re.IGNORECASE,
)
#: The agent's "I" becomes "AI", its "you" the caller.
_YOU_SUBJECT = re.compile(
    r"(^|\b(?:that|if|so|and|when|because|until|before|once|sure) )you (?!(?:can|could|will|would|should|might|may|"
    r"must|did|didn't|were|are|had)\b)([a-z]+)\b",
    re.IGNORECASE,
)
_AGENT_VOICE = tuple((re.compile(p, re.IGNORECASE), r, w) for p, r, w in [
    # "ve" and "ll " are what every form of "I've/we have" and "I'll/we will " share.
    (r"\b(?:i'?ve|i have|we've|we have) (?:now |just |also )?", "AI ", "ve"),
    (r"\b(?:i'll|i will|we'll|we will) ", "AI will ", "ll "),
    (r"\bi promise\b", "AI promised", "i promise"), (r"\bi guarantee\b", "AI guaranteed", "i guarantee"),
    (r"\bim\b", "AI is", "im"), (r"\byoure\b", "the caller is", "youre"), (r"\bi can\b", "AI can", "i can"),
    (r"\bi'm\b", "AI is", "i'm"), (r"\bi (see|need|want|think|understand|know)\b", r"AI \1s", "i "),
    (r"(?<![\w-])i(?![\w-])", "AI", "i"),
    (r"\byou're\b", "the caller is", "you're"), (r"\byourself\b", "the caller", "yourself"),
    (r"\byour\b", "the caller's", "your"), (r"\byou\b", "the caller", "you"), (r"\bwe\b", "the company", "we"),
    (r"\bour\b", "the", "our"), (r"\bmy\b", "the AI's", "my"), (r"\bme\b", "the AI", "me"),
    (r"\bu[hm]+\b,? ?", "", "u"),
])  # fmt: skip
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
    rf"^(.{{3,70}}?) (?:needs?|requires?|has to|have to|must) (?:to be (\w+ed) by |be (\w+ed) by )?"
    rf"((?:an? |our |the )?(?:[\w-]+ ){{0,3}}{_ROLE})(?![\w'’])",
    re.IGNORECASE,
)
#: "... need a formal installment agreement with a financial review": what a later "it" or "that" is.
_NEEDED = re.compile(
    rf"\b(?:needs?|requires?)\s+((?:an?|the)\s+(?!(?:\w+ ){{0,3}}{_ROLE}(?![\w'’]))[\w'-]+(?: [\w'-]+){{0,3}}?)"
    r"(?=\s+(?:with|which|and|but|so|from|before|to|that|only|approved|for)\b|[,.;!?]|$)",
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
_LOOKUP = Cue(
    r"\b(?:i see|i can see|i've found|i found|i've pulled up|it shows|shows|that license|your (?:latest|current|last) "
    r"\w+ (?:is|was)|(?:is|are|was|were) (?:ready|on hold|rejected|denied|cancell?ed|delayed|scheduled|delivered))\b"
)
_DONE = re.compile(
    r"\b(?:i've|i have|we've|we have) (?:now |just |also )?(?:ordered|scheduled|blocked|booked|sent|submitted|"
    r"issued|credited|refunded|cancell?ed|set up|arranged|waived|filed|opened|placed|requested|processed|reversed|"
    r"dispatched|noted|added|marked|reset|updated|frozen|locked|applied|changed)\b|\bi promise\b|"
    r"\bwill (?:definitely|certainly)\b|\b(?:i'll|i will) make sure\b",
    re.IGNORECASE,
)
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
#: A sentence ends at . ! ? before a space, except after a title ("Dr. Patel"). The cheap
#: punctuation check comes first: re tries the lookbehinds in order at every position.
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bMrs\.)(?<!\bSt\.)\s+")
_FIRST_PERSON_WORD = re.compile(r"(?<![\w-])(?:i|i'm|i've|my|me|we|our)(?![\w-])", re.IGNORECASE)
_AMOUNT_NUMERIC = re.compile(r"\$\s?\d[\d,]*(?:\.\d{2})?")
#: Words after "I" that keep their form after "Caller": modals, common past forms, adverbs.
_SAME_VERB = _word_set(
    "can can't could couldn't will won't would wouldn't should shouldn't might must may was wasn't did didn't "
    "got had made paid said told took lost bought sent gave went came saw found left kept put set thought heard "
    "felt brought spent ran woke fell broke drove flew wrote forgot "
    "am"
)
_ADVERBS = _word_set(
    "just also still never already only even always usually really actually now then too definitely probably "
    "recently finally originally literally honestly basically seriously"
)
#: An agent question whose answer is an identifier, not a detail of the problem.
_IDENTITY_ASK = Cue(
    r"\b(?:name|spell|e-?mail|date of birth|birthday|zip|postal code|last four|code|(?:service )?address|"
    r"(?:account|policy|member|order|claim|confirmation|reference|loan|agreement|phone) (?:number|id)|"
    r"number on (?:the|your) account)\b"
)
#: The agent's identity checks, as the summary names them. "Last four" runs to the end of its clause to
#: find whose four digits ("of your Social Security number"); ZIP and confirmation codes are not
#: one-time codes.
_CHECK = re.compile(
    r"(?P<last_four>\blast (?:four|4)\b[^.?!,]*)|(?P<zip>\b(?:zip|postal) code\b)|(?P<dob>\bdate of birth\b|"
    r"\bbirth ?date\b|\bbirthday\b|\bdob\b)|(?P<code>\b(?:one[- ]time|verification|security|six[- ]digit) code\b)|"
    r"(?P<number>\b(?P<which>account|policy|loan|member|membership|claim|agreement|reference|order|job|confirmation|"
    r"booking|customer|case|ticket|workspace|phone|tracking|notice) (?:number|id|code)\b)|"
    r"(?P<address>\b(?:the )?(?:service |billing |home |mailing )?address\b)|(?P<email>\be-?mail\b)|"
    r"(?P<pin>\bpin\b|\bpasscode\b)|(?P<name>\bname\b)"
)
_CHECK_LABEL = {"zip": "ZIP code", "dob": "date of birth", "code": "a one-time code", "email": "email",
                "pin": "PIN", "name": "name"}  # fmt: skip
_LAST_FOUR_OWNER = {"social": "SSN", "ssn": "SSN", "card": "card", "account": "account", "phone": "phone"}
#: A code the agent sends or asks to have read back: the check is the code, whatever it was sent to.
_CODE_SENT = re.compile(
    r"\b(?:text|texting|texted|send|sending|sent|email(?:ed)?)\b[^.?!]*\bcode\b|\bcode\b[^.?!]*\b(?:sent|texted|read it)\b"
)
_VERIFIED_CUE = Cue(r"\bverified\b|\bthat (?:matches|checks out)\b|\bidentity (?:is |has been )?confirmed\b")
#: What a caller read out too early, as the summary names it.
_LEAKED = {
    "a full payment card number": "their full card number",
    "a full Social Security number": "their full SSN",
    "a PIN or password": "their PIN",
}
#: The caller's mood in the words summaries use, by sentiment level (calm says nothing).
_MOOD = ("calm", "annoyed", "frustrated", "angry", "angry")
_PROMISE_WORD = re.compile(r"\b(?:will|guarantee|promise|make sure|won't)\b", re.IGNORECASE)
#: "Refund it", "check with them", "process that": an action whose object is a pronoun.
_PRONOUN_OBJECT = re.compile(r"^(\w+(?: \w+)?) (?:it|that|this)\b(?! \w+ed\b)", re.IGNORECASE)
#: Money nouns an amount attaches to; not the imperative verb itself ("Refund the charge").
_MONEY_WORD = re.compile(
    r"(?<!^)\b(?:refund|charges?|credit|bill|payment|fee|deposit)\b(?! of)", re.IGNORECASE
)
_MONEY_VERB = re.compile(r"^(?:refund|credit|reverse|waive|dispute)\b", re.IGNORECASE)
#: Longest summary bullet taken from one turn, in words: summary bullets are short facts.
_BULLET_WORDS = 22
#: A lone letter or digit ("Q as in queen, 7, K"): spelling, not content.
_SPELLED = re.compile(r"(?<![\w'])[a-z0-9](?![\w'])", re.IGNORECASE)
_FUNCTION_WORDS = _word_set(
    "a an the and or but so to of in on at for with from by as is are was were be been am it its it's that this "
    "these those there there's i i'm i've i'd me my we we're our you your they their them he she his her what "
    "do did does don't didn't not no yes if then just about up out can could would should will have has had "
    "get got like know think"
)
_LETTERS = re.compile(r"[a-z]+")
_CONTENT_WORD = re.compile(r"[a-z0-9']+")
#: Numbers and capitalized names: what makes a caller's turn specific.
_SPECIFIC = re.compile(r"\d+|\b[A-Z][a-z]+")
#: Words of the caller's opening kept in the transfer reason: the reason is read at a glance.
_REASON_WORDS = 7
#: Where a spoken sentence starts a new clause; unpunctuated speech runs on into questions ("... can you ...").
_CLAUSE_BREAK = re.compile(
    r",|;| but | because | so | and then | which | (?=(?:can|could|would) you )", re.IGNORECASE
)
#: Where an unpunctuated (ASR) agent turn starts a new clause: "i understand how stressful that is
#: | i can upgrade the shipping | and i guarantee the card will be there".
_ASR_CLAUSE = re.compile(
    r" (?=(?:and )?(?:i|we) (?:can|cannot|can't|cant|will|'ll|ll|guarantee|promise|understand|see|have|'ve|ve|"
    r"just|need|want|would|'d|am|'m|m)\b)"
)
_EMPATHY = re.compile(r"^(?:and )?(?:i|we) (?:understand|see|know|hear)\b|^(?:i'm|im|i am|we're) sorry\b")
#: Words a clipped clause must not end on.
_DANGLING = _word_set(
    "a an the to of for in on at with and or but that which who saying says said they he she it is are was were "
    "their my your our some any this these those from by as if i we you me them us there"
)
_EMERGENCY_WORDS = re.compile(
    r"\b(?:gas|smell|chest|breath|breathe|bleeding|unconscious|fire|smoke|emergency|pain|tight)",
    re.IGNORECASE,
)
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


@dataclass(frozen=True, slots=True)
class _Intent:
    caller: re.Pattern[str]
    #: What the call is about, as a noun phrase ("unauthorized charges").
    topic: str
    #: What "it" means in an action about this topic ("Refund it" -> "Refund the charge").
    thing: str
    #: The usual agent actions, most important first; ``{amount}`` becomes " of $X" when the call names one.
    actions: tuple[str, ...]


def _intent(pattern: str, topic: str, thing: str, *actions: str) -> _Intent:
    # Matched against lowercased text: much faster than IGNORECASE.
    return _Intent(re.compile(pattern), topic, thing, actions)


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
        r"\b(?:change|update) (?:my |the )?(?:address|phone number|email|name)|\bmoved\b",
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


@dataclass(frozen=True, slots=True)
class Story:
    #: The caller's opening problem statement, if any.
    issue_turn: int | None
    transfer_reason: str
    summary: list[str]
    next_steps: list[tuple[str, Confidence]]


@text_cache(maxsize=4096)
def plain(text: str) -> str:
    """The utterance without fillers, repeated words or a leading "yeah, so, okay".

    Cached: the issue, detail, state and ask finders all read the same caller turns.
    """
    text = _FILLERS.sub(" ", clean(text))
    # The "like" scan is slow (it may start at any word); ASCII text without the word skips it.
    if "like" in text.lower() or not text.isascii():
        text = _LIKE.sub(_like, text)
    text = _REPEAT.sub(r"\1", text)
    text = _SPACE_BEFORE_MARK.sub(r"\1", _SPACES.sub(" ", text))
    text = _MARK_RUN.sub(r"\1", text)
    return _LEAD.sub("", text.strip(" ,")).strip(" ,")


def _like(match: re.Match[str]) -> str:
    before = match.group(1) or ""
    return match.group(0) if before.lower() in _LIKE_KEPT else before + " "


def _rewrite(text: str, rules: tuple[tuple[re.Pattern[str], str, str], ...]) -> str:
    """``text`` with each rule's pattern replaced, in order (a rewrite may feed a later rule).

    Most rules match nothing, and testing for the word every match contains is far cheaper than a
    regex scan. Only for ASCII text: a case-insensitive pattern also matches letters such as the long s
    (U+017F) that ``lower()`` does not map to their ASCII form.
    """
    lowered = text.lower()
    for pattern, replacement, word in rules:
        if word not in lowered and text.isascii():
            continue
        text, count = pattern.subn(replacement, text)
        if count:
            lowered = text.lower()
    return text


def _third_person(text: str) -> str:
    return _rewrite(text, _FIRST_PERSON)


def _agent_voice(text: str) -> str:
    text = re.sub(r"^(?:(?:thank you|thanks|i understand|i'm sorry|i apologi[sz]e|okay|sure|yes|of course|"
                  r"got it|understood)[^,.!?]*[,.!](?:\s+|$))+", "", text, flags=re.IGNORECASE)  # fmt: skip
    text = _AGENT_OPENING.sub("", text)
    # "that you get a month free" -> "that the caller gets ...": "you" as a subject takes a verb.
    text = _YOU_SUBJECT.sub(lambda m: f"{m.group(1)}the caller {_third_singular(m.group(2).lower())}", text)
    return _rewrite(text, _AGENT_VOICE)


@text_cache(maxsize=1024)
def _sentences(text: str) -> tuple[str, ...]:
    """The sentences of ``text``, stripped.

    Cached: the handoff, lookup, action and verification finders each split every agent turn.
    """
    return tuple(s.strip() for s in _SENTENCE_END.split(text) if s.strip())


def _words(text: str, limit: int) -> str:
    """At most ``limit`` words, cut at the last clause boundary when there is one past a third of the limit."""
    parts = text.split()
    if len(parts) <= limit:
        return text
    head = " ".join(parts[:limit])
    comma = max(head.rfind(","), head.rfind(". "))
    if comma >= 0 and len(head[:comma].split()) >= limit // 3:
        return head[:comma]
    kept = head.rstrip(",;:").split()
    while len(kept) > 2 and kept[-1].lower().strip(",.") in _DANGLING:
        kept.pop()
    return " ".join(kept).rstrip(",;:")


def _article(phrase: str) -> str:
    """ "FCC complaint" -> "an FCC complaint": "a" or "an" by the sound of the first word (acronyms by letter name)."""
    if phrase.startswith(("a ", "an ", "legal ", "to ", "cancellation", "switching")):
        return phrase
    first = phrase.split()[0]
    vowel = first[0] in "AEFHILMNORSX" if first.isupper() else first[0].lower() in "aeiou"
    return f"{'an' if vowel else 'a'} {phrase}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sentence(text: str) -> str:
    text = text.strip(" ,;:")
    return _capital(text) + ("" if text.endswith((".", "!", "?")) else ".")


def _caller_clause(text: str) -> str:
    """A caller sentence as a clause about "Caller": "I need to cancel" -> "Caller needs to cancel"."""
    text = text.rstrip(".!? ")
    lead = re.match(r"^(?:i|we)(?:'m| am| are|'re)? ([\w']+)", text, re.IGNORECASE)
    if re.match(r"^(?:i|we)'(?:m|re) ", text, re.IGNORECASE):
        text = "Caller is " + text.split(" ", 1)[1]
    elif re.match(r"^(?:i|we)'(?:ve) ", text, re.IGNORECASE):
        text = "Caller has " + text.split(" ", 1)[1]
    elif re.match(r"^(?:i|we)'d like", text, re.IGNORECASE):
        text = "Caller would like" + text.split("like", 1)[1]
    elif lead and not re.match(r"^(?:i|we) (?:am|are)\b", text, re.IGNORECASE):
        verb = lead.group(1).lower()
        rest = text[lead.end() :]
        if verb in _ADVERBS and (after := re.match(r" ([\w']+)", rest)):
            verb, rest = f"{verb} {_third_singular(after.group(1).lower())}", rest[after.end() :]
        else:
            verb = _third_singular(verb)
        text = f"Caller {verb}{rest}"
    elif re.match(r"^(?:my|our) ", text, re.IGNORECASE):
        text = "Caller's " + text.split(" ", 1)[1]
    elif re.match(r"^there(?:'s| is| are)\b", text, re.IGNORECASE):
        text = "Caller reports " + text.split(" ", 1)[1] if " " in text else "Caller reports a problem"
    else:
        first = text.split(" ", 1)[0]
        keep_case = any(c.isdigit() or c.isupper() for c in first[1:]) or first in {"I", "Dr.", "Mr.", "Ms."}
        text = "Caller says " + (text if keep_case else text[:1].lower() + text[1:])
    return _third_person(text)


def _third_singular(verb: str) -> str:
    """The caller's present-tense verb with "Caller" as subject: "need" -> "needs", "fly" -> "flies",
    "don't" -> "doesn't"; past forms, modals and adverbs are unchanged."""
    past = verb.endswith("ed") and not verb.endswith("eed")
    if (
        verb in _SAME_VERB
        or verb in _ADVERBS
        or past
        or verb.endswith(("n't", "'ll", "'d", "s"))
        or len(verb) < 2
    ):
        return {"don't": "doesn't", "haven't": "hasn't", "were": "was", "weren't": "wasn't"}.get(verb, verb)
    if verb == "have":
        return "has"
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    if verb.endswith(("sh", "ch", "x", "z", "o")):
        return verb + "es"
    return verb + "s"


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
            if len(s.split()) >= 3 and not set(_LETTERS.findall(s.lower())) <= name_words | {"and", "it's"}
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
    if word.endswith("ied"):
        return word[:-3] + "y"
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
    # The tail first: "approve work for you, but ..." must not leave "approve work for".
    text = _TAIL.sub("", text)
    text = re.split(
        r"[.;!?]| but | because | since | so | if | while you| (?:and )?(?:i|i'll|i'm|they'll|you)\b", text
    )[0]
    text = re.sub(r"\s+", " ", text).strip(" ,")
    if _WEAK_ACTION.match(text):
        return None
    text = re.sub(r"\byour\b", "the caller's", re.sub(r"\byou\b", "the caller", text))
    words = text.split()[:16]
    while len(words) > 2 and words[-1].lower() in _DANGLING:
        words.pop()  # "see an authorization for" -> "see an authorization"
    if len(words) < 2:
        return None
    return _capital(" ".join(words))


def _handoff(conversation: Conversation) -> _Handoff:
    role = action = unable = None
    for turn in conversation.turns:
        if turn.role != "assistant":
            continue
        # What "it", "that" or "them" refers to in this turn: the thing it says is needed.
        needed: str | None = None
        for sentence in _sentences(clean(turn.content)):
            lowered = sentence.lower()
            thing = _NEEDED.search(sentence)
            needed = thing.group(1) if thing else needed
            unable_here = unable is None and _UNABLE_WORD.search(lowered)
            if not unable_here and not _ROLE_WORD.search(lowered):
                continue
            sentence = _ACK.sub("", sentence)
            lowered = sentence.lower()
            if unable_here:
                match = _UNABLE.search(sentence)
                if match:
                    task = _tidy_action(_resolved(next(g for g in match.groups() if g), needed))
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
                needed = needed or (subject if not first.endswith("ing") else None)
                if participle:
                    action = _tidy_action(f"{_verb_base(participle)} {subject[0].lower()}{subject[1:]}")
                elif first.endswith("ing") and len(first) > 4:
                    action = _tidy_action(f"{_gerund_base(first)} {' '.join(subject.split()[1:])}")
                elif not re.match(r"^(?:a|an|the)? ?(?:name|it|that|this)\b", subject, re.IGNORECASE):
                    action = _tidy_action(f"arrange {subject[0].lower()}{subject[1:]}")
                continue
            capable = _CAPABILITY.search(sentence)
            if capable and ("transfer" in lowered or "connect" in lowered or " can " in lowered):
                found = _tidy_action(_resolved(capable.group(2), needed))
                if found or role is None:
                    role = capable.group(1)
                    action = found or action
    if role is not None:
        role = re.split(r"\b(?:to|with|or|and|but|yes|you|only)\b", role, flags=re.IGNORECASE)[-1]
        # "one of our disputes team", "a member of the care team": the team itself.
        role = re.sub(
            r"^\s*(?:(?:one|someone|somebody|a member|members?)\s+)?of\s+", "", role, flags=re.IGNORECASE
        )
        role = re.sub(r"^(?:our|your|the)\s+", "a ", role.strip(), flags=re.IGNORECASE)
        role = role if re.match(r"^(?:an?|the)\s", role, re.IGNORECASE) else f"a {role}"
        role = re.sub(r"^a (?=[aeiou])", "an ", role, flags=re.IGNORECASE)
        role = role[:1].lower() + role[1:]
    return _Handoff(role, action, unable)


def _resolved(task: str, needed: str | None) -> str:
    """ "approve that" -> "approve a reinstatement exception" when the turn said what is needed;
    a bare "set up" gets that object too."""
    if needed is None:
        return task
    bare = re.match(
        r"^\s*(\w+(?: up| out| back| off)?)(?: (?:it|that|this|them|those))?\s*$", task, re.IGNORECASE
    )
    return f"{bare.group(1)} {needed}" if bare else task


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
            if _LOOKUP.found(sentence) and (re.search(r"\d", sentence) or len(sentence.split()) >= 8):
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
                start = match.start()
                if match.group(0).lower().startswith("will"):
                    # "Since ..., your claim will definitely be approved": the promise starts at its subject.
                    start = max((m.end() for m in _CLAUSE_BREAK.finditer(sentence[:start])), default=0)
                    said = _agent_voice(sentence[start:].strip(" ,"))
                    done.append(_words(f"AI said {said[:1].lower()}{said[1:]}", 22).rstrip(".!"))
                    continue
                done.append(_words(_agent_voice(sentence[start:]), 22).rstrip(".!"))
    return done


def _asr_clauses(text: str) -> list[str]:
    """An unpunctuated utterance cut where a new "i ..."/"we ..." clause starts; punctuated text stays whole."""
    if any(mark in text for mark in ".,;!?"):
        return [text]
    return [c.strip() for c in _ASR_CLAUSE.split(text) if c.strip()]


def _without_empathy(text: str) -> str:
    """The utterance without leading "i understand how stressful that is" clauses of an ASR turn."""
    clauses = _asr_clauses(text)
    while len(clauses) > 1 and _EMPATHY.match(clauses[0].lower()):
        clauses = clauses[1:]
    return " ".join(clauses)


def _promised(commitment: str) -> str | None:
    """A commitment the compliance rules found ('The AI committed: "I'll waive that fee"') in the AI's voice:
    "AI will waive that fee"."""
    quoted = re.search(r'"(.+)"', commitment)
    if quoted is None:
        return None
    said = _agent_voice(re.sub(r"^(?:(?:don'?t worry|understood|ok(?:ay)?|yes|so|and)[,.]?\s*)+", "",
                               _without_empathy(quoted.group(1)), flags=re.IGNORECASE))  # fmt: skip
    said = re.sub(r"^(?:the caller is|the caller's) ", "the caller is ", said.strip(" ,.!"))
    if len(said.split()) < 4:
        return None
    return _words(said if said.startswith("AI") else f"AI told the caller {said[:1].lower()}{said[1:]}", 22)


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
            action = _tidy_action(wanted)
            if action and not re.match(
                r"^(?:talk|speak|get|have|be|know|go|do|make sure|put|transfer|connect)\b",
                action,
                re.IGNORECASE,
            ):
                asks.append(_words(action, 14))
    return asks


_NOT_DELIVERABLE = frozenset({"code", "passcode", "pin", "verification", "one-time", "caller"})


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
            while len(words) > 2 and words[-1].lower() in _DANGLING:
                words.pop()
            # A code sent to verify the caller is part of the check, not something to follow up on.
            if (
                len(words) >= 2
                and words[1].lower() != "text"
                and not _NOT_DELIVERABLE.intersection(w.lower() for w in words[1:])
            ):
                found.append(" ".join(words))
    return found


def _verification(findings: Findings, conversation: Conversation) -> str | None:
    checks = _verified_with(findings, conversation)
    how = f" with {_listed(checks)}" if checks else ""
    if findings.sensitive:
        leaked = " and ".join(sorted({_LEAKED.get(kind, kind) for kind in findings.sensitive.values()}))
        after = f"; verified afterwards{how}" if findings.verified_turn is not None else ""
        return f"Caller read out {leaked} before verification{after}."
    if findings.verified_turn is None:
        return None
    return f"Verified{how}." if checks else "Identity verified."


def _verified_with(findings: Findings, conversation: Conversation) -> list[str]:
    """What the agent checked the caller's identity with, in the order asked ("name", "ZIP code").

    Only the agent's verification asks count, from the turns right before it confirmed the caller:
    an order number or amount the caller mentioned earlier is a detail of the problem, not a check.
    """
    verified = findings.verified_turn
    if verified is None:
        return []
    asks: list[list[str]] = []
    for index in range(verified, -1, -1):
        turn = conversation.turns[index]
        if turn.role != "assistant":
            continue
        said = _sentences(clean(turn.content))
        if index == verified:
            # The confirming turn goes on with what the account shows; only what precedes "verified" counts.
            cue = next((i for i, s in enumerate(said) if _VERIFIED_CUE.found(s)), len(said) - 1)
            said = said[: cue + 1]
        found = [check for sentence in said for check in _checks_in(sentence)]
        if index != verified and not found or len(asks) == 4:
            break
        asks.append(found)
    ordered = [check for found in reversed(asks) for check in found]
    return list(dict.fromkeys(ordered))[:4]


def _checks_in(sentence: str) -> list[str]:
    lowered = sentence.lower()
    if _CODE_SENT.search(lowered):
        # "I'm texting a code to the phone number on file": the phone is where the code goes, not a check.
        return ["a one-time code"]
    found: list[str] = []
    for match in _CHECK.finditer(lowered):
        kind = match.lastgroup
        if kind == "last_four":
            owner = re.search(r"\b(social|ssn|card|account|phone)", match.group(0))
            found.append(f"{_LAST_FOUR_OWNER[owner.group(1)]} last four" if owner else "last four")
        elif kind == "number":
            found.append(match.group(0).replace(" id", " ID"))
        elif kind == "address":
            found.append(match.group(0).replace("the ", ""))
        elif kind is not None:
            found.append(_CHECK_LABEL[kind])
    return found


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _detail(conversation: Conversation, skip: set[int], name_words: set[str]) -> tuple[int, str] | None:
    """The caller's most informative later turn (what they added after the opening), as a clause.

    Informative means content words and specifics (numbers, names); a turn that spells a name or
    reads out an identifier letter by letter adds nothing a summary should repeat.
    """
    best: tuple[int, int, str] | None = None
    for index, turn in enumerate(conversation.turns):
        if (
            turn.role != "user"
            or index in skip
            or (index and _IDENTITY_ASK.found(conversation.turns[index - 1].content))
        ):
            continue
        said = [
            s for s in _said(turn.content)
            if len(s.split()) >= 4 and "?" not in s and not set(_LETTERS.findall(s.lower())) <= name_words
            and len(_SPELLED.findall(s)) < 3
        ]  # fmt: skip
        text = " ".join(said)
        content = [w for w in _CONTENT_WORD.findall(text.lower()) if w not in _FUNCTION_WORDS]
        score = len(content) + 3 * len(_SPECIFIC.findall(text))
        if said and len(text.split()) >= 6 and (best is None or score > best[0]):
            best = (score, index, _words(text.rstrip(".!"), _BULLET_WORDS))
    return (best[1], best[2]) if best else None


def _said(content: str) -> list[str]:
    """The sentences of a caller turn without fillers or an opening "yeah so", each."""
    return [kept for s in _sentences(plain(content)) if (kept := _LEAD.sub("", s).strip(" ,"))]


def _state(sentiment: CallSentiment, conversation: Conversation, findings: Findings) -> str | None:
    """Where the caller stands at the handoff: their mood, what they threaten and whom they asked for.

    Named, not quoted: summaries say "Caller is angry and asked for a supervisor", and a quote of the
    most heated turn matched no annotator's bullet better than the plain statement.
    """
    level = SENTIMENT_LEVELS.index(sentiment.level)
    demands = [
        said
        for index, said in sorted(findings.escalations.items())
        if conversation.turns[index].role == "user"
    ]
    threats = _threats(conversation, findings)
    asked = [_asked_for(said) for said in demands if said.startswith("Caller asked")]
    parts = [f"is {_MOOD[level]}"] if level else []
    if threats:
        parts.append(f"threatens {' and '.join(threats)}")
    if asked:
        parts.append(f"{'demands' if level >= 3 else 'asked for'} {asked[-1]}")
    return f"Caller {_listed(parts)}." if parts else None


def tell(
    conversation: Conversation,
    *,
    name_words: set[str],
    findings: Findings,
    sentiment: CallSentiment,
    slots: list[Slot],
) -> Story:
    issue = _issue(conversation, name_words)
    intent = _intent_of(conversation)
    handoff = _handoff(conversation)
    amount = _amount(slots)
    flags = {kind for kind, _ in findings.flags}

    reason = _reason(conversation, issue, intent, handoff, amount, findings, sentiment)

    # Summary: issue, verification, what the records show, what the AI did, where the caller is now.
    used = {issue[0]} if issue else set()
    bullets: list[str] = [
        _sentence(_caller_clause(issue[1])) if issue else "Caller did not state a clear request."
    ]
    verification = _verification(findings, conversation)
    if verification:
        bullets.append(verification)
    fact = _lookup_fact(conversation, used)
    if fact:
        bullets.append(_sentence(fact[1]))
        used.add(fact[0])
    detail = _detail(conversation, used | set(findings.sensitive), name_words)
    if detail:
        bullets.append(_sentence(_caller_clause(detail[1])))
        used.add(detail[0])
    done = _actions(conversation)
    for _, said in sorted(findings.commitments.items()):
        promised = _promised(said)
        if promised and not any(_overlap(promised, d) for d in done):
            done.append(promised)
    if handoff.unable:
        done.append(f"AI could not {handoff.unable}")
    if done:
        bullets.append(_sentence("; ".join(done[:2])))
    state = _state(sentiment, conversation, findings)
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

    add(_concrete(handoff.action, intent, amount), "high")
    add(_concrete(_capital(handoff.unable), intent, amount) if handoff.unable else None, "high")
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
        add(_words("Review the compliance issue: " + rule.rstrip("."), 18), "medium")
    if len(steps) < 3:
        add("Confirm the resolution and any follow-up with the caller", "medium" if steps else "high")
    if steps and all(confidence != "high" for _, confidence in steps):
        # The first step is the one the human should take; it is never merely "likely useful".
        steps[0] = (steps[0][0], "high")
    if len(bullets) > 5 and verification in {"Identity verified.", None}:
        bullets = [b for b in bullets if b != "Identity verified."]
    return Story(
        issue_turn=issue[0] if issue else None,
        transfer_reason=_sentence_case(reason),
        summary=[_sentence_case(bullet) for bullet in bullets[:5]],
        next_steps=[(_sentence_case(action), confidence) for action, confidence in steps[:3]],
    )


_SENTENCE_START = re.compile(r"(?<=[.!?] )([a-z])")


def _sentence_case(text: str) -> str:
    """Each sentence of a brief's line starts with a capital (quoted caller sentences are rewritten lowercase)."""
    return _SENTENCE_START.sub(lambda match: match.group(1).upper(), text)


def _reason(
    conversation: Conversation,
    issue: tuple[int, str] | None,
    intent: _Intent | None,
    handoff: _Handoff,
    amount: str | None,
    findings: Findings,
    sentiment: CallSentiment,
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
        subject = _caller_clause(_clip(_emergency_sentence(conversation.turns[emergency].content), 12))
    elif issue is not None:
        subject = _caller_clause(_clip(issue[1], _REASON_WORDS))
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
    if handoff.unable:
        reasons.append(f"the AI cannot {handoff.unable}")
    if emergency is not None:
        reasons.append("it is an emergency needing immediate help")
    elif demands:
        threats = _threats(conversation, findings)
        asked = [_asked_for(said) for _, said in demands if said.startswith("Caller asked")]
        demand = "demands" if SENTIMENT_LEVELS.index(sentiment.level) >= 3 else "asked for"
        wants = ([f"threatens {' and '.join(threats)}"] if threats else []) + (
            [f"{demand} {asked[-1]}"] if asked else []
        )
        reasons.append("the caller " + " and ".join(wants) if wants else "the caller threatened to escalate")
    return f"{subject}; {' and '.join(reasons[:2])}." if reasons else f"{subject}."


def _clip(text: str, limit: int) -> str:
    """The first clause of a spoken sentence (joined to the next when very short), at most ``limit`` words,
    never ending on a function word ("... saying they")."""
    clauses = [c.strip() for c in _CLAUSE_BREAK.split(text.rstrip(".!? ")) if c.strip()]
    if not clauses:
        return text
    kept = clauses[0]
    for extra in clauses[1:]:
        if len(kept.split()) >= 4:
            break
        kept += ", " + extra
    words = kept.split()[:limit]
    while len(words) > 2 and words[-1].lower().strip(",") in _DANGLING:
        words.pop()
    return " ".join(words).rstrip(",")


def _emergency_sentence(content: str) -> str:
    said = _sentences(plain(content))
    return next((s for s in said if _EMERGENCY_WORDS.search(s)), said[0] if said else content)


def _threats(conversation: Conversation, findings: Findings) -> list[str]:
    """The outside actions the caller threatens, named ("an FCC complaint", "legal action", "cancellation").

    Read from the caller's escalating turns only: a threat usually comes with the demand for a human in
    the same breath ("I want a supervisor, and I'm filing a DOT complaint"), while "cancel" elsewhere
    is often just the request.
    """
    text = " ".join(
        clean(conversation.turns[i].content)
        for i in sorted(findings.escalations)
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


def _concrete(action: str | None, intent: _Intent | None, amount: str | None) -> str | None:
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
        c.strip() for part in _asr_clauses(quote.rstrip(".!")) for c in _CLAUSE_BREAK.split(part) if c.strip()
    ]
    # The clause that promises ("will", "guarantee", "make sure"), not its "since ..." preamble.
    main = next((c for c in clauses if _PROMISE_WORD.search(c)), clauses[0] if clauses else quote)
    main = re.sub(r"^(?:and |since |as )?(?:i promise|i guarantee|i'll make sure|i will make sure)(?: that)?\s*", "",
                  main, flags=re.IGNORECASE)  # fmt: skip
    said = _agent_voice(main).strip(" ,")
    return _words(f"Correct the AI's promise that {said[:1].lower()}{said[1:]}", 18)


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
