"""Sentences of a brief left unfinished: a small heuristic linter that needs no gold, no model and no download.

The brief's free-text sentences are its transfer reason, summary bullets, next-step actions and compliance-flag
descriptions, each split at ``.``, ``!`` or ``?`` followed by a space (not after "Dr.", "Mr.", "No.", a single
letter, …, nor inside double quotes). Words in double quotes are someone's, as said: they stand for one word of
the sentence and are not read for grammar. A sentence is **incomplete** (:func:`incomplete_reason`) when

* it is cut off: it ends in "...", "…", a dash, a comma, a colon or a semicolon;
* it ends in a word that cannot end an English sentence: an article or possessive ("the", "a", "their"), a
  conjunction ("and", "because", "unless"), a preposition that is never left stranded ("of", "than",
  "between"), a modal that is not after a pronoun ("coverage would", but not "someone who can"), or any
  preposition when the sentence is two words ("Look at");
* it ends in a number right after an article or possessive: a number cut from its noun ("for the 60.");
* inside it, such a word is followed by a comma, semicolon, colon or closing bracket ("reports a, there's";
  "scheduled yesterday between;"), or a modal by "and"/"or"/"but" ("would and");
* its brackets or double quotes are unbalanced;
* it has no letter.

Tuned for precision: prepositions that English leaves stranded ("a person to talk to", "the number they called
from") end a sentence unremarked, and so do "this", "each" and "since". Not seen: a sentence without a verb
("The seal thing.") and disfluencies ("it's, it's Tuesday") — telling those apart needs a part-of-speech tagger,
and none ships with the kit (NLTK's tagger is a separate download). Measured on the four development sets'
gold briefs: every one of their 1,016 sentences is complete (``tests/eval/test_sentences.py``).
"""

from __future__ import annotations

import itertools
import re

from assist.schema import AgentAssistPortal

__all__ = ["complete_share", "incomplete_reason", "sentences_of", "split_sentences"]

_DETERMINERS = frozenset({"a", "an", "the", "my", "your", "their", "our", "its", "every"})
_CONJUNCTIONS = frozenset(
    {"and", "or", "but", "nor", "because", "whether", "if", "unless", "although", "though", "while", "whose"}
)
#: Prepositions English does not leave at the end of a sentence ("made of" aside).
_UNSTRANDED = frozenset(
    {
        "of",
        "than",
        "via",
        "per",
        "into",
        "onto",
        "including",
        "regarding",
        "between",
        "among",
        "toward",
        "towards",
    }
)
_PREPOSITIONS = _UNSTRANDED | {
    "for",
    "to",
    "with",
    "from",
    "at",
    "by",
    "about",
    "in",
    "on",
    "through",
    "after",
    "before",
    "over",
    "under",
    "like",
}
_MODALS = frozenset(
    {
        "would",
        "could",
        "should",
        "will",
        "can",
        "must",
        "might",
        "shall",
        "cannot",
        "can't",
        "couldn't",
        "wouldn't",
        "shouldn't",
        "won't",
        "cant",
        "couldnt",
        "wouldnt",
        "shouldnt",
    }
)
#: Words after which a modal ends an elliptical sentence ("someone who can.", "they said they would.").
_ELLIPSIS_SUBJECTS = frozenset(
    {"i", "you", "he", "she", "it", "we", "they", "who", "that", "which", "one", "someone", "anyone", "not"}
)
_NO_END = _DETERMINERS | _CONJUNCTIONS | _UNSTRANDED
_ABBREVIATIONS = frozenset(
    {"dr", "mr", "mrs", "ms", "st", "jr", "sr", "vs", "no", "e.g", "i.e", "a.m", "p.m"}
)
_SENTENCE_END = re.compile(r"[.!?]+[\"”')\]]*\s+")
_TOKEN = re.compile(r"[^\W\d_][\w'’]*|\d(?:[\d,.:]*\d)?|[,;:)\]]")
_QUOTED = re.compile(r'"[^"]*"|“[^”]*”')
_CUT_OFF = ("...", "…", "-", "–", "—", ",", ":", ";")


def _open_quote(text: str) -> bool:
    """Whether ``text`` ends inside a double-quoted passage."""
    return text.count('"') % 2 == 1 or text.count("“") > text.count("”")


def split_sentences(text: str) -> list[str]:
    """``text`` split after ``.``, ``!`` or ``?`` (and closing quotes or brackets) followed by whitespace,
    except after an abbreviation ("Dr.") or a single letter ("J.") and inside double quotes; empty parts
    dropped."""
    parts: list[str] = []
    start = 0
    for end in _SENTENCE_END.finditer(text):
        before = text[start : end.start()].split()
        last = before[-1].lower().rstrip(".") if before else ""
        if (
            last in _ABBREVIATIONS
            or (len(last) == 1 and last.isalpha())
            or _open_quote(text[start : end.end()])
        ):
            continue
        parts.append(text[start : end.end()].strip())
        start = end.end()
    parts.append(text[start:].strip())
    return [part for part in parts if part]


def incomplete_reason(sentence: str) -> str | None:
    """Why ``sentence`` is unfinished (see the module docstring), or ``None`` when nothing is found."""
    stripped = sentence.strip()
    if stripped.endswith(_CUT_OFF):
        return f"cut off: ends in {stripped[-1]!r}"
    if stripped.count("(") != stripped.count(")") or stripped.count("[") != stripped.count("]"):
        return "unbalanced brackets"
    if stripped.count('"') % 2 or stripped.count("“") != stripped.count("”"):
        return "unbalanced quotes"
    # Someone's words in double quotes are theirs, as said: one word of the sentence, not read for grammar.
    tokens = _TOKEN.findall(_QUOTED.sub(" quoted ", stripped).rstrip(".!?\"”')] "))
    words = [token.lower().replace("’", "'") for token in tokens]
    if not any(word[0].isalpha() for word in words):
        return "no words"
    last, before = words[-1], (words[-2] if len(words) > 1 else "")
    if (
        last in _NO_END
        or (last in _MODALS and before not in _ELLIPSIS_SUBJECTS)
        or (last in _PREPOSITIONS and len(words) <= 2)
    ):
        return f"ends in {tokens[-1]!r}"
    if last[0].isdigit() and before in _DETERMINERS:
        return f"ends in a number without its noun: {tokens[-2] + ' ' + tokens[-1]!r}"
    for word, following in itertools.pairwise(words):
        if (word in _DETERMINERS or word in _UNSTRANDED) and following in {",", ";", ":", ")", "]"}:
            return f"{word!r} before {following!r}"
        if word in _MODALS and following in {"and", "or", "but"}:
            return f"{word!r} before {following!r}"
    return None


def sentences_of(portal: AgentAssistPortal) -> list[str]:
    """The brief's free-text sentences: transfer reason, summary bullets, next-step actions, flag descriptions."""
    texts = [
        portal.transfer_reason,
        *portal.call_summary,
        *(step.action for step in portal.suggested_next_steps),
        *(flag.description for flag in portal.compliance_flags),
    ]
    return [sentence for text in texts for sentence in split_sentences(text)]


def complete_share(portal: AgentAssistPortal) -> float | None:
    """``complete / sentences`` over :func:`sentences_of`; ``None`` when the brief has no sentence."""
    found = sentences_of(portal)
    if not found:
        return None
    return sum(incomplete_reason(sentence) is None for sentence in found) / len(found)
