"""Worst-case time of a ``rules`` brief: adversarial conversations as large as the service admits, side by side
with normal 50-turn calls. Writes bench/results/adversarial.json.

Every case fills one of four shapes to the limits of ``assist/schema.py`` (5,000 turns, 20,000 characters a
turn, 500,000 in all) with one kind of text: real caller turns with and without punctuation, amounts and names
that are all different, and the cue words the rules look for repeated ("I'm I'm ...", "my name is my name is
...", digits, amounts, dates, names, places, spelled letters...). The shapes are one 20,000-character caller turn after an agent question, one
20,000-character agent turn, 25 such turns taking turns (500,000 characters), and 5,000 short turns
(500,000 characters). Turns are made distinct (a short letter tag at the end), so no memo answers for a
repeated turn. Each case is briefed ``--repeats`` times and reports its median; the 50-turn calls of
``bench/core.py`` are briefed between the cases, so both see the same machine.

Run: .venv/bin/python bench/adversarial.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import string
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import product
from pathlib import Path

from core import fifty_turn_calls, percentiles

from assist.interchange import read_examples
from assist.programs import load_program
from assist.schema import MAX_TRANSCRIPT_CHARS, MAX_TURN_CHARS, MAX_TURNS, Conversation, Role, Turn

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results" / "adversarial.json"
TARGETS = {"worst_seconds": 0.3, "fifty_turn_p50_ms": 5.0}

#: Repeated to fill a turn: each is something a rule looks for, so its pattern or loop runs at every repeat.
UNITS = [
    "I'm ",
    "my name is ",
    "I'm I'm my name is my name's ",
    "this is it's ",
    "sorry, it's ",
    "John Smith. ",
    "J O H N ",
    "Halina, H-A-L-I-N-A, ",
    "1 ",
    "1,",
    "12 ",
    "1-",
    "4111 1111 1111 1111 ",
    "one two three ",
    "social 1 ",
    "$1 ",
    "twenty dollars ",
    "3/4 ",
    "4 11 1990 ",
    "Monday ",
    "January first ",
    "in Ohio ",
    "in New York ",
    "in 2022 ",
    "1 Main Street ",
    "2021 Honda ",
    "the Premium plan ",
    "allergic to ",
    "lisinopril 20 mg ",
    "claim number ",
    "a1 ",
    "Q7 ",
    "bad ",
    "bad but ",
    "like like ",
    "um uh, ",
    "the the ",
    "I'll waive the fee. ",
    "I can't ",
    "a billing specialist can ",
    "speak to a supervisor ",
    "what's your ",
    "Dr. ",
    "WHY ",
    "!!",
    "x",
]
SHORT_TURN_CHARS = MAX_TRANSCRIPT_CHARS // MAX_TURNS
LONG_TURNS = MAX_TRANSCRIPT_CHARS // MAX_TURN_CHARS


def _tags() -> Iterator[str]:
    """Distinct short lowercase words: aa, ab, ..., zz, aaa, ..."""
    for length in range(2, 6):
        for letters in product(string.ascii_lowercase, repeat=length):
            yield "".join(letters)


def _turns(text: str, count: int, chars: int, *, first: Role) -> list[tuple[Role, str]]:
    """``count`` turns of ``chars`` characters taking turns from ``first``: ``text`` repeated, each turn from
    its own place in it (a prime stride) and ending in its own tag."""
    other: Role = "user" if first == "assistant" else "assistant"
    turns: list[tuple[Role, str]] = []
    for index, tag in zip(range(count), _tags(), strict=False):
        offset = index * 7919 % len(text)
        room = chars - len(tag) - 1
        rotated = text[offset:] + text[:offset]
        said = (rotated * (room // len(text) + 1))[:room].rstrip() + " " + tag
        turns.append((first if index % 2 == 0 else other, said))
    return turns


def _conversation(turns: list[tuple[Role, str]]) -> Conversation:
    return Conversation(
        id="adversarial",
        user_id="+15551234567",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        status="ended",
        turns=[Turn(role=role, content=content) for role, content in turns],
    )


def texts() -> dict[str, str]:
    """Each kind of text a case is filled with, by name."""
    said = " ".join(
        turn.content
        for path in sorted(ROOT.glob("datasets/synthetic*/calls.jsonl"))
        for example in read_examples(path)
        for turn in example.conversation.turns
        if turn.role == "user"
    )
    syllables = [a + b for a in "BDGKLMNPRST" for b in "aeiou"]
    return {
        "caller text": said,
        "caller text, no punctuation": re.sub(r"[^\w\s']", "", said).lower(),
        # Every value new: nothing the call said before answers for it.
        "amounts counting up": " ".join(f"${n}" for n in range(1, 70_000)),
        "names all different": " ".join(
            f"{a}{b.lower()} {b}{a.lower()}." for a, b in product(syllables, repeat=2)
        ),
        **{f"{unit.strip()!r} repeated": unit for unit in UNITS},
    }


def cases() -> Iterator[tuple[str, Conversation]]:
    """Every text in every shape, named."""
    question: tuple[Role, str] = (
        "assistant",
        "Can I have your full name, date of birth and account number, please?",
    )
    for kind, text in texts().items():
        yield (
            f"{kind} | one caller turn",
            _conversation([question, *_turns(text, 1, MAX_TURN_CHARS, first="user")]),
        )
        yield (
            f"{kind} | one agent turn",
            _conversation([*_turns(text, 1, MAX_TURN_CHARS, first="assistant"), ("user", "okay")]),
        )
        yield (
            f"{kind} | {LONG_TURNS} turns of {MAX_TURN_CHARS:,} characters",
            _conversation(_turns(text, LONG_TURNS, MAX_TURN_CHARS, first="assistant")),
        )
        yield (
            f"{kind} | {MAX_TURNS:,} turns of {SHORT_TURN_CHARS} characters",
            _conversation(_turns(text, MAX_TURNS, SHORT_TURN_CHARS, first="assistant")),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    program = load_program("rules")
    normal_calls = fifty_turn_calls()
    program.brief(normal_calls[0])  # lexicons and patterns load once
    measured: list[dict[str, object]] = []
    normal_ms: list[float] = []
    for name, case in cases():
        seconds: list[float] = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            program.brief(case)
            seconds.append(time.perf_counter() - started)
            call = normal_calls[len(normal_ms) % len(normal_calls)]
            started = time.perf_counter()
            program.brief(call)
            normal_ms.append((time.perf_counter() - started) * 1000)
        measured.append(
            {
                "case": name,
                "turns": len(case.turns),
                "characters": sum(len(turn.content) for turn in case.turns),
                "seconds": round(statistics.median(seconds), 4),
            }
        )
        print(f"{measured[-1]['seconds']:8.3f} s  {name}", flush=True)
    measured.sort(key=lambda result: float(result["seconds"]), reverse=True)  # type: ignore[arg-type]
    normal = percentiles(normal_ms)
    report = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "repeats": args.repeats,
        "worst": measured[0],
        "fifty_turn_call": normal,
        "targets": TARGETS,
        "meets_targets": float(measured[0]["seconds"]) <= TARGETS["worst_seconds"]  # type: ignore[arg-type]
        and normal["p50_ms"] <= TARGETS["fifty_turn_p50_ms"],
        "cases": measured,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: report[k] for k in ("worst", "fifty_turn_call", "meets_targets")}, indent=2))


if __name__ == "__main__":
    main()
