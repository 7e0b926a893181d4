"""Run a brief program over a dataset: **generate** (threads) then **score** (pure), as separate steps.

:func:`generate` only calls the program; :func:`score` only calls :mod:`eval.metrics`; so stored
predictions can be re-scored later (:func:`rescore`) without calling any program again.
"""

from __future__ import annotations

import hashlib
import inspect
import secrets
import subprocess
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from statistics import fmean
from typing import Any, Literal

from pydantic import BaseModel, Field

from assist.programs import BriefProgram
from assist.schema import AgentAssistPortal, LabelledExample
from assist.settings import Settings
from eval.dataset import Dataset
from eval.metrics import SECTIONS, ExampleScores, check_weights, score_example

__all__ = [
    "EvalRun",
    "Prediction",
    "generate",
    "git_commit",
    "new_run_id",
    "rescore",
    "run_eval",
    "score",
    "summary_keys",
]

#: The keys of ``scores`` in the ``--json`` output, in display order.
summary_keys: tuple[str, ...] = ("overall", *SECTIONS)
#: Per-example metrics besides the sections, also averaged over a run.
_EXTRA_METRICS = ("schema_valid", "grounding_rate")

Progress = Callable[[int], None]


class Prediction(BaseModel):
    """What a program returned for one example, or why it returned nothing."""

    example_id: str
    #: The program that produced ``portal`` (``rules`` when a model program fell back); ``None`` on error.
    program: str | None = None
    portal: AgentAssistPortal | None = None
    fallback: bool = False
    fallback_reason: str | None = None
    ungrounded_dropped: int = 0
    error: str | None = None
    seconds: float = 0.0


class EvalRun(BaseModel):
    """One evaluation: how it was made, every prediction and every example's scores (same order)."""

    run_id: str
    created_at: datetime
    kind: Literal["eval", "rescore"] = "eval"
    #: For a rescore: the run whose predictions were scored again.
    parent_run_id: str | None = None
    program: str
    program_hash: str | None = None
    program_config: dict[str, Any] = Field(default_factory=dict)
    lm: str | None = None
    lm_calls: int | None = None
    dataset: str
    dataset_hash: str
    git_commit: str | None = None
    weights: dict[str, float] = Field(default_factory=dict)
    threads: int = 1
    generate_seconds: float = 0.0
    score_seconds: float = 0.0
    predictions: list[Prediction]
    scores: list[ExampleScores]

    @property
    def n(self) -> int:
        return len(self.predictions)

    @property
    def n_failed(self) -> int:
        return sum(p.error is not None for p in self.predictions)

    @property
    def n_fallback(self) -> int:
        return sum(p.fallback for p in self.predictions)

    @property
    def n_score_errors(self) -> int:
        return sum(any(k != "generate" for k in s.errors) for s in self.scores)

    def section_scores(self) -> dict[str, float | None]:
        """Mean over examples of each section (where scored) and of each example's overall; ``None``: scored nowhere."""
        return {key: _mean(getattr(s, key) for s in self.scores) for key in summary_keys}

    def scored_counts(self) -> dict[str, int]:
        return {key: sum(getattr(s, key) is not None for s in self.scores) for key in summary_keys}

    def metric_means(self) -> dict[str, float | None]:
        """Means of ``schema_valid``, ``grounding_rate`` and every sub-metric (e.g. ``sentiment.exact``)."""
        means = {key: _mean(getattr(s, key) for s in self.scores) for key in _EXTRA_METRICS}
        names = sorted({name for s in self.scores for name in s.details})
        means.update({name: _mean(s.details.get(name) for s in self.scores) for name in names})
        return means

    def to_json(self) -> dict[str, Any]:
        """The ``assist eval --json`` document (also what ``--baseline FILE`` reads)."""
        return {
            "run_id": self.run_id,
            "kind": self.kind,
            "parent_run_id": self.parent_run_id,
            "created_at": self.created_at.isoformat(),
            "dataset": self.dataset,
            "dataset_hash": self.dataset_hash,
            "program": self.program,
            "program_hash": self.program_hash,
            "lm": self.lm,
            "lm_calls": self.lm_calls,
            "git_commit": self.git_commit,
            "weights": self.weights,
            "n": self.n,
            "failed": self.n_failed,
            "fallback": self.n_fallback,
            "score_errors": self.n_score_errors,
            "timings": {
                "generate_seconds": round(self.generate_seconds, 4),
                "score_seconds": round(self.score_seconds, 4),
                "threads": self.threads,
            },
            "scores": self.section_scores(),
            "scored": self.scored_counts(),
            "metrics": self.metric_means(),
            "per_example": [
                {
                    "id": p.example_id,
                    "program": p.program,
                    "fallback": p.fallback,
                    "error": p.error,
                    "scores": {key: getattr(s, key) for key in summary_keys},
                    "metrics": {
                        **{key: getattr(s, key) for key in _EXTRA_METRICS},
                        **s.details,
                    },
                    "score_errors": s.errors,
                }
                for p, s in zip(self.predictions, self.scores, strict=True)
            ],
        }


def _mean(values: Any) -> float | None:
    present = [v for v in values if v is not None]
    return fmean(present) if present else None


def _predict(program: BriefProgram, example: LabelledExample) -> Prediction:
    start = time.perf_counter()
    try:
        result = program.brief(example.conversation)
    except Exception as exc:  # noqa: BLE001 - one bad example is recorded with its error, the run goes on
        return Prediction(
            example_id=example.id, error=f"{type(exc).__name__}: {exc}", seconds=time.perf_counter() - start
        )
    return Prediction(
        example_id=example.id,
        program=result.program,
        portal=result.portal,
        fallback=result.fallback,
        fallback_reason=result.fallback_reason,
        ungrounded_dropped=result.ungrounded_dropped,
        seconds=time.perf_counter() - start,
    )


def generate(
    program: BriefProgram,
    examples: Sequence[LabelledExample],
    *,
    threads: int = 1,
    progress: Progress | None = None,
) -> list[Prediction]:
    """One :class:`Prediction` per example, in order. A program error is recorded, never raised."""
    if threads < 1:
        raise ValueError(f"--threads must be >= 1, got {threads}")
    if threads == 1:
        predictions = []
        for example in examples:
            predictions.append(_predict(program, example))
            if progress:
                progress(1)
        return predictions
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="eval") as pool:
        futures = [pool.submit(_predict, program, example) for example in examples]
        if progress:
            for future in futures:
                future.add_done_callback(lambda _: progress(1))
        return [future.result() for future in futures]


def _not_generated(example: LabelledExample, error: str) -> ExampleScores:
    """NULL for every labelled section, each with the reason, so a failed example is never a silent 0."""
    labelled = example.gold.labelled() if example.gold is not None else set()
    reason = f"no prediction: {error}"
    errors: dict[str, str] = {name: reason for name in SECTIONS if name in labelled}
    return ExampleScores(errors={"generate": error, **errors, "overall": reason})


def score(
    predictions: Sequence[Prediction],
    examples: Sequence[LabelledExample],
    *,
    weights: dict[str, float] | None = None,
) -> list[ExampleScores]:
    """Score each prediction against its example (matched by position; ids must agree)."""
    scores = []
    for prediction, example in zip(predictions, examples, strict=True):
        if prediction.example_id != example.id:
            raise ValueError(f"prediction for {prediction.example_id!r} paired with example {example.id!r}")
        if prediction.portal is None:
            scores.append(_not_generated(example, prediction.error or "the program returned nothing"))
        else:
            scores.append(score_example(prediction.portal, example, weights=weights))
    return scores


def new_run_id(now: datetime) -> str:
    """Sortable and unique: ``20260105-140300-a1b2c3``."""
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def git_commit() -> str | None:
    """HEAD of the repository this package lives in (``+dirty`` with uncommitted changes), or ``None``."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        # --no-optional-locks: only look, never refresh the index of a tree others are working in.
        dirty = subprocess.run(
            ["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+dirty" if dirty else head or None


def _fingerprint(program: BriefProgram, spec: str) -> tuple[str | None, dict[str, Any]]:
    """sha256 of the program class's source file plus the saved program file when ``spec`` is a path."""
    cls = type(program)
    config: dict[str, Any] = {"spec": spec, "class": f"{cls.__module__}.{cls.__qualname__}"}
    digest = hashlib.sha256()
    parts = 0
    try:
        source = inspect.getsourcefile(cls)
    except (OSError, TypeError):  # a class defined in a notebook or at a prompt has no source file
        source = None
    for candidate in (source, spec):
        if candidate and Path(candidate).is_file():
            digest.update(Path(candidate).read_bytes())
            parts += 1
    return (digest.hexdigest() if parts else None), config


def run_eval(
    program: BriefProgram,
    dataset: Dataset,
    *,
    spec: str | None = None,
    threads: int = 1,
    weights: dict[str, float] | None = None,
    progress: Progress | None = None,
) -> EvalRun:
    """Generate with ``program`` over ``dataset``, then score; nothing is stored (see :mod:`eval.runs`)."""
    weights = check_weights(weights)
    created_at = datetime.now(UTC)
    lm_calls_before = getattr(program, "lm_calls", None)
    start = time.perf_counter()
    predictions = generate(program, dataset.examples, threads=threads, progress=progress)
    generated = time.perf_counter()
    scores = score(predictions, dataset.examples, weights=weights)
    scored = time.perf_counter()
    lm_calls_after = getattr(program, "lm_calls", None)
    program_hash, config = _fingerprint(program, spec or program.name)
    return EvalRun(
        run_id=new_run_id(created_at),
        created_at=created_at,
        program=program.name,
        program_hash=program_hash,
        program_config=config,
        # Only programs that talk to a model expose lm_calls; for them the model is $ASSIST_LM.
        lm=Settings().assist_lm if lm_calls_after is not None else None,
        lm_calls=(lm_calls_after - (lm_calls_before or 0)) if lm_calls_after is not None else None,
        dataset=dataset.name,
        dataset_hash=dataset.hash,
        git_commit=git_commit(),
        weights=weights,
        threads=threads,
        generate_seconds=generated - start,
        score_seconds=scored - generated,
        predictions=predictions,
        scores=scores,
    )


def rescore(run: EvalRun, dataset: Dataset, *, weights: dict[str, float] | None = None) -> EvalRun:
    """A new run scoring ``run``'s stored predictions again (current metrics, ``weights``); no program is called."""
    if dataset.hash != run.dataset_hash:
        raise ValueError(
            f"run {run.run_id} was made on dataset {run.dataset_hash[:12]}, not {dataset.hash[:12]}"
        )
    by_id = {example.id: example for example in dataset.examples}
    missing = [p.example_id for p in run.predictions if p.example_id not in by_id]
    if missing:
        raise ValueError(f"examples {', '.join(missing[:5])} of run {run.run_id} are not in the dataset")
    examples = [by_id[p.example_id] for p in run.predictions]
    weights = check_weights(weights if weights is not None else run.weights)
    created_at = datetime.now(UTC)
    start = time.perf_counter()
    scores = score(run.predictions, examples, weights=weights)
    return run.model_copy(
        update={
            "run_id": new_run_id(created_at),
            "created_at": created_at,
            "kind": "rescore",
            "parent_run_id": run.run_id,
            "git_commit": git_commit(),
            "weights": weights,
            "generate_seconds": 0.0,
            "score_seconds": time.perf_counter() - start,
            "scores": scores,
            "lm_calls": 0 if run.lm_calls is not None else None,
        }
    )
