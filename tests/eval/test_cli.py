"""The eval commands as a user runs them, with the real ``rules`` program and a real DuckDB file.

Exit codes and one-line errors go through a real process (``assist`` as installed); the other commands
run in-process through typer's CliRunner to keep the suite fast.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assist.cli import _register, app
from assist.interchange import read_examples
from assist.programs import BRIEF_SECTIONS
from assist.programs.rules import RulesProgram
from assist.store import connect
from eval.bundled import BUNDLED
from eval.dataset import import_dataset, load_dataset
from eval.judge import Judge
from eval.metrics import SECTIONS
from eval.runner import run_eval
from eval.runs import save_run
from tests.assist_process import assist
from tests.conftest import HARPER_VALLEY, ROOT, SECOND_ANNOTATOR, SYNTHETIC, SYNTHETIC_HELDOUT
from tests.eval.conftest import GoldProgram, PatchyProgram
from tests.eval.test_compare import planted
from tests.scripted_lm import ScriptedLM

if not any(command.name == "eval" for command in app.registered_commands):
    _register()
runner = CliRunner()


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
    # information precision and recall beside its F1, and the share of finished sentences: shown and in --json
    metrics = document["metrics"]
    assert {"information_collected.precision", "information_collected.recall", "sentences.complete"} <= set(
        metrics
    )
    shown = f"complete sentences {metrics['sentences.complete']:.3f}, information precision "
    assert shown in done.stdout
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
    assert "line 4: not JSON" in validated.stderr

    db = tmp_path / "eval.duckdb"
    imported = assist("dataset", "import", str(bad), "--db", str(db))
    assert imported.returncode == 1
    assert imported.stderr.count("\n") == 1 and "line 2: conversation" in imported.stderr
    assert not db.exists()  # checked before the database is even opened


def test_max_drop_is_honoured(tmp_path: Path) -> None:
    """A baseline 0.01 better than the current code in every score: a failure at --max-drop 0, a pass at 0.02."""
    db, out = str(tmp_path / "eval.duckdb"), tmp_path / "real.json"
    invoke("eval", "-d", str(SYNTHETIC_HELDOUT), "--db", db, "--json", str(out))
    better = json.loads(out.read_text())
    better["scores"] = {k: v + 0.01 if v is not None else None for k, v in better["scores"].items()}
    raised = tmp_path / "raised.json"
    raised.write_text(json.dumps(better))

    strict = invoke(
        "eval", "-d", str(SYNTHETIC_HELDOUT), "--db", db, "--baseline", str(raised), "--max-drop", "0", code=1
    )
    assert "regression overall" in strict and "FAIL: 9 regressions beyond --max-drop 0.0" in strict
    lenient = invoke(
        "eval", "-d", str(SYNTHETIC_HELDOUT), "--db", db, "--baseline", str(raised), "--max-drop", "0.02"
    )
    assert "PASS" in lenient and "regression" not in lenient


def test_a_baseline_of_another_dataset_version_or_program_fails_unless_the_change_is_declared(
    tmp_path: Path,
) -> None:
    db, out = str(tmp_path / "eval.duckdb"), tmp_path / "real.json"
    invoke("eval", "-d", str(SYNTHETIC_HELDOUT), "--db", db, "--json", str(out))
    for field, value in (("dataset_hash", "0" * 64), ("program", "dspy")):
        other = tmp_path / f"{field}.json"
        other.write_text(json.dumps(json.loads(out.read_text()) | {field: value}))
        refused = invoke("eval", "-d", str(SYNTHETIC_HELDOUT), "--db", db, "--baseline", str(other), code=1)
        assert "not comparable:" in refused and "regression" not in refused
        assert "pass --allow-baseline-mismatch if the difference is intended" in refused
        allowed = invoke(
            "eval",
            "-d",
            str(SYNTHETIC_HELDOUT),
            "--db",
            db,
            "--baseline",
            str(other),
            "--allow-baseline-mismatch",
        )
        assert "(allowed)" in allowed and "PASS" in allowed


def test_bad_options_are_one_clear_line(tmp_path: Path) -> None:
    for option, value in (
        ("--threads", "0"),
        ("--timeout", "0"),
        ("--retries", "-1"),
        ("--max-fallback-rate", "2"),
        ("--weight", "sentiment=abc"),
        ("--weight", "tone=1"),
    ):
        result = runner.invoke(
            app, ["eval", "-d", str(SYNTHETIC_HELDOUT), "--db", str(tmp_path / "e.duckdb"), option, value]
        )
        assert result.exit_code == 2, result.output
        assert (
            result.stderr.startswith(f"error: Invalid value for '{option}'")
            and result.stderr.count("\n") == 1
        )
    assert not any(tmp_path.iterdir())


def test_a_bundled_set_by_its_short_name_is_its_file_under_the_name_its_baseline_has(tmp_path: Path) -> None:
    db, out = str(tmp_path / "eval.duckdb"), tmp_path / "export.jsonl"
    baseline = str(ROOT / "eval" / "baseline" / "synthetic.json")
    gated = invoke("eval", "--dataset", "synthetic", "--db", db, "--baseline", baseline, "--max-drop", "0.02")
    assert "rules on synthetic/calls (48 examples)" in gated and "PASS" in gated
    document = json.loads(invoke("runs", "show", "latest", "--db", db, "--json", "-"))
    assert document["dataset"] == "synthetic/calls"
    assert document["dataset_hash"] == json.loads(Path(baseline).read_text())["dataset_hash"]
    # the short name finds what it stands for in the database too
    invoke("dataset", "export", "synthetic", "--db", db, "--out", str(out))
    assert out.read_text().splitlines() == SYNTHETIC.read_text().splitlines()

    # a stored dataset of the very name is the user's, and wins
    invoke("dataset", "import", str(SYNTHETIC_HELDOUT), "--name", "synthetic", "--db", db)
    assert "rules on synthetic (16 examples)" in invoke("eval", "-d", "synthetic", "--db", db)


def test_an_unknown_dataset_name_is_one_line_with_the_names_there_are(tmp_path: Path) -> None:
    db = str(tmp_path / "eval.duckdb")
    invoke("dataset", "import", str(HARPER_VALLEY), "--db", db)
    result = assist("eval", "--dataset", "synthetc", "--db", db)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == (
        "error: no dataset 'synthetc': give a JSONL file, a bundled name (harper_valley, synthetic, "
        "synthetic_dev2, synthetic_dev3, synthetic_dev4, harper_valley_heldout, synthetic_heldout, "
        "synthetic_heldout2, synthetic_heldout3), or a stored name (harper_valley/dev); "
        "`assist dataset list` lists them\n"
    )
    shown = " ".join(runner.invoke(app, ["eval", "--help"], env={"COLUMNS": "200"}).stdout.split())
    assert "a bundled set's short name (synthetic, harper_valley, …" in shown
    assert "or a stored NAME[@HASH]; `assist dataset list` lists the names" in shown


def test_dataset_list_shows_the_bundled_sets_with_no_database_and_creates_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ASSIST_DB", raising=False)
    listed = invoke("dataset", "list")
    names = {bundled.name for bundled in BUNDLED}
    rows = [cells for cells in map(str.split, listed.splitlines()) if cells[:1] and cells[0] in names]
    # name, file, held out
    assert rows == [[b.name, b.file, *(["yes"] if b.held_out else [])] for b in BUNDLED]
    assert "no datasets stored in assist.duckdb" in listed
    assert not any(tmp_path.iterdir())

    invoke("dataset", "import", str(HARPER_VALLEY))
    listed = at_80_columns("dataset", "list")
    assert "stored in assist.duckdb" in listed
    assert any(
        line.split()[:3] == ["harper_valley/dev", load_dataset(HARPER_VALLEY).hash[:12], "61"]
        for line in listed.splitlines()
    )
    # At 80 columns the source path folds between its directories, never inside a name.
    assert max(len(line) for line in listed.splitlines()) <= 80
    assert all(f"{part}/" in listed for part in HARPER_VALLEY.parent.parts[1:])


@pytest.fixture(scope="module")
def scripted() -> Iterator[ScriptedLM]:
    with ScriptedLM() as server:
        yield server


@pytest.fixture
def few_calls(tmp_path: Path) -> Path:
    """Four labelled calls: enough for a model run to show its shape, few enough to keep the suite fast."""
    path = tmp_path / "few.jsonl"
    path.write_text("\n".join(SYNTHETIC.read_text().splitlines()[:4]) + "\n")
    return path


def model_env(scripted: ScriptedLM, model: str) -> dict[str, str | None]:
    return {
        "ASSIST_LM": f"openai/{model}",
        "ASSIST_LM_API_BASE": scripted.api_base,
        "OPENAI_API_KEY": None,
        "ASSIST_PROGRAM": None,
    }


def test_a_dead_model_fails_the_fallback_gate_with_the_reason(
    tmp_path: Path, scripted: ScriptedLM, few_calls: Path
) -> None:
    db, out = str(tmp_path / "eval.duckdb"), tmp_path / "dead.json"
    args = [
        "eval",
        "-d",
        str(few_calls),
        "-p",
        "dspy",
        "--db",
        db,
        "--retries",
        "0",
        "--timeout",
        "10",
        "--no-cache",
    ]
    dead = runner.invoke(
        app, [*args, "--json", str(out)], env=model_env(scripted, "scripted-500"), catch_exceptions=False
    )
    assert dead.exit_code == 1, dead.output
    fail_lines = [line for line in dead.stdout.splitlines() if line.startswith("FAIL")]
    assert fail_lines == [
        (
            "FAIL: 4 of 4 briefs (100%) fell back to rules or failed, over --max-fallback-rate 0.25: this run mostly measured "
            "rules, not the model; most common reason (4x): LM error: LMServerError: [openai/scripted-500] "
            "scripted internal error"
        )
    ]
    document = json.loads(out.read_text())
    assert document["fallback_rate"] == 1.0 and document["lm_calls"] == 4  # --retries 0: one request a brief
    assert document["program_config"]["options"] == {"timeout_s": 10.0, "retries": 0, "cache": False}
    assert all(
        example["sections"] == dict.fromkeys(BRIEF_SECTIONS, "rules") for example in document["per_example"]
    )
    assert document["model_scores"] == dict.fromkeys(document["scores"])  # the model wrote nothing
    with connect(db, read_only=True) as con:
        reasons = con.execute(
            "SELECT DISTINCT fallback_reason FROM eval_predictions WHERE fallback"
        ).fetchall()
    assert reasons == [("LM error: LMServerError: [openai/scripted-500] scripted internal error",)]

    # the run is stored either way; a limit the user raises on purpose lets it pass
    tolerated = runner.invoke(
        app, [*args, "--max-fallback-rate", "1"], env=model_env(scripted, "scripted-500")
    )
    assert tolerated.exit_code == 0, tolerated.output


def test_a_model_run_records_who_wrote_what_its_cost_and_where_the_model_was(
    tmp_path: Path, scripted: ScriptedLM, few_calls: Path
) -> None:
    """The scripted model answers each call's gold but leaves out compliance_flags, so rules writes that section."""
    scripted.add_gold(read_examples(few_calls))
    db = str(tmp_path / "eval.duckdb")
    result = runner.invoke(
        app,
        ["eval", "-d", str(few_calls), "-p", "dspy", "--db", db, "--json", "-", "--no-cache"],
        env=model_env(scripted, "scripted-gold-missing-section"),
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (
        document["lm"] == "openai/scripted-gold-missing-section" and document["api_base"] == scripted.api_base
    )
    assert document["adapter"] in ("json", "chat") and document["prompt_version"]
    assert document["timings"]["threads"] == 4  # a model program's default
    assert document["fallback_rate"] == 0.0
    for example in document["per_example"]:
        assert example["sections"] == {**dict.fromkeys(BRIEF_SECTIONS, "dspy"), "compliance_flags": "rules"}
        assert [(n["section"], n["action"]) for n in example["salvage"]] == [("compliance_flags", "dropped")]
    # What the model wrote is the gold; the headline's compliance_flags is rules', which the model never wrote.
    model, counted = document["model_scores"], document["model_scored"]
    assert model == {**dict.fromkeys(SECTIONS, 1.0), "compliance_flags": None, "overall": None}
    assert counted == {**dict.fromkeys(SECTIONS, 4), "compliance_flags": 0, "overall": 0}
    assert document["scores"]["compliance_flags"] is not None
    for tokens in ("prompt_tokens", "completion_tokens"):  # as the server reported them, for every brief
        usage = document["usage"][tokens]
        assert usage["n"] == 4 and usage["total"] > 0 and usage["mean"] == usage["total"] / 4
    assert "┃ model ┃ of ┃" in result.stderr and "fallback to rules 0/4 (0.0%)" in result.stderr

    shown = " ".join(invoke("runs", "show", document["run_id"], "--db", db).split())  # wrapped at 80 columns
    assert f"lm openai/scripted-gold-missing-section at {scripted.api_base}, adapter " in shown
    prompt = document["usage"]["prompt_tokens"]
    assert f"tokens: prompt {prompt['total']:,} ({prompt['mean']:,.0f} a brief), completion " in shown
    assert "; cost unknown" in shown and "latency a brief: p50" in shown
    with connect(db, read_only=True) as con:
        stored = con.execute("SELECT api_base, adapter FROM eval_runs").fetchall()
        rules_wrote = con.execute(
            "SELECT count(*) FROM eval_predictions WHERE sections->>'compliance_flags' = 'rules'"
        ).fetchall()
    assert stored == [(scripted.api_base, document["adapter"])] and rules_wrote == [(4,)]


# --- runs compare and runs show --example ------------------------------------------------------------------


def at_80_columns(*args: str) -> str:
    result = runner.invoke(app, list(args), env={"COLUMNS": "80"}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_runs_compare_finds_a_real_run_worse_than_a_baseline_with_raised_scores(tmp_path: Path) -> None:
    """A real rules run against its own --json document with every transfer_reason raised by 0.1."""
    db, out = str(tmp_path / "eval.duckdb"), tmp_path / "real.json"
    invoke("eval", "-d", str(SYNTHETIC_HELDOUT), "--db", db, "--json", str(out))
    document = json.loads(out.read_text())
    for example in document["per_example"]:
        example["scores"]["transfer_reason"] += 0.1
    raised = tmp_path / "raised.json"
    raised.write_text(json.dumps(document))

    printed = at_80_columns("runs", "compare", str(raised), document["run_id"], "--db", db)
    rows = {
        line.split()[0]: line for line in printed.splitlines() if line.split()[:1] in [[s] for s in SECTIONS]
    }
    assert rows["transfer_reason"].split()[1:] == ["16", "-0.100", "[-0.100,", "-0.100]", "worse"]
    assert rows["caller_name"].split()[-3:] == ["no", "detectable", "difference"]
    flat = " ".join(printed.split())
    assert "16 examples in both runs" in flat and "10,000 resamples, seed 0" in flat
    assert "verdict: a sign-flip test's p < 0.05 and an interval without 0" in flat
    assert max(len(line) for line in printed.splitlines()) <= 80

    found = json.loads(invoke("runs", "compare", str(raised), document["run_id"], "--db", db, "--json", "-"))
    row = next(r for r in found["rows"] if r["metric"] == "transfer_reason")
    assert row["verdict"] == "worse" and row["high"] < 0 and row["n"] == 16
    assert row["p"] == 2 / 2**16  # all 16 the same way: 2 of the 65,536 sign patterns
    assert (row["nonzero"], row["sign_flips"], row["resamples"]) == (16, 2**16, 10_000)
    assert found["shared"] == 16 and found["a"]["run_id"] == document["run_id"]
    assert found["resamples"] == 10_000


def test_runs_compare_gives_no_verdict_when_few_pairs_differ(tmp_path: Path) -> None:
    """4 of 16 examples dropping alike: the interval excludes 0, a sign test gives p = 0.125."""
    db, out = str(tmp_path / "eval.duckdb"), tmp_path / "real.json"
    invoke("eval", "-d", str(SYNTHETIC_HELDOUT), "--db", db, "--json", str(out))
    document = json.loads(out.read_text())
    for example in document["per_example"][:4]:
        example["scores"]["transfer_reason"] += 0.1
    raised = tmp_path / "raised.json"
    raised.write_text(json.dumps(document))
    printed = at_80_columns("runs", "compare", str(raised), document["run_id"], "--db", db)
    row = next(line for line in printed.splitlines() if line.split()[:1] == ["transfer_reason"])
    assert row.split()[1:] == ["16", "-0.025", "[-0.050,", "-0.006]", "too", "few", "pairs"]  # not "worse"
    assert "transfer_reason: only 4 of its 16 pairs differ, too few for a verdict" in printed


def test_runs_compare_refuses_another_dataset_unless_shared_ids_are_asked_for(tmp_path: Path) -> None:
    db = str(tmp_path / "eval.duckdb")
    first = json.loads(invoke("eval", "-d", str(SYNTHETIC), "--db", db, "--json", "-"))["run_id"]
    second = json.loads(invoke("eval", "-d", str(SECOND_ANNOTATOR), "--db", db, "--json", "-"))["run_id"]
    refused = assist("runs", "compare", first, second, "--db", db)
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1
    assert refused.stderr == (
        f"error: runs {first} and {second} were made on different datasets (synthetic/calls vs "
        "synthetic/second_annotator); pass --shared-ids to compare them on the 16 example ids they share\n"
    )
    shared = invoke("runs", "compare", first, second, "--db", db, "--shared-ids")
    assert "compared on their 16 shared example ids" in shared
    assert "16 examples in both runs" in shared


def test_runs_show_fits_80_columns(tmp_path: Path, scripted: ScriptedLM, few_calls: Path) -> None:
    """A judged model run, with every judgment failed at length: its provenance, cost and judge lines wrap."""
    db, data = str(tmp_path / "eval.duckdb"), load_dataset(few_calls)
    sloppy = Judge("openai/scripted-judge-sloppy", api_base=scripted.api_base, cache=False)
    run = run_eval(PatchyProgram(data.examples), data, judge=sloppy)
    with connect(db) as con:
        save_run(con, run)
    shown = at_80_columns("runs", "show", run.run_id, "--db", db)
    assert max(len(line) for line in shown.splitlines()) <= 80
    flat = " ".join(shown.split())
    assert f"eval, {run.created_at:%Y-%m-%d %H:%M:%S} UTC; program patchy (hash " in flat
    assert "lm gold/labels at the provider, adapter json, prompt gold-1, lm_calls 4" in flat
    assert f"dataset {data.name}@{data.hash[:12]}; git " in flat and "; weights equal" in flat
    assert "4 briefs judged, 4 with a failed judgment" in flat
    assert (
        "judge failed on syn-001: transfer_reason: unreadable answer: Failed to parse field precision" in flat
    )
    assert f"run {run.run_id}: 4 examples (0 failed, 1 fallback, " in flat
    assert " judge " in flat and " s summed over its briefs; stored in " in flat


def test_runs_show_example_puts_brief_gold_and_score_side_by_side(tmp_path: Path) -> None:
    db = str(tmp_path / "eval.duckdb")
    run_id = json.loads(invoke("eval", "-d", str(SYNTHETIC), "--db", db, "--json", "-"))["run_id"]
    shown = at_80_columns("runs", "show", run_id, "--db", db, "--example", "syn-001")
    assert shown.startswith(f"syn-001: example 1 of run {run_id} (rules on ")
    assert max(len(line) for line in shown.splitlines()) <= 80
    example = next(e for e in read_examples(SYNTHETIC) if e.id == "syn-001")
    assert example.gold is not None and example.gold.caller_name is not None
    for section in SECTIONS:
        assert f"{section} · " in shown and " · by rules" in shown
    lines = shown.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("caller_name · 1.000 · by rules "))
    assert lines[rule + 1].split() == ["brief", "gold"]
    # rules found the name: the brief's beside the gold's
    assert lines[rule + 2].split() == [*example.gold.caller_name.split(), *example.gold.caller_name.split()]

    document = json.loads(invoke("runs", "show", run_id, "--db", db, "--example", "syn-001", "--json", "-"))
    assert document["example_id"] == "syn-001" and document["produced_by"] == "rules"
    assert [s["section"] for s in document["sections"]] == list(SECTIONS)
    caller = next(s for s in document["sections"] if s["section"] == "caller_name")
    assert caller["gold"] == example.gold.caller_name and caller["score"] == 1.0

    unknown = assist("runs", "show", run_id, "--db", db, "--example", "syn-999")
    assert unknown.returncode == 1 and unknown.stderr.count("\n") == 1
    assert f"no example 'syn-999' in run {run_id}" in unknown.stderr
    assert f"`assist runs show {run_id} --json -`" in unknown.stderr


def test_runs_show_example_of_a_model_run_says_who_wrote_what_and_why(tmp_path: Path) -> None:
    db = str(tmp_path / "eval.duckdb")
    synthetic = load_dataset(SYNTHETIC)
    run = run_eval(PatchyProgram(synthetic.examples), synthetic)
    with connect(db) as con:
        save_run(con, run)  # saved from Python: the dataset is not in the database, so there is no gold
    fell_back = invoke("runs", "show", run.run_id, "--db", db, "--example", synthetic.examples[0].id)
    assert f"fell back to rules: {PatchyProgram.REASON}" in fell_back
    flat = " ".join(fell_back.split())  # the note wraps at 80 columns
    assert "note: no gold and no call (so no unsupported details): dataset synthetic/calls@" in flat
    assert "(gold not at hand)" in fell_back
    salvaged = invoke("runs", "show", run.run_id, "--db", db, "--example", synthetic.examples[1].id)
    assert "markers · " in salvaged and " · by rules" in salvaged and " · by patchy" in salvaged
    assert f"salvage: dropped item 0: {PatchyProgram.NOTE.reason}" in salvaged
    assert "model: 1 request; tokens prompt 100, completion 20; cost $0.00100" in salvaged


def test_runs_show_example_lists_the_details_the_call_does_not_say(tmp_path: Path) -> None:
    """A real rules brief given a summary bullet the call never says: its words are listed under the section."""
    db, synthetic = str(tmp_path / "eval.duckdb"), load_dataset(SYNTHETIC)
    run = planted(run_eval(RulesProgram(), synthetic), 0)
    with connect(db) as con:
        import_dataset(con, synthetic)
        save_run(con, run)
    shown = at_80_columns("runs", "show", run.run_id, "--db", db, "--example", "syn-001")
    lines = shown.splitlines()
    summary = next(i for i, line in enumerate(lines) if line.startswith("call_summary · "))
    flagged = next(i for i, line in enumerate(lines) if line.startswith("unsupported: "))
    following = next(i for i, line in enumerate(lines) if line.startswith("information_collected · "))
    assert summary < flagged < following and lines[flagged] == "unsupported: 482.50, Okonkwo"
    assert shown.count("unsupported: ") == 1  # the other sections say nothing the call does not
    document = json.loads(
        invoke("runs", "show", run.run_id, "--db", db, "--example", "syn-001", "--json", "-")
    )
    by_name = {section["section"]: section for section in document["sections"]}
    assert by_name["call_summary"]["unsupported"] == [
        {"kind": "number", "text": "482.50"},
        {"kind": "name", "text": "Okonkwo"},
    ]
    assert by_name["transfer_reason"]["unsupported"] == [] and by_name["sentiment"]["unsupported"] is None


def test_runs_show_example_says_what_salvage_did_to_the_whole_answer(
    tmp_path: Path, scripted: ScriptedLM, few_calls: Path
) -> None:
    """The scripted model answers the gold inside a code fence: no section's note, the answer's."""
    scripted.add_gold(read_examples(few_calls))
    db = str(tmp_path / "eval.duckdb")
    result = runner.invoke(
        app,
        ["eval", "-d", str(few_calls), "-p", "dspy", "--db", db, "--json", "-", "--no-cache"],
        env=model_env(scripted, "scripted-gold-fences"),
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    note = {"section": "answer", "action": "repaired", "reason": "read from a code fence", "item": None}
    assert document["per_example"][0]["salvage"] == [note]
    example = document["per_example"][0]["id"]
    shown = at_80_columns("runs", "show", document["run_id"], "--db", db, "--example", example)
    lines = shown.splitlines()
    answer = lines.index("answer: repaired: read from a code fence")
    assert answer < next(i for i, line in enumerate(lines) if line.startswith("sentiment · "))
    assert "salvage: " not in shown  # no section's note
    view = json.loads(
        invoke("runs", "show", document["run_id"], "--db", db, "--example", example, "--json", "-")
    )
    assert view["answer_salvage"] == [note]
    assert all(section["salvage"] == [] for section in view["sections"])


def test_runs_show_example_of_a_judged_run_gives_each_claim_its_verdict_and_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scripted: ScriptedLM, few_calls: Path
) -> None:
    monkeypatch.setenv("ASSIST_CACHE_DIR", str(tmp_path / "cache"))
    db, data = str(tmp_path / "eval.duckdb"), load_dataset(few_calls)
    run = run_eval(RulesProgram(), data, judge=Judge("openai/scripted-judge", api_base=scripted.api_base))
    with connect(db) as con:
        import_dataset(con, data)
        save_run(con, run)
    judgment = run.judgments[0]
    assert judgment is not None and judgment.claims
    shown = at_80_columns("runs", "show", run.run_id, "--db", db, "--example", data.examples[0].id)
    summary = judgment.sections["call_summary"]
    assert (
        f"judge against the gold: precision {summary.precision:.3f}, recall {summary.recall:.3f}, "
        f"f1 {summary.f1:.3f}"
    ) in shown
    flat = " ".join(shown.split())  # claims and reasons wrap at 80 columns
    for claim in judgment.claims:
        verdict = "supported" if claim.supported else "not supported"
        assert " ".join(f"{verdict}: {claim.claim} — {claim.reason}".split()) in flat
    document = json.loads(
        invoke("runs", "show", run.run_id, "--db", db, "--example", data.examples[0].id, "--json", "-")
    )
    assert document["judgment"]["claims"] == [c.model_dump() for c in judgment.claims]
