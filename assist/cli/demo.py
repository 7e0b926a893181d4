"""``assist demo``: the kit end to end on the bundled datasets, offline, with no API key."""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from assist.cli import typed_command, typed_path
from assist.cli._pretty import portal_panel
from assist.interchange import read_examples
from assist.programs import load_program
from assist.store import ConversationStore
from assist.tokens import LiveKitCredentials, mint_listener_token

DATASETS = Path(__file__).resolve().parents[2] / "datasets"
ORG = "demo-org"


def demo(
    datasets: Annotated[
        Path, typer.Option("--datasets", help="Folder holding the bundled datasets")
    ] = DATASETS,
    program: Annotated[
        str, typer.Option("--program", "-p", help="Brief program to show and score")
    ] = "rules",
) -> None:
    """Import the bundled calls into a temporary store, brief a caller, mint a listener token, score the program."""
    from assist.cli.evaluate import _print_run
    from eval.dataset import load_dataset
    from eval.runner import run_eval

    console = Console(highlight=False)
    files = {
        "harper_valley": datasets / "harper_valley" / "dev.jsonl",
        "synthetic": datasets / "synthetic" / "calls.jsonl",
    }
    brief_program = load_program(program)
    with tempfile.TemporaryDirectory(prefix="assist-demo-") as tmp:
        db = str(Path(tmp) / "demo.duckdb")
        with ConversationStore(db) as store:
            for name, path in files.items():
                console.print(
                    f"imported {store.import_jsonl(path, ORG)} {name} conversations into a temporary store"
                )

            console.rule(
                "1. Handoff brief: the newest call of a repeat caller (GET /core/agent-assist/{phone})"
            )
            examples = [example for example in read_examples(files["synthetic"])]
            callers = [example.conversation.user_id for example in examples]
            phone = next((number for number in callers if callers.count(number) > 1), callers[0])
            conversation = store.newest_for_phone(ORG, phone)
            result = brief_program.brief(conversation)
            console.print(f"caller {phone}: newest of {callers.count(phone)} calls is {conversation.id}")
            console.print(portal_panel(result.portal, program=result.program, max_turns=8))

            console.rule(
                "2. Live monitoring: a listen-only token (POST /core/conversations/{id}/listener-token)"
            )
            live = next(example.conversation for example in examples if example.conversation.is_active)
            credentials = LiveKitCredentials(
                url="ws://127.0.0.1:7880", api_key="demo-key", api_secret=secrets.token_urlsafe(32)
            )
            minted = mint_listener_token(store.get(ORG, live.id), credentials=credentials)
            console.print(
                f"conversation {live.id} ({live.status}) → room {minted.room_name}, expires {minted.expires_at:%H:%M:%S} UTC"
            )
            console.print(
                "grants: roomJoin, canSubscribe, hidden; canPublish and canPublishData false "
                "(demo credentials generated for this run only; no LiveKit server is contacted)"
            )

        console.rule(f"3. Eval: the {brief_program.name} program against the labelled gold")
        for name, path in files.items():
            run = run_eval(brief_program, load_dataset(path, name=name), spec=program)
            _print_run(console, run, db=None)
    # Whole commands, one a line and never wrapped, written as this shell can run them (`.venv/bin/assist`).
    assist = typed_command("assist")
    hints = [
        f"{assist} eval --dataset synthetic",
        f"{assist} dataset list",
        f"{assist} serve --help",
        f"{typed_command('jupyter')} lab {typed_path(DATASETS.parent / 'notebooks')}",
    ]
    console.print("next, to paste into a shell (the README has more):")
    for hint in hints:
        console.print(f"  {hint}", markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
