"""Runs in a real DuckDB file: saved and loaded back intact, queryable through the documented views."""

from __future__ import annotations

from pathlib import Path

import pytest

from assist.errors import NotFound
from assist.programs.rules import RulesProgram
from assist.store import connect
from eval.dataset import Dataset, import_dataset, load_by_hash, load_dataset
from eval.runner import rescore, run_eval
from eval.runs import compare_runs, list_runs, load_run, save_run
from tests.conftest import HARPER_VALLEY
from tests.eval.conftest import CrashingProgram, ForgetfulProgram, GoldProgram


@pytest.fixture(scope="module")
def harper() -> Dataset:
    return load_dataset(HARPER_VALLEY)


def test_a_saved_run_loads_back_identical(tmp_path: Path, harper: Dataset) -> None:
    run = run_eval(RulesProgram(), harper)
    with connect(tmp_path / "eval.duckdb") as con:
        save_run(con, run)
    with connect(tmp_path / "eval.duckdb", read_only=True) as con:
        loaded = load_run(con, run.run_id[:17])
        assert load_run(con, "latest").run_id == run.run_id
        # The list and the run's own summary print the same digits (an ulp apart, 0.8425 rounded two ways).
        assert list_runs(con)[0].overall == run.section_scores()["overall"]
    assert loaded.to_json() == run.to_json()


def test_views_answer_plain_sql(tmp_path: Path, harper: Dataset) -> None:
    gold = run_eval(GoldProgram(harper.examples), harper)
    crashing = run_eval(CrashingProgram(harper.examples), harper)
    with connect(tmp_path / "eval.duckdb") as con:
        save_run(con, gold)
        save_run(con, crashing)
        per_metric = dict(
            con.execute(
                "SELECT metric, mean FROM run_scores WHERE run_id = ? AND metric IN ('overall', 'caller_name')",
                [crashing.run_id],
            ).fetchall()
        )
        assert per_metric == {
            "overall": pytest.approx(crashing.section_scores()["overall"]),
            "caller_name": pytest.approx(crashing.section_scores()["caller_name"]),
        }
        rows = con.execute(
            "SELECT example_id, error, caller_name, overall FROM example_scores WHERE run_id = ? ORDER BY position",
            [crashing.run_id],
        ).fetchall()
        assert len(rows) == 61
        failed = [r for r in rows if r[1] is not None]
        assert len(failed) == 20 and all(r[2] is None and r[3] is None for r in failed)
        # failed scoring is NULL plus an error, never a silent 0
        nulls = con.execute(
            "SELECT count(*) FROM eval_scores WHERE run_id = ? AND value IS NULL AND error LIKE 'no prediction%'",
            [crashing.run_id],
        ).fetchone()
        assert nulls is not None and nulls[0] >= 20
        assert [r.run_id for r in list_runs(con)] == [crashing.run_id, gold.run_id]


def test_compare_names_the_examples_that_changed_most(harper: Dataset) -> None:
    better, worse = (
        run_eval(GoldProgram(harper.examples), harper),
        run_eval(ForgetfulProgram(harper.examples), harper),
    )
    sections, changes = compare_runs(better, worse, top=5)
    assert sections["caller_name"][0] == 1.0 and sections["caller_name"][1] < 0.1
    assert sections["sentiment"] == (None, None)
    assert len(changes) == 5 and all(c.delta is not None and c.delta <= -0.5 for c in changes)
    assert compare_runs(better, better)[1] == []


def test_rescore_from_the_database_stores_a_new_run(tmp_path: Path, harper: Dataset) -> None:
    with connect(tmp_path / "eval.duckdb") as con:
        import_dataset(con, harper)
        original = run_eval(RulesProgram(), harper)
        save_run(con, original)
        stored = load_run(con, original.run_id)
        again = rescore(stored, load_by_hash(con, stored.dataset, stored.dataset_hash))
        save_run(con, again)
        kinds = con.execute("SELECT kind, parent_run_id FROM eval_runs ORDER BY created_at").fetchall()
        assert kinds == [("eval", None), ("rescore", original.run_id)]
        assert again.section_scores() == original.section_scores()
        with pytest.raises(NotFound):
            load_run(con, "no-such-run")
