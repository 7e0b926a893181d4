"""The embedded store: DuckDB, one file (or ``:memory:``); one writing process at a time."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from assist.errors import ConversationNotFound, StoreLocked
from assist.feedback import Feedback
from assist.schema import Conversation, Turn
from assist.store._base import (
    CALL_COLUMNS,
    COLUMNS,
    FEEDBACK_COLUMNS,
    KEY_COLUMNS,
    CallRecord,
    KeyRow,
    Store,
    call_record_of,
    changed,
    conversation_of,
    feedback_fields,
    feedback_of,
    fields_of,
    key_fields,
    key_row_of,
    migrate,
)

__all__ = ["ConversationStore", "connect"]

T = TypeVar("T")

#: Schema versions: append a migration, never edit one that has shipped. Version 1 is the schema of the kit
#: before versioning; its ``IF NOT EXISTS`` lets files made then take it on as they are.
_MIGRATIONS: tuple[str, ...] = (
    """
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
    CREATE TABLE IF NOT EXISTS orgs (
        id          VARCHAR PRIMARY KEY,
        name        VARCHAR NOT NULL,
        created_at  TIMESTAMP NOT NULL
    );
    CREATE TABLE IF NOT EXISTS users (
        id          VARCHAR PRIMARY KEY,
        name        VARCHAR NOT NULL,
        created_at  TIMESTAMP NOT NULL
    );
    CREATE TABLE IF NOT EXISTS memberships (
        org_id      VARCHAR NOT NULL,
        user_id     VARCHAR NOT NULL,
        created_at  TIMESTAMP NOT NULL,
        PRIMARY KEY (org_id, user_id)
    );
    CREATE TABLE IF NOT EXISTS api_keys (
        key_id       VARCHAR PRIMARY KEY,
        kind         VARCHAR NOT NULL,      -- org (ak_) | user (pat_)
        org_id       VARCHAR,               -- set for kind = org
        user_id      VARCHAR,               -- set for kind = user
        scopes       VARCHAR[] NOT NULL,
        secret_hash  VARCHAR NOT NULL,      -- sha256 hex of the whole secret
        name         VARCHAR NOT NULL,
        created_at   TIMESTAMP NOT NULL,
        revoked_at   TIMESTAMP
    );
    """,
    """
    CREATE TABLE IF NOT EXISTS brief_feedback (
        id               VARCHAR PRIMARY KEY,
        conv_key         VARCHAR NOT NULL,  -- org_id, US, conversation_id: a single-column key, as above
        org_id           VARCHAR NOT NULL,
        conversation_id  VARCHAR NOT NULL,
        program          VARCHAR NOT NULL,
        prompt_version   VARCHAR,
        section          VARCHAR NOT NULL,
        verdict          VARCHAR NOT NULL,  -- helpful | wrong
        comment          VARCHAR,
        created_at       TIMESTAMP NOT NULL  -- UTC
    );
    CREATE INDEX IF NOT EXISTS brief_feedback_by_conversation ON brief_feedback (conv_key);
    """,
)

#: ASCII unit separator: cannot occur in an organization id, so keys of two organizations never collide.
_SEP = "\x1f"


def connect(path: str | Path = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB database, turning "another process holds the lock" into :class:`StoreLocked`.

    The one way the kit opens DuckDB (the eval harness's run database too), so the message is always the same.
    """
    target = str(path)
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(target, read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StoreLocked(
                f"{target} is open for writing in another process; stop that process "
                "(DuckDB allows one writing process, or many read-only ones; a store on PostgreSQL lets "
                "the service and the admin commands run together)"
            ) from None
        raise
    except duckdb.ConnectionException as exc:
        if "different configuration" in str(exc):
            raise StoreLocked(
                f"{target} is already open in this process in {'read-write' if read_only else 'read-only'} mode; "
                "reuse that store instead of opening a second one"
            ) from None
        raise


def _key(org_id: str, value: str) -> str:
    if not org_id or _SEP in org_id:
        raise ValueError("an organization id must be non-empty, without control characters")
    return f"{org_id}{_SEP}{value}"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class ConversationStore(Store):
    """The store in one DuckDB database: the embedded default.

    Thread-safe: each thread gets its own cursor on the shared connection. Across processes DuckDB allows
    one writer or many ``read_only`` readers; a second writer gets :class:`StoreLocked`.
    """

    def __init__(self, path: str | Path = ":memory:", *, read_only: bool = False) -> None:
        self.location = str(path)
        self.read_only = read_only
        self._con = connect(path, read_only=read_only)
        self._local = threading.local()
        if not read_only:
            self._in_transaction(
                lambda cur: migrate(
                    lambda sql: cur.execute(sql).fetchall(), _MIGRATIONS, location=self.location
                )
            )

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor (DuckDB connections must not be shared between threads).

        DuckDB only, for analytics SQL over the tables (notebooks, benchmarks); the kit itself uses methods.
        """
        cur: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._con.cursor()
            self._local.cursor = cur
        return cur

    def close(self) -> None:
        self._con.close()

    def ping(self) -> None:
        self.cursor().execute("SELECT 1").fetchone()

    def _in_transaction(self, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        cur = self.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            result = work(cur)
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        return result

    # --- conversations ----------------------------------------------------------------------------

    def add_many(self, org_id: str, conversations: Iterable[Conversation]) -> int:
        rows = [self._row(org_id, conversation) for conversation in conversations]
        if rows:
            self._in_transaction(
                lambda cur: cur.executemany(
                    f"INSERT OR REPLACE INTO conversations (conv_key, caller_key, org_id, {COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
            )
        return len(rows)

    def _insert_new(self, org_id: str, conversation: Conversation) -> bool:
        return self._changes(
            f"INSERT OR IGNORE INTO conversations (conv_key, caller_key, org_id, {COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self._row(org_id, conversation),
        )

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
        def write(cur: duckdb.DuckDBPyConnection) -> Conversation:
            updated = changed(
                self.get(org_id, conversation_id),
                status=status,
                room_name=room_name,
                ended_at=ended_at,
                duration_seconds=duration_seconds,
                append_turns=append_turns,
            )
            _, _, status_, _, ended, room, duration, _, turns, _ = fields_of(updated)
            cur.execute(
                "UPDATE conversations SET status = ?, room_name = ?, ended_at = ?, duration_seconds = ?, "
                "turns = ? WHERE conv_key = ?",
                [status_, room, ended, duration, json.dumps(turns), _key(org_id, conversation_id)],
            )
            return updated

        return self._in_transaction(write)

    def get(self, org_id: str, conversation_id: str) -> Conversation:
        row = (
            self.cursor()
            .execute(
                f"SELECT {COLUMNS} FROM conversations WHERE conv_key = ?", [_key(org_id, conversation_id)]
            )
            .fetchone()
        )
        if row is None:
            raise ConversationNotFound(f"conversation {conversation_id!r} not found")
        return conversation_of(row, decode=json.loads)

    def call(self, org_id: str, conversation_id: str) -> CallRecord:
        row = (
            self.cursor()
            .execute(
                f"SELECT {CALL_COLUMNS}, json_array_length(turns) FROM conversations WHERE conv_key = ?",
                [_key(org_id, conversation_id)],
            )
            .fetchone()
        )
        if row is None:
            raise ConversationNotFound(f"conversation {conversation_id!r} not found")
        return call_record_of(row, decode=json.loads)

    def _newest_for_caller(self, org_id: str, e164: str) -> Conversation:
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

    def _calls_for_caller(
        self, org_id: str, e164: str, *, limit: int, before: tuple[datetime, str] | None
    ) -> list[CallRecord]:
        # One indexed lookup of the caller's rows, ordered and cut here: a filtered ORDER BY ... LIMIT makes DuckDB
        # scan the whole table (see _newest_for_caller). A caller has tens of calls, not millions.
        rows = (
            self.cursor()
            .execute(
                f"SELECT {CALL_COLUMNS}, json_array_length(turns) FROM conversations WHERE caller_key = ?",
                [_key(org_id, e164)],
            )
            .fetchall()
        )
        rows.sort(key=lambda row: (row[3], row[0]), reverse=True)
        older = [row for row in rows if before is None or (row[3], row[0]) < before]
        return [call_record_of(row, decode=json.loads) for row in older[:limit]]

    def add_feedback(self, org_id: str, feedback: Feedback) -> None:
        conversation = _key(org_id, feedback.conversation_id)
        if not self._changes(
            f"INSERT INTO brief_feedback (conv_key, org_id, {FEEDBACK_COLUMNS}) "
            "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM conversations WHERE conv_key = ?)",
            [conversation, org_id, *feedback_fields(feedback), conversation],
        ):
            raise ConversationNotFound(f"conversation {feedback.conversation_id!r} not found")

    def list_feedback(self, org_id: str, *, conversation_id: str | None = None) -> list[Feedback]:
        if conversation_id is None:
            where, params = "org_id = ?", [org_id]
        else:
            where, params = "conv_key = ?", [_key(org_id, conversation_id)]
        rows = (
            self.cursor()
            .execute(
                f"SELECT {FEEDBACK_COLUMNS} FROM brief_feedback WHERE {where} ORDER BY created_at, id", params
            )
            .fetchall()
        )
        return [feedback_of(row) for row in rows]

    def list_conversations(self, org_id: str, *, limit: int = 100, offset: int = 0) -> list[Conversation]:
        rows = (
            self.cursor()
            .execute(
                f"SELECT {COLUMNS} FROM conversations WHERE org_id = ? "
                "ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                [org_id, limit, offset],
            )
            .fetchall()
        )
        return [conversation_of(row, decode=json.loads) for row in rows]

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

    @staticmethod
    def _row(org_id: str, conversation: Conversation) -> list[Any]:
        id_, e164, status, created, ended, room, duration, metadata, turns, extra = fields_of(conversation)
        return [
            _key(org_id, id_),
            _key(org_id, e164),
            org_id,
            id_,
            e164,
            status,
            created,
            ended,
            room,
            duration,
            json.dumps(metadata),
            json.dumps(turns),
            json.dumps(extra),
        ]

    # --- organizations, users, memberships, keys ---------------------------------------------------

    def org_exists(self, org_id: str) -> bool:
        return self.cursor().execute("SELECT 1 FROM orgs WHERE id = ?", [org_id]).fetchone() is not None

    def user_exists(self, user_id: str) -> bool:
        return self.cursor().execute("SELECT 1 FROM users WHERE id = ?", [user_id]).fetchone() is not None

    def insert_org(self, org_id: str, *, name: str) -> bool:
        return self._changes("INSERT OR IGNORE INTO orgs VALUES (?, ?, ?)", [org_id, name, _now()])

    def insert_user(self, user_id: str, *, name: str) -> bool:
        return self._changes("INSERT OR IGNORE INTO users VALUES (?, ?, ?)", [user_id, name, _now()])

    def add_membership(self, org_id: str, user_id: str) -> None:
        self._changes("INSERT OR IGNORE INTO memberships VALUES (?, ?, ?)", [org_id, user_id, _now()])

    def is_member(self, org_id: str, user_id: str) -> bool:
        row = (
            self.cursor()
            .execute("SELECT 1 FROM memberships WHERE org_id = ? AND user_id = ?", [org_id, user_id])
            .fetchone()
        )
        return row is not None

    def insert_key(self, key: KeyRow) -> None:
        self.cursor().execute(
            f"INSERT INTO api_keys ({KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            key_fields(key),
        )

    def find_key(self, key_id: str) -> KeyRow | None:
        row = (
            self.cursor().execute(f"SELECT {KEY_COLUMNS} FROM api_keys WHERE key_id = ?", [key_id]).fetchone()
        )
        return None if row is None else key_row_of(row)

    def revoke_key(self, key_id: str) -> bool:
        return self._changes(
            "UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE key_id = ?", [_now(), key_id]
        )

    def list_keys(self, *, org_id: str | None = None) -> list[KeyRow]:
        sql = f"SELECT {KEY_COLUMNS} FROM api_keys"
        params: list[str] = []
        if org_id is not None:
            sql += " WHERE org_id = ? OR user_id IN (SELECT user_id FROM memberships WHERE org_id = ?)"
            params = [org_id, org_id]
        rows = self.cursor().execute(sql + " ORDER BY created_at, key_id", params).fetchall()
        return [key_row_of(row) for row in rows]

    def _changes(self, sql: str, params: list[Any]) -> bool:
        """Run an INSERT or UPDATE; whether it changed a row (DuckDB answers with the count)."""
        row = self.cursor().execute(sql, params).fetchone()
        return bool(row and row[0])
