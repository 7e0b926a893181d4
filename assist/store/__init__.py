"""The store: conversations, organizations, users, memberships and API keys; every conversation scoped to one
organization.

One interface (:class:`Store`), two backends, chosen by what ``ASSIST_DB`` names (:func:`open_store`):

- a DuckDB file (or ``:memory:``): :class:`ConversationStore`, the embedded default. One writing process
  at a time, so the service runs one worker and admin commands wait until it stops.
- a ``postgresql://`` URL: :class:`PostgresStore`. Many processes at once: ``assist serve --workers N``,
  and ``assist keys|orgs|users|conversations import`` while the service runs.

Opening a store for writing applies its schema migrations (a ``schema_version`` table). Eval runs stay in
DuckDB whatever the store: :func:`connect` is the one way the kit opens a DuckDB file, so a file held by
another writer always gives the same :class:`~assist.errors.StoreLocked` message.
"""

from __future__ import annotations

from pathlib import Path

from assist.store._base import (
    CallRecord,
    InvalidCursor,
    KeyKind,
    KeyRow,
    Store,
    StoreUnavailable,
    Unstorable,
    display_location,
    is_postgres_url,
)
from assist.store._duckdb import ConversationStore, connect
from assist.store._postgres import PostgresStore

__all__ = [
    "CallRecord",
    "ConversationStore",
    "InvalidCursor",
    "KeyKind",
    "KeyRow",
    "PostgresStore",
    "Store",
    "StoreUnavailable",
    "Unstorable",
    "connect",
    "display_location",
    "is_postgres_url",
    "open_store",
]


def open_store(location: str | Path, *, read_only: bool = False) -> Store:
    """The store ``location`` names: a ``postgresql://`` (or ``postgres://``) URL, else a DuckDB path."""
    if isinstance(location, str) and is_postgres_url(location):
        return PostgresStore(location, read_only=read_only)
    return ConversationStore(location, read_only=read_only)
