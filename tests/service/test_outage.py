"""PostgreSQL stopped and started under ``assist serve --workers 2``, as a reviewer did to the real service: while
it is down every route answers a fast 503 with ``Retry-After``, never a 500 or a 30 s wait; after a restart the
connections it left dead in each worker's pool cost no request an error. A server of this test's own
(``postgres.dedicated_server``): halting the shared one would break every other test."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from assist.schema import LabelledExample
from tests import postgres
from tests.conftest import HARPER_VALLEY
from tests.service.test_workers import PHONE, ok, serving

#: The pool's default wait for a connection (ASSIST_DB_POOL_TIMEOUT_SECONDS) and room for a loaded machine.
FAST_S = 2.0 + 1.5
#: Requests of each kind per round, from several threads on fresh connections, so both workers take some.
ROUND = 6


def test_a_restart_costs_no_request_and_an_outage_is_a_fast_503(
    tmp_path: Path, harper_valley: list[LabelledExample]
) -> None:
    scopes = "conversations:read_sensitive,conversations:manage"
    with postgres.dedicated_server() as host:
        db = host.database_url("postgres")  # the server is this test's alone, and removed with it
        ok("orgs", "create", "acme", "--db", db)
        secret = ok("keys", "create", "--org", "acme", "--scopes", scopes, "--db", db).strip()
        ok("conversations", "import", str(HARPER_VALLEY), "--org", "acme", "--db", db)
        auth = {"Authorization": f"Bearer {secret}"}
        conversation_id = harper_valley[0].conversation.id
        with serving(db, tmp_path) as served:

            def ask(method: str, path: str) -> httpx.Response:
                body = None
                if method == "POST":
                    body = {
                        "id": f"new-{secrets.token_hex(4)}",
                        "user_id": "+15550001111",  # not PHONE's: its newest call stays one with turns
                        "created_at": "2026-01-05T10:00:00Z",
                        "status": "ringing",
                    }
                return httpx.request(method, served.base_url + path, json=body, headers=auth, timeout=60)

            routes: list[tuple[str, str]] = [
                ("GET", "/healthz"),
                ("GET", f"/core/agent-assist/{PHONE}"),
                ("GET", f"/core/conversations/{conversation_id}"),
                ("GET", f"/core/callers/{PHONE}/conversations"),
                ("POST", "/core/conversations"),
            ]

            def round_of(
                check: Callable[[httpx.Response, float], None], *, only: str | None = None
            ) -> list[int]:
                """Every route (or the ``only`` method's) ROUND times at once; ``check`` sees each answer and how
                long it took."""

                def one(route: tuple[str, str]) -> int:
                    started = time.monotonic()
                    response = ask(*route)
                    check(response, time.monotonic() - started)
                    return response.status_code

                chosen = [route for route in routes if only in (None, route[0])]
                with ThreadPoolExecutor(8) as pool:
                    return list(pool.map(one, chosen * ROUND))

            def served_well(response: httpx.Response, _: float) -> None:
                assert response.status_code in (200, 201), (response.request.url, response.text)

            round_of(served_well)  # every worker's pool now holds connections

            # A restart while nothing is asked: the pools keep connections the server has closed.
            time.sleep(1.2)  # idle past the store's check threshold, as any quiet moment leaves them
            host.halt()
            host.resume()
            # Writes first: a read on a dead connection may be asked again, a write may not (it may be done).
            round_of(served_well, only="POST")
            round_of(served_well)

            # An outage: every route a 503 at once, and a write is not half done.
            host.halt()

            waits: list[float] = []

            def unavailable(response: httpx.Response, seconds: float) -> None:
                waits.append(seconds)
                assert response.status_code == 503, (response.request.url, response.text)
                assert seconds < FAST_S, f"{response.request.url} took {seconds:.1f} s to answer 503"
                assert response.headers["Retry-After"] == "5"
                assert response.json() == {
                    "detail": "the conversation store is unavailable; try again in a few seconds"
                }

            round_of(unavailable)
            host.resume()
            back = time.monotonic()
            seen: set[int] = set()
            while not (statuses := set(round_of(lambda response, _: None))) <= {200, 201}:
                seen |= statuses
                assert seen <= {200, 201, 503}, f"while PostgreSQL came back: {sorted(seen)}"
                assert time.monotonic() - back < 20, "the service did not recover within 20 s of the restart"
            recovered = time.monotonic() - back
            round_of(served_well)
        log = served.output.read_text(encoding="utf-8")
    print(
        f"503 within {max(waits):.1f} s while down; served again {recovered:.1f} s after PostgreSQL restarted"
    )
    assert "unhandled" not in log and "internal error" not in log, log
    # The operator hears why, by route template: never a caller's number or a password.
    assert "store unavailable in GET /core/agent-assist/{phone_number}: PostgreSQL at postgresql://" in log
    assert PHONE not in log and db.split(":")[2].split("@")[0] not in log
