"""The server store: PostgreSQL through psycopg 3 and a connection pool, for several processes at once.

Each method is one transaction on a pooled connection. Many processes may read and write together (service
workers, ``assist keys``/``orgs``/``users`` and ``conversations import`` while the service runs); starters
of one schema upgrade are kept apart by an advisory lock.

A server that is down, restarting or refusing a privilege is :class:`~assist.store.StoreUnavailable`, one line
naming it (never its password): the service answers 503, the CLI prints the line. A request waits at most the
pool's timeout for a connection; a connection that sat idle is checked before use, so the dead ones a server
restart leaves behind are dropped rather than handed to a request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from time import monotonic
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import psycopg
from psycopg.types.json import Json
from psycopg_pool import ConnectionPool, PoolTimeout

from assist.errors import ConversationNotFound
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
    StoreUnavailable,
    Unstorable,
    call_record_of,
    changed,
    conversation_of,
    display_location,
    feedback_fields,
    feedback_of,
    fields_of,
    key_fields,
    key_row_of,
    migrate,
)

__all__ = ["DEFAULT_POOL_SIZE", "DEFAULT_POOL_TIMEOUT_S", "PostgresStore"]

T = TypeVar("T")

#: Schema versions: append a migration, never edit one that has shipped.
_MIGRATIONS: tuple[str, ...] = (
    """
    -- COLLATE "C": ids compare by code point, as the DuckDB store's do (the newest call's tie-break by id),
    -- whatever the server's default collation.
    CREATE TABLE conversations (
        org_id            TEXT COLLATE "C" NOT NULL,
        id                TEXT COLLATE "C" NOT NULL,
        user_id           TEXT COLLATE "C" NOT NULL,  -- E.164
        status            TEXT NOT NULL,
        created_at        TIMESTAMP NOT NULL,  -- UTC
        ended_at          TIMESTAMP,           -- UTC
        room_name         TEXT,
        duration_seconds  INTEGER,
        -- json, not jsonb: kept as written (key order, and the \\u0000 escape jsonb refuses)
        metadata          JSON NOT NULL,
        turns             JSON NOT NULL,
        extra             JSON NOT NULL,  -- fields of the interchange format beyond the documented ones
        PRIMARY KEY (org_id, id)
    );
    -- the newest call of a caller is the first entry of its range: one index probe
    CREATE INDEX conversations_newest_by_caller ON conversations (org_id, user_id, created_at DESC, id DESC);
    CREATE INDEX conversations_newest ON conversations (org_id, created_at DESC, id DESC);
    CREATE TABLE orgs (
        id          TEXT COLLATE "C" PRIMARY KEY,
        name        TEXT NOT NULL,
        created_at  TIMESTAMP NOT NULL
    );
    CREATE TABLE users (
        id          TEXT COLLATE "C" PRIMARY KEY,
        name        TEXT NOT NULL,
        created_at  TIMESTAMP NOT NULL
    );
    CREATE TABLE memberships (
        org_id      TEXT COLLATE "C" NOT NULL,
        user_id     TEXT COLLATE "C" NOT NULL,
        created_at  TIMESTAMP NOT NULL,
        PRIMARY KEY (org_id, user_id)
    );
    CREATE TABLE api_keys (
        key_id       TEXT COLLATE "C" PRIMARY KEY,
        kind         TEXT NOT NULL CHECK (kind IN ('org', 'user')),  -- ak_ | pat_
        org_id       TEXT COLLATE "C",  -- set for kind = org
        user_id      TEXT COLLATE "C",  -- set for kind = user
        scopes       TEXT[] NOT NULL,
        secret_hash  TEXT NOT NULL,     -- sha256 hex of the whole secret
        name         TEXT NOT NULL,
        created_at   TIMESTAMP NOT NULL,
        revoked_at   TIMESTAMP
    );
    CREATE INDEX api_keys_by_org ON api_keys (org_id);
    """,
    """
    CREATE TABLE brief_feedback (
        id               TEXT COLLATE "C" PRIMARY KEY,
        org_id           TEXT COLLATE "C" NOT NULL,
        conversation_id  TEXT COLLATE "C" NOT NULL,
        program          TEXT NOT NULL,
        prompt_version   TEXT,
        section          TEXT NOT NULL,
        verdict          TEXT NOT NULL CHECK (verdict IN ('helpful', 'wrong')),
        comment          TEXT,
        created_at       TIMESTAMP NOT NULL  -- UTC
    );
    CREATE INDEX brief_feedback_by_conversation ON brief_feedback (org_id, conversation_id, created_at, id);
    """,
)

#: pg_advisory_xact_lock key of schema upgrades (any constant; "assist" in ASCII).
_MIGRATION_LOCK = 0x617373697374
#: Connections per process at most (ASSIST_DB_POOL_SIZE): every process holds its own pool, so the server's
#: max_connections bounds processes x this. Request threads wait for one when all are busy.
DEFAULT_POOL_SIZE = 10
#: How long a request waits for a pooled connection (ASSIST_DB_POOL_TIMEOUT_SECONDS) before the store is
#: unavailable: while the server is down no connection comes, and a client is better told so at once.
DEFAULT_POOL_TIMEOUT_S = 2.0
_CONNECT_TIMEOUT_S = 10
#: A connection unused this long is checked (an empty query) before a request gets it. A restarted server leaves
#: its old connections dead in the pool, and only idle ones can be dead unnoticed; a busy process reuses each
#: connection well within a second, so the check costs it no round trip.
_CHECK_AFTER_IDLE_S = 1.0
#: The pool retries a failed connection after 1, 2, 4 s... and gives up after this; the next request starts
#: again at once. A server back from an outage is then used within seconds, not after minutes of backoff.
_RECONNECT_GIVE_UP_S = 5.0


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _storable(*values: str | None) -> bool:
    """PostgreSQL text cannot hold NUL, so an id with one names nothing stored (DuckDB's lookup finds nothing)."""
    return not any(value is not None and "\x00" in value for value in values)


def _text_checked(*values: str | None) -> None:
    if not _storable(*values):
        raise Unstorable("text fields (id, status, room_name) cannot contain the NUL character")


class PostgresStore(Store):
    """The store in a PostgreSQL database: ``postgresql://user:password@host:port/database``.

    Opening applies the schema migrations not applied yet (unless ``read_only``); a ``read_only`` store runs
    every transaction read-only on the server.
    """

    def __init__(
        self,
        url: str,
        *,
        read_only: bool = False,
        pool_size: int = DEFAULT_POOL_SIZE,
        pool_timeout_s: float = DEFAULT_POOL_TIMEOUT_S,
    ) -> None:
        self.location = url
        self.read_only = read_only
        self._where = display_location(url)
        self._user = "?"
        #: When each connection was last given back: a connection idle for long is checked before use.
        self._returned: WeakKeyDictionary[psycopg.Connection[Any], float] = WeakKeyDictionary()
        options: dict[str, Any] = {"connect_timeout": _CONNECT_TIMEOUT_S}
        if read_only:
            options["options"] = "-c default_transaction_read_only=on"
        # Autocommit: a one-statement method is one round trip, not BEGIN, statement, COMMIT (three); methods of
        # several statements open their transaction themselves.
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            timeout=pool_timeout_s,
            reconnect_timeout=_RECONNECT_GIVE_UP_S,
            kwargs={**options, "autocommit": True},
            open=False,
            name="assist-store",
        )
        try:
            # One connection first, whatever the mode: a server that cannot be reached is one error here, not a
            # pool retrying (and logging) in the background until its timeout.
            with psycopg.connect(url, **options) as conn:  # commits on leaving the block
                self._user = conn.info.user
                version = _schema_version(conn)
                if read_only and version is None:
                    raise StoreUnavailable(
                        f"{self._where} holds no store yet: a command that writes creates it "
                        "(assist orgs create, assist conversations import)"
                    )
                # Up to date: nothing to create, so a user without CREATE (or with SELECT only) may use it.
                if not read_only and version != len(_MIGRATIONS):
                    # N workers start at once: one upgrades the schema, the others then find it done
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", [_MIGRATION_LOCK])
                    migrate(lambda sql: _rows(conn.execute(sql)), _MIGRATIONS, location=url)
            self._pool.open(wait=True, timeout=_CONNECT_TIMEOUT_S)
        except psycopg.errors.InsufficientPrivilege as exc:
            self._pool.close()
            raise StoreUnavailable(
                f"cannot create the store's tables in {self._where}: {_first_line(exc)}; user {self._user!r} must "
                f"own the database, or have CREATE on its schema public (GRANT CREATE ON SCHEMA public TO "
                f"{self._user})"
            ) from None
        except psycopg.OperationalError as exc:
            self._pool.close()
            raise StoreUnavailable(f"cannot use PostgreSQL at {self._where}: {_first_line(exc)}") from None
        except BaseException:
            self._pool.close()
            raise

    def close(self) -> None:
        self._pool.close()

    def ping(self) -> None:
        self._one("SELECT 1", [])

    def _one(self, sql: str, params: list[Any]) -> tuple[Any, ...] | None:
        return self._run(lambda conn: conn.execute(sql, params).fetchone(), read=True)

    def _all(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        return self._run(lambda conn: conn.execute(sql, params).fetchall(), read=True)

    def _changes(self, sql: str, params: list[Any]) -> bool:
        """Run an INSERT or UPDATE; whether it changed a row."""
        return self._run(lambda conn: conn.execute(sql, params).rowcount > 0, read=False)

    def _run(self, work: Callable[[psycopg.Connection[Any]], T], *, read: bool) -> T:
        """``work`` on a pooled connection: every statement of this store runs here.

        When the connection breaks (the server restarted or dropped it), the pool's other idle connections are
        checked at once, and a read runs again on one that works; a write does not, as it may have been done
        before the connection broke. What is still wrong is :class:`StoreUnavailable`, by :meth:`_reported`.
        """
        with self._reported():
            try:
                with self._connection() as conn:
                    return work(conn)
            except PoolTimeout:
                raise
            except psycopg.OperationalError:
                self._pool.check()
                if not read:
                    raise
            with self._connection() as conn:
                return work(conn)

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection, checked first when it sat idle (a restarted server's old ones are dead)."""
        conn = self._pool.getconn()
        try:
            if monotonic() - self._returned.get(conn, 0.0) >= _CHECK_AFTER_IDLE_S:
                ConnectionPool.check_connection(conn)
        except psycopg.Error:
            # Dead: the pool drops it and connects anew, and drops the other dead ones now too, rather than hand
            # each to a request (psycopg_pool's own ``check`` option would sleep a second between two of them).
            self._pool.putconn(conn)
            self._pool.check()
            conn = self._pool.getconn()
        except BaseException:
            self._pool.putconn(conn)
            raise
        try:
            yield conn
        finally:
            self._returned[conn] = monotonic()
            self._pool.putconn(conn)

    @contextmanager
    def _reported(self) -> Iterator[None]:
        """The database's operational failures as :class:`StoreUnavailable`: one line naming the server."""
        try:
            yield
        except PoolTimeout:
            raise StoreUnavailable(
                f"PostgreSQL at {self._where} gave no connection within {self._pool.timeout:g} s: the server is "
                f"down or restarting, or all {self._pool.max_size} of this process's connections stayed busy "
                "(ASSIST_DB_POOL_TIMEOUT_SECONDS, ASSIST_DB_POOL_SIZE)"
            ) from None
        except psycopg.errors.InsufficientPrivilege as exc:
            raise StoreUnavailable(
                f"PostgreSQL user {self._user!r} lacks a privilege the store needs in {self._where}: "
                f"{_first_line(exc)} (it needs SELECT, INSERT and UPDATE on the store's tables: use the user "
                "that owns the database, or grant them)"
            ) from None
        except (psycopg.OperationalError, psycopg.errors.ReadOnlySqlTransaction) as exc:
            raise StoreUnavailable(f"PostgreSQL at {self._where} failed: {_first_line(exc)}") from None

    # --- conversations ----------------------------------------------------------------------------

    def add_many(self, org_id: str, conversations: Iterable[Conversation]) -> int:
        rows = [_row(org_id, conversation) for conversation in conversations]

        def write(conn: psycopg.Connection[Any]) -> None:
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO conversations (org_id, {COLUMNS}) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (org_id, id) DO UPDATE SET "
                    + ", ".join(f"{name} = excluded.{name}" for name in COLUMNS.split(", ")[1:]),
                    rows,
                )

        if rows:
            self._run(write, read=False)
        return len(rows)

    def _insert_new(self, org_id: str, conversation: Conversation) -> bool:
        return self._changes(
            f"INSERT INTO conversations (org_id, {COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (org_id, id) DO NOTHING",
            _row(org_id, conversation),
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
        if not _storable(org_id, conversation_id):
            raise ConversationNotFound(f"conversation {conversation_id!r} not found")

        def write(conn: psycopg.Connection[Any]) -> Conversation:
            with conn.transaction():
                # FOR UPDATE: two workers appending turns to one call at once must not lose either's turns
                row = conn.execute(
                    f"SELECT {COLUMNS} FROM conversations WHERE org_id = %s AND id = %s FOR UPDATE",
                    [org_id, conversation_id],
                ).fetchone()
                if row is None:
                    raise ConversationNotFound(f"conversation {conversation_id!r} not found")
                updated = changed(
                    conversation_of(row),
                    status=status,
                    room_name=room_name,
                    ended_at=ended_at,
                    duration_seconds=duration_seconds,
                    append_turns=append_turns,
                )
                _, _, status_, _, ended, room, duration, _, turns, _ = fields_of(updated)
                _text_checked(status_, room)
                conn.execute(
                    "UPDATE conversations SET status = %s, room_name = %s, ended_at = %s, duration_seconds = %s, "
                    "turns = %s WHERE org_id = %s AND id = %s",
                    [status_, room, ended, duration, Json(turns), org_id, conversation_id],
                )
            return updated

        return self._run(write, read=False)

    def get(self, org_id: str, conversation_id: str) -> Conversation:
        row = None
        if _storable(org_id, conversation_id):
            row = self._one(
                f"SELECT {COLUMNS} FROM conversations WHERE org_id = %s AND id = %s",
                [org_id, conversation_id],
            )
        if row is None:
            raise ConversationNotFound(f"conversation {conversation_id!r} not found")
        return conversation_of(row)

    def call(self, org_id: str, conversation_id: str) -> CallRecord:
        row = None
        if _storable(org_id, conversation_id):
            row = self._one(
                f"SELECT {CALL_COLUMNS}, json_array_length(turns) FROM conversations WHERE org_id = %s AND id = %s",
                [org_id, conversation_id],
            )
        if row is None:
            raise ConversationNotFound(f"conversation {conversation_id!r} not found")
        return call_record_of(row)

    def _newest_for_caller(self, org_id: str, e164: str) -> Conversation:
        row = None
        if _storable(org_id):
            row = self._one(
                f"SELECT {COLUMNS} FROM conversations WHERE org_id = %s AND user_id = %s "
                "ORDER BY created_at DESC, id DESC LIMIT 1",
                [org_id, e164],
            )
        if row is None:
            raise ConversationNotFound(f"no conversation found for {e164}")
        return conversation_of(row)

    def _calls_for_caller(
        self, org_id: str, e164: str, *, limit: int, before: tuple[datetime, str] | None
    ) -> list[CallRecord]:
        if not _storable(org_id, before[1] if before else None):
            return []
        # A range of the (org_id, user_id, created_at DESC, id DESC) index, from ``before`` on.
        params: list[Any] = [org_id, e164]
        older = ""
        if before is not None:
            older = " AND (created_at, id) < (%s, %s)"
            params += before
        rows = self._all(
            f"SELECT {CALL_COLUMNS}, json_array_length(turns) FROM conversations WHERE org_id = %s AND user_id = %s"
            f"{older} ORDER BY created_at DESC, id DESC LIMIT %s",
            [*params, limit],
        )
        return [call_record_of(row) for row in rows]

    def add_feedback(self, org_id: str, feedback: Feedback) -> None:
        if not (
            _storable(org_id, feedback.conversation_id)
            and self._changes(
                f"INSERT INTO brief_feedback (org_id, {FEEDBACK_COLUMNS}) "
                "SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s "
                "WHERE EXISTS (SELECT 1 FROM conversations WHERE org_id = %s AND id = %s)",
                [org_id, *feedback_fields(feedback), org_id, feedback.conversation_id],
            )
        ):
            raise ConversationNotFound(f"conversation {feedback.conversation_id!r} not found")

    def list_feedback(self, org_id: str, *, conversation_id: str | None = None) -> list[Feedback]:
        if not _storable(org_id, conversation_id):
            return []
        where, params = "org_id = %s", [org_id]
        if conversation_id is not None:
            where, params = "org_id = %s AND conversation_id = %s", [org_id, conversation_id]
        rows = self._all(
            f"SELECT {FEEDBACK_COLUMNS} FROM brief_feedback WHERE {where} ORDER BY created_at, id", params
        )
        return [feedback_of(row) for row in rows]

    def list_conversations(self, org_id: str, *, limit: int = 100, offset: int = 0) -> list[Conversation]:
        rows = self._all(
            f"SELECT {COLUMNS} FROM conversations WHERE org_id = %s "
            "ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s",
            [org_id, limit, offset],
        )
        return [conversation_of(row) for row in rows]

    def count(self, org_id: str | None = None) -> int:
        if org_id is None:
            row = self._one("SELECT count(*) FROM conversations", [])
        else:
            row = self._one("SELECT count(*) FROM conversations WHERE org_id = %s", [org_id])
        return int(row[0]) if row else 0

    # --- organizations, users, memberships, keys ---------------------------------------------------

    def org_exists(self, org_id: str) -> bool:
        return _storable(org_id) and self._one("SELECT 1 FROM orgs WHERE id = %s", [org_id]) is not None

    def user_exists(self, user_id: str) -> bool:
        return _storable(user_id) and self._one("SELECT 1 FROM users WHERE id = %s", [user_id]) is not None

    def insert_org(self, org_id: str, *, name: str) -> bool:
        return self._changes(
            "INSERT INTO orgs VALUES (%s, %s, %s) ON CONFLICT (id) DO NOTHING", [org_id, name, _now()]
        )

    def insert_user(self, user_id: str, *, name: str) -> bool:
        return self._changes(
            "INSERT INTO users VALUES (%s, %s, %s) ON CONFLICT (id) DO NOTHING", [user_id, name, _now()]
        )

    def add_membership(self, org_id: str, user_id: str) -> None:
        self._changes(
            "INSERT INTO memberships VALUES (%s, %s, %s) ON CONFLICT (org_id, user_id) DO NOTHING",
            [org_id, user_id, _now()],
        )

    def is_member(self, org_id: str, user_id: str) -> bool:
        return (
            _storable(org_id, user_id)
            and self._one("SELECT 1 FROM memberships WHERE org_id = %s AND user_id = %s", [org_id, user_id])
            is not None
        )

    def insert_key(self, key: KeyRow) -> None:
        self._changes(
            f"INSERT INTO api_keys ({KEY_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            key_fields(key),
        )

    def find_key(self, key_id: str) -> KeyRow | None:
        row = self._one(f"SELECT {KEY_COLUMNS} FROM api_keys WHERE key_id = %s", [key_id])
        return None if row is None else key_row_of(row)

    def revoke_key(self, key_id: str) -> bool:
        return self._changes(
            "UPDATE api_keys SET revoked_at = coalesce(revoked_at, %s) WHERE key_id = %s", [_now(), key_id]
        )

    def list_keys(self, *, org_id: str | None = None) -> list[KeyRow]:
        sql = f"SELECT {KEY_COLUMNS} FROM api_keys"
        params: list[Any] = []
        if org_id is not None:
            sql += " WHERE org_id = %s OR user_id IN (SELECT user_id FROM memberships WHERE org_id = %s)"
            params = [org_id, org_id]
        rows = self._all(sql + " ORDER BY created_at, key_id", params)
        return [key_row_of(row) for row in rows]


def _row(org_id: str, conversation: Conversation) -> list[Any]:
    id_, e164, status, created, ended, room, duration, metadata, turns, extra = fields_of(conversation)
    _text_checked(id_, status, room)
    return [
        org_id,
        id_,
        e164,
        status,
        created,
        ended,
        room,
        duration,
        Json(metadata),
        Json(turns),
        Json(extra),
    ]


def _rows(cursor: psycopg.Cursor[Any]) -> list[tuple[Any, ...]]:
    """The rows of a statement that returns some; none for DDL."""
    return cursor.fetchall() if cursor.description is not None else []


def _schema_version(conn: psycopg.Connection[Any]) -> int | None:
    """The store's schema version in this database; None when it holds no store (no ``schema_version`` table)."""
    if _rows(conn.execute("SELECT to_regclass('schema_version')")) == [(None,)]:
        return None
    rows = _rows(conn.execute("SELECT max(version) FROM schema_version"))
    return int(rows[0][0] or 0)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
