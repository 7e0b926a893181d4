"""``assist keys|users|orgs``: credentials in the store (``--db``: a DuckDB file or a PostgreSQL URL).

On PostgreSQL these commands work while the service runs, and a key revoked here stops working on every
service worker within ``ASSIST_AUTH_CACHE_SECONDS`` (at most 10 s). A DuckDB file allows one writing process:
stop the service first (the commands say so when it holds the file).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Literal

import typer
from rich.console import Console, Group

from assist.auth import SCOPES, AuthStore, parse_scopes
from assist.cli import command_group, existing_db
from assist.cli._pretty import Folded, listing, stamp
from assist.cli.conversations import DbOption
from assist.settings import Settings
from assist.store import open_store

keys_group = command_group("API keys (ak_) and personal access tokens (pat_).")
users_group = command_group("Users (owners of personal access tokens).")
orgs_group = command_group("Organizations and their members.")
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


@contextmanager
def _auth(db: str | None) -> Iterator[AuthStore]:
    with open_store(db or Settings().assist_db) as store:
        yield AuthStore(store)


@keys_group.command("create")
def keys_create(
    scopes: Annotated[str, typer.Option("--scopes", help=f"Comma-separated: {', '.join(SCOPES)}")],
    org: Annotated[str | None, typer.Option("--org", help="Organization of an ak_ key")] = None,
    user: Annotated[str | None, typer.Option("--user", help="User of a pat_ token")] = None,
    name: Annotated[str, typer.Option("--name", help="A label to recognise the key by")] = "",
    db: DbOption = None,
) -> None:
    """Create a key and print its secret once (only a hash is stored)."""
    parsed = parse_scopes(scopes)
    with _auth(db) as auth:
        key_id, secret = auth.create_key(scopes=parsed, org_id=org, user_id=user, name=name)
    err_console.print(f"key {key_id} ({', '.join(parsed)}); the secret below is shown only now:")
    typer.echo(secret)


@keys_group.command("revoke")
def keys_revoke(
    key: Annotated[str, typer.Argument(help="Key id (from `assist keys list`) or the secret itself")],
    db: DbOption = None,
) -> None:
    """Revoke a key; requests with it get 401 from then on (a service running beside this command, on
    PostgreSQL, refuses it within ASSIST_AUTH_CACHE_SECONDS, at most 10 s)."""
    with _auth(db) as auth:
        revoked = auth.revoke_key(key)
    # What was revoked, by its id: never the secret it may have been given as.
    key_id = AuthStore.key_id_of(key)
    console.print(f"revoked key {key_id}" if revoked else f"key {key_id} already revoked; nothing changed")


@keys_group.command("list")
def keys_list(
    org: Annotated[str | None, typer.Option("--org", help="Only this organization's keys and tokens")] = None,
    db: DbOption = None,
    output: Annotated[
        Literal["table", "json"],
        typer.Option("--format", help="table (for people) or json (a list of keys, for scripts)"),
    ] = "table",
) -> None:
    """List keys (never their secrets)."""
    with _auth(existing_db(db)) as auth:
        keys = auth.list_keys(org_id=org)
    if output == "json":
        typer.echo(json.dumps([key.model_dump(mode="json") for key in keys], indent=2))
        return
    # Fits 80 columns: the key id (what `keys revoke` takes), each scope (one a line) and the times (date over
    # time) are never wrapped or cut; the owner, with the key's name under it, takes the rest and breaks only
    # between words and address parts.
    table = listing()
    table.add_column("key id", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("owner, name")
    table.add_column("scopes", no_wrap=True)
    table.add_column("created\n(UTC)", no_wrap=True)
    for key in keys:
        owner = f"org {key.org_id}" if key.kind == "org" else f"user {key.user_id}"
        when = stamp(key.created_at)
        if key.revoked_at is not None:
            when.append("\nrevoked\n", style="red")
            when.append_text(stamp(key.revoked_at, style="red"))
        table.add_row(
            key.key_id,
            "ak_" if key.kind == "org" else "pat_",
            Group(Folded(owner), Folded(key.name, style="dim")) if key.name else Folded(owner),
            "\n".join(key.scopes),
            when,
        )
    console.print(table)


@users_group.command("create")
def users_create(
    user_id: Annotated[str, typer.Argument(help="User id, e.g. an email address")],
    name: Annotated[str | None, typer.Option("--name", help="Display name")] = None,
    db: DbOption = None,
) -> None:
    """Create a user; add them to organizations with `assist orgs add-member`."""
    with _auth(db) as auth:
        auth.create_user(user_id, name=name)
    console.print(f"created user {user_id}")


@orgs_group.command("create")
def orgs_create(
    org_id: Annotated[str, typer.Argument(help="Organization id (what X-Anyreach-Org names)")],
    name: Annotated[str | None, typer.Option("--name", help="Display name")] = None,
    db: DbOption = None,
) -> None:
    """Create an organization."""
    with _auth(db) as auth:
        auth.create_org(org_id, name=name)
    console.print(f"created organization {org_id}")


@orgs_group.command("add-member")
def orgs_add_member(
    org_id: Annotated[str, typer.Argument(help="Organization id")],
    user: Annotated[str, typer.Option("--user", help="User id")],
    db: DbOption = None,
) -> None:
    """Make a user a member of an organization (their pat_ tokens may then act in it)."""
    with _auth(db) as auth:
        auth.add_member(org_id, user)
    console.print(f"{user} is a member of {org_id}")


def register(app: typer.Typer) -> None:
    app.add_typer(keys_group, name="keys")
    app.add_typer(users_group, name="users")
    app.add_typer(orgs_group, name="orgs")
