"""What the analyst notebooks in ``notebooks/`` start from, so that each one opens with what it shows.

:func:`start` is the entry point: a notebook's first cell is ``session = start("tour")``. It sets the plotting
and table defaults, makes a fresh temporary work directory (the notebooks' DuckDB files go there, never into
the repository) and loads every bundled dataset (:mod:`eval.bundled`). The rest is what the notebooks share:
held-out sets drawn hatched (their labels say so too, :attr:`BundledSet.label`) or set apart in a heatmap, a
readable table, and the dataset tour's flat tables.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.patches import Patch
from matplotlib.typing import RcKeyType
from pandas.io.formats.style import Styler

from assist.programs import BRIEF_SECTIONS
from eval._duck import insert_rows
from eval.bundled import Source, bundled_set, load_bundled
from eval.dataset import Dataset

__all__ = [
    "HELD_OUT_HATCH",
    "SOURCE_COLORS",
    "Session",
    "flat_tables",
    "hatch_held_out",
    "set_bars",
    "set_heatmap",
    "sets_legend",
    "start",
    "table",
]

#: How a held-out set's bar or box is drawn, beside the "(held out)" of its label.
HELD_OUT_HATCH = "///"
#: A set's colour in charts: real calls (partial gold) or written ones (full gold).
SOURCE_COLORS: dict[Source, str] = {"real": "#00897b", "synthetic": "#3f51b5"}

_PLOT_DEFAULTS: dict[RcKeyType, Any] = {
    # Constrained layout makes room for what is placed outside the axes (legends, colour bars, labels), so a
    # legend never has to sit on the data.
    "figure.constrained_layout.use": True,
    "figure.dpi": 100,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlelocation": "left",
    "legend.frameon": False,
    "hatch.color": "white",
    "hatch.linewidth": 1.5,
}

_FLAT_SCHEMA = """
CREATE OR REPLACE TABLE datasets (
    dataset VARCHAR, held_out BOOLEAN, source VARCHAR, origin VARCHAR, file VARCHAR);
CREATE OR REPLACE TABLE examples (
    dataset VARCHAR, id VARCHAR, conversation_id VARCHAR, tags VARCHAR, turns INTEGER, caller_turns INTEGER,
    duration_seconds INTEGER, caller_name VARCHAR, sentiment VARCHAR, transfer_reason VARCHAR);
CREATE OR REPLACE TABLE turns (dataset VARCHAR, id VARCHAR, turn INTEGER, role VARCHAR, content VARCHAR);
CREATE OR REPLACE TABLE gold_sections (dataset VARCHAR, id VARCHAR, section VARCHAR);
CREATE OR REPLACE TABLE gold_markers (dataset VARCHAR, id VARCHAR, turn INTEGER, type VARCHAR);
CREATE OR REPLACE TABLE gold_flags (dataset VARCHAR, id VARCHAR, type VARCHAR, description VARCHAR);
CREATE OR REPLACE TABLE gold_info (dataset VARCHAR, id VARCHAR, key VARCHAR, value VARCHAR);
"""


@dataclass(frozen=True)
class Session:
    #: A fresh temporary directory of this notebook run, for its DuckDB files.
    workdir: Path
    #: Every bundled set, validated, by short name: the development sets first, then the held-out ones.
    datasets: dict[str, Dataset]


def start(name: str) -> Session:
    """Plotting and table defaults set, a new work directory ``assist-NAME-…`` in the system's temporary
    directory, and every bundled dataset loaded."""
    plt.rcParams.update(_PLOT_DEFAULTS)
    pd.set_option("display.max_colwidth", 90)
    return Session(workdir=Path(tempfile.mkdtemp(prefix=f"assist-{name}-")), datasets=load_bundled())


def set_bars(ax: Axes, names: Sequence[str], values: Sequence[float]) -> BarContainer:
    """One horizontal bar per bundled set, top to bottom in the order of ``names``: coloured by source, hatched
    when held out, labelled as :attr:`BundledSet.label`."""
    sets = [bundled_set(name) for name in names]
    rows = range(len(sets))
    bars = ax.barh(rows, values, color=[SOURCE_COLORS[s.source] for s in sets])
    hatch_held_out(bars, names)
    ax.set_yticks(rows, [s.label for s in sets])
    if not ax.yaxis_inverted():
        ax.invert_yaxis()
    return bars


def sets_legend(fig: Figure) -> None:
    """What the colours and the hatch of :func:`set_bars` mean, below the figure, where it covers nothing."""
    fig.legend(
        handles=[
            Patch(color=SOURCE_COLORS["real"], label="real calls, partial gold"),
            Patch(color=SOURCE_COLORS["synthetic"], label="written calls, full gold"),
            Patch(facecolor="#9e9e9e", hatch=HELD_OUT_HATCH, label="held out"),
        ],
        loc="outside lower center",
        ncols=3,
    )


def hatch_held_out(patches: Sequence[Patch], names: Sequence[str]) -> None:
    """Hatch the bars (or boxes) of held-out sets; ``patches[i]`` draws the set called ``names[i]``."""
    for patch, name in zip(patches, names, strict=True):
        if bundled_set(name).held_out:
            patch.set_hatch(HELD_OUT_HATCH)


def table(frame: pd.DataFrame) -> Styler:
    """A query result as a readable table: text left-aligned, no row numbers."""
    text = frame.select_dtypes(exclude="number").columns
    return (
        frame.style.hide(axis="index")
        .format(precision=1, na_rep="")
        .set_properties(subset=text, **{"text-align": "left"})
        .set_table_styles([{"selector": "th", "props": "text-align: left"}])
    )


def flat_tables(con: duckdb.DuckDBPyConnection, datasets: Mapping[str, Dataset]) -> None:
    """``datasets`` (by short name) as flat tables for SQL, replacing any of that name, one row per: bundled set
    (``datasets``: held out or not, source, origin, file), example (``examples``), turn (``turns``), labelled
    brief section (``gold_sections``), marker (``gold_markers``), compliance flag (``gold_flags``) and collected
    item (``gold_info``). ``dataset`` is the short name in each; ``(dataset, id)`` names an example."""
    con.execute(_FLAT_SCHEMA)
    rows: dict[str, list[tuple[object, ...]]] = {
        "datasets": [],
        "examples": [],
        "turns": [],
        "gold_sections": [],
        "gold_markers": [],
        "gold_flags": [],
        "gold_info": [],
    }
    for name, data in datasets.items():
        bundled = bundled_set(name)
        rows["datasets"].append((name, bundled.held_out, bundled.source, bundled.origin, bundled.file))
        for ex in data.examples:
            conv, gold = ex.conversation, ex.gold
            rows["examples"].append(
                (
                    name,
                    ex.id,
                    conv.id,
                    ", ".join(ex.tags),
                    len(conv.turns),
                    sum(turn.role == "user" for turn in conv.turns),
                    conv.duration_seconds,
                    gold.caller_name if gold else None,
                    gold.sentiment if gold else None,
                    gold.transfer_reason if gold else None,
                )
            )
            rows["turns"] += [(name, ex.id, i, turn.role, turn.content) for i, turn in enumerate(conv.turns)]
            if gold is None:
                continue
            # Extra gold keys (Harper Valley's task_types) are kept in the file but are no brief section.
            rows["gold_sections"] += [(name, ex.id, s) for s in sorted(gold.labelled() & set(BRIEF_SECTIONS))]
            rows["gold_markers"] += [(name, ex.id, m.turn, m.type) for m in gold.markers or []]
            rows["gold_flags"] += [(name, ex.id, f.type, f.description) for f in gold.compliance_flags or []]
            rows["gold_info"] += [(name, ex.id, i.key, i.value) for i in gold.information_collected or []]
    for table_name, table_rows in rows.items():
        insert_rows(con, table_name, con.table(table_name).columns, table_rows)


def set_heatmap(
    ax: Axes,
    values: pd.DataFrame,
    *,
    text: pd.DataFrame | None = None,
    cmap: str = "Blues",
    vmax: float = 1.0,
) -> AxesImage:
    """``values`` (one column per bundled set, by short name) as a heatmap from 0 to ``vmax``: columns labelled
    as :attr:`BundledSet.label`, a line between the development and the held-out sets, each cell annotated
    with ``text`` (by default the value itself)."""
    shown = values.to_numpy(dtype=float)
    image = ax.imshow(shown, cmap=cmap, vmin=0, vmax=vmax, aspect="auto")
    notes = (values if text is None else text).to_numpy()
    for (row, column), note in np.ndenumerate(notes):
        dark = shown[row, column] > 0.6 * vmax
        ax.text(column, row, note, ha="center", va="center", fontsize=9, color="white" if dark else "#333")
    sets = [bundled_set(name) for name in values.columns]
    ax.set_xticks(range(len(sets)), [s.label for s in sets], rotation=30, ha="right")
    ax.set_yticks(range(len(values.index)), list(values.index))
    developed = sum(not s.held_out for s in sets)
    if 0 < developed < len(sets):
        ax.axvline(developed - 0.5, color="#c62828", linewidth=2)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return image
