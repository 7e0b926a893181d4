"""Runner: generate and score are separate, failures are recorded (not dropped), threads keep order."""

from __future__ import annotations

import pytest

from assist.programs.rules import RulesProgram
from assist.schema import LabelledExample
from eval.dataset import Dataset, load_dataset
from eval.metrics import SECTIONS
from eval.runner import generate, rescore, run_eval, score, summary_keys
from tests.conftest import HARPER_VALLEY, SYNTHETIC
from tests.eval.conftest import CrashingProgram, GoldProgram


@pytest.fixture(scope="module")
def harper() -> Dataset:
    return load_dataset(HARPER_VALLEY)


def test_generate_only_calls_the_program_and_score_only_scores(harper: Dataset) -> None:
    program = GoldProgram(harper.examples)
    predictions = generate(program, harper.examples)
    assert program.lm_calls == len(harper) == len(predictions)
    assert [p.example_id for p in predictions] == [e.id for e in harper.examples]
    scores = score(predictions, harper.examples)
    assert program.lm_calls == len(harper)  # scoring called nothing
    assert all(s.overall in (1.0, None) for s in scores)


def test_threads_give_the_same_predictions_in_the_same_order(harper: Dataset) -> None:
    one = generate(RulesProgram(), harper.examples, threads=1)
    four = generate(RulesProgram(), harper.examples, threads=4)
    assert [p.portal for p in one] == [p.portal for p in four]
    with pytest.raises(ValueError, match="threads"):
        generate(RulesProgram(), harper.examples, threads=0)


def test_a_failed_example_is_kept_with_its_error_and_null_scores(harper: Dataset) -> None:
    run = run_eval(CrashingProgram(harper.examples), harper, threads=1)
    assert run.n == 61 and run.n_failed == 20
    failed = [(p, s) for p, s in zip(run.predictions, run.scores, strict=True) if p.error]
    for prediction, scores in failed:
        assert prediction.portal is None and "backend unavailable" in prediction.error
        assert all(scores.section(s) is None for s in SECTIONS) and scores.overall is None
        assert scores.errors["generate"] == prediction.error
        example = next(e for e in harper.examples if e.id == prediction.example_id)
        assert example.gold is not None
        assert set(scores.errors) >= example.gold.labelled() & set(SECTIONS)
    document = run.to_json()
    assert document["failed"] == 20
    assert sum(e["error"] is not None for e in document["per_example"]) == 20


def test_the_json_document_has_every_section_and_null_for_unscored_ones(
    harper: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSIST_LM", "openai/some-model")
    run = run_eval(GoldProgram(harper.examples), harper, spec="gold")
    document = run.to_json()
    assert set(document["scores"]) == set(summary_keys) == {"overall", *SECTIONS}
    assert document["scores"]["caller_name"] == 1.0
    assert document["scores"]["sentiment"] is None  # Harper Valley has no sentiment gold
    assert document["n"] == len(document["per_example"]) == 61
    assert document["dataset"] == "harper_valley/dev" and document["dataset_hash"] == harper.hash
    assert document["program"] == "gold"
    assert document["lm"] == "openai/some-model" and document["lm_calls"] == 61
    assert run.program_hash is not None and run.program_config["class"].endswith("GoldProgram")
    rules = run_eval(RulesProgram(), harper)
    assert rules.lm is None and rules.lm_calls is None  # rules talks to no model


def test_rescore_scores_stored_predictions_again_without_any_program(harper: Dataset) -> None:
    run = run_eval(RulesProgram(), harper)
    again = rescore(run, harper, weights={"caller_name": 0.0})
    assert again.kind == "rescore" and again.parent_run_id == run.run_id and again.run_id != run.run_id
    assert again.predictions == run.predictions
    assert again.section_scores()["caller_name"] == run.section_scores()["caller_name"]
    with_info = [s for s in again.scores if s.information_collected is not None and s.caller_name is not None]
    assert all(s.overall == s.information_collected for s in with_info)
    other = Dataset(name="x", hash="0" * 64, examples=[], records=[])
    with pytest.raises(ValueError, match="was made on dataset"):
        rescore(run, other)


def test_rules_runs_end_to_end_on_both_datasets() -> None:
    for path in (HARPER_VALLEY, SYNTHETIC):
        dataset = load_dataset(path)
        run = run_eval(RulesProgram(), dataset)
        assert run.n_failed == 0 and run.n_score_errors == 0
        scores = run.section_scores()
        assert scores["overall"] is not None and 0.0 < scores["overall"] <= 1.0
        assert run.metric_means()["schema_valid"] == 1.0


def test_examples_without_gold_are_generated_but_not_scored(harper_valley: list[LabelledExample]) -> None:
    bare = [e.model_copy(update={"gold": None}) for e in harper_valley[:3]]
    dataset = Dataset(name="bare", hash="b" * 64, examples=bare, records=[])
    run = run_eval(RulesProgram(), dataset)
    assert run.section_scores() == dict.fromkeys(summary_keys)
    assert all(s.schema_valid == 1.0 for s in run.scores)
