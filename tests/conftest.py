"""Shared fixtures: the real datasets shipped in ``datasets/``."""

from __future__ import annotations

from pathlib import Path

import pytest

from assist.interchange import read_examples
from assist.schema import LabelledExample

ROOT = Path(__file__).resolve().parent.parent
HARPER_VALLEY = ROOT / "datasets" / "harper_valley" / "dev.jsonl"
SYNTHETIC = ROOT / "datasets" / "synthetic" / "calls.jsonl"


@pytest.fixture(scope="session")
def harper_valley() -> list[LabelledExample]:
    return [example for example in read_examples(HARPER_VALLEY)]
