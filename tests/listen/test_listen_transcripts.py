"""Decoding of ``lk.transcription`` text streams and legacy segments, on real rtc types and real call text.

A ``TextStreamReader`` needs a native stream handle from a connected room, so the chunks come from an
async iterator that behaves as the reader does: yields the chunks, then merges the closing (trailer)
attributes into the same ``TextStreamInfo`` before it stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from livekit import rtc

from assist.listen import (
    TRANSCRIPTION_TOPIC,
    TranscriptEvent,
    segment_transcript_events,
    stream_transcript_events,
)
from assist.schema import LabelledExample

pytestmark = pytest.mark.anyio


def stream_info(**attributes: str) -> rtc.TextStreamInfo:
    return rtc.TextStreamInfo(
        stream_id="ST_42",
        mime_type="text/plain",
        topic=TRANSCRIPTION_TOPIC,
        timestamp=0,
        size=None,
        attributes=dict(attributes),
        attachments=[],
    )


async def reader(info: rtc.TextStreamInfo, chunks: list[str], trailer: dict[str, str]) -> AsyncIterator[str]:
    for chunk in chunks:
        yield chunk
    info.attributes = info.attributes or {}
    info.attributes.update(trailer)


async def decode(
    info: rtc.TextStreamInfo, chunks: list[str], trailer: dict[str, str]
) -> list[TranscriptEvent]:
    return [
        event
        async for event in stream_transcript_events(
            info, reader(info, chunks, trailer), participant_identity="agent-7", speaker="agent"
        )
    ]


@pytest.fixture(scope="module")
def agent_line(harper_valley: list[LabelledExample]) -> str:
    return next(
        t.content for t in harper_valley[0].conversation.turns if t.role == "assistant" and " " in t.content
    )


async def test_agent_speech_deltas_accumulate_then_settle(agent_line: str) -> None:
    words = agent_line.split(" ")
    deltas = [words[0]] + [" " + word for word in words[1:]]
    info = stream_info(**{"lk.segment_id": "SG_1", "lk.transcription_final": "false"})

    events = await decode(info, deltas, {"lk.transcription_final": "true"})

    assert [e.text for e in events[:-1]] == ["".join(deltas[: i + 1]) for i in range(len(deltas))]
    assert not any(e.final for e in events[:-1])
    assert events[-1] == TranscriptEvent("agent-7", "agent", "SG_1", agent_line, True, "text_stream")


async def test_an_interim_stream_never_claims_to_be_final(agent_line: str) -> None:
    info = stream_info(**{"lk.segment_id": "SG_2", "lk.transcription_final": "false"})
    events = await decode(info, [agent_line], {})
    assert events == [TranscriptEvent("agent-7", "agent", "SG_2", agent_line, False, "text_stream")]


async def test_segment_id_falls_back_to_the_stream_id_and_empty_streams_say_nothing() -> None:
    assert await decode(stream_info(), [], {"lk.transcription_final": "true"}) == []
    events = await decode(stream_info(), ["thanks"], {"lk.transcription_final": "true"})
    assert {e.segment_id for e in events} == {"ST_42"}


def test_legacy_segments_keep_their_text_and_finality(harper_valley: list[LabelledExample]) -> None:
    caller = [t.content for t in harper_valley[1].conversation.turns if t.role == "user"][:2]
    segments = [
        rtc.TranscriptionSegment(
            id="SG_a", text=caller[0], start_time=0, end_time=0, language="en", final=True
        ),
        rtc.TranscriptionSegment(id="SG_b", text="", start_time=0, end_time=0, language="en", final=False),
        rtc.TranscriptionSegment(
            id="SG_c", text=caller[1], start_time=0, end_time=0, language="en", final=False
        ),
    ]
    events = segment_transcript_events(segments, participant_identity="sip-caller", speaker="caller")
    assert events == [
        TranscriptEvent("sip-caller", "caller", "SG_a", caller[0], True, "transcription"),
        TranscriptEvent("sip-caller", "caller", "SG_c", caller[1], False, "transcription"),
    ]
