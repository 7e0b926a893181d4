"""While ``assist serve`` holds a DuckDB file, every command that opens it says so in the same one line, and the
README's "One process or several" names each of them: a real service process and real commands, as a user
would meet them (the file is the default ``assist.duckdb`` for the store and the eval runs alike)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.test_core_commands import LIVEKIT_ENV, assist
from tests.conftest import HARPER_VALLEY, ROOT, SYNTHETIC

#: Every command that opens the store or the eval database, as run in the served file's directory.
OPENS_THE_FILE: list[tuple[str, ...]] = [
    ("keys", "create", "--org", "acme", "--scopes", "conversations:read"),
    ("keys", "list"),
    ("keys", "revoke", "0123456789ab"),
    ("users", "create", "ana"),
    ("orgs", "create", "other"),
    ("orgs", "add-member", "acme", "--user", "ana"),
    ("conversations", "import", str(HARPER_VALLEY), "--org", "acme"),
    ("token", "0002f70f7386445b", "--org", "acme"),
    ("listen", "0002f70f7386445b", "--org", "acme"),
    ("feedback", "export", "--org", "acme"),
    ("dataset", "from-store", "acme", "--name", "acme-calls"),
    ("eval", "--dataset", "synthetic"),
    ("rescore", "latest"),
    ("runs", "list"),
    ("runs", "show", "latest"),
    ("runs", "compare", "latest", "latest"),
    ("dataset", "import", str(SYNTHETIC)),
    ("dataset", "export", "synthetic", "--out", "out.jsonl"),
    ("dataset", "list"),
]
#: ... and commands that never open it, which work while the service runs.
LEAVE_IT_ALONE: list[tuple[str, ...]] = [
    ("brief", str(HARPER_VALLEY), "--id", "0002f70f7386445b"),
    ("dataset", "validate", str(SYNTHETIC)),
]
LOCKED = (
    "error: assist.duckdb is open for writing in another process; stop that process (DuckDB allows one writing "
    "process, or many read-only ones; a store on PostgreSQL lets the service and the admin commands run together)"
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A directory whose ``assist.duckdb`` (an organization, its calls, a stored run) ``assist serve`` holds."""
    where = tmp_path_factory.mktemp("served")
    for args in (
        ("orgs", "create", "acme"),
        ("conversations", "import", str(HARPER_VALLEY), "--org", "acme"),
        ("eval", "--dataset", str(HARPER_VALLEY)),
    ):
        made = assist(*args, cwd=where)
        assert made.returncode == 0, made.stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LIVEKIT_", "ASSIST_"))}
    service = subprocess.Popen(
        [sys.executable, "-m", "assist", "serve", "--dev", "--port", str(port)],
        cwd=where,
        env=clean,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert service.poll() is None, service.stderr.read() if service.stderr else ""
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).is_success:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "assist serve did not answer /healthz within 60 s"
            time.sleep(0.2)
        yield where
    finally:
        service.terminate()
        service.wait(timeout=30)


def test_every_command_that_opens_the_served_file_says_so_in_one_line(served: Path) -> None:
    said = {args: assist(*args, cwd=served, env=LIVEKIT_ENV) for args in OPENS_THE_FILE}
    wrong = {
        " ".join(args[:2]): (result.returncode, result.stderr)
        for args, result in said.items()
        if (result.returncode, result.stderr.strip()) != (1, LOCKED)
    }
    assert wrong == {}
    for args in LEAVE_IT_ALONE:
        result = assist(*args, cwd=served)
        assert result.returncode == 0, result.stderr


def test_the_readme_names_every_command_that_needs_the_file() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    paragraph = next(p for p in readme.split("\n\n") if p.startswith("**One process or several.**"))
    named: set[str] = set()
    for span in re.findall(r"`([a-z][a-z -]*(?:\|[a-z-]+)*)`", paragraph):
        head, _, last = span.rpartition(" ")
        named.update(f"{head} {word}".strip() for word in last.split("|"))
    for args in OPENS_THE_FILE:
        words = [word for word in args if not word.startswith(("-", "/"))]
        assert words[0] in named or " ".join(words[:2]) in named, f"README: {' '.join(words[:2])}"
