"""The notebooks' setup and shared drawing, on the bundled datasets, drawn by matplotlib's own Agg renderer."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

import duckdb
import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from assist.programs import BRIEF_SECTIONS
from eval.bundled import BUNDLED
from eval.notebook import (
    HELD_OUT_HATCH,
    SOURCE_COLORS,
    Session,
    flat_tables,
    set_bars,
    set_heatmap,
    sets_legend,
    start,
    table,
)
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    with pytest.MonkeyPatch.context() as patch:
        # The system's temporary directory, as the notebooks get it; here one pytest cleans up.
        patch.setattr(tempfile, "tempdir", str(tmp_path_factory.mktemp("system-tmp")))
        with matplotlib.rc_context():
            yield start("test")


def test_start_loads_every_set_into_a_fresh_directory_outside_the_repository(session: Session) -> None:
    assert list(session.datasets) == [s.name for s in BUNDLED]
    assert session.workdir.is_dir() and not any(session.workdir.iterdir())
    assert session.workdir.name.startswith("assist-test-")
    assert ROOT not in session.workdir.parents


def test_flat_tables_hold_every_example_turn_and_labelled_section(session: Session) -> None:
    con = duckdb.connect()
    flat_tables(con, session.datasets)
    flat_tables(con, session.datasets)  # replaces, never appends
    examples = [(name, e) for name, data in session.datasets.items() for e in data.examples]
    count = {
        t: con.execute(f"SELECT count(*) FROM {t}").fetchall() for t in ("examples", "turns", "gold_markers")
    }
    assert count["examples"] == [(len(examples),)]
    assert count["turns"] == [(sum(len(e.conversation.turns) for _, e in examples),)]
    assert count["gold_markers"] == [(sum(len(e.gold.markers or []) for _, e in examples if e.gold),)]
    assert con.sql("SELECT dataset, held_out, source FROM datasets").fetchall() == [
        (s.name, s.held_out, s.source) for s in BUNDLED
    ]
    sections = dict(
        con.sql(
            "SELECT dataset, list(DISTINCT section ORDER BY section) FROM gold_sections GROUP BY ALL"
        ).fetchall()
    )
    # Harper Valley's gold also has task_types: kept in the file, but no brief section.
    assert sections["harper_valley"] == ["caller_name", "information_collected"]
    assert sections["synthetic_heldout3"] == sorted(BRIEF_SECTIONS)


def test_set_bars_colour_by_source_hatch_the_held_out_sets_and_label_them(session: Session) -> None:
    names = list(session.datasets)
    fig, ax = plt.subplots()
    bars = set_bars(ax, names, [len(data) for data in session.datasets.values()])
    assert [bar.get_hatch() for bar in bars] == [HELD_OUT_HATCH if s.held_out else None for s in BUNDLED]
    assert [bar.get_facecolor() for bar in bars] == [
        matplotlib.colors.to_rgba(SOURCE_COLORS[s.source]) for s in BUNDLED
    ]
    assert [label.get_text() for label in ax.get_yticklabels()] == [s.label for s in BUNDLED]
    assert ax.yaxis_inverted()  # the first set on top
    plt.close(fig)


def test_the_sets_legend_covers_no_axes(session: Session) -> None:
    fig, axes = plt.subplots(3, 3, figsize=(14, 11), sharex=True, sharey=True)
    for ax in axes.flat:
        set_bars(ax, list(session.datasets), [1.0] * len(session.datasets))
    sets_legend(fig)
    fig.canvas.draw()
    legend = fig.legends[0].get_window_extent()
    assert [text.get_text() for text in fig.legends[0].get_texts()] == [
        "real calls, partial gold",
        "written calls, full gold",
        "held out",
    ]
    assert not [ax for ax in axes.flat if ax.get_tightbbox().overlaps(legend)]
    plt.close(fig)


def test_set_heatmap_labels_the_columns_and_separates_the_held_out_sets(session: Session) -> None:
    names = list(session.datasets)
    values = pd.DataFrame([[0.5] * len(names), [1.0] * len(names)], index=["a", "b"], columns=names)
    fig, ax = plt.subplots()
    set_heatmap(ax, values, text=values.map("{:.1f}".format))
    assert [label.get_text() for label in ax.get_xticklabels()] == [s.label for s in BUNDLED]
    developed = sum(not s.held_out for s in BUNDLED)
    assert [line.get_xdata()[0] for line in ax.lines] == [developed - 0.5]
    assert sorted(text.get_text() for text in ax.texts) == ["0.5"] * len(names) + ["1.0"] * len(names)
    plt.close(fig)


def test_table_shows_no_row_numbers() -> None:
    page = table(pd.DataFrame({"dataset": ["synthetic"], "calls": [48]})).to_html()
    assert ">synthetic</td>" in page and ">48</td>" in page
    assert "row_heading" not in page
