"""The contract of ``docs/api.md`` over real HTTP: statuses, bodies, organizations, secrets, scopes."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest
from livekit.api import TokenVerifier

from assist.schema import AgentAssistPortal
from tests.service.conftest import ORG_A, ORG_B, World

VALID = {
    "id": "x",
    "user_id": "+15551234567",
    "created_at": "2026-01-01T00:00:00Z",
    "status": "ended",
    "turns": [{"role": "user", "content": "hi"}],
}
EXPECTED_VIDEO = {
    "roomJoin": True,
    "canSubscribe": True,
    "canPublish": False,
    "canPublishData": False,
    "hidden": True,
}


def token_url(conversation_id: str) -> str:
    return f"/core/conversations/{quote(conversation_id, safe='')}/listener-token"


def no_traceback(response: httpx.Response) -> None:
    assert "Traceback" not in response.text and 'File "' not in response.text


def detail(response: httpx.Response) -> str:
    no_traceback(response)
    body = response.json()
    assert set(body) == {"detail"} and isinstance(body["detail"], str) and body["detail"]
    return str(body["detail"])


# --- listener token --------------------------------------------------------------------------------


def test_token_for_an_active_call_is_listen_only_for_exactly_its_room(
    client: httpx.Client, world: World
) -> None:
    before = datetime.now(UTC)
    response = client.post(token_url(world.live_id), headers=world.headers("a_sensitive"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"url", "token", "room_name", "expires_at"}
    assert (body["url"], body["room_name"]) == (world.credentials.url, world.live_room)
    assert response.headers["cache-control"] == "no-store"

    claims = TokenVerifier(world.credentials.api_key, world.credentials.api_secret).verify(body["token"])
    assert claims.video is not None and claims.video.room == world.live_room
    payload = body["token"].split(".")[1]
    raw = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert set(raw) == {"video", "sub", "iss", "nbf", "exp"}
    assert raw["video"] == {**EXPECTED_VIDEO, "room": world.live_room}
    assert raw["sub"].startswith("observer-")

    expires_at = datetime.fromisoformat(body["expires_at"])
    assert expires_at.tzinfo is not None and expires_at.utcoffset() == timedelta(0)
    assert expires_at == datetime.fromtimestamp(raw["exp"], tz=UTC)
    assert before + timedelta(minutes=9) < expires_at <= datetime.now(UTC) + timedelta(minutes=10, seconds=1)


def test_each_mint_has_its_own_observer_identity(client: httpx.Client, world: World) -> None:
    verifier = TokenVerifier(world.credentials.api_key, world.credentials.api_secret)
    identities = {
        verifier.verify(
            client.post(token_url(world.live_id), headers=world.headers("a_manage")).json()["token"]
        ).identity
        for _ in range(3)
    }
    assert len(identities) == 3


def test_token_statuses(client: httpx.Client, world: World) -> None:
    ended = world.examples[2].conversation.id
    cases = [
        (token_url("no-such-call"), "a_sensitive", 404),
        (token_url(world.ringing_no_room_id), "a_sensitive", 404),
        (token_url(ended), "a_sensitive", 409),
        (token_url(world.live_id), "a_read", 403),
        (token_url(world.live_id), "b_sensitive", 404),  # org A's call, org B's key
    ]
    for url, key, status in cases:
        response = client.post(url, headers=world.headers(key))
        assert response.status_code == status, (url, key, response.text)
        message = detail(response)
        if status == 409:
            assert "ended" in message
        if status == 403:
            assert "conversations:read_sensitive or conversations:manage" in message


def test_ids_are_per_organization(client: httpx.Client, world: World) -> None:
    # The same id exists in both organizations; each key sees its own conversation.
    a = client.get(f"/core/conversations/{world.b_only_id}", headers=world.headers("a_sensitive")).json()
    b = client.get(f"/core/conversations/{world.b_only_id}", headers=world.headers("b_sensitive")).json()
    assert a["user_id"] != b["user_id"] and b["user_id"] == world.b_only_phone
    assert (a["status"], b["status"]) == ("ended", "in_progress")
    minted = client.post(token_url(world.b_only_id), headers=world.headers("b_sensitive"))
    assert minted.status_code == 200 and minted.json()["room_name"] == "room-b"
    assert client.post(token_url(world.b_only_id), headers=world.headers("a_sensitive")).status_code == 409


# --- the brief -------------------------------------------------------------------------------------


def test_brief_of_a_real_call(client: httpx.Client, world: World) -> None:
    conversation = world.examples[3].conversation
    response = client.get(f"/core/agent-assist/{conversation.user_id}", headers=world.headers("a_sensitive"))
    assert response.status_code == 200, response.text
    assert response.headers["x-assist-program"] == "rules"
    assert response.headers["cache-control"] == "no-store"
    portal = AgentAssistPortal.model_validate_json(response.text)
    assert portal.header.phone_number == conversation.user_id
    assert [(t.role, t.content) for t in portal.transcript] == [
        (t.role, t.content) for t in conversation.turns
    ]


@pytest.mark.parametrize(
    "spelling",
    [
        "{e164}",
        "%2B{digits}",
        "%252B{digits}",  # double-encoded by an over-eager proxy
        "{digits}",
        "+1 ({area}) {mid}-{last}",  # percent-encoded below, as a browser sends it
        "1-{area}-{mid}-{last}",
    ],
)
def test_phone_number_spellings(client: httpx.Client, world: World, spelling: str) -> None:
    e164 = world.examples[5].conversation.user_id
    digits = e164[1:]
    path = spelling.format(e164=e164, digits=digits, area=digits[1:4], mid=digits[4:7], last=digits[7:])
    if " " in path:
        path = quote(path, safe="")
    response = client.get(f"/core/agent-assist/{path}", headers=world.headers("a_sensitive"))
    assert response.status_code == 200, (path, response.text)
    assert response.json()["header"]["phone_number"] == e164


def test_brief_statuses(client: httpx.Client, world: World) -> None:
    a_phone = world.examples[0].conversation.user_id
    cases = [
        ("+15550000000", "a_sensitive", 404),
        (world.b_only_phone, "a_sensitive", 404),  # org B's caller, org A's key
        (a_phone, "b_sensitive", 404),  # and the other way round
        (a_phone, "a_read", 403),
        (a_phone, "a_manage", 403),  # the brief needs read_sensitive itself
        ("not-a-number", "a_sensitive", 400),
        ("123", "a_sensitive", 400),
    ]
    for phone, key, status in cases:
        response = client.get(f"/core/agent-assist/{phone}", headers=world.headers(key))
        assert response.status_code == status, (phone, key, response.text)
        message = detail(response)
        if status == 404:
            assert "no conversation found" in message
    assert client.get(
        f"/core/agent-assist/{world.b_only_phone}", headers=world.headers("b_sensitive")
    ).is_success


def test_brief_as_html_is_the_rendered_portal(client: httpx.Client, world: World) -> None:
    phone = world.examples[0].conversation.user_id
    headers = {**world.headers("a_sensitive"), "Accept": "text/html"}
    response = client.get(f"/core/agent-assist/{phone}", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'class="aap"' in response.text and phone in response.text


def test_newest_call_of_a_caller_wins(client: httpx.Client, world: World) -> None:
    manage = world.headers("a_manage")
    phone = "+15550004242"
    base = world.examples[7].conversation.model_dump(mode="json")
    for minutes, conversation_id, words in ((0, "old-42", "the old call"), (5, "new-42", "the new call")):
        body = {
            **base,
            "id": conversation_id,
            "user_id": phone,
            "created_at": (datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=minutes)).isoformat(),
            "ended_at": None,  # the copied call ended in 2020, before this one began
            "turns": [{"role": "user", "content": words}],
        }
        assert client.post("/core/conversations", json=body, headers=manage).status_code == 201
    brief = client.get(f"/core/agent-assist/{phone}", headers=world.headers("a_sensitive")).json()
    assert [turn["content"] for turn in brief["transcript"]] == ["the new call"]


# --- authentication and organizations ---------------------------------------------------------------


def test_authentication_and_organization_rules(client: httpx.Client, world: World) -> None:
    phone = world.examples[0].conversation.user_id
    url = f"/core/agent-assist/{phone}"
    fake = "ak_" + "0" * 12 + "_" + "x" * 43
    cases: list[tuple[dict[str, str], int]] = [
        ({}, 401),
        ({"Authorization": "Bearer"}, 401),
        ({"Authorization": "Basic YWxpY2U6c2VjcmV0"}, 401),
        ({"Authorization": "Bearer nonsense"}, 401),
        ({"Authorization": f"Bearer {fake}"}, 401),
        ({"Authorization": f"Bearer {world.keys['a_sensitive'][:-1]}x"}, 401),  # right key id, wrong secret
        (world.headers("a_revoked"), 401),
        (world.headers("a_sensitive", ORG_A), 200),
        (world.headers("a_sensitive", ORG_B), 403),  # ak_ with another organization's header
        (world.headers("pat_alice"), 400),  # pat_ without X-Anyreach-Org
        (world.headers("pat_alice", ORG_A), 200),
        (world.headers("pat_alice", ORG_B), 403),  # not a member
        (world.headers("pat_bob", ORG_A), 403),
        (world.headers("pat_alice", "no-such-org"), 403),
    ]
    for headers, status in cases:
        response = client.get(url, headers=headers)
        assert response.status_code == status, (headers, response.text)
        if status != 200:
            detail(response)
        if status == 401:
            assert response.headers["www-authenticate"] == "Bearer"
    pat_b = client.get(f"/core/agent-assist/{world.b_only_phone}", headers=world.headers("pat_alice", ORG_A))
    assert pat_b.status_code == 404


def test_the_token_endpoint_authenticates_the_same_way(client: httpx.Client, world: World) -> None:
    for headers, status in [
        ({}, 401),
        (world.headers("a_revoked"), 401),
        (world.headers("a_sensitive", ORG_B), 403),
        (world.headers("pat_alice"), 400),
        (world.headers("pat_bob", ORG_A), 403),
        (world.headers("pat_alice", ORG_A), 200),
    ]:
        assert client.post(token_url(world.live_id), headers=headers).status_code == status, headers


# --- ingest ----------------------------------------------------------------------------------------


def test_ingest_then_listen_then_end(client: httpx.Client, world: World) -> None:
    manage = world.headers("a_manage")
    body = {
        **world.examples[9].conversation.model_dump(mode="json"),
        "id": "ingest-1",
        "status": "ringing",
        "ended_at": None,
        "room_name": None,
    }
    created = client.post("/core/conversations", json=body, headers=manage)
    assert created.status_code == 201, created.text
    assert created.json()["active"] is True
    assert client.post("/core/conversations", json=body, headers=manage).status_code == 409
    assert client.post(token_url("ingest-1"), headers=manage).status_code == 404  # no room yet

    patched = client.patch(
        "/core/conversations/ingest-1",
        json={
            "status": "in_progress",
            "room_name": "room-ingest-1",
            "append_turns": [{"role": "user", "content": "hello?"}],
        },
        headers=manage,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["turns"] == len(body["turns"]) + 1
    assert client.post(token_url("ingest-1"), headers=manage).json()["room_name"] == "room-ingest-1"

    assert client.patch("/core/conversations/ingest-1", json={"status": "ended"}, headers=manage).is_success
    assert client.post(token_url("ingest-1"), headers=manage).status_code == 409
    # Another organization may use the same id: it is simply a separate conversation.
    other = client.post(
        "/core/conversations", json={**body, "user_id": "+15550007777"}, headers=world.headers("b_sensitive")
    )
    assert other.status_code == 201
    assert client.get("/core/conversations/ingest-1", headers=manage).json()["status"] == "ended"


def test_ingest_needs_manage_scope(client: httpx.Client, world: World) -> None:
    body = {**world.examples[9].conversation.model_dump(mode="json"), "id": "ingest-denied"}
    for key in ("a_sensitive", "a_read"):
        assert client.post("/core/conversations", json=body, headers=world.headers(key)).status_code == 403
        assert (
            client.patch(
                f"/core/conversations/{world.live_id}", json={"status": "ended"}, headers=world.headers(key)
            ).status_code
            == 403
        )
    assert (
        client.patch("/core/conversations/nope", json={}, headers=world.headers("a_manage")).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("content", "json_body", "needle"),
    [
        (b"{not json", None, "JSON"),
        (None, [], "body"),
        (None, {"id": "x"}, "body.user_id"),
        (
            None,
            {
                "id": "x",
                "user_id": "+15551234567",
                "created_at": "yesterday",
                "status": "ended",
                "turns": [{}],
            },
            "created_at",
        ),
        (
            None,
            {
                "id": "x",
                "user_id": "+15551234567",
                "created_at": "2026-01-01T00:00:00Z",
                "status": "ended",
                "turns": [],
            },
            "turns",
        ),
        (
            None,
            {
                "id": "x",
                "user_id": "+15551234567",
                "created_at": "2026-01-01T00:00:00Z",
                "status": "ended",
                "turns": [{"role": "agent", "content": "hi"}],
            },
            "role",
        ),
        (None, {**VALID, "duration_seconds": 2**40}, "duration_seconds"),  # beyond the store's INTEGER
        (
            json.dumps({**VALID, "turns": [{"role": "user", "content": "\ud800"}]}).encode(),
            None,
            "lone surrogate",
        ),
        (None, {**VALID, "id": "a/b"}, "body.id"),  # no route could reach it
        (None, {**VALID, "turns": [{"role": "user", "content": "x" * 20_001}]}, "body.turns.0.content"),
        (None, {**VALID, "created_at": "0001-01-01T00:00:00+14:00"}, "timestamp out of range"),
    ],
)
def test_malformed_bodies_get_a_clear_4xx(
    client: httpx.Client, world: World, content: bytes | None, json_body: object, needle: str
) -> None:
    headers = {**world.headers("a_manage"), "Content-Type": "application/json"}
    if content is not None:
        response = client.post("/core/conversations", content=content, headers=headers)
    else:
        response = client.post("/core/conversations", json=json_body, headers=headers)
    assert response.status_code == 422, response.text
    assert needle in detail(response)


def test_oversized_bodies_and_appends_are_refused(client: httpx.Client, world: World) -> None:
    headers = world.headers("a_manage")
    huge = {**VALID, "id": "huge", "turns": [{"role": "user", "content": "y" * 10_000}] * 600}
    response = client.post("/core/conversations", json=huge, headers=headers)
    assert response.status_code == 413 and "larger than" in detail(response)
    body = {**VALID, "id": "grows", "turns": [{"role": "user", "content": "hi"}] * 4_999}
    assert client.post("/core/conversations", json=body, headers=headers).status_code == 201
    grown = client.patch(
        "/core/conversations/grows",
        json={"append_turns": [{"role": "user", "content": "one"}, {"role": "user", "content": "two"}]},
        headers=headers,
    )
    assert grown.status_code == 422 and "turns" in detail(grown)
    kept = client.get("/core/conversations/grows", headers=headers).json()
    assert kept["turns"] == 4_999


def test_an_invalid_caller_id_on_ingest_is_a_400(client: httpx.Client, world: World) -> None:
    body = {
        **world.examples[9].conversation.model_dump(mode="json"),
        "id": "bad-phone",
        "user_id": "call me maybe",
    }
    response = client.post("/core/conversations", json=body, headers=world.headers("a_manage"))
    assert response.status_code == 400 and "phone number" in detail(response)
    patch = client.patch(
        f"/core/conversations/{world.live_id}",
        json={"status": "ended", "surprise": 1},
        headers=world.headers("a_manage"),
    )
    assert patch.status_code == 422 and "surprise" in detail(patch)


# --- operations ------------------------------------------------------------------------------------


def test_healthz_and_openapi(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    schema = client.get("/openapi.json").json()
    token = schema["paths"]["/core/conversations/{conversation_id}/listener-token"]["post"]
    assert set(token["responses"]) >= {"200", "400", "401", "403", "404", "409"}
    assert token["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ListenerToken"
    )
    brief = schema["paths"]["/core/agent-assist/{phone_number}"]["get"]
    assert set(brief["responses"]) >= {"200", "400", "401", "403", "404"}
    assert set(brief["responses"]["200"]["content"]) == {"application/json", "text/html"}
    assert "X-Assist-Program" in brief["responses"]["200"]["headers"]
    assert schema["components"]["schemas"]["ErrorBody"]["required"] == ["detail"]
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
