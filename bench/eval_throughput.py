"""Eval throughput of the ``rules`` program: generate, score and store 1,000 labelled calls.

The Harper Valley calls and the synthetic calls are replicated (ids suffixed) to 1,000 examples, then
evaluated exactly as ``assist eval`` does (``run_eval`` then ``save_run`` into a DuckDB file). The first
repeat is also reported on its own: it pays for warming the metrics' tokenizer memo, as a one-off CLI
run does. Writes bench/results/eval_throughput.json.
Run: .venv/bin/python bench/eval_throughput.py [--examples 1000] [--repeats 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime
from itertools import cycle, islice
from pathlib import Path

from assist.programs import load_program
from assist.schema import LabelledExample
from assist.store import connect
from eval.dataset import Dataset, content_hash, load_dataset
from eval.runner import run_eval
from eval.runs import save_run

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results" / "eval_throughput.json"
SOURCES = (ROOT / "datasets" / "harper_valley" / "dev.jsonl", ROOT / "datasets" / "synthetic" / "calls.jsonl")
TARGET_EXAMPLES_PER_SECOND = 50.0


def replicated(n: int) -> Dataset:
    """``n`` examples cycling through both datasets; copy ``k`` of an example gets id ``<id>#k``."""
    originals = [example for path in SOURCES if path.exists() for example in load_dataset(path).examples]
    examples: list[LabelledExample] = []
    for index, example in enumerate(islice(cycle(originals), n)):
        copy = index // len(originals)
        conversation = example.conversation.model_copy(update={"id": f"{example.conversation.id}#{copy}"})
        examples.append(
            example.model_copy(update={"id": f"{example.id}#{copy}", "conversation": conversation})
        )
    records = [example.model_dump(mode="json", exclude_unset=True) for example in examples]
    return Dataset(
        name=f"bench/replicated-{n}", hash=content_hash(records), examples=examples, records=records
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    dataset = replicated(args.examples)
    program = load_program("rules")
    repeats = []
    with tempfile.TemporaryDirectory() as tmp, connect(Path(tmp) / "bench.duckdb") as con:
        for _ in range(args.repeats):
            start = time.perf_counter()
            run = run_eval(program, dataset, spec="rules", threads=args.threads)
            stored = time.perf_counter()
            save_run(con, run)
            end = time.perf_counter()
            assert run.n_failed == 0 and run.n_score_errors == 0, "the benchmark run must be clean"
            repeats.append(
                {
                    "generate_seconds": round(run.generate_seconds, 4),
                    "score_seconds": round(run.score_seconds, 4),
                    "store_seconds": round(end - stored, 4),
                    "total_seconds": round(end - start, 4),
                    "examples_per_second": round(run.n / (end - start), 1),
                }
            )
    steady = repeats[1:] or repeats
    result = {
        "benchmark": "eval_throughput",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "program": "rules",
        "examples": args.examples,
        "threads": args.threads,
        "sources": [str(path.relative_to(ROOT)) for path in SOURCES if path.exists()],
        "what": "run_eval (generate + score) then save_run into a DuckDB file, per repeat",
        "first_repeat": repeats[0],
        "repeats": repeats,
        "examples_per_second_median": statistics.median(r["examples_per_second"] for r in steady),
        "target_examples_per_second": TARGET_EXAMPLES_PER_SECOND,
    }
    result["meets_target"] = result["examples_per_second_median"] >= TARGET_EXAMPLES_PER_SECOND
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
