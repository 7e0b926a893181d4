"""Who is calling: organizations, users, memberships and API secrets, in the same DuckDB file as the store.

Two kinds of secret (``docs/api.md``): organization keys ``ak_…`` carry their organization; user
personal access tokens ``pat_…`` must name one with ``X-Anyreach-Org`` and be a member of it. A secret is
``<prefix>_<key id>_<random>``: the key id is not secret and finds the row; only the SHA-256 of the whole
secret is stored (the random part has 256 bits, so a slow password hash would add nothing) and it is
compared with :func:`hmac.compare_digest`. The organization of a request always comes from the key or from
a checked membership, never from the header alone.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from datetime import UTC, datetime
from typing import Any, Literal, get_args

import duckdb
from pydantic import BaseModel, ConfigDict

from assist.errors import AssistError

__all__ = [
    "BRIEF_SCOPES",
    "INGEST_SCOPES",
    "LISTEN_SCOPES",
    "READ_SCOPES",
    "SCOPES",
    "AuthStore",
    "Caller",
    "Forbidden",
    "KeyInfo",
    "OrgHeaderRequired",
    "Scope",
    "Unauthenticated",
    "parse_scopes",
]

Scope = Literal["conversations:read", "conversations:read_sensitive", "conversations:manage"]
KeyKind = Literal["org", "user"]
SCOPES: tuple[Scope, ...] = get_args(Scope)

#: Any one of these is enough. The brief exposes the full transcript, so plain read is not.
READ_SCOPES: tuple[Scope, ...] = (
    "conversations:read",
    "conversations:read_sensitive",
    "conversations:manage",
)
LISTEN_SCOPES: tuple[Scope, ...] = ("conversations:read_sensitive", "conversations:manage")
BRIEF_SCOPES: tuple[Scope, ...] = ("conversations:read_sensitive",)
INGEST_SCOPES: tuple[Scope, ...] = ("conversations:manage",)

_PREFIXES: dict[str, KeyKind] = {"ak": "org", "pat": "user"}
_KEY_ID_CHARS = 12  # hex: 48 bits, enough to never collide in practice; collisions are rejected anyway
_ID_MAX = 128

_SCHEMA = """
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
"""


class Unauthenticated(AssistError):
    """No secret, or one that is unknown, malformed or revoked (401)."""


class OrgHeaderRequired(AssistError):
    """A personal access token was sent without ``X-Anyreach-Org`` (400)."""


class Forbidden(AssistError):
    """Authenticated, but not allowed: wrong organization or a missing scope (403)."""


class Caller(BaseModel):
    """The authenticated side of a request. ``org_id`` is the only organization it may touch."""

    model_config = ConfigDict(frozen=True)

    org_id: str
    key_id: str
    kind: KeyKind
    user_id: str | None
    scopes: frozenset[Scope]

    def require(self, any_of: tuple[Scope, ...]) -> None:
        """Raise :class:`Forbidden` unless this caller holds at least one of ``any_of``."""
        if self.scopes.isdisjoint(any_of):
            raise Forbidden(f"this key lacks the scope {' or '.join(any_of)}")


class KeyInfo(BaseModel):
    """A key as listed: everything except the secret, which is never stored."""

    key_id: str
    kind: KeyKind
    org_id: str | None
    user_id: str | None
    scopes: list[str]
    name: str
    created_at: datetime
    revoked_at: datetime | None


def parse_scopes(text: str) -> tuple[Scope, ...]:
    """``"a,b"`` to a tuple of known scopes; an unknown name is a ``ValueError`` listing the valid ones."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise ValueError(f"give at least one scope: {', '.join(SCOPES)}")
    unknown = [name for name in names if name not in SCOPES]
    if unknown:
        raise ValueError(f"unknown scope {', '.join(unknown)}: use {', '.join(SCOPES)}")
    return tuple(dict.fromkeys(name for name in names if name in SCOPES))


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _check_id(kind: str, value: str) -> str:
    value = value.strip()
    if not value or len(value) > _ID_MAX or any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ValueError(f"{kind} id must be 1-{_ID_MAX} printable characters without spaces, got {value!r}")
    return value


#: Compared against when the key id is unknown, so an unknown id costs the same as a wrong secret.
_NO_SUCH_HASH = _hash("no such key")


class AuthStore:
    """Organizations, users, memberships and keys on a DuckDB connection (usually the conversation store's).

    Thread-safe like the store: one cursor per thread on the shared connection.
    """

    def __init__(
        self, connection: duckdb.DuckDBPyConnection, *, read_only: bool = False, cache_seconds: float = 10.0
    ) -> None:
        self._con = connection
        self._local = threading.local()
        # Found keys and memberships are remembered briefly: every API request authenticates, and a DuckDB
        # point query costs more than the rest of a token request. DuckDB's single writer means another
        # process cannot revoke while the service holds the file; revocations in this process clear it.
        self._cache_seconds = cache_seconds
        self._cache: dict[tuple[str, str], tuple[float, tuple[Any, ...]]] = {}
        self._cache_lock = threading.Lock()
        if not read_only:
            self._con.execute(_SCHEMA)

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cur: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._con.cursor()
            self._local.cursor = cur
        return cur

    # --- organizations and users ---------------------------------------------------------------

    def create_org(self, org_id: str, *, name: str | None = None) -> str:
        org_id = _check_id("organization", org_id)
        if self._exists("orgs", org_id):
            raise ValueError(f"organization {org_id!r} already exists")
        self._cursor().execute("INSERT INTO orgs VALUES (?, ?, ?)", [org_id, name or org_id, _now()])
        return org_id

    def create_user(self, user_id: str, *, name: str | None = None) -> str:
        user_id = _check_id("user", user_id)
        if self._exists("users", user_id):
            raise ValueError(f"user {user_id!r} already exists")
        self._cursor().execute("INSERT INTO users VALUES (?, ?, ?)", [user_id, name or user_id, _now()])
        return user_id

    def add_member(self, org_id: str, user_id: str) -> None:
        self._need("orgs", org_id, "organization")
        self._need("users", user_id, "user")
        self._cursor().execute(
            "INSERT OR IGNORE INTO memberships VALUES (?, ?, ?)", [org_id, user_id, _now()]
        )

    def is_member(self, org_id: str, user_id: str) -> bool:
        return (
            self._cached(
                ("member", f"{org_id}\0{user_id}"),
                "SELECT 1 FROM memberships WHERE org_id = ? AND user_id = ?",
                [org_id, user_id],
            )
            is not None
        )

    # --- keys ------------------------------------------------------------------------------------

    def create_key(
        self,
        *,
        scopes: tuple[Scope, ...],
        org_id: str | None = None,
        user_id: str | None = None,
        name: str = "",
    ) -> tuple[str, str]:
        """Create an ``ak_`` key (``org_id``) or a ``pat_`` token (``user_id``). Returns ``(key_id, secret)``.

        The secret is returned once and stored only as a hash.
        """
        if (org_id is None) == (user_id is None):
            raise ValueError("a key belongs to exactly one of an organization (--org) or a user (--user)")
        if not scopes or any(scope not in SCOPES for scope in scopes):
            raise ValueError(f"scopes must be a non-empty subset of {', '.join(SCOPES)}")
        if org_id is not None:
            self._need("orgs", org_id, "organization")
            prefix, kind = "ak", "org"
        else:
            assert user_id is not None
            self._need("users", user_id, "user")
            prefix, kind = "pat", "user"
        key_id = secrets.token_hex(_KEY_ID_CHARS // 2)
        secret = f"{prefix}_{key_id}_{secrets.token_urlsafe(32)}"
        self._cursor().execute(
            "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            [key_id, kind, org_id, user_id, list(scopes), _hash(secret), name, _now()],
        )
        return key_id, secret

    def revoke_key(self, key_id: str) -> None:
        """Revoke by key id (the part after the prefix) or by the full secret."""
        looks_like_secret = "_" in key_id
        key_id = self._key_id_of(key_id) or key_id
        row = self._cursor().execute("SELECT revoked_at FROM api_keys WHERE key_id = ?", [key_id]).fetchone()
        if row is None:
            # never echo what may be a secret
            raise ValueError("no such key" if looks_like_secret else f"no key {key_id!r}")
        if row[0] is None:
            self._cursor().execute("UPDATE api_keys SET revoked_at = ? WHERE key_id = ?", [_now(), key_id])
        with self._cache_lock:
            self._cache.clear()

    def list_keys(self, *, org_id: str | None = None) -> list[KeyInfo]:
        """Keys of ``org_id`` (its ``ak_`` keys and its members' tokens), or all keys."""
        sql = "SELECT key_id, kind, org_id, user_id, scopes, name, created_at, revoked_at FROM api_keys"
        params: list[str] = []
        if org_id is not None:
            sql += " WHERE org_id = ? OR user_id IN (SELECT user_id FROM memberships WHERE org_id = ?)"
            params = [org_id, org_id]
        rows = self._cursor().execute(sql + " ORDER BY created_at, key_id", params).fetchall()
        fields = ("key_id", "kind", "org_id", "user_id", "scopes", "name", "created_at", "revoked_at")
        return [KeyInfo.model_validate(dict(zip(fields, row, strict=True))) for row in rows]

    # --- the request path ------------------------------------------------------------------------

    def authenticate(self, authorization: str | None, org_header: str | None) -> Caller:
        """Resolve ``Authorization: Bearer <secret>`` plus optional ``X-Anyreach-Org`` to a :class:`Caller`.

        Raises :class:`Unauthenticated` (401), :class:`OrgHeaderRequired` (400) or :class:`Forbidden` (403)
        exactly as ``docs/api.md`` orders them.
        """
        secret = _bearer(authorization)
        key_id = self._key_id_of(secret)
        row = None
        if key_id is not None:
            row = self._cached(
                ("key", key_id),
                "SELECT kind, org_id, user_id, scopes, secret_hash, revoked_at FROM api_keys WHERE key_id = ?",
                [key_id],
            )
        stored_hash = row[4] if row is not None else _NO_SUCH_HASH
        if not hmac.compare_digest(_hash(secret), stored_hash) or row is None or row[5] is not None:
            raise Unauthenticated("unknown or revoked secret")
        kind, key_org, user_id, scopes = row[0], row[1], row[2], frozenset(row[3])
        org = (org_header or "").strip() or None
        if kind == "org":
            if org is not None and org != key_org:
                raise Forbidden("X-Anyreach-Org names a different organization than this key's")
            return Caller(org_id=key_org, key_id=key_id or "", kind="org", user_id=None, scopes=scopes)
        if org is None:
            raise OrgHeaderRequired(
                "a personal access token (pat_) must send X-Anyreach-Org: <organization id>"
            )
        if not self.is_member(org, user_id):
            raise Forbidden("this user is not a member of the organization in X-Anyreach-Org")
        return Caller(org_id=org, key_id=key_id or "", kind="user", user_id=user_id, scopes=scopes)

    # --- helpers ---------------------------------------------------------------------------------

    def _cached(self, cache_key: tuple[str, str], sql: str, params: list[str]) -> tuple[Any, ...] | None:
        """The first row of ``sql``; a found row is reused for ``cache_seconds`` (misses are not cached)."""
        now = time.monotonic()
        with self._cache_lock:
            hit = self._cache.get(cache_key)
        if hit is not None and hit[0] > now:
            return hit[1]
        row = self._cursor().execute(sql, params).fetchone()
        if row is not None and self._cache_seconds > 0:
            with self._cache_lock:
                self._cache[cache_key] = (now + self._cache_seconds, row)
        return row

    @staticmethod
    def _key_id_of(secret: str) -> str | None:
        prefix, _, rest = secret.partition("_")
        if prefix not in _PREFIXES or len(rest) <= _KEY_ID_CHARS or rest[_KEY_ID_CHARS] != "_":
            return None
        return rest[:_KEY_ID_CHARS]

    def _exists(self, table: Literal["orgs", "users"], row_id: str) -> bool:
        return self._cursor().execute(f"SELECT 1 FROM {table} WHERE id = ?", [row_id]).fetchone() is not None

    def _need(self, table: Literal["orgs", "users"], row_id: str, what: str) -> None:
        if not self._exists(table, row_id):
            create = "assist orgs create" if table == "orgs" else "assist users create"
            raise ValueError(f"no {what} {row_id!r} (create it with `{create} {row_id}`)")


def _bearer(authorization: str | None) -> str:
    scheme, _, secret = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated("send Authorization: Bearer <secret> (an ak_ or pat_ secret)")
    return secret.strip()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
