"""How the brief's sentences are written from the call's own: fillers out, the caller in the third person
("Caller wants to cancel their membership"), the agent as "the AI" ("AI blocked the card"), cut to a length a
person reads at a glance, each sentence capitalized.

Shared by the transfer reason, the summary and the next steps; never quotes a turn raw.
"""

from __future__ import annotations

import re

from assist._memo import text_cache
from assist.programs.rules.text import clean, sentences, word_set

__all__ = [
    "CLAUSE_BREAK",
    "DANGLING",
    "agent_voice",
    "as_sentence",
    "asr_clauses",
    "caller_clause",
    "caller_sentences",
    "capital",
    "overlap",
    "plain",
    "sentence_case",
    "shorten",
    "tidy_action",
]

_FILLERS = re.compile(
    r"\b(?:u+m+|u+h+|uhm|erm|hmm+|you know|i mean|kind of|sort of|basically|literally|honestly|actually|just|"
    r"really|totally|pretty much|super|anyway|or something|or whatever|and stuff|and everything|"
    r"(?:a bunch|a couple|all) of them|(?:i|we) (?:think|guess|believe|suppose)(?=[,.]| so\b)|"
    r"to be honest|(?:hold|hang) on(?: a (?:sec|second|minute))?|one (?:sec|second)|let me (?:see|think|check))\b,?",
    re.IGNORECASE,
)
#: Spoken "like" is a filler unless a verb or comparison governs it ("I'd like", "smells like", "feel like").
_LIKE = re.compile(r"(\b[\w']+)?,?\s*\blike\b,?", re.IGNORECASE)
_LIKE_KEPT = word_set(
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
#: Words after "I" that keep their form after "Caller": modals, common past forms, adverbs.
_SAME_VERB = word_set(
    "can can't could couldn't will won't would wouldn't should shouldn't might must may was wasn't did didn't "
    "got had made paid said told took lost bought sent gave went came saw found left kept put set thought heard "
    "felt brought spent ran woke fell broke drove flew wrote forgot "
    "am"
)
_ADVERBS = word_set(
    "just also still never already only even always usually really actually now then too definitely probably "
    "recently finally originally literally honestly basically seriously"
)
#: Where a spoken sentence starts a new clause; unpunctuated speech runs on into questions ("... can you ...").
CLAUSE_BREAK = re.compile(
    r",|;| but | because | so | and then | which | (?=(?:can|could|would) you )", re.IGNORECASE
)
#: Where an unpunctuated (ASR) agent turn starts a new clause: "i understand how stressful that is
#: | i can upgrade the shipping | and i guarantee the card will be there".
_ASR_CLAUSE = re.compile(
    r" (?=(?:and )?(?:i|we) (?:can|cannot|can't|cant|will|'ll|ll|guarantee|promise|understand|see|have|'ve|ve|"
    r"just|need|want|would|'d|am|'m|m)\b)"
)
#: Words a clipped clause must not end on.
DANGLING = word_set(
    "a an the to of for in on at with and or but that which who saying says said they he she it is are was were "
    "their my your our some any this these those from by as if i we you me them us there"
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
LETTERS = re.compile(r"[a-z]+")
#: The pronoun "i" of lowercase speech-to-text ("i've", "i took"): a quote writes it as the caller meant it.
_LOWER_I = re.compile(r"(?<![\w'-])i(?=['\s,.!?]|$)")
_SENTENCE_START = re.compile(r"(?<=[.!?] )([a-z])")


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


def agent_voice(text: str) -> str:
    text = re.sub(r"^(?:(?:thank you|thanks|i understand|i'm sorry|i apologi[sz]e|okay|sure|yes|of course|"
                  r"got it|understood)[^,.!?]*[,.!](?:\s+|$))+", "", text, flags=re.IGNORECASE)  # fmt: skip
    text = _AGENT_OPENING.sub("", text)
    # "that you get a month free" -> "that the caller gets ...": "you" as a subject takes a verb.
    text = _YOU_SUBJECT.sub(lambda m: f"{m.group(1)}the caller {_third_singular(m.group(2).lower())}", text)
    return _rewrite(text, _AGENT_VOICE)


def shorten(text: str, limit: int) -> str:
    """At most ``limit`` words, cut at the last clause boundary when there is one past a third of the limit."""
    parts = text.split()
    if len(parts) <= limit:
        return text
    head = " ".join(parts[:limit])
    # A comma inside a number ("the 60,000-mile service") is no clause boundary.
    comma = max(f"{head} ".rfind(", "), head.rfind(". "))
    if comma >= 0 and len(head[:comma].split()) >= limit // 3:
        return head[:comma]
    kept = head.rstrip(",;:").split()
    while len(kept) > 2 and kept[-1].lower().strip(",.") in DANGLING:
        kept.pop()
    return " ".join(kept).rstrip(",;:")


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def as_sentence(text: str) -> str:
    text = text.strip(" ,;:")
    return capital(text) + ("" if text.endswith((".", "!", "?", '."', '?"', '!"', '..."')) else ".")


def caller_clause(text: str, *, cut: bool = False) -> str:
    """A caller sentence as a clause about "Caller": "I need to cancel" -> "Caller needs to cancel"; one no
    template fits is quoted. ``cut``: ``text`` is the start of what the caller said."""
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
        # No template fits the sentence: its pronouns swapped, it would read as nonsense ("Caller says are
        # you kidding them ..."), so it is quoted in the caller's own words, marked as cut where it was.
        return f'Caller said: "{capital(_LOWER_I.sub("I", text))}{"..." if cut else "."}"'
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


def asr_clauses(text: str) -> list[str]:
    """An unpunctuated utterance cut where a new "i ..."/"we ..." clause starts; punctuated text stays whole."""
    if any(mark in text for mark in ".,;!?"):
        return [text]
    return [c.strip() for c in _ASR_CLAUSE.split(text) if c.strip()]


def tidy_action(text: str) -> str | None:
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
    while len(words) > 2 and words[-1].lower() in DANGLING:
        words.pop()  # "see an authorization for" -> "see an authorization"
    if len(words) < 2:
        return None
    return capital(" ".join(words))


def sentence_case(text: str) -> str:
    """Each sentence of a brief's line starts with a capital (quoted caller sentences are rewritten lowercase)."""
    return _SENTENCE_START.sub(lambda match: match.group(1).upper(), text)


def overlap(a: str, b: str) -> bool:
    left, right = set(a.lower().split()), set(b.lower().split())
    return len(left & right) >= 0.6 * min(len(left), len(right))


def caller_sentences(content: str) -> list[str]:
    """The sentences of a caller turn without fillers or an opening "yeah so", each."""
    return [kept for s in sentences(plain(content)) if (kept := _LEAD.sub("", s).strip(" ,"))]
