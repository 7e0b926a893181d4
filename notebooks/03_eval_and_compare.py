# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · Evaluate and compare
#
# The eval harness (`eval/`) runs a brief program over a labelled dataset, scores every section the gold
# labels, and stores the run in DuckDB. This notebook drives it from Python:
#
# 1. evaluate the `rules` program on both datasets and chart the section scores,
# 2. compare two runs example by example,
# 3. show the regression gate exactly as CI runs it (`assist eval --baseline … --max-drop 0.02`).
#
# Scores are in [0, 1]; a section is scored only on examples whose gold labels it, so every score comes with
# its `n`. The runs are stored in a DuckDB file in a temporary directory.

# %%
import html
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, display
from matplotlib.colors import LinearSegmentedColormap

from assist.programs import BriefResult, load_program
from assist.schema import Conversation
from assist.settings import Settings
from assist.store import connect
from eval import SECTIONS, EvalRun, check, compare_runs, load_dataset, run_eval, save_run
from eval.dataset import import_dataset
from eval.gate import GateResult

REPO = next(p for p in (Path.cwd(), *Path.cwd().parents) if (p / "pyproject.toml").exists())
WORKDIR = Path(tempfile.mkdtemp(prefix="assist-eval-"))
con = connect(WORKDIR / "eval.duckdb")
datasets = {
    "synthetic": load_dataset(REPO / "datasets/synthetic/calls.jsonl"),
    "harper_valley": load_dataset(REPO / "datasets/harper_valley/dev.jsonl"),
}
for data in datasets.values():
    import_dataset(con, data)
    print(f"{data.name}@{data.hash[:12]}: {len(data)} examples")


# %% [markdown]
# ## Run the evals
#
# `run_eval` generates (calls the program) and then scores (pure functions of brief and gold); `save_run`
# stores the run with its provenance — program hash, dataset hash, git commit — so it can be compared later.


# %%
def run_view(run: EvalRun) -> HTML:
    """An eval run as an analyst wants to see it: each section's mean score, as a bar, with its n."""
    scores, counts = run.section_scores(), run.scored_counts()
    rows = []
    for key, value in scores.items():
        bar = (
            ""
            if value is None
            else (
                f'<div style="background:#dde3ea;width:160px;height:10px;border-radius:5px">'
                f'<div style="background:{"#2e7d32" if value >= 0.8 else "#f9a825" if value >= 0.5 else "#c62828"};'
                f'width:{160 * value:.0f}px;height:10px;border-radius:5px"></div></div>'
            )
        )
        weight = "font-weight:700;border-top:2px solid #999" if key == "overall" else ""
        rows.append(
            f'<tr style="{weight}"><td style="text-align:left">{key}</td><td style="text-align:right">'
            f"{'—' if value is None else f'{value:.3f}'}</td><td>{bar}</td>"
            f'<td style="text-align:right;color:#666">{counts[key]}</td></tr>'
        )
    metrics = run.metric_means()
    extras = ", ".join(
        f"{label} {metrics[name]:.3f}"
        for label, name in (("schema valid", "schema_valid"), ("grounding", "grounding_rate"))
        if metrics.get(name) is not None
    )
    return HTML(
        f"<div style='font-family:system-ui,sans-serif'><b>{html.escape(run.program)}</b> on "
        f"<b>{html.escape(run.dataset)}</b> · {run.n} examples · {run.n_failed} failed · {run.n_fallback} fallback"
        f" · {run.generate_seconds + run.score_seconds:.2f} s · run <code>{run.run_id}</code>"
        f"<table style='margin-top:6px'><tr><th style='text-align:left'>section</th><th>score</th><th></th>"
        f"<th>n scored</th></tr>{''.join(rows)}</table><div style='color:#666'>{extras}</div></div>"
    )


rules = load_program("rules")
runs: dict[str, EvalRun] = {}
for key, data in datasets.items():
    runs[key] = run_eval(rules, data, spec="rules")
    save_run(con, runs[key])
    display(run_view(runs[key]))

# %% [markdown]
# ## Section scores

# %%
frame = pd.DataFrame({key: run.section_scores() for key, run in runs.items()})
counts = pd.DataFrame({key: run.scored_counts() for key, run in runs.items()})
order = ["overall", *SECTIONS][::-1]
fig, ax = plt.subplots(figsize=(9, 5))
height = 0.38
for offset, (key, color) in zip((-height / 2, height / 2), zip(runs, ("#3f51b5", "#ff9800"))):
    values = frame.loc[order, key]
    y = np.arange(len(order)) + offset
    ax.barh(y, values.fillna(0), height=height, color=color, label=f"rules on {key}")
    for yi, value, n in zip(y, values, counts.loc[order, key]):
        ax.text(
            (0 if pd.isna(value) else value) + 0.01,
            yi,
            "no gold" if pd.isna(value) else f"{value:.2f} (n={n})",
            va="center",
            fontsize=8,
            color="#555",
        )
ax.set_yticks(np.arange(len(order)), order)
ax.set_xlim(0, 1.15)
ax.set_xlabel("mean score (1.0 = matches the gold)")
ax.set_title("rules program: section scores")
ax.legend(loc="lower right")
plt.tight_layout()
plt.show()

# %% [markdown]
# The same numbers from SQL: the harness stores every score in long format (`eval_scores`) and ships two
# views, `run_scores` (mean per run and metric) and `example_scores` (one row per run and example).

# %%
con.sql("""
    SELECT dataset, metric, round(mean, 3) AS mean, n_scored
    FROM run_scores
    WHERE metric NOT LIKE '%.%'  -- sections only; sub-metrics look like sentiment.exact
    ORDER BY dataset, metric
""").df().pivot(index="metric", columns="dataset", values="mean")

# %% [markdown]
# The weakest briefs of the synthetic run — where to look first:

# %%
con.sql(f"""
    SELECT example_id, round(overall, 3) AS overall, {", ".join(f"round({s}, 2) AS {s}" for s in SECTIONS)}
    FROM example_scores WHERE run_id = '{runs["synthetic"].run_id}'
    ORDER BY overall LIMIT 8
""").df().style.background_gradient(cmap="RdYlGn", vmin=0, vmax=1).format(precision=2, na_rep="").hide(
    axis="index"
)


# %% [markdown]
# ## Compare two runs, example by example
#
# Run B is the `dspy` program when `ASSIST_LM` is set. Without a model, B is a **deliberately broken
# variant defined right here** — the rules brief with the caller's name forgotten — standing in for a change
# that breaks name extraction, so you can see what a regression looks like in every view below.


# %%
class ForgetsCallerName:
    """Demo only: the rules brief with every caller name replaced by "Unknown Caller"."""

    name = "rules-forgets-caller-name"

    def brief(self, conversation: Conversation) -> BriefResult:
        result = rules.brief(conversation)
        header = result.portal.header.model_copy(update={"caller_name": "Unknown Caller"})
        return result.model_copy(
            update={"portal": result.portal.model_copy(update={"header": header}), "program": self.name}
        )


LM = Settings().assist_lm
run_a = runs["synthetic"]
synthetic = datasets["synthetic"]
program_b = load_program("dspy") if LM else ForgetsCallerName()
run_b = run_eval(program_b, synthetic, spec="dspy" if LM else None, threads=4 if LM else 1)
print(f"A: rules   B: {program_b.name}" + ("" if LM else "  (ASSIST_LM is not set; B is the demo variant)"))
save_run(con, run_b)
display(run_view(run_b))

# %%
found = compare_runs(run_a, run_b, top=10)
changes = found.changes
pd.DataFrame(found.table()).set_index("metric").loc[["overall", *SECTIONS]].style.format(
    "{:+.3f}", subset=["delta", "low", "high"], na_rep=""
).format("{:.3f}", subset=["a", "b"], na_rep="—")

# %% [markdown]
# Every example and section, B minus A. Red is worse, green better, grey not labelled.

# %%
per_example = (
    con.sql(f"""
    SELECT a.example_id, {", ".join(f"b.{s} - a.{s} AS {s}" for s in ("overall", *SECTIONS))}
    FROM example_scores a JOIN example_scores b USING (example_id)
    WHERE a.run_id = '{run_a.run_id}' AND b.run_id = '{run_b.run_id}'
    ORDER BY a.position
""")
    .df()
    .set_index("example_id")
)
# White is "no change", so only what moved catches the eye.
delta_colors = LinearSegmentedColormap.from_list("delta", ["#c62828", "#ffffff", "#2e7d32"])
delta_colors.set_bad("#e0e0e0")
fig, ax = plt.subplots(figsize=(13, 4))
image = ax.imshow(
    np.ma.masked_invalid(per_example.T.to_numpy(dtype=float)),
    cmap=delta_colors,
    vmin=-1,
    vmax=1,
    aspect="auto",
)
ax.set_yticks(range(per_example.shape[1]), per_example.columns)
ax.set_xticks(range(len(per_example)), per_example.index, rotation=90, fontsize=7)
ax.set_title(f"score change per example: B ({run_b.program}) − A ({run_a.program})")
fig.colorbar(image, ax=ax, label="Δ score", shrink=0.8, pad=0.01)
plt.tight_layout()
plt.show()

# %%
pd.DataFrame(
    [{"example": c.example_id, "A overall": c.before, "B overall": c.after, "Δ": c.delta} for c in changes]
).style.format(precision=3, na_rep="—").hide(axis="index")


# %% [markdown]
# ## The regression gate (what CI runs)
#
# CI evaluates the current code against a stored baseline (`assist eval --json` output) and fails if
# `overall` or any section drops by more than `--max-drop` (0.02), if a section stops being scored, or if more
# examples fail than before — and names the examples that got worse. `eval.gate.check` is that decision:


# %%
def gate_view(result: GateResult, *, baseline: EvalRun, current: EvalRun) -> HTML:
    verdict = (
        '<span style="background:#2e7d32;color:#fff;padding:2px 10px;border-radius:10px">PASS</span>'
        if result.passed
        else '<span style="background:#c62828;color:#fff;padding:2px 10px;border-radius:10px">FAIL</span>'
    )
    regressions = "".join(f"<li style='color:#c62828'>{html.escape(str(r))}</li>" for r in result.regressions)
    worse = "".join(
        f"<tr><td><code>{html.escape(w.example_id)}</code></td><td>{html.escape('; '.join(w.drops))}</td></tr>"
        for w in result.worse_examples[:8]
    )
    more = len(result.worse_examples) - 8
    if more > 0:
        worse += f"<tr><td colspan=2>… and {more} more</td></tr>"
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in result.notes)
    return HTML(
        f"<div style='font-family:system-ui,sans-serif'>{verdict} <b>{html.escape(current.program)}</b> against "
        f"baseline <b>{html.escape(baseline.program)}</b> (max drop {result.max_drop})"
        + (f"<ul>{notes}</ul>" if notes else "")
        + (f"<ul>{regressions}</ul>" if regressions else "<p>no section dropped by more than the limit</p>")
        + (
            f"<p>examples that got worse ({len(result.worse_examples)}):</p><table>{worse}</table>"
            if worse
            else ""
        )
        + "</div>"
    )


baseline = run_a.to_json()
display(gate_view(check(run_b.to_json(), baseline, max_drop=0.02), baseline=run_a, current=run_b))
display(gate_view(check(run_a.to_json(), baseline, max_drop=0.02), baseline=run_a, current=run_a))

# %% [markdown]
# And the command itself, as CI calls it: the baseline is run A's `--json` document; the current code's
# `rules` program is evaluated again (in its own database) and gated against it. The exit status is what fails
# the build.

# %%
baseline_file = WORKDIR / "baseline.json"
baseline_file.write_text(json.dumps(baseline))
command = [
    sys.executable,
    "-m",
    "assist",
    "eval",
    "--db",
    str(WORKDIR / "ci.duckdb"),
    "--dataset",
    str(REPO / "datasets/synthetic/calls.jsonl"),
    "--baseline",
    str(baseline_file),
    "--max-drop",
    "0.02",
]
# check=False: a failing gate is an answer to show, not an error.
# Plain text, as in a CI log: the kernel forces colour on for its children, the CLI would then draw progress bars.
plain = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "CLICOLOR_FORCE"}}
ci = subprocess.run(command, capture_output=True, text=True, check=False, env={**plain, "COLUMNS": "110"})
print("$ assist eval --dataset datasets/synthetic/calls.jsonl --baseline baseline.json --max-drop 0.02")
print(ci.stdout + ci.stderr)
print("exit status:", ci.returncode)

# %%
con.close()
