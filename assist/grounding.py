"""The grounding check every brief program runs before it returns.

A brief may only state what the call shows: each ``information_collected`` value must occur in
the transcript, and each marker must sit on a real turn of the conversation and, when its
description quotes words in double quotes, those words must occur in that turn. Whatever fails
is dropped and counted, so a program (or a model behind it) cannot invent details.
"""

from __future__ import annotations

import re
import unicodedata

from assist._memo import text_cache
from assist.schema import AgentAssistPortal, Conversation, Marker, TranscriptTurn

__all__ = ["appears_in", "ground", "normalize_text"]

_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`]")
_NON_WORD = re.compile(r"[\W_]+")
#: Straight or curly double quotes around at least one character.
_QUOTED = re.compile(r"[\"\u201c\u201d]([^\"\u201c\u201d]+)[\"\u201c\u201d]")


@text_cache(maxsize=4096)
def normalize_text(s: str) -> str:
    """Lowercase, punctuation removed, whitespace collapsed.

    Apostrophes vanish (``don't`` -> ``dont``); every other run of punctuation becomes one space,
    so ``4111-1111`` and ``4111 1111`` compare equal. Cached: the rules program normalizes each
    turn in several of its passes.
    """
    s = unicodedata.normalize("NFKC", s).casefold()
    s = _APOSTROPHES.sub("", s)
    return _NON_WORD.sub(" ", s).strip()


def appears_in(value: str, text: str) -> bool:
    """True when ``value`` occurs in ``text`` as whole words, ignoring case and punctuation.

    An empty value (nothing left after normalizing) never appears: it states nothing checkable.
    """
    return _in_padded(value, f" {normalize_text(text)} ")


def _in_padded(value: str, padded_text: str) -> bool:
    """``appears_in`` against text already normalized and padded with a space on each side."""
    needle = normalize_text(value)
    return bool(needle) and f" {needle} " in padded_text


def _marker_is_grounded(marker: Marker, turn_text: str) -> bool:
    return all(appears_in(quote, turn_text) for quote in _QUOTED.findall(marker.description) if quote.strip())


def ground(portal: AgentAssistPortal, conversation: Conversation) -> tuple[AgentAssistPortal, int]:
    """The portal with ungrounded information values and markers removed, and how many were removed.

    The returned transcript is the conversation's own turns, in order; a marker survives only on a
    portal turn whose role and text match the conversation's turn at the same index.
    """
    dropped = 0
    haystack = f" {normalize_text(' '.join(turn.content for turn in conversation.turns))} "
    information = [item for item in portal.information_collected if _in_padded(item.value, haystack)]
    dropped += len(portal.information_collected) - len(information)

    transcript: list[TranscriptTurn] = []
    for index, turn in enumerate(conversation.turns):
        markers: list[Marker] = []
        if index < len(portal.transcript):
            claimed = portal.transcript[index]
            if claimed.role == turn.role and claimed.content == turn.content:
                markers = [m for m in claimed.markers if _marker_is_grounded(m, turn.content)]
            dropped += len(claimed.markers) - len(markers)
        transcript.append(TranscriptTurn(role=turn.role, content=turn.content, markers=markers))
    dropped += sum(len(extra.markers) for extra in portal.transcript[len(conversation.turns) :])

    grounded = portal.model_copy(update={"information_collected": information, "transcript": transcript})
    return grounded, dropped
