"""``assist feedback``: what people who read briefs said of them, for the eval harness."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from assist.auth import AuthStore
from assist.cli import command_group, err_console, existing_db
from assist.feedback import ExportFormat, export_rows, write_export
from assist.store import open_store

group = command_group("Feedback on briefs from the handoff page.")


@group.command("export")
def export(
    org: Annotated[str, typer.Option("--org", help="Organization whose feedback to export")],
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="jsonl (one object a line) or csv (with a header)")
    ] = "jsonl",
    out: Annotated[
        Path | None, typer.Option("--out", help="File to write (default: standard output)")
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="The store: a DuckDB file or a postgresql:// URL (default: $ASSIST_DB or assist.duckdb)",
        ),
    ] = None,
) -> None:
    """Write the verdicts people gave briefs in ORG, oldest first, for joining to eval runs.

    Columns: conversation_id (an eval example's id), program, prompt_version, section, verdict, comment,
    created_at, id. Never a brief's text.
    """
    with open_store(existing_db(db), read_only=True) as store:
        AuthStore(store).require_org(org)
        rows = export_rows(store.list_feedback(org))
    text = write_export(rows, fmt=fmt)
    if out is None:
        sys.stdout.write(text)
        return
    out.write_text(text, encoding="utf-8")
    err_console.print(f"wrote {len(rows)} verdict{'' if len(rows) == 1 else 's'} to {out}", markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="feedback")
