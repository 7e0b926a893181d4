"""``assist conversations``: load calls into the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from assist.auth import AuthStore
from assist.cli import command_group
from assist.settings import Settings
from assist.store import display_location, open_store

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="The store: a DuckDB file or a postgresql:// URL (default: $ASSIST_DB or assist.duckdb)",
    ),
]
OrgOption = Annotated[str, typer.Option("--org", help="Organization the conversations belong to")]

group = command_group("Manage the conversation store.")


@group.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="JSONL in the labelled-transcript format")],
    org: OrgOption,
    db: DbOption = None,
) -> None:
    """Import the conversations of a JSONL file into an existing organization (all or nothing; re-importing
    replaces by id)."""
    with open_store(db or Settings().assist_db) as store:
        # rows of an organization that does not exist would be reachable by no key
        AuthStore(store).require_org(org)
        count = store.import_jsonl(file, org)
        where = display_location(store.location)
    Console().print(f"imported {count} conversations into {where} for organization {org}")


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="conversations")
