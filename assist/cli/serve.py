"""``assist serve``: the HTTP service (``service.py``) under uvicorn, in one worker process or several."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from assist.cli.conversations import DbOption
from assist.errors import AssistError
from assist.settings import MissingLiveKitCredentials, Settings
from assist.store import display_location, is_postgres_url, open_store
from assist.tokens import LiveKitCredentials

if TYPE_CHECKING:
    import uvicorn

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def _dev_credentials(settings: Settings) -> LiveKitCredentials:
    """Fill missing LiveKit settings with throwaway values valid for this run only."""
    return LiveKitCredentials(
        url=settings.livekit_url or "ws://127.0.0.1:7880",
        api_key=settings.livekit_api_key or f"dev-{secrets.token_hex(4)}",
        api_secret=settings.livekit_api_secret or secrets.token_urlsafe(32),
    )


def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to bind")] = 8000,
    db: DbOption = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers", min=1, max=64, help="Worker processes; more than one needs a PostgreSQL store"
        ),
    ] = 1,
    dev: Annotated[
        bool, typer.Option("--dev", help="Development only: invent missing LiveKit credentials for this run")
    ] = False,
) -> None:
    """Run the HTTP service (token, brief, ingest, handoff page at /agent-assist/{phone_number})."""
    import uvicorn

    settings = Settings()
    if db is not None:
        settings = settings.model_copy(update={"assist_db": db})
    if workers > 1 and not is_postgres_url(settings.assist_db):
        raise AssistError(
            f"--workers {workers} needs the store on PostgreSQL (--db or ASSIST_DB=postgresql://…): "
            "a DuckDB file allows one writing process"
        )
    try:
        credentials = settings.livekit()
    except MissingLiveKitCredentials as exc:
        if not dev:
            raise AssistError(
                f"the service needs LiveKit credentials: {exc}; or run `assist serve --dev` to invent throwaway ones"
            ) from None
        credentials = _dev_credentials(settings)
        err_console.print(
            "[bold white on red] DEV MODE [/] [bold red]LiveKit credentials were generated for this run "
            f"only (url {credentials.url}, key {credentials.api_key}); listener tokens will not work against a "
            "real LiveKit server. Never use --dev in production.[/]"
        )
    # Opened once here, before any worker: schema migrations run once, and a store that is locked (DuckDB) or
    # unreachable (PostgreSQL) is one clear line instead of a traceback from every worker.
    with open_store(settings.assist_db):
        pass
    # Each worker builds its own app, store and connection pool from the environment (service:create_app),
    # so what this command decided travels there: the same store, and the same LiveKit credentials in every
    # worker (a token minted by one must verify like one minted by another).
    os.environ.update(
        {
            "ASSIST_DB": settings.assist_db,
            "LIVEKIT_URL": credentials.url,
            "LIVEKIT_API_KEY": credentials.api_key,
            "LIVEKIT_API_SECRET": credentials.api_secret,
        }
    )
    console.print(
        f"serving {display_location(settings.assist_db)} on http://{host}:{port} with {workers} "
        f"worker{'s' if workers > 1 else ''} (program: {settings.brief_program}; "
        f"handoff page: http://{host}:{port}/agent-assist/<phone number>)"
    )
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "log_level": "info",
        "access_log": False,
    }
    if workers == 1:
        uvicorn.run("service:create_app", **options)
        return
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config("service:create_app", **options)
    with contextlib.suppress(KeyboardInterrupt):  # as uvicorn.run: Ctrl-C stops the workers, quietly
        Multiprocess(config, sockets=[_tcp_listener(config)]).run()


def _tcp_listener(config: uvicorn.Config) -> socket.socket:
    """The socket uvicorn binds for its workers, marked as TCP.

    uvicorn leaves its protocol unset; accepted connections inherit that, and asyncio turns Nagle's algorithm off
    only on sockets marked TCP. Without this every response but a connection's first waits for the client's
    delayed ACK: 44 ms a request with 2 workers on loopback, 0.7 ms with 1 (uvicorn issue 3149).
    """
    bound = config.bind_socket()
    listener = socket.socket(bound.family, bound.type, socket.IPPROTO_TCP, fileno=bound.detach())
    listener.set_inheritable(True)
    return listener


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
