"""The caller's name, from what the caller says about themself.

Transcripts are often lowercase ASR without punctuation, so a name is the run of name-like words
after a cue ("my name is", "this is", an answer to "can I have your name"). A word is name-like
when it is not a common English word; in cased transcripts it must also be capitalized. Only the
caller's own turns are read, so the agent's self-introduction never becomes the caller's name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from assist.programs.rules.text import DIGIT_WORDS, ENGLISH_WORDS, FAMILY, Cue, clean, words
from assist.schema import Conversation, Turn

__all__ = ["UNKNOWN_CALLER", "caller_name", "is_name_word"]

UNKNOWN_CALLER = "Unknown Caller"

#: Words (any script's letters, inner apostrophes and hyphens), numbers, and clause breaks.
_TOKEN = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?(?:-[^\W\d_]{2,})*|\d+|[.,;!?]")

#: Words that follow a name cue but are not names ("this is about my card", "i'm calling").
_NOT_NAMES = frozenset(
    words(
        "a about above account actually after again against ago all almost also am an and any anyone "
        "anything are around as at away back bad be because been before being best better between bit "
        "both busy but by call called caller calling can cannot card checking could currently customer "
        "dear did do does doing done down during each either else even ever every everything fine first "
        "for from full get getting go going gonna good got great had has have having he her here hers "
        "herself him himself his hold home how i if im in into is isnt it its itself just kind last let "
        "like little looking lost made make many may maybe me mine more most mr mrs ms miss dr much must "
        "my myself name named names need new next no none nope nor not nothing now of off oh ok okay on "
        "once one only or other our out over own phone please pretty quite rather really regarding right "
        "same savings see she should since so some someone something sorry speaking still such sure than "
        "thank thanks that the their them then there these they this those through to today too trying um "
        "uh uhm umm under unfortunately until up upset us very wait want wanted wanting was we well were "
        "what when where which while who whom why will with would yeah yes yet you your yours yourself hi "
        "hello hey good morning afternoon evening mhm hmm mm er ah yep yup alright huh gon wanna gotta "
        "ive id ill youre theyre thats whats theres dont cant wont didnt doesnt wasnt calling trying "
        "having talking asking wondering hoping looking writing reaching following also just still "
        "actually again already really definitely probably account card bank money bill payment order "
        "number address email help issue problem question mister madam sir maam kinda sorta totally "
        "basically literally spelled spelt spell"
    )
) | frozenset(DIGIT_WORDS)
#: Words that open the next detail after a name in an unpunctuated reply ("dwayne petrakis policy is ...",
#: "gus amundsen birthday june twelfth"), interjections, and dates: never part of a name.
_DETAIL_WORDS = frozenset(
    words(
        "policy claim member birthday birth date dob zip postal code pin ssn social security id reference "
        "confirmation ticket case booking reservation license plate vin routing invoice statement receipt "
        "tracking serial model prescription rx group plan ugh argh wow whoa oops geez jeez gosh ahh monday "
        "tuesday wednesday thursday friday saturday sunday tomorrow yesterday tonight"
    )
)
#: Months are names too (April, June), but not when a day follows ("February 3rd", "june twelfth").
_MONTHS = frozenset(
    words("january february march april may june july august september october november december")
)
_DAY = re.compile(
    r"\d|(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|"
    r"\w+teenth|twentieth|thirtieth|twenty|thirty)$"
)
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "mister", "doctor"})
#: How many tokens after its cue a name is looked for, fillers, titles and a repeat included ("my name is, um,
#: Dr. Dana Whitfield"): a name comes right after its cue, and reading on would read a long turn once per cue.
_REACH = 12
#: Fillers a caller puts before or around a name ("um", "also", "it's").
_LEAD_FILLERS = frozenset(
    words(
        "um uh uhm umm er ah oh so well yes yeah yep sure okay ok also its it's it is this my name names "
        "name's i'm im i am hi hello hey the first last full of course absolutely certainly no under spelled "
        "spelt that's"
    )
)
_NAME_QUESTION = Cue(
    r"\b(?:your|the|and|a|with|\w+'s)\s+(?:full\s+|first\s+|last\s+|family\s+|given\s+)?(?:sur)?name\b|"
    r"\bname (?:on|for) the\b|\bname,? please\b|\bwho (?:am i|i'm) (?:speaking|talking)|\bwho do i have\b|"
    r"\bwho(?:'s| is) (?:calling|speaking)\b|\bwhat name\b"
)
_PART_QUESTION = re.compile(r"\b(first|last|sur|family|given)\s*name\b", re.IGNORECASE)
#: Names that belong to someone or something other than the caller.
_OTHER_NAME = re.compile(
    rf"\b(?:company|business|bank|street|pet|maiden|user|{FAMILY}'?s|his|her|their|beneficiary'?s?|recipient'?s?|"
    r"doctor'?s?|provider'?s?|merchant'?s?|store|product|file|restaurant'?s?|employer'?s?|(?:the )?deceased'?s?|"
    r"tenant'?s|resident'?s|owner'?s)\s+(?:full\s+|first\s+|last\s+)?name\b",
    re.IGNORECASE,
)
#: Asking for whoever the record is about (the patient, member, student, policy holder): the caller,
#: unless the caller has said they call for someone else.
_RECORD_NAME = re.compile(
    r"\b(?:patient|member|student|policy ?holder|account ?holder|insured|subscriber|guest|passenger|"
    r"borrower|customer|cardholder|employee)'?s?\s+(?:full\s+|first\s+|last\s+)?name\b",
    re.IGNORECASE,
)
#: The caller saying the call is about someone else ("my dad's medication", "calling for my son").
_FOR_SOMEONE = re.compile(
    rf"\bmy (?:{FAMILY}|client|patient|tenant|roommate)(?:'s|s')?\b|"
    r"\bon (?:his|her|their) behalf\b|\bcalling (?:for|on behalf of)\b",
    re.IGNORECASE,
)
#: People a caller calls for or about: a name right after them ("my mom, Ruth Pruitt") is theirs.
_RELATIONS = frozenset(
    words(
        "mom mum mother dad father husband wife son daughter kid child brother sister grandmother grandma "
        "grandfather grandpa grandson granddaughter aunt uncle niece nephew cousin spouse partner boyfriend "
        "girlfriend fiance fiancee friend neighbor neighbour boss employer client patient roommate tenant "
        "landlord parent parents behalf account"
    )
)
#: Words that open a correction of the name just given ("Mike, uh, sorry, Michael Turner").
_CORRECTIONS = frozenset({"sorry", "actually", "rather", "mean"})
#: Words before "name is" that make it someone or something else's name.
_OWNERS = frozenset(
    {"company", "business", "account", "street", "maiden", "pet", "user", "his", "her", "their"}
)
#: Weak cues ("it's X", "i'm X") are trusted only at the start of a sentence, after a greeting.
_GREETINGS = frozenset(
    ["hi", "hello", "hey", "yes", "yeah", "um", "uh", "oh", "well", "good", "morning", "afternoon", "evening"]
)

Part = Literal["full", "first", "last"]


@dataclass(frozen=True, slots=True)
class _Candidate:
    words: tuple[str, ...]
    score: int
    part: Part
    turn: int
    #: Given as a correction of an earlier name ("sorry, it's ..."): it replaces that name.
    correction: bool = False


def _ordinary(token: str) -> bool:
    """An everyday English word (in VADER's lexicon, or an -ing/-ed/-ly form), so unlikely a name."""
    lower = token.lower()
    return lower in ENGLISH_WORDS or (len(lower) > 4 and lower.endswith(("ing", "ed", "ly")))


def is_name_word(token: str, *, cased: bool, weak: bool) -> bool:
    """Whether ``token`` can be part of a name: no everyday word, capitalized where the transcript has capitals."""
    lower = token.lower().replace("\u2019", "'")
    if (
        len(token) < 2
        or not token[0].isalpha()
        or lower in _NOT_NAMES
        or lower in _DETAIL_WORDS
        or lower.replace("'", "") in _NOT_NAMES
    ):
        return False
    if cased and not token[0].isupper():
        return False
    # "LR 5520-9931", "MHP": in a cased transcript, short capitals are an acronym or a code's prefix.
    if cased and len(token) <= 3 and token.isupper():
        return False
    # Without capitals, weak cues need stronger evidence the word is not ordinary English.
    return not (weak and not cased and _ordinary(lower))


def _spelled_runs(tokens: list[str]) -> list[str]:
    """Join runs of three or more single letters ("d a n a") into one word, and drop a spelling that
    repeats the word just said, with its commas ("Halina, H-A-L-I-N-A, Wojcik" -> "Halina Wojcik")."""
    out: list[str] = []
    run: list[str] = []
    for token in [*tokens, ""]:
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        if len(run) >= 3:
            spelled = "".join(run)
            said = next((t for t in reversed(out) if t != ","), None)
            if said is not None and said.lower() == spelled.lower():
                while out and out[-1] == ",":
                    out.pop()
                if token == ",":
                    token = ""
            else:
                out.append(spelled)
        else:
            out.extend(run)
        run = []
        if token:
            out.append(token)
    return out


def _take_name(tokens: list[str], *, cased: bool, weak: bool, limit: int = 3) -> tuple[str, ...]:
    """The name-like words at the start of ``tokens`` (titles and repeats dropped)."""
    taken: list[str] = []
    titled = repeated = False
    for index, token in enumerate(tokens):
        lower = token.lower()
        if lower in _TITLES and not taken:
            titled = True
            continue
        after_title = titled and not taken  # "Dr. Emily Chen"
        before_repeat = (
            bool(taken) and index + 1 < len(tokens) and tokens[index + 1].lower() == taken[-1].lower()
        )
        # "Halina, H-A-L-I-N-A, Wojcik": the comma after a spelled repeat.
        if lower in {".", ","} and (after_title or before_repeat) or lower == "," and repeated:
            continue
        if not is_name_word(token, cased=cased, weak=weak):
            break
        if lower in _MONTHS and index + 1 < len(tokens) and _DAY.match(tokens[index + 1].lower()):
            break
        repeated = bool(taken) and taken[-1].lower() == lower
        if repeated:
            continue
        if any(word.lower() == lower for word in taken):
            break  # "marcus lindqvist marcus dot l at ...": the name again, as an email begins
        taken.append(token)
        if len(taken) == limit or lower.endswith("'s"):
            break
    # "I'm Dr. Sandra Okafor's assistant": the name of whoever the caller works for or calls about.
    if taken and taken[-1].lower().endswith("'s"):
        return ()
    return tuple(taken)


def _skip_fillers(tokens: list[str]) -> list[str]:
    start = 0
    while start < len(tokens) and (tokens[start].lower() in _LEAD_FILLERS or not tokens[start].isalnum()):
        start += 1
    return tokens[start:]


def _tokens(text: str) -> list[str]:
    return _spelled_runs(_TOKEN.findall(clean(text)))


def _cue_candidates(tokens: list[str], follow: list[str], *, turn: int, cased: bool) -> list[_Candidate]:
    """Names introduced by a cue inside one caller turn; ``follow`` continues a cue that ends the turn."""
    lowered = [t.lower().replace("\u2019", "'") for t in tokens]
    # The turn opens with greetings up to here ("hi, good morning, this is ...").
    greeted = next(
        (i for i, w in enumerate(lowered) if not (w in _GREETINGS or not w.isalnum())), len(lowered)
    )
    found: list[_Candidate] = []
    sentence = 0  # index of the first token of the current sentence
    for i, word in enumerate(lowered):
        if i and lowered[i - 1] in {".", "!", "?"}:
            sentence = i
        rest: list[str] | None = None
        part: Part = "full"
        score, weak = 0, False
        prev = lowered[i - 1] if i else ""
        if word == "name" and i + 1 < len(lowered) and lowered[i + 1] == "is" or word in {"name's", "names"}:
            # "the company name is", "his name is", "my wife's name is": someone else's name.
            if prev in _OWNERS or (prev.endswith("'s") and prev != "name's"):
                continue
            rest = _after(tokens, i + (2 if word == "name" else 1))
            score = 3
            part = "first" if prev == "first" else "last" if prev in {"last", "family"} else "full"
        elif word in {"last", "first", "family", "surname"} and (
            word == "surname" or i + 1 < len(lowered) and lowered[i + 1] == "name"
        ):
            nxt = i + (1 if word == "surname" else 2)
            if nxt < len(lowered) and lowered[nxt] in {"is", "name's"}:
                continue  # handled by the "name is" branch
            rest, score, part = _after(tokens, nxt), 2, "first" if word == "first" else "last"
        elif word == "this" and i + 1 < len(lowered) and lowered[i + 1] == "is" and i <= greeted:
            rest, score = _after(tokens, i + 2), 2
            weak = True
        elif _introduces_self(lowered, i, sentence, cased=cased):
            rest, score, weak = _after(tokens, i + 1), 1, True
            relation = _relation_prefix(lowered[i + 1 : i + 4])
            if relation:
                # "I'm his mom, Marisol Ortega", "I'm her daughter, Priya": who is speaking, said outright.
                rest, score, weak = _after(tokens, i + 1 + relation), 4, False
        elif word in _CORRECTIONS and (word != "mean" or prev == "i"):
            if i + 1 < len(lowered) and lowered[i + 1] in {"the", "a", "an", "that", "this", "my"}:
                continue  # "I mean the upstairs unit": correcting a detail, not the name
            rest = _skip_fillers(_after(tokens, i + 1))
            name = _take_name(rest, cased=cased, weak=True)
            said_it = word != "actually" or any(w in {"it's", "its"} for w in lowered[i + 1 : i + 3])
            # One word must end its clause ("sorry, it's Petersen, with an E", not "sorry, Dave told me").
            alone = len(name) >= 2 or len(rest) == 1 or len(rest) > 1 and not rest[1].isalnum()
            if name and said_it and alone:
                found.append(_Candidate(name, 3, "full", turn, correction=True))
            continue
        elif word in {"speaking", "here"} and 0 < i - sentence <= 4:
            before = [
                t
                for t, w in zip(tokens[sentence:i], lowered[sentence:i], strict=True)
                if w not in _GREETINGS and w.isalnum()
            ]
            if before and before[0].lower() not in {"this", "is"}:
                name = _take_name(before, cased=cased, weak=True)
                if name and len(name) == len(before):
                    found.append(_Candidate(name, 2, "full", turn))
            continue
        if rest is None:
            continue
        rest = _skip_fillers(rest) if score >= 2 else rest
        if not rest and score >= 3:
            rest = _skip_fillers(_after(follow, 0))
        name = _take_name(rest, cased=cased, weak=weak)
        if name:
            found.append(_Candidate(name, score, part, turn))
    return found


def _after(tokens: list[str], start: int) -> list[str]:
    """The tokens a name after a cue is looked for in: :data:`_REACH` of them from ``start``."""
    return tokens[start : start + _REACH]


def _introduces_self(lowered: list[str], i: int, sentence: int, *, cased: bool) -> bool:
    """``lowered[i]`` is a weak cue ("i'm", "i am", "it's") at the start of a sentence, after at most a
    greeting, or opening a new clause ("..., and I'm Lisa"; with capitals also "and it's Celeste Moreau",
    where the capitals tell a name from "and it's broken")."""
    word = lowered[i]
    start = i - 1 if word == "am" and i and lowered[i - 1] == "i" else i
    if start == i and word not in {"i'm", "im", "it's", "its"}:
        return False
    if i - sentence <= 4 and _only_greetings(lowered[sentence:start]):
        return True
    return (cased or word not in {"it's", "its"}) and start > 0 and lowered[start - 1] in {"and", "but"}


def _relation_prefix(lowered: list[str]) -> int:
    """How many tokens of "his mom ," / "her daughter" open ``lowered`` (0 when they don't)."""
    if len(lowered) < 2 or lowered[0] not in {"his", "her", "their", "the"} or lowered[1] not in _RELATIONS:
        return 0
    return 3 if len(lowered) > 2 and lowered[2] == "," else 2


def _only_greetings(lowered: list[str]) -> bool:
    return all(w in _GREETINGS or not w.isalnum() for w in lowered)


def _clauses(tokens: list[str]) -> list[list[str]]:
    clauses: list[list[str]] = [[]]
    for token in tokens:
        if token.isalnum() or "'" in token or "-" in token:
            clauses[-1].append(token)
        elif clauses[-1]:
            clauses.append([])
    return [c for c in clauses if c]


def _answer_candidates(tokens: list[str], *, turn: int, cased: bool, part: Part) -> list[_Candidate]:
    """Names in a reply to a name question: each clause that starts with a name."""
    found: list[_Candidate] = []
    theirs = False
    for clause in _clauses(tokens):
        rest = _skip_fillers(clause)
        name = _take_name(rest, cased=cased, weak=False)
        # "Arrested! Over a four hundred dollar loan.": a capital that only starts a sentence; a first
        # name asked for ("grace") is taken as said.
        everyday = cased and part != "first" and len(name) == 1 and _ordinary(name[0])
        if name and not theirs and not everyday:
            found.append(_Candidate(name, 3, "full" if len(name) >= 2 else part, turn))
        theirs = _introduces_someone(clause)
    return found


def _introduces_someone(clause: list[str]) -> bool:
    """The clause leads up to someone else's name: "It's under my wife's name, Lisa Grant", "I'm calling
    for my mom, Ruth Pruitt", "It's my father's account, Henry Ito"."""
    lowered = [t.lower() for t in clause]
    after = (
        lowered[2:3] if lowered[:2] == ["i", "am"] else lowered[1:2] if lowered[0] in {"i'm", "im"} else []
    )
    if after and (after[0] in {"his", "her", "their", "the", "a", "an"} or after[0].endswith("'s")):
        return False  # "I'm his mom, Karen Miller": the caller describing themself.
    tail = [t.removesuffix("'s") for t in lowered[-2:]]
    said = " ".join(clause)
    return bool(_OTHER_NAME.search(said) or _RECORD_NAME.search(said)) or any(t in _RELATIONS for t in tail)


def _echoed_name(turns: Sequence[Turn], tokens: list[list[str]]) -> _Candidate | None:
    """The first caller sentence that is only a capitalized name which the agent then uses ("Frank Delaney." /
    "Mr. Delaney"): a later one could only tie with it, and the earlier one wins a tie."""
    agent: _AgentWords | None = None  # indexed when the first such sentence comes
    for index, turn in enumerate(turns):
        if turn.role != "user":
            continue
        theirs = False
        for clause in _clauses(tokens[index]):
            name = _take_name(clause, cased=True, weak=True) if 2 <= len(clause) <= 3 else ()
            if 2 <= len(name) == len(clause) and not theirs:
                agent = agent or _AgentWords(turns)
                if any(agent.said_after(word, index) for word in name):
                    return _Candidate(name, 1, "full", index)
            theirs = _introduces_someone(clause)
    return None


class _AgentWords:
    """The turn in which the agent last said each word, as a whole word (as ``\\bword\\b`` finds it): a word
    runs from one word character to another, joined by single hyphens or apostrophes, and never continues
    into more word characters. Words of up to :data:`_PIECES` pieces are looked up; longer ones, which no
    name has, are searched for."""

    _CHAIN = re.compile(r"\w+(?:[-'\u2019]\w+)*")
    _PIECES = 6

    def __init__(self, turns: Sequence[Turn]) -> None:
        self._turns = turns
        self._last: dict[str, int] = {}
        for index, turn in enumerate(turns):
            if turn.role != "assistant":
                continue
            for chain in self._CHAIN.finditer(turn.content):
                said = chain.group()
                starts = [0, *(i + 1 for i, char in enumerate(said) if char in "-'\u2019")]
                ends = [*(start - 1 for start in starts[1:]), len(said)]
                for first, start in enumerate(starts):
                    for end in ends[first : first + self._PIECES]:
                        self._last[said[start:end]] = index

    def said_after(self, word: str, turn: int) -> bool:
        """Whether the agent says ``word`` after ``turn``."""
        if sum(word.count(mark) for mark in "-'\u2019") < self._PIECES:
            return self._last.get(word, -1) > turn
        later = " ".join(t.content for t in self._turns[turn + 1 :] if t.role == "assistant")
        return re.search(rf"\b{re.escape(word)}\b", later) is not None


def _completed_names(candidates: list[_Candidate], tokens: list[list[str]]) -> list[_Candidate]:
    """A sentence that is only a full name and repeats part of a name the caller just gave completes it
    ("It's Vance, actually. Teo Vance.", "Kowalski. Bernadette Kowalski.").

    The first such sentence of the turn for each name given: a later one could only tie with it, and the
    earlier one wins a tie.
    """
    found: list[_Candidate] = []
    completions: dict[int, dict[tuple[str, int], tuple[int, tuple[str, ...]]]] = {}
    for given in candidates:
        said = {w.lower() for w in given.words}
        if given.turn not in completions:
            completions[given.turn] = _full_names(tokens[given.turn])
        longer = [completions[given.turn].get((word, len(said))) for word in said]
        first = min((found_name for found_name in longer if found_name is not None), default=None)
        if first is not None:
            found.append(_Candidate(first[1], given.score, "full", given.turn))
    return found


def _full_names(tokens: list[str]) -> dict[tuple[str, int], tuple[int, tuple[str, ...]]]:
    """(word, length) -> the first sentence of ``tokens`` that is only a full name longer than ``length`` words
    and holds the (lowercased) word, with its place among the sentences."""
    first: dict[tuple[str, int], tuple[int, tuple[str, ...]]] = {}
    for place, clause in enumerate(_clauses(tokens)):
        name = _take_name(clause, cased=True, weak=True) if 2 <= len(clause) <= 3 else ()
        if 2 <= len(name) == len(clause):
            for word in {w.lower() for w in name}:
                for length in range(1, len(name)):
                    first.setdefault((word, length), (place, name))
    return first


def _best(candidates: list[_Candidate]) -> str | None:
    given = [c for c in candidates if not c.correction]
    full = [c for c in given if c.part == "full"]
    firsts = [c for c in given if c.part == "first"]
    lasts = [c for c in given if c.part == "last"]
    # A first and a last name given as answers outrank a full name that is only echoed or weakly cued.
    if firsts and lasts and min(firsts[0].score, lasts[0].score) > max((c.score for c in full), default=0):
        full = []
    if full:
        best = max(full, key=lambda c: (c.score + (len(c.words) >= 2), -c.turn))
        words = best.words
        if len(words) == 1 and lasts and lasts[0].words[0].lower() != words[0].lower():
            words = words + lasts[0].words[:1]
        elif len(words) == 1 and firsts and firsts[0].words[0].lower() != words[0].lower():
            words = firsts[0].words[:1] + words  # "Kowalski. First name Bernadette."
        first_turn = best.turn
    elif firsts:
        words = firsts[0].words[:1] + (lasts[0].words if lasts else ())
        first_turn = firsts[0].turn
    elif lasts:
        words = lasts[0].words
        first_turn = lasts[0].turn
    else:
        return None
    for fix in candidates:
        # A correction follows the name it fixes closely: the same turn, or the answer to the agent's read-back.
        if fix.correction and first_turn <= fix.turn <= first_turn + 2:
            words = _corrected(words, fix.words)
    return " ".join(words)


def _corrected(words: tuple[str, ...], fix: tuple[str, ...]) -> tuple[str, ...]:
    """The name after "sorry, it's ...": a full name replaces it, one word replaces the word it resembles."""
    if len(fix) >= 2:
        return fix
    initial = fix[0][0].lower()
    for position in range(len(words) - 1, -1, -1):
        if words[position][0].lower() == initial:
            return words[:position] + fix + words[position + 1 :]
    return words


def _title(name: str) -> str:
    return " ".join(
        "-".join(
            "'".join(p[:1].upper() + p[1:].lower() for p in piece.split("'")) for piece in word.split("-")
        )
        for word in name.replace("\u2019", "'").split()
    )


def caller_name(conversation: Conversation) -> str:
    """Title-cased caller name as spoken, else ``metadata.caller_name``-like fields, else ``Unknown Caller``."""
    turns = conversation.turns
    cased = any(any(c.isupper() for c in t.content) for t in turns if t.role == "user")
    candidates: list[_Candidate] = []
    asked: Part | None = None
    token_cache = [_tokens(t.content) if t.role == "user" else [] for t in turns]
    # The first caller turn saying the call is about someone else, looked for once.
    for_whom = next(
        (i for i, t in enumerate(turns) if t.role == "user" and _FOR_SOMEONE.search(t.content)), len(turns)
    )
    for index, turn in enumerate(turns):
        if turn.role == "assistant":
            text = clean(turn.content)
            # Asking for the patient's name after the caller (or in the answer right after) said it is for
            # someone else asks for that someone's name.
            for_someone = _RECORD_NAME.search(text) and for_whom <= index + 1
            if _NAME_QUESTION.found(text) and not _OTHER_NAME.search(text) and not for_someone:
                part_match = _PART_QUESTION.search(text)
                asked = (
                    "full"
                    if part_match is None
                    else "first"
                    if part_match.group(1).lower() in {"first", "given"}
                    else "last"
                )
            elif len(text.split()) > 3:
                asked = None
            continue
        tokens = token_cache[index]
        if not tokens:
            continue
        follow = token_cache[index + 1] if index + 1 < len(turns) and turns[index + 1].role == "user" else []
        cued = _cue_candidates(tokens, follow, turn=index, cased=cased)
        candidates.extend(cued)
        if asked is not None and not any(c.score >= 3 for c in cued):
            answers = _answer_candidates(tokens, turn=index, cased=cased, part=asked)
            candidates.extend(answers)
            if answers:
                asked = None
    if cased:
        echoed = _echoed_name(turns, token_cache)
        candidates.extend([echoed] if echoed is not None else [])
        candidates.extend(_completed_names(candidates, token_cache))
    name = _best(candidates)
    if name is None:
        for key in ("caller_name", "customer_name", "name"):
            value = conversation.metadata.get(key)
            if isinstance(value, str) and value.strip():
                name = value.strip()
                break
    return _title(name) if name else UNKNOWN_CALLER
