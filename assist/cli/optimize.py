"""``assist optimize``: tune the dspy brief program on labelled calls and save it for ``--program PATH.json``."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from assist.interchange import read_examples


class OptimizerChoice(str, Enum):
    """The values of ``eval.optimize.Optimizer`` (typer renders an Enum as a choice)."""

    bootstrap = "bootstrap"
    mipro = "mipro"


def optimize(
    trainset: Annotated[
        Path, typer.Option("--trainset", help="Labelled calls, JSONL in the interchange format")
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to save the tuned program (.json)")],
    optimizer: Annotated[
        OptimizerChoice,
        typer.Option("--optimizer", help="bootstrap (BootstrapFewShot) or mipro (MIPROv2, light)"),
    ] = OptimizerChoice.bootstrap,
    max_demos: Annotated[
        int, typer.Option("--max-demos", min=0, help="At most this many demos in the prompt")
    ] = 2,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Use only the first N examples")] = None,
    threads: Annotated[int, typer.Option("--threads", min=1, help="Parallel evaluations (mipro)")] = 1,
) -> None:
    """Compile the dspy program against the eval metric with $ASSIST_LM and save it as DSPy state JSON."""
    if out.suffix != ".json":
        raise typer.BadParameter(f"must end in .json, got {out}", param_hint="'--out'")
    # DSPy is imported only when a command needs it: it adds seconds to every other command's start.
    from assist.programs.dspy_program import DSPyBriefProgram
    from eval.optimize import optimize as run_optimizer

    examples = [example for example in read_examples(trainset)][:limit]
    program = DSPyBriefProgram()
    tuned, report = run_optimizer(
        program,
        examples,
        optimizer=optimizer.value,
        max_demos=max_demos,
        threads=threads,
    )
    tuned.save(out)
    Console(highlight=False, soft_wrap=True).print(
        f"saved {out}: {report.optimizer} over {report.examples} examples with gold, {report.demos} demos, "
        f"{report.lm_calls} LM requests, {report.seconds:.1f}s; use it with --program {out}"
    )


def register(app: typer.Typer) -> None:
    app.command("optimize")(optimize)
