"""Runs in a real DuckDB file: saved and loaded back intact, queryable through the documented views."""

from __future__ import annotations

from pathlib import Path

import pytest

from assist.errors import NotFound
from assist.programs.rules import RulesProgram
from assist.store import connect
from eval.dataset import Dataset, import_dataset, load_by_hash, load_dataset
from eval.runner import rescore, run_eval
from eval.runs import list_runs, load_run, save_run
from tests.conftest import HARPER_VALLEY, SYNTHETIC
from tests.eval.conftest import CrashingProgram, GoldProgram, PatchyProgram


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


def test_a_model_run_keeps_sections_salvage_usage_and_provenance(tmp_path: Path, harper: Dataset) -> None:
    run = run_eval(PatchyProgram(harper.examples), harper, load_options={"retries": 0})
    with connect(tmp_path / "eval.duckdb") as con:
        save_run(con, run)
        loaded = load_run(con, run.run_id)
        stored = con.execute(
            "SELECT lm, api_base, adapter, prompt_version FROM eval_runs WHERE run_id = ?", [run.run_id]
        ).fetchall()
    assert loaded.to_json() == run.to_json()
    assert stored == [("gold/labels", None, "json", "gold-1")]


def test_cost_fallbacks_salvage_and_model_scores_answer_plain_sql(tmp_path: Path) -> None:
    """The queries of eval/README.md give the numbers of the run's --json document."""
    synthetic = load_dataset(SYNTHETIC)
    run = run_eval(PatchyProgram(synthetic.examples), synthetic)
    document = run.to_json()
    with connect(tmp_path / "eval.duckdb") as con:
        save_run(con, run)
        save_run(con, run_eval(RulesProgram(), synthetic))
        per_run = con.execute(
            "SELECT r.run_id, r.program, r.lm, avg(p.fallback::INT) AS fallback_rate,"
            " sum(p.prompt_tokens) AS prompt_tokens, sum(p.completion_tokens) AS completion_tokens,"
            " sum(p.cost_usd) AS cost_usd, quantile_disc(p.seconds, 0.5) AS p50_seconds,"
            " quantile_disc(p.seconds, 0.95) AS p95_seconds "
            "FROM eval_runs r JOIN eval_predictions p USING (run_id) GROUP BY ALL ORDER BY min(r.created_at)"
        ).fetchall()
        reasons = con.execute(
            "SELECT fallback_reason, count(*) AS briefs FROM eval_predictions "
            "WHERE run_id = ? AND fallback GROUP BY ALL ORDER BY briefs DESC",
            [run.run_id],
        ).fetchall()
        salvage = con.execute(
            "SELECT n->>'section' AS section, n->>'action' AS action, n->>'reason' AS reason, count(*) AS briefs "
            "FROM eval_predictions p, unnest(p.salvage::JSON[]) AS t(n) WHERE p.run_id = ? GROUP BY ALL",
            [run.run_id],
        ).fetchall()
        model_scores = dict(
            con.execute(
                "SELECT s.metric, fsum(s.value) / count(s.value) FROM eval_scores s "
                "JOIN eval_predictions p USING (run_id, example_id) "
                "WHERE s.run_id = ? AND p.sections->>s.metric <> 'rules' GROUP BY ALL",
                [run.run_id],
            ).fetchall()
        )
    usage, latency = document["usage"], document["latency_seconds"]
    assert per_run[0] == (
        run.run_id,
        "patchy",
        "gold/labels",
        pytest.approx(document["fallback_rate"]),
        usage["prompt_tokens"]["total"],
        usage["completion_tokens"]["total"],
        pytest.approx(usage["cost_usd"]["total"]),
        latency["p50"],
        latency["p95"],
    )
    assert per_run[1][1:3] == ("rules", None) and per_run[1][4:7] == (None, None, None)
    assert reasons == [(PatchyProgram.REASON, 12)]
    assert salvage == [("markers", "dropped", PatchyProgram.NOTE.reason, 12)]
    assert model_scores == {key: value for key, value in document["model_scores"].items() if key != "overall"}


# The eval tables as the previous version made them (`git show 4883a54:eval/runs.py`, _SCHEMA expanded).
OLD_SCHEMA = """
CREATE TABLE eval_runs (
    run_id VARCHAR PRIMARY KEY, created_at TIMESTAMP NOT NULL, kind VARCHAR NOT NULL, parent_run_id VARCHAR,
    program VARCHAR NOT NULL, program_hash VARCHAR, program_config JSON NOT NULL, lm VARCHAR, lm_calls INTEGER,
    dataset VARCHAR NOT NULL, dataset_hash VARCHAR NOT NULL, git_commit VARCHAR, weights JSON NOT NULL,
    threads INTEGER NOT NULL, n INTEGER NOT NULL, n_failed INTEGER NOT NULL, n_fallback INTEGER NOT NULL,
    n_score_errors INTEGER NOT NULL, generate_seconds DOUBLE NOT NULL, score_seconds DOUBLE NOT NULL
);
CREATE TABLE eval_predictions (
    run_id VARCHAR NOT NULL, example_id VARCHAR NOT NULL, position INTEGER NOT NULL, program VARCHAR,
    fallback BOOLEAN NOT NULL, fallback_reason VARCHAR, ungrounded_dropped INTEGER NOT NULL, error VARCHAR,
    seconds DOUBLE NOT NULL, portal JSON, PRIMARY KEY (run_id, example_id)
);
CREATE TABLE eval_scores (
    run_id VARCHAR NOT NULL, example_id VARCHAR NOT NULL, metric VARCHAR NOT NULL, value DOUBLE, error VARCHAR,
    PRIMARY KEY (run_id, example_id, metric)
);
CREATE VIEW run_scores AS
SELECT r.run_id, r.created_at, r.kind, r.program, r.dataset, s.metric,
       fsum(s.value) / count(s.value) AS mean, count(s.value) AS n_scored, count(*) - count(s.value) AS n_null
FROM eval_runs r JOIN eval_scores s USING (run_id)
GROUP BY ALL;
CREATE VIEW example_scores AS
SELECT p.run_id, r.program, r.dataset, p.example_id, p.position, p.program AS produced_by, p.fallback, p.error,
       max(s.value) FILTER (WHERE s.metric = 'overall') AS overall,
       max(s.value) FILTER (WHERE s.metric = 'sentiment') AS sentiment,
       max(s.value) FILTER (WHERE s.metric = 'caller_name') AS caller_name,
       max(s.value) FILTER (WHERE s.metric = 'transfer_reason') AS transfer_reason,
       max(s.value) FILTER (WHERE s.metric = 'call_summary') AS call_summary,
       max(s.value) FILTER (WHERE s.metric = 'information_collected') AS information_collected,
       max(s.value) FILTER (WHERE s.metric = 'suggested_next_steps') AS suggested_next_steps,
       max(s.value) FILTER (WHERE s.metric = 'markers') AS markers,
       max(s.value) FILTER (WHERE s.metric = 'compliance_flags') AS compliance_flags,
       max(s.value) FILTER (WHERE s.metric = 'schema_valid') AS schema_valid,
       max(s.value) FILTER (WHERE s.metric = 'grounding_rate') AS grounding_rate
FROM eval_predictions p
JOIN eval_runs r USING (run_id)
LEFT JOIN eval_scores s ON s.run_id = p.run_id AND s.example_id = p.example_id
GROUP BY ALL;
INSERT INTO eval_runs VALUES ('20261101-000000-0ld0ld', '2026-11-01 00:00:00', 'eval', NULL, 'dspy', NULL, '{}',
    'openai/old-model', 2, 'harper_valley/dev', 'hash', NULL, '{}', 1, 1, 0, 1, 0, 1.5, 0.1);
INSERT INTO eval_predictions VALUES ('20261101-000000-0ld0ld', 'hv-old', 0, 'rules', true, 'LM error: old', 0, NULL,
    1.5, NULL);
INSERT INTO eval_scores VALUES ('20261101-000000-0ld0ld', 'hv-old', 'overall', 0.5, NULL);
"""


def test_a_database_made_by_the_previous_version_is_upgraded_in_place(
    tmp_path: Path, harper: Dataset
) -> None:
    path = tmp_path / "old.duckdb"
    with connect(path) as con:
        con.execute(OLD_SCHEMA)
    with connect(path, read_only=True) as con, pytest.raises(ValueError, match="older version"):
        list_runs(con)
    new = run_eval(PatchyProgram(harper.examples), harper)
    with connect(path) as con:
        assert [row.run_id for row in list_runs(con)] == ["20261101-000000-0ld0ld"]
        old = load_run(con, "20261101-000000-0ld0ld")
        save_run(con, new)
    with connect(path, read_only=True) as con:  # upgraded: read-only opens work again
        assert load_run(con, new.run_id).to_json() == new.to_json()
        views = con.execute(
            "SELECT run_id, count(*), max(overall) FROM example_scores GROUP BY ALL ORDER BY run_id"
        ).fetchall()
        means = con.execute(
            "SELECT run_id, mean FROM run_scores WHERE metric = 'overall' ORDER BY run_id"
        ).fetchall()
    prediction = old.predictions[0]
    assert (prediction.fallback_reason, prediction.sections, prediction.usage, prediction.salvage) == (
        "LM error: old",
        None,
        None,
        [],
    )
    assert old.api_base is None and old.to_json()["usage"]["briefs"] == 0
    assert views == [("20261101-000000-0ld0ld", 1, 0.5), (new.run_id, 61, 1.0)]
    assert means[0] == ("20261101-000000-0ld0ld", 0.5) and means[1][1] == pytest.approx(
        new.section_scores()["overall"]
    )
