"""The regression gate fails a program made worse on purpose and passes an unchanged re-run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assist.programs import BriefResult
from assist.programs.rules import RulesProgram
from assist.schema import Conversation
from eval.dataset import Dataset, load_dataset
from eval.gate import check, fallback_failure
from eval.metrics import SECTIONS
from eval.runner import run_eval
from tests.conftest import (
    HARPER_VALLEY,
    HARPER_VALLEY_HELDOUT,
    ROOT,
    SYNTHETIC,
    SYNTHETIC_DEV2,
    SYNTHETIC_DEV3,
    SYNTHETIC_DEV4,
    SYNTHETIC_HELDOUT,
    SYNTHETIC_HELDOUT2,
    SYNTHETIC_HELDOUT3,
)
from tests.eval.conftest import CrashingProgram, ForgetfulProgram, GoldProgram, PatchyProgram


class RulesWithoutDetails(RulesProgram):
    """The real rules program made worse on purpose: it forgets every detail it collected."""

    def brief(self, conversation: Conversation) -> BriefResult:
        result = super().brief(conversation)
        return result.model_copy(
            update={"portal": result.portal.model_copy(update={"information_collected": []})}
        )


@pytest.fixture(scope="module")
def harper() -> Dataset:
    return load_dataset(HARPER_VALLEY)


def test_an_unchanged_rerun_passes(harper: Dataset, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(run_eval(RulesProgram(), harper).to_json()))
    result = check(run_eval(RulesProgram(), harper).to_json(), json.loads(baseline.read_text()), max_drop=0.0)
    assert result.passed
    assert result.regressions == [] and result.worse_examples == [] and result.notes == []
    assert result.mismatches == []


def test_a_worse_program_fails_and_the_worse_examples_are_named(harper: Dataset) -> None:
    baseline = run_eval(GoldProgram(harper.examples), harper).to_json()
    result = check(run_eval(ForgetfulProgram(harper.examples), harper).to_json(), baseline, max_drop=0.02)
    assert not result.passed
    assert {r.metric for r in result.regressions} == {"overall", "caller_name", "information_collected"}
    named = {w.example_id for w in result.worse_examples}
    assert "hv-0002f70f7386445b" in named  # Patricia Brown, now "Unknown Caller"
    assert all(w.worst > 0.02 for w in result.worse_examples)


def test_small_drops_within_max_drop_pass(harper: Dataset) -> None:
    baseline = run_eval(GoldProgram(harper.examples), harper).to_json()
    current = json.loads(json.dumps(baseline))
    current["scores"]["caller_name"] -= 0.01
    assert check(current, baseline, max_drop=0.02).passed
    assert not check(current, baseline, max_drop=0.005).passed


def test_more_failed_examples_fail_the_gate(harper: Dataset) -> None:
    baseline = run_eval(GoldProgram(harper.examples), harper).to_json()
    result = check(run_eval(CrashingProgram(harper.examples), harper).to_json(), baseline)
    # the surviving examples score as well as before, but a third of the calls now fail
    assert [r.metric for r in result.regressions] == ["failed examples"]
    assert len(result.worse_examples) == 20
    assert all(w.drops[0].startswith("failed: RuntimeError") for w in result.worse_examples)


def test_a_section_no_longer_scored_is_a_regression(harper: Dataset) -> None:
    baseline = run_eval(GoldProgram(harper.examples), harper).to_json()
    current = json.loads(json.dumps(baseline))
    current["scores"]["information_collected"] = None
    result = check(current, baseline)
    assert [str(r) for r in result.regressions] == ["information_collected: 1.0000 -> not scored"]


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("dataset_hash", "f" * 64, "dataset harper_valley/dev changed since the baseline"),
        ("dataset", "synthetic/calls", "dataset synthetic/calls is not the baseline's harper_valley/dev"),
        ("program", "dspy", "program dspy is not the baseline's gold"),
        ("lm", "openai/gpt-4o-mini", "model openai/gpt-4o-mini is not the baseline's gold/labels"),
    ],
)
def test_a_baseline_made_on_other_data_or_by_another_program_fails_unless_allowed(
    harper: Dataset, field: str, value: str, says: str
) -> None:
    baseline = run_eval(GoldProgram(harper.examples), harper).to_json()
    current = json.loads(json.dumps(baseline)) | {field: value}
    refused = check(current, baseline, max_drop=0.0)
    assert not refused.passed and refused.regressions == []
    assert len(refused.mismatches) == 1 and refused.mismatches[0].startswith(says)
    allowed = check(current, baseline, max_drop=0.0, allow_mismatch=True)
    assert allowed.passed and allowed.mismatches == []
    assert allowed.notes == [f"{refused.mismatches[0]} (allowed)"]


def test_the_fallback_gate_fails_a_run_that_mostly_measured_rules(harper: Dataset) -> None:
    patchy = run_eval(PatchyProgram(harper.examples), harper).to_json()
    assert patchy["fallback"] == 16 and patchy["fallback_rate"] == pytest.approx(16 / 61)
    reason = fallback_failure(patchy, max_rate=0.25)
    assert reason == (
        "16 of 61 briefs (26%) fell back to rules or failed, over --max-fallback-rate 0.25: this run mostly measured "
        f"rules, not the model; most common reason (16x): {PatchyProgram.REASON}"
    )
    assert fallback_failure(patchy, max_rate=0.3) is None
    # rules talks to no model: its rate is null and never fails, whatever the limit
    rules = run_eval(RulesProgram(), harper).to_json()
    assert rules["fallback_rate"] is None and fallback_failure(rules, max_rate=0.0) is None
    with pytest.raises(ValueError, match="max-fallback-rate"):
        fallback_failure(patchy, max_rate=1.5)


class Failing(GoldProgram):
    """A model program whose every brief raises: no brief at all is worse than a fallback."""

    name = "failing"

    def brief(self, conversation: Conversation) -> BriefResult:
        raise RuntimeError("the model's answer broke the program")


def test_a_model_run_whose_briefs_all_failed_fails_the_fallback_gate(harper: Dataset) -> None:
    failed = run_eval(Failing(harper.examples), harper).to_json()
    assert failed["failed"] == 61 and failed["fallback"] == 0
    reason = fallback_failure(failed, max_rate=0.25)
    assert reason is not None and reason.startswith("61 of 61 briefs (100%) fell back to rules or failed")
    assert reason.endswith("RuntimeError: the model's answer broke the program")


def test_rules_made_worse_on_purpose_fails_against_the_rules_baseline(harper: Dataset) -> None:
    baseline = run_eval(RulesProgram(), harper).to_json()
    result = check(run_eval(RulesWithoutDetails(), harper).to_json(), baseline)
    assert not result.passed
    assert {r.metric for r in result.regressions} == {"overall", "information_collected"}
    assert result.worse_examples and all(
        any(d.startswith("information_collected") for d in w.drops) for w in result.worse_examples
    )


@pytest.mark.parametrize(
    "name",
    [
        "synthetic",
        "synthetic_dev2",
        "synthetic_dev3",
        "synthetic_dev4",
        "synthetic_heldout",
        "synthetic_heldout2",
        "synthetic_heldout3",
        "harper_valley",
        "harper_valley_heldout",
    ],
)
def test_readme_quality_table_matches_the_committed_baselines(name: str) -> None:
    """The README's table of rules scores is the baselines' numbers, so the two cannot drift apart."""
    baseline = json.loads((ROOT / "eval" / "baseline" / f"{name}.json").read_text(encoding="utf-8"))
    values = {**baseline["scores"], **baseline["metrics"]}
    # the sections in order, information's precision beside its F1, and the share of finished sentences last
    columns = [*SECTIONS, "sentences.complete"]
    columns.insert(columns.index("information_collected") + 1, "information_collected.precision")
    columns.insert(0, "overall")
    row = " | ".join("—" if values.get(key) is None else f"{values[key]:.3f}" for key in columns)
    assert f"| {row} |" in (ROOT / "README.md").read_text(encoding="utf-8"), name


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("harper_valley", HARPER_VALLEY),
        ("harper_valley_heldout", HARPER_VALLEY_HELDOUT),
        ("synthetic", SYNTHETIC),
        ("synthetic_dev2", SYNTHETIC_DEV2),
        ("synthetic_dev3", SYNTHETIC_DEV3),
        ("synthetic_dev4", SYNTHETIC_DEV4),
        ("synthetic_heldout", SYNTHETIC_HELDOUT),
        ("synthetic_heldout2", SYNTHETIC_HELDOUT2),
        ("synthetic_heldout3", SYNTHETIC_HELDOUT3),
    ],
)
def test_the_committed_baselines_are_rules_runs_of_the_datasets_as_they_are(name: str, path: Path) -> None:
    """CI gates rules on these files without --allow-baseline-mismatch: a dataset edited without re-making its
    baseline fails here first, with the reason."""
    baseline = json.loads((ROOT / "eval" / "baseline" / f"{name}.json").read_text(encoding="utf-8"))
    dataset = load_dataset(path)
    assert (baseline["program"], baseline["lm"]) == ("rules", None)
    assert (baseline["dataset"], baseline["dataset_hash"]) == (dataset.name, dataset.hash)
