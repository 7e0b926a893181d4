"""Shared fixtures: the real datasets shipped in ``datasets/``."""

from __future__ import annotations

from pathlib import Path

import pytest

from assist.interchange import read_examples
from assist.schema import LabelledExample

ROOT = Path(__file__).resolve().parent.parent
HARPER_VALLEY = ROOT / "datasets" / "harper_valley" / "dev.jsonl"
#: 30 more real calls, converted the same way and never tuned on (see datasets/harper_valley/NOTICE.md).
HARPER_VALLEY_HELDOUT = ROOT / "datasets" / "harper_valley" / "heldout.jsonl"
SYNTHETIC = ROOT / "datasets" / "synthetic" / "calls.jsonl"
#: Written by a second writer, never used for tuning (see datasets/synthetic_heldout/README.md).
SYNTHETIC_HELDOUT = ROOT / "datasets" / "synthetic_heldout" / "calls.jsonl"
#: A third writer's calls, development data like SYNTHETIC (see datasets/synthetic_dev2/README.md).
SYNTHETIC_DEV2 = ROOT / "datasets" / "synthetic_dev2" / "calls.jsonl"
#: Four more writers' calls (datasets/WRITING.md): two development sets, two held out; 4 and 3 labelled from the spec only.
SYNTHETIC_DEV3 = ROOT / "datasets" / "synthetic_dev3" / "calls.jsonl"
SYNTHETIC_DEV4 = ROOT / "datasets" / "synthetic_dev4" / "calls.jsonl"
SYNTHETIC_HELDOUT2 = ROOT / "datasets" / "synthetic_heldout2" / "calls.jsonl"
SYNTHETIC_HELDOUT3 = ROOT / "datasets" / "synthetic_heldout3" / "calls.jsonl"
#: 16 of the synthetic calls labelled again, blind, by a second annotator (see datasets/synthetic/README.md).
SECOND_ANNOTATOR = ROOT / "datasets" / "synthetic" / "second_annotator.jsonl"


@pytest.fixture(scope="session")
def harper_valley() -> list[LabelledExample]:
    return [example for example in read_examples(HARPER_VALLEY)]
