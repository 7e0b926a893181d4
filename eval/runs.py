"""Evaluation runs in DuckDB: tables, the analyst views, save / load / list / compare.

Tables (``eval_`` prefix, beside the conversation store's tables in the same file):

* ``eval_runs``: one row per run (program, hash, LM, dataset name and hash, git commit, timings, counts);
* ``eval_predictions``: one row per run and example (the portal JSON, who produced it, fallback, error);
* ``eval_scores``: one row per run, example and metric, long format (``value`` NULL with ``error`` when a
  metric could not be computed; no row when the example has no gold for it).

Views (documented in ``eval/README.md``): ``run_scores`` (mean per run and metric) and ``example_scores``
(one row per run and example, one column per section).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import duckdb

from assist.errors import NotFound
from assist.schema import AgentAssistPortal
from eval._duck import insert_rows
from eval.metrics import SECTIONS, ExampleScores
from eval.runner import EvalRun, Prediction, summary_keys

__all__ = ["ExampleChange", "RunRow", "compare_runs", "ensure_schema", "list_runs", "load_run", "save_run"]

_TOP_LEVEL = ("overall", *SECTIONS, "schema_valid", "grounding_rate")

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS eval_runs (
    run_id            VARCHAR PRIMARY KEY,
    created_at        TIMESTAMP NOT NULL,  -- UTC
    kind              VARCHAR NOT NULL,    -- eval | rescore
    parent_run_id     VARCHAR,             -- rescore: the run whose predictions were re-scored
    program           VARCHAR NOT NULL,
    program_hash      VARCHAR,
    program_config    JSON NOT NULL,
    lm                VARCHAR,
    lm_calls          INTEGER,
    dataset           VARCHAR NOT NULL,
    dataset_hash      VARCHAR NOT NULL,
    git_commit        VARCHAR,
    weights           JSON NOT NULL,
    threads           INTEGER NOT NULL,
    n                 INTEGER NOT NULL,
    n_failed          INTEGER NOT NULL,
    n_fallback        INTEGER NOT NULL,
    n_score_errors    INTEGER NOT NULL,
    generate_seconds  DOUBLE NOT NULL,
    score_seconds     DOUBLE NOT NULL
);
CREATE TABLE IF NOT EXISTS eval_predictions (
    run_id              VARCHAR NOT NULL,
    example_id          VARCHAR NOT NULL,
    position            INTEGER NOT NULL,
    program             VARCHAR,           -- who produced the portal (rules when a model program fell back)
    fallback            BOOLEAN NOT NULL,
    fallback_reason     VARCHAR,
    ungrounded_dropped  INTEGER NOT NULL,
    error               VARCHAR,           -- the program failed; portal is NULL
    seconds             DOUBLE NOT NULL,
    portal              JSON,
    PRIMARY KEY (run_id, example_id)
);
CREATE TABLE IF NOT EXISTS eval_scores (
    run_id      VARCHAR NOT NULL,
    example_id  VARCHAR NOT NULL,
    metric      VARCHAR NOT NULL,  -- a section, overall, schema_valid, grounding_rate or a sub-metric (sentiment.exact)
    value       DOUBLE,            -- NULL: could not be scored, see error
    error       VARCHAR,
    PRIMARY KEY (run_id, example_id, metric)
);
-- fsum (compensated sum), not avg: the same mean as the runner's statistics.fmean, to the last digit.
CREATE OR REPLACE VIEW run_scores AS
SELECT r.run_id, r.created_at, r.kind, r.program, r.dataset, s.metric,
       fsum(s.value) / count(s.value) AS mean, count(s.value) AS n_scored, count(*) - count(s.value) AS n_null
FROM eval_runs r JOIN eval_scores s USING (run_id)
GROUP BY ALL;
CREATE OR REPLACE VIEW example_scores AS
SELECT p.run_id, r.program, r.dataset, p.example_id, p.position, p.program AS produced_by, p.fallback, p.error,
       {", ".join(f"max(s.value) FILTER (WHERE s.metric = '{m}') AS {m}" for m in _TOP_LEVEL)}
FROM eval_predictions p
JOIN eval_runs r USING (run_id)
LEFT JOIN eval_scores s ON s.run_id = p.run_id AND s.example_id = p.example_id
GROUP BY ALL;
"""

_RUN_COLUMNS = (
    "run_id",
    "created_at",
    "kind",
    "parent_run_id",
    "program",
    "program_hash",
    "program_config",
    "lm",
    "lm_calls",
    "dataset",
    "dataset_hash",
    "git_commit",
    "weights",
    "threads",
    "n",
    "n_failed",
    "n_fallback",
    "n_score_errors",
    "generate_seconds",
    "score_seconds",
)
_PREDICTION_COLUMNS = (
    "run_id",
    "example_id",
    "position",
    "program",
    "fallback",
    "fallback_reason",
    "ungrounded_dropped",
    "error",
    "seconds",
    "portal",
)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables and views once; a database that has them is left alone (it may be read-only)."""
    present = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE view_name = 'example_scores' AND schema_name = 'main'"
    ).fetchone()
    if not present or not present[0]:
        con.execute(_SCHEMA)


def _score_rows(run_id: str, example_id: str, scores: ExampleScores) -> list[list[Any]]:
    rows = []
    for metric in _TOP_LEVEL:
        value, error = getattr(scores, metric), scores.errors.get(metric)
        if value is not None or error is not None:
            rows.append([run_id, example_id, metric, value, error])
    rows.extend([run_id, example_id, name, value, None] for name, value in scores.details.items())
    return rows


def save_run(con: duckdb.DuckDBPyConnection, run: EvalRun) -> None:
    """Store the run, its predictions and its scores in one transaction."""
    ensure_schema(con)
    run_row = [
        run.run_id,
        run.created_at.astimezone(UTC).replace(tzinfo=None),
        run.kind,
        run.parent_run_id,
        run.program,
        run.program_hash,
        json.dumps(run.program_config),
        run.lm,
        run.lm_calls,
        run.dataset,
        run.dataset_hash,
        run.git_commit,
        json.dumps(run.weights),
        run.threads,
        run.n,
        run.n_failed,
        run.n_fallback,
        run.n_score_errors,
        run.generate_seconds,
        run.score_seconds,
    ]
    predictions = [
        [
            run.run_id,
            p.example_id,
            position,
            p.program,
            p.fallback,
            p.fallback_reason,
            p.ungrounded_dropped,
            p.error,
            p.seconds,
            p.portal.model_dump_json() if p.portal is not None else None,
        ]
        for position, p in enumerate(run.predictions)
    ]
    scores = [
        row
        for p, s in zip(run.predictions, run.scores, strict=True)
        for row in _score_rows(run.run_id, p.example_id, s)
    ]
    con.execute("BEGIN TRANSACTION")
    try:
        insert_rows(con, "eval_runs", _RUN_COLUMNS, [run_row])
        insert_rows(con, "eval_predictions", _PREDICTION_COLUMNS, predictions)
        insert_rows(con, "eval_scores", ("run_id", "example_id", "metric", "value", "error"), scores)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _resolve_run_id(con: duckdb.DuckDBPyConnection, spec: str) -> str:
    """A full run id, a unique prefix of one, or ``latest``."""
    if spec == "latest":
        rows = con.execute(
            "SELECT run_id FROM eval_runs ORDER BY created_at DESC, run_id DESC LIMIT 1"
        ).fetchall()
    else:
        rows = con.execute(
            "SELECT run_id FROM eval_runs WHERE starts_with(run_id, ?) LIMIT 2", [spec]
        ).fetchall()
    if not rows:
        raise NotFound(f"no run {spec!r} in the database (see `assist runs list`)")
    if len(rows) > 1:
        raise ValueError(f"run id prefix {spec!r} is ambiguous; give more of it")
    return str(rows[0][0])


def load_run(con: duckdb.DuckDBPyConnection, spec: str) -> EvalRun:
    """The stored run ``spec`` (id, unique id prefix or ``latest``) with predictions and scores."""
    ensure_schema(con)
    run_id = _resolve_run_id(con, spec)
    cur = con.execute(f"SELECT {', '.join(_RUN_COLUMNS)} FROM eval_runs WHERE run_id = ?", [run_id])
    row = dict(zip(_RUN_COLUMNS, cur.fetchone() or (), strict=True))
    scores: dict[str, ExampleScores] = {}
    for example_id, metric, value, error in con.execute(
        "SELECT example_id, metric, value, error FROM eval_scores WHERE run_id = ?", [run_id]
    ).fetchall():
        target = scores.setdefault(example_id, ExampleScores())
        if error is not None:
            target.errors[metric] = error
        if metric in _TOP_LEVEL:
            setattr(target, metric, value)
        elif value is not None:
            target.details[metric] = value
    predictions = [
        Prediction(
            example_id=example_id,
            program=program,
            portal=AgentAssistPortal.model_validate_json(portal) if portal is not None else None,
            fallback=fallback,
            fallback_reason=fallback_reason,
            ungrounded_dropped=dropped,
            error=error,
            seconds=seconds,
        )
        for example_id, program, fallback, fallback_reason, dropped, error, seconds, portal in con.execute(
            "SELECT example_id, program, fallback, fallback_reason, ungrounded_dropped, error, seconds, portal "
            "FROM eval_predictions WHERE run_id = ? ORDER BY position",
            [run_id],
        ).fetchall()
    ]
    for prediction in predictions:
        if prediction.error is not None:
            scores.setdefault(prediction.example_id, ExampleScores()).errors["generate"] = prediction.error
    return EvalRun(
        **{k: v for k, v in row.items() if k not in {"n", "n_failed", "n_fallback", "n_score_errors"}}
        | {
            "created_at": row["created_at"].replace(tzinfo=UTC),
            "program_config": json.loads(row["program_config"]),
            "weights": json.loads(row["weights"]),
        },
        predictions=predictions,
        scores=[scores.get(p.example_id, ExampleScores()) for p in predictions],
    )


@dataclass(frozen=True)
class RunRow:
    run_id: str
    created_at: Any
    kind: str
    program: str
    dataset: str
    n: int
    n_failed: int
    overall: float | None


def list_runs(con: duckdb.DuckDBPyConnection, *, limit: int = 50) -> list[RunRow]:
    """The newest runs first, with their overall score."""
    ensure_schema(con)
    rows = con.execute(
        "SELECT r.run_id, r.created_at, r.kind, r.program, r.dataset, r.n, r.n_failed, s.mean "
        "FROM eval_runs r LEFT JOIN run_scores s ON s.run_id = r.run_id AND s.metric = 'overall' "
        "ORDER BY r.created_at DESC, r.run_id DESC LIMIT ?",
        [limit],
    ).fetchall()
    return [RunRow(*row) for row in rows]


@dataclass(frozen=True)
class ExampleChange:
    example_id: str
    metric: str
    before: float | None
    after: float | None

    @property
    def delta(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before


def compare_runs(
    a: EvalRun, b: EvalRun, *, top: int = 10
) -> tuple[dict[str, tuple[float | None, float | None]], list[ExampleChange]]:
    """Per-section ``(A, B)`` and the ``top`` examples whose overall changed most (both directions)."""
    sa, sb = a.section_scores(), b.section_scores()
    sections = {key: (sa[key], sb[key]) for key in summary_keys}
    after = {p.example_id: s.overall for p, s in zip(b.predictions, b.scores, strict=True)}
    changes = [
        ExampleChange(p.example_id, "overall", s.overall, after[p.example_id])
        for p, s in zip(a.predictions, a.scores, strict=True)
        if p.example_id in after and s.overall != after[p.example_id]
    ]
    changes.sort(key=lambda c: (-(abs(c.delta) if c.delta is not None else 2.0), c.example_id))
    return sections, changes[:top]
