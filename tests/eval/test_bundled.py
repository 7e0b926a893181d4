"""The list of bundled datasets is the repository's: every file in ``datasets/``, CI's names, the baselines'."""

from __future__ import annotations

import json
import re

import pytest

from assist.errors import NotFound
from eval.bundled import BUNDLED, DATASETS_DIR, bundled_set, load_bundled
from tests.conftest import (
    HARPER_VALLEY_HELDOUT,
    ROOT,
    SECOND_ANNOTATOR,
    SYNTHETIC_HELDOUT,
    SYNTHETIC_HELDOUT2,
    SYNTHETIC_HELDOUT3,
)


def test_every_dataset_file_is_bundled_once() -> None:
    # The second annotator's file labels 16 synthetic calls again: a ruler, not a set of calls of its own.
    files = {path for path in DATASETS_DIR.rglob("*.jsonl") if path != SECOND_ANNOTATOR}
    assert sorted(s.path for s in BUNDLED) == sorted(files)
    assert len({s.name for s in BUNDLED}) == len(BUNDLED)


def test_the_held_out_sets_are_the_ones_never_tuned_on() -> None:
    held_out = {SYNTHETIC_HELDOUT, SYNTHETIC_HELDOUT2, SYNTHETIC_HELDOUT3, HARPER_VALLEY_HELDOUT}
    assert {s.path for s in BUNDLED if s.held_out} == held_out
    assert [s.held_out for s in BUNDLED] == sorted(s.held_out for s in BUNDLED), "development sets first"
    assert bundled_set("synthetic_heldout2").label == "synthetic_heldout2 (held out)"
    assert bundled_set("synthetic_dev2").label == "synthetic_dev2"


def test_the_names_are_ci_gate_names_and_baseline_stems() -> None:
    gated = re.findall(r"[\w/]+\.jsonl:(\w+)", (ROOT / ".ci" / "run").read_text(encoding="utf-8"))
    assert sorted(gated) == sorted(s.name for s in BUNDLED)
    assert sorted(s.baseline for s in BUNDLED) == sorted((ROOT / "eval" / "baseline").glob("*.json"))


def test_load_bundled_reads_every_set_under_the_name_its_baseline_has() -> None:
    loaded = load_bundled()
    assert list(loaded) == [s.name for s in BUNDLED]
    assert {name: len(data) for name, data in loaded.items()} == {
        "harper_valley": 61,
        "synthetic": 48,
        "synthetic_dev2": 24,
        "synthetic_dev3": 24,
        "synthetic_dev4": 24,
        "harper_valley_heldout": 30,
        "synthetic_heldout": 16,
        "synthetic_heldout2": 20,
        "synthetic_heldout3": 20,
    }
    for name, data in loaded.items():
        baseline = json.loads(bundled_set(name).baseline.read_text(encoding="utf-8"))
        assert baseline["dataset"] == data.name
    for bundled in BUNDLED:
        expected = "harper_valley" if bundled.source == "real" else "synthetic"
        assert {example.source for example in loaded[bundled.name].examples} == {expected}


def test_an_unknown_name_lists_the_bundled_ones() -> None:
    with pytest.raises(
        NotFound, match=r"no bundled dataset 'synthetic_dev9'; the bundled ones are harper_valley, "
    ):
        bundled_set("synthetic_dev9")
