"""Issue-13 scale benchmark, in one run: newest-by-phone at 1k and 1M conversations on PostgreSQL beside DuckDB,
then the service's requests/s of ``/healthz``, the listener token and the ``rules`` brief with 1 and 2 workers on
PostgreSQL (1 worker on DuckDB for reference). Writes ``bench/results/scale.json``.

PostgreSQL is a throwaway server started as the tests start one (``tests/postgres.py``: ``initdb`` in a temporary
directory, 127.0.0.1 only, as ``nobody`` under root, fsync off), stopped at the end. Both stores get the same
generated conversations: COPY into PostgreSQL, DuckDB's CSV reader into DuckDB.

Lookups alternate between the backends query by query, so both see the same machine. Each is timed through the
store's ``newest_for_phone`` (with a number the process has not parsed yet, as for a caller's first request) and
in parts: parsing the number, the store's SQL alone on a connection of the bench's own, and on PostgreSQL the
server's execution time (``EXPLAIN ANALYZE``).

The three servers (``assist serve``, separate processes) run at once, serving the 1M-conversation stores plus
the Harper Valley calls; rounds go server by server and endpoint by endpoint, so every rate is measured next to
the others. The load generator is ``wrk`` (Debian's package: a C client, which leaves the cores to the server)
with ``bench/wrk.lua``; without it, httpx async clients in this process, which take a core themselves. The JSON
says which ran, and the CPU time the server (and PostgreSQL) spent per request, which does not depend on the
client.

    .venv/bin/python bench/scale.py [--rows 1000000] [--queries 2000] [--seconds 5] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import platform
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests/postgres.py: the one way the kit starts a throwaway PostgreSQL

from assist.auth import AuthStore
from assist.interchange import read_examples
from assist.phone import normalize_phone
from assist.store import ConversationStore, PostgresStore, Store
from assist.store._base import COLUMNS
from tests.postgres import binaries, database, server

RESULTS = ROOT / "bench" / "results" / "scale.json"
WRK_SCRIPT = ROOT / "bench" / "wrk.lua"
DATASET = ROOT / "datasets" / "harper_valley" / "dev.jsonl"
ORG = "bench"
TARGETS = {
    "postgresql_lookup_p50_ms_at_1m": 0.5,
    "duckdb_lookup_p50_ms_at_1m": 5.0,
    "lookup_p50_growth_1k_to_1m": 3.0,
    "token_vs_healthz": 0.8,
    "portal_rules_vs_healthz": 0.5,
}
#: A short call: what a lookup costs is the index probe and one row's conversion, not a long transcript's.
TURNS = json.dumps(
    [
        {"role": "assistant", "content": "Thanks for calling, how can I help?"},
        {"role": "user", "content": "I'd like to check on my last order please."},
        {"role": "assistant", "content": "Of course, one moment while I look it up."},
        {"role": "user", "content": "Thank you."},
    ]
)
CSV_COLUMNS = (
    "org_id, id, user_id, status, created_at, ended_at, room_name, duration_seconds, metadata, turns, extra"
)
#: The statement PostgresStore.newest_for_phone runs.
PG_NEWEST = (
    f"SELECT {COLUMNS} FROM conversations WHERE org_id = %s AND user_id = %s "
    "ORDER BY created_at DESC, id DESC LIMIT 1"
)


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    return {
        "p50_ms": round(statistics.median(ordered), 4),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 4),
        "samples": len(ordered),
    }


# --- newest-by-phone ---------------------------------------------------------------------------------------


def generate(path: Path, rows: int, *, queries: int) -> list[tuple[str, str]]:
    """``rows`` conversations as CSV: 3 organizations, ~4 calls per caller, callers arriving in random order.

    Returns ``queries`` (organization, number) pairs of callers with calls, to look up.
    """
    rng = random.Random(7)
    callers = max(1, rows // 4)
    drawn = [rng.randrange(callers) for _ in range(rows)]
    start = datetime(2026, 1, 1)

    def who(caller: int) -> tuple[str, str]:
        return f"org-{caller % 3}", f"+1555{caller:07d}"

    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS.split(", "))
        for i, caller in enumerate(drawn):
            org, phone = who(caller)
            created = start + timedelta(seconds=i)
            # empty ended_at and room_name: NULL to both readers
            writer.writerow(
                (org, f"c{i}", phone, "ended", created.isoformat(" "), "", "", 60, "{}", TURNS, "{}")
            )
    return [who(caller) for caller in rng.choices(drawn, k=queries)]


def load_duckdb(csv_path: Path, db: Path) -> tuple[ConversationStore, float]:
    """A DuckDB store holding the CSV's rows, and the seconds the bulk insert took."""
    store = ConversationStore(db)
    started = time.perf_counter()
    # The store's own key layout (organization, unit separator, id): the lookups below find nothing otherwise.
    store.cursor().execute(
        f"""
        INSERT INTO conversations (conv_key, caller_key, {CSV_COLUMNS})
        SELECT org_id || chr(31) || id, org_id || chr(31) || user_id, {CSV_COLUMNS}
        FROM read_csv(?, header = true, columns = {{
            'org_id': 'VARCHAR', 'id': 'VARCHAR', 'user_id': 'VARCHAR', 'status': 'VARCHAR',
            'created_at': 'TIMESTAMP', 'ended_at': 'TIMESTAMP', 'room_name': 'VARCHAR',
            'duration_seconds': 'INTEGER', 'metadata': 'VARCHAR', 'turns': 'VARCHAR', 'extra': 'VARCHAR'
        }})
        """,
        [str(csv_path)],
    )
    store.cursor().execute("CHECKPOINT")
    return store, time.perf_counter() - started


def load_postgres(csv_path: Path, url: str) -> tuple[PostgresStore, float]:
    """A PostgreSQL store holding the CSV's rows (COPY into the store's indexed table), and the seconds it took."""
    store = PostgresStore(url)  # creates the schema
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        copying = conn.cursor().copy(
            f"COPY conversations ({CSV_COLUMNS}) FROM STDIN (FORMAT csv, HEADER true)"
        )
        with copying as copy, csv_path.open("rb") as source:
            while block := source.read(1 << 20):
                copy.write(block)
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE conversations")  # what autovacuum does after a load; plans use the stats
    return store, time.perf_counter() - started


@dataclass
class Loaded:
    """The same conversations in both backends, and the callers to look up."""

    url: str
    postgres: PostgresStore
    duckdb_path: Path
    duckdb: ConversationStore
    targets: list[tuple[str, str]]
    fill_seconds: dict[str, float]


@contextmanager
def loaded(rows: int, *, queries: int, folder: Path) -> Iterator[Loaded]:
    """``rows`` generated conversations in a fresh PostgreSQL database and a fresh DuckDB file, both dropped after."""
    csv_path = folder / f"conversations-{rows}.csv"
    targets = generate(csv_path, rows, queries=queries)
    with ExitStack() as stack:
        url = stack.enter_context(database())
        postgres, postgres_fill = load_postgres(csv_path, url)
        stack.callback(postgres.close)
        duckdb_path = folder / f"conversations-{rows}.duckdb"
        duckdb, duckdb_fill = load_duckdb(csv_path, duckdb_path)
        stack.callback(duckdb.close)
        csv_path.unlink()
        fills = {"postgresql_copy": round(postgres_fill, 2), "duckdb_bulk_insert": round(duckdb_fill, 2)}
        yield Loaded(url, postgres, duckdb_path, duckdb, targets, fills)


def bench_lookup(stores: Loaded) -> dict[str, Any]:
    """Newest-by-phone on both backends, caller by caller in turn, whole and in parts."""
    samples: dict[str, list[float]] = defaultdict(list)
    with psycopg.connect(stores.url, autocommit=True) as raw:
        for target in stores.targets[:50]:  # warm-up: prepared statements, caches
            _lookup_once(stores, raw, target, postgres_first=True, samples=defaultdict(list))
        disagree = sum(
            _lookup_once(stores, raw, target, postgres_first=index % 2 == 0, samples=samples)
            for index, target in enumerate(stores.targets)
        )
        shape = raw.execute(f"EXPLAIN (FORMAT JSON) {PG_NEWEST}", list(stores.targets[0])).fetchone()
        assert shape is not None
    return {
        "rows": stores.postgres.count(),
        "fill_seconds": stores.fill_seconds,
        "postgresql": {
            "newest_for_phone": percentiles(samples["pg_store"]),
            "sql_alone": percentiles(samples["pg_sql"]),
            "server_execution": percentiles(samples["pg_server_execution"]),
            "plan": _plan_summary(shape[0][0]["Plan"]),
        },
        "duckdb": {
            "newest_for_phone": percentiles(samples["duckdb_store"]),
            "sql_alone": percentiles(samples["duckdb_sql"]),
        },
        "phone_parse": percentiles(samples["phone_parse"]),
        "backends_disagree": disagree,
    }


def _lookup_once(
    stores: Loaded,
    raw: psycopg.Connection[Any],
    target: tuple[str, str],
    *,
    postgres_first: bool,
    samples: dict[str, list[float]],
) -> bool:
    """One caller looked up every way, each timing added to ``samples``; whether the two stores disagree."""
    org, phone = target

    def timed(name: str, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = work()
        samples[name].append((time.perf_counter() - started) * 1000)
        return result

    def duckdb_sql() -> None:
        # the two indexed point queries of ConversationStore.newest_for_phone
        cursor = stores.duckdb.cursor()
        calls = cursor.execute(
            "SELECT created_at, id FROM conversations WHERE caller_key = ?", [f"{org}\x1f{phone}"]
        ).fetchall()
        cursor.execute(
            f"SELECT {COLUMNS} FROM conversations WHERE conv_key = ?", [f"{org}\x1f{max(calls)[1]}"]
        ).fetchone()

    order: list[tuple[str, Store]] = [("pg_store", stores.postgres), ("duckdb_store", stores.duckdb)]
    found = []
    for name, store in order if postgres_first else order[::-1]:
        # normalize_phone remembers numbers it parsed: forget, so each store call parses (as a first request does)
        normalize_phone.cache_clear()
        found.append(timed(name, lambda store=store: store.newest_for_phone(org, phone)).id)  # type: ignore[misc]
    normalize_phone.cache_clear()
    timed("phone_parse", lambda: normalize_phone(phone))
    timed("pg_sql", lambda: raw.execute(PG_NEWEST, [org, phone]).fetchone())
    timed("duckdb_sql", duckdb_sql)
    plan = raw.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {PG_NEWEST}", [org, phone]).fetchone()
    assert plan is not None
    samples["pg_server_execution"].append(float(plan[0][0]["Execution Time"]))
    return bool(found[0] != found[1])


def _plan_summary(plan: dict[str, Any]) -> str:
    """``Limit > Index Scan using conversations_newest_by_caller``: the plan's nodes, outermost first."""
    parts = []
    while plan:
        parts.append(plan["Node Type"] + (f" using {plan['Index Name']}" if "Index Name" in plan else ""))
        plan = (plan.get("Plans") or [{}])[0]
    return " > ".join(parts)


# --- the service under load --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    secret: str
    live: list[str]  # in-progress conversation ids: what a listener token is minted for
    phones: list[str]  # callers with a transcript: what a brief is made for


def seed(store: Store) -> Seeded:
    """The Harper Valley calls (and 20 in-progress copies) in organization ``bench``, and a key for it."""
    conversations = [example.conversation for example in read_examples(DATASET)]
    live = [
        c.model_copy(update={"id": f"live-{c.id}", "status": "in_progress", "room_name": f"room-{c.id}"})
        for c in conversations[:20]
    ]
    store.add_many(ORG, [*conversations, *live])
    auth = AuthStore(store)
    auth.create_org(ORG)
    _, secret = auth.create_key(org_id=ORG, scopes=("conversations:read_sensitive",), name="bench")
    return Seeded(secret, [c.id for c in live], sorted({c.user_id for c in conversations}))


@dataclass
class Running:
    name: str
    workers: int
    process: subprocess.Popen[bytes]
    base_url: str
    seeded: Seeded


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(name: str, db: str, workers: int, seeded: Seeded, *, log: Path) -> Running:
    """``assist serve`` as a user runs it, its output in ``log``; returned once it answers."""
    port = free_port()
    env = {
        **os.environ,
        "LIVEKIT_URL": "ws://127.0.0.1:7880",
        "LIVEKIT_API_KEY": "bench",
        "LIVEKIT_API_SECRET": secrets.token_urlsafe(32),
        "ASSIST_PROGRAM": "rules",
    }
    for setting in ("ASSIST_LM", "ASSIST_DB"):
        env.pop(setting, None)
    command = [
        sys.executable,
        "-m",
        "assist",
        "serve",
        "--db",
        db,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    with log.open("wb") as output:  # a file, not a pipe nobody reads while the server runs
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    running = Running(name, workers, process, f"http://127.0.0.1:{port}", seeded)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            # each new connection may reach another worker: ask a few times
            if all(
                httpx.get(f"{running.base_url}/healthz", timeout=1).status_code == 200
                for _ in range(4 * workers)
            ):
                return running
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{name} did not come up within 60 s")


def stop_server(running: Running) -> None:
    running.process.terminate()
    try:
        running.process.wait(30)
    except subprocess.TimeoutExpired:
        running.process.kill()
        running.process.wait(10)


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its living descendants (uvicorn's workers, PostgreSQL's backends)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue  # it exited meanwhile
    return total


@dataclass(frozen=True)
class Endpoint:
    method: str
    paths: Callable[[Seeded], list[str]]
    authorized: bool


ENDPOINTS = {
    "healthz": Endpoint("GET", lambda seeded: ["/healthz"], authorized=False),
    "token": Endpoint(
        "POST",
        lambda seeded: [f"/core/conversations/{quote(id_, safe='')}/listener-token" for id_ in seeded.live],
        authorized=True,
    ),
    "portal_rules": Endpoint(
        "GET",
        lambda seeded: [f"/core/agent-assist/{quote(phone, safe='')}" for phone in seeded.phones],
        authorized=True,
    ),
}


def run_wrk(
    base_url: str, method: str, paths: list[str], secret: str | None, *, seconds: float, connections: int
) -> dict[str, Any]:
    command = [
        "wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s", "-s", str(WRK_SCRIPT),
        base_url, "--", method, *paths,
    ]  # fmt: skip
    env = {**os.environ, "BENCH_SECRET": secret or ""}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 60, check=True)
    line = next(line for line in done.stdout.splitlines() if line.startswith("WRK_JSON "))
    found = json.loads(line.removeprefix("WRK_JSON "))
    return {
        "requests": found["requests"],
        "seconds": found["duration_us"] / 1e6,
        "p50_ms": found["p50_us"] / 1000,
        "p99_ms": found["p99_us"] / 1000,
        "statuses": {int(status): count for status, count in found["statuses"].items()},
        "socket_errors": sum(found["socket_errors"].values()),
    }


def run_httpx(
    base_url: str, method: str, paths: list[str], secret: str | None, *, seconds: float, connections: int
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors = 0

    async def client(deadline: float) -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as http:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    response = await http.request(method, paths[len(latencies) % len(paths)])
                except httpx.TransportError:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] += 1

    async def main() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(client(started + seconds) for _ in range(connections)))
        return time.perf_counter() - started

    took = asyncio.run(main())
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": took,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else 0.0,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000 if latencies else 0.0,
        "statuses": dict(statuses),
        "socket_errors": errors,
    }


def measure(
    running: Running, endpoint: Endpoint, *, seconds: float, connections: int, postgres_pid: int | None
) -> dict[str, Any]:
    """One run of load on one endpoint: rate, latency, statuses, and CPU spent per request by server and database."""
    generator = run_wrk if shutil.which("wrk") else run_httpx
    cpu_before = tree_cpu_seconds(running.process.pid)
    db_before = tree_cpu_seconds(postgres_pid) if postgres_pid else 0.0
    found = generator(
        running.base_url,
        endpoint.method,
        endpoint.paths(running.seeded),
        running.seeded.secret if endpoint.authorized else None,
        seconds=seconds,
        connections=connections,
    )
    cpu = tree_cpu_seconds(running.process.pid) - cpu_before
    requests = max(1, found["requests"])
    result = {
        "requests": found["requests"],
        "requests_per_second": round(found["requests"] / found["seconds"], 1),
        "p50_ms": round(found["p50_ms"], 2),
        "p99_ms": round(found["p99_ms"], 2),
        "status_counts": {str(status): count for status, count in sorted(found["statuses"].items())},
        "server_errors": sum(count for status, count in found["statuses"].items() if status >= 500),
        "socket_errors": found["socket_errors"],
        "server_cpu_ms_per_request": round(cpu * 1000 / requests, 3),
    }
    if postgres_pid:
        result["postgresql_cpu_ms_per_request"] = round(
            (tree_cpu_seconds(postgres_pid) - db_before) * 1000 / requests, 3
        )
    return result


def bench_service(
    servers: list[Running], *, seconds: float, rounds: int, connections: int, postgres_pid: int | None
) -> dict[str, Any]:
    for running in servers:  # warm-up: imports, connection pools, prepared statements, lexicons
        for endpoint in ENDPOINTS.values():
            measure(running, endpoint, seconds=1, connections=connections, postgres_pid=None)
    measured: dict[str, dict[str, list[dict[str, Any]]]] = {
        running.name: {name: [] for name in ENDPOINTS} for running in servers
    }
    for round_ in range(rounds):
        for running in servers:
            for name, endpoint in ENDPOINTS.items():
                on_postgres = postgres_pid if running.name.startswith("postgresql") else None
                result = measure(
                    running, endpoint, seconds=seconds, connections=connections, postgres_pid=on_postgres
                )
                measured[running.name][name].append(result)
                print(f"round {round_ + 1} {running.name:>20} {name:>12}: {result}", flush=True)
    report: dict[str, Any] = {}
    for running in servers:
        endpoints: dict[str, Any] = {}
        for name, results in measured[running.name].items():
            median = sorted(results, key=lambda result: float(result["requests_per_second"]))[
                len(results) // 2
            ]
            endpoints[name] = {
                **median,
                "rounds_requests_per_second": [result["requests_per_second"] for result in results],
                "server_errors": sum(int(result["server_errors"]) for result in results),
                "socket_errors": sum(int(result["socket_errors"]) for result in results),
            }
        report[running.name] = {
            "workers": running.workers,
            "endpoints": endpoints,
            "ratios": {
                f"{name}_vs_healthz": round(
                    float(endpoints[name]["requests_per_second"])
                    / float(endpoints["healthz"]["requests_per_second"]),
                    3,
                )
                for name in ("token", "portal_rules")
            },
            # The rate ratio a machine given to this server alone would see: CPU per healthz request (server and
            # PostgreSQL) over CPU per request of the endpoint, medians over the rounds.
            "cpu_ratios": {
                f"{name}_vs_healthz": round(_cpu_per_request(measured[running.name]["healthz"]) / cpu, 3)
                for name in ("token", "portal_rules")
                if (cpu := _cpu_per_request(measured[running.name][name]))
            },
        }
    return report


def _cpu_per_request(results: list[dict[str, Any]]) -> float:
    return statistics.median(
        float(result["server_cpu_ms_per_request"]) + float(result.get("postgresql_cpu_ms_per_request", 0.0))
        for result in results
    )


def postgres_facts(url: str) -> dict[str, Any]:
    """The server's version and the settings that matter here, and its postmaster's process id (None for a server
    not running on this machine), from the server's own ``postmaster.pid``."""
    with psycopg.connect(url) as conn:
        facts: dict[str, Any] = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN "
                "('server_version', 'shared_buffers', 'fsync', 'synchronous_commit', 'max_connections')"
            ).fetchall()
        )
        row = conn.execute("SELECT current_setting('data_directory')").fetchone()
    pid_file = Path(row[0]) / "postmaster.pid" if row else None
    facts["pid"] = int(pid_file.read_text().split()[0]) if pid_file and pid_file.exists() else None
    return facts


@contextmanager
def serving(servers: list[tuple[str, str, int, Seeded]], *, folder: Path) -> Iterator[list[Running]]:
    started: list[Running] = []
    try:
        for name, db, workers, seeded in servers:
            started.append(start_server(name, db, workers, seeded, log=folder / f"{name}.log"))
        yield started
    finally:
        for running in started:
            stop_server(running)


def load_generator() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        return "httpx.AsyncClient in this process (wrk not found: apt-get install -y wrk)"
    version = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    return f"{(version.stdout or version.stderr).splitlines()[0].strip()}, 1 thread, bench/wrk.lua"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="conversations in the large stores")
    parser.add_argument("--queries", type=int, default=2000, help="lookups per backend and size")
    parser.add_argument("--seconds", type=float, default=5.0, help="load per endpoint and round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of every server and endpoint")
    parser.add_argument("--connections", type=int, default=20, help="concurrent connections of the load")
    args = parser.parse_args()
    if binaries() is None and not os.environ.get("ASSIST_TEST_POSTGRES"):
        raise SystemExit("PostgreSQL not found (initdb, pg_ctl): apt-get install -y postgresql")

    load_before = os.getloadavg()
    host = server()
    try:
        with tempfile.TemporaryDirectory(prefix="assist-scale-") as tmp:
            folder = Path(tmp)
            with loaded(1_000, queries=args.queries, folder=folder) as small:
                lookup_small = bench_lookup(small)
            print(json.dumps({"lookup_small": lookup_small}), flush=True)
            with loaded(args.rows, queries=args.queries, folder=folder) as large:
                lookup_large = bench_lookup(large)
                print(json.dumps({"lookup_large": lookup_large}), flush=True)
                # The service serves the large stores, with the Harper Valley calls to brief in their own org.
                pg_seeded, duck_seeded = seed(large.postgres), seed(large.duckdb)
                large.duckdb.close()  # the DuckDB server process must be its one writer
                postgres = postgres_facts(large.url)
                with serving(
                    [
                        ("postgresql_1_worker", large.url, 1, pg_seeded),
                        ("postgresql_2_workers", large.url, 2, pg_seeded),
                        ("duckdb_1_worker", str(large.duckdb_path), 1, duck_seeded),
                    ],
                    folder=folder,
                ) as servers:
                    service = bench_service(
                        servers,
                        seconds=args.seconds,
                        rounds=args.rounds,
                        connections=args.connections,
                        postgres_pid=postgres["pid"],
                    )
    finally:
        host.stop()

    growth = {
        backend: round(
            lookup_large[backend]["newest_for_phone"]["p50_ms"]
            / lookup_small[backend]["newest_for_phone"]["p50_ms"],
            3,
        )
        for backend in ("postgresql", "duckdb")
    }
    on_postgres = [service[name] for name in ("postgresql_1_worker", "postgresql_2_workers")]
    meets = {
        **{
            f"{backend}_lookup_p50_ms_at_1m": lookup_large[backend]["newest_for_phone"]["p50_ms"]
            <= TARGETS[f"{backend}_lookup_p50_ms_at_1m"]
            for backend in ("postgresql", "duckdb")
        },
        "lookup_p50_growth_1k_to_1m": max(growth.values()) <= TARGETS["lookup_p50_growth_1k_to_1m"],
        "token_vs_healthz": all(
            s["ratios"]["token_vs_healthz"] >= TARGETS["token_vs_healthz"] for s in on_postgres
        ),
        "portal_rules_vs_healthz": all(
            s["ratios"]["portal_rules_vs_healthz"] >= TARGETS["portal_rules_vs_healthz"] for s in on_postgres
        ),
        "no_5xx": all(e["server_errors"] == 0 for s in service.values() for e in s["endpoints"].values()),
    }
    report = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "setup": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "postgresql": {k: v for k, v in postgres.items() if k != "pid"},
            "load_generator": load_generator(),
            "connections": args.connections,
            "seconds_per_round": args.seconds,
            "rounds": args.rounds,
            "service_data": f"{lookup_large['rows']:,} generated conversations in 3 orgs, plus harper_valley/dev.jsonl "
            "(61 calls) and 20 in-progress copies in org bench; program rules",
            "healthz": "GET /healthz: one SELECT 1 on the store",
            # Other work on the machine moves absolute rates; ratios compare endpoints under the same load.
            "load_average_1m_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        },
        "lookup": {"small": lookup_small, "large": lookup_large, "p50_growth_1k_to_1m": growth},
        "service": service,
        "targets": TARGETS,
        "meets_targets": meets,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    ratios = {name: {"rates": s["ratios"], "cpu": s["cpu_ratios"]} for name, s in service.items()}
    print(json.dumps({"ratios": ratios, "meets_targets": meets}))


if __name__ == "__main__":
    main()
