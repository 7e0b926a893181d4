"""The store: conversations, organizations, users, memberships and API keys; every conversation scoped to one
organization.

One interface (:class:`Store`), two backends, chosen by what ``ASSIST_DB`` names (:func:`open_store`):

- a DuckDB file (or ``:memory:``): :class:`ConversationStore`, the embedded default. One writing process
  at a time, so the service runs one worker and admin commands wait until it stops.
- a ``postgresql://`` URL: :class:`PostgresStore`. Many processes at once: ``assist serve --workers N``,
  and ``assist keys|orgs|users|conversations import`` while the service runs. A server that is down or refuses
  a privilege is :class:`StoreUnavailable`, one line.

Anything else (a libpq ``key=value`` string, a URL that does not parse) is :class:`InvalidLocation`, whose
message never quotes it: it may hold a password.

Opening a store for writing applies its schema migrations (a ``schema_version`` table). Eval runs stay in
DuckDB whatever the store: :func:`connect` is the one way the kit opens a DuckDB file, so a file held by
another writer always gives the same :class:`~assist.errors.StoreLocked` message.
"""

from __future__ import annotations

from pathlib import Path

from assist.store._base import (
    CallRecord,
    InvalidCursor,
    InvalidLocation,
    KeyKind,
    KeyRow,
    Store,
    StoreUnavailable,
    Unstorable,
    check_location,
    display_location,
    is_postgres_url,
    mask_passwords,
)
from assist.store._duckdb import ConversationStore, connect
from assist.store._postgres import DEFAULT_POOL_SIZE, DEFAULT_POOL_TIMEOUT_S, PostgresStore

__all__ = [
    "DEFAULT_POOL_SIZE",
    "DEFAULT_POOL_TIMEOUT_S",
    "CallRecord",
    "ConversationStore",
    "InvalidCursor",
    "InvalidLocation",
    "KeyKind",
    "KeyRow",
    "PostgresStore",
    "Store",
    "StoreUnavailable",
    "Unstorable",
    "check_location",
    "connect",
    "display_location",
    "is_postgres_url",
    "mask_passwords",
    "open_store",
]


def open_store(
    location: str | Path,
    *,
    read_only: bool = False,
    pool_size: int = DEFAULT_POOL_SIZE,
    pool_timeout_s: float = DEFAULT_POOL_TIMEOUT_S,
) -> Store:
    """The store ``location`` names: a ``postgresql://`` (or ``postgres://``) URL, else a DuckDB path.

    ``pool_size`` and ``pool_timeout_s`` are a PostgreSQL store's connection pool: at most that many connections,
    and how long a request waits for one before the store is :class:`StoreUnavailable`.
    """
    if isinstance(location, Path):
        return ConversationStore(location, read_only=read_only)
    check_location(location)
    if is_postgres_url(location):
        return PostgresStore(
            location, read_only=read_only, pool_size=pool_size, pool_timeout_s=pool_timeout_s
        )
    return ConversationStore(location, read_only=read_only)
