"""The regression gate: a run against a baseline, both in the ``assist eval --json`` format, and the fallback gate.

:func:`check` fails when ``overall`` or any section drops by more than ``max_drop``, when a section the
baseline scored is no longer scored at all, when more examples fail to generate than before, or when the two
runs are not comparable (another dataset version, dataset, program or model) unless that is declared
intended; it names the examples that got worse. :func:`fallback_failure` fails a model run whose briefs were
mostly written by the rules fallback: its scores measure rules, not the model.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from eval.runner import summary_keys

__all__ = ["GateResult", "Regression", "WorseExample", "check", "fallback_failure"]

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
    #: Why the run and the baseline measure different things (dataset version, dataset, program, model);
    #: each fails the gate unless the check was told the difference is intended.
    mismatches: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.regressions and not self.mismatches


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


def _mismatches(current: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    """What differs between how the two runs were made, besides the code under test, one line each."""
    found = []
    if current.get("dataset") != baseline.get("dataset"):
        found.append(f"dataset {current.get('dataset')} is not the baseline's {baseline.get('dataset')}")
    elif current.get("dataset_hash") != baseline.get("dataset_hash"):
        found.append(
            f"dataset {current.get('dataset')} changed since the baseline "
            f"({str(baseline.get('dataset_hash'))[:12]} -> {str(current.get('dataset_hash'))[:12]}); "
            "examples are compared by id"
        )
    for key, what in (("program", "program"), ("lm", "model")):
        if current.get(key) != baseline.get(key):
            found.append(
                f"{what} {current.get(key) or 'none'} is not the baseline's {baseline.get(key) or 'none'}"
            )
    return found


def check(
    current: dict[str, Any],
    baseline: dict[str, Any],
    *,
    max_drop: float = 0.02,
    allow_mismatch: bool = False,
) -> GateResult:
    """Compare two ``--json`` documents; see the module docstring for what fails.

    ``allow_mismatch``: the runs may differ in dataset version, dataset, program or model on purpose (a new
    dataset version, a model against the rules baseline); the differences are then notes, not failures.
    """
    if max_drop < 0:
        raise ValueError(f"--max-drop must be >= 0, got {max_drop}")
    mismatches = _mismatches(current, baseline)
    result = GateResult(
        max_drop=max_drop,
        mismatches=[] if allow_mismatch else mismatches,
        notes=[f"{m} (allowed)" for m in mismatches] if allow_mismatch else [],
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


def fallback_failure(document: dict[str, Any], *, max_rate: float) -> str | None:
    """One line when more than ``max_rate`` of a model run's briefs are not the model's, else ``None``.

    Not the model's: fell back to rules, or failed outright (no brief at all). Such a run's scores are mostly
    the rules program's or missing: it says little about the model (a dead server, a bad key, a timeout too
    short). The line names the most common reason. Runs without a model (``fallback_rate`` null) always pass.
    """
    if not 0 <= max_rate <= 1:
        raise ValueError(f"--max-fallback-rate must be in [0, 1], got {max_rate}")
    if document.get("fallback_rate") is None or not document.get("n"):
        return None
    lost = int(document.get("fallback") or 0) + int(document.get("failed") or 0)
    rate = lost / int(document["n"])
    if rate <= max_rate + _EPSILON:
        return None
    reasons = Counter(
        example.get("fallback_reason") or example.get("error") or "no reason given"
        for example in document.get("per_example", [])
        if example.get("fallback") or example.get("error")
    )
    common = (
        f"; most common reason ({reasons.most_common(1)[0][1]}x): {reasons.most_common(1)[0][0]}"
        if reasons
        else ""
    )
    return (
        f"{lost} of {document.get('n')} briefs ({rate:.0%}) fell back to rules or failed, over "
        f"--max-fallback-rate {max_rate:g}: this run mostly measured rules, not the model{common}"
    )
