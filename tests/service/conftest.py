"""The real service over real HTTP: uvicorn on a loopback port in a background thread, a store with the Harper
Valley calls in two organizations, and keys of every kind made through ``assist.auth``.

The world is made once per store backend (a DuckDB file, then a PostgreSQL database), so every test that uses
it runs against both.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from assist.auth import SCOPES, AuthStore
from assist.schema import Conversation, LabelledExample
from assist.settings import Settings
from assist.store import Store
from assist.tokens import LiveKitCredentials
from service import create_app
from tests import postgres
from tests.conftest import HARPER_VALLEY

ORG_A = "org-a"
ORG_B = "org-b"
#: Where property-based tests write, so their random conversations stay out of the other tests' way.
ORG_FUZZ = "org-fuzz"


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run ``app`` with uvicorn on 127.0.0.1 (a free port) until the block ends; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@dataclass(frozen=True)
class World:
    """What the tests know about the running service's data."""

    base_url: str
    credentials: LiveKitCredentials
    keys: dict[str, str]
    #: Harper Valley calls, all ``ended``, imported into ORG_A.
    examples: list[LabelledExample]
    live_id: str  # in_progress with a room, ORG_A
    live_room: str
    ringing_no_room_id: str  # active, no room, ORG_A
    b_only_phone: str  # caller id only ORG_B has
    b_only_id: str

    def headers(self, key: str, org: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.keys[key]}"}
        if org is not None:
            headers["X-Anyreach-Org"] = org
        return headers


def seed(store: Store, examples: list[LabelledExample]) -> dict[str, object]:
    """Two organizations, an active call with a room, one without, and a caller only org B knows."""
    store.import_jsonl(HARPER_VALLEY, ORG_A)
    first = examples[0].conversation
    live = first.model_copy(
        update={"id": "live-1", "status": "in_progress", "room_name": "room-live-1", "ended_at": None}
    )
    ringing = first.model_copy(update={"id": "ringing-1", "status": "ringing", "room_name": None})
    store.add_many(ORG_A, [live, ringing])
    # Same id as an org A call, different caller: ids are per organization.
    b_only = Conversation.model_validate(
        {
            **examples[1].conversation.model_dump(),
            "id": examples[0].conversation.id,
            "user_id": "+15550009999",
        }
    )
    store.add(ORG_B, b_only.model_copy(update={"status": "in_progress", "room_name": "room-b"}))
    return {
        "live_id": live.id,
        "live_room": "room-live-1",
        "ringing_no_room_id": ringing.id,
        "b_only_phone": "+15550009999",
        "b_only_id": b_only.id,
    }


def make_keys(auth: AuthStore) -> dict[str, str]:
    auth.create_org(ORG_A)
    auth.create_org(ORG_B)
    auth.create_org(ORG_FUZZ)
    auth.create_user("alice@example.com")
    auth.create_user("bob@example.com")
    auth.add_member(ORG_A, "alice@example.com")
    keys: dict[str, str] = {}
    for name, org, scopes in [
        ("a_sensitive", ORG_A, ("conversations:read_sensitive",)),
        ("a_read", ORG_A, ("conversations:read",)),
        ("a_manage", ORG_A, ("conversations:manage",)),
        ("b_sensitive", ORG_B, ("conversations:read_sensitive", "conversations:manage")),
        ("a_revoked", ORG_A, ("conversations:read_sensitive",)),
        ("fuzz_all", ORG_FUZZ, SCOPES),
    ]:
        keys[name] = auth.create_key(org_id=org, scopes=scopes, name=name)[1]
    keys["pat_alice"] = auth.create_key(
        user_id="alice@example.com", scopes=("conversations:read_sensitive",)
    )[1]
    keys["pat_bob"] = auth.create_key(user_id="bob@example.com", scopes=("conversations:read_sensitive",))[1]
    auth.revoke_key(keys["a_revoked"])
    return keys


@pytest.fixture(scope="session")
def livekit_credentials() -> LiveKitCredentials:
    return LiveKitCredentials(
        url="ws://127.0.0.1:7880", api_key="test-key", api_secret=secrets.token_urlsafe(32)
    )


@pytest.fixture(scope="session", params=postgres.BACKENDS)
def seeded_store(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    harper_valley: list[LabelledExample],
) -> Iterator[tuple[Store, dict[str, str], dict[str, object]]]:
    with postgres.opened_store(request.param, Path(tmp_path_factory.mktemp("service"))) as store:
        facts = seed(store, harper_valley)
        keys = make_keys(AuthStore(store))
        yield store, keys, facts


@pytest.fixture(scope="session")
def world(
    seeded_store: tuple[Store, dict[str, str], dict[str, object]],
    livekit_credentials: LiveKitCredentials,
    harper_valley: list[LabelledExample],
) -> Iterator[World]:
    store, keys, facts = seeded_store
    settings = Settings(assist_db=store.location, assist_lm=None, assist_program=None)
    app = create_app(settings, credentials=livekit_credentials, store=store)
    with serve(app) as base_url:
        yield World(
            base_url=base_url,
            credentials=livekit_credentials,
            keys=keys,
            examples=harper_valley,
            **facts,  # type: ignore[arg-type]
        )


@pytest.fixture()
def client(world: World) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=world.base_url, timeout=30) as http:
        yield http
