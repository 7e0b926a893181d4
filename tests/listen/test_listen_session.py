"""The session state machine, driven by LiveKit's real Room, event dispatch, audio stack and FFI.

What needs a LiveKit media server (a successful ``Room.connect``, remote tracks, text streams arriving
from the wire) cannot run here: connects go to loopback servers that refuse, hang or close, and everything
after the server is driven through the room's own event paths (see ``livekit_objects``).
"""

from __future__ import annotations

import asyncio
import inspect
import math
import time
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from livekit import rtc

from assist.errors import AssistError, StoreLocked
from assist.listen import (
    SAMPLE_RATE,
    ListenConnectError,
    ListenEnded,
    ListenSession,
    ListenTimeout,
    NoAudioSink,
    StateChange,
    TranscriptEvent,
    WavSink,
    store_status,
)
from assist.schema import LabelledExample
from assist.store import ConversationStore
from tests.conftest import HARPER_VALLEY
from tests.listen.livekit_objects import (
    AGENT,
    SIP,
    STANDARD,
    audio_publication,
    closed_port_url,
    join,
    leave,
    tcp_server,
    transcribe,
)

pytestmark = pytest.mark.anyio
TOKEN = "listener.jwt.token"


def recorded(session: ListenSession) -> tuple[list[StateChange], list[TranscriptEvent]]:
    changes: list[StateChange] = []
    transcripts: list[TranscriptEvent] = []
    session.on_state_change(changes.append)
    session.on_transcript(transcripts.append)
    return changes, transcripts


async def until(condition: object, *, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


class Microphone:
    """A real local audio track fed by a real ``AudioSource``: what a remote track looks like to the mixer."""

    def __init__(self) -> None:
        self.source = rtc.AudioSource(SAMPLE_RATE, 1)
        self.track = rtc.LocalAudioTrack.create_audio_track("caller-microphone", self.source)

    async def speak(self, seconds: float, *, hz: float = 440.0) -> None:
        """Capture a tone in 10 ms frames."""
        samples = SAMPLE_RATE // 100
        for index in range(round(seconds * 100)):
            frame = rtc.AudioFrame.create(SAMPLE_RATE, 1, samples)
            t = (np.arange(samples) + index * samples) / SAMPLE_RATE
            np.frombuffer(frame.data, dtype=np.int16)[:] = (8000 * np.sin(2 * math.pi * hz * t)).astype(
                np.int16
            )
            await self.source.capture_frame(frame)

    async def aclose(self) -> None:
        await self.source.aclose()


@pytest.fixture()
async def microphone() -> AsyncIterator[Microphone]:
    mic = Microphone()
    yield mic
    await mic.aclose()


# --- connecting -------------------------------------------------------------------------------


async def test_refused_connection_fails_clearly_and_ends() -> None:
    url = closed_port_url()
    session = ListenSession(url, TOKEN)
    changes, _ = recorded(session)

    with pytest.raises(ListenConnectError) as failure:
        await session.connect()

    assert isinstance(failure.value, AssistError)
    message = str(failure.value)
    assert message.startswith(f"could not connect to LiveKit at {url}: ")
    assert "Connection refused" in message and "\n" not in message
    assert session.state == "ended" and session.end_reason == "connect_failed"
    assert changes == [StateChange("ended", "connecting", "connect_failed")]


async def test_server_that_hangs_up_is_a_connect_error() -> None:
    async with tcp_server(hang=False) as url:
        session = ListenSession(url, TOKEN)
        with pytest.raises(ListenConnectError, match="Handshake not finished|Connection reset"):
            await session.connect()
    assert session.state == "ended"


async def test_silent_server_times_out_after_the_connect_timeout() -> None:
    async with tcp_server(hang=True) as url:
        session = ListenSession(url, TOKEN, connect_timeout=0.3)
        changes, _ = recorded(session)
        started = time.monotonic()
        with pytest.raises(
            ListenTimeout, match=r"^LiveKit at ws://127\.0\.0\.1:\d+ did not answer within 0\.3 s$"
        ):
            await session.connect()
        elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 2.0
    assert session.state == "ended" and session.end_reason == "timeout"
    assert changes == [StateChange("ended", "connecting", "timeout")]
    assert not session.room.isconnected()


def test_default_timeout_is_the_documented_15_seconds() -> None:
    assert inspect.signature(ListenSession).parameters["connect_timeout"].default == 15.0


async def test_timeouts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="connect_timeout"):
        ListenSession(closed_port_url(), TOKEN, connect_timeout=0)
    with pytest.raises(ValueError, match="status_interval"):
        ListenSession(closed_port_url(), TOKEN, status_interval=-1)


async def test_connect_resolves_once_an_audio_track_is_subscribed(microphone: Microphone) -> None:
    async with tcp_server(hang=True) as url:
        session = ListenSession(url, TOKEN, connect_timeout=5)
        changes, _ = recorded(session)
        connecting = asyncio.create_task(session.connect())
        await asyncio.sleep(0.05)
        assert not connecting.done() and changes == []

        session.room.emit("track_subscribed", microphone.track, audio_publication("TR_caller"), None)

        await asyncio.wait_for(connecting, 1)
        assert session.state == "live"
        assert changes == [StateChange("live", "connecting")]
        await session.end()
    assert session.end_reason == "client" and not session.room.isconnected()
    assert changes[-1] == StateChange("ended", "live", "client")


async def test_connect_once_and_never_after_the_end() -> None:
    session = ListenSession(closed_port_url(), TOKEN)
    await session.end()
    with pytest.raises(ListenEnded, match="already ended"):
        await session.connect()
    with pytest.raises(AssistError, match="once per session"):
        await session.connect()


# --- ending -----------------------------------------------------------------------------------


async def test_status_poller_ends_the_session_while_connecting() -> None:
    statuses = iter(["ringing", "in_progress", "ended"])
    polls = 0

    async def status() -> str:
        nonlocal polls
        polls += 1
        return next(statuses)

    async with tcp_server(hang=True) as url:
        session = ListenSession(
            url, TOKEN, conversation_status=status, status_interval=0.02, connect_timeout=5
        )
        with pytest.raises(
            ListenEnded, match=r"before any audio arrived \(the conversation is no longer active\)"
        ):
            await asyncio.wait_for(session.connect(), 2)
    assert polls == 3
    assert session.end_reason == "conversation_ended"


async def test_store_status_ends_a_live_session_when_the_call_ends(
    tmp_path: Path, microphone: Microphone
) -> None:
    db = tmp_path / "calls.duckdb"
    with ConversationStore(db) as store:
        store.import_jsonl(HARPER_VALLEY, "acme")
        call = store.update("acme", "0002f70f7386445b", status="in_progress", room_name="call-1")
    async with tcp_server(hang=True) as url:
        session = ListenSession(
            url, TOKEN, conversation_status=store_status(db, "acme", call.id), status_interval=0.05
        )
        connecting = asyncio.create_task(session.connect())
        session.room.emit("track_subscribed", microphone.track, audio_publication("TR_caller"), None)
        await asyncio.wait_for(connecting, 1)
        await asyncio.sleep(0.2)  # several polls of an in_progress call
        assert session.state == "live"

        await end_call(db, call.id)

        assert await asyncio.wait_for(session.wait_ended(), 3) == "conversation_ended"


async def end_call(db: Path, conversation_id: str) -> None:
    """Write the call's end as the platform would, while the poller keeps opening the file read-only.

    DuckDB lets one process hold a file either read-write or read-only; the poller holds it only for the
    length of one read, so the writer gets in on a retry.
    """
    for _ in range(200):
        try:
            with ConversationStore(db) as store:
                store.update("acme", conversation_id, status="ended")
            return
        except StoreLocked:
            await asyncio.sleep(0.005)
    raise AssertionError("the status poller never let go of the store")


async def test_a_failing_status_poll_does_not_end_the_session(caplog: pytest.LogCaptureFixture) -> None:
    async def broken() -> str:
        raise OSError("status service unreachable")

    async with tcp_server(hang=True) as url:
        session = ListenSession(
            url, TOKEN, conversation_status=broken, status_interval=0.02, connect_timeout=0.3
        )
        with pytest.raises(ListenTimeout):  # not ListenEnded: an unknown status is not a terminal one
            await session.connect()
    assert session.end_reason == "timeout"
    assert "could not read the conversation status: status service unreachable" in caplog.text


async def test_agent_leaving_ends_the_session_but_the_caller_leaving_does_not() -> None:
    session = ListenSession(closed_port_url(), TOKEN)
    changes, _ = recorded(session)
    room = session.room
    join(room, "agent-7", AGENT)
    join(room, "sip-caller", SIP)
    join(room, "supervisor", STANDARD)

    leave(room, "sip-caller")
    assert changes == []  # still connecting: the agent is there
    leave(room, "agent-7")

    assert session.state == "ended" and session.end_reason == "agent_left"
    assert changes == [StateChange("ended", "connecting", "agent_left")]
    assert await session.wait_ended() == "agent_left"


async def test_last_participant_leaving_ends_the_session() -> None:
    session = ListenSession(closed_port_url(), TOKEN)
    join(session.room, "sip-caller", SIP)
    leave(session.room, "sip-caller")
    assert await session.wait_ended() == "room_empty"


async def test_room_disconnect_ends_the_session() -> None:
    session = ListenSession(closed_port_url(), TOKEN)
    session.room.emit("disconnected", rtc.DisconnectReason.ROOM_DELETED)
    assert await session.wait_ended() == "room_disconnected"


async def test_end_is_idempotent_and_stops_listening() -> None:
    session = ListenSession(closed_port_url(), TOKEN)
    changes, transcripts = recorded(session)
    join(session.room, "agent-7", AGENT)
    await session.end()
    await session.end()
    transcribe(session.room, "agent-7", ("SG_1", "are you still there", True))
    leave(session.room, "agent-7")
    assert changes == [StateChange("ended", "connecting", "client")]
    assert transcripts == []


# --- transcripts ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def call_turns() -> list[tuple[str, str]]:
    """(role, text) of a real Harper Valley call."""
    example = LabelledExample.model_validate_json(HARPER_VALLEY.read_text(encoding="utf-8").splitlines()[0])
    return [(turn.role, turn.content) for turn in example.conversation.turns]


async def test_room_transcriptions_reach_the_callback_typed(call_turns: list[tuple[str, str]]) -> None:
    session = ListenSession(closed_port_url(), TOKEN)
    _, transcripts = recorded(session)
    join(session.room, "agent-7", AGENT)
    join(session.room, "sip-caller", SIP)
    (_, agent_line), (_, caller_line) = call_turns[0], call_turns[1]

    transcribe(session.room, "agent-7", ("SG_a", agent_line[:12], False))
    transcribe(session.room, "agent-7", ("SG_a", agent_line, True))
    transcribe(session.room, "sip-caller", ("SG_c", caller_line, True), ("SG_empty", "", True))

    assert transcripts == [
        TranscriptEvent("agent-7", "agent", "SG_a", agent_line[:12], False, "transcription"),
        TranscriptEvent("agent-7", "agent", "SG_a", agent_line, True, "transcription"),
        TranscriptEvent("sip-caller", "caller", "SG_c", caller_line, True, "transcription"),
    ]
    await session.end()


async def test_text_stream_speakers_are_not_repeated_from_legacy_events(
    call_turns: list[tuple[str, str]],
) -> None:
    session = ListenSession(closed_port_url(), TOKEN)
    _, transcripts = recorded(session)
    join(session.room, "agent-7", AGENT)
    line = call_turns[0][1]
    info = rtc.TextStreamInfo(
        stream_id="ST_1",
        mime_type="text/plain",
        topic="lk.transcription",
        timestamp=0,
        size=None,
        attributes={"lk.segment_id": "SG_s", "lk.transcription_final": "true"},
        attachments=[],
    )

    async def chunks() -> AsyncIterator[str]:
        yield line

    await session._read_text_stream(info, chunks(), "agent-7")
    transcribe(session.room, "agent-7", ("SG_legacy", line, True))  # LiveKit Agents sends both

    assert [(e.segment_id, e.final, e.source) for e in transcripts] == [
        ("SG_s", False, "text_stream"),
        ("SG_s", True, "text_stream"),
    ]
    assert transcripts[-1].speaker == "agent" and transcripts[-1].text == line
    await session.end()


async def test_a_failing_callback_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    session = ListenSession(closed_port_url(), TOKEN)

    def broken(_: StateChange) -> None:
        raise RuntimeError("display crashed")

    session.on_state_change(broken)
    changes, _ = recorded(session)
    await session.end()
    assert changes == [StateChange("ended", "connecting", "client")]
    assert "display crashed" in caplog.text


# --- audio ------------------------------------------------------------------------------------


async def test_starts_muted_and_plays_only_when_unmuted(microphone: Microphone) -> None:
    played: list[rtc.AudioFrame] = []
    session = ListenSession(closed_port_url(), TOKEN, audio_sink=played.append)
    session.room.emit("track_subscribed", microphone.track, audio_publication("TR_caller"), None)
    assert session.state == "live" and session.is_muted()

    await microphone.speak(0.2)
    await until(lambda: session.frames_received >= 15)
    assert played == [] and session.frames_played == 0  # received, mixed, not played

    session.start_audio()
    assert not session.is_muted()
    await microphone.speak(0.3)
    await until(lambda: len(played) >= 10)
    frame = played[0]
    assert (frame.sample_rate, frame.num_channels, frame.samples_per_channel) == (
        SAMPLE_RATE,
        1,
        SAMPLE_RATE // 50,
    )
    assert max(abs(int(s)) for f in played for s in np.frombuffer(f.data, dtype=np.int16)) > 1000  # the tone

    session.mute()
    await asyncio.sleep(0.15)  # let frames mixed before the mute drain
    count = len(played)
    received = session.frames_received
    await microphone.speak(0.2)
    await until(lambda: session.frames_received >= received + 15)
    assert len(played) == count
    await session.end()


async def test_unmuting_needs_an_audio_sink() -> None:
    session = ListenSession(closed_port_url(), TOKEN)
    with pytest.raises(NoAudioSink, match="audio_sink="):
        session.start_audio()
    assert session.is_muted()
    await session.end()


async def test_unsubscribed_track_leaves_the_mix(microphone: Microphone) -> None:
    session = ListenSession(closed_port_url(), TOKEN, audio_sink=lambda _: None)
    publication = audio_publication("TR_caller")
    session.room.emit("track_subscribed", microphone.track, publication, None)
    await microphone.speak(0.1)
    await until(lambda: session.frames_received >= 5)
    session.room.emit("track_unsubscribed", microphone.track, publication, None)
    assert session._audio == {}
    received = session.frames_received
    await microphone.speak(0.1)
    await asyncio.sleep(0.1)
    assert session.frames_received == received
    await session.end()


async def test_wav_sink_records_what_is_played(tmp_path: Path, microphone: Microphone) -> None:
    path = tmp_path / "call.wav"
    with WavSink(path) as sink:
        session = ListenSession(closed_port_url(), TOKEN, audio_sink=sink)
        session.room.emit("track_subscribed", microphone.track, audio_publication("TR_caller"), None)
        session.unmute()
        await microphone.speak(0.3)
        await until(lambda: sink.frames_written >= 10)
        await session.end()
    with wave.open(str(path), "rb") as recording:
        assert (recording.getframerate(), recording.getnchannels(), recording.getsampwidth()) == (
            SAMPLE_RATE,
            1,
            2,
        )
        assert recording.getnframes() == sink.frames_written * (SAMPLE_RATE // 50)
