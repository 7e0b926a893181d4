"""Async tests here run on asyncio through anyio's pytest plugin (the LiveKit SDK is asyncio-only).

The service fixture reuses the service tests' seeding (Harper Valley calls, a live call with a room, keys
made through ``assist.auth``) on a store of its own, so listening tests can end calls freely.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from assist.auth import AuthStore
from assist.schema import LabelledExample
from assist.settings import Settings
from assist.store import ConversationStore
from assist.tokens import LiveKitCredentials
from service import create_app
from tests.listen.livekit_objects import closed_port_url
from tests.service.conftest import make_keys, seed, serve


@pytest.fixture()
def anyio_backend() -> str:
    return "asyncio"


@dataclass(frozen=True)
class ListenService:
    """The real service over loopback HTTP, minting for a LiveKit URL where nothing listens."""

    base_url: str
    livekit: LiveKitCredentials
    keys: dict[str, str]
    live_id: str
    live_room: str
    ended_id: str

    def patch(self, conversation_id: str, **changes: object) -> None:
        response = httpx.patch(
            f"{self.base_url}/core/conversations/{conversation_id}",
            json=changes,
            headers={"Authorization": f"Bearer {self.keys['a_manage']}"},
        )
        response.raise_for_status()


@pytest.fixture(scope="module")
def listen_service(
    tmp_path_factory: pytest.TempPathFactory, harper_valley: list[LabelledExample]
) -> Iterator[ListenService]:
    livekit = LiveKitCredentials(
        url=closed_port_url(), api_key="listen-key", api_secret=secrets.token_urlsafe(32)
    )
    path = tmp_path_factory.mktemp("listen-service") / "service.duckdb"
    with ConversationStore(path) as store:
        facts = seed(store, harper_valley)
        keys = make_keys(AuthStore(store))
        app = create_app(
            Settings(assist_db=str(path), assist_lm=None, assist_program=None),
            credentials=livekit,
            store=store,
        )
        with serve(app) as base_url:
            yield ListenService(
                base_url=base_url,
                livekit=livekit,
                keys=keys,
                live_id=str(facts["live_id"]),
                live_room=str(facts["live_room"]),
                ended_id=harper_valley[0].conversation.id,
            )
