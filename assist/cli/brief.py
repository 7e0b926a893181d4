"""``assist brief``: handoff briefs for conversations in a file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console

from assist.cli._pretty import portal_panel
from assist.interchange import read_examples
from assist.programs import load_program
from assist.schema import Conversation, LabelledExample

ProgramOption = Annotated[
    str,
    typer.Option(
        "--program", "-p", help="rules (default, offline), dspy (uses $ASSIST_LM) or a saved program .json"
    ),
]


def read_conversations(path: Path) -> Iterator[tuple[str, Conversation]]:
    """``(example id, conversation)`` from one conversation JSON, one labelled example JSON, or a JSONL file."""
    text = path.read_text(encoding="utf-8")
    try:
        single = json.loads(text)
    except json.JSONDecodeError:
        single = None
    if isinstance(single, dict):
        if "conversation" in single:
            example = LabelledExample.model_validate(single)
            yield example.id, example.conversation
        else:
            conversation = Conversation.model_validate(single).require_transcript()
            yield conversation.id, conversation
        return
    for example in read_examples(path):
        yield example.id, example.conversation


def brief(
    file: Annotated[
        Path, typer.Argument(help="Conversation JSON, or JSONL in the labelled-transcript format")
    ],
    program: ProgramOption = "rules",
    id_: Annotated[
        str | None, typer.Option("--id", help="Only the example (or conversation) with this id")
    ] = None,
    output: Annotated[
        Literal["json", "text"],
        typer.Option("--format", help="json (one line per brief) or text (for people)"),
    ] = "json",
) -> None:
    """Print one AgentAssistPortal JSON per conversation (one per line for JSONL input)."""
    brief_program = load_program(program)
    console = Console(highlight=False, soft_wrap=False)
    found = False
    for example_id, conversation in read_conversations(file):
        if id_ is not None and id_ not in (example_id, conversation.id):
            continue
        found = True
        result = brief_program.brief(conversation)
        if result.fallback:
            typer.echo(f"note: {example_id}: {result.program} answered ({result.fallback_reason})", err=True)
        elif result.sections_from_rules:
            typer.echo(
                f"note: {example_id}: {', '.join(result.sections_from_rules)} came from rules "
                f"(the model's answer had nothing usable there)",
                err=True,
            )
        if output == "json":
            typer.echo(result.portal.model_dump_json())
        else:
            console.print(portal_panel(result.portal, program=result.program))
    if id_ is not None and not found:
        raise ValueError(f"no example with id {id_!r} in {file}")


def register(app: typer.Typer) -> None:
    app.command("brief")(brief)
