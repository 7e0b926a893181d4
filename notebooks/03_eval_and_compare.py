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
# 1. evaluate the `rules` program on every bundled dataset and chart the section scores, the held-out sets
#    (never read or tuned on, so they show how `rules` does on calls its developers never saw) hatched and
#    labelled "(held out)",
# 2. drill from the weakest briefs of a run into one example: per section, the brief beside the gold,
# 3. compare two stored runs and ask whether a difference is real (paired bootstrap intervals),
# 4. show the regression gate exactly as CI runs it (`assist eval --baseline … --max-drop 0.02`), on every set.
#
# Scores are in [0, 1]; a section is scored only on examples whose gold labels it, so every score comes with
# its `n`. The runs are stored in a DuckDB file in a temporary directory.

# %%
import json
import os
import subprocess
import sys

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from assist.programs import load_program
from assist.settings import Settings
from assist.store import connect
from eval import (
    SECTIONS,
    EvalRun,
    check,
    compare_runs,
    example_view,
    load_dataset,
    load_run,
    run_eval,
    run_from_json,
    save_run,
)
from eval.bundled import DATASETS_DIR, bundled_set
from eval.compare import section_lines
from eval.dataset import import_dataset
from eval.notebook import (
    comparison_style,
    delta_figure,
    example_html,
    gate_html,
    interval_figure,
    set_bars,
    sets_legend,
    start,
)

session = start("eval")  # plotting defaults, a temporary work directory, every bundled set loaded
con = connect(session.workdir / "eval.duckdb")


# %% [markdown]
# ## Run the evals
#
# `run_eval` generates (calls the program) and then scores (pure functions of brief and gold); `save_run`
# stores the run with its provenance — program hash, dataset hash, git commit — so it can be compared later.
# `rules` needs no model, so every set is evaluated, held-out ones included: scoring them is measuring, not
# tuning.

# %%
rules = load_program("rules")
runs: dict[str, EvalRun] = {}
for name, data in session.datasets.items():
    import_dataset(con, data)
    runs[name] = run_eval(rules, data, spec="rules")
    save_run(con, runs[name])

pd.DataFrame(
    [
        {
            "set": bundled_set(name).label,
            "dataset": f"{run.dataset}@{run.dataset_hash[:12]}",
            "examples": run.n,
            "failed": run.n_failed,
            "overall": run.section_scores()["overall"],
            "schema valid": run.metric_means()["schema_valid"],
            "grounding": run.metric_means()["grounding_rate"],
            "seconds": run.generate_seconds + run.score_seconds,
            "run": run.run_id,
        }
        for name, run in runs.items()
    ]
).style.format(precision=3).format("{:.2f}", subset=["seconds"]).hide(axis="index")

# %% [markdown]
# ## Section scores
#
# One panel per section, one bar per set: the development sets on top, the held-out ones hatched below. A
# section is scored only where the gold labels it, so each bar says its `n`; Harper Valley's gold labels two
# sections.

# %%
names = list(runs)
scores = pd.DataFrame({name: run.section_scores() for name, run in runs.items()})
counts = pd.DataFrame({name: run.scored_counts() for name, run in runs.items()})
fig, axes = plt.subplots(3, 3, figsize=(14, 11), sharex=True, sharey=True)
for ax, metric in zip(axes.flat, ["overall", *SECTIONS]):
    values = scores.loc[metric]
    set_bars(ax, names, values.fillna(0))
    for row, (value, n) in enumerate(zip(values, counts.loc[metric])):
        ax.text(
            (0 if pd.isna(value) else value) + 0.02,
            row,
            "no gold" if pd.isna(value) else f"{value:.2f} (n={n})",
            va="center",
            fontsize=8,
            color="#555",
        )
    ax.set_title(metric, fontweight="bold" if metric == "overall" else "normal")
    ax.set_xlim(0, 1.45)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1])
for ax in axes[-1]:
    ax.set_xlabel("mean score (1.0 = matches the gold)")
fig.suptitle("rules program: section scores on every bundled set", x=0.01, ha="left")
sets_legend(fig)
plt.show()

# %% [markdown]
# The same numbers from SQL: the harness stores every score in long format (`eval_scores`) and ships two
# views, `run_scores` (mean per run and metric) and `example_scores` (one row per run and example).

# %%
labels = {run.dataset: bundled_set(name).label for name, run in runs.items()}
con.sql("""
    SELECT dataset, metric, round(mean, 3) AS mean, n_scored
    FROM run_scores
    WHERE metric NOT LIKE '%.%'  -- sections only; sub-metrics look like sentiment.exact
    ORDER BY dataset, metric
""").df().pivot(index="metric", columns="dataset", values="mean")[list(labels)].rename(columns=labels)

# %% [markdown]
# ## From the weakest briefs to one example
#
# The weakest briefs of the synthetic run — where to look first:

# %%
weakest = con.sql(f"""
    SELECT example_id, round(overall, 3) AS overall, {", ".join(f"round({s}, 2) AS {s}" for s in SECTIONS)}
    FROM example_scores WHERE run_id = '{runs["synthetic"].run_id}'
    ORDER BY overall, example_id LIMIT 8
""").df()
weakest.style.background_gradient(cmap="RdYlGn", vmin=0, vmax=1).format(precision=2, na_rep="").hide(
    axis="index"
)

# %% [markdown]
# `example_view(run, example_id, dataset)` is everything a run holds about one example — the same as
# `assist runs show RUN --example ID`: per section the brief's value beside the gold and the score, who wrote
# the section (`rules`, or the model), what salvage did to the model's answer (to a section, or to the answer
# as a whole), the details the call does not say (`unsupported`, found now by `eval.faithfulness`), the
# fallback reason, tokens, cost and seconds, and what the judge said when the run was judged (per section its
# precision, recall and F1 against the gold with its reasoning, then each claim with its verdict). Here, the
# weakest brief of the `rules` run: no model, so no tokens, cost or judge. `example_html` (`eval/notebook.py`,
# with the other views of this notebook) draws it.

# %%
weakest_id = weakest.example_id[0]
print(f"weakest brief of the synthetic run: {weakest_id}")
display(example_html(example_view(runs["synthetic"], weakest_id, session.datasets["synthetic"])))

# %% [markdown]
# `rules` copies its details from the call, so nothing is flagged above. What a flag looks like: the first
# example's `rules` brief given one summary bullet the call never says.

# %%
first = runs["synthetic"].predictions[0]
assert first.portal is not None
bullets = [*first.portal.call_summary[:-1], "Mr. Okonkwo was refunded $482.50 on the spot."]
planted = first.model_copy(update={"portal": first.portal.model_copy(update={"call_summary": bullets})})
edited = runs["synthetic"].model_copy(
    update={"run_id": "planted", "predictions": [planted, *runs["synthetic"].predictions[1:]]}
)
display(example_html(example_view(edited, first.example_id, session.datasets["synthetic"])))

# %% [markdown]
# ## Compare two stored runs: is the difference real?
#
# Two runs over the same calls are compared **example by example**: two programs' scores on one call are
# correlated (a hard call is hard for both), so the unit is the paired difference `d_i = B_i − A_i` over the
# examples both runs scored. `compare_runs` resamples those differences with replacement 10,000 times
# (seeded), and the 2.5th and 97.5th percentiles of the resampled means are the 95% interval. On few pairs that
# interval alone is too narrow, so a paired sign-flip test weighs each difference's sign too (`p`: the share of
# sign patterns whose sum is as far from 0). The verdict: **better** when `p < 0.05` and the whole interval is
# above 0, **worse** when `p < 0.05` and it is below, otherwise **no detectable difference** (and **too few
# pairs** under 6 pairs, or when only 1 to 5 of them differ). The same as `assist runs compare A B`.
#
# A is the committed baseline `eval/baseline/synthetic.json` — the run CI gates against — stored in this
# notebook's database; B is today's stored `rules` run on the same calls, or a `dspy` run when `ASSIST_LM` is
# set. Both are read back from the database before they are compared.

# %%
baseline = run_from_json(json.loads(bundled_set("synthetic").baseline.read_text()))
save_run(con, baseline)
LM, JUDGE_LM = Settings().assist_lm, Settings().assist_judge_lm
if LM:
    from eval.judge import Judge

    program_b = load_program("dspy")
    judge = Judge(JUDGE_LM, api_base=Settings().assist_judge_api_base) if JUDGE_LM else None
    run_b = run_eval(program_b, session.datasets["synthetic"], spec="dspy", threads=4, judge=judge)
    save_run(con, run_b)
else:
    run_b = runs["synthetic"]
stored_a, stored_b = load_run(con, baseline.run_id), load_run(con, run_b.run_id)
today = compare_runs(stored_a, stored_b)
print(
    f"A: the committed baseline {stored_a.run_id} ({stored_a.program}, git {(stored_a.git_commit or '-')[:7]})"
)
print(
    f"B: {stored_b.program} today, run {stored_b.run_id}" + ("" if LM else " (ASSIST_LM is not set: rules)")
)
print(f"{today.shared} examples paired; " + "; ".join(today.notes or ["same dataset version"]))
comparison_style(today)

# %% [markdown]
# Without a model, B is the same program as the baseline on the same calls, and today's `rules` writes the same
# briefs: every difference is exactly 0, every interval `[0, 0]` — the statistical form of the gate's PASS
# below. A change to `rules` that moved a section would show here with its interval, before any gate decides.
#
# With a model, B's brief of the weakest call in full: its tokens, cost and what salvage did, and with a judge
# (`ASSIST_JUDGE_LM`, at `ASSIST_JUDGE_API_BASE`) what the judge said of each section and each claim.

# %%
if LM:
    display(example_html(example_view(stored_b, weakest_id, session.datasets["synthetic"])))
else:
    print("ASSIST_LM is not set: B is rules, whose brief of this call is shown above")

# %% [markdown]
# ## The same briefs against another annotator's gold
#
# A difference that is real is not always the program's. A second annotator labelled 16 of the synthetic calls
# blind (`datasets/synthetic/second_annotator.jsonl`). Running `rules` on those labels gives a run on another
# dataset with the same example ids: `compare_runs` refuses two datasets unless asked to pair their shared ids
# (`shared_ids=True`, the CLI's `--shared-ids`). The briefs are identical — only the ruler changed.

# %%
second = load_dataset(DATASETS_DIR / "synthetic/second_annotator.jsonl")
import_dataset(con, second)
run_second = run_eval(rules, second, spec="rules")
save_run(con, run_second)
ruler = compare_runs(
    load_run(con, runs["synthetic"].run_id), load_run(con, run_second.run_id), shared_ids=True
)
for note in ruler.notes:
    print("note:", note)
moved = [f"{row.metric} {row.verdict}" for row in ruler.sections() if row.verdict in ("better", "worse")]
print("moved with the annotator alone:", ", ".join(moved) or "nothing")
interval_figure(ruler, "rules' briefs: second annotator's gold − writer A's gold (16 calls)")
plt.show()
comparison_style(ruler)

# %% [markdown]
# Every example and section, B minus A (from the `example_scores` view). Red is worse, green better, grey not
# labelled.

# %%
per_example = (
    con.sql(f"""
    SELECT a.example_id, {", ".join(f"b.{s} - a.{s} AS {s}" for s in ("overall", *SECTIONS))}
    FROM example_scores a JOIN example_scores b USING (example_id)
    WHERE a.run_id = '{runs["synthetic"].run_id}' AND b.run_id = '{run_second.run_id}'
    ORDER BY a.position
""")
    .df()
    .set_index("example_id")
)
delta_figure(per_example, "score change per example: second annotator's gold − writer A's")
plt.show()

# %% [markdown]
# The examples whose overall changed most, and the one that changed most in full: the same brief, each
# annotator's gold beside it.

# %%
display(
    pd.DataFrame(
        [
            {"example": c.example_id, "A overall": c.before, "B overall": c.after, "Δ": c.delta}
            for c in ruler.changes
        ]
    )
    .style.format(precision=3, na_rep="—")
    .hide(axis="index")
)
most = ruler.changes[0].example_id
view_a = example_view(runs["synthetic"], most, session.datasets["synthetic"])
view_b = example_view(run_second, most, second)
pd.DataFrame(
    [
        {
            "section": a.section,
            "brief": "\n".join(section_lines(a.brief)),
            "gold (writer A)": "\n".join(section_lines(a.gold)),
            "score A": a.score,
            "gold (second annotator)": "\n".join(section_lines(b.gold)),
            "score B": b.score,
        }
        for a, b in zip(view_a.sections, view_b.sections)
        if a.score != b.score
    ]
).style.format(precision=2, na_rep="—").set_properties(
    **{"white-space": "pre-wrap", "text-align": "left"}
).hide(axis="index")


# %% [markdown]
# ## The regression gate (what CI runs)
#
# CI evaluates the current code against a stored baseline (`assist eval --json` output) and fails if
# `overall` or any section drops by more than `--max-drop` (0.02), if a section stops being scored, if more
# examples fail than before, or if the baseline measured something else (another dataset, its version, another
# program or model) — and names the examples that got worse. `eval.gate.check` is that decision:

# %%
# Today's rules against the committed baseline; then the second annotator's run against writer A's, which the
# gate refuses: a baseline made on other data measures something else.
display(
    gate_html(
        check(runs["synthetic"].to_json(), baseline.to_json()), baseline=baseline, current=runs["synthetic"]
    )
)
display(
    gate_html(
        check(run_second.to_json(), runs["synthetic"].to_json()),
        baseline=runs["synthetic"],
        current=run_second,
    )
)

# %% [markdown]
# The second gate compares run means over different sets of calls (48 and 16), so it also lists sections that
# the paired comparison above found unmoved on the 16 calls both runs share: for "did my change help?", pair.
#
# CI gates every bundled set against its own committed baseline (`eval/baseline/NAME.json`), the held-out ones
# too: a change that helps only the sets it was tuned on shows up there as a drop. Today's runs above, gated
# the same way:

# %%
gates = []
for name, run in runs.items():
    committed = json.loads(bundled_set(name).baseline.read_text())
    result = check(run.to_json(), committed)
    problems = [f"not comparable: {m}" for m in result.mismatches] + [str(r) for r in result.regressions]
    gates.append(
        {
            "set": bundled_set(name).label,
            "baseline overall": committed["scores"]["overall"],
            "today overall": run.section_scores()["overall"],
            "gate": "PASS" if result.passed else "FAIL",
            "why": "; ".join(problems) or f"no section dropped by more than {result.max_drop}",
        }
    )
pd.DataFrame(gates).style.format(precision=3).map(
    lambda verdict: "color:#2e7d32;font-weight:700" if verdict == "PASS" else "color:#c62828;font-weight:700",
    subset=["gate"],
).hide(axis="index")

# %% [markdown]
# And the commands themselves, as CI and an analyst call them: the current code's `rules` program is evaluated
# (in its own database) and gated against the committed baseline — the exit status is what fails the build —
# then `assist runs compare` pairs the two runs, the baseline file included.

# %%
ci_db = str(session.workdir / "ci.duckdb")
baseline_file = str(bundled_set("synthetic").baseline)
dataset_file = str(bundled_set("synthetic").path)
# Plain text, as in a CI log: the kernel forces colour on for its children, the CLI would then draw progress bars.
plain = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "CLICOLOR_FORCE"}} | {
    "COLUMNS": "100"
}
for shown, args in (
    (
        "assist eval --dataset datasets/synthetic/calls.jsonl --baseline eval/baseline/synthetic.json --max-drop 0.02",
        ["eval", "--db", ci_db, "--dataset", dataset_file, "--baseline", baseline_file, "--max-drop", "0.02"],
    ),
    (
        "assist runs compare eval/baseline/synthetic.json latest --top 3",
        ["runs", "compare", "--db", ci_db, baseline_file, "latest", "--top", "3"],
    ),
):
    # check=False: a failing gate is an answer to show, not an error.
    done = subprocess.run(
        [sys.executable, "-m", "assist", *args], capture_output=True, text=True, check=False, env=plain
    )
    print(f"$ {shown}")
    print(done.stdout + done.stderr)
    print("exit status:", done.returncode, "\n")

# %%
con.close()
session.close()  # the work directory and its DuckDB files go
