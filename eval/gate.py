"""The regression gate: a run against a baseline, both in the ``assist eval --json`` format.

It fails when ``overall`` or any section drops by more than ``max_drop``, when a section the baseline
scored is no longer scored at all, or when more examples fail to generate than before; it names the
examples that got worse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eval.runner import summary_keys

__all__ = ["GateResult", "Regression", "WorseExample", "check"]

#: Floating-point noise must never fail a gate: identical runs compare equal.
_EPSILON = 1e-9


@dataclass(frozen=True)
class Regression:
    metric: str
    baseline: float | None
    current: float | None

    def __str__(self) -> str:
        if self.current is None:
            return f"{self.metric}: {self.baseline:.4f} -> not scored"
        assert self.baseline is not None
        return (
            f"{self.metric}: {self.baseline:.4f} -> {self.current:.4f} ({self.current - self.baseline:+.4f})"
        )


@dataclass(frozen=True)
class WorseExample:
    example_id: str
    #: ``metric: before -> after`` for every metric of the example that dropped by more than max_drop.
    drops: list[str]
    worst: float


@dataclass(frozen=True)
class GateResult:
    max_drop: float
    regressions: list[Regression] = field(default_factory=list)
    worse_examples: list[WorseExample] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.regressions


def _example_drops(base: dict[str, Any], current: dict[str, Any], max_drop: float) -> WorseExample | None:
    if current.get("error") and not base.get("error"):
        return WorseExample(base["id"], [f"failed: {current['error']}"], 1.0)
    drops, worst = [], 0.0
    for key in summary_keys:
        before, after = base["scores"].get(key), current["scores"].get(key)
        if before is None:
            continue
        drop = before - (after if after is not None else 0.0)
        if drop > max_drop + _EPSILON:
            drops.append(f"{key} {before:.3f} -> {'null' if after is None else f'{after:.3f}'}")
            worst = max(worst, drop)
    return WorseExample(base["id"], drops, worst) if drops else None


def check(current: dict[str, Any], baseline: dict[str, Any], *, max_drop: float = 0.02) -> GateResult:
    """Compare two ``--json`` documents; see the module docstring for what fails."""
    if max_drop < 0:
        raise ValueError(f"--max-drop must be >= 0, got {max_drop}")
    result = GateResult(max_drop=max_drop)
    if current.get("dataset_hash") != baseline.get("dataset_hash"):
        result.notes.append(
            f"dataset differs from the baseline's ({baseline.get('dataset')}@{str(baseline.get('dataset_hash'))[:12]}"
            f" vs {current.get('dataset')}@{str(current.get('dataset_hash'))[:12]}); comparing examples by id"
        )
    for key in summary_keys:
        before, after = baseline["scores"].get(key), current["scores"].get(key)
        if before is None:
            continue
        if after is None or before - after > max_drop + _EPSILON:
            result.regressions.append(Regression(key, before, after))
    if current.get("failed", 0) > baseline.get("failed", 0):
        result.regressions.append(
            Regression("failed examples", float(baseline.get("failed", 0)), float(current["failed"]))
        )
    now = {example["id"]: example for example in current.get("per_example", [])}
    worse = [
        drop
        for example in baseline.get("per_example", [])
        if example["id"] in now
        and (drop := _example_drops(example, now[example["id"]], max_drop)) is not None
    ]
    worse.sort(key=lambda w: (-w.worst, w.example_id))
    result.worse_examples.extend(worse)
    return result
