"""The analyst notebooks: paired with their jupytext scripts, committed without outputs, and each one runs
top to bottom headless with no API key and no LiveKit server, producing the output an analyst comes for.

Each notebook is executed once per session (nbclient, kernel ``python3``, working directory ``notebooks/``
as in JupyterLab); the per-notebook tests then read the executed cells.
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from assist.interchange import read_examples
from eval.bundled import BUNDLED, load_bundled
from eval.metrics import SECTIONS
from tests.conftest import HARPER_VALLEY, ROOT

NOTEBOOKS_DIR = ROOT / "notebooks"
NAMES = ("01_dataset_tour", "02_brief_playground", "03_eval_and_compare", "04_live_monitoring")
#: Anything that would let a notebook reach a hosted model or a real LiveKit deployment.
SECRET_ENV = (
    "ASSIST_LM",
    "ASSIST_LM_API_BASE",
    "LIVEKIT_URL",
    "LIVEKIT_API_KEY",
    "LIVEKIT_API_SECRET",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "ASSIST_JUDGE_LM",
    "ASSIST_JUDGE_API_BASE",
)
#: The issue's budget per notebook; the cell timeout is the hard stop.
BUDGET_SECONDS = 120
#: The notebooks that open with ``session = start(...)`` (``eval/notebook.py``) and close it in their last cell.
SESSIONS = ("01_dataset_tour", "03_eval_and_compare")


@dataclass(frozen=True)
class Run:
    nb: nbformat.NotebookNode
    seconds: float
    #: The failing cell's error, as nbclient reports it; ``None`` when every cell ran.
    error: str | None


Executed = dict[str, Run]


@pytest.fixture(scope="session")
def executed() -> Executed:
    """Every notebook run once, concurrently (one fresh kernel each, no secrets in the environment).

    The kernels run side by side to keep the suite fast, so a notebook's time here is an upper bound on its
    time alone.
    """
    notebooks = {name: nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4) for name in NAMES}
    for name, nb in notebooks.items():
        # Extra cells after the notebook's own: whether its work directory is gone, which interpreter ran it.
        if name in SESSIONS:
            nb.cells.append(
                nbformat.v4.new_code_cell("print('work directory kept:', session.workdir.exists())")
            )
        nb.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable)"))
    runs: Executed = {}

    async def run(name: str) -> None:
        started = time.perf_counter()
        client = NotebookClient(
            notebooks[name],
            timeout=BUDGET_SECONDS,
            kernel_name="python3",
            resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
        )
        error = None
        try:
            await client.async_execute()
        except CellExecutionError as exc:
            error = str(exc)
        runs[name] = Run(notebooks[name], time.perf_counter() - started, error)

    async def run_all() -> None:
        await asyncio.gather(*(run(name) for name in NAMES))

    before = _litter()
    with pytest.MonkeyPatch.context() as patch:
        for variable in SECRET_ENV:
            patch.delenv(variable, raising=False)
        asyncio.run(run_all())
    created = _litter() - before
    assert not created, f"the notebooks wrote into the repository: {sorted(map(str, created))}"
    return runs


def execute_with(name: str, **env: str) -> nbformat.NotebookNode:
    """Notebook ``name`` run once more, with no secrets in the environment but ``env`` (a scripted model)."""
    nb = nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
    with pytest.MonkeyPatch.context() as patch:
        for variable in SECRET_ENV:
            patch.delenv(variable, raising=False)
        for variable, value in env.items():
            patch.setenv(variable, value)
        client = NotebookClient(
            nb,
            timeout=BUDGET_SECONDS,
            kernel_name="python3",
            resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
        )
        client.execute()
    return nb


def ran(executed: Executed, name: str) -> nbformat.NotebookNode:
    run = executed[name]
    if run.error is not None:
        pytest.fail(f"{name} failed:\n{run.error}")
    return run.nb


def _litter() -> set[Path]:
    """What a notebook must not leave in the repository: new files in notebooks/, DuckDB files anywhere."""
    found = set(NOTEBOOKS_DIR.rglob("*"))
    for directory, subdirectories, files in os.walk(ROOT):
        subdirectories[:] = [d for d in subdirectories if d not in {".git", ".venv", "node_modules"}]
        found |= {Path(directory) / f for f in files if ".duckdb" in f}
    return found


def outputs(nb: nbformat.NotebookNode, mime: str) -> list[str]:
    """Every output of ``mime`` (``stream`` for printed text), in cell order."""
    found: list[str] = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if mime == "stream" and output.output_type == "stream":
                found.append(output.text)
            elif mime in output.get("data", {}):
                data = output.data[mime]
                found.append(data if isinstance(data, str) else json.dumps(data))
    return found


def all_text(nb: nbformat.NotebookNode) -> str:
    return "\n".join(outputs(nb, "stream") + outputs(nb, "text/plain") + outputs(nb, "text/html"))


# --- the files as committed ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_paired_and_in_sync(name: str) -> None:
    ipynb, script = NOTEBOOKS_DIR / f"{name}.ipynb", NOTEBOOKS_DIR / f"{name}.py"
    assert ipynb.exists() and script.exists()
    from_ipynb = jupytext.read(ipynb)
    from_script = jupytext.read(script)
    assert [(c.cell_type, c.source) for c in from_ipynb.cells] == [
        (c.cell_type, c.source) for c in from_script.cells
    ], f"{name}.ipynb and {name}.py differ: run `jupytext --sync notebooks/{name}.py`"


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_committed_without_outputs(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


# --- executed headless ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_within_budget_on_the_test_interpreter(name: str, executed: Executed) -> None:
    nb = ran(executed, name)
    assert executed[name].seconds < BUDGET_SECONDS
    assert nb.cells[-1].outputs[0].text.strip() == sys.executable
    errors = [o for cell in nb.cells for o in cell.get("outputs", []) if o.output_type == "error"]
    assert errors == []


@pytest.mark.parametrize("name", SESSIONS)
def test_notebook_removes_its_work_directory_at_its_end(name: str, executed: Executed) -> None:
    """Its DuckDB files (some 8 MB) do not outlive the run: the last cell closes the session."""
    assert "work directory kept: False" in outputs(ran(executed, name), "stream")[-2]


def test_dataset_tour_counts_and_charts_every_bundled_set_and_quotes_no_held_out_call(
    executed: Executed,
) -> None:
    nb = ran(executed, "01_dataset_tour")
    assert len(outputs(nb, "image/png")) >= 5
    pages = outputs(nb, "text/html")
    overview = {
        cells[0]: cells for cells in _rows(next(page for page in pages if "distinct_gold_names" in page))
    }
    for bundled, data in zip(BUNDLED, load_bundled().values(), strict=True):
        # dataset, use, source, origin, calls: every call of every set, the held-out ones said to be
        assert overview[bundled.name][1:5] == [
            "held out" if bundled.held_out else "development",
            bundled.source,
            bundled.origin,
            str(len(data)),
        ]
    coverage = next(page for page in pages if "compliance_flags" in page and "(held out)" in page)
    assert all(f">{bundled.label}</th>" in coverage for bundled in BUNDLED)
    quoted = [page for page in pages if "caller_said" in page or "example_value" in page]
    assert len(quoted) == 2 and all("<tbody>" in page for page in quoted)
    held_out = [bundled.name for bundled in BUNDLED if bundled.held_out]
    assert not [name for page in quoted for name in held_out if f">{name}</td>" in page]


def _rows(page: str) -> list[list[str]]:
    """The cells of each body row of an HTML table, as text."""
    body = page.split("<tbody>", 1)[1]
    return [
        [html.unescape(cell.strip()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.DOTALL)
    ]


def test_brief_playground_renders_the_chosen_callers_brief(executed: Executed) -> None:
    nb = ran(executed, "02_brief_playground")
    assert "ASSIST_LM is not set" in all_text(nb)
    chosen = _chosen_example(nb)
    assert chosen.gold is not None and chosen.gold.caller_name
    briefs = [page for page in outputs(nb, "text/html") if 'class="aap"' in page]
    assert briefs, "no rendered brief"
    brief = briefs[0]
    assert re.search(
        rf'<h1 class="aap-caller"[^>]*>{re.escape(html.escape(chosen.gold.caller_name))}</h1>', brief
    )
    assert brief.count('class="aap-turn"') == len(chosen.conversation.turns)


def _chosen_example(nb: nbformat.NotebookNode) -> Any:
    marker = "chosen call: "
    line = next(
        line for text in outputs(nb, "stream") for line in text.splitlines() if line.startswith(marker)
    )
    example_id = line.removeprefix(marker).split()[0]
    for path in (HARPER_VALLEY, ROOT / "datasets" / "synthetic" / "calls.jsonl"):
        for example in read_examples(path):
            if example.id == example_id:
                return example
    raise AssertionError(f"{example_id} is in no dataset")


def test_eval_notebook_charts_scores_drills_into_an_example_and_compares_stored_runs(
    executed: Executed,
) -> None:
    nb = ran(executed, "03_eval_and_compare")
    assert len(outputs(nb, "image/png")) >= 3
    # rules on every bundled set, the held-out ones said to be, and each gated against its committed baseline
    tables = outputs(nb, "text/html")
    runs = {cells[0]: cells for cells in _rows(next(page for page in tables if "schema valid" in page))}
    gates = {cells[0]: cells for cells in _rows(next(page for page in tables if "today overall" in page))}
    for bundled, data in zip(BUNDLED, load_bundled().values(), strict=True):
        assert runs[bundled.label][1:4] == [f"{data.name}@{data.hash[:12]}", str(len(data)), "0"]
        assert gates[bundled.label][3] == "PASS", gates[bundled.label]
    pages = "\n".join(outputs(nb, "text/html"))
    text = all_text(nb)
    for section in ("caller_name", "information_collected", "overall"):
        assert section in pages
    # The weakest brief in full: every section, the brief beside its gold.
    weakest = next(
        line for line in text.splitlines() if line.startswith("weakest brief of the synthetic run: ")
    )
    views = [page for page in outputs(nb, "text/html") if "class='example-view'" in page]
    view = views[0]
    assert f"<b>{weakest.split(': ')[1]}</b> in run" in view
    assert all(f"<b>{section}</b>" in view for section in SECTIONS)
    assert "unsupported:" not in view  # rules copies its details from the call
    # The same kind of brief with a bullet the call never says: its details are flagged.
    assert "<span class='unsupported' style='color:#c62828'>unsupported: 482.50, Okonkwo</span>" in views[1]
    assert "ASSIST_LM is not set: B is rules, whose brief of this call is shown above" in text
    # The committed baseline against today's stored rules run: the same briefs, so nothing moved.
    assert "A: the committed baseline " in text and "48 examples paired; same dataset version" in text
    # The same briefs against a second annotator's gold, paired on the 16 shared ids: the ruler alone moves
    # information_collected.
    assert "compared on their 16 shared example ids" in text
    moved = next(line for line in text.splitlines() if line.startswith("moved with the annotator alone: "))
    assert "information_collected worse" in moved
    # The gate passes today's rules and refuses a baseline made on other data; so does the real CLI.
    assert ">FAIL</span>" in pages and ">PASS</span>" in pages and "not comparable: dataset" in pages
    assert text.count("exit status: 0") == 2 and "no detectable difference" in text


def test_eval_notebook_with_a_model_and_a_judge_shows_cost_salvage_and_what_the_judge_said(
    tmp_path: Path,
) -> None:
    """Notebook 03 with ``ASSIST_LM`` and ``ASSIST_JUDGE_LM`` set, against the scripted model on loopback: B is a
    judged dspy run whose answers come in a code fence, and its example view says so with tokens, cost, the
    judge's comparison with the gold and each claim."""
    from tests.scripted_lm import ScriptedLM

    with ScriptedLM() as server:
        server.add_gold(read_examples(ROOT / "datasets" / "synthetic" / "calls.jsonl"))
        nb = execute_with(
            "03_eval_and_compare",
            ASSIST_LM="openai/scripted-gold-fences",
            ASSIST_LM_API_BASE=server.api_base,
            ASSIST_JUDGE_LM="openai/scripted-judge",
            ASSIST_JUDGE_API_BASE=server.api_base,
            ASSIST_CACHE_DIR=str(tmp_path / "cache"),
        )
        assert server.requests["scripted-judge"] > 0
    views = [page for page in outputs(nb, "text/html") if "class='example-view'" in page]
    model = next(view for view in views if "(dspy on " in view)
    assert "answer repaired: read from a code fence" in model
    assert re.search(r"1 request · tokens prompt [\d,]+ · completion [\d,]+ · cost", model)
    assert re.search(r"judge P \d\.\d\d · R \d\.\d\d · F1 \d\.\d\d", model)
    assert "class='judge-claims'" in model and "supported</span>: " in model


def test_live_monitoring_shows_listen_only_grants(executed: Executed) -> None:
    nb = ran(executed, "04_live_monitoring")
    text = all_text(nb)
    assert "local demo" in text.lower()
    assert "observer-" in text
    for grant in ('"canSubscribe": true', '"canPublish": false', '"canPublishData": false', '"hidden": true'):
        assert grant in text
    assert "ConversationNotActive" in text
    assert "InvalidSignatureError" in text
    assert "ListenConnectError after" in text  # no LiveKit server here: the session says so and stops


def test_brief_playground_with_a_model_shows_what_salvage_did(tmp_path: Path) -> None:
    """Notebook 02 with ``ASSIST_LM`` set, against the scripted model on loopback: its one-bullet summary is
    filled from rules, and the notebook says so, with every note, the adapter and the tokens."""
    from tests.scripted_lm import ScriptedLM

    with ScriptedLM() as server:
        nb = execute_with(
            "02_brief_playground",
            ASSIST_LM="openai/scripted-invalid",
            ASSIST_LM_API_BASE=server.api_base,
            ASSIST_CACHE_DIR=str(tmp_path / "cache"),
        )
        assert server.request_count > 0
    text = all_text(nb)
    assert "program: dspy · model openai/scripted-invalid" in text
    assert "the model's answer had nothing usable for: call_summary (rules)" in text
    assert "adapter chat · prompt chat-" in text
    assert "  dropped call_summary: 1 usable bullets, the brief needs 3 to 5" in text
