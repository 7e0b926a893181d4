"""What the analyst notebooks in ``notebooks/`` start from and draw with, so that each one shows rather than
builds.

:func:`start` is the entry point: a notebook's first cell is ``session = start("tour")``. It sets the plotting
and table defaults, makes a fresh temporary work directory (the notebooks' DuckDB files go there, never into
the repository; :meth:`Session.close`, the notebook's last cell, removes it) and loads every bundled dataset
(:mod:`eval.bundled`). The rest is what the notebooks share: held-out sets drawn hatched (their labels say so
too, :attr:`BundledSet.label`) or set apart in a heatmap, a readable table, the dataset tour's flat tables,
and the eval notebook's views of a run: one example in full (:func:`example_html`), two runs compared
(:func:`comparison_style`, :func:`interval_figure`, :func:`delta_figure`) and the regression gate's verdict
(:func:`gate_html`).
"""

from __future__ import annotations

import html
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.patches import Patch
from matplotlib.typing import RcKeyType
from pandas.io.formats.style import Styler

from assist.programs import BRIEF_SECTIONS, LMUsage
from eval._duck import insert_rows
from eval.bundled import Source, bundled_set, load_bundled
from eval.compare import Comparison, ExampleView, SectionView, section_lines
from eval.dataset import Dataset
from eval.gate import GateResult
from eval.judgments import Judgment
from eval.runner import EvalRun

__all__ = [
    "HELD_OUT_HATCH",
    "SOURCE_COLORS",
    "Session",
    "comparison_style",
    "comparison_table",
    "delta_figure",
    "example_html",
    "flat_tables",
    "gate_html",
    "hatch_held_out",
    "interval_figure",
    "score_color",
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
    #: What owns ``workdir``: it removes it on :meth:`close`, else when the kernel exits (or forgets the
    #: session), so a run leaves nothing behind (a notebook's DuckDB files are some 8 MB).
    _directory: tempfile.TemporaryDirectory[str] = field(repr=False)

    def close(self) -> None:
        """Remove the work directory and its files: a notebook's last cell, after closing its connections."""
        self._directory.cleanup()


def start(name: str) -> Session:
    """Plotting and table defaults set, a new work directory ``assist-NAME-…`` in the system's temporary
    directory, and every bundled dataset loaded."""
    plt.rcParams.update(_PLOT_DEFAULTS)
    pd.set_option("display.max_colwidth", 90)
    directory = tempfile.TemporaryDirectory(prefix=f"assist-{name}-", ignore_cleanup_errors=True)
    return Session(workdir=Path(directory.name), datasets=load_bundled(), _directory=directory)


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


# --- the eval notebook's views of a run ----------------------------------------------------------------


def score_color(value: float) -> str:
    """Green from 0.8, amber from 0.5, red below: a score's colour wherever one is shown."""
    return "#2e7d32" if value >= 0.8 else "#f9a825" if value >= 0.5 else "#c62828"


def example_html(view: ExampleView) -> HTML:
    """One example of a run, as ``assist runs show RUN --example ID`` prints it: who wrote the brief, its cost,
    what salvage did to the whole answer; per section its score, writer, the brief beside the gold and the notes
    (sub-metrics, salvage, unsupported details, the judge's comparison with the gold); the judge's claims."""
    written = f"brief by <b>{html.escape(view.produced_by)}</b>" if view.produced_by else "no brief"
    facts = [written, f"{view.seconds:.3f} s"]
    if view.fallback:
        facts.append(f"fell back to rules: {html.escape(view.fallback_reason or '')}")
    if view.error is not None:
        facts.append(f"failed: {html.escape(view.error)}")
    if view.usage is not None:
        facts.append(html.escape(_usage_fact(view.usage)))
    facts += [f"{html.escape(name)} {value:.2f}" for name, value in {**view.metrics, **view.judge}.items()]
    answer = [f"answer {n.action}: {n.reason}" for n in view.answer_salvage]
    rows = []
    for s in view.sections:
        score = "—" if s.score is None else f"<b style='color:{score_color(s.score)}'>{s.score:.2f}</b>"
        gold = _cell(section_lines(s.gold)) if s.labelled else "<i style='color:#999'>not labelled</i>"
        rows.append(
            f"<tr style='vertical-align:top;border-top:1px solid #ddd'><td><b>{s.section}</b><br>"
            f"<span style='color:#666'>by {html.escape(s.written_by or '?')}</span></td><td>{score}</td>"
            f"<td style='text-align:left'>{_cell(section_lines(s.brief))}</td>"
            f"<td style='text-align:left'>{gold}</td>"
            f"<td style='text-align:left;color:#666;font-size:85%'>{_section_notes(s)}</td></tr>"
        )
    return HTML(  # type: ignore[no-untyped-call]  # IPython's own class, untyped
        f"<div class='example-view' style='font-family:system-ui,sans-serif'>"
        f"<b>{html.escape(view.example_id)}</b> in run <code>{view.run_id}</code> ({html.escape(view.program)} on "
        f"{html.escape(view.dataset)}) · overall <b>{'—' if view.overall is None else f'{view.overall:.3f}'}</b>"
        f"<div style='color:#666'>{' · '.join(facts)}</div>"
        + "".join(f"<div style='color:#a66'>note: {html.escape(note)}</div>" for note in view.notes)
        + "".join(f"<div style='color:#a66'>{html.escape(line)}</div>" for line in answer)
        + "<table style='margin-top:6px;max-width:1100px'><tr><th>section</th><th>score</th>"
        "<th style='text-align:left'>brief</th><th style='text-align:left'>gold</th><th></th></tr>"
        + "".join(rows)
        + "</table>"
        + (_claims_html(view.judgment) if view.judgment is not None else "")
        + "</div>"
    )


def _cell(lines: list[str]) -> str:
    return "<br>".join(html.escape(line) for line in lines) or "<span style='color:#999'>—</span>"


def _usage_fact(usage: LMUsage) -> str:
    """The model's requests, tokens and cost for one brief."""
    tokens = " · ".join(
        f"{name} {'?' if count is None else f'{count:,}'}"
        for name, count in (("prompt", usage.prompt_tokens), ("completion", usage.completion_tokens))
    )
    cost = "cost unknown" if usage.cost_usd is None else f"cost ${usage.cost_usd:.5f}"
    cached = " (from the cache)" if usage.cached else ""
    return f"{usage.requests} request{'s' * (usage.requests != 1)}{cached} · tokens {tokens} · {cost}"


def _section_notes(s: SectionView) -> str:
    """A section's sub-metrics, salvage notes, unsupported details (red) and the judge's comparison with the gold."""
    notes = [html.escape(f"{name} {value:.2f}") for name, value in s.metrics.items()]
    notes += [html.escape(f"salvage {n.action}: {n.reason}") for n in s.salvage]
    if s.unsupported:
        flagged = ", ".join(d.text for d in s.unsupported)
        notes.append(
            f"<span class='unsupported' style='color:#c62828'>unsupported: {html.escape(flagged)}</span>"
        )
    if s.judge is not None:
        ideas = s.judge
        said = (
            f"judge failed: {ideas.error}"
            if ideas.error is not None
            else f"judge P {ideas.precision:.2f} · R {ideas.recall:.2f} · F1 {ideas.f1:.2f}"
        )
        notes.append(f"<b>{html.escape(said)}</b>")
        if ideas.reasoning:
            notes.append(f"<i>{html.escape(ideas.reasoning)}</i>")
    return "<br>".join(notes) or "<span style='color:#999'>—</span>"


def _claims_html(judgment: Judgment) -> str:
    """Each claim the judge found in the brief, with its verdict and reason."""
    if judgment.claims_error is not None:
        return f"<div style='color:#c62828'>claims not judged: {html.escape(judgment.claims_error)}</div>"
    items = "".join(
        f"<li><span style='color:{'#2e7d32' if c.supported else '#c62828'}'>"
        f"{'supported' if c.supported else 'not supported'}</span>: {html.escape(c.claim)} — "
        f"<i>{html.escape(c.reason)}</i></li>"
        for c in judgment.claims or []
    )
    return (
        f"<div class='judge-claims'><b>judge</b>: {len(judgment.claims or [])} of {judgment.claims_found} claims "
        f"judged · {judgment.requests} requests, {judgment.cached} from the cache<ul>{items}</ul></div>"
    )


_VERDICT_COLORS = {"better": "#2e7d32", "worse": "#c62828"}


def comparison_table(found: Comparison) -> pd.DataFrame:
    """``overall`` and the sections, one row each: pairs (and how many differ), the means of A and B over the
    pairs, B − A, its interval, the sign-flip test's p, the verdict."""
    columns = ["metric", "n", "nonzero", "a", "b", "delta", "low", "high", "p", "verdict"]
    return pd.DataFrame([row.model_dump(include=set(columns)) for row in found.sections()])[
        columns
    ].set_index("metric")


def comparison_style(found: Comparison) -> Styler:
    """:func:`comparison_table` for reading: signed differences, and the verdicts better and worse in colour."""
    return (
        comparison_table(found)
        .style.format("{:+.3f}", subset=["delta", "low", "high"], na_rep="")
        .format("{:.3f}", subset=["a", "b", "p"], na_rep="—")
        .map(
            lambda verdict: (
                f"color:{_VERDICT_COLORS[verdict]};font-weight:700"
                if verdict in _VERDICT_COLORS
                else "color:#666"
            ),
            subset=["verdict"],
        )
    )


def interval_figure(found: Comparison, title: str) -> Figure:
    """Each section's mean paired difference B − A with its 95% interval, ``n`` and verdict beside it; 0 is "no
    change"."""
    rows = [
        (row, row.delta, row.low, row.high)
        for row in reversed(found.sections())
        if row.delta is not None and row.low is not None and row.high is not None
    ]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(rows) + 1.2))
    for y, (row, delta, low, high) in enumerate(rows):
        color = _VERDICT_COLORS.get(row.verdict, "#777")
        ax.plot([low, high], [y, y], color=color, linewidth=3, solid_capstyle="round")
        ax.plot(delta, y, "o", color=color)
        ax.text(
            1.02, y, f"n={row.n}  {row.verdict}", transform=ax.get_yaxis_transform(), va="center", fontsize=8
        )
    ax.axvline(0, color="#999", linewidth=1)
    ax.set_yticks(range(len(rows)), [row.metric for row, *_ in rows])
    ax.set_xlabel("B − A (mean paired difference, 95% bootstrap interval)")
    ax.set_title(title)
    return fig


def delta_figure(deltas: pd.DataFrame, title: str) -> Figure:
    """Score changes, one row per example and one column per metric, as a heatmap from −1 (red) through 0
    (white, so only what moved catches the eye) to +1 (green); a missing score (not labelled) is grey."""
    colors = LinearSegmentedColormap.from_list("delta", ["#c62828", "#ffffff", "#2e7d32"]).with_extremes(
        bad="#e0e0e0"
    )
    fig, ax = plt.subplots(figsize=(9, 4))
    image = ax.imshow(
        np.ma.masked_invalid(deltas.T.to_numpy(dtype=float)), cmap=colors, vmin=-1, vmax=1, aspect="auto"
    )
    ax.set_yticks(range(deltas.shape[1]), list(deltas.columns))
    ax.set_xticks(range(len(deltas)), list(deltas.index), rotation=90, fontsize=7)
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label="Δ score", shrink=0.8, pad=0.01)
    return fig


def gate_html(result: GateResult, *, baseline: EvalRun, current: EvalRun) -> HTML:
    """The regression gate's verdict as CI gives it: PASS or FAIL, what makes the runs not comparable, each
    regression, and the first examples that got worse."""
    verdict = (
        '<span style="background:#2e7d32;color:#fff;padding:2px 10px;border-radius:10px">PASS</span>'
        if result.passed
        else '<span style="background:#c62828;color:#fff;padding:2px 10px;border-radius:10px">FAIL</span>'
    )
    problems = [f"not comparable: {m}" for m in result.mismatches] + [str(r) for r in result.regressions]
    listed = "".join(f"<li style='color:#c62828'>{html.escape(p)}</li>" for p in problems)
    worse = "".join(
        f"<tr><td><code>{html.escape(w.example_id)}</code></td><td>{html.escape('; '.join(w.drops))}</td></tr>"
        for w in result.worse_examples[:8]
    )
    more = len(result.worse_examples) - 8
    if more > 0:
        worse += f"<tr><td colspan=2>… and {more} more</td></tr>"
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in result.notes)
    return HTML(  # type: ignore[no-untyped-call]
        f"<div style='font-family:system-ui,sans-serif'>{verdict} <b>{html.escape(current.program)}</b> on "
        f"{html.escape(current.dataset)} against baseline <b>{html.escape(baseline.program)}</b> on "
        f"{html.escape(baseline.dataset)} (max drop {result.max_drop})"
        + (f"<ul>{notes}</ul>" if notes else "")
        + (f"<ul>{listed}</ul>" if listed else "<p>no section dropped by more than the limit</p>")
        + (
            f"<p>examples that got worse ({len(result.worse_examples)}):</p><table>{worse}</table>"
            if worse
            else ""
        )
        + "</div>"
    )
