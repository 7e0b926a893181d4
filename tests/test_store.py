"""The store, the same tests against each backend (DuckDB and PostgreSQL), then what is one backend's own."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from assist.errors import ConversationExists, ConversationNotFound, InvalidPhoneNumber, StoreLocked
from assist.interchange import read_examples
from assist.schema import Conversation, LabelledExample, Turn
from assist.store import ConversationStore, PostgresStore, Store, StoreUnavailable, Unstorable, open_store
from tests import postgres
from tests.conftest import HARPER_VALLEY


def make(
    conversation_id: str, *, user_id: str = "+15551234567", minutes: int = 0, **fields: object
) -> Conversation:
    return Conversation.model_validate(
        {
            "id": conversation_id,
            "user_id": user_id,
            "created_at": datetime(2026, 1, 5, 14, 0, tzinfo=UTC) + timedelta(minutes=minutes),
            "status": "ended",
            "turns": [{"role": "user", "content": f"hello from {conversation_id}"}],
            **fields,
        }
    )


@pytest.fixture(params=postgres.BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with postgres.opened_store(request.param, tmp_path) as opened:
        yield opened


def test_import_round_trips_every_harper_valley_conversation(
    store: Store, harper_valley: list[LabelledExample]
) -> None:
    assert store.import_jsonl(HARPER_VALLEY, "org-a") == 61
    for example in harper_valley:
        assert store.get("org-a", example.conversation.id).model_dump() == example.conversation.model_dump()


def test_a_call_without_its_transcript_agrees_with_the_conversation(
    store: Store, harper_valley: list[LabelledExample]
) -> None:
    store.import_jsonl(HARPER_VALLEY, "org-a")
    for example in harper_valley:
        whole = store.get("org-a", example.conversation.id)
        call = store.call("org-a", whole.id)
        assert (call.id, call.user_id, call.status, call.room_name, call.turns) == (
            whole.id,
            whole.user_id,
            whole.status,
            whole.room_name,
            len(whole.turns),
        )
        assert (call.created_at, call.ended_at, call.duration_seconds) == (
            whole.created_at,
            whole.ended_at,
            whole.duration_seconds,
        )
    some = harper_valley[0].conversation.id
    # another organization's call is not found, exactly like an id nobody has
    for org, conversation_id in (("org-b", some), ("org-a", "no-such-id")):
        with pytest.raises(ConversationNotFound, match=f"conversation {conversation_id!r} not found"):
            store.call(org, conversation_id)


def test_reimport_is_idempotent(store: Store) -> None:
    store.import_jsonl(HARPER_VALLEY, "org-a")
    store.import_jsonl(HARPER_VALLEY, "org-a")
    assert store.count("org-a") == 61


def test_bad_line_imports_nothing_and_names_line_and_field(store: Store, tmp_path: Path) -> None:
    lines = HARPER_VALLEY.read_text(encoding="utf-8").splitlines()[:3]
    broken = json.loads(lines[2])
    del broken["conversation"]["turns"]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([lines[0], lines[1], json.dumps(broken)]) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.jsonl: line 3: conversation\.turns: Field required"):
        store.import_jsonl(path, "org-a")
    assert store.count() == 0


def test_wrong_type_is_named(tmp_path: Path) -> None:
    line = json.loads(HARPER_VALLEY.read_text(encoding="utf-8").splitlines()[0])
    line["conversation"]["duration_seconds"] = "long"
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r": line 1: conversation\.duration_seconds: "):
        read_examples(path)


def test_lookups_are_scoped_to_the_organization(store: Store) -> None:
    store.add("org-a", make("c1"))
    with pytest.raises(ConversationNotFound):
        store.get("org-b", "c1")
    with pytest.raises(ConversationNotFound):
        store.newest_for_phone("org-b", "+15551234567")
    assert store.list_conversations("org-b") == []
    # the same id in two organizations is two conversations
    store.add("org-b", make("c1", user_id="+15550000000"))
    assert store.get("org-a", "c1").user_id == "+15551234567"
    assert store.get("org-b", "c1").user_id == "+15550000000"
    assert [c.user_id for c in store.list_conversations("org-b")] == ["+15550000000"]


def test_newest_for_phone_finds_every_spelling_and_breaks_ties_by_id(store: Store) -> None:
    store.add("org-a", make("old", minutes=0))
    store.add("org-a", make("new-a", user_id="+1 (555) 123-4567", minutes=5))
    store.add("org-a", make("new-b", user_id="555-123-4567", minutes=5))
    # code-point order, whatever a server's collation says: "B" < "a" byte-wise, not in most locales
    store.add("org-a", make("new-B", user_id="+15551234567", minutes=5))
    store.add("org-a", make("other", user_id="+15559999999", minutes=60))
    for spelling in ("+15551234567", "+1 (555) 123-4567", "%2B15551234567", "5551234567"):
        assert store.newest_for_phone("org-a", spelling).id == "new-b"


def test_not_a_phone_number_is_an_error_not_an_empty_result(store: Store) -> None:
    store.add("org-a", make("c1"))
    with pytest.raises(InvalidPhoneNumber):
        store.newest_for_phone("org-a", "robert'); DROP TABLE conversations; --")
    with pytest.raises(InvalidPhoneNumber):
        store.add("org-a", make("c2", user_id="call me maybe"))
    assert store.count() == 1


def test_update_changes_status_room_and_appends_turns(store: Store) -> None:
    store.add("org-a", make("c1", status="ringing"))
    updated = store.update(
        "org-a",
        "c1",
        status="in_progress",
        room_name="call-1",
        append_turns=[Turn(role="assistant", content="hi")],
    )
    assert store.get("org-a", "c1") == updated
    assert (updated.status, updated.room_name) == ("in_progress", "call-1")
    assert [t.content for t in updated.turns] == ["hello from c1", "hi"]
    assert store.update_status("org-a", "c1", "ended").status == "ended"
    with pytest.raises(ConversationNotFound):
        store.update_status("org-b", "c1", "ended")
    assert store.get("org-a", "c1").status == "ended"


def test_insert_refuses_an_id_the_organization_has(store: Store) -> None:
    first = store.insert("org-a", make("c1", user_id="555-123-4567"))
    assert first.user_id == "+15551234567" and store.get("org-a", "c1") == first
    with pytest.raises(ConversationExists, match="'c1' already exists"):
        store.insert("org-a", make("c1", status="ringing"))
    assert store.get("org-a", "c1").status == "ended"  # not replaced
    store.insert("org-b", make("c1"))  # ids are per organization
    assert store.count() == 2


def test_list_conversations_newest_first_in_pages(store: Store) -> None:
    store.add_many("org-a", [make(f"c{minutes}", minutes=minutes) for minutes in range(5)])
    store.add("org-b", make("elsewhere", minutes=99))
    assert [c.id for c in store.list_conversations("org-a", limit=2)] == ["c4", "c3"]
    assert [c.id for c in store.list_conversations("org-a", limit=2, offset=2)] == ["c2", "c1"]
    assert [c.id for c in store.list_conversations("org-a", offset=4)] == ["c0"]
    assert store.list_conversations("org-a")[0] == store.get("org-a", "c4")


def test_an_id_no_row_can_hold_is_not_found(store: Store) -> None:
    """NUL cannot be stored in PostgreSQL text: asking for it is a plain miss on both backends."""
    store.add("org-a", make("c1"))
    with pytest.raises(ConversationNotFound):
        store.get("org-a", "c1\x00")
    with pytest.raises(ConversationNotFound):
        store.update_status("org-a", "c1\x00", "ended")
    with pytest.raises(ConversationNotFound):
        store.newest_for_phone("org\x00a", "+15551234567")


def test_concurrent_reader_threads_see_consistent_rows(store: Store) -> None:
    store.import_jsonl(HARPER_VALLEY, "org-a")
    ids = [e.conversation.id for e in read_examples(HARPER_VALLEY)]
    errors: list[BaseException] = []

    def read() -> None:
        try:
            for conversation_id in ids:
                assert store.get("org-a", conversation_id).id == conversation_id
        except BaseException as exc:  # noqa: BLE001 - surfaced below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_repeated_ids_are_refused_not_silently_replaced(store: Store, tmp_path: Path) -> None:
    first = HARPER_VALLEY.read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "twice.jsonl"
    path.write_text(first + "\n" + first + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"twice\.jsonl: line 2: id: duplicate id .* \(first on line 1\)"):
        store.import_jsonl(path, "org-a")
    assert store.count() == 0


def test_import_names_the_line_of_a_caller_id_that_is_not_a_phone_number(
    store: Store, tmp_path: Path
) -> None:
    lines = HARPER_VALLEY.read_text(encoding="utf-8").splitlines()[:2]
    second = json.loads(lines[1])
    second["conversation"]["user_id"] = "anonymous"
    path = tmp_path / "calls.jsonl"
    path.write_text(lines[0] + "\n" + json.dumps(second) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"calls\.jsonl: line 2: conversation\.user_id: not a phone number"):
        store.import_jsonl(path, "org-a")
    assert store.count() == 0


def test_two_examples_of_one_conversation_id_are_refused(store: Store, tmp_path: Path) -> None:
    first = json.loads(HARPER_VALLEY.read_text(encoding="utf-8").splitlines()[0])
    again = {**first, "id": "another-example"}
    path = tmp_path / "calls.jsonl"
    path.write_text(json.dumps(first) + "\n" + json.dumps(again) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 2: conversation\.id: duplicate conversation id"):
        store.import_jsonl(path, "org-a")
    assert store.count() == 0


def versions(store: Store) -> list[int]:
    return [version for (version,) in postgres.rows(store, "SELECT version FROM schema_version ORDER BY 1")]


def test_the_schema_version_is_recorded_once_and_reopening_changes_nothing(store: Store) -> None:
    store.add("org-a", make("c1"))
    applied = versions(store)
    assert applied == list(range(1, len(applied) + 1))  # every migration, once, in order
    with open_store(store.location) as again:
        assert again.get("org-a", "c1") == store.get("org-a", "c1")
    assert versions(store) == applied


def test_a_store_made_by_a_newer_kit_is_refused(store: Store) -> None:
    postgres.rows(store, "INSERT INTO schema_version VALUES (99, TIMESTAMP '2030-01-01 00:00:00')")
    if isinstance(store, ConversationStore):
        store.close()  # one writer per DuckDB file
    with pytest.raises(StoreUnavailable, match="schema version 99, newer than this kit's [0-9]+: upgrade"):
        open_store(store.location)


# --- DuckDB's own ---------------------------------------------------------------------------------


def test_second_writer_process_gets_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with ConversationStore(path) as store:
        store.add("org-a", make("c1"))
        script = (
            "import sys\nfrom assist.store import ConversationStore\nfrom assist.errors import StoreLocked\n"
            f"try:\n    ConversationStore({str(path)!r})\nexcept StoreLocked as exc:\n    print(exc); sys.exit(3)\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 3, result.stderr
        assert "open for writing in another process" in result.stdout
        assert "PostgreSQL lets the service and the admin commands run together" in result.stdout
    # once the writer is gone, many read-only processes may open it
    with (
        ConversationStore(path, read_only=True) as reader_1,
        ConversationStore(path, read_only=True) as reader_2,
    ):
        assert reader_1.get("org-a", "c1") == reader_2.get("org-a", "c1")


def test_opening_one_file_twice_in_a_process_is_a_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with ConversationStore(path), pytest.raises(StoreLocked, match="already open in this process"):
        ConversationStore(path, read_only=True)


def test_a_file_made_before_schema_versions_keeps_working(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with ConversationStore(path) as store:
        store.add("org-a", make("c1"))
        applied = versions(store)
        store.cursor().execute("DROP TABLE schema_version")  # what a file of the kit before versions lacks
    with ConversationStore(path) as store:
        assert store.get("org-a", "c1").id == "c1"
        assert versions(store) == applied


# --- PostgreSQL's own -----------------------------------------------------------------------------


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    with postgres.database() as url:
        yield url


def test_workers_starting_at_once_upgrade_the_schema_once(postgres_url: str) -> None:
    opened: list[PostgresStore] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            opened.append(PostgresStore(postgres_url))
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in opened:
        store.close()
    assert errors == [] and len(opened) == 6
    applied = versions(opened[0])
    assert applied == list(range(1, len(applied) + 1))


def test_another_process_writes_beside_an_open_store(postgres_url: str) -> None:
    """What DuckDB refuses (a second writer) is what PostgreSQL is for."""
    with PostgresStore(postgres_url) as store:
        store.add("org-a", make("c1"))
        script = (
            "import sys\nfrom assist.store import open_store\nfrom tests.test_store import make\n"
            "with open_store(sys.argv[1]) as store:\n    store.add('org-a', make('c2', minutes=9))\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", script, postgres_url],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=Path(__file__).resolve().parents[1],
        )
        assert result.returncode == 0, result.stderr
        assert store.newest_for_phone("org-a", "+15551234567").id == "c2"


def test_newest_by_phone_is_one_index_probe(postgres_url: str) -> None:
    with PostgresStore(postgres_url) as store:
        store.add_many(
            "org-a",
            [make(f"c{n}", user_id=f"+1555{n % 500:07d}", minutes=n) for n in range(3000)],
        )
        with psycopg.connect(postgres_url) as conn:
            conn.execute("ANALYZE conversations")
            plan = conn.execute(
                "EXPLAIN SELECT * FROM conversations WHERE org_id = %s AND user_id = %s "
                "ORDER BY created_at DESC, id DESC LIMIT 1",
                ["org-a", "+15550000007"],
            ).fetchall()
        text = "\n".join(line for (line,) in plan)
        assert "Index Scan using conversations_newest_by_caller" in text and "Sort" not in text, text
        assert store.newest_for_phone("org-a", "+15550000007").id == "c2507"


def test_text_postgresql_cannot_hold_is_a_typed_error(postgres_url: str) -> None:
    with PostgresStore(postgres_url) as store:
        store.add("org-a", make("c1", status="ringing"))
        with pytest.raises(Unstorable, match="NUL"):
            store.update("org-a", "c1", room_name="room\x00")
        with pytest.raises(Unstorable, match="NUL"):
            store.add("org-a", make("c2", room_name="room\x00"))
        assert store.get("org-a", "c1").room_name is None


def test_a_read_only_store_cannot_write(postgres_url: str) -> None:
    with pytest.raises(StoreUnavailable, match="holds no store yet: a command that writes creates it"):
        PostgresStore(postgres_url, read_only=True)  # and creates nothing
    with PostgresStore(postgres_url) as store:
        store.add("org-a", make("c1"))
    with PostgresStore(postgres_url, read_only=True) as reader:
        assert reader.get("org-a", "c1").id == "c1"
        with pytest.raises(StoreUnavailable, match="cannot execute INSERT in a read-only transaction"):
            reader.add("org-a", make("c2"))


def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    with socket.socket() as bound:  # bound, never listening: connections to it are refused
        bound.bind(("127.0.0.1", 0))
        port = bound.getsockname()[1]
        with pytest.raises(StoreUnavailable) as info:
            PostgresStore(f"postgresql://kit:hunter2-secret@127.0.0.1:{port}/assist")
    message = str(info.value)
    assert message.startswith(f"cannot use PostgreSQL at postgresql://kit:***@127.0.0.1:{port}/assist: ")
    assert "hunter2" not in message and "\n" not in message


def test_a_server_restart_costs_no_call_and_an_outage_is_one_quick_line() -> None:
    """PostgreSQL restarted under an open store: the connections it closed are never handed out; while it is down
    every call fails within the pool's timeout, in one line without the password; once it is back, calls work."""
    with (
        postgres.dedicated_server() as host,
        PostgresStore(host.database_url("postgres"), pool_size=4, pool_timeout_s=1.0) as store,
    ):
        store.add("org-a", make("c1"))
        with ThreadPoolExecutor(4) as pool:  # four connections in the pool, all to be closed by the restart
            list(pool.map(lambda _: store.get("org-a", "c1"), range(100)))
        time.sleep(1.1)  # idle past the check threshold, as any quiet moment leaves them
        host.halt()
        host.resume()
        store.add(
            "org-a", make("c2", minutes=1)
        )  # a write first: it is never repeated, so it must not meet one
        assert [store.get("org-a", "c1").id for _ in range(10)] == ["c1"] * 10
        assert store.newest_for_phone("org-a", "+15551234567").id == "c2"

        host.halt()
        for call in (lambda: store.get("org-a", "c1"), lambda: store.add("org-a", make("c3")), store.ping):
            started = time.monotonic()
            with pytest.raises(StoreUnavailable) as info:
                call()
            assert time.monotonic() - started < 1.0 + 1.0
            message = str(info.value)
            assert (
                message.startswith("PostgreSQL at postgresql://assist:***@127.0.0.1:") and "\n" not in message
            )
            assert host.url.split(":")[2].split("@")[0] not in message
        host.resume()
        back = time.monotonic()
        while True:
            try:
                store.ping()
                break
            except StoreUnavailable:
                assert time.monotonic() - back < 15, "the store did not recover within 15 s of the restart"
        assert store.get("org-a", "c1").id == "c1" and store.count("org-a") == 2


def test_a_user_who_cannot_create_tables_is_told_which_privilege_is_missing(postgres_url: str) -> None:
    # PostgreSQL 15 gives CREATE on schema public to the database's owner only; older servers to everyone
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    with postgres.role(postgres_url) as url, pytest.raises(StoreUnavailable) as info:
        PostgresStore(url)
    message = str(info.value)
    assert "permission denied for schema public" in message and "\n" not in message
    assert (
        "must own the database, or have CREATE on its schema public (GRANT CREATE ON SCHEMA public TO"
        in message
    )


def test_a_select_only_user_reads_a_current_store_and_is_told_what_it_may_not_write(
    postgres_url: str,
) -> None:
    with PostgresStore(postgres_url) as owner:
        owner.add("org-a", make("c1"))
        owner.insert_org("org-a", name="org-a")
    with (
        postgres.role(postgres_url, grants=("SELECT ON ALL TABLES IN SCHEMA public",)) as url,
        PostgresStore(url) as reader,  # the schema is current: nothing to create, so no CREATE needed
    ):
        assert reader.get("org-a", "c1").id == "c1" and reader.list_keys() == []
        with pytest.raises(StoreUnavailable) as info:
            reader.insert_org("org-b", name="org-b")
    message = str(info.value)
    assert "lacks a privilege the store needs" in message and "permission denied for table orgs" in message
    assert "\n" not in message
