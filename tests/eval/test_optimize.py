"""``assist optimize`` end to end against the scripted OpenAI-compatible server, on real Harper Valley calls.

The scripted model does not get better with demos, so these tests check that optimizing runs, is scored
by the eval metric, counts its requests, and that its output loads everywhere ``--program`` is accepted;
not that it improves anything.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import dspy
import pytest

from assist.cli import main
from assist.lm import configure_lm
from assist.programs import BRIEF_SECTIONS, load_program
from assist.programs.dspy_program import DSPyBriefProgram, assemble_portal
from assist.schema import AgentAssistPortal, LabelledExample, NextStep
from eval.metrics import score_example
from eval.optimize import brief_metric, optimize, to_trainset
from tests.assist_process import assist
from tests.conftest import HARPER_VALLEY
from tests.scripted_lm import ScriptedLM


@pytest.fixture(scope="module")
def scripted() -> Iterator[ScriptedLM]:
    with ScriptedLM() as server:
        yield server


def test_cli_bootstrap_then_brief_with_the_saved_program(
    scripted: ScriptedLM,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    harper_valley: list[LabelledExample],
) -> None:
    env = {
        "ASSIST_LM": "openai/scripted",
        "ASSIST_LM_API_BASE": scripted.api_base,
        "ASSIST_CACHE_DIR": str(tmp_path / "cache"),
    }
    out = tmp_path / "tuned.json"
    before = scripted.request_count
    done = assist(
        "optimize",
        "--trainset",
        str(HARPER_VALLEY),
        "--optimizer",
        "bootstrap",
        "--out",
        str(out),
        "--max-demos",
        "2",
        "--limit",
        "4",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    # Bootstrap stops asking once it has 2 demos that score >= 0.5 (the scripted caller names are right).
    assert "2 demos, 2 LM requests" in done.stdout
    assert scripted.request_count - before == 2
    saved = json.loads(out.read_text())
    assert len(saved["write"]["demos"]) == 2

    # `assist brief|eval --program PATH.json` load it through load_program, in this process to save a start-up.
    monkeypatch.setenv("ASSIST_LM", env["ASSIST_LM"])
    monkeypatch.setenv("ASSIST_LM_API_BASE", env["ASSIST_LM_API_BASE"])
    loaded = load_program(str(out))
    assert isinstance(loaded, DSPyBriefProgram) and loaded.name == "tuned"
    assert len(loaded.module.write.demos) == 2
    linda = next(example for example in harper_valley if example.id == "hv-00f7dce6fc3849a2")
    result = loaded.brief(linda.conversation)
    assert not result.fallback, result.fallback_reason
    assert result.portal.header.caller_name == "Linda Brown"


def test_optimize_without_a_model_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ASSIST_LM", raising=False)
    monkeypatch.setattr(
        sys,
        "argv",
        ["assist", "optimize", "--trainset", str(HARPER_VALLEY), "--out", str(tmp_path / "x.json")],
    )
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        (
            "error: no language model configured: set ASSIST_LM to provider/model (e.g. openai/gpt-4o-mini), "
            "or use --program rules"
        )
    ]
    assert not (tmp_path / "x.json").exists()


def test_mipro_compiles_and_round_trips(
    scripted: ScriptedLM,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    harper_valley: list[LabelledExample],
) -> None:
    """MIPROv2 ``auto="light"`` on 4 calls: instruction proposals and trials all go over HTTP."""
    lm = configure_lm("openai/scripted", api_base=scripted.api_base, cache_dir=str(tmp_path / "cache"))
    program = DSPyBriefProgram(lm=lm)
    before = scripted.request_count
    tuned, report = optimize(program, harper_valley[:4], optimizer="mipro", max_demos=1)
    assert report.optimizer == "mipro" and report.examples == 4
    assert report.lm_calls == scripted.request_count - before > 4
    assert tuned.module is not program.module
    path = tuned.save(tmp_path / "mipro.json")
    monkeypatch.setenv("ASSIST_LM", "openai/scripted")
    loaded = load_program(str(path))
    assert isinstance(loaded, DSPyBriefProgram)
    assert loaded.module.write.signature.instructions == tuned.module.write.signature.instructions
    assert loaded.module.write.demos == [
        dspy.Example(**d) for d in json.loads(path.read_text())["write"]["demos"]
    ]


def rules_portal(example: LabelledExample) -> Callable[[], AgentAssistPortal]:
    return lambda: load_program("rules").brief(example.conversation).portal


def test_the_metric_is_the_eval_score_of_the_assembled_portal(harper_valley: list[LabelledExample]) -> None:
    example = harper_valley[0]
    prediction = dspy.Prediction(
        caller_name="Patricia Brown",
        sentiment="calm",
        transfer_reason="Lost debit card",
        call_summary=["Lost a debit card", "Wants a new one", "Nothing else"],
        information_collected=[],
        suggested_next_steps=[NextStep(action="Order a replacement debit card", confidence="high")],
        markers=[],
        compliance_flags=[],
    )
    (train,) = to_trainset([example])
    metric = brief_metric([example])
    values = {section: getattr(prediction, section) for section in BRIEF_SECTIONS}
    portal, from_rules, _, _ = assemble_portal(values, example.conversation, rules=rules_portal(example))
    expected = score_example(portal, example).overall
    assert from_rules == [] and expected is not None and 0.0 < expected < 1.0  # name right, debit card missed
    assert metric(train, prediction) == expected
    # Harper Valley gold labels caller_name and information_collected; a name the model left out scores 0.
    unnamed = dspy.Prediction(**{**prediction.toDict(), "caller_name": None})
    scores = score_example(portal, example)
    assert scores.information_collected is not None
    assert metric(train, unnamed) == scores.information_collected / 2
    assert to_trainset([example.model_copy(update={"gold": None})]) == []
