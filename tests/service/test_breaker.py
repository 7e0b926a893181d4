"""The circuit breaker's states, on a clock the test moves (the service tests run it over real HTTP)."""

from __future__ import annotations

import logging
import threading

import pytest

from assist.breaker import CircuitBreaker, Outcome, Permit, State

COOLDOWN = 10.0


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def breaker(clock: Clock) -> CircuitBreaker:
    return CircuitBreaker(name="dspy", cooldown_s=COOLDOWN, clock=clock)


def admitted(breaker: CircuitBreaker) -> Permit:
    permit = breaker.admit()
    assert permit is not None
    return permit


def open_with_timeout(breaker: CircuitBreaker) -> None:
    breaker.record(admitted(breaker), Outcome.TIMEOUT)
    assert breaker.state is State.OPEN


def test_one_timeout_opens_it_and_it_refuses_until_the_cooldown_is_over(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    open_with_timeout(breaker)
    clock.now += COOLDOWN - 0.01
    assert breaker.admit() is None
    clock.now += 0.01
    assert admitted(breaker).probe
    assert breaker.state is State.HALF_OPEN


def test_three_failures_in_a_row_open_it_and_a_success_between_resets_the_count(
    breaker: CircuitBreaker,
) -> None:
    for outcome in (Outcome.FAILURE, Outcome.FAILURE, Outcome.SUCCESS, Outcome.FAILURE, Outcome.FAILURE):
        breaker.record(admitted(breaker), outcome)
        assert breaker.state is State.CLOSED
    breaker.record(admitted(breaker), Outcome.FAILURE)
    assert breaker.state is State.OPEN
    assert breaker.admit() is None


def test_one_probe_at_a_time_and_its_verdict_decides(breaker: CircuitBreaker, clock: Clock) -> None:
    open_with_timeout(breaker)
    clock.now += COOLDOWN
    probe = admitted(breaker)
    assert breaker.admit() is None  # others get rules while the probe runs
    breaker.record(probe, Outcome.FAILURE)  # one quick failure is enough for a probe
    clock.now += COOLDOWN - 0.01  # a failed probe starts a new cooldown
    assert breaker.admit() is None
    clock.now += 0.01
    breaker.record(admitted(breaker), Outcome.SUCCESS)
    assert breaker.state is State.CLOSED
    assert not admitted(breaker).probe


def test_an_abandoned_probe_frees_the_slot_for_the_next_call(breaker: CircuitBreaker, clock: Clock) -> None:
    open_with_timeout(breaker)
    clock.now += COOLDOWN
    breaker.record(admitted(breaker), Outcome.ABANDONED)
    assert breaker.state is State.OPEN
    assert admitted(breaker).probe  # no second cooldown: nothing was learnt about the model


def test_calls_admitted_before_a_state_change_do_not_decide_after_it(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    slow_success, slow_failure = admitted(breaker), admitted(breaker)
    open_with_timeout(breaker)
    breaker.record(slow_success, Outcome.SUCCESS)  # started while closed: says nothing about the model now
    assert breaker.admit() is None
    clock.now += COOLDOWN
    breaker.record(admitted(breaker), Outcome.SUCCESS)
    breaker.record(slow_failure, Outcome.TIMEOUT)
    assert breaker.state is State.CLOSED


def test_concurrent_callers_get_exactly_one_probe(breaker: CircuitBreaker, clock: Clock) -> None:
    open_with_timeout(breaker)
    clock.now += COOLDOWN
    start = threading.Barrier(16)
    permits: list[Permit | None] = []
    lock = threading.Lock()

    def call() -> None:
        start.wait(5)
        permit = breaker.admit()
        with lock:
            permits.append(permit)

    threads = [threading.Thread(target=call) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert len(permits) == 16
    assert sum(permit is not None for permit in permits) == 1


def test_state_changes_are_logged(
    breaker: CircuitBreaker, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="assist.breaker"):
        open_with_timeout(breaker)
        clock.now += COOLDOWN
        breaker.record(admitted(breaker), Outcome.SUCCESS)
    assert [record.getMessage().split(":")[0] for record in caplog.records] == [
        "dspy breaker closed -> open",
        "dspy breaker open -> half-open",
        "dspy breaker half-open -> closed",
    ]
    assert caplog.records[0].levelno == logging.WARNING


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="cooldown_s"):
        CircuitBreaker(name="dspy", cooldown_s=0)
    with pytest.raises(ValueError, match="failures_to_open"):
        CircuitBreaker(name="dspy", cooldown_s=1, failures_to_open=0)
