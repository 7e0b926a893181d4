"""Tune the dspy brief program against labelled examples with a DSPy optimizer, scored by the eval metric.

The metric is the eval harness's own: the model's answer goes through the same code path as a real
brief (:func:`assist.programs.dspy_program.assemble_portal`: facts from code, markers by turn index,
grounding), then ``eval.metrics.score_example(...).overall`` over whatever gold the example has. An
answer that does not make a valid portal scores 0. The compiled module is saved as DSPy state JSON and
loads anywhere with ``--program PATH.json``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

import dspy
from pydantic import BaseModel, ValidationError

from assist.programs.dspy_program import ADAPTER, DSPyBriefProgram, assemble_portal, numbered_transcript
from assist.schema import LabelledExample
from eval.metrics import score_example

__all__ = ["OptimizeReport", "Optimizer", "brief_metric", "optimize", "to_trainset"]

Optimizer = Literal["bootstrap", "mipro"]

#: A bootstrapped trace becomes a demo only when its brief scores at least this (``overall``).
DEMO_THRESHOLD = 0.5

Metric = Callable[..., float]


class OptimizeReport(BaseModel):
    optimizer: Optimizer
    examples: int
    demos: int
    lm_calls: int
    seconds: float


def to_trainset(examples: Sequence[LabelledExample]) -> list[dspy.Example]:
    """DSPy examples: the numbered transcript as input, the example id to find the gold again.

    Examples without gold are left out; the metric has nothing to score them against.
    """
    return [
        dspy.Example(transcript=numbered_transcript(example.conversation), example_id=example.id).with_inputs(
            "transcript"
        )
        for example in examples
        if example.gold is not None and example.gold.labelled()
    ]


def brief_metric(examples: Sequence[LabelledExample]) -> Metric:
    """``metric(example, prediction, trace=None) -> float`` in [0, 1] for DSPy optimizers."""
    by_id = {example.id: example for example in examples}

    def metric(example: dspy.Example, prediction: dspy.Prediction, trace: Any = None, *_: Any) -> float:
        labelled = by_id[example.example_id]
        try:
            portal, _dropped = assemble_portal(prediction, labelled.conversation)
        except (ValidationError, AttributeError, TypeError):
            return 0.0
        return score_example(portal, labelled).overall or 0.0

    return metric


def optimize(
    program: DSPyBriefProgram,
    examples: Sequence[LabelledExample],
    *,
    optimizer: Optimizer = "bootstrap",
    max_demos: int = 2,
    threads: int = 1,
    seed: int = 0,
) -> tuple[DSPyBriefProgram, OptimizeReport]:
    """A new program whose module ``optimizer`` compiled from ``program.module``; ``program`` is unchanged.

    ``bootstrap``: ``BootstrapFewShot`` keeps up to ``max_demos`` of the model's own traces that score at
    least :data:`DEMO_THRESHOLD`. ``mipro``: ``MIPROv2(auto="light")`` proposes instructions and picks
    instructions plus up to ``max_demos`` demos by the metric on a held-out part of the examples.
    Labelled demos are off in both: the gold is partial, so an example is not a complete answer to show.
    """
    if max_demos < 0:
        raise ValueError(f"--max-demos must be >= 0, got {max_demos}")
    trainset = to_trainset(examples)
    minimum = 2 if optimizer == "mipro" else 1
    if len(trainset) < minimum:
        raise ValueError(f"{optimizer} needs at least {minimum} examples with gold, got {len(trainset)}")
    metric = brief_metric(examples)
    calls_before = program.lm_calls
    start = time.perf_counter()
    with dspy.context(lm=program.lm, adapter=ADAPTER, usage_tracker=program.requests):
        if optimizer == "bootstrap":
            teleprompter: Any = dspy.BootstrapFewShot(
                metric=metric,
                metric_threshold=DEMO_THRESHOLD,
                max_bootstrapped_demos=max_demos,
                max_labeled_demos=0,
                max_rounds=1,
            )
            compiled = teleprompter.compile(program.module.deepcopy(), trainset=trainset)
        else:
            teleprompter = dspy.MIPROv2(
                metric=metric,
                auto="light",
                max_bootstrapped_demos=max_demos,
                max_labeled_demos=0,
                num_threads=threads,
                seed=seed,
                verbose=False,
            )
            compiled = teleprompter.compile(program.module.deepcopy(), trainset=trainset)
    seconds = time.perf_counter() - start
    tuned = DSPyBriefProgram(
        lm=program.lm,
        module=compiled,
        name=program.name,
        timeout_s=program.timeout_s,
        retries=program.retries,
    )
    report = OptimizeReport(
        optimizer=optimizer,
        examples=len(trainset),
        demos=sum(len(predictor.demos) for predictor in compiled.predictors()),
        lm_calls=program.lm_calls - calls_before,
        seconds=round(seconds, 3),
    )
    return tuned, report
