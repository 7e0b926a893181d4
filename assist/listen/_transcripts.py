"""Transcript events from a LiveKit room, decoded from the two ways an agent publishes them.

LiveKit Agents publishes every transcript twice: as text streams on topic ``lk.transcription`` (current)
and as legacy ``transcription_received`` room events. A text stream carries one segment: its chunks are
appended to form the segment's text (agent speech arrives as deltas; a user's interim arrives as one
stream holding the whole text), and the closing ``lk.transcription_final`` attribute says whether the
segment is settled. A legacy segment already carries its whole text so far.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Literal

from livekit import rtc

__all__ = [
    "FINAL_ATTRIBUTE",
    "SEGMENT_ATTRIBUTE",
    "TRANSCRIPTION_TOPIC",
    "Speaker",
    "TranscriptEvent",
    "TranscriptSource",
    "segment_transcript_events",
    "stream_transcript_events",
]

TRANSCRIPTION_TOPIC = "lk.transcription"
FINAL_ATTRIBUTE = "lk.transcription_final"
SEGMENT_ATTRIBUTE = "lk.segment_id"

Speaker = Literal["agent", "caller", "other"]
TranscriptSource = Literal["text_stream", "transcription"]


@dataclass(frozen=True, slots=True)
class TranscriptEvent:
    """One update of one transcript segment; ``text`` is the segment's whole text so far, not a delta."""

    participant_identity: str
    speaker: Speaker
    segment_id: str
    text: str
    final: bool
    source: TranscriptSource


async def stream_transcript_events(
    info: rtc.TextStreamInfo,
    chunks: AsyncIterable[str],
    *,
    participant_identity: str,
    speaker: Speaker,
) -> AsyncIterator[TranscriptEvent]:
    """Decode one ``lk.transcription`` text stream: an interim event per chunk, then a final one if the
    stream closes with ``lk.transcription_final: true``.

    ``info`` must be the reader's own info object: the closing attributes are merged into it when the
    stream ends, so it is read again after the last chunk.
    """
    segment_id = (info.attributes or {}).get(SEGMENT_ATTRIBUTE) or info.stream_id
    text = ""
    async for chunk in chunks:
        text += chunk
        yield TranscriptEvent(participant_identity, speaker, segment_id, text, False, "text_stream")
    if (info.attributes or {}).get(FINAL_ATTRIBUTE) == "true" and text:
        yield TranscriptEvent(participant_identity, speaker, segment_id, text, True, "text_stream")


def segment_transcript_events(
    segments: Iterable[rtc.TranscriptionSegment],
    *,
    participant_identity: str,
    speaker: Speaker,
) -> list[TranscriptEvent]:
    """Decode the segments of one legacy ``transcription_received`` event."""
    return [
        TranscriptEvent(
            participant_identity, speaker, segment.id, segment.text, segment.final, "transcription"
        )
        for segment in segments
        if segment.text
    ]
