"""The labelled datasets bundled in ``datasets/``: their short names, their files, and which are held out.

A **held-out** set was never read or tuned on while the brief programs were developed (each set's README says
so in its status header): its scores measure how a program generalizes, so whatever shows one labels it held
out (:attr:`BundledSet.label`), and nothing may be tuned on it. The short names are the stems of the committed
baselines (``eval/baseline/NAME.json``), the names CI gates under (``.ci/run``).

The datasets ship with the repository, not with the package: :data:`DATASETS_DIR` is the checkout's
``datasets/`` (the kit is installed editable, ``pip install -e .``).
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from pathlib import Path
from typing import Literal

from assist.errors import NotFound
from eval.dataset import Dataset, load_dataset

__all__ = ["BUNDLED", "DATASETS_DIR", "BundledSet", "Source", "bundled_set", "load_bundled"]

DATASETS_DIR = Path(__file__).resolve().parent.parent / "datasets"
_BASELINES_DIR = Path(__file__).resolve().parent / "baseline"


#: ``real``: recorded calls with partial gold; ``synthetic``: written calls with full gold.
Source = Literal["real", "synthetic"]


@dataclass(frozen=True)
class BundledSet:
    """One bundled dataset: ``name`` is its short name, ``file`` its path under :data:`DATASETS_DIR`."""

    name: str
    file: str
    _: KW_ONLY
    held_out: bool
    source: Source
    #: Who wrote (or recorded) the calls and what the labels followed, in a few words.
    origin: str

    @property
    def path(self) -> Path:
        return DATASETS_DIR / self.file

    @property
    def baseline(self) -> Path:
        """The committed ``rules`` run on this set that CI gates against (``assist eval --baseline``)."""
        return _BASELINES_DIR / f"{self.name}.json"

    @property
    def label(self) -> str:
        """The name as a chart or table shows it: held-out sets say so."""
        return f"{self.name} (held out)" if self.held_out else self.name

    def load(self) -> Dataset:
        """The dataset, validated, under its file-derived name (``synthetic/calls``), as the baselines name it."""
        return load_dataset(self.path)


#: Every bundled set: the development sets first, then the held-out ones.
BUNDLED: tuple[BundledSet, ...] = (
    BundledSet(
        "harper_valley",
        "harper_valley/dev.jsonl",
        held_out=False,
        source="real",
        origin="Harper Valley Bank calls",
    ),
    BundledSet(
        "synthetic",
        "synthetic/calls.jsonl",
        held_out=False,
        source="synthetic",
        origin="writer A, annotation guidelines",
    ),
    BundledSet(
        "synthetic_dev2",
        "synthetic_dev2/calls.jsonl",
        held_out=False,
        source="synthetic",
        origin="writer C, annotation guidelines",
    ),
    BundledSet(
        "synthetic_dev3",
        "synthetic_dev3/calls.jsonl",
        held_out=False,
        source="synthetic",
        origin="writer D, annotation guidelines",
    ),
    BundledSet(
        "synthetic_dev4",
        "synthetic_dev4/calls.jsonl",
        held_out=False,
        source="synthetic",
        origin="writer E, spec only",
    ),
    BundledSet(
        "harper_valley_heldout",
        "harper_valley/heldout.jsonl",
        held_out=True,
        source="real",
        origin="Harper Valley Bank calls",
    ),
    BundledSet(
        "synthetic_heldout",
        "synthetic_heldout/calls.jsonl",
        held_out=True,
        source="synthetic",
        origin="writer B, annotation guidelines",
    ),
    BundledSet(
        "synthetic_heldout2",
        "synthetic_heldout2/calls.jsonl",
        held_out=True,
        source="synthetic",
        origin="writer F, annotation guidelines",
    ),
    BundledSet(
        "synthetic_heldout3",
        "synthetic_heldout3/calls.jsonl",
        held_out=True,
        source="synthetic",
        origin="writer G, spec only",
    ),
)


def bundled_set(name: str) -> BundledSet:
    """The bundled set called ``name``; :class:`NotFound` naming the valid names otherwise."""
    for found in BUNDLED:
        if found.name == name:
            return found
    raise NotFound(f"no bundled dataset {name!r}; the bundled ones are {', '.join(s.name for s in BUNDLED)}")


def load_bundled() -> dict[str, Dataset]:
    """Every bundled set, validated, by short name, in :data:`BUNDLED` order."""
    return {bundled.name: bundled.load() for bundled in BUNDLED}
