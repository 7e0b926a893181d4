"""The model path: briefs kept over a suite of slips, and prompt tokens for calls of 16 to 1,000 turns.

**Slips.** The scripted OpenAI-compatible server of the tests (loopback) answers each call's gold brief, clean
and then with each slip of ``tests.scripted_lm.SLIPS`` (title-case enums, "High", marker types as words, extra
keys, string turns, empty values, information as a mapping, six bullets, missing confidences, code fences, a
missing section, an out-of-range turn), through the eval harness exactly as ``assist eval --program dspy``
runs it, in both the chat and JSON formats. Reported per slip: briefs that fell back entirely, sections filled
from rules, items dropped, and the overall score (1.0 would be the gold itself). The numbers measure the
kit's salvage, not a model.

**Prompt tokens.** The prompt of a brief (system, schema and numbered transcript) counted with the kit's
tokenizer for a hosted model (``openai/gpt-4o-mini``, o200k) and for a model of your own with an 8,192-token
window, for calls of 16, 50, 200 and 1,000 turns made from real synthetic turns; with turns omitted to fit.

**Bounded reading.** Milliseconds to salvage answers built to make parsing blow up (deep nesting, strings that
make ``json_repair`` quadratic, huge texts).

Writes bench/results/model_path.json. Run: .venv/bin/python bench/model_path.py [--dataset NAME]
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

from assist.interchange import read_examples
from assist.lm import configure_lm
from assist.programs.dspy_program import DSPyBriefProgram
from assist.programs.salvage import REPAIR_LIMIT, salvage_answer
from assist.schema import LabelledExample

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from eval.dataset import load_dataset
from eval.runner import run_eval
from tests.scripted_lm import SLIPS, ScriptedLM

OUT = ROOT / "bench" / "results" / "model_path.json"


def slip_suite(dataset: Path, adapters: tuple[str, ...]) -> dict[str, dict[str, dict[str, float | int]]]:
    data = load_dataset(dataset)
    results: dict[str, dict[str, dict[str, float | int]]] = {}
    with ScriptedLM() as server, tempfile.TemporaryDirectory(prefix="model-path-bench-") as cache:
        server.add_gold(data.examples)
        for adapter in adapters:
            results[adapter] = {}
            for slip in [None, *SLIPS]:
                model = "openai/scripted-gold" + (f"-{slip}" if slip else "")
                lm = configure_lm(model, api_base=server.api_base, cache_dir=cache)
                program = DSPyBriefProgram(lm=lm, adapter=adapter, timeout_s=10, retries=1)  # type: ignore[arg-type]
                run = run_eval(program, data, threads=2)
                predictions = run.predictions
                results[adapter][slip or "clean"] = {
                    "briefs": len(predictions),
                    "whole_fallbacks": sum(p.fallback for p in predictions),
                    "sections_from_rules": sum(
                        sum(writer == "rules" for writer in (p.sections or {}).values())
                        for p in predictions
                        if not p.fallback
                    ),
                    "items_dropped": sum(sum(n.action == "dropped" for n in p.salvage) for p in predictions),
                    "overall": round(run.section_scores()["overall"] or 0.0, 4),
                }
    return results


#: Answers no model should send, each aimed at a way parsing can blow up (nesting, quadratic repair, size).
PATHOLOGICAL_ANSWERS = {
    "brackets nested 100,000 deep": "[" * 100_000,
    "objects nested 5,000 deep": '{"a": ' + "[1, {" * 5_000,
    "unterminated strings, 60,000 chars": "[" + '"a' * 30_000,
    "unterminated strings just under the repair limit": "[" + '"a' * ((REPAIR_LIMIT - 1) // 2),
    "chat section of unterminated strings, 40,000 chars": "[[ ## call_summary ## ]]\n[" + '"a' * 20_000,
    "a 300,000-char transfer reason": json.dumps({"caller_name": "A", "transfer_reason": "x" * 300_000}),
}


def salvage_worst() -> dict[str, float]:
    """Milliseconds to read each pathological answer (best of three)."""
    timings = {}
    for name, answer in PATHOLOGICAL_ANSWERS.items():
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            salvage_answer(answer)
            runs.append((time.perf_counter() - start) * 1000)
        timings[name] = round(min(runs), 2)
    return timings


def long_call(example: LabelledExample, turns: int) -> LabelledExample:
    source = example.conversation.turns
    conversation = example.conversation.model_copy(
        update={"turns": [source[i % len(source)] for i in range(turns)]}
    )
    return example.model_copy(update={"conversation": conversation})


def prompt_tokens(example: LabelledExample) -> dict[str, dict[str, int]]:
    figures: dict[str, dict[str, int]] = {}
    hosted = DSPyBriefProgram(lm=configure_lm("openai/gpt-4o-mini", cache=False), cache=False)
    own = DSPyBriefProgram(
        lm=configure_lm("openai/my-model", api_base="http://127.0.0.1:9/v1", cache=False), cache=False
    )
    for turns in (16, 50, 200, 1000):
        call = long_call(example, turns).conversation
        for label, program in (("gpt-4o-mini (128k)", hosted), ("own server (8k)", own)):
            messages = program.prompt_messages(call)
            text = "\n".join(str(m["content"]) for m in messages)
            shown = text.count("\n[") + 1
            figures.setdefault(str(turns), {})[label] = program.prompt_tokens(call)
            figures[str(turns)][f"{label}: turns shown"] = min(shown, turns)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="synthetic_dev2", help="a fully labelled set in datasets/")
    args = parser.parse_args()
    dataset = ROOT / "datasets" / args.dataset / "calls.jsonl"
    suite = slip_suite(dataset, ("chat", "json"))
    example = next(iter(read_examples(ROOT / "datasets" / "synthetic" / "calls.jsonl")))
    slipped = [r for adapter in suite.values() for slip, r in adapter.items() if slip != "clean"]
    document = {
        "benchmark": "model_path",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "dataset": args.dataset,
        "lm": "openai/scripted-gold[-SLIP] (tests/scripted_lm.py on 127.0.0.1): each call's gold brief",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "slips": suite,
        "summary": {
            "slipped_briefs": sum(int(r["briefs"]) for r in slipped),
            "whole_fallbacks": sum(int(r["whole_fallbacks"]) for r in slipped),
            "overall_mean_over_slips": round(statistics.fmean(float(r["overall"]) for r in slipped), 4),
            "clean_overall": {adapter: r["clean"]["overall"] for adapter, r in suite.items()},
        },
        "prompt_tokens": prompt_tokens(example),
        "salvage_ms_of_pathological_answers": salvage_worst(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(document, indent=2) + "\n")
    print(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
