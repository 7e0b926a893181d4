"""``assist serve --workers 2`` on PostgreSQL as a user runs it: a real process tree, admin commands while it
serves, and a key revoked from the command line refused by every worker within the auth cache's lifetime."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from assist.auth import MAX_CACHE_SECONDS
from tests import postgres
from tests.assist_process import assist
from tests.conftest import HARPER_VALLEY, ROOT

#: Requests per burst, sent on fresh connections from this many threads, so both workers take some.
BURST = 60
THREADS = 8
#: A caller of the Harper Valley calls (dev.jsonl's first), for the brief: newest-by-phone on every worker.
PHONE = "+15558170587"


def ok(*args: str) -> str:
    result = assist(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout


@dataclass
class Served:
    base_url: str
    process: subprocess.Popen[str]
    output: Path

    def workers(self) -> list[int]:
        """The worker processes: uvicorn spawns them as children of the ``assist serve`` process."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            parent = int(stat.rpartition(")")[2].split()[1])
            if parent == self.process.pid and b"spawn_main" in command:
                found.append(int(entry.name))
        return sorted(found)

    def busy(self, work: Callable[[], None]) -> dict[int, float]:
        """Run ``work``; the CPU seconds each worker spent meanwhile."""

        def cpu() -> dict[int, float]:
            ticks = os.sysconf("SC_CLK_TCK")
            seconds = {}
            for pid in self.workers():
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
                seconds[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
            return seconds

        before = cpu()
        work()
        after = cpu()
        return {pid: after[pid] - before[pid] for pid in before}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(db: str, tmp_path: Path) -> Iterator[Served]:
    port = _free_port()
    output = tmp_path / "serve.log"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LIVEKIT_", "ASSIST_"))}
    with output.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "assist",
                "serve",
                "--workers",
                "2",
                "--port",
                str(port),
                "--db",
                db,
                "--dev",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            env=clean,
            cwd=ROOT,
            start_new_session=True,  # its own process group: the workers end with it
        )
    served = Served(base_url=f"http://127.0.0.1:{port}", process=process, output=output)
    try:
        deadline = time.monotonic() + 60
        while len(served.workers()) < 2 or not _healthy(served.base_url):
            assert process.poll() is None, output.read_text()
            assert time.monotonic() < deadline, f"no two healthy workers within 60 s: {output.read_text()}"
            time.sleep(0.2)
        yield served
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def _healthy(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def burst(base_url: str, secret: str) -> list[int]:
    """The statuses of BURST brief requests, each on a new connection."""

    def one(_: int) -> int:
        headers = {"Authorization": f"Bearer {secret}"}
        return httpx.get(f"{base_url}/core/agent-assist/{PHONE}", headers=headers, timeout=30).status_code

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(one, range(BURST)))


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    with postgres.database() as url:
        yield url


def test_two_workers_serve_while_admin_runs_and_a_revoked_key_stops_everywhere(
    postgres_url: str, tmp_path: Path
) -> None:
    db = postgres_url
    ok("orgs", "create", "acme", "--db", db)
    scopes = "conversations:read_sensitive"
    old = ok("keys", "create", "--org", "acme", "--scopes", scopes, "--db", db).strip()
    with serving(db, tmp_path) as served:
        password = db.split(":")[2].split("@")[0]
        banner = served.output.read_text()
        assert "with 2 workers" in banner and ":***@127.0.0.1" in banner and password not in banner

        # admin while serving: an organization, an import, a key, all usable at once on every worker
        ok("orgs", "create", "globex", "--db", db)
        assert "imported 61 conversations" in ok(
            "conversations", "import", str(HARPER_VALLEY), "--org", "acme", "--db", db
        )
        fresh = ok("keys", "create", "--org", "acme", "--scopes", scopes, "--db", db).strip()
        assert set(burst(served.base_url, fresh)) == {200}
        spent = served.busy(lambda: assert_statuses(burst(served.base_url, old), {200}))
        assert len(spent) == 2 and min(spent.values()) > 0.05, f"a worker took no requests: {spent}"

        # the old key, now remembered by both workers, revoked from the command line
        ok("keys", "revoke", old.split("_")[1], "--db", db)
        revoked_at = time.monotonic()
        while set(burst(served.base_url, old)) != {401}:
            assert time.monotonic() - revoked_at < MAX_CACHE_SECONDS + 2, (
                "a worker still accepts a revoked key"
            )
            time.sleep(0.2)
        delay = time.monotonic() - revoked_at
        spent = served.busy(lambda: assert_statuses(burst(served.base_url, old), {401}))
        assert min(spent.values()) > 0.02, f"a worker took no requests: {spent}"
        assert set(burst(served.base_url, fresh)) == {200}
        print(f"revoked key refused by every worker {delay:.1f} s after `assist keys revoke`")


def assert_statuses(statuses: list[int], expected: set[int]) -> None:
    assert set(statuses) == expected, statuses


def test_workers_on_a_duckdb_file_are_refused_in_one_line(tmp_path: Path) -> None:
    result = assist("serve", "--workers", "2", "--dev", "--db", str(tmp_path / "kit.duckdb"))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: --workers 2 needs the store on PostgreSQL (--db or ASSIST_DB=postgresql://…): "
        "a DuckDB file allows one writing process"
    )
    assert not (tmp_path / "kit.duckdb").exists()
