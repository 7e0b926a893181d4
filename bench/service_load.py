"""Loopback load on the service: requests/s and p50/p99 of the token and brief endpoints next to /healthz.

The server runs as its own process (``assist serve`` → uvicorn, one worker) on a throwaway DuckDB file with
the Harper Valley calls; the client is this process, ``--concurrency`` httpx async clients sending a fixed
number of requests per endpoint. Writes ``bench/results/service_load.json``.

    .venv/bin/python bench/service_load.py [--requests 2000] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from assist.auth import AuthStore
from assist.interchange import read_examples
from assist.store import ConversationStore

ROOT = Path(__file__).resolve().parents[1]
DATASET = ROOT / "datasets" / "harper_valley" / "dev.jsonl"
RESULTS = ROOT / "bench" / "results" / "service_load.json"
ORG = "bench"
ROUNDS = 3
TARGETS = {"token_vs_healthz": 0.5, "portal_vs_healthz": 0.3}


def prepare(db: Path) -> tuple[str, list[str], list[str]]:
    """Seed the store; returns the key, active conversation ids (token targets) and caller numbers."""
    conversations = [example.conversation for example in read_examples(DATASET)]
    live = [
        c.model_copy(update={"id": f"live-{c.id}", "status": "in_progress", "room_name": f"room-{c.id}"})
        for c in conversations[:20]
    ]
    with ConversationStore(db) as store:
        store.add_many(ORG, [*conversations, *live])
        auth = AuthStore(store)
        auth.create_org(ORG)
        _, secret = auth.create_key(org_id=ORG, scopes=("conversations:read_sensitive",), name="bench")
    return secret, [c.id for c in live], sorted({c.user_id for c in conversations})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(db: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "LIVEKIT_URL": "ws://127.0.0.1:7880",
        "LIVEKIT_API_KEY": "bench",
        "LIVEKIT_API_SECRET": secrets.token_urlsafe(32),
        "ASSIST_PROGRAM": "rules",
    }
    env.pop("ASSIST_LM", None)
    command = [sys.executable, "-m", "assist", "serve", "--db", str(db), "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
        if server.poll() is not None:
            raise SystemExit(f"server exited: {server.stderr.read().decode() if server.stderr else ''}")
    server.kill()
    raise SystemExit("server did not come up within 60 s")


MakeRequest = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


async def load(base_url: str, make: MakeRequest, *, requests: int, concurrency: int) -> dict[str, Any]:
    """Send ``requests`` requests from ``concurrency`` clients; latency and status of each."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    counter = iter(range(requests))

    async def worker() -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
            for index in counter:
                started = time.perf_counter()
                response = await make(client, index)
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": requests,
        "concurrency": concurrency,
        "seconds": round(seconds, 3),
        "requests_per_second": round(requests / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 2),
        "status_counts": {str(status): count for status, count in sorted(statuses.items())},
        "server_errors": sum(count for status, count in statuses.items() if status >= 500),
    }


async def run(
    base_url: str, secret: str, live: list[str], phones: list[str], *, requests: int, concurrency: int
) -> dict[str, dict[str, Any]]:
    auth = {"Authorization": f"Bearer {secret}"}
    endpoints: dict[str, MakeRequest] = {
        "healthz": lambda client, i: client.get("/healthz"),
        "token": lambda client, i: client.post(
            f"/core/conversations/{live[i % len(live)]}/listener-token", headers=auth
        ),
        "portal_rules": lambda client, i: client.get(
            f"/core/agent-assist/{phones[i % len(phones)]}", headers=auth
        ),
    }
    for make in endpoints.values():
        await load(base_url, make, requests=min(200, requests), concurrency=concurrency)  # warm-up
    # Interleaved rounds, so a burst of other work on the machine hits every endpoint alike; each endpoint
    # reports its median round.
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in endpoints}
    for _ in range(ROUNDS):
        for name, make in endpoints.items():
            rounds[name].append(
                await load(base_url, make, requests=requests // ROUNDS, concurrency=concurrency)
            )
    results: dict[str, dict[str, Any]] = {}
    for name, measured in rounds.items():
        by_rate = sorted(measured, key=lambda result: float(result["requests_per_second"]))
        results[name] = {
            **by_rate[len(by_rate) // 2],
            "rounds_requests_per_second": [result["requests_per_second"] for result in measured],
            "server_errors": sum(int(result["server_errors"]) for result in measured),
        }
        print(f"{name:>13}: {results[name]}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per endpoint")
    parser.add_argument("--concurrency", type=int, default=20, help="concurrent async clients")
    args = parser.parse_args()

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        secret, live, phones = prepare(db)
        port = free_port()
        server = start_server(db, port)
        try:
            results = asyncio.run(
                run(
                    f"http://127.0.0.1:{port}",
                    secret,
                    live,
                    phones,
                    requests=args.requests,
                    concurrency=args.concurrency,
                )
            )
        finally:
            server.terminate()
            server.wait(30)

    healthz = float(results["healthz"]["requests_per_second"])
    ratios = {
        "token_vs_healthz": round(float(results["token"]["requests_per_second"]) / healthz, 3),
        "portal_vs_healthz": round(float(results["portal_rules"]["requests_per_second"]) / healthz, 3),
    }
    report = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "setup": {
            "server": "assist serve (uvicorn, 1 worker, separate process), DuckDB file, rules program",
            "client": f"{args.concurrency} httpx.AsyncClient in one process on the same machine",
            "healthz": "GET /healthz runs SELECT 1 on the store",
            "dataset": "harper_valley/dev.jsonl (61 calls) + 20 in-progress copies",
            "cpus": os.cpu_count(),
            # Other work on the machine moves absolute rates; the ratios compare endpoints under the same load.
            "load_average_1m_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
            "python": platform.python_version(),
        },
        "endpoints": results,
        "ratios": ratios,
        "targets": TARGETS,
        "meets_targets": all(ratios[name] >= target for name, target in TARGETS.items())
        and all(result["server_errors"] == 0 for result in results.values()),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({"ratios": ratios, "meets_targets": report["meets_targets"]}))


if __name__ == "__main__":
    main()
