"""The eval commands as a user runs them, with the real ``rules`` program and a real DuckDB file.

Exit codes and one-line errors go through a real process (``assist`` as installed); the other commands
run in-process through typer's CliRunner to keep the suite fast.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from assist.cli import _register, app
from assist.store import connect
from eval.dataset import load_dataset
from eval.metrics import SECTIONS
from eval.runner import run_eval
from eval.runs import save_run
from tests.conftest import HARPER_VALLEY, SYNTHETIC
from tests.eval.conftest import GoldProgram

if not any(command.name == "eval" for command in app.registered_commands):
    _register()
runner = CliRunner()


def assist(*args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ASSIST_")}
    return subprocess.run(
        [sys.executable, "-m", "assist", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean,
        check=False,
    )


def invoke(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.stdout


def test_eval_rules_writes_json_stores_the_run_and_passes_against_itself(tmp_path: Path) -> None:
    db, out = str(tmp_path / "eval.duckdb"), tmp_path / "rules.json"
    done = assist(
        "eval", "--dataset", str(HARPER_VALLEY), "--program", "rules", "--db", db, "--json", str(out)
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text())
    assert set(document["scores"]) == {"overall", *SECTIONS}
    assert document["scores"]["sentiment"] is None  # no sentiment gold in Harper Valley
    assert 0.0 < document["scores"]["caller_name"] <= 1.0
    assert document["n"] == len(document["per_example"]) == 61
    assert document["program"] == "rules" and document["dataset"] == "harper_valley/dev"
    assert "information_collected" in done.stdout and document["run_id"] in done.stdout
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT program, n, n_failed FROM eval_runs").fetchall() == [("rules", 61, 0)]
        assert con.execute("SELECT count(*) FROM eval_predictions WHERE portal IS NOT NULL").fetchone() == (
            61,
        )

    again = invoke("eval", "-d", "harper_valley/dev", "--db", db, "--baseline", str(out), "--max-drop", "0")
    assert "PASS" in again


def test_the_gate_fails_rules_against_a_better_stored_run(tmp_path: Path) -> None:
    db = str(tmp_path / "eval.duckdb")
    harper = load_dataset(HARPER_VALLEY)
    better = run_eval(GoldProgram(harper.examples), harper)
    with connect(db) as con:
        save_run(con, better)
    result = runner.invoke(
        app,
        ["eval", "-d", str(HARPER_VALLEY), "--db", db, "--baseline", better.run_id],
        catch_exceptions=False,
    )
    assert result.exit_code == 1
    assert "FAIL" in result.stdout and "regression" in result.stdout
    assert "examples that got worse" in result.stdout and "hv-" in result.stdout


def test_json_to_stdout_keeps_stdout_pure_json(tmp_path: Path) -> None:
    stdout = invoke(
        "eval", "-d", str(SYNTHETIC), "--db", str(tmp_path / "e.duckdb"), "--json", "-", "--threads", "2"
    )
    document = json.loads(stdout)
    assert document["dataset"] == "synthetic/calls"
    assert all(document["scores"][section] is not None for section in SECTIONS)  # fully labelled


def test_runs_list_show_compare_and_rescore(tmp_path: Path) -> None:
    db = str(tmp_path / "eval.duckdb")
    first = json.loads(invoke("eval", "-d", str(HARPER_VALLEY), "--db", db, "--json", "-"))
    rescored = json.loads(
        invoke("rescore", first["run_id"], "--db", db, "--json", "-", "--weight", "caller_name=2")
    )
    assert rescored["kind"] == "rescore" and rescored["parent_run_id"] == first["run_id"]
    assert rescored["scores"]["caller_name"] == first["scores"]["caller_name"]
    assert rescored["weights"] == {"caller_name": 2.0}

    listing = invoke("runs", "list", "--db", db)
    assert first["run_id"] in listing and rescored["run_id"] in listing
    shown = json.loads(invoke("runs", "show", first["run_id"], "--db", db, "--json", "-"))
    assert shown["scores"] == first["scores"]
    compared = invoke("runs", "compare", first["run_id"], rescored["run_id"], "--db", db)
    assert "caller_name" in compared and "examples that changed most" in compared


def test_dataset_commands(tmp_path: Path) -> None:
    db, out = str(tmp_path / "eval.duckdb"), tmp_path / "export.jsonl"
    assert "61 examples OK" in invoke("dataset", "validate", str(HARPER_VALLEY))
    assert "imported harper_valley/dev" in invoke("dataset", "import", str(HARPER_VALLEY), "--db", db)
    assert "already present" in invoke("dataset", "import", str(HARPER_VALLEY), "--db", db)
    invoke("dataset", "export", "harper_valley/dev", "--db", db, "--out", str(out))
    original = [json.loads(line) for line in HARPER_VALLEY.read_text().splitlines()]
    assert [json.loads(line) for line in out.read_text().splitlines()] == original


def test_a_bad_file_is_reported_line_by_line_and_never_imported(tmp_path: Path) -> None:
    lines = HARPER_VALLEY.read_text().splitlines()[:3]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([lines[0], '{"id": "x"}', lines[1], "nope"]) + "\n")
    validated = runner.invoke(app, ["dataset", "validate", str(bad)], catch_exceptions=False)
    assert validated.exit_code == 1
    assert "line 2: conversation: Field required" in validated.stderr
    assert "line 4: line: not JSON" in validated.stderr

    db = tmp_path / "eval.duckdb"
    imported = assist("dataset", "import", str(bad), "--db", str(db))
    assert imported.returncode == 1
    assert imported.stderr.count("\n") == 1 and "line 2: conversation" in imported.stderr
    assert not db.exists()  # checked before the database is even opened
