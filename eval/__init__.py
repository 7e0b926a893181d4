"""The eval harness: labelled datasets, per-section metrics, runs stored in DuckDB, a regression gate.

Modules, one concept each: :mod:`eval.dataset` (JSONL in, DuckDB, JSONL out), :mod:`eval.metrics`
(pure scoring functions), :mod:`eval.runner` (generate, then score), :mod:`eval.runs` (storage and
views), :mod:`eval.compare` (two runs paired by example, one example in full), :mod:`eval.gate` (baseline
comparison). The CLI is ``assist dataset|eval|runs|rescore``.
"""

from __future__ import annotations

from eval.compare import Comparison, ExampleView, compare_runs, example_view
from eval.dataset import Dataset, load_dataset, resolve_dataset
from eval.gate import GateResult, check
from eval.metrics import SECTIONS, ExampleScores, score_example
from eval.runner import EvalRun, Prediction, generate, rescore, run_eval, score
from eval.runs import list_runs, load_run, run_from_json, save_run

__all__ = [
    "SECTIONS",
    "Comparison",
    "Dataset",
    "EvalRun",
    "ExampleScores",
    "ExampleView",
    "GateResult",
    "Prediction",
    "check",
    "compare_runs",
    "example_view",
    "generate",
    "list_runs",
    "load_dataset",
    "load_run",
    "rescore",
    "resolve_dataset",
    "run_eval",
    "run_from_json",
    "save_run",
    "score",
    "score_example",
]
