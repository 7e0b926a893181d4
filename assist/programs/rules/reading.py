"""How much of a call the rules read: all of it, up to a budget that keeps a brief to a fraction of a second.

A call may hold 500,000 characters in 5,000 turns (``assist.schema``), far more than the handoff needs and than
the rules can read in that time. A longer call is read as its opening (a third of :data:`READ_CHARS`) and its
most recent turns (the rest), as a model is shown a long call (``assist.programs.budget``): who is calling and
why comes first, and where the call stands comes last. A turn that does not fit is read up to where the budget
ends, and one silent agent turn stands for everything between, so nothing is taken across the gap (no answer to
a question asked before it, no phrase running through it). The brief's transcript is always the whole call;
markers and flags name the call's own turn numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from assist.schema import Conversation, Turn

__all__ = ["READ_CHARS", "Read", "within_budget"]

#: Characters of a call the rules read: about half an hour of speech.
READ_CHARS = 30_000


@dataclass(frozen=True, slots=True)
class Read:
    """The call as the rules read it, and the number each of its turns has in the whole call."""

    call: Conversation
    numbers: list[int]


def within_budget(conversation: Conversation) -> Read:
    """The call itself when it fits :data:`READ_CHARS`, else its opening and its end."""
    turns = conversation.turns
    if sum(len(turn.content) for turn in turns) <= READ_CHARS:
        return Read(conversation, list(range(len(turns))))
    read: dict[int, str] = {}
    used = opening = 0
    # The opening, then the end backwards, each until its share of the budget ends inside a turn.
    while opening < len(turns) and used < READ_CHARS // 3:
        read[opening] = _start(turns[opening].content, READ_CHARS // 3 - used)
        used += len(read[opening])
        opening += 1
        if len(read[opening - 1]) < len(turns[opening - 1].content):
            break
    ending = len(turns)
    while ending > opening and used < READ_CHARS:
        ending -= 1
        read[ending] = _start(turns[ending].content, READ_CHARS - used)
        used += len(read[ending])
        if len(read[ending]) < len(turns[ending].content):
            break
    numbers = [*range(opening), *([opening] if opening < ending else []), *range(ending, len(turns))]
    kept: list[Turn] = []
    for number in numbers:
        turn = turns[number]
        if number not in read:
            kept.append(Turn(role="assistant", content=""))  # the unread stretch
        elif read[number] == turn.content:
            kept.append(turn)
        else:
            kept.append(turn.model_copy(update={"content": read[number]}))
    return Read(conversation.model_copy(update={"turns": kept}), numbers)


def _start(text: str, room: int) -> str:
    """``text`` up to ``room`` characters, ending with a whole word."""
    if len(text) <= room:
        return text
    cut = text[:room]
    return cut if text[room].isspace() else cut.rpartition(" ")[0]
