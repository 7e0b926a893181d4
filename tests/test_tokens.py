from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from livekit.api import TokenVerifier

from assist.errors import ConversationNotActive, NoLiveKitRoom, NotFound
from assist.schema import ACTIVE_STATUSES, Conversation
from assist.tokens import MAX_TTL, LiveKitCredentials, mint_listener_token

CREDENTIALS = LiveKitCredentials(url="wss://livekit.example.test", api_key="APIkey1", api_secret="s" * 40)
EXPECTED_VIDEO = {
    "roomJoin": True,
    "canSubscribe": True,
    "canPublish": False,
    "canPublishData": False,
    "hidden": True,
}


def conversation(*, status: str = "in_progress", room_name: str | None = "call-7f3a") -> Conversation:
    return Conversation.model_validate(
        {
            "id": "conv_123",
            "user_id": "+15551234567",
            "created_at": "2026-01-05T14:03:00Z",
            "status": status,
            "room_name": room_name,
            "turns": [{"role": "user", "content": "my name is dana whitfield"}],
        }
    )


def raw_claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_livekit_verifier_sees_exactly_the_listen_only_grant() -> None:
    minted = mint_listener_token(conversation(), credentials=CREDENTIALS)
    claims = TokenVerifier(CREDENTIALS.api_key, CREDENTIALS.api_secret).verify(minted.token)
    video = claims.video
    assert video is not None
    assert (video.room_join, video.room, video.can_subscribe) == (True, "call-7f3a", True)
    assert (video.can_publish, video.can_publish_data, video.hidden) == (False, False, True)
    for admin in (
        "room_create",
        "room_list",
        "room_record",
        "room_admin",
        "ingress_admin",
        "agent",
        "recorder",
    ):
        assert getattr(video, admin) in (None, False), admin
    assert video.can_publish_sources is None and video.can_update_own_metadata is None
    assert not claims.sip.admin and not claims.sip.call
    assert claims.agent is None and claims.agent_endpoint is None and claims.agent_thread is None
    assert (minted.url, minted.room_name) == (CREDENTIALS.url, "call-7f3a")


def test_raw_claims_carry_no_extra_grant_keys() -> None:
    minted = mint_listener_token(conversation(), credentials=CREDENTIALS)
    claims = raw_claims(minted.token)
    assert set(claims) == {"video", "sub", "iss", "nbf", "exp"}
    assert claims["video"] == {**EXPECTED_VIDEO, "room": "call-7f3a"}
    assert claims["iss"] == CREDENTIALS.api_key


def test_observer_identity_is_unique_and_carries_no_caller_data() -> None:
    identities = {
        raw_claims(mint_listener_token(conversation(), credentials=CREDENTIALS).token)["sub"]
        for _ in range(50)
    }
    assert len(identities) == 50
    for identity in identities:
        assert identity.startswith("observer-")
        assert "5551234567" not in identity and "dana" not in identity.lower() and "conv_123" not in identity


def test_expires_at_is_the_tokens_own_exp_in_utc() -> None:
    before = datetime.now(UTC)
    minted = mint_listener_token(conversation(), credentials=CREDENTIALS, ttl=timedelta(minutes=5))
    assert minted.expires_at == datetime.fromtimestamp(raw_claims(minted.token)["exp"], tz=UTC)
    assert timedelta(minutes=4) < minted.expires_at - before <= timedelta(minutes=5, seconds=1)
    assert minted.model_dump(mode="json")["expires_at"].endswith("Z")


def test_token_signed_with_another_secret_is_rejected() -> None:
    minted = mint_listener_token(conversation(), credentials=CREDENTIALS)
    with pytest.raises(jwt.InvalidSignatureError):
        TokenVerifier(CREDENTIALS.api_key, "another-secret-" + "x" * 30).verify(minted.token)


def test_expired_token_is_rejected() -> None:
    minted = mint_listener_token(conversation(), credentials=CREDENTIALS, ttl=timedelta(seconds=1))
    time.sleep(2.1)  # exp has one-second resolution; no clock can be injected into the verifier
    verifier = TokenVerifier(CREDENTIALS.api_key, CREDENTIALS.api_secret, leeway=timedelta(0))
    with pytest.raises(jwt.ExpiredSignatureError):
        verifier.verify(minted.token)


@pytest.mark.parametrize("status", sorted(ACTIVE_STATUSES))
def test_every_active_status_can_be_listened_to(status: str) -> None:
    assert mint_listener_token(conversation(status=status), credentials=CREDENTIALS).room_name == "call-7f3a"


@pytest.mark.parametrize("status", ["ended", "failed"])  # every documented status that is not live
def test_inactive_conversation_is_a_conflict(status: str) -> None:
    with pytest.raises(ConversationNotActive, match=status):
        mint_listener_token(conversation(status=status), credentials=CREDENTIALS)


def test_active_conversation_without_room_is_not_found() -> None:
    with pytest.raises(NoLiveKitRoom) as info:
        mint_listener_token(conversation(room_name=None), credentials=CREDENTIALS)
    assert isinstance(info.value, NotFound)


def test_ended_conversation_without_room_is_a_conflict_not_a_404() -> None:
    with pytest.raises(ConversationNotActive):
        mint_listener_token(conversation(status="ended", room_name=None), credentials=CREDENTIALS)


@pytest.mark.parametrize("ttl", [timedelta(0), timedelta(seconds=-5), MAX_TTL + timedelta(seconds=1)])
def test_ttl_out_of_bounds_is_refused(ttl: timedelta) -> None:
    with pytest.raises(ValueError, match="TTL"):
        mint_listener_token(conversation(), credentials=CREDENTIALS, ttl=ttl)


room_names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=80
)


@settings(max_examples=60, deadline=None)
@given(room=room_names, ttl_seconds=st.integers(min_value=1, max_value=int(MAX_TTL.total_seconds())))
def test_any_room_and_ttl_yield_exactly_the_listen_only_grant(room: str, ttl_seconds: int) -> None:
    minted = mint_listener_token(
        conversation(room_name=room), credentials=CREDENTIALS, ttl=timedelta(seconds=ttl_seconds)
    )
    claims = raw_claims(minted.token)
    assert claims["video"] == {**EXPECTED_VIDEO, "room": room}
    assert claims["exp"] - claims["nbf"] in (ttl_seconds, ttl_seconds + 1)
    verified = TokenVerifier(CREDENTIALS.api_key, CREDENTIALS.api_secret).verify(minted.token)
    assert verified.video is not None and verified.video.room == room


@settings(max_examples=30, deadline=None)
@given(room=room_names)
def test_claims_equal_what_livekit_access_token_signs(room: str) -> None:
    from livekit.api import AccessToken

    from assist.tokens import listener_grants

    minted = raw_claims(mint_listener_token(conversation(room_name=room), credentials=CREDENTIALS).token)
    reference = raw_claims(
        AccessToken(CREDENTIALS.api_key, CREDENTIALS.api_secret)
        .with_identity(minted["sub"])
        .with_ttl(timedelta(seconds=minted["exp"] - minted["nbf"]))
        .with_grants(listener_grants(room))
        .to_jwt()
    )
    assert {k: v for k, v in minted.items() if k not in ("nbf", "exp")} == {
        k: v for k, v in reference.items() if k not in ("nbf", "exp")
    }
    assert abs(reference["nbf"] - minted["nbf"]) <= 1
