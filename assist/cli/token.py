"""``assist token``: mint a listen-only LiveKit token from the local store."""

from __future__ import annotations

from typing import Annotated

import typer

from assist.cli import existing_db
from assist.cli.conversations import DbOption, OrgOption
from assist.settings import Settings
from assist.store import open_store
from assist.tokens import mint_listener_token


def token(
    conversation_id: Annotated[str, typer.Argument(help="Conversation to listen to")],
    org: OrgOption,
    db: DbOption = None,
) -> None:
    """Print the same JSON body as POST /core/conversations/{id}/listener-token (url, token, room_name, expires_at).

    LiveKit settings come from LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET.
    """
    settings = Settings()
    credentials = settings.livekit()
    with open_store(existing_db(db), read_only=True) as store:
        conversation = store.get(org, conversation_id)
    minted = mint_listener_token(conversation, credentials=credentials, ttl=settings.token_ttl)
    typer.echo(minted.model_dump_json())


def register(app: typer.Typer) -> None:
    app.command("token")(token)
