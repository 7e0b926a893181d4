"""Credentials: secrets stored as hashes only, the organization from the key or a checked membership, and the
``assist keys|users|orgs|serve`` commands."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from assist.auth import SCOPES, AuthStore, Forbidden, OrgHeaderRequired, Unauthenticated, parse_scopes
from assist.cli import _register, app
from assist.errors import AssistError
from assist.store import connect


@pytest.fixture()
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(":memory:")
    yield connection
    connection.close()


@pytest.fixture()
def auth(con: duckdb.DuckDBPyConnection) -> AuthStore:
    store = AuthStore(con)
    store.create_org("acme")
    store.create_org("globex")
    store.create_user("ana@acme.test")
    store.add_member("acme", "ana@acme.test")
    return store


def test_only_the_hash_of_a_secret_is_stored(auth: AuthStore, con: duckdb.DuckDBPyConnection) -> None:
    key_id, secret = auth.create_key(org_id="acme", scopes=("conversations:read",))
    assert secret.startswith(f"ak_{key_id}_") and len(secret) > 50
    rows = con.execute("SELECT * FROM api_keys").fetchall()
    assert not any(secret in str(value) for row in rows for value in row)
    assert con.execute("SELECT secret_hash FROM api_keys").fetchone() == (
        hashlib.sha256(secret.encode()).hexdigest(),
    )


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
    auth.revoke_key(key_id)
    with pytest.raises(Unauthenticated):
        auth.authenticate(f"Bearer {secret}", None)
    auth.revoke_key(key_id)  # idempotent
    assert [key.revoked_at is not None for key in auth.list_keys()] == [True, False]


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


# --- the commands ----------------------------------------------------------------------------------

_register()
runner = CliRunner()


def run(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_cli_round_trip(tmp_path: Path) -> None:
    db = str(tmp_path / "keys.duckdb")
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

    with connect(db) as con:
        auth = AuthStore(con)
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


def test_revoking_an_unknown_secret_does_not_echo_it(tmp_path: Path) -> None:
    auth = AuthStore(connect(tmp_path / "k.duckdb"))
    secret = "ak_0123456789ab_not-a-real-secret-value"
    with pytest.raises(ValueError) as info:
        auth.revoke_key(secret)
    assert "not-a-real-secret-value" not in str(info.value) and str(info.value) == "no such key"
