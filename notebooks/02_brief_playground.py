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
# # 02 · Brief playground
#
# Build the handoff brief — what the human agent sees when a call is transferred — for one call, with both
# brief programs:
#
# * **`rules`**: deterministic, offline, milliseconds. Always available.
# * **`dspy`**: a language model fills in the judgement calls (sentiment, summary, markers, flags); code still
#   copies the phone number, duration and transcript, and drops anything not grounded in the call. Needs a
#   model in `ASSIST_LM` (e.g. `openai/gpt-4o-mini`); without one this notebook says so and shows the `rules`
#   path plus everything that can be shown without a model.
#
# Then edit the DSPy instructions and compare two instruction variants side by side.

# %%
import html
import tempfile
import time
from pathlib import Path

import pandas as pd
from IPython.display import HTML, display
from pandas.io.formats.style import Styler

from assist.interchange import read_examples
from assist.lm import LMNotConfigured
from assist.programs import load_program
from assist.programs.dspy_program import (
    BriefModule,
    DSPyBriefProgram,
    HandoffBrief,
    brief_adapter,
    numbered_transcript,
)
from assist.render import portal_html
from assist.schema import AgentAssistPortal, LabelledExample
from assist.settings import Settings
from eval.metrics import SECTIONS, score_example

REPO = next(p for p in (Path.cwd(), *Path.cwd().parents) if (p / "pyproject.toml").exists())
WORKDIR = Path(tempfile.mkdtemp(prefix="assist-playground-"))
examples: dict[str, LabelledExample] = {
    example.id: example
    for path in ("datasets/synthetic/calls.jsonl", "datasets/harper_valley/dev.jsonl")
    for example in read_examples(REPO / path)
}
pd.set_option("display.max_colwidth", 120)

# %% [markdown]
# ## Choose a call
#
# Any id from the datasets works: `syn-…` are written calls with full gold labels, `hv-…` are real Harper
# Valley bank calls (e.g. `hv-0002f70f7386445b`).

# %%
CALL_ID = "syn-008"

example = examples[CALL_ID]
gold_name = example.gold.caller_name if example.gold else None
print(
    f"chosen call: {example.id} — caller {gold_name or 'not labelled'}, {len(example.conversation.turns)} turns,"
    f" tags: {', '.join(example.tags) or 'none'}"
)

# %% [markdown]
# ## The `rules` brief
#
# Rendered exactly as the handoff page renders it (`assist.render.portal_html`; in Jupyter an
# `AgentAssistPortal` displays itself this way).

# %%
rules = load_program("rules")
started = time.perf_counter()
rules_result = rules.brief(example.conversation)
print(
    f"program: {rules_result.program} · {1000 * (time.perf_counter() - started):.1f} ms · "
    f"ungrounded items dropped: {rules_result.ungrounded_dropped}"
)
rules_result.portal

# %% [markdown]
# ### Against the gold labels
#
# Each section next to what the labeller wrote, with the eval harness's score for it (`eval.metrics`; 1.0 is
# perfect, blank means the section has no gold for this call).


# %%
def section_value(portal: AgentAssistPortal, section: str) -> object:
    if section == "sentiment":
        return portal.header.sentiment.level
    if section == "caller_name":
        return portal.header.caller_name
    if section == "markers":
        return [f"{m.type} @ turn {i}" for i, turn in enumerate(portal.transcript) for m in turn.markers]
    return getattr(portal, section)


def gold_value(example: LabelledExample, section: str) -> object:
    value = getattr(example.gold, section, None) if example.gold else None
    if section == "markers" and value is not None:
        return [f"{m.type} @ turn {m.turn}" for m in value]
    return value


def as_text(value: object) -> str:
    """A section as lines of text: list items one per line, an item's fields joined by " · "."""
    if value is None:
        return "(not labelled)"
    if isinstance(value, str):
        return value
    assert isinstance(value, list)
    return "\n".join(
        item if isinstance(item, str) else " · ".join(str(v) for v in item.model_dump().values())
        for item in value
    )


def against_gold(portal: AgentAssistPortal, example: LabelledExample) -> Styler:
    """Section by section: the brief, the gold, and the eval score (blank: no gold for that section)."""
    scores = score_example(portal, example)
    print(
        f"overall score: {scores.overall:.2f}" if scores.overall is not None else "no gold to score against"
    )
    table = pd.DataFrame(
        [
            {
                "section": s,
                "brief": as_text(section_value(portal, s)),
                "gold": as_text(gold_value(example, s)),
                "score": getattr(scores, s),
            }
            for s in SECTIONS
        ]
    ).set_index("section")
    return (
        table.style.format({"score": "{:.2f}"}, na_rep="")
        .background_gradient(subset=["score"], cmap="RdYlGn", vmin=0, vmax=1)
        .set_properties(subset=["brief", "gold"], **{"text-align": "left", "white-space": "pre-wrap"})
        .set_table_styles([{"selector": "th.col_heading", "props": "text-align: left"}])
    )


against_gold(rules_result.portal, example)

# %% [markdown]
# ## The `dspy` brief
#
# The `dspy` program sends the transcript, as numbered turns, to the model named by `ASSIST_LM` (provider/model
# as LiteLLM spells it), optionally at `ASSIST_LM_API_BASE` (any OpenAI-compatible server, e.g. a local one).
# Set them in the shell that starts Jupyter, for example:
#
# ```bash
# export ASSIST_LM=openai/gpt-4o-mini OPENAI_API_KEY=...            # a hosted model
# export ASSIST_LM=openai/qwen2.5-7b-instruct ASSIST_LM_API_BASE=http://127.0.0.1:8000/v1   # a local server
# ```

# %%
LM = Settings().assist_lm
if LM:
    dspy_program = load_program("dspy")
    started = time.perf_counter()
    dspy_result = dspy_program.brief(example.conversation)
    print(
        f"program: {dspy_result.program} · model {LM} · {time.perf_counter() - started:.1f} s · "
        f"LM requests: {dspy_program.lm_calls} · ungrounded items dropped: {dspy_result.ungrounded_dropped}"
    )
    if dspy_result.fallback:
        print(f"the model failed, so this is the rules brief: {dspy_result.fallback_reason}")
    elif dspy_result.sections_from_rules:
        print(
            f"the model's answer had nothing usable for: {', '.join(dspy_result.sections_from_rules)} (rules)"
        )
    usage = dspy_result.usage
    if usage is not None:
        print(
            f"adapter {dspy_result.adapter} · prompt {dspy_result.prompt_version} · tokens {usage.prompt_tokens} in, "
            f"{usage.completion_tokens} out · cost {usage.cost_usd if usage.cost_usd is not None else 'unknown'}"
        )
    for note in dspy_result.salvage:  # every item the kit dropped, cut or repaired in the model's answer
        print(f"  {note.action} {note.section}{'' if note.item is None else f'[{note.item}]'}: {note.reason}")
    display(dspy_result.portal)
    display(against_gold(dspy_result.portal, example))
else:
    print(
        "ASSIST_LM is not set, so there is no model for the dspy program (the rules brief above is what the "
        "kit serves). Set ASSIST_LM (see above) and restart the kernel to run it. Asking for it anyway:"
    )
    try:
        load_program("dspy")
    except LMNotConfigured as exc:
        print(f"  load_program('dspy') -> {type(exc).__name__}: {exc}")

# %% [markdown]
# What the model is given does not need a model to look at. This is the exact chat DSPy sends for this call
# (in the `chat` format: the signature's instructions, then its fields, then the numbered transcript; the
# `json` format asks for one JSON object instead):

# %%
messages = brief_adapter("chat").format(
    HandoffBrief, demos=[], inputs={"transcript": numbered_transcript(example.conversation)}
)
for message in messages:
    print(f"──── {message['role']} ({len(message['content'])} characters) ────")
    print(message["content"])

# %% [markdown]
# ## Edit the instructions, compare two variants
#
# The instructions are the signature's docstring. Write a variant, then compare it with the shipped one.
# `module.write.signature` is what DSPy's optimizers rewrite too, and `save()` stores it, so a variant you like
# can be saved and served: `assist brief --program path/to/variant.json`.

# %%
SHIPPED = HandoffBrief.instructions
TERSE = SHIPPED + (
    "\n\nWrite for an agent who has ten seconds: every summary bullet under twelve words, the transfer reason "
    "under fifteen. Mark every caller turn that shows frustration, and every turn where the AI agent promised "
    "something."
)
variants = {"shipped": HandoffBrief, "terse": HandoffBrief.with_instructions(TERSE)}


def module_with(signature: type[HandoffBrief]) -> BriefModule:
    module = BriefModule()
    module.write.signature = signature
    return module


saved = {name: WORKDIR / f"{name}.json" for name in variants}
for name, signature in variants.items():
    module_with(signature).save(str(saved[name]))
print("saved:", ", ".join(str(path) for path in saved.values()))


# %% [markdown]
# The two variants' signatures side by side — instructions (lines only one variant has are highlighted) and
# output fields:


# %%
def paragraphs(text: str) -> list[str]:
    return [" ".join(block.split()) for block in text.split("\n\n") if block.strip()]


def signature_html(name: str, signature: type[HandoffBrief], other: type[HandoffBrief]) -> str:
    theirs = set(paragraphs(other.instructions))
    instructions = "".join(
        f'<p style="padding:2px 4px;background:{"#e6ffec" if block not in theirs else "transparent"}">'
        f"{html.escape(block)}</p>"
        for block in paragraphs(signature.instructions)
    )
    fields = "".join(
        f'<tr><td style="text-align:left"><code>{html.escape(field)}</code></td>'
        f'<td style="text-align:left">{html.escape(str(info.json_schema_extra["desc"]))}</td></tr>'
        for field, info in signature.output_fields.items()
    )
    prompt = brief_adapter("chat").format(
        signature, demos=[], inputs={"transcript": numbered_transcript(example.conversation)}
    )
    return (
        f'<div style="flex:1;min-width:360px;border:1px solid #ddd;border-radius:8px;padding:8px 12px">'
        f"<h3 style='margin-top:0'>{html.escape(name)}</h3><h4>Instructions</h4>{instructions}"
        f"<h4>Output fields</h4><table style='font-size:12px'>{fields}</table>"
        f"<p style='color:#666'>system prompt: {len(prompt[0]['content'])} characters</p></div>"
    )


(shipped_sig, terse_sig) = variants.values()
display(
    HTML(
        '<div style="display:flex;gap:12px;align-items:flex-start">'
        + signature_html("shipped", shipped_sig, terse_sig)
        + signature_html("terse", terse_sig, shipped_sig)
        + "</div>"
    )
)

# %% [markdown]
# ### Run both variants on a handful of calls
#
# With a model configured, each variant briefs the same few fully labelled calls and the eval metrics score
# them. (Answers are cached under `.assist-cache/`, so re-running costs nothing.)

# %%
HANDFUL = [CALL_ID, *[i for i in examples if i.startswith("syn-") and i != CALL_ID][:4]]


def side_by_side(briefs: dict[str, AgentAssistPortal]) -> HTML:
    columns = "".join(
        f'<div style="flex:1;min-width:620px"><h3>{html.escape(name)}</h3>{portal_html(portal)}</div>'
        for name, portal in briefs.items()
    )
    return HTML(f'<div style="display:flex;gap:12px;overflow-x:auto">{columns}</div>')


if LM:
    programs = {
        name: DSPyBriefProgram(module=module_with(signature), name=name)
        for name, signature in variants.items()
    }
    rows = []
    briefs: dict[str, AgentAssistPortal] = {}
    for call_id in HANDFUL:
        for name, program in programs.items():
            result = program.brief(examples[call_id].conversation)
            scores = score_example(result.portal, examples[call_id])
            rows.append(
                {
                    "call": call_id,
                    "variant": name,
                    "fallback": result.fallback,
                    **{s: getattr(scores, s) for s in ("overall", *SECTIONS)},
                }
            )
            if call_id == CALL_ID:
                briefs[name] = result.portal
    results = pd.DataFrame(rows)
    display(results.pivot(index="call", columns="variant", values="overall").style.format("{:.2f}"))
    display(results.groupby("variant")[["overall", *SECTIONS]].mean().T.style.format("{:.2f}", na_rep=""))
    display(side_by_side(briefs))
else:
    print(f"ASSIST_LM is not set: not running the variants on {', '.join(HANDFUL)}.")
    print(
        "With a model, this cell briefs each call with each variant, scores both against the gold, and shows "
        "the two briefs of the chosen call side by side."
    )
    print("From a shell, the same comparison over a whole dataset:")
    for name, path in saved.items():
        print(f"  assist eval --dataset datasets/synthetic/calls.jsonl --program {path}")
