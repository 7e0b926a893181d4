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
# # 01 · Dataset tour
#
# The kit ships two labelled datasets in the interchange format (`shared/spec/labelled-transcripts.md`):
#
# | dataset | file | what it is |
# |---|---|---|
# | `harper_valley` | `datasets/harper_valley/dev.jsonl` | 61 real bank calls (Harper Valley Bank corpus), **partial** gold: caller name, information collected, task type |
# | `synthetic` | `datasets/synthetic/calls.jsonl` | written contact-center calls with **full** gold: sentiment, transfer reason, markers, compliance flags, … |
#
# This notebook loads both into DuckDB — the conversations into the kit's own `ConversationStore`, the gold
# labels into flat tables next to it — and then counts, charts and queries them with SQL.
# Everything runs offline; the DuckDB file lives in a temporary directory, never in the repository.

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from pandas.io.formats.style import Styler

from assist.interchange import read_examples
from assist.schema import MARKER_TYPES, SENTIMENT_LEVELS, Gold
from assist.store import ConversationStore

# The notebook may be started from notebooks/ or from the repository root: find the root by its pyproject.toml.
REPO = next(p for p in (Path.cwd(), *Path.cwd().parents) if (p / "pyproject.toml").exists())
DATASETS = {
    "harper_valley": REPO / "datasets/harper_valley/dev.jsonl",
    "synthetic": REPO / "datasets/synthetic/calls.jsonl",
}
WORKDIR = Path(tempfile.mkdtemp(prefix="assist-tour-"))
pd.set_option("display.max_colwidth", 90)
print("repository:", REPO)
print("DuckDB file:", WORKDIR / "tour.duckdb")

# %% [markdown]
# ## Load
#
# `read_examples` validates every line against the schema (a bad line stops with its line number and field), so
# what lands in DuckDB is exactly what the eval harness and the brief programs see.

# %%
examples = {name: [example for example in read_examples(path)] for name, path in DATASETS.items()}

store = ConversationStore(WORKDIR / "tour.duckdb")
for name, items in examples.items():
    store.add_many(name, [example.conversation for example in items])  # one organization per dataset
con = store.cursor()

# Flat tables next to the store: one row per example / turn / labelled section / marker / flag / collected item.
con.execute("""
    CREATE OR REPLACE TABLE examples (
        dataset VARCHAR, id VARCHAR, conversation_id VARCHAR, tags VARCHAR, turns INTEGER, caller_turns INTEGER,
        duration_seconds INTEGER, caller_name VARCHAR, sentiment VARCHAR, transfer_reason VARCHAR);
    CREATE OR REPLACE TABLE turns (dataset VARCHAR, id VARCHAR, turn INTEGER, role VARCHAR, content VARCHAR);
    CREATE OR REPLACE TABLE gold_sections (dataset VARCHAR, id VARCHAR, section VARCHAR);
    CREATE OR REPLACE TABLE gold_markers (dataset VARCHAR, id VARCHAR, turn INTEGER, type VARCHAR);
    CREATE OR REPLACE TABLE gold_flags (dataset VARCHAR, id VARCHAR, type VARCHAR, description VARCHAR);
    CREATE OR REPLACE TABLE gold_info (dataset VARCHAR, id VARCHAR, key VARCHAR, value VARCHAR);
""")
# The brief sections gold can label (extra gold keys such as Harper Valley's task_types are not sections).
BRIEF_SECTIONS = set(Gold.model_fields)
rows: dict[str, list[tuple[object, ...]]] = {
    "examples": [],
    "turns": [],
    "gold_sections": [],
    "gold_markers": [],
    "gold_flags": [],
    "gold_info": [],
}
for name, items in examples.items():
    for ex in items:
        conv, gold = ex.conversation, ex.gold
        rows["examples"].append(
            (
                name,
                ex.id,
                conv.id,
                ", ".join(ex.tags),
                len(conv.turns),
                sum(turn.role == "user" for turn in conv.turns),
                conv.duration_seconds,
                gold.caller_name if gold else None,
                gold.sentiment if gold else None,
                gold.transfer_reason if gold else None,
            )
        )
        rows["turns"] += [
            (name, ex.id, index, turn.role, turn.content) for index, turn in enumerate(conv.turns)
        ]
        if gold is None:
            continue
        rows["gold_sections"] += [
            (name, ex.id, section) for section in sorted(gold.labelled() & BRIEF_SECTIONS)
        ]
        rows["gold_markers"] += [(name, ex.id, m.turn, m.type) for m in gold.markers or []]
        rows["gold_flags"] += [(name, ex.id, f.type, f.description) for f in gold.compliance_flags or []]
        rows["gold_info"] += [(name, ex.id, i.key, i.value) for i in gold.information_collected or []]
for table, table_rows in rows.items():
    if table_rows:
        con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(table_rows[0]))})", table_rows)


def sql(query: str) -> pd.DataFrame:
    """Run SQL against the tour database and return a DataFrame (renders as a table)."""
    return con.sql(query).df()


def table(frame: pd.DataFrame) -> Styler:
    """A query result as a readable table: text left-aligned, no row numbers."""
    text = frame.select_dtypes(exclude="number").columns
    return (
        frame.style.hide(axis="index")
        .format(precision=1, na_rep="")
        .set_properties(subset=text, **{"text-align": "left"})
        .set_table_styles([{"selector": "th", "props": "text-align: left"}])
    )


table(sql("SELECT table_name, estimated_size AS row_count FROM duckdb_tables() ORDER BY table_name"))

# %% [markdown]
# ## At a glance

# %%
table(
    sql("""
    SELECT dataset,
           count(*)                          AS calls,
           sum(turns)::INTEGER               AS turns,
           round(avg(turns), 1)              AS turns_per_call,
           round(avg(duration_seconds))      AS avg_duration_s,
           count(DISTINCT caller_name)       AS distinct_gold_names
    FROM examples GROUP BY dataset ORDER BY dataset
""")
)

# %% [markdown]
# ## Which sections have gold?
#
# Gold is partial: a section absent from an example's gold is not scored for it. This is why the eval report
# shows `n` next to every section score.

# %%
coverage = (
    sql("""
    SELECT section, dataset, count(*) AS examples
    FROM gold_sections GROUP BY ALL
""")
    .pivot(index="section", columns="dataset", values="examples")
    .fillna(0)
    .astype(int)
)
coverage = coverage.sort_values(list(coverage.columns), ascending=False)
ax = coverage.plot.barh(figsize=(8, 4), title="Examples with gold, per section")
ax.invert_yaxis()
ax.set_xlabel("examples")
plt.tight_layout()
plt.show()
coverage

# %% [markdown]
# ## Sentiment, markers, compliance flags

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4))

sentiment = sql("SELECT sentiment, count(*) AS calls FROM examples WHERE sentiment IS NOT NULL GROUP BY ALL")
sentiment = sentiment.set_index("sentiment").reindex(SENTIMENT_LEVELS, fill_value=0)
sentiment["calls"].plot.bar(ax=axes[0], color=["#4caf50", "#cddc39", "#ffc107", "#ff5722", "#b71c1c"])
axes[0].set_title("Gold caller sentiment (calm → escalated)")
axes[0].set_xlabel("")
axes[0].tick_params(axis="x", rotation=30)

markers = sql("SELECT type, count(*) AS markers FROM gold_markers GROUP BY ALL")
markers = markers.set_index("type").reindex(MARKER_TYPES, fill_value=0)
markers["markers"].plot.barh(ax=axes[1], color="#3f51b5")
axes[1].set_title("Gold transcript markers by type")
axes[1].set_ylabel("")
axes[1].invert_yaxis()

flags = sql("SELECT type, count(*) AS flags FROM gold_flags GROUP BY ALL ORDER BY flags DESC")
flags.set_index("type")["flags"].plot.barh(ax=axes[2], color="#e91e63")
axes[2].set_title("Gold compliance flags by type")
axes[2].set_ylabel("")
axes[2].invert_yaxis()

plt.tight_layout()
plt.show()
sentiment.T

# %% [markdown]
# Where in a call do the markers sit? Position 0 is the first turn, 1 the last.

# %%
positions = sql("""
    SELECT m.type, m.turn / greatest(e.turns - 1, 1) AS position
    FROM gold_markers m JOIN examples e USING (dataset, id)
""")
present = [t for t in MARKER_TYPES if t in set(positions["type"])]
fig, ax = plt.subplots(figsize=(9, 3.5))
ax.boxplot([positions.loc[positions["type"] == t, "position"] for t in present], orientation="horizontal")
ax.set_yticks(range(1, len(present) + 1), present)
ax.invert_yaxis()
ax.set_xlabel("relative position in the call")
ax.set_title("Marker position within the call")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Call length

# %%
lengths = sql("SELECT dataset, turns FROM examples")
fig, ax = plt.subplots(figsize=(8, 3.5))
for name, group in lengths.groupby("dataset"):
    ax.hist(group["turns"], bins=range(0, int(lengths["turns"].max()) + 3, 2), alpha=0.6, label=name)
ax.set_xlabel("turns per call")
ax.set_ylabel("calls")
ax.legend()
ax.set_title("Call length")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## SQL over the tables
#
# The tables are ordinary DuckDB tables: `examples`, `turns`, `gold_sections`, `gold_markers`, `gold_flags`,
# `gold_info`, plus the store's own `conversations` (one organization per dataset). A few questions an analyst
# might ask:
#
# **What did callers actually say when the gold marks frustration?**

# %%
table(
    sql("""
    SELECT m.dataset, m.id, m.turn, t.content AS caller_said
    FROM gold_markers m JOIN turns t USING (dataset, id, turn)
    WHERE m.type = 'frustration'
    ORDER BY m.dataset, m.id, m.turn
    LIMIT 10
""")
)

# %% [markdown]
# **Which compliance flags come with which sentiment?**

# %%
table(
    sql("""
    SELECT f.type AS flag, e.sentiment, count(*) AS calls
    FROM gold_flags f JOIN examples e USING (dataset, id)
    GROUP BY ALL ORDER BY flag, calls DESC
""")
)

# %% [markdown]
# **What do callers give the agent?** The most common information-collected keys, per dataset.

# %%
table(
    sql("""
    SELECT dataset, key, count(*) AS times, any_value(value) AS example_value
    FROM gold_info GROUP BY ALL ORDER BY dataset, times DESC, key
""")
    .groupby("dataset")
    .head(6)
)

# %% [markdown]
# **Harper Valley tasks** (the `tags` of the real calls) and how long each kind of call runs.

# %%
table(
    sql("""
    SELECT tags AS task, count(*) AS calls, round(avg(duration_seconds)) AS avg_duration_s,
           round(avg(caller_turns), 1) AS avg_caller_turns
    FROM examples WHERE dataset = 'harper_valley'
    GROUP BY ALL ORDER BY calls DESC
""")
)

# %% [markdown]
# **The store itself.** The kit's `conversations` table keeps turns as JSON; DuckDB's JSON functions query it
# directly. Here: each organization's callers and their longest call.

# %%
table(
    sql("""
    SELECT org_id, count(DISTINCT user_id) AS callers, count(*) AS conversations,
           max(json_array_length(turns)) AS longest_call_turns,
           min(created_at) AS first_call, max(created_at) AS last_call
    FROM conversations GROUP BY org_id ORDER BY org_id
""")
)

# %%
store.close()
