"""The notebooks' setup and shared drawing, on the bundled datasets, drawn by matplotlib's own Agg renderer."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from assist.programs import BRIEF_SECTIONS, load_program
from eval import EvalRun, check, compare_runs, example_view, load_dataset, run_eval
from eval.bundled import BUNDLED, DATASETS_DIR
from eval.compare import Comparison
from eval.notebook import (
    HELD_OUT_HATCH,
    SOURCE_COLORS,
    Session,
    comparison_style,
    comparison_table,
    delta_figure,
    example_html,
    flat_tables,
    gate_html,
    interval_figure,
    score_color,
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


def test_a_session_s_work_directory_goes_on_close_or_when_the_kernel_exits(tmp_path: Path) -> None:
    """A notebook's last cell closes its session; one that never gets there leaves nothing behind either."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tempfile, "tempdir", str(tmp_path))
        closed = start("closed")
    (closed.workdir / "eval.duckdb").write_bytes(b"\0" * 1024)
    closed.close()
    assert not closed.workdir.exists()
    closed.close()  # again: nothing to do, no error

    # A kernel that exits without the last cell (shut down, interrupted): the interpreter's exit removes it.
    script = (
        "import tempfile\nfrom eval.notebook import start\n"
        f"tempfile.tempdir = {str(tmp_path)!r}\n"
        "session = start('exited')\n(session.workdir / 'eval.duckdb').write_bytes(b'x')\nprint(session.workdir)"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120, cwd=ROOT
    )
    workdir = Path(ran.stdout.strip())
    assert workdir.parent == tmp_path and workdir.name.startswith("assist-exited-")
    assert not workdir.exists() and list(tmp_path.iterdir()) == []


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


# --- the eval notebook's views, on real runs of rules -----------------------------------------------------


@pytest.fixture(scope="module")
def rules_runs(session: Session) -> tuple[EvalRun, EvalRun]:
    """rules on the synthetic calls, and on the same calls' 16 labelled again by a second annotator."""
    rules = load_program("rules")
    second = load_dataset(DATASETS_DIR / "synthetic" / "second_annotator.jsonl")
    return (
        run_eval(rules, session.datasets["synthetic"], spec="rules"),
        run_eval(rules, second, spec="rules"),
    )


@pytest.fixture(scope="module")
def ruler(rules_runs: tuple[EvalRun, EvalRun]) -> Comparison:
    return compare_runs(*rules_runs, shared_ids=True)


def test_example_html_shows_each_section_beside_its_gold(
    session: Session, rules_runs: tuple[EvalRun, EvalRun]
) -> None:
    run = rules_runs[0]
    example = session.datasets["synthetic"].examples[0]
    view = example_view(run, example.id, session.datasets["synthetic"])
    page = example_html(view).data
    assert page.startswith("<div class='example-view'") and f"<b>{example.id}</b> in run" in page
    assert all(f"<b>{section}</b>" in page for section in BRIEF_SECTIONS)
    assert "brief by <b>rules</b>" in page and "unsupported:" not in page
    assert example.gold is not None and example.gold.transfer_reason in page
    caller = f"<b style='color:{score_color(view.sections[0].score or 0)}'>"
    assert caller in page


def test_the_comparison_of_two_annotators_gold_shows_what_moved(ruler: Comparison) -> None:
    found = comparison_table(ruler)
    assert list(found.index) == [row.metric for row in ruler.sections()]
    assert found.loc["information_collected", "verdict"] == "worse" and found.loc["overall", "n"] == 16
    page = comparison_style(ruler).to_html()
    assert re.search(r"color: #c62828;\s*font-weight: 700;", page) and "color: #666;" in page


def test_interval_and_delta_figures_draw_every_compared_section(
    ruler: Comparison, rules_runs: tuple[EvalRun, EvalRun]
) -> None:
    fig = interval_figure(ruler, "second annotator − writer A")
    ax = fig.axes[0]
    drawn = [row.metric for row in ruler.sections() if row.delta is not None]
    assert [label.get_text() for label in ax.get_yticklabels()] == drawn[::-1]
    assert sum(text.get_text().endswith("worse") for text in ax.texts) == sum(
        row.verdict == "worse" for row in ruler.sections()
    )
    plt.close(fig)
    deltas = pd.DataFrame({"overall": [0.5, float("nan")], "sentiment": [-1.0, 0.0]}, index=["a", "b"])
    fig = delta_figure(deltas, "change")
    image = fig.axes[0].images[0]
    assert image.get_array().shape == (2, 2) and bool(image.get_array().mask[0, 1])  # NaN drawn as missing
    assert [label.get_text() for label in fig.axes[0].get_yticklabels()] == ["overall", "sentiment"]
    plt.close(fig)


def test_gate_html_passes_a_run_against_itself_and_refuses_one_on_other_data(
    rules_runs: tuple[EvalRun, EvalRun],
) -> None:
    run, second = rules_runs
    passed = gate_html(check(run.to_json(), run.to_json()), baseline=run, current=run).data
    assert ">PASS</span>" in passed and "no section dropped by more than the limit" in passed
    refused = gate_html(check(second.to_json(), run.to_json()), baseline=run, current=second).data
    assert ">FAIL</span>" in refused and "not comparable: dataset" in refused
