"""Evaluation runs in DuckDB: tables, the analyst views, save / load / list / compare.

Tables (``eval_`` prefix, beside the conversation store's tables in the same file):

* ``eval_runs``: one row per run (program, hash, the model side: model, server, adapter, prompt version;
  the judge's model, server and prompt version; dataset name and hash, git commit, timings, counts);
* ``eval_predictions``: one row per run and example (the portal JSON, who produced it and who wrote each
  section, fallback and why, salvage notes, LM requests, tokens and cost, seconds, error);
* ``eval_scores``: one row per run, example and metric, long format (``value`` NULL with ``error`` when a
  metric could not be computed; no row when the example has no gold for it);
* ``eval_judgments``: one row per judged run and brief: what the judge said (claims with verdicts and reasons,
  each judged section's key-idea scores and reasoning), its requests and seconds.

Views (documented in ``eval/README.md``): ``run_scores`` (mean per run and metric) and ``example_scores``
(one row per run and example, one column per section). A database made by an older version gains the
newer columns the first time it is opened for writing (:func:`ensure_schema`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import duckdb

from assist.errors import NotFound
from assist.programs import LMUsage
from assist.schema import AgentAssistPortal
from eval._duck import insert_rows
from eval.judgments import Judgment
from eval.metrics import SECTIONS, ExampleScores
from eval.runner import EvalRun, Prediction

__all__ = ["RunRow", "ensure_schema", "list_runs", "load_run", "run_from_json", "save_run"]

_TOP_LEVEL = ("overall", *SECTIONS, "schema_valid", "grounding_rate")

#: Every column of ``eval_runs`` and ``eval_predictions``, in order, with its DuckDB type: the DDL, the inserts,
#: the reads and the upgrade of an older database all come from these two lists. Columns added after the first
#: version are nullable and at the end, so an older database gains them by ``ALTER TABLE`` (old rows: NULL).
_RUN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "VARCHAR PRIMARY KEY"),
    ("created_at", "TIMESTAMP NOT NULL"),  # UTC
    ("kind", "VARCHAR NOT NULL"),  # eval | rescore
    ("parent_run_id", "VARCHAR"),  # rescore: the run whose predictions were re-scored
    ("program", "VARCHAR NOT NULL"),
    ("program_hash", "VARCHAR"),
    ("program_config", "JSON NOT NULL"),
    ("lm", "VARCHAR"),
    ("lm_calls", "INTEGER"),
    ("dataset", "VARCHAR NOT NULL"),
    ("dataset_hash", "VARCHAR NOT NULL"),
    ("git_commit", "VARCHAR"),
    ("weights", "JSON NOT NULL"),
    ("threads", "INTEGER NOT NULL"),
    ("n", "INTEGER NOT NULL"),
    ("n_failed", "INTEGER NOT NULL"),
    ("n_fallback", "INTEGER NOT NULL"),
    ("n_score_errors", "INTEGER NOT NULL"),
    ("generate_seconds", "DOUBLE NOT NULL"),
    ("score_seconds", "DOUBLE NOT NULL"),
    ("api_base", "VARCHAR"),  # the model server, without credentials
    ("adapter", "VARCHAR"),  # json | chat
    ("prompt_version", "VARCHAR"),
    ("judge_lm", "VARCHAR"),  # this and the rest: the judge (eval/judge.py), NULL when the run was not judged
    ("judge_api_base", "VARCHAR"),  # without credentials
    ("judge_prompt_version", "VARCHAR"),
    ("judge_options", "JSON"),  # {timeout_s, max_claims}
    ("judge_calls", "INTEGER"),  # requests this run sent the judge
)
_PREDICTION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "VARCHAR NOT NULL"),
    ("example_id", "VARCHAR NOT NULL"),
    ("position", "INTEGER NOT NULL"),
    ("program", "VARCHAR"),  # who produced the portal (rules when a model program fell back)
    ("fallback", "BOOLEAN NOT NULL"),
    ("fallback_reason", "VARCHAR"),
    ("ungrounded_dropped", "INTEGER NOT NULL"),
    ("error", "VARCHAR"),  # the program failed; portal is NULL
    ("seconds", "DOUBLE NOT NULL"),
    ("portal", "JSON"),
    ("sections", "JSON"),  # {section: who wrote it}; NULL without a portal
    ("salvage", "JSON"),  # [{section, action, reason, item}]
    ("lm_requests", "INTEGER"),  # this and the rest: the brief's LM usage, NULL when it called no model
    ("lm_cached", "BOOLEAN"),
    ("prompt_tokens", "INTEGER"),
    ("completion_tokens", "INTEGER"),
    ("cost_usd", "DOUBLE"),
    ("prompt_tokens_counted", "INTEGER"),
    ("turns_omitted", "INTEGER"),
)
#: What the judge said of each brief of a judged run (:class:`eval.judgments.Judgment`); its numbers are also in
#: ``eval_scores`` as ``judge.…`` metrics.
_JUDGMENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "VARCHAR NOT NULL"),
    ("example_id", "VARCHAR NOT NULL"),
    ("sections", "JSON NOT NULL"),  # {section: {precision, recall, f1, reasoning, error}}, labelled ones
    ("claims", "JSON"),  # [{claim, supported, reason}]; NULL when the claims could not be judged
    ("claims_found", "INTEGER"),  # before the cap on claims judged
    ("claims_error", "VARCHAR"),
    ("requests", "INTEGER NOT NULL"),  # sent to the judge for this brief
    ("cached", "INTEGER NOT NULL"),  # judge answers taken from the cache
    ("seconds", "DOUBLE NOT NULL"),
)
_TABLES = {
    "eval_runs": _RUN_COLUMNS,
    "eval_predictions": _PREDICTION_COLUMNS,
    "eval_judgments": _JUDGMENT_COLUMNS,
}


def _create_table(table: str, columns: tuple[tuple[str, str], ...], *constraints: str) -> str:
    body = ",\n    ".join([*(f"{name} {type_}" for name, type_ in columns), *constraints])
    return f"CREATE TABLE IF NOT EXISTS {table} (\n    {body}\n);"


_JUDGMENTS_DDL = _create_table("eval_judgments", _JUDGMENT_COLUMNS, "PRIMARY KEY (run_id, example_id)")
_SCHEMA = f"""
{_create_table("eval_runs", _RUN_COLUMNS)}
{_create_table("eval_predictions", _PREDICTION_COLUMNS, "PRIMARY KEY (run_id, example_id)")}
{_JUDGMENTS_DDL}
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


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables and views once, and add the columns a database made by an older version lacks.

    A database that is complete is only read (it may be open read-only); an older one open read-only cannot
    be upgraded, which is one clear error.
    """
    present = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE view_name = 'example_scores' AND schema_name = 'main'"
    ).fetchone()
    if not present or not present[0]:
        con.execute(_SCHEMA)
    existing = set(
        con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() "
            "WHERE schema_name = 'main' AND database_name = current_database() AND table_name IN ?",
            [list(_TABLES)],
        ).fetchall()
    )
    # A database older than the judge has no eval_judgments table: it is created, not altered.
    judgments_absent = not any(table == "eval_judgments" for table, _ in existing)
    missing = [
        (table, name, type_)
        for table, columns in _TABLES.items()
        for name, type_ in columns
        if (table, name) not in existing and not (table == "eval_judgments" and judgments_absent)
    ]
    try:
        if judgments_absent:
            con.execute(_JUDGMENTS_DDL)
        for table, name, type_ in missing:
            con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {name} {type_}")
    except duckdb.InvalidInputException as exc:
        if "read-only" not in str(exc):
            raise
        raise ValueError(
            "the eval tables were made by an older version and this connection is read-only: "
            "open the database once for writing (any `assist runs` command does) to add the new columns"
        ) from None


def _score_rows(run_id: str, example_id: str, scores: ExampleScores) -> list[list[Any]]:
    rows = []
    for metric in _TOP_LEVEL:
        value, error = getattr(scores, metric), scores.errors.get(metric)
        if value is not None or error is not None:
            rows.append([run_id, example_id, metric, value, error])
    rows.extend([run_id, example_id, name, value, None] for name, value in scores.details.items())
    # A sub-metric that could not be computed is NULL with its error, like a section.
    rows.extend(
        [run_id, example_id, name, None, error]
        for name, error in scores.errors.items()
        if name not in _TOP_LEVEL and name != "generate" and name not in scores.details
    )
    return rows


#: ``eval_predictions`` columns holding a brief's :class:`LMUsage`, and the field each one holds.
_USAGE_COLUMNS = {
    "lm_requests": "requests",
    "lm_cached": "cached",
    "prompt_tokens": "prompt_tokens",
    "completion_tokens": "completion_tokens",
    "cost_usd": "cost_usd",
    "prompt_tokens_counted": "prompt_tokens_counted",
    "turns_omitted": "turns_omitted",
}


def _run_row(run: EvalRun) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "created_at": run.created_at.astimezone(UTC).replace(tzinfo=None),
        "kind": run.kind,
        "parent_run_id": run.parent_run_id,
        "program": run.program,
        "program_hash": run.program_hash,
        "program_config": json.dumps(run.program_config),
        "lm": run.lm,
        "lm_calls": run.lm_calls,
        "dataset": run.dataset,
        "dataset_hash": run.dataset_hash,
        "git_commit": run.git_commit,
        "weights": json.dumps(run.weights),
        "threads": run.threads,
        "n": run.n,
        "n_failed": run.n_failed,
        "n_fallback": run.n_fallback,
        "n_score_errors": run.n_score_errors,
        "generate_seconds": run.generate_seconds,
        "score_seconds": run.score_seconds,
        "api_base": run.api_base,
        "adapter": run.adapter,
        "prompt_version": run.prompt_version,
        "judge_lm": run.judge_lm,
        "judge_api_base": run.judge_api_base,
        "judge_prompt_version": run.judge_prompt_version,
        "judge_options": json.dumps(run.judge_options) if run.judge_options is not None else None,
        "judge_calls": run.judge_calls,
    }


def _judgment_row(run_id: str, j: Judgment) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "example_id": j.example_id,
        "sections": json.dumps({section: ideas.model_dump() for section, ideas in j.sections.items()}),
        "claims": json.dumps([c.model_dump() for c in j.claims]) if j.claims is not None else None,
        "claims_found": j.claims_found,
        "claims_error": j.claims_error,
        "requests": j.requests,
        "cached": j.cached,
        "seconds": j.seconds,
    }


def _judgment(row: dict[str, Any]) -> Judgment:
    claims = json.loads(row["claims"]) if row["claims"] is not None else None
    return Judgment(**row | {"sections": json.loads(row["sections"]), "claims": claims})


def _prediction_row(run_id: str, position: int, p: Prediction) -> dict[str, Any]:
    usage = p.usage.model_dump() if p.usage is not None else {}
    return {
        "run_id": run_id,
        "example_id": p.example_id,
        "position": position,
        "program": p.program,
        "fallback": p.fallback,
        "fallback_reason": p.fallback_reason,
        "ungrounded_dropped": p.ungrounded_dropped,
        "error": p.error,
        "seconds": p.seconds,
        "portal": p.portal.model_dump_json() if p.portal is not None else None,
        "sections": json.dumps(p.sections) if p.sections is not None else None,
        "salvage": json.dumps([note.model_dump() for note in p.salvage]),
        **{column: usage.get(field) for column, field in _USAGE_COLUMNS.items()},
    }


def _prediction(row: dict[str, Any]) -> Prediction:
    """A stored prediction; columns an older version did not write are NULL and read as "not recorded"."""
    return Prediction(
        example_id=row["example_id"],
        program=row["program"],
        portal=AgentAssistPortal.model_validate_json(row["portal"]) if row["portal"] is not None else None,
        fallback=row["fallback"],
        fallback_reason=row["fallback_reason"],
        sections=json.loads(row["sections"]) if row["sections"] is not None else None,
        salvage=json.loads(row["salvage"]) if row["salvage"] is not None else [],
        ungrounded_dropped=row["ungrounded_dropped"],
        usage=(
            LMUsage(**{field: row[column] for column, field in _USAGE_COLUMNS.items()})
            if row["lm_requests"] is not None
            else None
        ),
        error=row["error"],
        seconds=row["seconds"],
    )


def _ordered(row: dict[str, Any], columns: tuple[tuple[str, str], ...]) -> list[Any]:
    return [row[name] for name, _ in columns]


def save_run(con: duckdb.DuckDBPyConnection, run: EvalRun) -> None:
    """Store the run, its predictions, its scores and its judgments in one transaction."""
    ensure_schema(con)
    judgments = [
        _ordered(_judgment_row(run.run_id, j), _JUDGMENT_COLUMNS) for j in run.judgments if j is not None
    ]
    predictions = [
        _ordered(_prediction_row(run.run_id, position, p), _PREDICTION_COLUMNS)
        for position, p in enumerate(run.predictions)
    ]
    scores = [
        row
        for p, s in zip(run.predictions, run.scores, strict=True)
        for row in _score_rows(run.run_id, p.example_id, s)
    ]
    con.execute("BEGIN TRANSACTION")
    try:
        insert_rows(con, "eval_runs", _names(_RUN_COLUMNS), [_ordered(_run_row(run), _RUN_COLUMNS)])
        insert_rows(con, "eval_predictions", _names(_PREDICTION_COLUMNS), predictions)
        insert_rows(con, "eval_scores", ("run_id", "example_id", "metric", "value", "error"), scores)
        insert_rows(con, "eval_judgments", _names(_JUDGMENT_COLUMNS), judgments)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _names(columns: tuple[tuple[str, str], ...]) -> list[str]:
    return [name for name, _ in columns]


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
    names = _names(_RUN_COLUMNS)
    cur = con.execute(f"SELECT {', '.join(names)} FROM eval_runs WHERE run_id = ?", [run_id])
    row = dict(zip(names, cur.fetchone() or (), strict=True))
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
    columns = _names(_PREDICTION_COLUMNS)
    predictions = [
        _prediction(dict(zip(columns, values, strict=True)))
        for values in con.execute(
            f"SELECT {', '.join(columns)} FROM eval_predictions WHERE run_id = ? ORDER BY position", [run_id]
        ).fetchall()
    ]
    for prediction in predictions:
        if prediction.error is not None:
            scores.setdefault(prediction.example_id, ExampleScores()).errors["generate"] = prediction.error
    columns = _names(_JUDGMENT_COLUMNS)
    judged = {
        j.example_id: j
        for j in (
            _judgment(dict(zip(columns, values, strict=True)))
            for values in con.execute(
                f"SELECT {', '.join(columns)} FROM eval_judgments WHERE run_id = ?", [run_id]
            ).fetchall()
        )
    }
    return EvalRun(
        **{k: v for k, v in row.items() if k not in {"n", "n_failed", "n_fallback", "n_score_errors"}}
        | {
            "created_at": row["created_at"].replace(tzinfo=UTC),
            "program_config": json.loads(row["program_config"]),
            "weights": json.loads(row["weights"]),
            "judge_options": json.loads(row["judge_options"]) if row["judge_options"] is not None else None,
        },
        predictions=predictions,
        scores=[scores.get(p.example_id, ExampleScores()) for p in predictions],
        judgments=[judged.get(p.example_id) for p in predictions] if row["judge_lm"] is not None else [],
    )


#: What a ``--json`` document holds of each prediction and of the run, under the models' own names (it has no
#: brief; the run's timings are nested under ``timings``).
_RECORDED = tuple(name for name in Prediction.model_fields if name not in {"example_id", "portal"})
_TIMINGS = {"threads", "generate_seconds", "score_seconds"}
_RUN_FIELDS = tuple(
    name for name in EvalRun.model_fields if name not in {"predictions", "scores", "judgments", *_TIMINGS}
)


def run_from_json(document: Mapping[str, Any]) -> EvalRun:
    """The run an ``assist eval --json`` document describes (a committed baseline, say), to compare with.

    The document keeps every example's scores, judgment, salvage notes, usage and seconds but not its brief: each
    prediction's ``portal`` is ``None``. Keys an older document lacks read as "not recorded", as in an older
    database.
    """
    timings = document.get("timings", {})
    predictions, scores, judgments = [], [], []
    for example in document["per_example"]:
        recorded = {key: example[key] for key in _RECORDED if example.get(key) is not None}
        predictions.append(Prediction(example_id=example["id"], **recorded))
        judgments.append(Judgment.model_validate(example["judge"]) if example.get("judge") else None)
        metrics = dict(example.get("metrics", {}))
        extras = {key: metrics.pop(key, None) for key in ("schema_valid", "grounding_rate")}
        scores.append(
            ExampleScores(
                **example["scores"],
                **extras,
                details={name: value for name, value in metrics.items() if value is not None},
                errors=example.get("score_errors", {}),
            )
        )
    return EvalRun(
        **{key: document[key] for key in _RUN_FIELDS if document.get(key) is not None},
        **{key: timings[key] for key in _TIMINGS if timings.get(key) is not None},
        predictions=predictions,
        scores=scores,
        # As load_run reads them: a judged run has one entry per example, a run never judged none.
        judgments=judgments if document.get("judge_lm") is not None else [],
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
