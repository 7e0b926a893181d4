"""Run a brief program over a dataset: **generate** (threads) then **score** (pure), as separate steps.

:func:`generate` only calls the program; :func:`score` only calls :mod:`eval.metrics`; so stored
predictions can be re-scored later (:func:`rescore`) without calling any program again.
"""

from __future__ import annotations

import hashlib
import inspect
import math
import secrets
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from statistics import fmean
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from assist.programs import BRIEF_SECTIONS, BriefProgram, BriefResult, BriefSection, LMUsage, SalvageNote
from assist.schema import AgentAssistPortal, LabelledExample
from eval.dataset import Dataset
from eval.judgments import BriefJudge, Judgment, judge_all, judge_summary, split_weights, with_judgments
from eval.metrics import SECTIONS, ExampleScores, score_example

__all__ = [
    "EvalRun",
    "ModelProgram",
    "Prediction",
    "generate",
    "git_commit",
    "nearest_rank",
    "new_run_id",
    "rescore",
    "run_eval",
    "score",
    "sum_and_mean",
    "summary_keys",
]

#: The keys of ``scores`` in the ``--json`` output, in display order.
summary_keys: tuple[str, ...] = ("overall", *SECTIONS)
#: Per-example metrics besides the sections, also averaged over a run.
_EXTRA_METRICS = ("schema_valid", "grounding_rate")

Progress = Callable[[int], None]

#: The writer of a section that no model wrote: the rules program (a whole fallback, or a section filled in).
_RULES = "rules"


@runtime_checkable
class ModelProgram(BriefProgram, Protocol):
    """A brief program that talks to a language model: it counts its requests and states how it asks."""

    @property
    def lm_calls(self) -> int: ...

    def provenance(self) -> dict[str, str | None]:
        """``lm``, ``api_base`` (without credentials), ``adapter`` and ``prompt_version``."""
        ...


class Prediction(BaseModel):
    """What a program returned for one example, or why it returned nothing."""

    example_id: str
    #: The program that produced ``portal`` (``rules`` when a model program fell back); ``None`` on error.
    program: str | None = None
    portal: AgentAssistPortal | None = None
    fallback: bool = False
    fallback_reason: str | None = None
    #: Who wrote each section: the program's name where its model did, ``rules`` where rules did (every section
    #: of a rules brief or a fallback). ``None``: no brief, or a run stored before sections were recorded.
    sections: dict[BriefSection, str] | None = None
    #: Items dropped, lists cut and values repaired while the program read the model's answer.
    salvage: list[SalvageNote] = Field(default_factory=list)
    ungrounded_dropped: int = 0
    #: Requests, tokens and cost of this brief at the model; ``None`` when the program called no model.
    usage: LMUsage | None = None
    error: str | None = None
    #: Wall-clock seconds of this brief: the program's call with its retries and any fallback.
    seconds: float = 0.0

    @property
    def model_sections(self) -> list[BriefSection]:
        """The sections the model itself wrote (none for rules, a fallback or a failed example)."""
        return [section for section, writer in (self.sections or {}).items() if writer != _RULES]


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
    #: The model side, as a model program states it (:meth:`ModelProgram.provenance`); ``None`` for rules.
    lm: str | None = None
    #: The model server's address without credentials; ``None``: the provider's own endpoint.
    api_base: str | None = None
    adapter: str | None = None
    prompt_version: str | None = None
    lm_calls: int | None = None
    #: The judge (``eval/judge.py``), all ``None`` when the run was not judged: its model, server without
    #: credentials, prompt version, options (``timeout_s``, ``max_claims``), and the requests this run sent it.
    judge_lm: str | None = None
    judge_api_base: str | None = None
    judge_prompt_version: str | None = None
    judge_options: dict[str, Any] | None = None
    judge_calls: int | None = None
    #: What the judge said of each example, in order (``None``: no brief to judge); empty when not judged.
    judgments: list[Judgment | None] = Field(default_factory=list)
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
        """Examples a metric failed on; a failed judgment is the judge's to count (``judge.failed``)."""
        return sum(any(k != "generate" and not k.startswith("judge.") for k in s.errors) for s in self.scores)

    @property
    def is_model_run(self) -> bool:
        """Made by a program that talks to a model (it counts its requests): fallbacks, usage and model scores apply."""
        return self.lm_calls is not None

    def section_scores(self) -> dict[str, float | None]:
        """Mean over examples of each section (where scored) and of each example's overall; ``None``: scored nowhere."""
        return {key: _mean(getattr(s, key) for s in self.scores) for key in summary_keys}

    def scored_counts(self) -> dict[str, int]:
        return {key: sum(getattr(s, key) is not None for s in self.scores) for key in summary_keys}

    def fallback_rate(self) -> float | None:
        """``fallback / n``: the share of briefs rules wrote instead of the model; ``None`` without a model."""
        return self.n_fallback / self.n if self.is_model_run and self.n else None

    def _model_written(self, key: str) -> list[float | None]:
        """``key``'s score on each example where the model wrote that section (``overall``: the whole brief)."""
        return [
            getattr(s, key)
            for p, s in zip(self.predictions, self.scores, strict=True)
            if (len(p.model_sections) == len(BRIEF_SECTIONS) if key == "overall" else key in p.model_sections)
        ]

    def model_section_scores(self) -> dict[str, float | None] | None:
        """As :meth:`section_scores`, over the briefs the model itself wrote: a section's mean over the examples
        where the model wrote that section, ``overall``'s over the briefs it wrote entirely. ``None`` without a
        model; a key is ``None`` where the model wrote nothing scored."""
        if not self.is_model_run:
            return None
        return {key: _mean(self._model_written(key)) for key in summary_keys}

    def model_scored_counts(self) -> dict[str, int] | None:
        if not self.is_model_run:
            return None
        return {key: sum(v is not None for v in self._model_written(key)) for key in summary_keys}

    def usage_summary(self) -> dict[str, Any] | None:
        """A model run's cost: ``briefs`` with usage, ``requests`` sent, briefs answered from the ``cached``
        responses, ``turns_omitted`` to fit prompts, and for ``prompt_tokens``, ``completion_tokens`` and
        ``cost_usd`` the :func:`sum_and_mean` over the briefs that reported them. ``None`` without a model."""
        if not self.is_model_run:
            return None
        usages = [p.usage for p in self.predictions if p.usage is not None]
        return {
            "briefs": len(usages),
            "requests": sum(u.requests for u in usages),
            "cached": sum(u.cached for u in usages),
            "turns_omitted": sum(u.turns_omitted for u in usages),
            "prompt_tokens": sum_and_mean([u.prompt_tokens for u in usages]),
            "completion_tokens": sum_and_mean([u.completion_tokens for u in usages]),
            "cost_usd": sum_and_mean([u.cost_usd for u in usages]),
        }

    def latency(self) -> dict[str, float | None]:
        """Seconds per brief over every example: ``p50`` and ``p95`` by :func:`nearest_rank`, and the ``mean``."""
        seconds = [p.seconds for p in self.predictions]
        return {
            "p50": nearest_rank(seconds, 0.5),
            "p95": nearest_rank(seconds, 0.95),
            "mean": _mean(seconds),
        }

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
            "program_config": self.program_config,
            "lm": self.lm,
            "api_base": self.api_base,
            "adapter": self.adapter,
            "prompt_version": self.prompt_version,
            "lm_calls": self.lm_calls,
            "judge_lm": self.judge_lm,
            "judge_api_base": self.judge_api_base,
            "judge_prompt_version": self.judge_prompt_version,
            "judge_options": self.judge_options,
            "judge_calls": self.judge_calls,
            "git_commit": self.git_commit,
            "weights": self.weights,
            "n": self.n,
            "failed": self.n_failed,
            "fallback": self.n_fallback,
            "fallback_rate": self.fallback_rate(),
            "score_errors": self.n_score_errors,
            "timings": {
                "generate_seconds": round(self.generate_seconds, 4),
                "score_seconds": round(self.score_seconds, 4),
                "threads": self.threads,
            },
            "latency_seconds": self.latency(),
            "usage": self.usage_summary(),
            "scores": self.section_scores(),
            "scored": self.scored_counts(),
            "model_scores": self.model_section_scores(),
            "model_scored": self.model_scored_counts(),
            "metrics": self.metric_means(),
            "judge": judge_summary(self.judgments) if self.judgments else None,
            "per_example": [
                {
                    "id": p.example_id,
                    "program": p.program,
                    "fallback": p.fallback,
                    "fallback_reason": p.fallback_reason,
                    "error": p.error,
                    "sections": p.sections,
                    "salvage": [note.model_dump() for note in p.salvage],
                    "ungrounded_dropped": p.ungrounded_dropped,
                    "usage": p.usage.model_dump() if p.usage is not None else None,
                    "seconds": p.seconds,
                    "scores": {key: getattr(s, key) for key in summary_keys},
                    "metrics": {
                        **{key: getattr(s, key) for key in _EXTRA_METRICS},
                        **s.details,
                    },
                    "score_errors": s.errors,
                    "judge": j.model_dump() if j is not None else None,
                }
                for p, s, j in zip(
                    self.predictions, self.scores, self.judgments or [None] * self.n, strict=True
                )
            ],
        }


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return fmean(present) if present else None


def sum_and_mean(values: Sequence[float | None]) -> dict[str, Any]:
    """``{"total": Σv, "mean": Σv / n, "n": n}`` over the ``n`` values that are not ``None`` (a brief that
    reported no tokens or has no known price is left out, never counted as 0); total and mean are ``None``
    when ``n = 0``."""
    present = [v for v in values if v is not None]
    total = sum(present) if present else None
    return {"total": total, "mean": fmean(present) if present else None, "n": len(present)}


def nearest_rank(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile by nearest rank, ``sorted(values)[max(⌈q·n⌉, 1) − 1]``: always an observed value, the
    same as DuckDB's ``quantile_disc``. ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(q * len(ordered)), 1) - 1]


def _writers(result: BriefResult) -> dict[BriefSection, str]:
    """Who wrote each section of ``result``: the program where its model did, else rules."""
    model = set(result.model_sections)
    return {section: result.program if section in model else _RULES for section in BRIEF_SECTIONS}


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
        sections=_writers(result),
        salvage=result.salvage,
        ungrounded_dropped=result.ungrounded_dropped,
        usage=result.usage,
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


def _judging(
    judge: BriefJudge,
    predictions: Sequence[Prediction],
    examples: Sequence[LabelledExample],
    *,
    threads: int,
    progress: Progress | None,
) -> dict[str, Any]:
    """The fields of a judged run: every brief's judgment, the judge's provenance and the requests it got."""
    judgments = judge_all(
        judge, [p.portal for p in predictions], examples, threads=threads, progress=progress
    )
    stated = judge.provenance()
    return {
        "judge_lm": stated["lm"],
        "judge_api_base": stated["api_base"],
        "judge_prompt_version": stated["prompt_version"],
        "judge_options": stated["options"],
        "judge_calls": sum(j.requests for j in judgments if j is not None),
        "judgments": judgments,
    }


def _checked_weights(
    weights: Mapping[str, float] | None, judged: bool
) -> tuple[dict[str, float], dict[str, float]]:
    """``(section weights, every weight)``; weighting a judge metric without a judge is a ``ValueError``."""
    sections, judge_metrics = split_weights(weights)
    if judge_metrics and not judged:
        raise ValueError(f"weighting {', '.join(judge_metrics)} needs a judge: pass --judge MODEL")
    return sections, {**sections, **judge_metrics}


def run_eval(
    program: BriefProgram,
    dataset: Dataset,
    *,
    spec: str | None = None,
    threads: int = 1,
    weights: dict[str, float] | None = None,
    load_options: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    judge: BriefJudge | None = None,
    judge_threads: int = 4,
    judge_progress: Progress | None = None,
) -> EvalRun:
    """Generate with ``program`` over ``dataset``, then score; nothing is stored (see :mod:`eval.runs`).

    ``load_options`` are what ``program`` was loaded with (``load_program``'s ``timeout_s``, ``retries``,
    ``cache``); they change only a model program, so only a model program's ``program_config`` records them.
    With a ``judge``, every brief is also judged, ``judge_threads`` at a time (:mod:`eval.judgments`).
    """
    section_weights, weights = _checked_weights(weights, judge is not None)
    created_at = datetime.now(UTC)
    model = program if isinstance(program, ModelProgram) else None
    lm_calls_before = model.lm_calls if model is not None else 0
    start = time.perf_counter()
    predictions = generate(program, dataset.examples, threads=threads, progress=progress)
    generated = time.perf_counter()
    scores = score(predictions, dataset.examples, weights=section_weights)
    scored = time.perf_counter()
    judged = (
        _judging(judge, predictions, dataset.examples, threads=judge_threads, progress=judge_progress)
        if judge is not None
        else {}
    )
    if judged:
        scores = with_judgments(scores, judged["judgments"], weights)
    program_hash, config = _fingerprint(program, spec or program.name)
    provenance = model.provenance() if model is not None else {}
    if model is not None and load_options:
        config["options"] = dict(load_options)
    return EvalRun(
        run_id=new_run_id(created_at),
        created_at=created_at,
        program=program.name,
        program_hash=program_hash,
        program_config=config,
        lm=provenance.get("lm"),
        api_base=provenance.get("api_base"),
        adapter=provenance.get("adapter"),
        prompt_version=provenance.get("prompt_version"),
        lm_calls=model.lm_calls - lm_calls_before if model is not None else None,
        dataset=dataset.name,
        dataset_hash=dataset.hash,
        git_commit=git_commit(),
        weights=weights,
        threads=threads,
        generate_seconds=generated - start,
        score_seconds=scored - generated,
        predictions=predictions,
        scores=scores,
        **judged,
    )


def rescore(
    run: EvalRun,
    dataset: Dataset,
    *,
    weights: dict[str, float] | None = None,
    judge: BriefJudge | None = None,
    judge_threads: int = 4,
    judge_progress: Progress | None = None,
) -> EvalRun:
    """A new run scoring ``run``'s stored predictions again (current metrics, ``weights``); no program is called.

    With a ``judge`` the briefs are judged again; without one, ``run``'s judgments (if any) are kept.
    """
    if dataset.hash != run.dataset_hash:
        raise ValueError(
            f"run {run.run_id} was made on dataset {run.dataset_hash[:12]}, not {dataset.hash[:12]}"
        )
    by_id = {example.id: example for example in dataset.examples}
    missing = [p.example_id for p in run.predictions if p.example_id not in by_id]
    if missing:
        raise ValueError(f"examples {', '.join(missing[:5])} of run {run.run_id} are not in the dataset")
    examples = [by_id[p.example_id] for p in run.predictions]
    judging = judge is not None or bool(run.judgments)
    section_weights, weights = _checked_weights(weights if weights is not None else run.weights, judging)
    created_at = datetime.now(UTC)
    start = time.perf_counter()
    scores = score(run.predictions, examples, weights=section_weights)
    score_seconds = time.perf_counter() - start
    judgments: list[Judgment | None] = run.judgments
    if judge is not None:
        judged = _judging(judge, run.predictions, examples, threads=judge_threads, progress=judge_progress)
        judgments = judged["judgments"]
    else:  # the original run's judgments, if any, are kept: nothing is sent to a judge
        judged = {"judge_calls": 0} if run.judgments else {}
    if judgments:
        scores = with_judgments(scores, judgments, weights)
    return run.model_copy(
        update={
            "run_id": new_run_id(created_at),
            "created_at": created_at,
            "kind": "rescore",
            "parent_run_id": run.run_id,
            "git_commit": git_commit(),
            "weights": weights,
            "generate_seconds": 0.0,
            "score_seconds": score_seconds,
            "scores": scores,
            "lm_calls": 0 if run.lm_calls is not None else None,
            **judged,
        }
    )
