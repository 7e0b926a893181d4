"""What a review found by sending the service some 2,500 hostile requests, each answered by a clear 4xx over real
HTTP now: chunked bodies past the limit, JSON nested too deeply, C1 characters in ids, duplicated credentials,
undocumented statuses, calls ending before they began or dated in the future, and booleans for numbers."""

from __future__ import annotations

import contextlib
import json
import secrets
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from assist.schema import MAX_JSON_DEPTH
from assist.store import open_store
from service import MAX_BODY_BYTES
from tests import postgres
from tests.conftest import ROOT
from tests.service.conftest import World

HI = [{"role": "user", "content": "hi"}]


def call(**fields: object) -> dict[str, object]:
    return {
        "id": f"hard-{secrets.token_hex(4)}",
        "user_id": "+15551234567",
        "created_at": "2026-01-01T00:00:00Z",
        "status": "ended",
        "turns": HI,
        **fields,
    }


def refused(response: httpx.Response, status: int, *needles: str) -> str:
    """The one-line JSON detail of a refusal with ``status``, which names every needle."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"detail"} and "Traceback" not in body["detail"], body
    for needle in needles:
        assert needle in body["detail"], (needle, body["detail"])
    return str(body["detail"])


def nested(depth: int) -> object:
    """A value whose JSON nests ``depth`` objects and arrays, alternating."""
    value: object = "bottom"
    for level in range(depth):
        value = {"k": value} if level % 2 else [value]
    return value


# --- request bodies ---------------------------------------------------------------------------------


def test_a_chunked_body_past_the_limit_is_refused_as_it_streams(client: httpx.Client, world: World) -> None:
    """20 MB sent chunked (no Content-Length): 413 after about 4 MB, nothing stored, and not 20 MB held."""
    conversation_id = f"chunked-{secrets.token_hex(4)}"
    head = (
        json.dumps(call(id=conversation_id, turns=[]))[:-1].encode()
        + b', "turns": [{"role": "user", "content": "'
    )
    chunk = b"y" * 65_536
    sent = 0

    def body() -> Iterator[bytes]:
        nonlocal sent
        yield head
        while sent < 20 * 1024 * 1024:
            sent += len(chunk)
            yield chunk
        yield b'"}]}'

    tracemalloc.start()
    try:
        try:
            response = client.post(
                "/core/conversations",
                content=body(),
                headers={**world.headers("a_manage"), "Content-Type": "application/json"},
            )
        except httpx.TransportError:
            # The server may close the connection while the client still sends; the answer is then unread.
            pytest.fail("the server closed the connection before its 413 could be read")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in response.request.headers
    refused(response, 413, f"larger than {MAX_BODY_BYTES:,} bytes")
    # Client and server share this process: both the uploaded chunks and what the server kept count here.
    assert peak < 3 * MAX_BODY_BYTES, f"{peak:,} bytes traced while 20 MB streamed"
    missing = client.get(f"/core/conversations/{conversation_id}", headers=world.headers("a_manage"))
    assert missing.status_code == 404


@pytest.mark.parametrize("where", ["metadata", "an extra field", "a turn's extra field"])
def test_json_nested_past_the_limit_is_a_422_on_post(client: httpx.Client, world: World, where: str) -> None:
    def body(depth: int) -> dict[str, object]:
        # The body is an object: a value at its top level is 1 deep, in metadata 2, in a turn's field 3.
        if where == "metadata":
            return call(metadata={"k": nested(depth - 2)})
        if where == "an extra field":
            return call(extra=nested(depth - 1))
        return call(turns=[{"role": "user", "content": "hi", "emotion": nested(depth - 3)}])

    manage = world.headers("a_manage")
    assert client.post("/core/conversations", json=body(MAX_JSON_DEPTH), headers=manage).status_code == 201
    for depth in (MAX_JSON_DEPTH + 1, 256, 900):
        response = client.post("/core/conversations", json=body(depth), headers=manage)
        refused(response, 422, "body: JSON nested", f"at most {MAX_JSON_DEPTH}")


def test_json_nested_past_the_limit_is_a_422_on_patch_and_never_stored(
    client: httpx.Client, world: World
) -> None:
    manage = world.headers("a_manage")
    created = call(status="in_progress")
    assert client.post("/core/conversations", json=created, headers=manage).status_code == 201
    url = f"/core/conversations/{created['id']}"
    deep_turn = {"role": "user", "content": "again", "emotion": nested(256)}
    refused(client.patch(url, json={"append_turns": [deep_turn]}, headers=manage), 422, "JSON nested 259")
    assert client.get(url, headers=manage).json()["turns"] == 1


def test_a_body_of_brackets_is_refused_without_parsing_it(client: httpx.Client, world: World) -> None:
    headers = {**world.headers("a_manage"), "Content-Type": "application/json"}
    for body in (b"[" * 4_000_000, b"{" * 100_000, b'{"a": ' * 50_000):
        refused(client.post("/core/conversations", content=body, headers=headers), 422, "JSON nested")
    # Brackets inside strings are text, not nesting.
    text = call(turns=[{"role": "user", "content": "[[[[{{{{" * 100}])
    assert client.post("/core/conversations", json=text, headers=headers).status_code == 201


@pytest.mark.parametrize(
    ("line", "said"),
    [
        (json.dumps(call(id="deep", metadata={"k": nested(256)})), "line 2: JSON nested 258 levels deep"),
        (json.dumps(call(metadata={"x": 0})).replace('"x": 0', '"x": NaN'), "line 2: metadata.x: NaN is not"),
        (json.dumps(call(metadata={"x": 0})).replace('"x": 0', '"x": 1e400'), "line 2: metadata.x: 1e400 is"),
        (
            json.dumps(call(duration_seconds=0)).replace(
                '"duration_seconds": 0', f'"duration_seconds": {"9" * 5000}'
            ),
            "line 2: duration_seconds: an integer of 5,000 digits",
        ),
        (json.dumps(call())[:-1] + ', "status": "ringing"}', "line 2: status: given more than once"),
        (
            json.dumps(call(created_at=1_700_000_000)),
            "line 2: conversation.created_at: Input should be an ISO",
        ),
        (
            json.dumps(call(created_at="2026-01-05")),
            "line 2: conversation.created_at: Input should be an ISO",
        ),
    ],
    ids=["nested", "nan", "1e400", "5000-digits", "key-twice", "epoch-number", "date-only"],
)
@pytest.mark.parametrize("backend", postgres.BACKENDS)
def test_a_file_names_the_line_and_field_before_anything_is_imported(
    tmp_path: Path, line: str, said: str, backend: postgres.Backend
) -> None:
    """``assist dataset validate`` and ``conversations import`` (all or nothing) name the line and the field, on
    either store, where import said ``internal error`` (NaN on PostgreSQL), validate said OK, or Python's own
    "Exceeds the limit (4300 digits)" named nothing."""
    calls = tmp_path / "calls.jsonl"
    calls.write_text(json.dumps(call(id="fine")) + "\n" + line + "\n", encoding="utf-8")
    validated = assist("dataset", "validate", str(calls))
    assert validated.returncode == 1 and f"{calls}:{said}" in validated.stderr, validated.stderr
    with contextlib.ExitStack() as stack:
        db = str(tmp_path / "kit.duckdb") if backend == "duckdb" else stack.enter_context(postgres.database())
        assert assist("orgs", "create", "acme", "--db", db).returncode == 0
        imported = assist("conversations", "import", str(calls), "--org", "acme", "--db", db)
        assert imported.returncode == 1 and imported.stderr.startswith(f"error: {calls}: {said}")
        assert imported.stderr.count("\n") == 1, imported.stderr
        assert "line: " not in imported.stderr and "Traceback" not in imported.stderr
        with open_store(db) as store:
            assert store.count() == 0


def assist(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assist", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


# --- ids, headers and fields --------------------------------------------------------------------------


@pytest.mark.parametrize("control", ["\x80", "\x85", "\x9f"])
def test_ids_refuse_c1_control_characters(client: httpx.Client, world: World, control: str) -> None:
    response = client.post(
        "/core/conversations", json=call(id=f"a{control}b"), headers=world.headers("a_manage")
    )
    refused(response, 422, "body.id", "control characters")


@pytest.mark.parametrize(
    ("key", "org"),
    [("a_sensitive", None), ("a_revoked", None), ("pat_alice", "org-a")],
)
def test_a_credential_header_sent_twice_is_a_400_before_authentication(
    client: httpx.Client, world: World, key: str, org: str | None
) -> None:
    secret = world.keys[key]
    url = f"/core/agent-assist/{world.examples[0].conversation.user_id}"
    twice = [("Authorization", f"Bearer {secret}"), ("Authorization", f"Bearer {secret}")]
    if org is not None:
        twice.append(("X-Anyreach-Org", org))
    refused(client.get(url, headers=twice), 400, "Authorization header sent more than once")
    if org is not None:
        orgs = [("Authorization", f"Bearer {secret}"), ("X-Anyreach-Org", org), ("X-Anyreach-Org", "org-b")]
        refused(client.get(url, headers=orgs), 400, "X-Anyreach-Org header sent more than once")
        refused(
            client.post("/core/conversations", json=call(), headers=orgs),
            400,
            "X-Anyreach-Org header sent more than once",
        )


def test_status_is_one_of_the_documented_values(client: httpx.Client, world: World) -> None:
    manage = world.headers("a_manage")
    for status in ("completed", "ENDED", "in progress", ""):
        refused(
            client.post("/core/conversations", json=call(status=status), headers=manage),
            422,
            "body.status",
            "'triggered', 'ringing', 'in_progress', 'ended' or 'failed'",
        )
    live = call(status="in_progress")
    assert client.post("/core/conversations", json=live, headers=manage).status_code == 201
    refused(
        client.patch(f"/core/conversations/{live['id']}", json={"status": "completed"}, headers=manage),
        422,
        "body.status",
    )


def test_a_call_cannot_end_before_it_began(client: httpx.Client, world: World) -> None:
    manage = world.headers("a_manage")
    refused(
        client.post("/core/conversations", json=call(ended_at="2025-12-31T23:59:59Z"), headers=manage),
        422,
        "body.ended_at",
        "before created_at",
    )
    live = call(status="in_progress")
    assert client.post("/core/conversations", json=live, headers=manage).status_code == 201
    url = f"/core/conversations/{live['id']}"
    # Two hours earlier in another zone is the same instant: accepted.
    same = client.patch(url, json={"ended_at": "2025-12-31T22:00:00-02:00"}, headers=manage)
    assert same.status_code == 200, same.text
    refused(client.patch(url, json={"ended_at": "2025-12-31T23:00:00Z"}, headers=manage), 422, "ended_at")
    assert client.get(url, headers=manage).json()["ended_at"] == "2026-01-01T00:00:00Z"


def test_a_call_dated_more_than_a_day_ahead_is_refused(client: httpx.Client, world: World) -> None:
    manage = world.headers("a_manage")
    now = datetime.now(UTC)
    for ahead in (timedelta(days=1, minutes=5), timedelta(days=365 * 300)):
        future = call(created_at=(now + ahead).isoformat())
        refused(
            client.post("/core/conversations", json=future, headers=manage),
            422,
            "body.created_at",
            "more than a day ahead",
        )
    # A platform clock a little ahead of this one is fine.
    soon = call(created_at=(now + timedelta(hours=23)).isoformat())
    assert client.post("/core/conversations", json=soon, headers=manage).status_code == 201


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("duration_seconds", True),
        ("duration_seconds", "372"),
        ("duration_seconds", 372.5),
        ("start_ms", False),
        ("start_ms", "0"),
    ],
)
def test_numbers_are_strict(client: httpx.Client, world: World, field: str, value: object) -> None:
    manage = world.headers("a_manage")
    if field == "start_ms":
        body = call(turns=[{"role": "user", "content": "hi", "start_ms": value}])
        where = "body.turns.0.start_ms"
    else:
        body = call(**{field: value})
        where = f"body.{field}"
    refused(client.post("/core/conversations", json=body, headers=manage), 422, where, "valid integer")
    live = call(status="in_progress")
    assert client.post("/core/conversations", json=live, headers=manage).status_code == 201
    patch = {"duration_seconds": value} if field == "duration_seconds" else {"append_turns": body["turns"]}
    refused(client.patch(f"/core/conversations/{live['id']}", json=patch, headers=manage), 422, field)


def test_a_whole_number_written_as_a_float_is_that_number(client: httpx.Client, world: World) -> None:
    """JSON Schema counts 372.0 as an integer, so clients generated from the OpenAPI schema may send it."""
    body = call(duration_seconds=372.0, turns=[{"role": "user", "content": "hi", "start_ms": 0.0}])
    response = client.post("/core/conversations", json=body, headers=world.headers("a_manage"))
    assert response.status_code == 201 and response.json()["duration_seconds"] == 372, response.text


# --- what JSON leaves undefined, numbers and moments (issue 13, second review) --------------------------


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400", "-1E+999"])
def test_nan_and_infinity_are_a_422_naming_the_field_on_either_store(
    client: httpx.Client, world: World, value: str
) -> None:
    """Python's parser reads them; PostgreSQL then refused them (a 500), DuckDB kept them, and a turn's copy
    became null. JSON has no such numbers: refused where the body is parsed, with the field's path."""
    headers = {**world.headers("a_manage"), "Content-Type": "application/json"}
    for body, where in (
        (call(metadata={"x": "VALUE"}), "body.metadata.x"),
        (call(turns=[{"role": "user", "content": "hi", "score": "VALUE"}]), "body.turns.0.score"),
        (call(extra=["VALUE"]), "body.extra.0"),
    ):
        content = json.dumps(body).replace('"VALUE"', value)
        refused(
            client.post("/core/conversations", content=content, headers=headers), 422, f"{where}: {value} "
        )
        missing = client.get(f"/core/conversations/{body['id']}", headers=headers)
        assert missing.status_code == 404
    live = call(status="in_progress")
    assert client.post("/core/conversations", json=live, headers=headers).status_code == 201
    turn = '{"append_turns": [{"role": "user", "content": "hi", "score": VALUE}]}'.replace("VALUE", value)
    url = f"/core/conversations/{live['id']}"
    refused(client.patch(url, content=turn, headers=headers), 422, "body.append_turns.0.score")
    assert client.get(url, headers=headers).json()["turns"] == 1


def test_an_integer_of_more_than_4300_digits_is_a_422_not_a_400(client: httpx.Client, world: World) -> None:
    headers = {**world.headers("a_manage"), "Content-Type": "application/json"}
    huge = "9" * 5_000
    live = call(status="in_progress")
    assert client.post("/core/conversations", json=live, headers=headers).status_code == 201
    url = f"/core/conversations/{live['id']}"
    needle = "an integer of 5,000 digits; at most 4,300 are read"
    refused(client.patch(url, content=f'{{"duration_seconds": {huge}}}', headers=headers), 422, needle)
    post = json.dumps(call(duration_seconds=0)).replace(
        '"duration_seconds": 0', f'"duration_seconds": {huge}'
    )
    refused(client.post("/core/conversations", content=post, headers=headers), 422, "body.duration_seconds")
    feedback = f'{{"section": "call_summary", "verdict": "wrong", "program": "rules", "x": {huge}}}'
    sensitive = {**world.headers("a_sensitive"), "Content-Type": "application/json"}
    refused(client.post(f"{url}/feedback", content=feedback, headers=sensitive), 422, "body.x: " + needle)


def test_a_key_given_twice_is_a_422_naming_it(client: httpx.Client, world: World) -> None:
    """Python's parser lets the last copy win: ``"status":"ended","status":"ringing"`` was a ringing call."""
    headers = {**world.headers("a_manage"), "Content-Type": "application/json"}
    body = json.dumps(call(status="ended"))[:-1] + ', "status": "ringing"}'
    refused(client.post("/core/conversations", content=body, headers=headers), 422, "body.status: given more")
    live = call(status="in_progress")
    assert client.post("/core/conversations", json=live, headers=headers).status_code == 201
    twice = '{"append_turns": [{"role": "user", "content": "a", "content": "b"}]}'
    url = f"/core/conversations/{live['id']}"
    refused(client.patch(url, content=twice, headers=headers), 422, "body.append_turns.0.content: given more")


@pytest.mark.parametrize("moment", [1_700_000_000, "1700000000", "2026-01-05"])
def test_a_moment_is_an_iso_8601_date_and_time(client: httpx.Client, world: World, moment: object) -> None:
    """Pydantic would read a number as seconds since 1970 and a date alone as its midnight; the API documents
    an ISO 8601 date-time."""
    manage = world.headers("a_manage")
    refused(
        client.post("/core/conversations", json=call(created_at=moment), headers=manage),
        422,
        "body.created_at: Input should be an ISO 8601 date and time",
    )
    live = call(status="in_progress")
    assert client.post("/core/conversations", json=live, headers=manage).status_code == 201
    refused(
        client.patch(f"/core/conversations/{live['id']}", json={"ended_at": moment}, headers=manage),
        422,
        "body.ended_at: Input should be an ISO 8601 date and time",
    )


def test_a_call_cannot_end_more_than_a_day_ahead_either(client: httpx.Client, world: World) -> None:
    manage = world.headers("a_manage")
    far = "9999-01-01T00:00:00Z"
    refused(
        client.post("/core/conversations", json=call(ended_at=far), headers=manage),
        422,
        "body.ended_at",
        "ended_at is more than a day ahead",
    )
    live = call(status="in_progress")
    assert client.post("/core/conversations", json=live, headers=manage).status_code == 201
    url = f"/core/conversations/{live['id']}"
    refused(client.patch(url, json={"ended_at": far}, headers=manage), 422, "body.ended_at", "a day ahead")
    assert client.get(url, headers=manage).json()["ended_at"] is None


def test_text_that_is_not_json_is_a_422_saying_where(client: httpx.Client, world: World) -> None:
    headers = {**world.headers("a_manage"), "Content-Type": "application/json"}
    refused(
        client.post("/core/conversations", content=b'{"id": "x",}', headers=headers),
        422,
        "body: not JSON (Expecting property name enclosed in double quotes at column 12)",
    )
    refused(client.post("/core/conversations", content=b'{"id": "\xff"}', headers=headers), 422, "not UTF-8")


def test_patch_errors_name_fields_as_post_errors_do(client: httpx.Client, world: World) -> None:
    """A change refused once applied to the stored call (ended without turns, ending before it began) names
    the field with the same ``body.`` prefix as a refused POST."""
    manage = world.headers("a_manage")
    ringing = call(status="ringing", turns=[])
    assert client.post("/core/conversations", json=ringing, headers=manage).status_code == 201
    url = f"/core/conversations/{ringing['id']}"
    refused(client.patch(url, json={"status": "ended"}, headers=manage), 422, "body.turns: Value error")
    early = {"ended_at": "2025-12-31T23:00:00Z"}
    refused(client.patch(url, json=early, headers=manage), 422, "body.ended_at: Value error")


def test_a_turn_too_long_is_counted_in_characters(client: httpx.Client, world: World) -> None:
    body = call(turns=[{"role": "user", "content": "x" * 20_001}])
    refused(
        client.post("/core/conversations", json=body, headers=world.headers("a_manage")),
        422,
        "body.turns.0.content: String should have at most 20000 characters",
    )


def test_a_failed_call_with_nothing_said_has_its_own_answer(client: httpx.Client, world: World) -> None:
    """Its caller's brief was 409 no_transcript_yet, "a brief is made once something has been said": a failed
    call never gets turns. The newest call still decides (the contract), and it says so honestly."""
    phone = "+15550002222"
    older = call(user_id=phone, created_at="2026-01-01T00:00:00Z")
    failed = call(user_id=phone, status="failed", turns=[], created_at="2026-01-01T00:05:00Z")
    for body in (older, failed):
        assert (
            client.post("/core/conversations", json=body, headers=world.headers("a_manage")).status_code
            == 201
        )
    for accept in ("application/json", "text/html"):
        response = client.get(
            f"/core/agent-assist/{phone}", headers={**world.headers("a_sensitive"), "Accept": accept}
        )
        assert response.status_code == 409, response.text
        assert response.json() == {
            "detail": f"no transcript: conversation {failed['id']!r} failed before anything was said; there is "
            "nothing to brief, and there never will be",
            "code": "no_transcript",
        }


def test_the_schema_documents_503_on_every_route(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    operations = {(method, path): spec for path, item in paths.items() for method, spec in item.items()}
    assert ("get", "/healthz") in operations
    for (method, path), spec in operations.items():
        assert "503" in spec["responses"], (method, path)
        assert "Retry-After" in spec["responses"]["503"]["description"]
