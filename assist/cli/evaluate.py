"""``assist dataset|eval|runs|rescore``: labelled datasets, evaluation runs and the regression gate.

Thin: parse options, call :mod:`eval`, print. Human output is a rich table on stdout, or on stderr when
``--json -`` puts the JSON document on stdout.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import duckdb
import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from assist.cli import command_group, existing_db, fail, typed_path
from assist.cli._pretty import Folded, listing, stamp
from assist.interchange import validate_file
from assist.programs import BRIEF_SECTIONS, SalvageNote, load_program
from assist.settings import Settings
from assist.store import connect

# The eval harness (rouge-score, nltk, pandas) is imported inside the commands that use it, so the
# rest of the CLI starts without paying for it.
if TYPE_CHECKING:
    from eval import compare, gate, judge, runner

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="DuckDB file of eval runs (default: $ASSIST_EVAL_DB, else $ASSIST_DB when it is a DuckDB file, "
        "else assist.duckdb)",
    ),
]
JsonOption = Annotated[
    str | None, typer.Option("--json", help="Also write the results as JSON to this file ('-': stdout)")
]


@dataclass(frozen=True)
class _Weight:
    """One ``--weight NAME=W``."""

    name: str
    value: float


def _weight(text: str) -> _Weight:
    """``NAME=W``, checked as the runner checks weights, so that a mistake is a usage error naming ``--weight``."""
    from eval.judgments import split_weights

    name, sep, value = text.partition("=")
    if not sep:
        raise typer.BadParameter(f"want NAME=W, got {text!r}")
    try:
        weight = _Weight(name.strip(), float(value))
    except ValueError:
        raise typer.BadParameter(f"{value.strip()!r} in {text!r} is not a number") from None
    try:
        split_weights({weight.name: weight.value})
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return weight


WeightOption = Annotated[
    list[_Weight] | None,
    typer.Option(
        "--weight",
        parser=_weight,
        metavar="NAME=W",
        help="Weight in overall, SECTION=W (default 1) or a judge metric, e.g. judge.call_summary.f1=W "
        "(default 0); repeatable",
    ),
]
JudgeTimeoutOption = Annotated[
    float, typer.Option("--judge-timeout", help="Seconds one request to the judge may take", min=0.1)
]
JudgeClaimsOption = Annotated[
    int, typer.Option("--judge-max-claims", help="Claims of a brief the judge checks at most", min=1)
]

#: Runs at least this long get a progress bar (on stderr, only when it is a terminal).
_PROGRESS_FROM = 20

dataset_group = command_group("Labelled datasets (interchange JSONL) in the eval database.")
runs_group = command_group("Stored evaluation runs.")


@contextmanager
def _database(db: str | None, *, create: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """The eval database; only a command that stores something new (``create``) may start a new one."""
    con = connect((db or Settings().eval_db) if create else existing_db(db, default=Settings().eval_db))
    try:
        yield con
    finally:
        con.close()


def _console(json_out: str | None) -> Console:
    return Console(stderr=json_out == "-", highlight=False, soft_wrap=True)


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _fmt_delta(before: float | None, after: float | None) -> str:
    if before is None or after is None:
        return ""
    delta = after - before
    style = "red" if delta < -1e-9 else "green" if delta > 1e-9 else "dim"
    return f"[{style}]{delta:+.3f}[/{style}]"


def _weights(given: list[_Weight] | None) -> dict[str, float]:
    return {weight.name: weight.value for weight in given or []}


def _write_json(document: dict[str, Any], json_out: str) -> None:
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if json_out == "-":
        typer.echo(text)
    else:
        Path(json_out).write_text(text + "\n", encoding="utf-8")


def _scores_table(run: runner.EvalRun, baseline: dict[str, Any] | None = None) -> Table:
    from eval import runner

    table = Table(title=f"{run.program} on {run.dataset} ({run.n} examples)", title_justify="left")
    table.add_column("section", no_wrap=True)
    table.add_column("score", justify="right")
    table.add_column("scored", justify="right")
    # A model run's headline mixes in what rules wrote for it; beside it, the scores of what the model wrote.
    model_scores, model_counts = run.model_section_scores(), run.model_scored_counts()
    if model_scores is not None:
        table.add_column("model", justify="right")
        table.add_column("of", justify="right")
    if baseline is not None:
        table.add_column("baseline", justify="right")
        table.add_column("Δ", justify="right")
    scores, counts = run.section_scores(), run.scored_counts()
    for key in runner.summary_keys:
        row = [key, _fmt(scores[key]), str(counts[key])]
        if model_scores is not None and model_counts is not None:
            row += [_fmt(model_scores[key]), str(model_counts[key])]
        if baseline is not None:
            before = baseline["scores"].get(key)
            row += [_fmt(before), _fmt_delta(before, scores[key])]
        table.add_row(*row, style="bold" if key == "overall" else None)
    return table


def _fmt_seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f} s"


def _fmt_total(summary: dict[str, Any], what: str, money: bool = False) -> str:
    """``what total (mean a brief)`` over the briefs that reported it, or ``what unknown``."""
    if summary["total"] is None:
        return f"{what} unknown"
    if money:
        return f"{what} ${summary['total']:.4f} (${summary['mean']:.5f} a brief)"
    return f"{what} {summary['total']:,} ({summary['mean']:,.0f} a brief)"


def _print_cost(console: Console, run: runner.EvalRun) -> None:
    """Fallbacks, requests, tokens, cost and latency: how often the model was heard and what it cost."""
    rate, usage, latency = run.fallback_rate(), run.usage_summary(), run.latency()
    if rate is not None:
        console.print(f"fallback to rules {run.n_fallback}/{run.n} ({rate:.1%})")
    if usage is not None:
        console.print(
            f"{usage['requests']} requests, {usage['cached']} briefs from the cache; tokens: "
            f"{_fmt_total(usage['prompt_tokens'], 'prompt')}, "
            f"{_fmt_total(usage['completion_tokens'], 'completion')}; "
            f"{_fmt_total(usage['cost_usd'], 'cost', money=True)}",
            markup=False,
        )
    console.print(f"latency a brief: p50 {_fmt_seconds(latency['p50'])}, p95 {_fmt_seconds(latency['p95'])}")


def _judge_table(run: runner.EvalRun) -> Table | None:
    """Per judged section the mean key-idea precision, recall and F1 and the briefs scored; ``None`` when no
    section had gold to judge against."""
    from eval.judgments import JUDGED_SECTIONS

    means = run.metric_means()
    table = Table(title="judge against the gold", title_justify="left")
    for column in ("section", "precision", "recall", "f1", "scored"):
        table.add_column(column, justify="left" if column == "section" else "right", no_wrap=True)
    for section in JUDGED_SECTIONS:
        f1 = f"judge.{section}.f1"
        scored = sum(f1 in s.details for s in run.scores)
        tried = sum(f1 in s.details or f1 in s.errors for s in run.scores)
        if tried:
            parts = [_fmt(means.get(f"judge.{section}.{part}")) for part in ("precision", "recall", "f1")]
            table.add_row(section, *parts, f"{scored}/{tried}")
    return table if table.row_count else None


def _print_judge(console: Console, run: runner.EvalRun) -> None:
    """Who judged, what it cost, the judge's scores, and why judgments failed; nothing for a run not judged."""
    from eval.judgments import SUPPORTED_CLAIMS, judge_summary

    if not run.judgments:
        return
    summary = judge_summary(run.judgments)
    # A rescore that kept its run's judgments sent nothing itself.
    sent = f" ({run.judge_calls} sent by this run)" if run.judge_calls != summary["requests"] else ""
    console.print(
        f"judge {run.judge_lm} at {run.judge_api_base or 'the provider'}, prompt {run.judge_prompt_version}: "
        f"{summary['judged']} briefs judged, {summary['failed']} with a failed judgment; "
        f"{summary['requests']} requests{sent}, {summary['cached']} answers from the cache",
        markup=False,
    )
    table = _judge_table(run)
    if table is not None:
        console.print(table)
    claims = summary["claims"]
    capped = f", {claims['found']} found" if claims["found"] != claims["judged"] else ""
    console.print(
        f"supported claims {_fmt(run.metric_means().get(SUPPORTED_CLAIMS))} "
        f"({claims['supported']} of {claims['judged']} claims judged{capped})",
        markup=False,
    )
    weighted = {name: w for name, w in run.weights.items() if name.startswith("judge.") and w > 0}
    console.print(
        "judge metrics in overall: " + ", ".join(f"{name}={w:g}" for name, w in weighted.items())
        if weighted
        else "judge metrics are not in overall (weight one in with --weight judge.<metric>=W)",
        markup=False,
    )
    for judgment in [j for j in run.judgments if j is not None and j.errors()][:5]:
        failures: list[tuple[str, str]] = [(s, i.error) for s, i in judgment.sections.items() if i.error]
        failures += [("claims", judgment.claims_error)] if judgment.claims_error is not None else []
        (what, why), more = failures[0], len(failures) - 1
        console.print(
            f"judge failed on {judgment.example_id}: {what}: {why}" + (f" (and {more} more)" if more else ""),
            markup=False,
        )


def _print_run(
    console: Console,
    run: runner.EvalRun,
    *,
    db: str | None,
    baseline: dict[str, Any] | None = None,
    judge_seconds: float | None = None,
) -> None:
    """The run's scores and what it cost; ``db`` is where it is stored, ``None`` for a run not stored."""
    if any(run.scored_counts().values()):
        console.print(_scores_table(run, baseline))
    else:
        console.print(
            f"{run.program} on {run.dataset} ({run.n} examples): no gold labels, so no section scores; "
            "what needs no gold follows"
        )
    metrics = run.metric_means()
    extras = [
        f"{label} {_fmt(metrics.get(name))}"
        for label, name in (
            ("schema valid", "schema_valid"),
            ("grounding", "grounding_rate"),
            ("unsupported details", "unsupported_details"),
            ("complete sentences", "sentences.complete"),
            ("information precision", "information_collected.precision"),
            ("information recall", "information_collected.recall"),
            ("sentiment exact", "sentiment.exact"),
            ("compliance false positives", "compliance_flags.false_positive"),
        )
        if metrics.get(name) is not None
    ]
    if extras:
        console.print(", ".join(extras))
    by_section = [
        f"{section} {_fmt(metrics[f'unsupported_details.{section}'])}"
        for section in BRIEF_SECTIONS
        if metrics.get(f"unsupported_details.{section}") is not None
    ]
    if by_section:
        console.print(f"unsupported details by section: {', '.join(by_section)}")
    _print_cost(console, run)
    _print_judge(console, run)
    for prediction in [p for p in run.predictions if p.error][:5]:
        console.print(f"[yellow]failed[/yellow] {prediction.example_id}: {prediction.error}", markup=True)
    stored = "not stored" if db is None else f"stored in {escape(db)}"
    console.print(
        f"run [bold]{run.run_id}[/bold]: {run.n} examples ({run.n_failed} failed, {run.n_fallback} fallback, "
        f"{run.n_score_errors} with scoring errors); {escape(_timings(run, judge_seconds))}; {stored}"
    )


def _timings(run: runner.EvalRun, judge_seconds: float | None) -> str:
    """``generate G s, score S s, judge J s, R examples/s`` with ``R = n / (G + S + J)``.

    ``judge_seconds`` is the wall clock of this command's judging; a stored run has none, so its judge time is
    the sum of its briefs' judging times, and no rate (threads overlap them). A rescore generated nothing.
    """
    parts = [] if run.kind == "rescore" else [f"generate {_fmt_s(run.generate_seconds)}"]
    parts.append(f"score {_fmt_s(run.score_seconds)}")
    seconds: float | None = run.generate_seconds + run.score_seconds
    if judge_seconds is not None:
        parts.append(f"judge {_fmt_s(judge_seconds)}")
        seconds = (seconds or 0.0) + judge_seconds
    elif run.judgments and (run.kind != "rescore" or run.judge_calls):  # a rescore may keep its judgments
        summed = sum(j.seconds for j in run.judgments if j is not None)
        parts.append(f"judge {_fmt_s(summed)} summed over its briefs")
        seconds = None
    if seconds:
        parts.append(f"{run.n / seconds:,.{0 if run.n / seconds >= 10 else 1}f} examples/s")
    return ", ".join(parts)


def _fmt_s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


# --- dataset ------------------------------------------------------------------------------------------


@dataset_group.command("validate")
def dataset_validate(file: Annotated[Path, typer.Argument(help="Interchange-format JSONL")]) -> None:
    """Check every line; print each problem with its line number and field (exit 1 if any)."""
    from eval import dataset as datasets

    found = validate_file(file)
    for error in found.errors:
        typer.echo(f"{file}:{error}", err=True)
    for warning in found.warnings:
        typer.echo(f"{file}:{warning} (warning)", err=True)
    if found.errors:
        lines = len({e.line for e in found.errors})
        raise fail(f"{file}: {len(found.errors)} problems on {lines} lines")
    if not found.examples:
        raise fail(f"{file}: no examples")
    hash_ = datasets.content_hash(found.records)
    typer.echo(f"{file}: {len(found.records)} examples OK (hash {hash_[:12]})")


@dataset_group.command("agree")
def dataset_agree(
    reference: Annotated[Path, typer.Argument(help="Interchange JSONL: the reference labels")],
    other: Annotated[
        Path, typer.Argument(help="Interchange JSONL: another annotator's labels of the same calls")
    ],
    json_out: JsonOption = None,
) -> None:
    """Inter-annotator agreement: score OTHER's labels as a brief against REFERENCE, per section.

    The human ceiling of each metric: what a program that labels like a second careful person would score.
    Only calls in both files and sections labelled in both are scored.
    """
    from eval import agreement as agreements
    from eval import dataset as datasets

    found = agreements.agreement(datasets.load_dataset(reference), datasets.load_dataset(other))
    scores, counts = found.section_scores(), found.scored_counts()
    if json_out:
        _write_json(
            {
                "reference": found.reference,
                "other": found.other,
                "n": len(found.example_ids),
                "unmatched": found.unmatched,
                "scores": scores,
                "scored": counts,
                "per_example": [
                    {"id": example_id, **s.model_dump(mode="json")}
                    for example_id, s in zip(found.example_ids, found.scores, strict=True)
                ],
            },
            json_out,
        )
    console = _console(json_out)
    table = Table(
        title=f"{found.other} against {found.reference} ({len(found.example_ids)} calls)",
        title_justify="left",
    )
    table.add_column("section")
    table.add_column("agreement", justify="right")
    table.add_column("scored", justify="right")
    for key, value in scores.items():
        table.add_row(key, _fmt(value), str(counts[key]), style="bold" if key == "overall" else None)
    console.print(table)
    if found.unmatched:
        console.print(
            f"not in both files (not scored): {len(found.unmatched)} ids, e.g. {found.unmatched[0]}"
        )


@dataset_group.command("import")
def dataset_import(
    file: Annotated[Path, typer.Argument(help="Interchange-format JSONL")],
    db: DbOption = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Dataset name (default: parent dir/stem)")
    ] = None,
) -> None:
    """Import a dataset (all or nothing; importing the same content again changes nothing)."""
    from eval import dataset as datasets

    dataset = datasets.load_dataset(file, name=name)
    with _database(db, create=True) as con:
        added = datasets.import_dataset(con, dataset, source=str(file))
    state = "imported" if added else "already present:"
    typer.echo(f"{state} {dataset.name}@{dataset.hash[:12]} ({len(dataset)} examples)")


@dataset_group.command("from-store")
def dataset_from_store(
    org: Annotated[str, typer.Argument(help="The organization whose calls to take")],
    name: Annotated[str, typer.Option("--name", help="Dataset name the calls are stored under")],
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="The conversation store: a DuckDB file or a postgresql:// URL (default: $ASSIST_DB or "
            "assist.duckdb)",
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000, help="The newest N calls")] = 500,
    db: DbOption = None,
) -> None:
    """Take an organization's newest calls from the conversation store as an unlabelled dataset.

    Then `assist eval --dataset NAME` measures a program on them with what needs no gold (schema, grounding,
    unsupported details, fallbacks, tokens, cost; the judge with --judge). Calls with no turns yet are left out.
    """
    from assist.store import open_store
    from eval import dataset as datasets

    # The store is read and closed before the eval database opens: both may be the same DuckDB file.
    with open_store(existing_db(store, option="--store"), read_only=True) as conversations:
        snapshot = datasets.from_store(conversations, org, name=name, limit=limit)
    with _database(db, create=True) as con:
        added = datasets.import_dataset(con, snapshot.dataset, source=f"store:{org}")
    dataset = snapshot.dataset
    state = "imported" if added else "already present:"
    left_out = snapshot.without_turns
    skipped = (
        f"; {left_out} {'call' if left_out == 1 else 'calls'} without turns left out" if left_out else ""
    )
    typer.echo(f"{state} {dataset.name}@{dataset.hash[:12]} ({len(dataset)} calls of {org}{skipped})")


@dataset_group.command("export")
def dataset_export(
    name: Annotated[
        str,
        typer.Argument(
            help="NAME (latest version) or NAME@HASH-PREFIX; a bundled set's short name works too"
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="JSONL file to write")],
    db: DbOption = None,
) -> None:
    """Write a stored dataset back as interchange JSONL (the same records, key order aside)."""
    from eval import dataset as datasets

    with _database(db, create=False) as con:
        count = datasets.export_dataset(con, name, out, short_names=_short_names())
    typer.echo(f"wrote {count} examples to {out}")


@dataset_group.command("list")
def dataset_list(db: DbOption = None) -> None:
    """The names `assist eval --dataset` takes: the bundled sets (by short name), then the stored ones, newest
    first."""
    from eval import dataset as datasets
    from eval.bundled import BUNDLED, DATASETS_DIR

    target = db or Settings().eval_db
    # With no --db and no database yet nothing is stored, and the bundled sets are still worth listing; a --db
    # that names no database is refused, as by every command that only reads.
    if db is None and not Path(target).exists():
        rows = []
    else:
        with _database(db, create=False) as con:
            rows = datasets.list_datasets(con)
    console = Console(highlight=False)
    bundled = listing(title=f"bundled in {typed_path(DATASETS_DIR)}")
    for column in ("name", "file", "held out"):
        bundled.add_column(column, no_wrap=True)
    for found in BUNDLED:
        bundled.add_row(found.name, found.file, "yes" if found.held_out else "")
    console.print(bundled)
    if not rows:
        console.print(f"no datasets stored in {target}", markup=False)
        return
    table = listing(title=f"stored in {target}")
    # The name is what --dataset and `dataset export` take: never wrapped or cut; the source path takes the rest
    # and folds between its directories.
    table.add_column("name", no_wrap=True)
    table.add_column("hash", no_wrap=True)
    table.add_column("examples", justify="right", no_wrap=True)
    table.add_column("source")
    table.add_column("imported\n(UTC)", no_wrap=True)
    for name, hash_, n, source, imported_at in rows:
        table.add_row(name, hash_[:12], str(n), Folded(source or ""), stamp(imported_at))
    console.print(table)


def _short_names() -> dict[str, Path]:
    """The bundled sets' short names and files: what `--dataset synthetic` stands for."""
    from eval.bundled import BUNDLED

    return {found.name: found.path for found in BUNDLED}


# --- eval ----------------------------------------------------------------------------------------------


def _load_baseline(con: duckdb.DuckDBPyConnection, spec: str) -> dict[str, Any]:
    from eval import runs

    path = Path(spec)
    if path.is_file():
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(document.get("scores"), dict):
            raise ValueError(f"{spec} is not an `assist eval --json` file (no scores)")
        return document
    if path.suffix == ".json":
        raise FileNotFoundError(2, "No such file", spec)
    return runs.load_run(con, spec).to_json()


def _print_gate(console: Console, result: gate.GateResult) -> None:
    for note in result.notes:
        console.print(f"note: {note}", markup=False)
    for mismatch in result.mismatches:
        console.print(f"[red]not comparable[/red]: {escape(mismatch)}")
    for regression in result.regressions:
        console.print(f"[red]regression[/red] {regression}")
    if result.worse_examples:
        console.print(f"examples that got worse ({len(result.worse_examples)}):")
        for worse in result.worse_examples[:15]:
            console.print(f"  {worse.example_id}: {'; '.join(worse.drops)}", markup=False)
    if result.passed:
        console.print(
            f"[green]PASS[/green]: no section dropped by more than {result.max_drop} against the baseline"
        )
        return
    reasons = []
    if result.regressions:
        reasons.append(f"{len(result.regressions)} regressions beyond --max-drop {result.max_drop}")
    if result.mismatches:
        reasons.append(
            "the baseline measured something else; pass --allow-baseline-mismatch if the difference is intended"
        )
    console.print(f"[red]FAIL[/red]: {escape('; '.join(reasons))}")


#: A model program waits on the network, so its briefs overlap well; rules is CPU-bound under the GIL.
_MODEL_THREADS = 4


def _progress(total: int) -> Progress:
    """A bar on stderr for long runs on a terminal; one task per step (generating, judging)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=total < _PROGRESS_FROM or not Console(stderr=True).is_terminal,
    )


def _judge(
    model: str | None, *, timeout: float, max_claims: int, cache: bool, under_test: str | None
) -> judge.Judge | None:
    """The judge ``model`` at ``$ASSIST_JUDGE_API_BASE``, or ``None``; a one-line warning on stderr when it is the
    model under test, because a judge favours its own model's text."""
    if not model:
        return None
    from eval.judge import Judge

    if model == under_test:
        typer.echo(
            f"warning: the judge {model} is the model under test, and judges favour their own text; "
            "pass another --judge",
            err=True,
        )
    return Judge(
        model,
        api_base=Settings().assist_judge_api_base,
        timeout_s=timeout,
        max_claims=max_claims,
        cache=cache,
    )


def eval_(
    dataset: Annotated[
        str,
        typer.Option(
            "--dataset",
            "-d",
            help="Interchange JSONL file, a bundled set's short name (synthetic, harper_valley, …: the files in "
            "datasets/), or a stored NAME[@HASH]; `assist dataset list` lists the names",
        ),
    ],
    program: Annotated[
        str, typer.Option("--program", "-p", help="rules, dspy (uses $ASSIST_LM) or a saved program .json")
    ] = "rules",
    db: DbOption = None,
    json_out: JsonOption = None,
    baseline: Annotated[
        str | None,
        typer.Option("--baseline", help="Run id in the database, or an `--json` file, to gate against"),
    ] = None,
    max_drop: Annotated[
        float, typer.Option("--max-drop", help="Largest allowed drop of any score", min=0.0)
    ] = 0.02,
    max_fallback_rate: Annotated[
        float,
        typer.Option(
            "--max-fallback-rate",
            help="Fail a model run when more than this share of its briefs fell back to rules",
            min=0.0,
            max=1.0,
        ),
    ] = 0.25,
    allow_baseline_mismatch: Annotated[
        bool,
        typer.Option(
            "--allow-baseline-mismatch",
            help="The baseline was made on purpose on another dataset version, dataset, program or model",
        ),
    ] = False,
    threads: Annotated[
        int | None,
        typer.Option(
            "--threads",
            help=f"Parallel briefs (default {_MODEL_THREADS} for a model program, 1 for rules)",
            min=1,
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout", help="Seconds a model program may take per brief, retries included", min=0.1
        ),
    ] = None,
    retries: Annotated[
        int | None,
        typer.Option("--retries", help="Extra attempts after a model error or invalid answer", min=0),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Send every request to the model: no LM response cache")
    ] = False,
    weight: WeightOption = None,
    name: Annotated[str | None, typer.Option("--name", help="Dataset name when --dataset is a file")] = None,
    judge_model: Annotated[
        str | None,
        typer.Option(
            "--judge",
            help="provider/model that also grades each brief's free text, against the gold and against the call "
            "(default: $ASSIST_JUDGE_LM; its server: $ASSIST_JUDGE_API_BASE)",
        ),
    ] = None,
    judge_timeout: JudgeTimeoutOption = 30.0,
    judge_max_claims: JudgeClaimsOption = 20,
) -> None:
    """Run a brief program over a labelled dataset, score every section, store the run; gate on a baseline.

    Every run is also gated on its fallback rate: a model run whose briefs mostly came from rules fails.
    """
    from eval import dataset as datasets
    from eval import gate, runner, runs

    console = _console(json_out)
    weights = _weights(weight)
    db_path = db or Settings().eval_db
    options: dict[str, Any] = {"timeout_s": timeout, "retries": retries, "cache": not no_cache}
    # Everything that can be refused is, before a new database is made: a typo leaves nothing behind.
    brief_program = load_program(program, **options)
    model = brief_program if isinstance(brief_program, runner.ModelProgram) else None
    grader = _judge(
        judge_model or Settings().assist_judge_lm,
        timeout=judge_timeout,
        max_claims=judge_max_claims,
        cache=not no_cache,
        under_test=model.provenance()["lm"] if model is not None else None,
    )
    if not Path(db_path).is_file():
        _found_without_a_database(dataset, name=name, baseline=baseline)
    with _database(db, create=True) as con:
        data = datasets.resolve_dataset(con, dataset, name=name, short_names=_short_names())
        before = _load_baseline(con, baseline) if baseline else None
        progress = _progress(len(data))
        started = time.perf_counter()
        with progress:
            task = progress.add_task("generating", total=len(data))
            judging = progress.add_task("judging", total=len(data), visible=grader is not None)
            run = runner.run_eval(
                brief_program,
                data,
                spec=program,
                threads=threads or (_MODEL_THREADS if model is not None else 1),
                weights=weights,
                load_options=options,
                progress=lambda done: progress.advance(task, done),
                judge=grader,
                judge_threads=threads or _MODEL_THREADS,
                judge_progress=lambda done: progress.advance(judging, done),
            )
        judge_seconds = _judge_seconds(run, time.perf_counter() - started) if grader is not None else None
        runs.save_run(con, run)
    document = run.to_json()
    if json_out:
        _write_json(document, json_out)
    _print_run(console, run, db=db_path, baseline=before, judge_seconds=judge_seconds)
    failed = False
    if before is not None:
        result = gate.check(document, before, max_drop=max_drop, allow_mismatch=allow_baseline_mismatch)
        _print_gate(console, result)
        failed = not result.passed
    too_many = gate.fallback_failure(document, max_rate=max_fallback_rate)
    if too_many is not None:
        console.print(f"[red]FAIL[/red]: {escape(too_many)}")
        failed = True
    if grader is not None and _judge_failed(console, run):
        failed = True
    if failed:
        raise typer.Exit(1)


def _found_without_a_database(dataset: str, *, name: str | None, baseline: str | None) -> None:
    """Raise what ``--dataset`` and ``--baseline`` would raise in a database that does not exist yet.

    A file or a bundled set's short name is run and stored in a new database, but a stored name, or a baseline
    run id, cannot be in one: they are looked up in an empty database in memory, which gives the one message
    listing every valid name and leaves no file behind.
    """
    from eval import dataset as datasets

    with closing(connect(":memory:")) as empty:
        if not (Path(dataset).is_file() or dataset in _short_names()):
            datasets.resolve_dataset(empty, dataset, name=name, short_names=_short_names())
        if baseline:
            _load_baseline(empty, baseline)


def _judge_seconds(run: runner.EvalRun, wall: float) -> float:
    """How long judging took: the command's wall clock less generating and scoring (what else a run does
    takes milliseconds)."""
    return max(0.0, wall - run.generate_seconds - run.score_seconds)


def _judge_failed(console: Console, run: runner.EvalRun) -> bool:
    """Print ``FAIL: every judgment failed …`` (one line, the most common error) when the judge asked for
    measured nothing; ``True`` then."""
    from eval.judgments import judge_failure

    failure = judge_failure(run.judgments)
    if failure is not None:
        console.print(f"[red]FAIL[/red]: {escape(failure)}")
    return failure is not None


# --- runs ----------------------------------------------------------------------------------------------


@runs_group.command("list")
def runs_list(
    db: DbOption = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many runs", min=1)] = 50,
) -> None:
    """Stored runs, newest first."""
    from eval import runs

    with _database(db, create=False) as con:
        rows = runs.list_runs(con, limit=limit)
    table = listing()
    # Fits 80 columns: the id (what the other commands take; it starts with the run's UTC time, so no column
    # repeats that) and the numbers are never wrapped or cut; the program and dataset names take the rest and
    # fold between their parts.
    table.add_column("run", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("program")
    table.add_column("dataset")
    for column in ("n", "failed", "overall"):
        table.add_column(column, justify="right", no_wrap=True)
    for row in rows:
        table.add_row(
            row.run_id,
            row.kind,
            Folded(row.program),
            Folded(row.dataset),
            str(row.n),
            str(row.n_failed),
            _fmt(row.overall),
        )
    Console(highlight=False).print(table)


@runs_group.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(metavar="RUN", help="Run id, unique prefix, or 'latest'")],
    db: DbOption = None,
    json_out: JsonOption = None,
    example: Annotated[
        str | None,
        typer.Option(
            "--example",
            help="One example in full: per section the brief beside the gold and the score, who wrote it, "
            "salvage, unsupported details; fallback, tokens, cost, seconds, judge",
        ),
    ] = None,
) -> None:
    """A run's provenance and section scores (``--json`` writes it in the `assist eval --json` format)."""
    from eval import runs

    if example is not None:
        _show_example(run_id, example, db=db, json_out=json_out)
        return
    with _database(db, create=False) as con:
        run = runs.load_run(con, run_id)
    if json_out:
        _write_json(run.to_json(), json_out)
    # Not soft-wrapped: a long line (a server address, a judge's error) wraps at the terminal's width.
    console = Console(stderr=json_out == "-", highlight=False)
    for line in _provenance(run):
        console.print(line, markup=False)
    _print_run(console, run, db=db or Settings().eval_db)


def _provenance(run: runner.EvalRun) -> list[str]:
    """What the run is, one short line per part: when and which program, the model, the dataset and weights."""
    parent = f" of {run.parent_run_id}" if run.parent_run_id else ""
    program = f"program {run.program} (hash {(run.program_hash or '-')[:12]})"
    lines = [f"{run.kind}{parent}, {run.created_at:%Y-%m-%d %H:%M:%S} UTC; {program}"]
    if run.is_model_run:
        lines.append(
            f"lm {run.lm or '-'} at {run.api_base or 'the provider'}, adapter {run.adapter or '-'}, "
            f"prompt {run.prompt_version or '-'}, lm_calls {run.lm_calls}"
        )
    commit = run.git_commit or "-"  # the full commit is in --json
    short = commit[:12] + ("+dirty" if commit.endswith("+dirty") and len(commit) > 18 else "")
    lines.append(
        f"dataset {run.dataset}@{run.dataset_hash[:12]}; git {short}; weights {run.weights or 'equal'}"
    )
    return lines


def _show_example(run_id: str, example_id: str, *, db: str | None, json_out: str | None) -> None:
    from assist.errors import NotFound
    from eval import compare, runs
    from eval import dataset as datasets

    with _database(db, create=False) as con:
        run = runs.load_run(con, run_id)
        try:
            data = datasets.load_by_hash(con, run.dataset, run.dataset_hash)
        except NotFound:  # a run saved from Python without importing its dataset: shown without the gold
            data = None
    view = compare.example_view(run, example_id, data)
    if json_out:
        _write_json(view.to_json(), json_out)
    # Not soft-wrapped: a long brief, reason or note wraps at the terminal's width instead of running off it.
    _print_example(Console(stderr=json_out == "-", highlight=False), view)


def _print_example(console: Console, view: compare.ExampleView) -> None:
    """The example's header lines, then one block per section: brief beside gold, sub-metrics, salvage."""
    console.print(
        Text(
            f"{view.example_id}: example {view.position + 1} of run {view.run_id} "
            f"({view.program} on {view.dataset}@{view.dataset_hash[:12]})",
            style="bold",
        )
    )
    written = f"brief by {view.produced_by}" if view.produced_by else "no brief"
    lines = [f"{written}; overall {_fmt(view.overall)}; {view.seconds:.3f} s"]
    if view.fallback:
        lines.append(f"fell back to rules: {view.fallback_reason or 'no reason recorded'}")
    if view.error is not None:
        lines.append(f"failed: {view.error}")
    if view.usage is not None:
        usage = view.usage
        cost = "unknown" if usage.cost_usd is None else f"${usage.cost_usd:.5f}"
        lines.append(
            f"model: {usage.requests} request{'' if usage.requests == 1 else 's'}"
            f"{' (answered from the cache)' if usage.cached else ''}; tokens prompt "
            f"{_fmt_count(usage.prompt_tokens)}, completion {_fmt_count(usage.completion_tokens)}; cost {cost}"
            + (f"; {usage.turns_omitted} turns left out to fit" if usage.turns_omitted else "")
        )
    if view.metrics or view.ungrounded_dropped:
        lines.append(
            "; ".join(
                [f"{name} {_fmt(value)}" for name, value in view.metrics.items()]
                + [f"ungrounded items dropped {view.ungrounded_dropped}"]
            )
        )
    lines += [f"note: {note}" for note in view.notes]
    lines += [_salvage_line("answer", note) for note in view.answer_salvage]
    for line in lines:
        console.print(line, markup=False)
    for section in view.sections:
        _print_section(console, section)
    if view.judgment is not None or view.judge:
        _print_judgment(console, view)
    other_errors = {k: v for k, v in view.score_errors.items() if k not in {s.section for s in view.sections}}
    for name, error in other_errors.items():
        console.print(f"not scored: {name}: {error}", markup=False)


def _fmt_count(value: int | None) -> str:
    return "unknown" if value is None else f"{value:,}"


def _bulleted(value: Any) -> str:
    """A section's value as text; a list's items start with a bullet, so a wrapped item still reads as one."""
    from eval.compare import section_lines

    lines = section_lines(value)
    return "\n".join(f"• {line}" for line in lines) if isinstance(value, list) and value else "\n".join(lines)


def _salvage_line(label: str, note: SalvageNote) -> str:
    """``label: action[ item N]: reason`` (``answer: repaired: read from a code fence``)."""
    item = f" item {note.item}" if note.item is not None else ""
    return f"{label}: {note.action}{item}: {note.reason}"


def _print_section(console: Console, section: compare.SectionView) -> None:
    """A rule with the section, its score and writer; the brief beside the gold; sub-metrics, salvage, the
    details the call does not say, and the judge's comparison with the gold."""
    by = f" · by {section.written_by}" if section.written_by else ""
    console.print(Rule(Text(f"{section.section} · {_fmt(section.score)}{by}", style="bold"), align="left"))
    if section.labelled is None:
        gold = "(gold not at hand)"
    elif not section.labelled:
        gold = "(not labelled)"
    else:
        gold = _bulleted(section.gold)
    grid = Table(box=None, expand=True, pad_edge=False, show_edge=False)
    grid.add_column("brief", ratio=1, header_style="dim")
    grid.add_column("gold", ratio=1, header_style="dim")
    grid.add_row(Text(_bulleted(section.brief) or "(no brief)"), Text(gold))
    console.print(grid)
    extra = [f"{name} {_fmt(value)}" for name, value in section.metrics.items()]
    if extra:
        console.print(Text("; ".join(extra), style="dim"))
    if section.error is not None:
        console.print(f"not scored: {section.error}", markup=False)
    for note in section.salvage:
        console.print(_salvage_line("salvage", note), markup=False)
    if section.unsupported:
        flagged = ", ".join(detail.text for detail in section.unsupported)
        console.print(f"unsupported: {flagged}", markup=False)
    ideas = section.judge
    if ideas is not None:
        found = (
            f"failed: {ideas.error}"
            if ideas.error is not None
            else f"precision {_fmt(ideas.precision)}, recall {_fmt(ideas.recall)}, f1 {_fmt(ideas.f1)}"
        )
        console.print(f"judge against the gold: {found}", markup=False)
        if ideas.reasoning:
            console.print(Text(ideas.reasoning, style="dim"))


def _print_judgment(console: Console, view: compare.ExampleView) -> None:
    """The judge's numbers for the example, then each claim of the brief with its verdict and reason."""
    console.print(Rule(Text("judge", style="bold"), align="left"))
    # A judged section's precision, recall and F1 were printed with the section.
    shown = tuple(f"judge.{s.section}." for s in view.sections if s.judge is not None)
    rest = {name: value for name, value in view.judge.items() if not name.startswith(shown)}
    if rest:
        console.print("; ".join(f"{name} {_fmt(value)}" for name, value in rest.items()), markup=False)
    judgment = view.judgment
    if judgment is None:
        return
    if judgment.claims_error is not None:
        console.print(f"claims not judged: {judgment.claims_error}", markup=False)
    claims = judgment.claims or []
    if judgment.claims_found is not None and judgment.claims_found > len(claims):
        console.print(f"{len(claims)} of the {judgment.claims_found} claims found were judged", markup=False)
    for claim in claims:
        mark = Text("supported", style="green") if claim.supported else Text("not supported", style="red")
        console.print(Text.assemble(mark, f": {claim.claim} — {claim.reason}"))
    console.print(
        f"{judgment.requests} judge requests, {judgment.cached} answers from the cache, {judgment.seconds:.2f} s",
        markup=False,
    )


def _load_run(db: str | None, spec: str) -> runner.EvalRun:
    """A stored run (id, unique prefix, ``latest``) or an ``assist eval --json`` file (a committed baseline,
    which needs no database)."""
    from eval import runs

    path = Path(spec)
    if path.is_file():
        return runs.run_from_json(json.loads(path.read_text(encoding="utf-8")))
    if path.suffix == ".json":
        raise FileNotFoundError(2, "No such file", spec)
    with _database(db, create=False) as con:
        return runs.load_run(con, spec)


_VERDICT_STYLE = {"better": "green", "worse": "red"}


def _differences_table(title: str, rows: list[compare.PairedDifference], label: str) -> Table:
    """``label | n | B−A | 95% interval | verdict``: fits 80 columns with the longest section name."""
    table = Table(
        box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True, title=title, title_justify="left"
    )
    table.add_column(label, no_wrap=True)
    table.add_column("n", justify="right")
    table.add_column("B−A", justify="right")
    table.add_column("95% interval", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    for row in rows:
        interval = "" if row.low is None or row.high is None else f"[{row.low:+.3f}, {row.high:+.3f}]"
        delta = "" if row.delta is None else f"{row.delta:+.3f}"
        table.add_row(
            row.metric,
            str(row.n),
            delta,
            interval,
            Text(row.verdict, style=_VERDICT_STYLE.get(row.verdict, "")),
            style="bold" if row.metric == "overall" else None,
        )
    return table


def _verdict_notes(rows: list[compare.PairedDifference]) -> list[str]:
    """Why a row has no verdict: only 1 to 5 of its pairs differ, or its interval excludes 0 but the test
    (``p ≥ 0.05``) does not."""
    from eval.compare import MIN_PAIRS

    notes = []
    for row in rows:
        if row.low is None or row.high is None or row.verdict in _VERDICT_STYLE:
            continue
        if row.verdict == "too few pairs" and row.n >= MIN_PAIRS:
            notes.append(
                f"{row.metric}: only {row.nonzero} of its {row.n} pairs differ, too few for a verdict"
            )
        elif row.p is not None and (row.low > 1e-9 or row.high < -1e-9) and row.nonzero >= MIN_PAIRS:
            notes.append(
                f"{row.metric}: the interval excludes 0, but the sign-flip test does not find a difference "
                f"(p = {row.p:.3f})"
            )
    return notes


@runs_group.command("compare")
def runs_compare(
    run_a: Annotated[
        str, typer.Argument(metavar="RUN_A", help="Run id, prefix, 'latest', or an --json file")
    ],
    run_b: Annotated[
        str, typer.Argument(metavar="RUN_B", help="Run id, prefix, 'latest', or an --json file")
    ],
    db: DbOption = None,
    json_out: JsonOption = None,
    top: Annotated[int, typer.Option("--top", help="How many changed examples to list", min=1)] = 10,
    shared_ids: Annotated[
        bool,
        typer.Option(
            "--shared-ids", help="Runs on different datasets: compare them on the example ids they share"
        ),
    ] = False,
) -> None:
    """Is B different from A? Per section, the mean paired difference B − A over the examples both scored,
    its bootstrap 95% interval and a verdict; then the examples whose overall changed most."""
    from eval import compare

    a, b = _load_run(db, run_a), _load_run(db, run_b)
    found = compare.compare_runs(a, b, shared_ids=shared_ids, top=top)
    if json_out:
        _write_json(found.to_json(), json_out)
    # Not soft-wrapped: the notes and the summary lines wrap at the terminal's width.
    console = Console(stderr=json_out == "-", highlight=False)
    console.print(f"A = {found.a.label()}", markup=False)
    console.print(f"B = {found.b.label()}", markup=False)
    for note in found.notes:
        console.print(f"note: {note}", markup=False)
    overall = found.row("overall")
    fewest, most = found.resample_range()
    resamples = (
        f"{most:,} resamples"
        if fewest == most
        else f"{fewest:,} to {most:,} resamples (fewer for more pairs)"
    )
    console.print(
        f"{found.shared} examples in both runs; overall over its {overall.n} pairs: A {_fmt(overall.a)}, "
        f"B {_fmt(overall.b)}; interval: paired bootstrap, {resamples}, seed {found.seed}; "
        f"verdict: a sign-flip test's p < {compare.ALPHA} and an interval without 0",
        markup=False,
    )
    console.print(_differences_table("B − A per section", found.sections(), "section"))
    others = found.others()
    moved = [row for row in others if row.verdict in _VERDICT_STYLE]
    if moved:
        console.print(_differences_table("other per-example metrics that moved", moved, "metric"))
    for line in _verdict_notes([*found.sections(), *moved]):
        console.print(line, markup=False)
    unpaired = [row.metric for row in others if row.n == 0]
    steady = sum(row.verdict == "no detectable difference" for row in others)
    few = len(others) - len(moved) - steady - len(unpaired)
    console.print(
        f"other metrics: {steady} with no detectable difference, {few} with too few pairs, "
        f"{len(unpaired)} in one run only"
        + (f" ({', '.join(unpaired)})" if unpaired else "")
        + " (all: --json -)",
        markup=False,
    )
    if found.changes:
        changed = Table("example", "A overall", "B overall", "Δ", title="examples that changed most")
        for change in found.changes:
            changed.add_row(
                change.example_id,
                _fmt(change.before),
                _fmt(change.after),
                _fmt_delta(change.before, change.after),
            )
        console.print(changed)
    else:
        console.print("no example's overall score changed")


def rescore(
    run_id: Annotated[str, typer.Argument(metavar="RUN", help="Run id, unique prefix, or 'latest'")],
    db: DbOption = None,
    json_out: JsonOption = None,
    weight: WeightOption = None,
    judge_model: Annotated[
        str | None,
        typer.Option(
            "--judge",
            help="provider/model that judges the stored briefs (again), at $ASSIST_JUDGE_API_BASE; without it "
            "the run's own judgments are kept",
        ),
    ] = None,
    judge_timeout: JudgeTimeoutOption = 30.0,
    judge_max_claims: JudgeClaimsOption = 20,
    threads: Annotated[
        int, typer.Option("--threads", help="Briefs judged in parallel", min=1)
    ] = _MODEL_THREADS,
) -> None:
    """Score a run's stored predictions again with the current metrics; stores a NEW run (kind rescore).

    No program is called. The original run is left as it was, so the two can be compared.
    """
    from eval import dataset as datasets
    from eval import runner, runs

    console = _console(json_out)
    with _database(db, create=False) as con:
        original = runs.load_run(con, run_id)
        data = datasets.load_by_hash(con, original.dataset, original.dataset_hash)
        grader = _judge(
            judge_model,
            timeout=judge_timeout,
            max_claims=judge_max_claims,
            cache=True,
            under_test=original.lm,
        )
        progress = _progress(original.n if grader is not None else 0)
        started = time.perf_counter()
        with progress:
            judging = progress.add_task("judging", total=original.n)
            run = runner.rescore(
                original,
                data,
                weights=_weights(weight) if weight else None,
                judge=grader,
                judge_threads=threads,
                judge_progress=lambda done: progress.advance(judging, done),
            )
        judge_seconds = _judge_seconds(run, time.perf_counter() - started) if grader is not None else None
        runs.save_run(con, run)
    if json_out:
        _write_json(run.to_json(), json_out)
    judged = f"; judged by {run.judge_lm}" if grader is not None else ""
    console.print(f"rescored {original.run_id} (predictions unchanged, no program called{judged})")
    _print_run(console, run, db=db or Settings().eval_db, judge_seconds=judge_seconds)
    if grader is not None and _judge_failed(console, run):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(dataset_group, name="dataset")
    app.command("eval")(eval_)
    app.add_typer(runs_group, name="runs")
    app.command("rescore")(rescore)
