"""DSPy response cache: LM requests and time for the dspy program, cold and then re-run unchanged.

Against the scripted OpenAI-compatible server of the tests (loopback HTTP, deterministic answers), so the
numbers are about the kit's plumbing (prompting, HTTP, parsing, grounding, cache), not a model. The
cached run uses a new program and LM object and an emptied in-memory cache, i.e. what a second process
sees: only the disk cache. Writes bench/results/dspy_cache.json.
Run: .venv/bin/python bench/dspy_cache.py [--examples 61]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import dspy

from assist.interchange import read_examples
from assist.lm import configure_lm
from assist.programs.dspy_program import DSPyBriefProgram
from assist.schema import LabelledExample

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.scripted_lm import ScriptedLM

OUT = ROOT / "bench" / "results" / "dspy_cache.json"
DATASET = ROOT / "datasets" / "harper_valley" / "dev.jsonl"


def run(
    examples: list[LabelledExample], server: ScriptedLM, cache_dir: str, engine: Literal["auto", "litellm"]
) -> dict[str, float | int]:
    lm = configure_lm("openai/scripted", api_base=server.api_base, cache_dir=cache_dir, engine=engine)
    program = DSPyBriefProgram(lm=lm)
    requests_before = server.request_count
    per_brief_ms = []
    fallbacks = 0
    start = time.perf_counter()
    for example in examples:
        t0 = time.perf_counter()
        fallbacks += program.brief(example.conversation).fallback
        per_brief_ms.append((time.perf_counter() - t0) * 1000)
    seconds = time.perf_counter() - start
    return {
        "server_requests": server.request_count - requests_before,
        "program_lm_calls": program.lm_calls,
        "fallbacks": fallbacks,
        "seconds": round(seconds, 4),
        "brief_p50_ms": round(statistics.median(per_brief_ms), 3),
        "brief_max_ms": round(max(per_brief_ms), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=61, help="how many Harper Valley calls (max 61)")
    args = parser.parse_args()
    examples = [example for example in read_examples(DATASET)][: args.examples]
    results: dict[str, dict[str, dict[str, float | int]]] = {}
    with ScriptedLM() as server, tempfile.TemporaryDirectory(prefix="dspy-cache-bench-") as tmp:
        engines: tuple[Literal["auto", "litellm"], ...] = ("auto", "litellm")
        for engine in engines:
            cache_dir = str(Path(tmp) / engine)
            cold = run(examples, server, cache_dir, engine)
            dspy.cache.reset_memory_cache()
            cached = run(examples, server, cache_dir, engine)
            results[engine] = {"cold": cold, "cached": cached}
    document = {
        "benchmark": "dspy_cache",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "examples": len(examples),
        "lm": "openai/scripted (tests/scripted_lm.py on 127.0.0.1)",
        "dspy_version": dspy.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "engines": results,
        "note": "litellm cold brief_max_ms includes importing LiteLLM on the first call",
        "target": "cached.server_requests == 0",
        "target_met": all(r["cached"]["server_requests"] == 0 for r in results.values()),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(document, indent=2) + "\n")
    print(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
