"""A listen-only session on a live conversation's LiveKit room: the Python twin of the browser listen SDK.

Same semantics as ``AnyReach.listen({url, token})``: ``connect()`` resolves once an audio track is
subscribed or fails after ``connect_timeout`` (15 s); the session starts muted; state goes
connecting -> live -> ended; it ends when the agent leaves, the room disconnects, the conversation
reaches a terminal status, or ``end()`` is called.

Receive-only by construction: nothing here touches ``room.local_participant``, through which every
publish path of the rtc SDK goes (tracks, data, text streams, RPC, metadata). The listener token forbids
publishing anyway; this keeps the client from even trying.

"Playing" means handing mixed 48 kHz mono frames to an audio sink (any ``Callable[[rtc.AudioFrame],
None]``), so no sound device is needed; while muted, frames are still received and mixed, then dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal, Self

from livekit import rtc

from assist.errors import AssistError
from assist.listen._transcripts import (
    TRANSCRIPTION_TOPIC,
    Speaker,
    TranscriptEvent,
    segment_transcript_events,
    stream_transcript_events,
)
from assist.schema import ACTIVE_STATUSES

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "END_REASONS",
    "SAMPLE_RATE",
    "AudioSink",
    "EndReason",
    "ListenConnectError",
    "ListenEnded",
    "ListenError",
    "ListenSession",
    "ListenTimeout",
    "NoAudioSink",
    "SessionState",
    "StateChange",
    "StatusPoller",
]

logger = logging.getLogger(__name__)

SessionState = Literal["connecting", "live", "ended"]
EndReason = Literal[
    "client",
    "agent_left",
    "room_empty",
    "room_disconnected",
    "conversation_ended",
    "timeout",
    "connect_failed",
]
#: Returns the conversation's current status (``in_progress``, ``ended``, ...).
StatusPoller = Callable[[], Awaitable[str]]
AudioSink = Callable[[rtc.AudioFrame], None]

DEFAULT_CONNECT_TIMEOUT = 15.0
SAMPLE_RATE = 48_000
#: 20 ms mixing blocks: small enough for live listening, large enough to keep the mixer cheap.
_MIX_BLOCK = SAMPLE_RATE // 50

END_REASONS: dict[EndReason, str] = {
    "client": "ended by the listener",
    "agent_left": "the agent left the room",
    "room_empty": "everyone left the room",
    "room_disconnected": "the room disconnected",
    "conversation_ended": "the conversation is no longer active",
    "timeout": "timed out",
    "connect_failed": "could not connect",
}


class ListenError(AssistError):
    """A live listening session could not start or went wrong."""


class ListenTimeout(ListenError):
    """No audio track was subscribed within the connect timeout."""


class ListenConnectError(ListenError):
    """LiveKit refused or could not be reached."""


class ListenEnded(ListenError):
    """The session ended (e.g. the conversation finished) before it went live."""


class NoAudioSink(ListenError):
    """Unmuting needs somewhere to play the audio."""


@dataclass(frozen=True, slots=True)
class StateChange:
    state: SessionState
    previous: SessionState
    #: Why the session ended; set only when ``state == "ended"``.
    reason: EndReason | None = None


class _CountedFrames:
    """The frames of one subscribed track, as the mixer wants them, counting each one received."""

    def __init__(self, stream: rtc.AudioStream, on_frame: Callable[[], None]) -> None:
        self._stream = stream
        self._on_frame = on_frame

    def __aiter__(self) -> _CountedFrames:
        return self

    async def __anext__(self) -> rtc.AudioFrame:
        event = await self._stream.__anext__()
        self._on_frame()
        return event.frame


class ListenSession:
    """Listen to one conversation's LiveKit room with a listener token.

    Create it inside a running event loop. ``conversation_status`` is polled every ``status_interval``
    seconds from ``connect()`` on; a status outside triggered/ringing/in_progress ends the session.
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        conversation_status: StatusPoller | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        status_interval: float = 2.0,
        audio_sink: AudioSink | None = None,
    ) -> None:
        if connect_timeout <= 0:
            raise ValueError(f"connect_timeout must be positive, got {connect_timeout}")
        if status_interval <= 0:
            raise ValueError(f"status_interval must be positive, got {status_interval}")
        self.url = url
        self._token = token
        self._poller = conversation_status
        self._connect_timeout = connect_timeout
        self._status_interval = status_interval
        self._sink = audio_sink
        self._loop = asyncio.get_running_loop()
        self._room = rtc.Room(loop=self._loop)

        self._state: SessionState = "connecting"
        self._end_reason: EndReason | None = None
        self._muted = True
        self._settled = asyncio.Event()  # state left "connecting"
        self._ended = asyncio.Event()
        self._closing: asyncio.Task[None] | None = None
        self._connect_called = False
        self._establish: asyncio.Task[None] | None = None
        self._poll_task: asyncio.Task[None] | None = None
        self._readers: set[asyncio.Task[None]] = set()  # transcript text streams being read
        self._closers: set[asyncio.Task[None]] = set()  # audio streams of unsubscribed tracks closing

        self._state_callbacks: list[Callable[[StateChange], object]] = []
        self._transcript_callbacks: list[Callable[[TranscriptEvent], object]] = []
        # identities whose transcripts arrive as text streams: their legacy duplicates are dropped
        self._stream_speakers: set[str] = set()

        self._mixer: rtc.AudioMixer | None = None
        self._playback: asyncio.Task[None] | None = None
        self._audio: dict[str, tuple[rtc.AudioStream, _CountedFrames]] = {}
        #: Frames taken from subscribed audio tracks (10 ms each), muted or not.
        self.frames_received = 0
        #: Mixed 20 ms frames handed to the audio sink.
        self.frames_played = 0

        self._handlers: dict[rtc.room.EventTypes, Callable[..., None]] = {
            "track_subscribed": self._on_track_subscribed,
            "track_unsubscribed": self._on_track_unsubscribed,
            "participant_disconnected": self._on_participant_disconnected,
            "transcription_received": self._on_transcription,
            "disconnected": self._on_disconnected,
        }
        for event, handler in self._handlers.items():
            self._room.on(event, handler)
        self._room.register_text_stream_handler(TRANSCRIPTION_TOPIC, self._on_text_stream)

    # --- the SDK surface ----------------------------------------------------------------------

    @property
    def state(self) -> SessionState:
        return self._state

    @property
    def end_reason(self) -> EndReason | None:
        return self._end_reason

    @property
    def room(self) -> rtc.Room:
        """The underlying room, for reading participants or subscribing to more events."""
        return self._room

    async def connect(self) -> None:
        """Join the room; return once an audio track is subscribed (state ``live``).

        Raises :class:`ListenConnectError` when LiveKit refuses or cannot be reached,
        :class:`ListenTimeout` when nothing is subscribed within ``connect_timeout`` seconds, and
        :class:`ListenEnded` when the session ends first. On any failure the session is ended.
        """
        if self._connect_called:
            raise ListenError("connect() can be called once per session")
        self._connect_called = True
        if self._end_reason is not None:
            raise ListenEnded(f"the listen session has already ended ({self._reason_text()})")
        deadline = self._loop.time() + self._connect_timeout
        if self._poller is not None:
            self._poll_task = asyncio.create_task(self._poll_status())
        options = rtc.RoomOptions(auto_subscribe=True, connect_timeout=self._connect_timeout)
        self._establish = asyncio.create_task(self._room.connect(self.url, self._token, options))
        settled = asyncio.create_task(self._settled.wait())
        try:
            await asyncio.wait(
                {self._establish, settled}, timeout=self._connect_timeout, return_when="FIRST_COMPLETED"
            )
            if self._establish.done() and not settled.done():
                failure = None if self._establish.cancelled() else self._establish.exception()
                if failure is not None:
                    await self._end("connect_failed")
                    detail = failure.message if isinstance(failure, rtc.ConnectError) else str(failure)
                    raise ListenConnectError(
                        f"could not connect to LiveKit at {self.url}: {detail}"
                    ) from None
                await asyncio.wait({settled}, timeout=max(0.0, deadline - self._loop.time()))
        finally:
            settled.cancel()
        if self._state == "live":
            return
        if self._state == "ended":
            raise ListenEnded(f"the listen session ended before any audio arrived ({self._reason_text()})")
        reached = (
            self._establish.done() and not self._establish.cancelled() and not self._establish.exception()
        )
        await self._end("timeout")
        what = "no audio track was subscribed" if reached else f"LiveKit at {self.url} did not answer"
        raise ListenTimeout(f"{what} within {self._connect_timeout:g} s")

    def start_audio(self) -> None:
        """Start playing to the audio sink (the browser SDK's ``startAudio()``; the session starts muted)."""
        self.unmute()

    def mute(self) -> None:
        self._muted = True

    def unmute(self) -> None:
        if self._sink is None:
            raise NoAudioSink("no audio sink to play to: pass audio_sink= when creating the session")
        self._muted = False

    def is_muted(self) -> bool:
        return self._muted

    async def end(self) -> None:
        """Leave the room and stop everything; safe to call at any time, any number of times."""
        await self._end("client")

    async def wait_ended(self) -> EndReason:
        """Wait until the session has ended and let go of the room; return why it ended."""
        await self._ended.wait()
        assert self._closing is not None and self._end_reason is not None
        await asyncio.shield(self._closing)
        return self._end_reason

    def on_state_change(self, callback: Callable[[StateChange], object]) -> Callable[[StateChange], object]:
        """Call ``callback`` on every state change (usable as a decorator)."""
        self._state_callbacks.append(callback)
        return callback

    def on_transcript(
        self, callback: Callable[[TranscriptEvent], object]
    ) -> Callable[[TranscriptEvent], object]:
        """Call ``callback`` for every transcript update, interim and final (usable as a decorator)."""
        self._transcript_callbacks.append(callback)
        return callback

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.end()

    # --- state --------------------------------------------------------------------------------

    def _set_state(self, state: SessionState, reason: EndReason | None = None) -> None:
        previous, self._state = self._state, state
        self._settled.set()
        change = StateChange(state, previous, reason)
        for callback in list(self._state_callbacks):
            _call(callback, change)

    def _mark_ended(self, reason: EndReason) -> None:
        """End now (state and callbacks synchronously, from inside room events too); clean up in a task."""
        if self._state == "ended":
            return
        self._end_reason = reason
        self._set_state("ended", reason)
        self._closing = asyncio.create_task(self._close())
        self._ended.set()

    async def _end(self, reason: EndReason) -> None:
        self._mark_ended(reason)
        await self.wait_ended()

    def _reason_text(self) -> str:
        return END_REASONS[self._end_reason] if self._end_reason else "unknown reason"

    async def _close(self) -> None:
        for event, handler in self._handlers.items():
            self._room.off(event, handler)
        self._room.unregister_text_stream_handler(TRANSCRIPTION_TOPIC)
        current = asyncio.current_task()
        tasks = [
            task
            for task in (self._poll_task, self._establish, self._playback, *self._readers)
            if task is not None and task is not current and not task.done()
        ]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._establish is not None and self._establish.done() and not self._establish.cancelled():
            self._establish.exception()  # a connect failing after the session ended is nobody's news
        if self._mixer is not None:
            await self._mixer.aclose()
        streams = [stream for stream, _ in self._audio.values()]
        self._audio.clear()
        await asyncio.gather(*(stream.aclose() for stream in streams), *self._closers, return_exceptions=True)
        await self._room.disconnect()

    async def _poll_status(self) -> None:
        assert self._poller is not None
        while self._state != "ended":
            try:
                status = await self._poller()
            # a failed poll is not a terminal status, and the room's own events still end the session
            except Exception as exc:  # noqa: BLE001
                logger.warning("could not read the conversation status: %s", exc)
            else:
                if status not in ACTIVE_STATUSES:
                    self._mark_ended("conversation_ended")
                    return
            await asyncio.sleep(self._status_interval)

    # --- room events --------------------------------------------------------------------------

    def _on_track_subscribed(
        self, track: rtc.Track, publication: rtc.TrackPublication, _participant: Any
    ) -> None:
        if track.kind != rtc.TrackKind.KIND_AUDIO or self._state == "ended" or publication.sid in self._audio:
            return
        stream = rtc.AudioStream.from_track(track=track, sample_rate=SAMPLE_RATE, num_channels=1)
        frames = _CountedFrames(stream, self._count_frame)
        self._audio[publication.sid] = (stream, frames)
        self._mixer_or_new().add_stream(frames)
        if self._state == "connecting":
            self._set_state("live")

    def _on_track_unsubscribed(
        self, _track: rtc.Track, publication: rtc.TrackPublication, _participant: Any
    ) -> None:
        entry = self._audio.pop(publication.sid, None)
        if entry is None:
            return
        stream, frames = entry
        if self._mixer is not None:
            self._mixer.remove_stream(frames)
        self._spawn(stream.aclose(), into=self._closers)

    def _on_participant_disconnected(self, participant: rtc.RemoteParticipant) -> None:
        if participant.kind == rtc.ParticipantKind.PARTICIPANT_KIND_AGENT:
            self._mark_ended("agent_left")
        elif not self._room.remote_participants:
            self._mark_ended("room_empty")

    def _on_disconnected(self, _reason: object) -> None:
        self._mark_ended("room_disconnected")

    def _on_transcription(
        self,
        segments: list[rtc.TranscriptionSegment],
        participant: rtc.Participant | None,
        _publication: object,
    ) -> None:
        identity = participant.identity if participant is not None else ""
        if identity in self._stream_speakers:
            return
        for event in segment_transcript_events(
            segments, participant_identity=identity, speaker=self._speaker(identity)
        ):
            self._emit_transcript(event)

    def _on_text_stream(self, reader: rtc.TextStreamReader, participant_identity: str) -> None:
        self._spawn(self._read_reader(reader, participant_identity), into=self._readers)

    async def _read_reader(self, reader: rtc.TextStreamReader, identity: str) -> None:
        try:
            await self._read_text_stream(reader.info, reader, identity)
        finally:
            # an abandoned reader keeps its FFI subscription for the life of the process otherwise
            reader.close()

    async def _read_text_stream(
        self, info: rtc.TextStreamInfo, chunks: AsyncIterable[str], identity: str
    ) -> None:
        self._stream_speakers.add(identity)
        speaker = self._speaker(identity)
        try:
            async for event in stream_transcript_events(
                info, chunks, participant_identity=identity, speaker=speaker
            ):
                self._emit_transcript(event)
        except rtc.StreamError as exc:
            logger.warning("transcript stream from %s broke off: %s", identity, exc)

    # --- helpers ------------------------------------------------------------------------------

    def _speaker(self, identity: str) -> Speaker:
        participant = self._room.remote_participants.get(identity)
        if participant is None:
            return "other"
        if participant.kind == rtc.ParticipantKind.PARTICIPANT_KIND_AGENT:
            return "agent"
        if participant.kind == rtc.ParticipantKind.PARTICIPANT_KIND_SIP:
            return "caller"
        return "other"

    def _emit_transcript(self, event: TranscriptEvent) -> None:
        if self._state == "ended":
            return
        for callback in list(self._transcript_callbacks):
            _call(callback, event)

    def _count_frame(self) -> None:
        self.frames_received += 1

    def _mixer_or_new(self) -> rtc.AudioMixer:
        if self._mixer is None:
            self._mixer = rtc.AudioMixer(SAMPLE_RATE, 1, blocksize=_MIX_BLOCK, stream_timeout_ms=100)
            self._playback = asyncio.create_task(self._play(self._mixer))
        return self._mixer

    async def _play(self, mixer: rtc.AudioMixer) -> None:
        async for frame in mixer:
            if self._muted or self._sink is None:
                continue
            try:
                self._sink(frame)
            except Exception:
                logger.exception("the audio sink failed; muting")
                self._muted = True
            else:
                self.frames_played += 1

    @staticmethod
    def _spawn(work: Coroutine[Any, Any, None], *, into: set[asyncio.Task[None]]) -> None:
        task = asyncio.create_task(work)
        into.add(task)
        task.add_done_callback(into.discard)


def _call(callback: Callable[[Any], object], event: object) -> None:
    """A listener's bug must not break the room's event dispatch (nor the other listeners)."""
    try:
        callback(event)
    except Exception:
        logger.exception("listen session callback %r failed", callback)
