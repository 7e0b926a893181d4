"""Live calls begin empty, over real HTTP: a ringing call is registered before anyone speaks, can be listened to,
and its brief waits for its turns (409 ``no_transcript_yet``, never a brief made up of nothing)."""

from __future__ import annotations

import itertools
import secrets
from datetime import UTC, datetime
from urllib.parse import quote

import httpx
from livekit.api import TokenVerifier

from assist.schema import AgentAssistPortal
from tests.service.conftest import World

#: Caller ids no other test uses, one per call made here: a shared caller would change whose call is newest.
_PHONES = (f"+15550005{n:03d}" for n in itertools.count())

TURNS = [
    {"role": "assistant", "content": "Thanks for calling, this is the billing line."},
    {"role": "user", "content": "Hi, my card was charged twice for the same order."},
]


def ringing_call(world: World, **fields: object) -> dict[str, object]:
    """A ringing call of a caller no other test has, with a room and no turns."""
    phone = next(_PHONES)
    assert phone not in {example.conversation.user_id for example in world.examples}
    return {
        "id": f"ringing-{secrets.token_hex(4)}",
        "user_id": phone,
        "created_at": datetime.now(UTC).isoformat(),
        "status": "ringing",
        "room_name": f"room-{secrets.token_hex(4)}",
        **fields,
    }


def portal_url(phone: str) -> str:
    return f"/core/agent-assist/{quote(phone, safe='')}"


def test_a_ringing_call_without_turns_is_registered_listened_to_and_briefed_once_it_has_turns(
    client: httpx.Client, world: World
) -> None:
    call = ringing_call(world)
    manage, sensitive = world.headers("a_manage"), world.headers("a_sensitive")

    created = client.post("/core/conversations", json=call, headers=manage)
    assert created.status_code == 201, created.text
    assert (created.json()["turns"], created.json()["active"]) == (0, True)

    minted = client.post(f"/core/conversations/{call['id']}/listener-token", headers=sensitive)
    assert minted.status_code == 200, minted.text
    claims = TokenVerifier(world.credentials.api_key, world.credentials.api_secret).verify(
        minted.json()["token"]
    )
    assert claims.video is not None and claims.video.room == call["room_name"]
    assert claims.video.can_subscribe and not claims.video.can_publish

    for accept in ("application/json", "text/html"):
        waiting = client.get(portal_url(str(call["user_id"])), headers={**sensitive, "Accept": accept})
        assert waiting.status_code == 409, (accept, waiting.text)
        body = waiting.json()
        assert body["code"] == "no_transcript_yet"
        assert body["detail"].startswith("no transcript yet") and call["id"] in body["detail"]
        assert "x-assist-program" not in waiting.headers  # no program ran

    spoken = client.patch(
        f"/core/conversations/{call['id']}",
        json={"status": "in_progress", "append_turns": TURNS},
        headers=manage,
    )
    assert spoken.status_code == 200, spoken.text
    assert (spoken.json()["turns"], spoken.json()["status"]) == (2, "in_progress")

    briefed = client.get(portal_url(str(call["user_id"])), headers=sensitive)
    assert briefed.status_code == 200, briefed.text
    portal = AgentAssistPortal.model_validate_json(briefed.text)
    assert portal.header.phone_number == call["user_id"]
    assert [(turn.role, turn.content) for turn in portal.transcript] == [
        (turn["role"], turn["content"]) for turn in TURNS
    ]


def test_turns_may_be_missing_or_empty_only_while_a_call_is_live_or_after_it_failed(
    client: httpx.Client, world: World
) -> None:
    manage = world.headers("a_manage")
    for status in ("triggered", "ringing", "in_progress", "failed"):
        for fields in ({}, {"turns": []}):
            call = ringing_call(world, status=status, **fields)
            response = client.post("/core/conversations", json=call, headers=manage)
            assert response.status_code == 201, (status, fields, response.text)
            assert response.json()["turns"] == 0

    ended = client.post("/core/conversations", json=ringing_call(world, status="ended"), headers=manage)
    assert ended.status_code == 422
    assert ended.json()["detail"].startswith("body.turns: ") and "at least one turn" in ended.json()["detail"]


def test_a_call_without_turns_cannot_end_normally_until_its_turns_are_appended(
    client: httpx.Client, world: World
) -> None:
    manage = world.headers("a_manage")
    call = ringing_call(world)
    assert client.post("/core/conversations", json=call, headers=manage).status_code == 201
    url = f"/core/conversations/{call['id']}"

    refused = client.patch(url, json={"status": "ended"}, headers=manage)
    assert refused.status_code == 422 and "turns" in refused.json()["detail"], refused.text
    assert client.get(url, headers=manage).json()["status"] == "ringing"  # nothing changed

    ended = client.patch(url, json={"status": "ended", "append_turns": TURNS}, headers=manage)
    assert ended.status_code == 200 and ended.json()["status"] == "ended", ended.text


def test_an_empty_call_is_not_hidden_behind_an_older_call_of_the_same_caller(
    client: httpx.Client, world: World
) -> None:
    """The newest call decides: an older finished call is not briefed in its place while the new one rings."""
    manage, sensitive = world.headers("a_manage"), world.headers("a_sensitive")
    older = ringing_call(
        world, status="ended", created_at="2026-01-02T09:00:00Z", room_name=None, turns=TURNS
    )
    newer = ringing_call(world, user_id=older["user_id"])
    for call in (older, newer):
        assert client.post("/core/conversations", json=call, headers=manage).status_code == 201

    waiting = client.get(portal_url(str(older["user_id"])), headers=sensitive)
    assert waiting.status_code == 409 and newer["id"] in waiting.json()["detail"]
