"""``assist listen`` as a user runs it: a real process, a real DuckDB file or the real service.

No LiveKit media server runs here, so every run ends at the connect, which shows the whole path up to it:
the token was minted (the room name printed comes from it), the session said Connecting… and Ended, and
the error is one line naming the LiveKit URL.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from assist.store import ConversationStore
from tests.conftest import HARPER_VALLEY
from tests.listen.conftest import ListenService
from tests.listen.livekit_objects import closed_port_url
from tests.service.conftest import ORG_A

CALL = "0002f70f7386445b"


def assist(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LIVEKIT_", "ASSIST_"))}
    return subprocess.run(
        [sys.executable, "-m", "assist", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, "COLUMNS": "200", **(env or {})},
    )


@pytest.fixture(scope="module")
def store_with_a_live_call(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = str(tmp_path_factory.mktemp("listen-cli") / "kit.duckdb")
    with ConversationStore(db) as store:
        store.import_jsonl(HARPER_VALLEY, "acme")
        store.update("acme", CALL, status="in_progress", room_name="call-live-1")
    return db


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_mints_from_the_store_then_reports_the_livekit_failure(store_with_a_live_call: str) -> None:
    url = closed_port_url()
    env = {"LIVEKIT_URL": url, "LIVEKIT_API_KEY": "devkey", "LIVEKIT_API_SECRET": "x" * 40}
    result = assist("listen", CALL, "--org", "acme", "--db", store_with_a_live_call, env=env)
    assert result.stdout.splitlines() == ["● Connecting… room call-live-1", "● Ended (could not connect)"]
    line = one_error_line(result)  # LiveKit's retry log lines stay out of the way
    assert line.startswith(f"error: could not connect to LiveKit at {url}: ")
    assert "Connection refused" in line


def test_missing_livekit_settings_are_named(store_with_a_live_call: str) -> None:
    result = assist("listen", CALL, "--org", "acme", "--db", store_with_a_live_call)
    assert one_error_line(result) == (
        "error: set LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET (LiveKit server URL, API key and secret)"
    )
    assert result.stdout == ""


def test_an_ended_call_cannot_be_listened_to(store_with_a_live_call: str) -> None:
    env = {"LIVEKIT_URL": closed_port_url(), "LIVEKIT_API_KEY": "devkey", "LIVEKIT_API_SECRET": "x" * 40}
    result = assist("listen", "004860b1ab2e4c88", "--org", "acme", "--db", store_with_a_live_call, env=env)
    assert "is ended; only triggered, ringing or in_progress" in one_error_line(result)


def test_service_needs_a_key() -> None:
    result = assist("listen", CALL, "--org", "acme", "--service", "http://127.0.0.1:9")
    assert one_error_line(result) == "error: --service needs --key (or $ASSIST_API_KEY)"


def test_mints_through_the_service(listen_service: ListenService) -> None:
    key = listen_service.keys["a_sensitive"]
    result = assist(
        "listen", listen_service.live_id, "--org", ORG_A, "--service", listen_service.base_url, "--key", key
    )
    assert result.stdout.splitlines() == [
        f"● Connecting… room {listen_service.live_room}",
        "● Ended (could not connect)",
    ]
    assert one_error_line(result).startswith(
        f"error: could not connect to LiveKit at {listen_service.livekit.url}: "
    )

    refused = assist(
        "listen", listen_service.ended_id, "--org", ORG_A, "--service", listen_service.base_url, "--key", key
    )
    assert one_error_line(refused).startswith("error: the service answered 409 to POST /core/conversations/")
    assert refused.stdout == ""


def test_the_service_key_may_come_from_the_environment(listen_service: ListenService) -> None:
    refused = assist(
        "listen",
        listen_service.ended_id,
        "--org",
        ORG_A,
        "--service",
        listen_service.base_url,
        env={"ASSIST_API_KEY": listen_service.keys["a_sensitive"]},
    )
    assert one_error_line(refused).startswith("error: the service answered 409 to POST /core/conversations/")
