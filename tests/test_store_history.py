"""A caller's earlier calls and feedback on briefs in the store: the same tests against DuckDB and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assist.errors import ConversationNotFound, InvalidPhoneNumber
from assist.feedback import Feedback, NewFeedback
from assist.schema import Conversation
from assist.store import InvalidCursor, Store
from tests import postgres

CALLER = "+15551234567"
START = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)


def call(conversation_id: str, *, minutes: int, user_id: str = CALLER, **fields: object) -> Conversation:
    return Conversation.model_validate(
        {
            "id": conversation_id,
            "user_id": user_id,
            "created_at": START + timedelta(minutes=minutes),
            "status": "ended",
            "turns": [{"role": "user", "content": f"hello from {conversation_id}"}] * 3,
            **fields,
        }
    )


@pytest.fixture(params=postgres.BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with postgres.opened_store(request.param, tmp_path) as opened:
        yield opened


def test_a_callers_calls_come_newest_first_in_pages_without_transcripts(store: Store) -> None:
    # Two calls at one moment: the larger id is newer, as for the newest call's brief.
    calls = [call(f"c{i}", minutes=10 * i) for i in range(7)] + [call("c6b", minutes=60)]
    store.add_many("org-a", [*calls, call("other", minutes=99, user_id="+15557654321")])
    store.add("org-b", call("b-only", minutes=200))
    seen: list[str] = []
    cursor = None
    for _ in range(4):
        page, cursor = store.calls_for_phone("org-a", "+1 (555) 123-4567", limit=3, cursor=cursor)
        seen += [record.id for record in page]
        if cursor is None:
            break
    assert seen == ["c6b", "c6", "c5", "c4", "c3", "c2", "c1", "c0"]
    newest = store.calls_for_phone("org-a", CALLER, limit=1)[0][0]
    assert (newest.turns, newest.user_id, newest.created_at) == (3, CALLER, START + timedelta(minutes=60))
    assert store.calls_for_phone("org-a", CALLER, limit=8) == (
        store.calls_for_phone("org-a", CALLER, limit=9)[0],
        None,
    )


def test_a_transfer_reason_is_what_the_platform_recorded(store: Store) -> None:
    store.add_many(
        "org-a",
        [
            call("told", minutes=1, metadata={"transfer_reason": "Wants a refund of a double charge"}),
            call("not-text", minutes=2, metadata={"transfer_reason": {"code": 7}}),
            call("silent", minutes=3, metadata={"channel": "voice"}),
        ],
    )
    page, _ = store.calls_for_phone("org-a", CALLER, limit=10)
    assert [(r.id, r.transfer_reason) for r in page] == [
        ("silent", None),
        ("not-text", None),
        ("told", "Wants a refund of a double charge"),
    ]


def test_no_calls_is_not_found_and_nothing_leaks_across_organizations(store: Store) -> None:
    store.add("org-b", call("b1", minutes=1))
    with pytest.raises(ConversationNotFound):
        store.calls_for_phone("org-a", CALLER, limit=5)
    with pytest.raises(InvalidPhoneNumber):
        store.calls_for_phone("org-a", "call-me", limit=5)
    # Org B's cursor in org A: a place in the order, no more; org A has nothing there.
    store.add("org-b", call("b2", minutes=2))
    _, cursor = store.calls_for_phone("org-b", CALLER, limit=1)
    assert cursor is not None
    assert store.calls_for_phone("org-a", CALLER, limit=5, cursor=cursor) == ([], None)


@pytest.mark.parametrize("cursor", ["", "not-a-cursor", "W10", "eyJhIjoxfQ", "WyIyMDI2LTAxLTA1IiwgMV0"])
def test_a_cursor_the_store_did_not_give_is_refused(store: Store, cursor: str) -> None:
    store.add("org-a", call("c1", minutes=1))
    with pytest.raises(InvalidCursor, match="cursor: not a cursor this API gave"):
        store.calls_for_phone("org-a", CALLER, limit=5, cursor=cursor)


def verdict(conversation_id: str, section: str, **fields: object) -> Feedback:
    new = NewFeedback.model_validate({"section": section, "verdict": "wrong", "program": "rules", **fields})
    return Feedback.received(new, conversation_id=conversation_id)


def test_feedback_is_kept_per_organization_and_only_on_its_calls(store: Store) -> None:
    store.add_many("org-a", [call("a1", minutes=1), call("a2", minutes=2)])
    store.add("org-b", call("a1", minutes=1))  # the same id in another organization is another call
    kept = [
        verdict("a1", "transfer_reason", comment="It was about the card, not the account"),
        verdict("a2", "markers", verdict="helpful", program="dspy", prompt_version="3f2a9c0d1e"),
        verdict("a1", "call_summary"),
    ]
    for item in kept:
        store.add_feedback("org-a", item)
    with pytest.raises(ConversationNotFound):
        store.add_feedback("org-a", verdict("b-only", "markers"))
    with pytest.raises(ConversationNotFound):
        store.add_feedback("org-c", verdict("a1", "markers"))

    assert store.list_feedback("org-a") == sorted(kept, key=lambda f: (f.created_at, f.id))
    assert [f.section for f in store.list_feedback("org-a", conversation_id="a1")] == [
        "transfer_reason",
        "call_summary",
    ]
    assert store.list_feedback("org-b") == [] and store.list_feedback("org-b", conversation_id="a1") == []
