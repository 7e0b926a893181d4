"""A caller's earlier calls and feedback on briefs, over real HTTP: scopes, pagination, organization walls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.service.conftest import World

CALLER = "+15550004301"


def ingest(world: World, conversation_id: str, *, phone: str, minutes_ago: int, **fields: Any) -> None:
    started = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    body = {
        **world.examples[7].conversation.model_dump(mode="json"),
        "id": conversation_id,
        "user_id": phone,
        "created_at": started.isoformat(),
        "ended_at": (started + timedelta(minutes=2)).isoformat(),
        **fields,
    }
    created = httpx.post(f"{world.base_url}/core/conversations", json=body, headers=world.headers("a_manage"))
    assert created.status_code == 201, created.text


@pytest.fixture(scope="module")
def repeat_caller(world: World) -> list[str]:
    """Four calls of one caller in org A, oldest first: one transfer reason recorded by the platform."""
    ids = ["hist-1", "hist-2", "hist-3", "hist-4"]
    ingest(world, ids[0], phone=CALLER, minutes_ago=60 * 24 * 9)
    ingest(
        world, ids[1], phone=CALLER, minutes_ago=60 * 24 * 2, metadata={"transfer_reason": "Card declined"}
    )
    ingest(world, ids[2], phone=CALLER, minutes_ago=60 * 5, status="failed")
    ingest(
        world,
        ids[3],
        phone=CALLER,
        minutes_ago=3,
        status="in_progress",
        ended_at=None,
        room_name="room-hist-4",
    )
    return ids


def history(world: World, phone: str, key: str = "a_read", **params: Any) -> httpx.Response:
    return httpx.get(
        f"{world.base_url}/core/callers/{phone}/conversations", params=params, headers=world.headers(key)
    )


def test_a_callers_calls_newest_first_in_pages_without_what_was_said(
    world: World, repeat_caller: list[str]
) -> None:
    first = history(world, CALLER.replace("+", "%2B"), limit=3)
    assert first.status_code == 200, first.text
    page = first.json()
    assert [c["id"] for c in page["conversations"]] == repeat_caller[::-1][:3]
    live, failed, declined = page["conversations"]
    assert live["active"] and live["status"] == "in_progress" and live["room_name"] == "room-hist-4"
    assert failed["status"] == "failed" and not failed["active"]
    assert declined["transfer_reason"] == "Card declined" and live["transfer_reason"] is None
    assert declined["turns"] == len(world.examples[7].conversation.turns)
    assert world.examples[7].conversation.turns[1].content not in first.text  # metadata, never the transcript
    assert first.headers["cache-control"] == "no-store"

    rest = history(world, CALLER, limit=3, cursor=page["next_cursor"]).json()
    assert [c["id"] for c in rest["conversations"]] == [repeat_caller[0]] and rest["next_cursor"] is None


@pytest.mark.parametrize(
    ("key", "phone", "params", "status", "says"),
    [
        ("b_sensitive", CALLER, {}, 404, "no conversation found"),  # org B has no call from org A's caller
        ("a_read", "+15550009999", {}, 404, "no conversation found"),  # only org B has this one
        ("a_read", "call-me", {}, 400, "not a phone number: 'call-me' does not look like one"),
        ("a_read", CALLER, {"cursor": "bm90IG91cnM"}, 422, "cursor: not a cursor this API gave"),
        ("a_read", CALLER, {"limit": 0}, 422, "limit"),
        ("a_read", CALLER, {"limit": 101}, 422, "limit"),
        ("a_revoked", CALLER, {}, 401, ""),
    ],
)
def test_history_refusals(
    world: World,
    repeat_caller: list[str],
    key: str,
    phone: str,
    params: dict[str, Any],
    status: int,
    says: str,
) -> None:
    refused = history(world, phone, key, **params)
    assert refused.status_code == status, refused.text
    assert says in refused.json()["detail"]


def test_every_conversations_scope_reads_history(world: World, repeat_caller: list[str]) -> None:
    for key in ("a_read", "a_sensitive", "a_manage"):
        assert history(world, CALLER, key).status_code == 200


def brief_names(world: World, phone: str) -> dict[str, str]:
    """The headers that name the brief a person read: where feedback goes and what it is about."""
    brief = httpx.get(f"{world.base_url}/core/agent-assist/{phone}", headers=world.headers("a_sensitive"))
    assert brief.status_code == 200
    assert "x-assist-prompt-version" not in brief.headers  # rules has no model prompt
    return {
        "conversation": brief.headers["x-assist-conversation-id"],
        "program": brief.headers["x-assist-program"],
    }


def feedback_url(world: World, conversation_id: str) -> str:
    return f"{world.base_url}/core/conversations/{conversation_id}/feedback"


def test_feedback_on_a_section_is_kept_for_the_conversation_briefed(
    world: World, repeat_caller: list[str]
) -> None:
    names = brief_names(world, CALLER)
    assert names["conversation"] == repeat_caller[-1]  # the newest call is the one briefed
    verdict = {
        "section": "transfer_reason",
        "verdict": "wrong",
        "comment": "  The caller wants the card unblocked, not a new one.  ",
        "program": names["program"],
    }
    posted = httpx.post(
        feedback_url(world, names["conversation"]), json=verdict, headers=world.headers("a_sensitive")
    )
    assert posted.status_code == 201, posted.text
    kept = posted.json()
    assert kept["comment"] == "The caller wants the card unblocked, not a new one."
    assert (kept["conversation_id"], kept["program"], kept["prompt_version"]) == (
        names["conversation"],
        "rules",
        None,
    )
    helpful = {"section": "markers", "verdict": "helpful", "program": "rules"}
    assert (
        httpx.post(
            feedback_url(world, names["conversation"]), json=helpful, headers=world.headers("a_sensitive")
        ).status_code
        == 201
    )

    listed = httpx.get(feedback_url(world, names["conversation"]), headers=world.headers("a_sensitive"))
    assert [(f["section"], f["verdict"]) for f in listed.json()["feedback"]] == [
        ("transfer_reason", "wrong"),
        ("markers", "helpful"),
    ]
    assert httpx.get(feedback_url(world, repeat_caller[0]), headers=world.headers("a_sensitive")).json() == {
        "feedback": []
    }


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"section": "tone"}, "section"),
        ({"verdict": "meh"}, "verdict"),
        ({"comment": "x" * 1001}, "comment: String should have at most 1000 characters"),
        ({"comment": "one\x00two"}, "comment: String should match pattern"),
        (
            {"brief": {"transfer_reason": "the brief's own text"}},
            "brief",
        ),  # the brief is never sent, nor kept
        ({"program": ""}, "program"),
    ],
)
def test_feedback_that_does_not_validate_is_refused(
    world: World, repeat_caller: list[str], change: dict[str, Any], says: str
) -> None:
    body = {"section": "call_summary", "verdict": "wrong", "program": "rules", **change}
    refused = httpx.post(
        feedback_url(world, repeat_caller[0]), json=body, headers=world.headers("a_sensitive")
    )
    assert refused.status_code == 422 and says in refused.json()["detail"], refused.text


def test_another_organization_can_neither_read_nor_write_feedback(
    world: World, repeat_caller: list[str]
) -> None:
    own = {"section": "sentiment", "verdict": "wrong", "program": "rules", "comment": "org A only"}
    target = feedback_url(world, repeat_caller[1])
    assert httpx.post(target, json=own, headers=world.headers("a_sensitive")).status_code == 201
    for method in ("GET", "POST"):
        foreign = httpx.request(
            method, target, json=own if method == "POST" else None, headers=world.headers("b_sensitive")
        )
        assert foreign.status_code == 404 and "org A only" not in foreign.text
    # Org B's own conversation with the same id as one of org A's: each sees only its own feedback.
    shared_id = world.b_only_id
    from_b = {"section": "markers", "verdict": "helpful", "program": "rules", "comment": "org B's note"}
    assert (
        httpx.post(
            feedback_url(world, shared_id), json=from_b, headers=world.headers("b_sensitive")
        ).status_code
        == 201
    )
    seen_by_a = httpx.get(feedback_url(world, shared_id), headers=world.headers("a_sensitive"))
    assert seen_by_a.status_code == 200 and "org B's note" not in seen_by_a.text
    assert (
        "org B's note" in httpx.get(feedback_url(world, shared_id), headers=world.headers("b_sensitive")).text
    )
    # A key that may read conversations but not briefs may not judge or read verdicts on them either.
    assert httpx.post(target, json=own, headers=world.headers("a_read")).status_code == 403
    assert httpx.get(target, headers=world.headers("a_read")).status_code == 403
    assert (
        httpx.get(feedback_url(world, "no-such-call"), headers=world.headers("a_sensitive")).status_code
        == 404
    )
