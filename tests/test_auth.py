"""Credentials: secrets stored as hashes only, the organization from the key or a checked membership, and the
``assist keys|users|orgs|serve|conversations import`` commands; the same tests against each store backend."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from assist.auth import SCOPES, AuthStore, Forbidden, OrgHeaderRequired, Unauthenticated, parse_scopes
from assist.cli import _register, app
from assist.errors import AssistError
from assist.settings import Settings
from assist.store import ConversationStore, Store, open_store
from tests import postgres
from tests.assist_process import assist
from tests.conftest import HARPER_VALLEY


@pytest.fixture(params=postgres.BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with postgres.opened_store(request.param, tmp_path) as opened:
        yield opened


@pytest.fixture()
def auth(store: Store) -> AuthStore:
    auth = AuthStore(store)
    auth.create_org("acme")
    auth.create_org("globex")
    auth.create_user("ana@acme.test")
    auth.add_member("acme", "ana@acme.test")
    return auth


def test_only_the_hash_of_a_secret_is_stored(auth: AuthStore, store: Store) -> None:
    key_id, secret = auth.create_key(org_id="acme", scopes=("conversations:read",))
    assert secret.startswith(f"ak_{key_id}_") and len(secret) > 50
    rows = postgres.rows(store, "SELECT * FROM api_keys")
    assert not any(secret in str(value) for row in rows for value in row)
    assert postgres.rows(store, "SELECT secret_hash FROM api_keys") == [
        (hashlib.sha256(secret.encode()).hexdigest(),)
    ]


def test_org_key_carries_its_organization(auth: AuthStore) -> None:
    _, secret = auth.create_key(org_id="acme", scopes=("conversations:read_sensitive",))
    caller = auth.authenticate(f"Bearer {secret}", None)
    assert (caller.org_id, caller.kind, caller.scopes) == (
        "acme",
        "org",
        frozenset({"conversations:read_sensitive"}),
    )
    assert auth.authenticate(f"bearer {secret}", "acme").org_id == "acme"
    with pytest.raises(Forbidden):
        auth.authenticate(f"Bearer {secret}", "globex")


def test_personal_token_needs_a_membership(auth: AuthStore) -> None:
    _, secret = auth.create_key(user_id="ana@acme.test", scopes=("conversations:manage",))
    assert secret.startswith("pat_")
    with pytest.raises(OrgHeaderRequired):
        auth.authenticate(f"Bearer {secret}", None)
    with pytest.raises(OrgHeaderRequired):
        auth.authenticate(f"Bearer {secret}", "  ")
    caller = auth.authenticate(f"Bearer {secret}", "acme")
    assert (caller.org_id, caller.user_id, caller.kind) == ("acme", "ana@acme.test", "user")
    with pytest.raises(Forbidden):
        auth.authenticate(f"Bearer {secret}", "globex")
    auth.add_member("globex", "ana@acme.test")
    assert auth.authenticate(f"Bearer {secret}", "globex").org_id == "globex"


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic abc", "Token x", "Bearer ak_short", "Bearer pat_x_y"],
)
def test_malformed_or_missing_secrets_are_unauthenticated(auth: AuthStore, authorization: str | None) -> None:
    with pytest.raises(Unauthenticated):
        auth.authenticate(authorization, None)


def test_tampered_and_revoked_secrets_are_unauthenticated(auth: AuthStore) -> None:
    key_id, secret = auth.create_key(org_id="acme", scopes=("conversations:read",))
    other_id, _ = auth.create_key(org_id="acme", scopes=("conversations:read",))
    for forged in (secret[:-2] + "xx", secret.replace(key_id, other_id), "pat_" + secret[3:]):
        with pytest.raises(Unauthenticated):
            auth.authenticate(f"Bearer {forged}", None)
    assert auth.authenticate(f"Bearer {secret}", None).key_id == key_id  # now remembered for a while
    assert auth.revoke_key(key_id) is True
    with pytest.raises(Unauthenticated):
        auth.authenticate(f"Bearer {secret}", None)
    assert auth.revoke_key(key_id) is False  # idempotent, and says it changed nothing
    assert [key.revoked_at is not None for key in auth.list_keys()] == [True, False]


def test_a_secret_revokes_its_key_only_when_it_is_the_whole_secret(auth: AuthStore) -> None:
    """``ak_<id>_<anything>`` used to revoke key <id>: one mistyped letter could revoke a key in use."""
    key_id, secret = auth.create_key(org_id="acme", scopes=("conversations:read",))
    for mistyped in (
        secret[:-1] + ("x" if secret[-1] != "x" else "y"),
        f"ak_{key_id}_anything",
        "pat_" + secret[3:],
    ):
        with pytest.raises(ValueError, match=r"^no such key \(`assist keys list` shows the key ids\)$"):
            auth.revoke_key(mistyped)
    assert auth.authenticate(f"Bearer {secret}", None).key_id == key_id  # still works
    assert auth.revoke_key(secret) is True
    assert auth.revoke_key(secret) is False
    with pytest.raises(Unauthenticated):
        auth.authenticate(f"Bearer {secret}", None)


@pytest.mark.parametrize(
    "given",
    ["Ünïcode", "u\x85", "u\u2028", " acme", "acme ", "ac me", "tab\there", "", "x" * 129],
)
def test_organization_and_user_ids_are_printable_ascii_as_given(auth: AuthStore, given: str) -> None:
    """An organization id travels in X-Anyreach-Org, which servers decode as Latin-1: a UTF-8 id would never
    match. A character that is not allowed is refused, never stripped: a silently changed id is one nobody typed."""
    for create in (auth.create_org, auth.create_user):
        with pytest.raises(ValueError, match="printable ASCII characters without spaces"):
            create(given)
    assert not auth.list_keys() and auth.create_org("ok-Org_1.x@y") == "ok-Org_1.x@y"


def test_an_empty_organization_is_refused_before_suggesting_to_create_it(auth: AuthStore) -> None:
    for check in (lambda: auth.require_org(""), lambda: auth.create_key(org_id="", scopes=SCOPES)):
        with pytest.raises(ValueError) as info:
            check()
        assert "organization id must be 1-128 printable ASCII characters" in str(info.value)
        assert "orgs create" not in str(info.value)


def test_scopes(auth: AuthStore) -> None:
    assert parse_scopes("conversations:read, conversations:manage") == (
        "conversations:read",
        "conversations:manage",
    )
    for bad in ("", "conversations:write", "conversations:read,admin"):
        with pytest.raises(ValueError, match="scope"):
            parse_scopes(bad)
    _, secret = auth.create_key(org_id="acme", scopes=("conversations:read",))
    caller = auth.authenticate(f"Bearer {secret}", None)
    caller.require(("conversations:read", "conversations:manage"))
    with pytest.raises(Forbidden, match="conversations:read_sensitive"):
        caller.require(("conversations:read_sensitive",))


def test_keys_need_an_existing_owner(auth: AuthStore) -> None:
    with pytest.raises(ValueError, match="assist orgs create"):
        auth.create_key(org_id="initech", scopes=SCOPES)
    with pytest.raises(ValueError, match="assist users create"):
        auth.create_key(user_id="nobody", scopes=SCOPES)
    with pytest.raises(ValueError, match="exactly one"):
        auth.create_key(org_id="acme", user_id="ana@acme.test", scopes=SCOPES)
    with pytest.raises(ValueError, match="already exists"):
        auth.create_org("acme")
    with pytest.raises(ValueError, match="printable"):
        auth.create_org("has space")


def test_listing_by_organization_includes_members_tokens(auth: AuthStore) -> None:
    auth.create_key(org_id="acme", scopes=SCOPES, name="acme-ci")
    auth.create_key(org_id="globex", scopes=SCOPES, name="globex-ci")
    auth.create_key(user_id="ana@acme.test", scopes=SCOPES, name="ana")
    assert {key.name for key in auth.list_keys(org_id="acme")} == {"acme-ci", "ana"}
    assert {key.name for key in auth.list_keys(org_id="globex")} == {"globex-ci"}
    listed = auth.list_keys(org_id="acme")[0]
    assert listed.scopes == list(SCOPES) and listed.revoked_at is None


def test_a_key_revoked_elsewhere_stops_working_within_the_cache_lifetime(store: Store) -> None:
    """Two service workers: each its own store connection and its own cache; one revokes, both refuse in time."""
    worker = AuthStore(store, cache_seconds=0.5)
    worker.create_org("acme")
    key_id, secret = worker.create_key(org_id="acme", scopes=("conversations:read",))
    assert worker.authenticate(f"Bearer {secret}", None).key_id == key_id  # found, so remembered
    if isinstance(store, ConversationStore):
        other = AuthStore(store)  # DuckDB has one writing process: the other worker is a thread here
        other.revoke_key(key_id)
    else:
        with open_store(store.location) as elsewhere:
            AuthStore(elsewhere).revoke_key(key_id)
    assert worker.authenticate(f"Bearer {secret}", None).key_id == key_id  # the cache still holds it...
    time.sleep(0.6)
    with pytest.raises(Unauthenticated):  # ...for at most its lifetime
        worker.authenticate(f"Bearer {secret}", None)


def test_remembered_answers_as_authenticate_does_without_asking_the_store(store: Store) -> None:
    """The service's event loop tries this first; None sends the request to a thread that asks the store."""
    auth = AuthStore(store, cache_seconds=0.5)
    auth.create_org("acme")
    auth.create_user("ana@acme.test")
    auth.add_member("acme", "ana@acme.test")
    _, key = auth.create_key(org_id="acme", scopes=("conversations:read",))
    _, token = auth.create_key(user_id="ana@acme.test", scopes=("conversations:read",))
    ak, pat = f"Bearer {key}", f"Bearer {token}"
    assert auth.remembered(ak, None) is None  # never seen: the store must be asked
    assert auth.remembered(ak, None) is None  # and asking is authenticate's job, not remembered's
    assert auth.remembered(pat, "acme") is None
    by_org, by_user = auth.authenticate(ak, None), auth.authenticate(pat, "acme")  # found, so remembered
    assert (auth.remembered(ak, None), auth.remembered(pat, "acme")) == (by_org, by_user)
    # what needs no store is decided at once, in the same order as authenticate
    with pytest.raises(Unauthenticated):
        auth.remembered(f"{ak[:-2]}xx", None)
    with pytest.raises(Unauthenticated):
        auth.remembered(None, None)
    with pytest.raises(Forbidden):
        auth.remembered(ak, "globex")
    with pytest.raises(OrgHeaderRequired):
        auth.remembered(pat, None)
    assert auth.remembered(pat, "globex") is None  # a membership not remembered: only the store can say no
    time.sleep(0.6)
    assert auth.remembered(ak, None) is None  # remembered for cache_seconds only
    auth.authenticate(ak, None)
    auth.revoke_key(key)  # revoked through this object: forgotten at once
    assert auth.remembered(ak, None) is None
    with pytest.raises(Unauthenticated):
        auth.authenticate(ak, None)


def test_the_cache_lifetime_is_at_most_ten_seconds(store: Store) -> None:
    with pytest.raises(ValueError, match="between 0 and 10"):
        AuthStore(store, cache_seconds=11)
    with pytest.raises(ValidationError, match="less than or equal to 10"):
        Settings(assist_auth_cache_seconds=10.5)


# --- the commands ----------------------------------------------------------------------------------

_register()
runner = CliRunner()


def run(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(params=postgres.BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store location for the commands' --db: a DuckDB path, or a fresh PostgreSQL database's URL."""
    if request.param == "duckdb":
        yield str(tmp_path / "keys.duckdb")
    else:
        with postgres.database() as url:
            yield url


def test_cli_round_trip(db: str) -> None:
    run("orgs", "create", "acme", "--db", db)
    run("users", "create", "ana@acme.test", "--db", db)
    run("orgs", "add-member", "acme", "--user", "ana@acme.test", "--db", db)
    ak = run(
        "keys", "create", "--org", "acme", "--scopes", "conversations:read_sensitive", "--db", db
    ).strip()
    pat = run(
        "keys", "create", "--user", "ana@acme.test", "--scopes", "conversations:manage", "--db", db
    ).strip()
    assert ak.startswith("ak_") and pat.startswith("pat_")
    listing = run("keys", "list", "--db", db)
    assert ak not in listing and pat not in listing and ak.split("_")[1] in listing
    run("keys", "revoke", ak, "--db", db)

    with open_store(db) as store:
        auth = AuthStore(store)
        with pytest.raises(Unauthenticated):
            auth.authenticate(f"Bearer {ak}", None)
        assert auth.authenticate(f"Bearer {pat}", "acme").scopes == {"conversations:manage"}


def test_cli_rejects_unknown_scopes(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "keys",
            "create",
            "--org",
            "acme",
            "--scopes",
            "conversations:write",
            "--db",
            str(tmp_path / "e.duckdb"),
        ],
    )
    assert isinstance(result.exception, ValueError)
    assert str(result.exception) == (
        "unknown scope conversations:write: use conversations:read, conversations:read_sensitive, conversations:manage"
    )


def test_serve_refuses_to_start_without_livekit_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    result = runner.invoke(app, ["serve", "--port", "0", "--db", str(tmp_path / "s.duckdb")])
    assert isinstance(result.exception, AssistError)
    message = str(result.exception)
    assert "\n" not in message and "LIVEKIT_URL" in message and "assist serve --dev" in message


def test_revoking_twice_says_the_second_time_changed_nothing(db: str) -> None:
    run("orgs", "create", "acme", "--db", db)
    secret = run("keys", "create", "--org", "acme", "--scopes", "conversations:read", "--db", db).strip()
    key_id = secret.split("_")[1]
    assert run("keys", "revoke", secret, "--db", db).strip() == f"revoked key {key_id}"
    assert (
        run("keys", "revoke", key_id, "--db", db).strip() == f"key {key_id} already revoked; nothing changed"
    )


def test_revoking_an_unknown_key_echoes_nothing_it_was_given(db: str) -> None:
    for given in ("ak_0123456789ab_not-a-real-secret-value", "0123456789ab", "not-a-real-secret-value"):
        result = runner.invoke(app, ["keys", "revoke", given, "--db", db])
        assert isinstance(result.exception, ValueError)
        assert str(result.exception) == "no such key (`assist keys list` shows the key ids)"
        assert given not in result.output


def test_import_refuses_an_organization_that_does_not_exist(db: str) -> None:
    result = runner.invoke(app, ["conversations", "import", str(HARPER_VALLEY), "--org", "acme", "--db", db])
    assert isinstance(result.exception, ValueError)
    assert str(result.exception) == "no organization 'acme' (create it with `assist orgs create acme`)"
    with open_store(db) as store:
        assert store.count() == 0
    run("orgs", "create", "acme", "--db", db)
    assert "imported 61 conversations" in run(
        "conversations", "import", str(HARPER_VALLEY), "--org", "acme", "--db", db
    )


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("postgresql://assist:s3cr3t@[::1:5439/assist", "(Invalid IPv6 URL)"),
        ("postgresql://assist:s3cr3t@127.0.0.1:99999/assist", "(Port out of range 0-65535)"),
        ("postgresql://assist:s3%zzcr3t@127.0.0.1/assist", '(invalid percent-encoded token: "***")'),
        ("postgresql://assist:s3cr3t@127.0.0.1/assist?passwrd=x", '(invalid URI query parameter: "passwrd")'),
    ],
)
def test_a_database_url_that_does_not_parse_is_a_usage_error_that_masks_its_password(
    location: str, reason: str, tmp_path: Path
) -> None:
    for command in (("orgs", "create", "q"), ("keys", "list")):
        result = assist(*command, "--db", location)
        assert result.returncode == 2 and result.stdout == ""
        assert result.stderr == (
            f"error: the store (--db or ASSIST_DB) is not a valid PostgreSQL URL {reason}: write it as "
            "postgresql://user@host:port/database\n"
        )
        assert "s3" not in result.stderr


def test_a_libpq_connection_string_is_refused_not_taken_for_a_file(tmp_path: Path) -> None:
    conninfo = "host=127.0.0.1 password=s3cr3t dbname=assist"
    for command in (
        ("orgs", "create", "q"),
        ("keys", "list"),
        ("conversations", "import", str(HARPER_VALLEY)),
    ):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "assist",
                *command,
                *(["--org", "q"] if "import" in command else []),
                "--db",
                conninfo,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=tmp_path,
        )
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("error: the store (--db or ASSIST_DB) looks like a libpq key=value")
        assert "s3cr3t" not in result.stderr and result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []  # no DuckDB file named after it


def test_a_user_without_create_on_postgresql_gets_one_line_naming_the_privilege() -> None:
    with postgres.database() as url:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        with postgres.role(url) as limited:
            for command in (("orgs", "create", "q"), ("keys", "list")):
                result = assist(*command, "--db", limited)
                assert result.returncode == 1
                assert result.stderr.startswith("error: cannot create the store's tables in postgresql://")
                assert "permission denied for schema public" in result.stderr
                assert "must own the database, or have CREATE on its schema public" in result.stderr
                assert "internal error" not in result.stderr and result.stderr.count("\n") == 1
        assert assist("orgs", "create", "q", "--db", url).returncode == 0
        with postgres.role(url, grants=("SELECT ON ALL TABLES IN SCHEMA public",)) as reader:
            listed = assist("keys", "list", "--format", "json", "--db", reader)
            assert listed.returncode == 0 and listed.stdout.strip() == "[]", listed.stderr
            refused = assist("orgs", "create", "r", "--db", reader)
            assert refused.returncode == 1 and refused.stderr.count("\n") == 1
            assert "lacks a privilege the store needs" in refused.stderr
            assert "permission denied for table orgs" in refused.stderr
