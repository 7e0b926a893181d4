"""``assist listen``: listen to a live conversation; print its state changes and transcript lines."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from assist.cli import _one_line, err_console, existing_db, fail
from assist.cli.conversations import DbOption, OrgOption
from assist.errors import AssistError
from assist.listen import (
    DEFAULT_CONNECT_TIMEOUT,
    END_REASONS,
    EndReason,
    ListenSession,
    StateChange,
    StatusPoller,
    TranscriptEvent,
    WavSink,
    fetch_listener_token,
    service_status,
    store_status,
)
from assist.settings import Settings
from assist.store import open_store
from assist.tokens import ListenerToken, mint_listener_token

#: How often the conversation's status is read (a terminal status ends the session).
STATUS_INTERVAL = 2.0

_STATE_LINES = {
    "connecting": "[yellow]● Connecting…[/]",
    "live": "[bold red]● LIVE[/]",
    "ended": "[dim]● Ended[/]",
}
_SPEAKER_STYLE = {"agent": "cyan", "caller": "green", "other": "magenta"}


def mint_locally(conversation_id: str, *, org: str, db: str | None) -> tuple[ListenerToken, StatusPoller]:
    """Mint from the local store with ``$LIVEKIT_*``; poll the status from the same store."""
    settings = Settings()
    credentials = settings.livekit()
    path = existing_db(db)
    with open_store(path, read_only=True) as store:
        conversation = store.get(org, conversation_id)
    minted = mint_listener_token(conversation, credentials=credentials, ttl=settings.token_ttl)
    return minted, store_status(path, org, conversation_id)


def state_line(change: StateChange) -> str:
    line = _STATE_LINES[change.state]
    if change.reason is not None:
        line += f" [dim]({END_REASONS[change.reason]})[/]"
    return line


def transcript_line(event: TranscriptEvent) -> str:
    style = _SPEAKER_STYLE[event.speaker]
    who = event.speaker if event.speaker != "other" else event.participant_identity or "unknown"
    return f"[{style}]{escape(who)}[/]: {escape(event.text)}"


async def run_session(
    minted: ListenerToken,
    *,
    status: StatusPoller,
    status_interval: float,
    connect_timeout: float,
    wav: Path | None,
    console: Console,
) -> EndReason:
    """Connect, print until the session ends, and always leave the room."""
    sink = WavSink(wav) if wav is not None else None
    session = ListenSession(
        minted.url,
        minted.token,
        conversation_status=status,
        connect_timeout=connect_timeout,
        status_interval=status_interval,
        audio_sink=sink,
    )
    session.on_state_change(lambda change: console.print(state_line(change)))
    # interim updates would rewrite the same line many times a second; a terminal log shows settled text
    session.on_transcript(lambda event: console.print(transcript_line(event)) if event.final else None)
    console.print(f"{_STATE_LINES['connecting']} [dim]room {escape(minted.room_name)}[/]")
    try:
        async with session:
            await session.connect()
            if sink is not None:
                session.start_audio()
            return await session.wait_ended()
    finally:
        if sink is not None:
            sink.close()


def listen(
    conversation_id: Annotated[str, typer.Argument(help="Conversation to listen to")],
    org: OrgOption,
    db: DbOption = None,
    service: Annotated[
        str | None,
        typer.Option("--service", help="Mint through the service at this URL instead of the local store"),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option(
            "--key",
            envvar="ASSIST_API_KEY",
            help="Service API key or personal access token (prefer $ASSIST_API_KEY: argv is visible to others)",
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Seconds to wait for audio before giving up")
    ] = DEFAULT_CONNECT_TIMEOUT,
    wav: Annotated[
        Path | None, typer.Option("--wav", help="Also play the mixed call audio into this WAV file")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show LiveKit's own log lines")] = False,
) -> None:
    """Listen to a live conversation (listen-only): print Connecting… / LIVE / Ended and final transcript lines.

    Ends when the agent leaves, the conversation ends, or on Ctrl-C.

    Without --service the token is minted from the local store with LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET.
    """
    if service is not None and key is None:
        raise fail("--service needs --key (or $ASSIST_API_KEY)")
    if service is not None and key is not None:
        minted = asyncio.run(fetch_listener_token(service, conversation_id, key=key, org=org))
        status = service_status(service, conversation_id, key=key, org=org)
    else:
        minted, status = mint_locally(conversation_id, org=org, db=db)
    if not verbose:
        # the rtc SDK logs every retry of a failed connect; the one-line error says it once
        logging.getLogger("livekit").addHandler(logging.NullHandler())
        logging.getLogger("livekit").propagate = False
    console = Console(highlight=False)
    code = 0
    try:
        asyncio.run(
            run_session(
                minted,
                status=status,
                status_interval=STATUS_INTERVAL,
                connect_timeout=timeout,
                wav=wav,
                console=console,
            )
        )
    except AssistError as exc:
        err_console.print(f"error: {_one_line(exc)}", markup=False)
        code = 1
    # The rtc SDK disposes its native runtime at interpreter exit, and that teardown sometimes panics and
    # aborts (a Rust panic "in a function that cannot unwind") after a failed connect. Everything of ours
    # is closed and flushed here, so the process leaves without running that teardown.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def register(app: typer.Typer) -> None:
    app.command("listen")(listen)
