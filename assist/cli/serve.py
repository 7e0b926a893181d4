"""``assist serve``: the HTTP service (``service.py``) under uvicorn."""

from __future__ import annotations

import secrets
from typing import Annotated

import typer
from rich.console import Console

from assist.cli.conversations import DbOption
from assist.errors import AssistError
from assist.settings import MissingLiveKitCredentials, Settings
from assist.store import ConversationStore
from assist.tokens import LiveKitCredentials

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def _dev_credentials(settings: Settings) -> LiveKitCredentials:
    """Fill missing LiveKit settings with throwaway values valid for this process only."""
    return LiveKitCredentials(
        url=settings.livekit_url or "ws://127.0.0.1:7880",
        api_key=settings.livekit_api_key or f"dev-{secrets.token_hex(4)}",
        api_secret=settings.livekit_api_secret or secrets.token_urlsafe(32),
    )


def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to bind")] = 8000,
    db: DbOption = None,
    dev: Annotated[
        bool, typer.Option("--dev", help="Development only: invent missing LiveKit credentials for this run")
    ] = False,
) -> None:
    """Run the HTTP service (token, brief, ingest, handoff page at /agent-assist/{phone_number})."""
    import uvicorn

    from service import create_app

    settings = Settings()
    if db is not None:
        settings = settings.model_copy(update={"assist_db": db})
    try:
        credentials = settings.livekit()
    except MissingLiveKitCredentials as exc:
        if not dev:
            raise AssistError(
                f"the service needs LiveKit credentials: {exc}; or run `assist serve --dev` to invent throwaway ones"
            ) from None
        credentials = _dev_credentials(settings)
        err_console.print(
            "[bold white on red] DEV MODE [/] [bold red]LiveKit credentials were generated for this process "
            f"only (url {credentials.url}, key {credentials.api_key}); listener tokens will not work against a "
            "real LiveKit server. Never use --dev in production.[/]"
        )
    with ConversationStore(settings.assist_db) as store:
        app = create_app(settings, credentials=credentials, store=store)
        console.print(
            f"serving {settings.assist_db} on http://{host}:{port} (program: {settings.brief_program}; "
            f"handoff page: http://{host}:{port}/agent-assist/<phone number>)"
        )
        uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
