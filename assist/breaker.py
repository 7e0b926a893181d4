"""A circuit breaker for the service's model program: while the model keeps failing, stop asking it.

Without one, every portal request during a model outage waits the full brief deadline before ``rules``
answers. The breaker is **closed** while the model works. One timeout (a hang costs every caller the whole
deadline) or ``failures_to_open`` consecutive other failures **open** it: callers are told not to ask the
model and get ``rules`` at once. After ``cooldown_s`` it is **half-open**: exactly one call probes the model
while every other call still gets ``rules`` at once; a successful probe closes the breaker, a failed one
opens it for another cooldown.

Outcomes are reported against the :class:`Permit` a call was admitted with. A permit from before the last
state change is stale and its outcome is ignored, so a slow call that started while the breaker was closed
cannot re-close it after a probe failed, nor re-open it after a probe succeeded. All methods are thread-safe.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

__all__ = ["CircuitBreaker", "Outcome", "Permit", "State"]

log = logging.getLogger("assist.breaker")


class State(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class Outcome(Enum):
    SUCCESS = "success"
    #: An error or a fallback that was quick: counts towards ``failures_to_open``.
    FAILURE = "failure"
    #: The call cost its whole deadline: opens the breaker at once.
    TIMEOUT = "timeout"
    #: The call ended without a verdict (e.g. the request was cancelled): nothing is counted, and a probe's
    #: slot is freed so the next call probes instead of the breaker waiting for a verdict that never comes.
    ABANDONED = "abandoned"


@dataclass(frozen=True)
class Permit:
    """Leave to call the model, issued by :meth:`CircuitBreaker.admit`."""

    generation: int
    probe: bool


class CircuitBreaker:
    """Closed, open or half-open; ``admit`` before calling the model and ``record`` its outcome afterwards."""

    def __init__(
        self,
        *,
        name: str,
        cooldown_s: float,
        failures_to_open: int = 3,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if cooldown_s <= 0 or failures_to_open < 1:
            raise ValueError("cooldown_s must be positive and failures_to_open at least 1")
        self.name = name
        self.cooldown_s = cooldown_s
        self.failures_to_open = failures_to_open
        self._clock = clock
        self._lock = threading.Lock()
        self._state = State.CLOSED
        #: Bumped on every state change; outcomes of permits from an older generation are ignored.
        self._generation = 0
        self._failures = 0
        self._opened_at = 0.0

    @property
    def state(self) -> State:
        with self._lock:
            return self._state

    def admit(self) -> Permit | None:
        """A permit to call the model, or ``None``: do not call it, answer without it now."""
        with self._lock:
            if self._state is State.CLOSED:
                return Permit(self._generation, probe=False)
            if self._state is State.OPEN and self._clock() - self._opened_at >= self.cooldown_s:
                self._change(State.HALF_OPEN, "cooldown over, one call probes the model")
                return Permit(self._generation, probe=True)
            return None

    def record(self, permit: Permit, outcome: Outcome) -> None:
        """What came of a call admitted with ``permit``. Call it exactly once per permit."""
        with self._lock:
            if permit.generation != self._generation:
                return
            if outcome is Outcome.ABANDONED:
                if permit.probe:
                    # Back to open with the old opening time: the cooldown is over, so the next call probes.
                    self._change(State.OPEN, "the probe ended without a verdict")
                return
            if outcome is Outcome.SUCCESS:
                self._failures = 0
                if permit.probe:
                    self._change(State.CLOSED, "the probe succeeded")
                return
            self._failures += 1
            if permit.probe or outcome is Outcome.TIMEOUT or self._failures >= self.failures_to_open:
                self._opened_at = self._clock()
                self._change(
                    State.OPEN,
                    f"{'the probe' if permit.probe else 'a call'} ended in {outcome.value} "
                    f"({self._failures} consecutive failure{'s' if self._failures != 1 else ''}); "
                    f"next probe in {self.cooldown_s:g}s",
                )

    def _change(self, state: State, why: str) -> None:
        """Enter ``state`` (the lock is held) and log it: why, never what the calls were about."""
        if state is not State.OPEN:
            self._failures = 0
        level = logging.WARNING if state is State.OPEN else logging.INFO
        log.log(level, "%s breaker %s -> %s: %s", self.name, self._state.value, state.value, why)
        self._state = state
        self._generation += 1
