"""Issue-2 benchmarks: token minting beside a bare PyJWT encode, rules brief latency. Writes bench/results/core.json.

Ratios are measured side by side in one run because these 2-core machines are noisy. Newest-by-phone at 1M
conversations, on both store backends, is bench/scale.py's.
Run: .venv/bin/python bench/core.py
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt

from assist.programs import load_program
from assist.schema import Conversation
from assist.tokens import LiveKitCredentials, listener_grants, mint_listener_token

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results" / "core.json"


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    return {
        "p50_ms": round(statistics.median(ordered), 4),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 4),
        "samples": len(ordered),
    }


def rate(fn: Callable[[], object], *, seconds: float = 1.5) -> float:
    count = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for _ in range(100):
            fn()
        count += 100
    return count / seconds


def bench_mint() -> dict[str, object]:
    credentials = LiveKitCredentials(url="ws://127.0.0.1:7880", api_key="bench", api_secret="b" * 40)
    conversation = Conversation.model_validate(
        {
            "id": "c1",
            "user_id": "+15551234567",
            "created_at": "2026-01-01T00:00:00Z",
            "status": "in_progress",
            "room_name": "call-bench",
            "turns": [{"role": "user", "content": "hi"}],
        }
    )
    grants = listener_grants("call-bench")
    claims = {
        "video": {
            "roomJoin": True,
            "room": grants.room,
            "canPublish": False,
            "canSubscribe": True,
            "canPublishData": False,
            "hidden": True,
        },
        "sub": "observer-0123456789abcdef",
        "iss": "bench",
        "nbf": int(time.time()),
        "exp": int(time.time()) + 600,
    }
    # interleave rounds so both see the same machine load
    kit, bare = [], []
    for _ in range(3):
        kit.append(rate(lambda: mint_listener_token(conversation, credentials=credentials)))
        bare.append(rate(lambda: jwt.encode(claims, "b" * 40, algorithm="HS256")))
    kit_rate, bare_rate = statistics.median(kit), statistics.median(bare)
    return {
        "mint_per_s": round(kit_rate),
        "bare_pyjwt_encode_per_s": round(bare_rate),
        "ratio": round(kit_rate / bare_rate, 3),
        "target_ratio": 0.5,
    }


def fifty_turn_calls() -> list[Conversation]:
    """50-turn calls assembled from the real Harper Valley turns (varied text, real style)."""
    from assist.interchange import read_examples

    turns = [
        t
        for ex in read_examples(ROOT / "datasets" / "harper_valley" / "dev.jsonl")
        for t in ex.conversation.turns
    ]
    calls = []
    for start in range(0, len(turns) - 50, 50):
        calls.append(
            Conversation(
                id=f"bench-{start}",
                user_id="+15551234567",
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
                ended_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=6),
                status="ended",
                turns=turns[start : start + 50],
            )
        )
    return calls


def bench_rules() -> dict[str, object]:
    program = load_program("rules")
    calls = fifty_turn_calls()
    program.brief(calls[0])  # warm-up: lexicons and regexes load once
    samples = []
    for _ in range(3):
        for call in calls:
            t0 = time.perf_counter()
            program.brief(call)
            samples.append((time.perf_counter() - t0) * 1000)
    return {"turns_per_call": 50, "calls": len(calls), **percentiles(samples), "target_p50_ms": 5}


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "mint": bench_mint(),
        "rules_brief": bench_rules(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
