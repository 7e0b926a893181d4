"""``assist conversations``: load calls into the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from assist.settings import Settings
from assist.store import ConversationStore

DbOption = Annotated[
    str | None, typer.Option("--db", help="DuckDB file (default: $ASSIST_DB or assist.duckdb)")
]
OrgOption = Annotated[str, typer.Option("--org", help="Organization the conversations belong to")]

group = typer.Typer(help="Manage the conversation store.", no_args_is_help=True)


@group.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="JSONL in the labelled-transcript format")],
    org: OrgOption,
    db: DbOption = None,
) -> None:
    """Import the conversations of a JSONL file (all or nothing; re-importing replaces by id)."""
    path = db or Settings().assist_db
    with ConversationStore(path) as store:
        count = store.import_jsonl(file, org)
    Console().print(f"imported {count} conversations into {path} for organization {org}")


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="conversations")
