"""What every store backend provides, and what they share: the row shape of a conversation and schema versions."""

from __future__ import annotations

import base64
import binascii
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Self
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from psycopg import ProgrammingError
from psycopg.conninfo import conninfo_to_dict

from assist.errors import AssistError, ConversationExists, ConversationNotFound, InvalidPhoneNumber
from assist.feedback import Feedback
from assist.interchange import InvalidFile, validate_file
from assist.phone import normalize_phone
from assist.schema import Conversation, NewEnd, Turn

#: The columns of a conversation both backends keep, in the order :func:`conversation_of` reads them.
COLUMNS = "id, user_id, status, created_at, ended_at, room_name, duration_seconds, metadata, turns, extra"

#: The columns of an API key, in the order :func:`key_row_of` reads them.
KEY_COLUMNS = "key_id, kind, org_id, user_id, scopes, secret_hash, name, created_at, revoked_at"

KeyKind = Literal["org", "user"]


class StoreUnavailable(AssistError):
    """The store cannot be used: the server is unreachable, or its schema is newer than this kit knows."""


class InvalidLocation(AssistError, ValueError):
    """An ``ASSIST_DB`` / ``--db`` that names no store: a ``postgresql://`` URL that does not parse, or a libpq
    ``key=value`` string (which would otherwise be taken for a DuckDB file name). Its message never quotes it."""


class InvalidCursor(AssistError, ValueError):
    """A page cursor this store did not give (:meth:`Store.calls_for_phone`)."""


@dataclass(frozen=True)
class CallRecord:
    """A conversation without its transcript: what a caller's history lists."""

    id: str
    user_id: str
    status: str
    created_at: datetime
    ended_at: datetime | None
    room_name: str | None
    duration_seconds: int | None
    turns: int
    #: The conversation's ``metadata.transfer_reason`` when the platform recorded one (briefs are never stored).
    transfer_reason: str | None


class Unstorable(AssistError, ValueError):
    """A value the store's database cannot hold (PostgreSQL text cannot contain NUL)."""


@dataclass(frozen=True)
class KeyRow:
    """An API key as stored: only the SHA-256 of its secret (``assist.auth`` holds the rules)."""

    key_id: str
    kind: KeyKind
    org_id: str | None
    user_id: str | None
    scopes: tuple[str, ...]
    secret_hash: str
    name: str
    created_at: datetime
    revoked_at: datetime | None


class Store(ABC):
    """Conversations, organizations, users, memberships and API keys, shared by every organization.

    Every conversation read and write names its organization, and another organization's rows are never
    found. Thread-safe. Open one with :func:`assist.store.open_store`.
    """

    #: What opens this store again (``ASSIST_DB``): a DuckDB path or a PostgreSQL URL. Print it with
    #: :func:`display_location`, which hides a password.
    location: str
    read_only: bool

    # --- conversations: writes --------------------------------------------------------------------

    def add(self, org_id: str, conversation: Conversation) -> Conversation:
        """Insert or replace one conversation; the caller id is stored as E.164."""
        self.add_many(org_id, [conversation])
        return conversation.model_copy(update={"user_id": normalize_phone(conversation.user_id)})

    @abstractmethod
    def add_many(self, org_id: str, conversations: Iterable[Conversation]) -> int:
        """Insert or replace, all in one transaction; returns how many."""

    def insert(self, org_id: str, conversation: Conversation) -> Conversation:
        """Insert a new conversation; :class:`ConversationExists` when ``org_id`` has its id already.

        Atomic in the database, so two service workers ingesting one id at once cannot both succeed.
        """
        if not self._insert_new(org_id, conversation):
            raise ConversationExists(f"conversation {conversation.id!r} already exists; PATCH it instead")
        return conversation.model_copy(update={"user_id": normalize_phone(conversation.user_id)})

    @abstractmethod
    def _insert_new(self, org_id: str, conversation: Conversation) -> bool:
        """Insert unless ``org_id`` has the id already; whether it did."""

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

    @abstractmethod
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

    def update_status(self, org_id: str, conversation_id: str, status: str) -> Conversation:
        return self.update(org_id, conversation_id, status=status)

    # --- conversations: reads ---------------------------------------------------------------------

    @abstractmethod
    def get(self, org_id: str, conversation_id: str) -> Conversation:
        """The conversation ``conversation_id`` of ``org_id``; another organization's is not found."""

    @abstractmethod
    def call(self, org_id: str, conversation_id: str) -> CallRecord:
        """The conversation ``conversation_id`` of ``org_id`` without its transcript: what a listener token and a
        conversation's status need, without decoding and validating every turn. Not found like :meth:`get`."""

    def newest_for_phone(self, org_id: str, phone_number: str) -> Conversation:
        """The newest conversation (by ``created_at``, then id) whose caller is ``phone_number``.

        Raises :class:`InvalidPhoneNumber` for input that is not a phone number and
        :class:`ConversationNotFound` when this organization has no call from it.
        """
        return self._newest_for_caller(org_id, normalize_phone(phone_number))

    @abstractmethod
    def _newest_for_caller(self, org_id: str, e164: str) -> Conversation:
        """:meth:`newest_for_phone` of a number already in E.164."""

    @abstractmethod
    def list_conversations(self, org_id: str, *, limit: int = 100, offset: int = 0) -> list[Conversation]:
        """Conversations of ``org_id``, newest first (``created_at``, then id), ``limit`` of them from ``offset``."""

    @abstractmethod
    def count(self, org_id: str | None = None) -> int:
        """Conversations of ``org_id``, or of every organization."""

    def calls_for_phone(
        self, org_id: str, phone_number: str, *, limit: int, cursor: str | None = None
    ) -> tuple[list[CallRecord], str | None]:
        """One page of the conversations whose caller is ``phone_number``, newest first (``created_at``, then id),
        without transcripts, and the cursor of the next page (None after the last).

        Like :meth:`newest_for_phone`: :class:`InvalidPhoneNumber` for what is not a number, and
        :class:`ConversationNotFound` when this organization has no call from it. A page past the last is empty.
        """
        e164 = normalize_phone(phone_number)
        before = decode_cursor(cursor) if cursor is not None else None
        found = self._calls_for_caller(org_id, e164, limit=limit + 1, before=before)
        if not found and before is None:
            raise ConversationNotFound(f"no conversation found for {e164}")
        page = found[:limit]
        return page, encode_cursor(page[-1]) if len(found) > limit else None

    @abstractmethod
    def _calls_for_caller(
        self, org_id: str, e164: str, *, limit: int, before: tuple[datetime, str] | None
    ) -> list[CallRecord]:
        """At most ``limit`` calls of a caller in E.164, newest first, all older than ``before`` when given."""

    # --- feedback on briefs -------------------------------------------------------------------------

    @abstractmethod
    def add_feedback(self, org_id: str, feedback: Feedback) -> None:
        """Keep ``feedback`` on a brief of a conversation of ``org_id``; :class:`ConversationNotFound` (and nothing
        kept) when ``org_id`` has no such conversation. Checked in the insert itself, without reading the call."""

    @abstractmethod
    def list_feedback(self, org_id: str, *, conversation_id: str | None = None) -> list[Feedback]:
        """Feedback of ``org_id`` (on one conversation, or all), oldest first (``created_at``, then id)."""

    # --- organizations, users, memberships, keys: rows only (the rules are in assist.auth) --------

    @abstractmethod
    def org_exists(self, org_id: str) -> bool: ...

    @abstractmethod
    def user_exists(self, user_id: str) -> bool: ...

    @abstractmethod
    def insert_org(self, org_id: str, *, name: str) -> bool:
        """Add an organization; False (and no change) when the id is taken."""

    @abstractmethod
    def insert_user(self, user_id: str, *, name: str) -> bool:
        """Add a user; False (and no change) when the id is taken."""

    @abstractmethod
    def add_membership(self, org_id: str, user_id: str) -> None:
        """Make ``user_id`` a member of ``org_id`` (again is no change)."""

    @abstractmethod
    def is_member(self, org_id: str, user_id: str) -> bool: ...

    @abstractmethod
    def insert_key(self, key: KeyRow) -> None: ...

    @abstractmethod
    def find_key(self, key_id: str) -> KeyRow | None: ...

    @abstractmethod
    def revoke_key(self, key_id: str) -> bool:
        """Mark the key revoked now unless it already is; False when there is no such key."""

    @abstractmethod
    def list_keys(self, *, org_id: str | None = None) -> list[KeyRow]:
        """Keys of ``org_id`` (its ``ak_`` keys and its members' tokens), or all keys; oldest first."""

    # --- plumbing -----------------------------------------------------------------------------------

    @abstractmethod
    def ping(self) -> None:
        """One round trip to the database (the service's health check)."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


# --- the row shape both backends share -----------------------------------------------------------


def utc_naive(moment: datetime | None) -> datetime | None:
    """Both backends keep TIMESTAMP columns as naive UTC: one mapping, and no time-zone library on reads."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def fields_of(conversation: Conversation) -> tuple[Any, ...]:
    """The values of :data:`COLUMNS` for ``conversation``: caller id as E.164, JSON columns as Python values."""
    c = conversation
    return (
        c.id,
        normalize_phone(c.user_id),
        c.status,
        utc_naive(c.created_at),
        utc_naive(c.ended_at),
        c.room_name,
        c.duration_seconds,
        c.metadata,
        turns_json(c.turns),
        c.model_extra or {},
    )


def turns_json(turns: Iterable[Turn]) -> list[dict[str, Any]]:
    return [turn.model_dump(mode="json", exclude_none=True) for turn in turns]


def conversation_of(
    row: Sequence[Any], *, decode: Callable[[Any], Any] = lambda value: value
) -> Conversation:
    """A conversation from the values of :data:`COLUMNS`; ``decode`` turns a JSON column into Python values."""
    id_, user_id, status, created_at, ended_at, room_name, duration, metadata, turns, extra = row
    return Conversation.model_validate(
        {
            **decode(extra),
            "id": id_,
            "user_id": user_id,
            "status": status,
            "created_at": created_at.replace(tzinfo=UTC),
            "ended_at": ended_at.replace(tzinfo=UTC) if ended_at else None,
            "room_name": room_name,
            "duration_seconds": duration,
            "metadata": decode(metadata),
            "turns": decode(turns),
        }
    )


def changed(
    current: Conversation,
    *,
    status: str | None,
    room_name: str | None,
    ended_at: datetime | None,
    duration_seconds: int | None,
    append_turns: Iterable[Turn],
) -> Conversation:
    """``current`` with the given fields changed and ``append_turns`` appended, validated again; a new
    ``ended_at`` is also held to the clock (:class:`~assist.schema.NewEnd`)."""
    if ended_at is not None:
        NewEnd.model_validate({"ended_at": ended_at})
    changes: dict[str, Any] = {"turns": [*current.turns, *append_turns]}
    for name, value in (
        ("status", status),
        ("room_name", room_name),
        ("ended_at", ended_at),
        ("duration_seconds", duration_seconds),
    ):
        if value is not None:
            changes[name] = value
    return Conversation.model_validate({**current.model_dump(), **changes})


#: The columns of a caller's history, in the order :func:`call_record_of` reads them; the transcript is only
#: counted, in the database.
CALL_COLUMNS = "id, user_id, status, created_at, ended_at, room_name, duration_seconds, metadata"


def call_record_of(row: Sequence[Any], *, decode: Callable[[Any], Any] = lambda value: value) -> CallRecord:
    """A call from the values of :data:`CALL_COLUMNS` and its number of turns."""
    id_, user_id, status, created_at, ended_at, room_name, duration, metadata, turns = row
    reason = decode(metadata).get("transfer_reason")
    return CallRecord(
        id=id_,
        user_id=user_id,
        status=status,
        created_at=created_at.replace(tzinfo=UTC),
        ended_at=ended_at.replace(tzinfo=UTC) if ended_at else None,
        room_name=room_name,
        duration_seconds=duration,
        turns=int(turns),
        transfer_reason=reason if isinstance(reason, str) and reason.strip() else None,
    )


def encode_cursor(last: CallRecord) -> str:
    """The cursor of the page after ``last``: where it sits in the order, opaque to clients."""
    where = json.dumps([last.created_at.isoformat(), last.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(where.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """``(created_at as naive UTC, id)`` of :func:`encode_cursor`; :class:`InvalidCursor` for anything else."""
    try:
        created, id_ = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        moment = datetime.fromisoformat(created)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        raise InvalidCursor("cursor: not a cursor this API gave (pass next_cursor as it came)") from None
    if not isinstance(id_, str) or moment.tzinfo is None:
        raise InvalidCursor("cursor: not a cursor this API gave (pass next_cursor as it came)")
    return moment.astimezone(UTC).replace(tzinfo=None), id_


FEEDBACK_COLUMNS = "id, conversation_id, program, prompt_version, section, verdict, comment, created_at"


def feedback_fields(feedback: Feedback) -> list[Any]:
    """The values of :data:`FEEDBACK_COLUMNS` for ``feedback``."""
    f = feedback
    return [
        f.id,
        f.conversation_id,
        f.program,
        f.prompt_version,
        f.section,
        f.verdict,
        f.comment,
        utc_naive(f.created_at),
    ]


def feedback_of(row: Sequence[Any]) -> Feedback:
    """Feedback from the values of :data:`FEEDBACK_COLUMNS`."""
    id_, conversation_id, program, prompt_version, section, verdict, comment, created_at = row
    return Feedback.model_validate(
        {
            "id": id_,
            "conversation_id": conversation_id,
            "program": program,
            "prompt_version": prompt_version,
            "section": section,
            "verdict": verdict,
            "comment": comment,
            "created_at": created_at.replace(tzinfo=UTC),
        }
    )


def key_fields(key: KeyRow) -> list[Any]:
    """The values of :data:`KEY_COLUMNS` for ``key``."""
    return [
        key.key_id,
        key.kind,
        key.org_id,
        key.user_id,
        list(key.scopes),
        key.secret_hash,
        key.name,
        key.created_at,
        key.revoked_at,
    ]


def key_row_of(row: Sequence[Any]) -> KeyRow:
    """A key from the values of :data:`KEY_COLUMNS`."""
    key_id, kind, org_id, user_id, scopes, secret_hash, name, created_at, revoked_at = row
    return KeyRow(
        key_id=key_id,
        kind=kind,
        org_id=org_id,
        user_id=user_id,
        scopes=tuple(scopes),
        secret_hash=secret_hash,
        name=name,
        created_at=created_at,
        revoked_at=revoked_at,
    )


# --- schema versions --------------------------------------------------------------------------------

#: One row per migration applied; the highest version is the schema's.
SCHEMA_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
)


def migrate(run: Callable[[str], list[tuple[Any, ...]]], migrations: Sequence[str], *, location: str) -> int:
    """Apply the migrations not applied yet, in order; returns the schema version.

    ``run`` executes SQL inside the caller's transaction (which also keeps concurrent starters apart), so a
    failed migration leaves the schema as it was. Migration ``n`` (1-based) is ``migrations[n - 1]``.
    """
    run(SCHEMA_VERSION_TABLE)
    rows = run("SELECT max(version) FROM schema_version")
    current = int(rows[0][0] or 0) if rows else 0
    if current > len(migrations):
        raise StoreUnavailable(
            f"{display_location(location)} has schema version {current}, newer than this kit's "
            f"{len(migrations)}: upgrade agent-assist-kit"
        )
    for version in range(current + 1, len(migrations) + 1):
        run(migrations[version - 1])
        # literals, not parameters, so one statement serves both backends: neither value is ever input
        run(
            f"INSERT INTO schema_version VALUES ({version:d}, TIMESTAMP '{datetime.now(UTC):%Y-%m-%d %H:%M:%S}')"
        )
    return len(migrations)


# --- locations ---------------------------------------------------------------------------------------


def is_postgres_url(location: str) -> bool:
    return location.startswith(("postgresql://", "postgres://"))


#: A libpq connection string (``host=db password=s3cr3t dbname=assist``): a known keyword, then ``=``.
_CONNINFO = re.compile(
    r"(?:^|\s)(?:host|hostaddr|port|dbname|user|password|passfile|sslmode|service|options|connect_timeout)\s*=",
    re.IGNORECASE,
)
#: A password in text that may not parse as a URL: after ``user:`` in ``//user:password@``, or ``password=``.
_PASSWORDS = re.compile(r"(?<=//)([^/@:\s]*):[^@\s]*@|(password\s*=\s*)('[^']*'|[^\s&]*)", re.IGNORECASE)


def check_location(location: str) -> None:
    """Refuse a store location that names no store (:class:`InvalidLocation`) before anything opens it.

    A ``postgresql://`` URL must parse, here and as libpq reads it (whose messages quote the URL, password and
    all), and a libpq ``key=value`` string is refused rather than taken for the name of a DuckDB file to create.
    """
    if is_postgres_url(location):
        password = None
        try:
            parts = urlsplit(location)
            password = parts.password
            parts.port  # noqa: B018 - parses the port, which urlsplit leaves for later
            conninfo_to_dict(location)
        except (ValueError, ProgrammingError) as exc:
            reason = mask_passwords(str(exc).strip().splitlines()[0])
            if password:  # e.g. libpq's "invalid percent-encoded token", quoting just the password
                reason = reason.replace(password, "***")
            raise InvalidLocation(
                f"the store (--db or ASSIST_DB) is not a valid PostgreSQL URL ({reason}): "
                "write it as postgresql://user@host:port/database"
            ) from None
    elif _CONNINFO.search(location):
        raise InvalidLocation(
            "the store (--db or ASSIST_DB) looks like a libpq key=value connection string; give a URL instead: "
            "postgresql://user@host:port/database (the password from ~/.pgpass or PGPASSWORD)"
        )


def mask_passwords(text: str) -> str:
    """``text`` with every password it may hold masked, whether or not it parses as a URL."""
    return _PASSWORDS.sub(lambda m: f"{m[1]}:***@" if m[1] is not None else f"{m[2]}***", text)


def display_location(location: str) -> str:
    """``location`` fit to print: a PostgreSQL URL's password (in the user part or the query) is masked."""
    if not is_postgres_url(location):
        return mask_passwords(location)
    try:
        parts = urlsplit(location)
    except ValueError:  # unparsable, so masked as text
        return mask_passwords(location)
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}:***@{host}"
    query = urlencode(
        [(name, "***" if name == "password" else value) for name, value in parse_qsl(parts.query)], safe="*"
    )
    return urlunsplit(parts._replace(netloc=netloc, query=query))
