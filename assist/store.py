"""The conversation store: DuckDB, one file (or ``:memory:``), every read and write scoped to an organization.

:func:`connect` is the one way the kit opens a DuckDB database (the eval harness and the key store use it
too), so a file held by another writer always gives the same clear :class:`StoreLocked` message.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import duckdb

from assist.errors import ConversationNotFound, InvalidPhoneNumber, StoreLocked
from assist.interchange import InvalidFile, validate_file
from assist.phone import normalize_phone
from assist.schema import Conversation, Turn

__all__ = ["ConversationStore", "connect"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    -- single-column keys: DuckDB's ART indexes serve only single-column equality lookups
    conv_key          VARCHAR PRIMARY KEY,  -- org_id, US, id
    caller_key        VARCHAR NOT NULL,     -- org_id, US, user_id
    org_id            VARCHAR NOT NULL,
    id                VARCHAR NOT NULL,
    user_id           VARCHAR NOT NULL,  -- E.164
    status            VARCHAR NOT NULL,
    created_at        TIMESTAMP NOT NULL,  -- UTC
    ended_at          TIMESTAMP,           -- UTC
    room_name         VARCHAR,
    duration_seconds  INTEGER,
    metadata          JSON NOT NULL,
    turns             JSON NOT NULL,
    extra             JSON NOT NULL      -- fields of the interchange format beyond the documented ones
);
CREATE INDEX IF NOT EXISTS conversations_by_caller ON conversations (caller_key);
"""

#: ASCII unit separator: cannot occur in an organization id, so keys of two organizations never collide.
_SEP = "\x1f"
_COLUMNS = "id, user_id, status, created_at, ended_at, room_name, duration_seconds, metadata, turns, extra"


def connect(path: str | Path = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB database, turning "another process holds the lock" into :class:`StoreLocked`."""
    target = str(path)
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(target, read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StoreLocked(
                f"{target} is open for writing in another process; stop that process "
                "(DuckDB allows one writing process, or many read-only ones)"
            ) from None
        raise
    except duckdb.ConnectionException as exc:
        if "different configuration" in str(exc):
            raise StoreLocked(
                f"{target} is already open in this process in {'read-write' if read_only else 'read-only'} mode; "
                "reuse that store instead of opening a second one"
            ) from None
        raise


def _utc_naive(moment: datetime | None) -> datetime | None:
    """DuckDB TIMESTAMP (naive, UTC): TIMESTAMPTZ would make every read depend on pytz."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _key(org_id: str, value: str) -> str:
    if not org_id or _SEP in org_id:
        raise ValueError("an organization id must be non-empty, without control characters")
    return f"{org_id}{_SEP}{value}"


class ConversationStore:
    """Conversations of many organizations in one DuckDB database.

    Thread-safe: each thread gets its own cursor on the shared connection. Across processes DuckDB allows
    one writer or many ``read_only`` readers; a second writer gets :class:`StoreLocked`.
    """

    def __init__(self, path: str | Path = ":memory:", *, read_only: bool = False) -> None:
        self.path = str(path)
        self.read_only = read_only
        self._con = connect(path, read_only=read_only)
        self._local = threading.local()
        if not read_only:
            self._con.execute(_SCHEMA)

    # --- plumbing ---------------------------------------------------------------------------

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor (DuckDB connections must not be shared between threads)."""
        cur: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._con.cursor()
            self._local.cursor = cur
        return cur

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- writes -----------------------------------------------------------------------------

    def add(self, org_id: str, conversation: Conversation) -> Conversation:
        """Insert or replace one conversation; the caller id is stored as E.164."""
        self.add_many(org_id, [conversation])
        return conversation.model_copy(update={"user_id": normalize_phone(conversation.user_id)})

    def add_many(self, org_id: str, conversations: Iterable[Conversation]) -> int:
        rows = [self._row(org_id, conversation) for conversation in conversations]
        if rows:
            cur = self.cursor()
            cur.execute("BEGIN TRANSACTION")
            try:
                cur.executemany(
                    f"INSERT OR REPLACE INTO conversations (conv_key, caller_key, org_id, {_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
        return len(rows)

    def import_jsonl(self, path: str | Path, org_id: str) -> int:
        """Import the conversations of an interchange-format file. All or nothing: a bad line imports none."""
        found = validate_file(path)
        found.raise_first(path)
        for line, example in zip(found.lines, found.examples, strict=True):
            try:
                normalize_phone(example.conversation.user_id)
            except InvalidPhoneNumber as exc:
                raise InvalidFile(f"{path}: line {line}: conversation.user_id: {exc}") from None
        return self.add_many(org_id, [example.conversation for example in found.examples])

    def update(
        self,
        org_id: str,
        conversation_id: str,
        *,
        status: str | None = None,
        room_name: str | None = None,
        ended_at: datetime | None = None,
        duration_seconds: int | None = None,
        append_turns: Iterable[Turn] = (),
    ) -> Conversation:
        """Change the given fields of a conversation of ``org_id``; turns are appended, never rewritten."""
        cur = self.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            current = self.get(org_id, conversation_id)
            changes: dict[str, Any] = {"turns": [*current.turns, *append_turns]}
            for name, value in (
                ("status", status),
                ("room_name", room_name),
                ("ended_at", ended_at),
                ("duration_seconds", duration_seconds),
            ):
                if value is not None:
                    changes[name] = value
            updated = Conversation.model_validate({**current.model_dump(), **changes})
            cur.execute(
                "UPDATE conversations SET status = ?, room_name = ?, ended_at = ?, duration_seconds = ?, "
                "turns = ? WHERE conv_key = ?",
                [
                    updated.status,
                    updated.room_name,
                    _utc_naive(updated.ended_at),
                    updated.duration_seconds,
                    json.dumps([t.model_dump(mode="json", exclude_none=True) for t in updated.turns]),
                    _key(org_id, conversation_id),
                ],
            )
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        return updated

    def update_status(self, org_id: str, conversation_id: str, status: str) -> Conversation:
        return self.update(org_id, conversation_id, status=status)

    # --- reads ------------------------------------------------------------------------------

    def get(self, org_id: str, conversation_id: str) -> Conversation:
        """The conversation ``conversation_id`` of ``org_id``; another organization's is not found."""
        row = (
            self.cursor()
            .execute(
                f"SELECT {_COLUMNS} FROM conversations WHERE conv_key = ?", [_key(org_id, conversation_id)]
            )
            .fetchone()
        )
        if row is None:
            raise ConversationNotFound(f"conversation {conversation_id!r} not found")
        return self._conversation(row)

    def newest_for_phone(self, org_id: str, phone_number: str) -> Conversation:
        """The newest conversation (by ``created_at``, then id) whose caller is ``phone_number``.

        Raises :class:`InvalidPhoneNumber` for input that is not a phone number and
        :class:`ConversationNotFound` when this organization has no call from it.
        """
        e164 = normalize_phone(phone_number)
        # Two indexed point queries: a filtered ORDER BY ... LIMIT 1 makes DuckDB scan the whole table.
        calls = (
            self.cursor()
            .execute("SELECT created_at, id FROM conversations WHERE caller_key = ?", [_key(org_id, e164)])
            .fetchall()
        )
        if not calls:
            raise ConversationNotFound(f"no conversation found for {e164}")
        _, newest_id = max(calls)
        return self.get(org_id, newest_id)

    def count(self, org_id: str | None = None) -> int:
        if org_id is None:
            row = self.cursor().execute("SELECT count(*) FROM conversations").fetchone()
        else:
            row = (
                self.cursor()
                .execute("SELECT count(*) FROM conversations WHERE org_id = ?", [org_id])
                .fetchone()
            )
        return int(row[0]) if row else 0

    # --- mapping ----------------------------------------------------------------------------

    @staticmethod
    def _row(org_id: str, c: Conversation) -> list[Any]:
        e164 = normalize_phone(c.user_id)
        return [
            _key(org_id, c.id),
            _key(org_id, e164),
            org_id,
            c.id,
            e164,
            c.status,
            _utc_naive(c.created_at),
            _utc_naive(c.ended_at),
            c.room_name,
            c.duration_seconds,
            json.dumps(c.metadata),
            json.dumps([t.model_dump(mode="json", exclude_none=True) for t in c.turns]),
            json.dumps(c.model_extra or {}),
        ]

    @staticmethod
    def _conversation(row: tuple[Any, ...]) -> Conversation:
        id_, user_id, status, created_at, ended_at, room_name, duration, metadata, turns, extra = row
        return Conversation.model_validate(
            {
                **json.loads(extra),
                "id": id_,
                "user_id": user_id,
                "status": status,
                "created_at": created_at.replace(tzinfo=UTC),
                "ended_at": ended_at.replace(tzinfo=UTC) if ended_at else None,
                "room_name": room_name,
                "duration_seconds": duration,
                "metadata": json.loads(metadata),
                "turns": json.loads(turns),
            }
        )
