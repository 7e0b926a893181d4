"""Who the call is handed to and what only they can do, from the agent's handoff sentence ("a billing specialist
can request a meter read review", "a replacement vehicle needs to be arranged by a rental agent"), and what the
AI said it cannot do ("I'm not able to process a cash refund").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assist.programs.rules.prose import tidy_action
from assist.programs.rules.text import clean, sentences
from assist.schema import Conversation

__all__ = ["Handoff", "handoff_of"]

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


@dataclass(frozen=True, slots=True)
class Handoff:
    #: Who the caller needs ("a billing specialist").
    role: str | None
    #: What only they can do, imperative ("Request a meter read review").
    action: str | None
    #: What the AI said it cannot do ("process a cash refund").
    unable: str | None


def handoff_of(conversation: Conversation) -> Handoff:
    role = action = unable = None
    for turn in conversation.turns:
        if turn.role != "assistant":
            continue
        # What "it", "that" or "them" refers to in this turn: the thing it says is needed.
        needed: str | None = None
        for sentence in sentences(clean(turn.content)):
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
                    task = tidy_action(_resolved(next(g for g in match.groups() if g), needed))
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
                    action = tidy_action(f"{_verb_base(participle)} {subject[0].lower()}{subject[1:]}")
                elif first.endswith("ing") and len(first) > 4:
                    action = tidy_action(f"{_gerund_base(first)} {' '.join(subject.split()[1:])}")
                elif not re.match(r"^(?:a|an|the)? ?(?:name|it|that|this)\b", subject, re.IGNORECASE):
                    action = tidy_action(f"arrange {subject[0].lower()}{subject[1:]}")
                continue
            capable = _CAPABILITY.search(sentence)
            if capable and ("transfer" in lowered or "connect" in lowered or " can " in lowered):
                found = tidy_action(_resolved(capable.group(2), needed))
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
    return Handoff(role, action, unable)


def _resolved(task: str, needed: str | None) -> str:
    """ "approve that" -> "approve a reinstatement exception" when the turn said what is needed;
    a bare "set up" gets that object too."""
    if needed is None:
        return task
    bare = re.match(
        r"^\s*(\w+(?: up| out| back| off)?)(?: (?:it|that|this|them|those))?\s*$", task, re.IGNORECASE
    )
    return f"{bare.group(1)} {needed}" if bare else task


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
