from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assist.errors import ConversationNotFound, InvalidPhoneNumber, StoreLocked
from assist.interchange import read_examples
from assist.schema import Conversation, LabelledExample, Turn
from assist.store import ConversationStore
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


def test_import_round_trips_every_harper_valley_conversation(
    tmp_path: Path, harper_valley: list[LabelledExample]
) -> None:
    with ConversationStore(tmp_path / "store.duckdb") as store:
        assert store.import_jsonl(HARPER_VALLEY, "org-a") == 61
        for example in harper_valley:
            assert store.get("org-a", example.conversation.id) == example.conversation


def test_reimport_is_idempotent(tmp_path: Path) -> None:
    with ConversationStore(tmp_path / "store.duckdb") as store:
        store.import_jsonl(HARPER_VALLEY, "org-a")
        store.import_jsonl(HARPER_VALLEY, "org-a")
        assert store.count("org-a") == 61


def test_bad_line_imports_nothing_and_names_line_and_field(tmp_path: Path) -> None:
    lines = HARPER_VALLEY.read_text(encoding="utf-8").splitlines()[:3]
    broken = json.loads(lines[2])
    del broken["conversation"]["turns"]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([lines[0], lines[1], json.dumps(broken)]) + "\n", encoding="utf-8")
    with ConversationStore() as store:
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


def test_lookups_are_scoped_to_the_organization() -> None:
    with ConversationStore() as store:
        store.add("org-a", make("c1"))
        with pytest.raises(ConversationNotFound):
            store.get("org-b", "c1")
        with pytest.raises(ConversationNotFound):
            store.newest_for_phone("org-b", "+15551234567")
        # the same id in two organizations is two conversations
        store.add("org-b", make("c1", user_id="+15550000000"))
        assert store.get("org-a", "c1").user_id == "+15551234567"
        assert store.get("org-b", "c1").user_id == "+15550000000"


def test_newest_for_phone_finds_every_spelling_and_breaks_ties_by_id() -> None:
    with ConversationStore() as store:
        store.add("org-a", make("old", minutes=0))
        store.add("org-a", make("new-a", user_id="+1 (555) 123-4567", minutes=5))
        store.add("org-a", make("new-b", user_id="555-123-4567", minutes=5))
        store.add("org-a", make("other", user_id="+15559999999", minutes=60))
        for spelling in ("+15551234567", "+1 (555) 123-4567", "%2B15551234567", "5551234567"):
            assert store.newest_for_phone("org-a", spelling).id == "new-b"


def test_not_a_phone_number_is_an_error_not_an_empty_result() -> None:
    with ConversationStore() as store:
        store.add("org-a", make("c1"))
        with pytest.raises(InvalidPhoneNumber):
            store.newest_for_phone("org-a", "robert'); DROP TABLE conversations; --")
        with pytest.raises(InvalidPhoneNumber):
            store.add("org-a", make("c2", user_id="call me maybe"))
        assert store.count() == 1


def test_update_changes_status_room_and_appends_turns() -> None:
    with ConversationStore() as store:
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


def test_concurrent_reader_threads_see_consistent_rows(tmp_path: Path) -> None:
    with ConversationStore(tmp_path / "s.duckdb") as store:
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


def test_repeated_ids_are_refused_not_silently_replaced(tmp_path: Path) -> None:
    first = HARPER_VALLEY.read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "twice.jsonl"
    path.write_text(first + "\n" + first + "\n", encoding="utf-8")
    with ConversationStore() as store:
        with pytest.raises(
            ValueError, match=r"twice\.jsonl: line 2: id: duplicate id .* \(first on line 1\)"
        ):
            store.import_jsonl(path, "org-a")
        assert store.count() == 0


def test_import_names_the_line_of_a_caller_id_that_is_not_a_phone_number(tmp_path: Path) -> None:
    lines = HARPER_VALLEY.read_text(encoding="utf-8").splitlines()[:2]
    second = json.loads(lines[1])
    second["conversation"]["user_id"] = "anonymous"
    path = tmp_path / "calls.jsonl"
    path.write_text(lines[0] + "\n" + json.dumps(second) + "\n", encoding="utf-8")
    with ConversationStore() as store:
        with pytest.raises(
            ValueError, match=r"calls\.jsonl: line 2: conversation\.user_id: not a phone number"
        ):
            store.import_jsonl(path, "org-a")
        assert store.count() == 0


def test_two_examples_of_one_conversation_id_are_refused(tmp_path: Path) -> None:
    first = json.loads(HARPER_VALLEY.read_text(encoding="utf-8").splitlines()[0])
    again = {**first, "id": "another-example"}
    path = tmp_path / "calls.jsonl"
    path.write_text(json.dumps(first) + "\n" + json.dumps(again) + "\n", encoding="utf-8")
    with (
        ConversationStore() as store,
        pytest.raises(ValueError, match=r"line 2: conversation\.id: duplicate conversation id"),
    ):
        store.import_jsonl(path, "org-a")
