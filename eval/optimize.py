"""Tune the dspy brief program against labelled examples with a DSPy optimizer, scored by the eval metric.

The metric is the eval harness's own: the model's answer goes through the same code path as a real
brief (:func:`assist.programs.dspy_program.assemble_portal`: facts from code, markers by turn index,
grounding), then the mean of ``eval.metrics.score_example`` over the sections the example has gold for,
where a section the model did not write (left to ``rules``) scores 0. The compiled module is saved as DSPy state JSON and
loads anywhere with ``--program PATH.json``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

import dspy
from pydantic import BaseModel, ValidationError

from assist.programs import BRIEF_SECTIONS
from assist.programs.dspy_program import DSPyBriefProgram, assemble_portal, brief_adapter, numbered_transcript
from assist.programs.rules import RulesProgram
from assist.schema import LabelledExample
from eval.metrics import SECTIONS, score_example

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
        values = {section: getattr(prediction, section, None) for section in BRIEF_SECTIONS}
        try:
            portal, from_rules, _notes, _dropped = assemble_portal(
                values,
                labelled.conversation,
                rules=lambda: RulesProgram().brief(labelled.conversation).portal,
            )
        except (ValidationError, AttributeError, TypeError):
            return 0.0
        scores = score_example(portal, labelled)
        # A section the model did not write earns nothing, whatever rules would have scored there.
        sections = [(s, 0.0 if s in from_rules else scores.section(s)) for s in SECTIONS]
        scored = [value for _, value in sections if value is not None]
        return sum(scored) / len(scored) if scored else 0.0

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
    # The brief adapter counts the module's requests itself; the tracker counts the optimizer's own (MIPROv2's
    # instruction proposals go through DSPy's default adapter).
    adapter = brief_adapter(program.adapter, counter=program.requests)
    with dspy.context(lm=program.lm, adapter=adapter, usage_tracker=program.requests):
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
        cache=program.cache,
        adapter=program.adapter,
        context_tokens=program.context_tokens,
    )
    report = OptimizeReport(
        optimizer=optimizer,
        examples=len(trainset),
        demos=sum(len(predictor.demos) for predictor in compiled.predictors()),
        lm_calls=program.lm_calls - calls_before,
        seconds=round(seconds, 3),
    )
    return tuned, report
