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
# The kit ships nine labelled datasets in the interchange format ([docs/transcripts.md](../docs/transcripts.md)):
# real bank calls from the Harper Valley Bank corpus with **partial** gold (caller name, information collected,
# task type), and contact-center calls written by seven writers with **full** gold (sentiment, transfer reason,
# markers, compliance flags, …). Four of the sets are **held out**: nobody read them or tuned a program on them,
# so their scores say how a program does on calls its developers never saw. Charts hatch them and label them
# "(held out)", and this notebook counts them but quotes no call from them.
#
# `start` sets the plotting defaults, makes a temporary work directory and loads every set (`eval.bundled`
# lists them). The conversations then go into the kit's own `ConversationStore` and the gold labels into flat
# tables next to it, in one DuckDB file, to be counted, charted and queried with SQL. Everything runs offline.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from assist.programs import BRIEF_SECTIONS
from assist.schema import COMPLIANCE_FAMILIES, MARKER_TYPES, SENTIMENT_LEVELS
from assist.store import ConversationStore, connect
from eval.bundled import bundled_set
from eval.notebook import (
    SOURCE_COLORS,
    flat_tables,
    hatch_held_out,
    set_bars,
    set_heatmap,
    sets_legend,
    start,
    table,
)

session = start("tour")  # plotting defaults, a temporary work directory, every bundled set loaded

# %% [markdown]
# ## Load
#
# `start` read every line through the schema (a bad line stops with its line number and field), so what lands
# in DuckDB is exactly what the eval harness and the brief programs see: the conversations in the store's
# `conversations` table (one organization per set), and one row per set, example, turn, labelled section,
# marker, compliance flag and collected item in `datasets`, `examples`, `turns`, `gold_sections`,
# `gold_markers`, `gold_flags` and `gold_info` (`flat_tables`).

# %%
database = session.workdir / "tour.duckdb"
with ConversationStore(database) as store:
    for name, data in session.datasets.items():
        store.add_many(name, [example.conversation for example in data.examples])
con = connect(database)
flat_tables(con, session.datasets)
print("DuckDB file:", database)


def sql(query: str) -> pd.DataFrame:
    """Run SQL against the tour database and return a DataFrame (renders as a table)."""
    return con.sql(query).df()


tables = sorted(con.sql("SELECT table_name FROM duckdb_tables()").df()["table_name"])
table(pd.DataFrame({"table": tables, "rows": [len(con.table(name)) for name in tables]}))

# %% [markdown]
# ## At a glance
#
# The development sets first, then the held-out ones.

# %%
overview = sql("""
    SELECT dataset, CASE WHEN held_out THEN 'held out' ELSE 'development' END AS use, source, origin,
           count(*)                          AS calls,
           sum(turns)::INTEGER               AS turns,
           round(avg(turns), 1)              AS turns_per_call,
           round(avg(duration_seconds))      AS avg_duration_s,
           count(DISTINCT caller_name)       AS distinct_gold_names
    FROM examples JOIN datasets USING (dataset)
    GROUP BY dataset, held_out, source, origin ORDER BY held_out, source, dataset
""")
table(overview)

# %%
names = list(overview["dataset"])
labels = [bundled_set(name).label for name in names]
lengths = sql("SELECT dataset, turns FROM examples")

fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6), sharey=True, width_ratios=(1, 2))
boxes = right.boxplot(
    [lengths.loc[lengths["dataset"] == name, "turns"] for name in names],
    positions=range(len(names)),
    orientation="horizontal",
    patch_artist=True,
    widths=0.6,
    medianprops={"color": "white", "linewidth": 2},
)
for box, source in zip(boxes["boxes"], overview["source"]):
    box.set_facecolor(SOURCE_COLORS[source])
hatch_held_out(boxes["boxes"], names)
right.set_xlabel("turns per call")
right.set_title("Call length")
# The bars after the boxes: the boxplot numbers the shared axis its own way, the bars label it with the sets.
left.bar_label(set_bars(left, names, overview["calls"]), padding=3, fontsize=9)
left.set_xlabel("calls")
left.set_title("Calls per set")
sets_legend(fig)
plt.show()

# %% [markdown]
# ## Which sections have gold?
#
# Gold is partial: a section absent from an example's gold is not scored for it. This is why the eval report
# shows `n` next to every section score. Each cell counts the set's calls with gold for the section; its colour
# is their share of the set. The red line separates the development sets from the held-out ones.

# %%
with_gold = sql("""
    SELECT section, dataset, count(*) AS examples
    FROM gold_sections GROUP BY ALL
""").pivot(index="section", columns="dataset", values="examples")
coverage = with_gold.reindex(index=list(BRIEF_SECTIONS), columns=names).fillna(0).astype(int)
share = coverage / overview.set_index("dataset")["calls"]

fig, ax = plt.subplots(figsize=(11, 4.8))
image = set_heatmap(ax, share, text=coverage)
ax.set_title("Calls with gold, per section and set")
fig.colorbar(image, ax=ax, label="share of the set's calls", shrink=0.8)
plt.show()
coverage.rename(columns=dict(zip(names, labels)))

# %% [markdown]
# ## Sentiment, markers, compliance flags
#
# Only the written sets label these (Harper Valley's gold has no sentiment, markers or flags).

# %%
written = [name for name in names if bundled_set(name).source == "synthetic"]
sentiment = sql("SELECT dataset, sentiment, count(*) AS calls FROM examples GROUP BY ALL")
sentiment = sentiment.pivot(index="dataset", columns="sentiment", values="calls")
sentiment = sentiment.reindex(index=written, columns=SENTIMENT_LEVELS).fillna(0)
shares = sentiment.div(sentiment.sum(axis=1), axis=0)

fig, ax = plt.subplots(figsize=(11, 4))
start_at = np.zeros(len(shares))
for level, color in zip(SENTIMENT_LEVELS, ("#4caf50", "#cddc39", "#ffc107", "#ff5722", "#b71c1c")):
    bars = ax.barh(range(len(shares)), shares[level], left=start_at, color=color, label=level)
    hatch_held_out(bars, list(shares.index))
    start_at += shares[level].to_numpy()
ax.set_yticks(range(len(shares)), [bundled_set(name).label for name in shares.index])
ax.invert_yaxis()
ax.set_xlim(0, 1)
ax.set_xlabel("share of the set's calls")
ax.set_title("Gold caller sentiment (calm → escalated)")
fig.legend(loc="outside right upper", title="sentiment")
plt.show()
sentiment.astype(int).rename(index=lambda name: bundled_set(name).label)

# %% [markdown]
# Markers and flags per call, so that sets of different sizes compare. Flag types are an open set: a type
# outside the three documented families would count as `other` (a row shown only when there is one).

# %%
calls = overview.set_index("dataset")["calls"]
markers = sql("SELECT type, dataset, count(*) AS markers FROM gold_markers GROUP BY ALL")
markers = markers.pivot(index="type", columns="dataset", values="markers")
markers = markers.reindex(index=list(MARKER_TYPES), columns=written).fillna(0) / calls[written]
families = ", ".join(f"'{family}'" for family in COMPLIANCE_FAMILIES)
flags = sql(f"""
    SELECT CASE WHEN type IN ({families}) THEN type ELSE 'other' END AS family, dataset, count(*) AS flags
    FROM gold_flags GROUP BY ALL
""").pivot(index="family", columns="dataset", values="flags")
other = ["other"] if "other" in flags.index else []
flags = flags.reindex(index=[*COMPLIANCE_FAMILIES, *other], columns=written).fillna(0) / calls[written]

fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 8), height_ratios=(len(markers), len(flags)))
set_heatmap(top, markers, text=markers.map("{:.1f}".format), cmap="Purples", vmax=markers.max().max())
top.set_title("Gold markers per call, by type")
set_heatmap(bottom, flags, text=flags.map("{:.2f}".format), cmap="RdPu", vmax=flags.max().max())
bottom.set_title("Gold compliance flags per call, by family")
plt.show()

# %% [markdown]
# Where in a call do the markers sit? Position 0 is the first turn, 1 the last (all the written sets together).

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
plt.show()

# %% [markdown]
# ## SQL over the tables
#
# The tables are ordinary DuckDB tables: `datasets`, `examples`, `turns`, `gold_sections`, `gold_markers`,
# `gold_flags`, `gold_info`, plus the store's own `conversations` (one organization per set). A few questions
# an analyst might ask. The ones that quote calls or labels ask the development sets only: reading a held-out
# set's calls is how it stops being held out.
#
# **What did callers actually say when the gold marks frustration?**

# %%
table(
    sql("""
    SELECT m.dataset, m.id, m.turn, t.content AS caller_said
    FROM gold_markers m JOIN turns t USING (dataset, id, turn) JOIN datasets d USING (dataset)
    WHERE m.type = 'frustration' AND NOT d.held_out
    ORDER BY m.dataset, m.id, m.turn
    LIMIT 10
""")
)

# %% [markdown]
# **Which compliance flags come with which sentiment?** (every written set, flags by family)

# %%
table(
    sql(f"""
    SELECT CASE WHEN f.type IN ({families}) THEN f.type ELSE 'other' END AS flag, e.sentiment,
           count(*) FILTER (WHERE NOT d.held_out) AS development_calls,
           count(*) FILTER (WHERE d.held_out) AS held_out_calls
    FROM gold_flags f JOIN examples e USING (dataset, id) JOIN datasets d USING (dataset)
    GROUP BY ALL ORDER BY flag, development_calls + held_out_calls DESC, e.sentiment
""")
)

# %% [markdown]
# **What do callers give the agent?** The most common information-collected keys of each development set.

# %%
table(
    sql("""
    SELECT dataset, key, count(*) AS times, any_value(value) AS example_value
    FROM gold_info JOIN datasets USING (dataset)
    WHERE NOT held_out
    GROUP BY ALL ORDER BY dataset, times DESC, key
""")
    .groupby("dataset")
    .head(4)
)

# %% [markdown]
# **Harper Valley tasks** (the `tags` of the real calls) and how long each kind of call runs, in the
# development calls and the held-out ones.

# %%
table(
    sql("""
    SELECT tags AS task,
           count(*) FILTER (WHERE dataset = 'harper_valley') AS development_calls,
           count(*) FILTER (WHERE dataset = 'harper_valley_heldout') AS held_out_calls,
           round(avg(duration_seconds)) AS avg_duration_s,
           round(avg(caller_turns), 1) AS avg_caller_turns
    FROM examples JOIN datasets USING (dataset) WHERE source = 'real'
    GROUP BY ALL ORDER BY development_calls + held_out_calls DESC, task
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
    FROM conversations JOIN datasets ON org_id = dataset
    GROUP BY org_id, held_out ORDER BY held_out, org_id
""")
)

# %%
con.close()
session.close()  # the work directory and its DuckDB file go
