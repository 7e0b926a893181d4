"""An organization's calls taken from the conversation store (DuckDB or PostgreSQL) as an unlabelled dataset,
then evaluated, through the real CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from assist.errors import NotFound
from assist.schema import Conversation
from assist.store import ConversationStore, Store
from eval.dataset import from_store
from tests import postgres
from tests.assist_process import assist
from tests.conftest import HARPER_VALLEY


@pytest.fixture(params=postgres.BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with postgres.opened_store(request.param, tmp_path) as opened:
        opened.import_jsonl(HARPER_VALLEY, "org-a")
        ringing = Conversation.model_validate(
            {
                "id": "ringing-now",
                "user_id": "+15550000001",
                "created_at": datetime.now(UTC),
                "status": "ringing",
            }
        )
        opened.add("org-a", ringing)
        yield opened


def test_the_newest_calls_with_turns_become_an_unlabelled_dataset(store: Store) -> None:
    snapshot = from_store(store, "org-a", name="prod", limit=11)
    # the ringing call is the newest of the eleven and has nothing to brief yet
    assert snapshot.without_turns == 1
    assert len(snapshot.dataset) == 10
    assert all(example.gold is None for example in snapshot.dataset.examples)
    newest = store.list_conversations("org-a", limit=11)[1:]
    assert [example.id for example in snapshot.dataset.examples] == [c.id for c in reversed(newest)]
    # the same calls give the same content hash, whichever store held them
    assert snapshot.dataset.hash == from_store(store, "org-a", name="other", limit=11).dataset.hash


def test_another_organization_or_none_with_turns_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound, match="org-b"):
        from_store(store, "org-b", name="prod")
    with pytest.raises(NotFound, match="1 without turns"):
        from_store(store, "org-a", name="prod", limit=1)


def test_from_store_then_eval_through_the_cli(store: Store, tmp_path: Path) -> None:
    location = store.location
    eval_db = str(tmp_path / "eval.duckdb")
    if isinstance(store, ConversationStore):
        store.close()  # a DuckDB store is one process's at a time: the CLI opens it next
    done = assist(
        "dataset",
        "from-store",
        "org-a",
        "--name",
        "prod",
        "--store",
        location,
        "--limit",
        "6",
        "--db",
        eval_db,
    )
    assert done.returncode == 0, done.stderr
    assert "(5 calls of org-a; 1 call without turns left out)" in done.stdout
    out = tmp_path / "run.json"
    done = assist("eval", "--dataset", "prod", "--program", "rules", "--db", eval_db, "--json", str(out))
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text())
    assert document["n"] == 5
    with duckdb.connect(eval_db, read_only=True) as con:
        source = con.execute("SELECT source FROM eval_datasets WHERE name = 'prod'").fetchone()
    assert source == ("store:org-a",)
