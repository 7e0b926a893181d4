"""Live listening: a listen-only LiveKit client with the browser listen SDK's session semantics.

Entry point: :class:`ListenSession`. Tokens come from :func:`assist.tokens.mint_listener_token` (local)
or :func:`fetch_listener_token` (the service).
"""

from assist.listen._session import (
    DEFAULT_CONNECT_TIMEOUT,
    END_REASONS,
    SAMPLE_RATE,
    AudioSink,
    EndReason,
    ListenConnectError,
    ListenEnded,
    ListenError,
    ListenSession,
    ListenTimeout,
    NoAudioSink,
    SessionState,
    StateChange,
    StatusPoller,
)
from assist.listen._tokens import ServiceRefused, fetch_listener_token, service_status, store_status
from assist.listen._transcripts import (
    TRANSCRIPTION_TOPIC,
    Speaker,
    TranscriptEvent,
    segment_transcript_events,
    stream_transcript_events,
)
from assist.listen._wav import WavSink

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "END_REASONS",
    "SAMPLE_RATE",
    "TRANSCRIPTION_TOPIC",
    "AudioSink",
    "EndReason",
    "ListenConnectError",
    "ListenEnded",
    "ListenError",
    "ListenSession",
    "ListenTimeout",
    "NoAudioSink",
    "ServiceRefused",
    "SessionState",
    "Speaker",
    "StateChange",
    "StatusPoller",
    "TranscriptEvent",
    "WavSink",
    "fetch_listener_token",
    "segment_transcript_events",
    "service_status",
    "store_status",
    "stream_transcript_events",
]
