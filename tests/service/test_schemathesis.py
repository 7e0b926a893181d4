"""Property-based tests from the service's own OpenAPI schema (schemathesis), over real HTTP.

Every generated request, valid (positive) or not (negative), must get a documented status and a body that
matches the schema, and never a 5xx. The key writes into its own organization so generated conversations
stay out of the other tests' data. (schemathesis' lazy ``from_fixture`` loader does not run on pytest 9,
so each operation's strategy is driven with hypothesis directly.)
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.schemas import APIOperation

from tests.service.conftest import World

EXAMPLES_PER_OPERATION = 15
#: A phone number is a string in the schema; one that is schema-valid but not a possible number gets a
#: clear 400, which JSON Schema cannot express, so "valid data must be accepted" does not hold for these.
TAKES_PHONE_NUMBERS = {
    ("GET", "/core/agent-assist/{phone_number}"),
    ("GET", "/core/callers/{phone_number}/conversations"),
    ("POST", "/core/conversations"),
}


@pytest.fixture(scope="module")
def api_schema(world: World) -> schemathesis.schemas.BaseSchema:
    return schemathesis.openapi.from_url(f"{world.base_url}/openapi.json")


def exercise(operation: APIOperation, *, mode: GenerationMode, headers: dict[str, str]) -> None:
    takes_phone = (operation.method.upper(), operation.path) in TAKES_PHONE_NUMBERS
    excluded = [schemathesis.checks.positive_data_acceptance] if takes_phone else []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case) -> None:
        response = case.call_and_validate(headers=headers, excluded_checks=excluded, timeout=30)
        assert response.status_code < 500, (case.method, case.path, response.text)
        assert "Traceback" not in response.text

    check()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_every_operation_conforms_and_never_5xx(
    api_schema: schemathesis.schemas.BaseSchema, world: World, mode: GenerationMode
) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {f"{op.method.upper()} {op.path}" for op in operations} >= {
        "POST /core/conversations/{conversation_id}/listener-token",
        "GET /core/agent-assist/{phone_number}",
        "POST /core/conversations",
        "PATCH /core/conversations/{conversation_id}",
        "GET /healthz",
    }
    headers = world.headers("fuzz_all")
    nothing_to_negate: set[str] = set()
    for operation in operations:
        try:
            exercise(operation, mode=mode, headers=headers)
        except Unsatisfiable:
            # Negative mode has nothing to make invalid in an operation without inputs.
            if mode is GenerationMode.POSITIVE:
                raise
            nothing_to_negate.add(f"{operation.method.upper()} {operation.path}")
    assert nothing_to_negate <= {"GET /healthz"}
