"""A throwaway PostgreSQL server for the tests, and a fresh database for each user of it.

Debian's ``postgresql`` package (``apt-get install -y postgresql``; ``tests/run.sh`` installs it when it can):
``initdb`` in a temporary directory, listening on 127.0.0.1 only (no Unix socket), password authentication,
fsync off for speed; stopped when the test session ends. PostgreSQL refuses to run as root, so under root the
server runs as ``nobody``. ``ASSIST_TEST_POSTGRES=postgresql://user:password@host:port/db`` uses an existing
server instead (the user must be allowed to create databases). Without either, the PostgreSQL tests skip,
except under ``CI``, where they fail.

Tests that stop a server while a store uses it get one of their own (:func:`dedicated_server`), never the shared
one; tests of privileges make a role of their own (:func:`role`).
"""

from __future__ import annotations

import atexit
import functools
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from assist.store import ConversationStore, PostgresStore, Store

__all__ = [
    "BACKENDS",
    "Backend",
    "binaries",
    "database",
    "dedicated_server",
    "opened_store",
    "role",
    "rows",
    "server",
]

Backend = Literal["duckdb", "postgresql"]
#: What store tests are parametrized over: the same test against each backend.
BACKENDS: tuple[Backend, ...] = ("duckdb", "postgresql")

_USER = "assist"


def binaries() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``: on PATH, else the newest of Debian's versions."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).resolve().parent
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda path: int(path.parts[-3]))
    return found[-1].parent if found else None


@dataclass
class Server:
    """A server the tests may create databases on; ``url`` names its maintenance database."""

    url: str
    data_dir: Path | None = None  # set when the tests started it
    run_as: pwd.struct_passwd | None = None

    def database_url(self, name: str) -> str:
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(path=f"/{name}"))

    def stop(self) -> None:
        if self.data_dir is None:
            return
        _run(
            [str(_bin("pg_ctl")), "-D", str(self.data_dir / "data"), "-m", "immediate", "-w", "stop"],
            run_as=self.run_as,
            check=False,
        )
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.data_dir = None

    def halt(self) -> None:
        """Shut the server down as an operator restarting it does (``pg_ctl stop``, fast mode: every session is
        told ``terminating connection due to administrator command``), keeping its data."""
        assert self.data_dir is not None, "only a server the tests started can be halted"
        _run(
            [str(_bin("pg_ctl")), "-D", str(self.data_dir / "data"), "-m", "fast", "-w", "stop"],
            run_as=self.run_as,
        )

    def resume(self) -> None:
        """Start a halted server again, on the same port with the same data."""
        assert self.data_dir is not None, "only a server the tests started can be resumed"
        _run(
            [
                str(_bin("pg_ctl")),
                "-D",
                str(self.data_dir / "data"),
                "-l",
                str(self.data_dir / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
            run_as=self.run_as,
        )


def _bin(name: str) -> Path:
    folder = binaries()
    assert folder is not None
    return folder / name


def _run(
    command: list[str], *, run_as: pwd.struct_passwd | None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    as_user: dict[str, object] = {}
    if run_as is not None:
        as_user = {"user": run_as.pw_uid, "group": run_as.pw_gid, "extra_groups": []}
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
        cwd="/",  # a directory every user may enter (initdb complains about root's home otherwise)
        env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C", "TZ": "UTC"},
        **as_user,  # type: ignore[call-overload]
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start() -> Server:
    run_as = pwd.getpwnam("nobody") if os.geteuid() == 0 else None
    # Not under pytest's temp root: that is private to the user running the tests, and the server may not be.
    folder = Path(tempfile.mkdtemp(prefix="assist-test-postgres-"))
    password = secrets.token_urlsafe(24)
    (folder / "password").write_text(password + "\n", encoding="utf-8")
    if run_as is not None:
        for path in (folder, folder / "password"):
            os.chown(path, run_as.pw_uid, run_as.pw_gid)
    data = folder / "data"
    _run(
        [
            str(_bin("initdb")),
            "-D",
            str(data),
            "-U",
            _USER,
            f"--pwfile={folder / 'password'}",
            "--auth=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ],
        run_as=run_as,
    )
    port = _free_port()
    settings = {
        "listen_addresses": "'127.0.0.1'",
        "port": str(port),
        "unix_socket_directories": "''",
        # a throwaway server: durability costs time and buys nothing
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
    }
    with (data / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
    started = _run(
        [str(_bin("pg_ctl")), "-D", str(data), "-l", str(folder / "server.log"), "-w", "-t", "60", "start"],
        run_as=run_as,
        check=False,
    )
    server = Server(
        url=f"postgresql://{_USER}:{password}@127.0.0.1:{port}/postgres", data_dir=folder, run_as=run_as
    )
    if started.returncode != 0:
        log = (
            (folder / "server.log").read_text(encoding="utf-8", errors="replace")
            if (folder / "server.log").exists()
            else ""
        )
        server.stop()
        raise RuntimeError(f"PostgreSQL did not start: {started.stderr.strip()} {log[-2000:]}")
    return server


@functools.cache
def _server() -> Server:
    existing = os.environ.get("ASSIST_TEST_POSTGRES")
    if existing:
        return Server(url=existing)
    started = _start()
    atexit.register(started.stop)
    return started


def server() -> Server:
    """The session's server, started on first use; skips (fails under ``CI``) when there is none."""
    if not os.environ.get("ASSIST_TEST_POSTGRES") and binaries() is None:
        message = "PostgreSQL not found (initdb, pg_ctl): apt-get install -y postgresql, or set ASSIST_TEST_POSTGRES"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return _server()


@contextmanager
def dedicated_server() -> Iterator[Server]:
    """A server of the caller's own, stopped and removed afterwards: for tests that halt and resume it."""
    if binaries() is None:
        message = "PostgreSQL not found (initdb, pg_ctl): apt-get install -y postgresql"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    started = _start()
    try:
        yield started
    finally:
        started.stop()


@contextmanager
def role(database_url: str, *, grants: tuple[str, ...] = ()) -> Iterator[str]:
    """A new login role, granted ``grants`` (SQL privileges, e.g. ``SELECT ON ALL TABLES IN SCHEMA public``) in
    the database of ``database_url``, dropped afterwards; yields that database's URL as the role."""
    name = f"assist_role_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(16)
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
        for grant in grants:
            admin.execute(f"GRANT {grant} TO {name}")
    parts = urlsplit(database_url)
    try:
        yield urlunsplit(parts._replace(netloc=f"{name}:{password}@{parts.hostname}:{parts.port}"))
    finally:
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(f"DROP OWNED BY {name}")
            admin.execute(f"DROP ROLE {name}")


@contextmanager
def database(host: Server | None = None) -> Iterator[str]:
    """A new, empty database on ``host`` (default :func:`server`), dropped afterwards; yields its URL."""
    host = host or server()
    name = f"assist_test_{secrets.token_hex(6)}"
    with psycopg.connect(host.url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield host.database_url(name)
    finally:
        with psycopg.connect(host.url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def opened_store(backend: Backend, folder: Path) -> Iterator[Store]:
    """A new, empty store: a DuckDB file in ``folder``, or a fresh PostgreSQL database."""
    if backend == "duckdb":
        with ConversationStore(folder / "store.duckdb") as store:
            yield store
    else:
        with database() as url, PostgresStore(url) as store:
            yield store


def rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    """Run ``sql`` in the store's database beside the store, as an operator would; what it finds."""
    if isinstance(store, ConversationStore):
        return store.cursor().execute(sql).fetchall()
    with psycopg.connect(store.location) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description is not None else []
