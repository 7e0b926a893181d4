"""LiveKit's own objects and event paths, driven without a media server.

Room events go through ``Room._on_room_event``: the function the SDK's FFI listen task calls with every
protobuf room event from the native client, so participants, transcription segments and their translation
into emitted events are LiveKit's real code. Handles are ``0`` (the SDK's "invalid handle"), which the SDK
never hands to the native side.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from livekit import rtc
from livekit.rtc._proto import handle_pb2, participant_pb2, room_pb2, track_pb2

AGENT = participant_pb2.PARTICIPANT_KIND_AGENT
SIP = participant_pb2.PARTICIPANT_KIND_SIP
STANDARD = participant_pb2.PARTICIPANT_KIND_STANDARD


def join(room: rtc.Room, identity: str, kind: participant_pb2.ParticipantKind.ValueType) -> None:
    info = participant_pb2.ParticipantInfo(identity=identity, sid=f"PA_{identity}", kind=kind)
    owned = participant_pb2.OwnedParticipant(handle=handle_pb2.FfiOwnedHandle(id=0), info=info)
    room._on_room_event(room_pb2.RoomEvent(participant_connected=room_pb2.ParticipantConnected(info=owned)))


def leave(room: rtc.Room, identity: str) -> None:
    event = room_pb2.ParticipantDisconnected(
        participant_identity=identity, disconnect_reason=participant_pb2.CLIENT_INITIATED
    )
    room._on_room_event(room_pb2.RoomEvent(participant_disconnected=event))


def transcribe(room: rtc.Room, identity: str, *segments: tuple[str, str, bool]) -> None:
    """Deliver a legacy transcription event of ``(segment id, text, final)`` segments."""
    event = room_pb2.TranscriptionReceived(
        participant_identity=identity,
        track_sid=f"TR_{identity}",
        segments=[
            room_pb2.TranscriptionSegment(
                id=sid, text=text, final=final, start_time=0, end_time=0, language="en"
            )
            for sid, text, final in segments
        ],
    )
    room._on_room_event(room_pb2.RoomEvent(transcription_received=event))


def audio_publication(sid: str) -> rtc.RemoteTrackPublication:
    info = track_pb2.TrackPublicationInfo(sid=sid, name="microphone", kind=track_pb2.KIND_AUDIO, remote=True)
    return rtc.RemoteTrackPublication(
        track_pb2.OwnedTrackPublication(handle=handle_pb2.FfiOwnedHandle(id=0), info=info)
    )


def closed_port_url() -> str:
    """A loopback URL where nothing listens (the port was just free)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"ws://127.0.0.1:{port}"


@asynccontextmanager
async def tcp_server(*, hang: bool) -> AsyncIterator[str]:
    """A loopback TCP server that either accepts and never answers (``hang``) or accepts and closes."""
    held: list[asyncio.StreamWriter] = []

    async def handle(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if hang:
            held.append(writer)
        else:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}"
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()
