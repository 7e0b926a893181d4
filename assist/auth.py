"""Who is calling: organizations, users, memberships and API secrets, kept in the store (``assist.store``).

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
from collections.abc import Callable, Hashable
from datetime import UTC, datetime
from typing import Generic, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict

from assist.errors import AssistError
from assist.store import KeyKind, KeyRow, Store

__all__ = [
    "BRIEF_SCOPES",
    "INGEST_SCOPES",
    "LISTEN_SCOPES",
    "MAX_CACHE_SECONDS",
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

#: The longest a process may remember a found key or membership: the bound on how long a key revoked by
#: another process (``assist keys revoke`` while the service runs) keeps working in this one.
MAX_CACHE_SECONDS = 10.0


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
    """An organization or user id: 1-128 printable ASCII characters, no space. ASCII because an organization id
    travels in the ``X-Anyreach-Org`` header, whose bytes servers read as Latin-1: a UTF-8 ``Ünïcode`` would
    arrive as another id. Refused as given, never trimmed: a silently changed id is one nobody typed."""
    if not 1 <= len(value) <= _ID_MAX or any(not "!" <= ch <= "~" for ch in value):
        raise ValueError(
            f"{kind} id must be 1-{_ID_MAX} printable ASCII characters without spaces "
            f"(letters, digits, punctuation), got {value!r}"
        )
    return value


#: Compared against when the key id is unknown, so an unknown id costs the same as a wrong secret.
_NO_SUCH_HASH = _hash("no such key")


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Remembered(Generic[K, V]):
    """Values found recently, each kept ``seconds``; what was not found is asked again every time."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._found: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: K, load: Callable[[], V | None] | None) -> V | None:
        """The value remembered for ``key``, else what ``load`` finds (None without ``load``: nothing is asked)."""
        now = time.monotonic()
        with self._lock:
            hit = self._found.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        if load is None:
            return None
        value = load()
        if value is not None and self.seconds > 0:
            with self._lock:
                self._found[key] = (now + self.seconds, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._found.clear()


class AuthStore:
    """The rules of organizations, users, memberships and keys, over the rows of a :class:`~assist.store.Store`.

    Found keys and memberships are remembered for ``cache_seconds`` (at most :data:`MAX_CACHE_SECONDS`): every
    API request authenticates, and a database round trip costs more than the rest of a token request. A key
    revoked through this object stops working here at once; revoked by another process (another service
    worker, ``assist keys revoke`` beside a PostgreSQL-backed service) within ``cache_seconds``. Thread-safe.
    """

    def __init__(self, store: Store, *, cache_seconds: float = MAX_CACHE_SECONDS) -> None:
        if not 0 <= cache_seconds <= MAX_CACHE_SECONDS:
            raise ValueError(
                f"cache_seconds must be between 0 and {MAX_CACHE_SECONDS:g}, got {cache_seconds}"
            )
        self._store = store
        self._keys: _Remembered[str, KeyRow] = _Remembered(cache_seconds)
        self._members: _Remembered[tuple[str, str], bool] = _Remembered(cache_seconds)

    # --- organizations and users ---------------------------------------------------------------

    def create_org(self, org_id: str, *, name: str | None = None) -> str:
        org_id = _check_id("organization", org_id)
        if not self._store.insert_org(org_id, name=name or org_id):
            raise ValueError(f"organization {org_id!r} already exists")
        return org_id

    def create_user(self, user_id: str, *, name: str | None = None) -> str:
        user_id = _check_id("user", user_id)
        if not self._store.insert_user(user_id, name=name or user_id):
            raise ValueError(f"user {user_id!r} already exists")
        return user_id

    def require_org(self, org_id: str) -> None:
        """A ``ValueError`` saying how to create ``org_id`` unless it exists (what no id can be, first)."""
        _check_id("organization", org_id)
        if not self._store.org_exists(org_id):
            raise ValueError(f"no organization {org_id!r} (create it with `assist orgs create {org_id}`)")

    def require_user(self, user_id: str) -> None:
        _check_id("user", user_id)
        if not self._store.user_exists(user_id):
            raise ValueError(f"no user {user_id!r} (create it with `assist users create {user_id}`)")

    def add_member(self, org_id: str, user_id: str) -> None:
        self.require_org(org_id)
        self.require_user(user_id)
        self._store.add_membership(org_id, user_id)

    def is_member(self, org_id: str, user_id: str) -> bool:
        return bool(self._membership(org_id, user_id, ask_store=True))

    def _membership(self, org_id: str, user_id: str, *, ask_store: bool) -> bool | None:
        """True for a member; None for a non-member (never remembered, so adding them takes effect at once), and
        for a membership not remembered when the store may not be asked."""
        load = (lambda: self._store.is_member(org_id, user_id) or None) if ask_store else None
        return self._members.get((org_id, user_id), load)

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
        kind: KeyKind
        if org_id is not None:
            self.require_org(org_id)
            prefix, kind = "ak", "org"
        else:
            assert user_id is not None
            self.require_user(user_id)
            prefix, kind = "pat", "user"
        key_id = secrets.token_hex(_KEY_ID_CHARS // 2)
        secret = f"{prefix}_{key_id}_{secrets.token_urlsafe(32)}"
        self._store.insert_key(
            KeyRow(
                key_id=key_id,
                kind=kind,
                org_id=org_id,
                user_id=user_id,
                scopes=tuple(scopes),
                secret_hash=_hash(secret),
                name=name,
                created_at=_now(),
                revoked_at=None,
            )
        )
        return key_id, secret

    def revoke_key(self, key: str) -> bool:
        """Revoke by key id (the part after the prefix) or by the whole secret; False (and no change) when it was
        revoked already. A secret counts only when it is the key's own (its hash matches): one mistyped letter of
        it must not revoke a key someone uses. ``ValueError`` when there is no such key."""
        key_id = self._key_id_of(key)
        row = self._store.find_key(key_id or key)
        if row is None or (key_id is not None and not hmac.compare_digest(_hash(key), row.secret_hash)):
            # never echo what was given: it may be a secret
            raise ValueError("no such key (`assist keys list` shows the key ids)")
        if row.revoked_at is not None:
            return False
        self._store.revoke_key(row.key_id)
        self._keys.clear()
        return True

    @staticmethod
    def key_id_of(key: str) -> str:
        """The key id ``key`` names, as :meth:`revoke_key` reads it (a whole secret's id part, else ``key``): what
        may be shown of a secret."""
        return AuthStore._key_id_of(key) or key

    def list_keys(self, *, org_id: str | None = None) -> list[KeyInfo]:
        """Keys of ``org_id`` (its ``ak_`` keys and its members' tokens), or all keys."""
        return [
            KeyInfo(
                key_id=row.key_id,
                kind=row.kind,
                org_id=row.org_id,
                user_id=row.user_id,
                scopes=list(row.scopes),
                name=row.name,
                created_at=row.created_at,
                revoked_at=row.revoked_at,
            )
            for row in self._store.list_keys(org_id=org_id)
        ]

    # --- the request path ------------------------------------------------------------------------

    def authenticate(self, authorization: str | None, org_header: str | None) -> Caller:
        """Resolve ``Authorization: Bearer <secret>`` plus optional ``X-Anyreach-Org`` to a :class:`Caller`.

        Raises :class:`Unauthenticated` (401), :class:`OrgHeaderRequired` (400) or :class:`Forbidden` (403)
        exactly as ``docs/api.md`` orders them.
        """
        caller = self._authenticate(authorization, org_header, ask_store=True)
        assert caller is not None
        return caller

    def remembered(self, authorization: str | None, org_header: str | None) -> Caller | None:
        """:meth:`authenticate` from what is remembered, without asking the store: None when it would have to (a
        key or membership not found within ``cache_seconds``). An event loop can answer most requests this way
        instead of handing each to a worker thread, which costs more than the rest of a token request's auth."""
        return self._authenticate(authorization, org_header, ask_store=False)

    def _authenticate(
        self, authorization: str | None, org_header: str | None, *, ask_store: bool
    ) -> Caller | None:
        secret = _bearer(authorization)
        key_id = self._key_id_of(secret)
        row = None
        if key_id is not None:
            row = self._keys.get(key_id, (lambda: self._store.find_key(key_id)) if ask_store else None)
            if row is None and not ask_store:
                return None
        stored_hash = row.secret_hash if row is not None else _NO_SUCH_HASH
        if not hmac.compare_digest(_hash(secret), stored_hash) or row is None or row.revoked_at is not None:
            raise Unauthenticated("unknown or revoked secret")
        scopes = frozenset(scope for scope in SCOPES if scope in row.scopes)
        org = (org_header or "").strip() or None
        if row.kind == "org":
            if org is not None and org != row.org_id:
                raise Forbidden("X-Anyreach-Org names a different organization than this key's")
            assert row.org_id is not None
            return Caller(org_id=row.org_id, key_id=row.key_id, kind="org", user_id=None, scopes=scopes)
        if org is None:
            raise OrgHeaderRequired(
                "a personal access token (pat_) must send X-Anyreach-Org: <organization id>"
            )
        assert row.user_id is not None
        member = self._membership(org, row.user_id, ask_store=ask_store)
        if member is None and not ask_store:
            return None
        if not member:
            raise Forbidden("this user is not a member of the organization in X-Anyreach-Org")
        return Caller(org_id=org, key_id=row.key_id, kind="user", user_id=row.user_id, scopes=scopes)

    @staticmethod
    def _key_id_of(secret: str) -> str | None:
        prefix, _, rest = secret.partition("_")
        if prefix not in _PREFIXES or len(rest) <= _KEY_ID_CHARS or rest[_KEY_ID_CHARS] != "_":
            return None
        return rest[:_KEY_ID_CHARS]


def _bearer(authorization: str | None) -> str:
    scheme, _, secret = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated("send Authorization: Bearer <secret> (an ak_ or pat_ secret)")
    return secret.strip()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
