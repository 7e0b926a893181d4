"""Listen-only LiveKit tokens for an in-progress conversation.

The grant is the whole security story of live monitoring: join exactly one room, subscribe, never publish
(audio or data), stay hidden, and nothing else. ``livekit-api``'s ``VideoGrants`` defaults ``can_publish``
and ``can_publish_data`` to True, so both are set explicitly here.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Protocol

import jwt
from pydantic import BaseModel, ConfigDict, Field

from assist.errors import ConversationNotActive, NoLiveKitRoom
from assist.schema import ACTIVE_STATUSES

if TYPE_CHECKING:
    from livekit.api import VideoGrants

__all__ = [
    "DEFAULT_TTL",
    "MAX_TTL",
    "Listenable",
    "ListenerToken",
    "LiveKitCredentials",
    "listener_grants",
    "mint_listener_token",
]

DEFAULT_TTL = timedelta(minutes=10)
#: A listener token is for one monitoring session, not a standing credential.
MAX_TTL = timedelta(hours=1)
OBSERVER_PREFIX = "observer-"


class Listenable(Protocol):
    """What a token is minted from: a :class:`~assist.schema.Conversation`, or the store's record of one without
    its transcript (:meth:`assist.store.Store.call`), which is all the service reads for a token."""

    @property
    def id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def room_name(self) -> str | None: ...


class LiveKitCredentials(BaseModel):
    model_config = ConfigDict(frozen=True)

    url: str = Field(min_length=1)
    api_key: str = Field(min_length=1)
    api_secret: str = Field(min_length=1, repr=False)


class ListenerToken(BaseModel):
    """The body of ``POST /core/conversations/{id}/listener-token``."""

    url: str
    token: str
    room_name: str
    expires_at: datetime = Field(description="When the token expires (ISO 8601, UTC)")


def listener_grants(room_name: str) -> VideoGrants:
    """Exactly: join ``room_name``, subscribe, hidden; no publishing of media or data, nothing else."""
    from livekit.api import VideoGrants  # livekit.api pulls in aiohttp: ~1 s a CLI start does not need

    return VideoGrants(
        room_join=True,
        room=room_name,
        can_subscribe=True,
        can_publish=False,
        can_publish_data=False,
        hidden=True,
    )


def mint_listener_token(
    conversation: Listenable,
    *,
    credentials: LiveKitCredentials,
    ttl: timedelta = DEFAULT_TTL,
) -> ListenerToken:
    """Mint a listener token for ``conversation``.

    Raises :class:`ConversationNotActive` unless the status is triggered, ringing or in_progress, and
    :class:`NoLiveKitRoom` when an active conversation has no room. The observer identity is random per
    mint and carries nothing about the caller.
    """
    if not timedelta(seconds=1) <= ttl <= MAX_TTL:
        raise ValueError(f"token TTL must be between 1 second and {MAX_TTL}, got {ttl}")
    if conversation.status not in ACTIVE_STATUSES:
        raise ConversationNotActive(
            f"conversation {conversation.id!r} is {conversation.status}; only triggered, ringing or "
            "in_progress conversations can be listened to"
        )
    if not conversation.room_name:
        raise NoLiveKitRoom(f"conversation {conversation.id!r} has no LiveKit room")
    issued_at = int(time.time())
    expires = issued_at + int(ttl.total_seconds())
    claims = {
        "video": {**_listener_video_claim(), "room": conversation.room_name},
        "sub": OBSERVER_PREFIX + secrets.token_hex(8),
        "iss": credentials.api_key,
        "nbf": issued_at,
        "exp": expires,
    }
    return ListenerToken(
        url=credentials.url,
        token=jwt.encode(claims, credentials.api_secret, algorithm="HS256"),
        room_name=conversation.room_name,
        expires_at=datetime.fromtimestamp(expires, tz=UTC),
    )


@cache
def _listener_video_claim() -> dict[str, object]:
    """livekit-api's own serializer decides the claim names and drops unset grants.

    It runs once rather than through ``AccessToken.to_jwt()`` per mint, which spends ~5x a bare HS256 encode
    on dataclass copies; the signed claims are the same (sub, iss, nbf, exp, video), as the tests check.
    """
    from livekit.api.access_token import Claims

    video: dict[str, object] = Claims(video=listener_grants("")).asdict()["video"]
    return video
