"""Tokens and status from the real service over loopback HTTP, and a session that the service's status ends."""

from __future__ import annotations

import asyncio

import pytest
from livekit.api import TokenVerifier

from assist.listen import (
    ListenError,
    ListenSession,
    ServiceRefused,
    fetch_listener_token,
    service_status,
)
from tests.listen.conftest import ListenService
from tests.listen.livekit_objects import tcp_server
from tests.service.conftest import ORG_A

pytestmark = pytest.mark.anyio


async def test_the_service_mints_a_listen_only_token(listen_service: ListenService) -> None:
    minted = await fetch_listener_token(
        listen_service.base_url, listen_service.live_id, key=listen_service.keys["a_sensitive"], org=ORG_A
    )
    assert minted.url == listen_service.livekit.url and minted.room_name == listen_service.live_room
    claims = TokenVerifier(listen_service.livekit.api_key, listen_service.livekit.api_secret).verify(
        minted.token
    )
    assert claims.video is not None and claims.video.room == listen_service.live_room
    assert claims.video.can_subscribe is True
    assert claims.video.can_publish is False and claims.video.can_publish_data is False


async def test_service_refusals_are_one_clear_line(listen_service: ListenService) -> None:
    with pytest.raises(ServiceRefused) as ended:
        await fetch_listener_token(
            listen_service.base_url, listen_service.ended_id, key=listen_service.keys["a_sensitive"]
        )
    assert ended.value.status_code == 409
    assert str(ended.value).startswith(
        f"the service answered 409 to POST /core/conversations/{listen_service.ended_id}/listener-token: "
    )
    assert "ended" in str(ended.value) and "\n" not in str(ended.value)

    with pytest.raises(ServiceRefused) as unknown_key:
        await fetch_listener_token(listen_service.base_url, listen_service.live_id, key="ak_nope_nope")
    assert unknown_key.value.status_code == 401


async def test_an_unreachable_service_is_a_listen_error() -> None:
    async with tcp_server(hang=False) as url:
        with pytest.raises(ListenError, match="could not reach the service at http://127.0.0.1"):
            await fetch_listener_token(url.replace("ws://", "http://"), "live-1", key="ak_x")


async def test_service_status_ends_a_live_session(listen_service: ListenService) -> None:
    conversation_id = "live-1"
    status = service_status(listen_service.base_url, conversation_id, key=listen_service.keys["a_sensitive"])
    assert await status() == "in_progress"
    async with tcp_server(hang=True) as livekit_url:
        session = ListenSession(livekit_url, "token", conversation_status=status, status_interval=0.05)
        connecting = asyncio.create_task(session.connect())
        await asyncio.sleep(0.2)
        assert session.state == "connecting"

        await asyncio.to_thread(listen_service.patch, conversation_id, status="ended")

        with pytest.raises(ListenError, match="the conversation is no longer active"):
            await asyncio.wait_for(connecting, 3)
    assert session.end_reason == "conversation_ended"
    await asyncio.to_thread(listen_service.patch, conversation_id, status="in_progress")
