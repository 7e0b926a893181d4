"""The summary: three to five bullets, the caller's issue first, then how identity was checked, what the records
show, what the caller added, what the AI did, and where the caller stands at the handoff.
"""

from __future__ import annotations

import re

from assist.programs.rules.compliance import Findings
from assist.programs.rules.details import Slot
from assist.programs.rules.escalation import asked_for, threats
from assist.programs.rules.handoff import Handoff
from assist.programs.rules.prose import (
    CLAUSE_BREAK,
    agent_voice,
    as_sentence,
    asr_clauses,
    caller_clause,
    caller_sentences,
    overlap,
    sentence_case,
    shorten,
)
from assist.programs.rules.sentiment import CallSentiment
from assist.programs.rules.text import LETTERS, Cue, clean, sentences, word_set
from assist.programs.rules.topic import Topic
from assist.schema import SENTIMENT_LEVELS, Conversation

__all__ = ["summary"]

_LOOKUP = Cue(
    r"\b(?:i see|i can see|i've found|i found|i've pulled up|it shows|shows|that license|your (?:latest|current|last) "
    r"\w+ (?:is|was)|(?:is|are|was|were) (?:ready|on hold|rejected|denied|cancell?ed|delayed|scheduled|delivered))\b"
)
#: A word that makes a clause of what an agent read out ("the charge was declined", "it shows two charges").
_VERB_SIGN = re.compile(
    r"\b(?:is|are|was|were|be|been|has|have|had|shows?|showed|says?|said|will|would|can|could|did|does|do|"
    r"went|came|got|found|sees?|made|paid|sent|took|left|looks?|needs?|[a-z]+ed|[a-z]+n't)\b|'s (?:been|not|a|an|the|still|on|in|at|due|ready|past|"
    r"scheduled|showing)\b",
    re.IGNORECASE,
)
_DONE = re.compile(
    r"\b(?:i've|i have|we've|we have) (?:now |just |also )?(?:ordered|scheduled|blocked|booked|sent|submitted|"
    r"issued|credited|refunded|cancell?ed|set up|arranged|waived|filed|opened|placed|requested|processed|reversed|"
    r"dispatched|noted|added|marked|reset|updated|frozen|locked|applied|changed)\b|\bi promise\b|"
    r"\bwill (?:definitely|certainly)\b|\b(?:i'll|i will) make sure\b",
    re.IGNORECASE,
)
_FIRST_PERSON_WORD = re.compile(r"(?<![\w-])(?:i|i'm|i've|my|me|we|our)(?![\w-])", re.IGNORECASE)
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
#: Longest summary bullet taken from one turn, in words: summary bullets are short facts.
_BULLET_WORDS = 22
#: A lone letter or digit ("Q as in queen, 7, K"): spelling, not content.
_SPELLED = re.compile(r"(?<![\w'])[a-z0-9](?![\w'])", re.IGNORECASE)
_FUNCTION_WORDS = word_set(
    "a an the and or but so to of in on at for with from by as is are was were be been am it its it's that this "
    "these those there there's i i'm i've i'd me my we we're our you your they their them he she his her what "
    "do did does don't didn't not no yes if then just about up out can could would should will have has had "
    "get got like know think"
)
_CONTENT_WORD = re.compile(r"[a-z0-9']+")
#: Numbers and capitalized names: what makes a caller's turn specific.
_SPECIFIC = re.compile(r"\d+|\b[A-Z][a-z]+")
_EMPATHY = re.compile(r"^(?:and )?(?:i|we) (?:understand|see|know|hear)\b|^(?:i'm|im|i am|we're) sorry\b")


def summary(
    conversation: Conversation,
    *,
    topic: Topic,
    handoff: Handoff,
    findings: Findings,
    sentiment: CallSentiment,
    slots: list[Slot],
    name_words: set[str],
) -> list[str]:
    """Issue, verification, what the records show, what the caller added, what the AI did, where the caller is now."""
    issue = topic.issue
    used = {issue[0]} if issue else set()
    bullets: list[str] = [
        as_sentence(caller_clause(issue[1])) if issue else "Caller did not state a clear request."
    ]
    verification = _verification(findings, conversation)
    if verification:
        bullets.append(verification)
    fact = _lookup_fact(conversation, used)
    if fact:
        bullets.append(as_sentence(fact[1]))
        used.add(fact[0])
    detail = _detail(conversation, used | set(findings.sensitive), name_words)
    if detail:
        bullets.append(as_sentence(caller_clause(detail[1])))
        used.add(detail[0])
    done = _actions(conversation)
    for _, said in sorted(findings.commitments.items()):
        promised = _promised(said)
        if promised and not any(overlap(promised, d) for d in done):
            done.append(promised)
    if handoff.unable:
        done.append(f"AI could not {handoff.unable}")
    if done:
        bullets.append(as_sentence("; ".join(done[:2])))
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
    if len(bullets) > 5 and verification in {"Identity verified.", None}:
        bullets = [b for b in bullets if b != "Identity verified."]
    return [sentence_case(bullet) for bullet in bullets[:5]]


def _lookup_fact(conversation: Conversation, used: set[int]) -> tuple[int, str] | None:
    """The first detail the agent read out from its records ("I see two charges of $4,800 on ...")."""
    for index, turn in enumerate(conversation.turns):
        if turn.role != "assistant" or index in used:
            continue
        for sentence in sentences(clean(turn.content)):
            if _LOOKUP.found(sentence) and (re.search(r"\d", sentence) or len(sentence.split()) >= 8):
                fact = agent_voice(sentence).rstrip("?")
                fact = re.sub(
                    r"\b(?:do|does|did) (?:those|these|that|this|they) look familiar\b.*",
                    "",
                    fact,
                    flags=re.IGNORECASE,
                )
                if len(fact.split()) >= 4:
                    # "I can see your account and yesterday's appointment" leaves only what was seen: said
                    # alone it is no sentence, so the bullet says who found it.
                    if not _VERB_SIGN.search(fact):
                        fact = f"AI found {fact[:1].lower()}{fact[1:]}"
                    return index, shorten(fact, 28)
    return None


def _actions(conversation: Conversation) -> list[str]:
    """What the AI did or promised, in its own (converted) words."""
    done: list[str] = []
    for turn in conversation.turns:
        if turn.role != "assistant":
            continue
        for sentence in sentences(clean(turn.content)):
            match = _DONE.search(sentence)
            if match and not re.search(
                r"\b(?:transfer|connect)|\?|\b(?:can|could) you\b", sentence, re.IGNORECASE
            ):
                start = match.start()
                if match.group(0).lower().startswith("will"):
                    # "Since ..., your claim will definitely be approved": the promise starts at its subject.
                    start = max((m.end() for m in CLAUSE_BREAK.finditer(sentence[:start])), default=0)
                    said = agent_voice(sentence[start:].strip(" ,"))
                    done.append(shorten(f"AI said {said[:1].lower()}{said[1:]}", 22).rstrip(".!"))
                    continue
                done.append(shorten(agent_voice(sentence[start:]), 22).rstrip(".!"))
    return done


def _without_empathy(text: str) -> str:
    """The utterance without leading "i understand how stressful that is" clauses of an ASR turn."""
    clauses = asr_clauses(text)
    while len(clauses) > 1 and _EMPATHY.match(clauses[0].lower()):
        clauses = clauses[1:]
    return " ".join(clauses)


def _promised(commitment: str) -> str | None:
    """A commitment the compliance rules found ('The AI committed: "I'll waive that fee"') in the AI's voice:
    "AI will waive that fee"."""
    quoted = re.search(r'"(.+)"', commitment)
    if quoted is None:
        return None
    said = agent_voice(re.sub(r"^(?:(?:don'?t worry|understood|ok(?:ay)?|yes|so|and)[,.]?\s*)+", "",
                               _without_empathy(quoted.group(1)), flags=re.IGNORECASE))  # fmt: skip
    said = re.sub(r"^(?:the caller is|the caller's) ", "the caller is ", said.strip(" ,.!"))
    if len(said.split()) < 4:
        return None
    return shorten(said if said.startswith("AI") else f"AI told the caller {said[:1].lower()}{said[1:]}", 22)


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
        said = sentences(clean(turn.content))
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
            s for s in caller_sentences(turn.content)
            if len(s.split()) >= 4 and "?" not in s and not set(LETTERS.findall(s.lower())) <= name_words
            and len(_SPELLED.findall(s)) < 3
        ]  # fmt: skip
        text = " ".join(said)
        content = [w for w in _CONTENT_WORD.findall(text.lower()) if w not in _FUNCTION_WORDS]
        score = len(content) + 3 * len(_SPECIFIC.findall(text))
        if said and len(text.split()) >= 6 and (best is None or score > best[0]):
            best = (score, index, shorten(text.rstrip(".!"), _BULLET_WORDS))
    return (best[1], best[2]) if best else None


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
    threatened = threats(conversation, findings.escalations)
    asked = [asked_for(said) for said in demands if said.startswith("Caller asked")]
    parts = [f"is {_MOOD[level]}"] if level else []
    if threatened:
        parts.append(f"threatens {' and '.join(threatened)}")
    if asked:
        parts.append(f"{'demands' if level >= 3 else 'asked for'} {asked[-1]}")
    return f"Caller {_listed(parts)}." if parts else None
