"""Runner: generate and score are separate, failures are recorded (not dropped), threads keep order."""

from __future__ import annotations

import duckdb
import pytest

from assist.programs import BRIEF_SECTIONS
from assist.programs.rules import RulesProgram
from assist.schema import LabelledExample
from eval.dataset import Dataset, load_dataset
from eval.metrics import SECTIONS
from eval.runner import generate, nearest_rank, rescore, run_eval, score, sum_and_mean, summary_keys
from tests.conftest import HARPER_VALLEY, SYNTHETIC
from tests.eval.conftest import GOLD_USAGE, CrashingProgram, GoldProgram, PatchyProgram


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


def test_the_json_document_has_every_section_and_null_for_unscored_ones(harper: Dataset) -> None:
    run = run_eval(GoldProgram(harper.examples), harper, spec="gold", load_options={"timeout_s": 5.0})
    document = run.to_json()
    assert set(document["scores"]) == set(summary_keys) == {"overall", *SECTIONS}
    assert document["scores"]["caller_name"] == 1.0
    assert document["scores"]["sentiment"] is None  # Harper Valley has no sentiment gold
    assert document["n"] == len(document["per_example"]) == 61
    assert document["dataset"] == "harper_valley/dev" and document["dataset_hash"] == harper.hash
    assert document["program"] == "gold"
    # the model side is what the program states, never read from the environment
    assert (document["lm"], document["api_base"], document["adapter"], document["prompt_version"]) == (
        "gold/labels",
        None,
        "json",
        "gold-1",
    )
    assert document["lm_calls"] == 61 and document["program_config"]["options"] == {"timeout_s": 5.0}
    assert run.program_hash is not None and run.program_config["class"].endswith("GoldProgram")
    rules = run_eval(RulesProgram(), harper, load_options={"timeout_s": 5.0})
    assert rules.lm is None and rules.lm_calls is None  # rules talks to no model
    assert "options" not in rules.program_config  # and no load option changes it


def test_each_example_says_who_wrote_each_section_and_what_it_cost(harper: Dataset) -> None:
    run = run_eval(PatchyProgram(harper.examples), harper, threads=4)
    first, second, third = run.to_json()["per_example"][:3]
    assert first["program"] == "rules" and first["fallback"] is True
    assert first["fallback_reason"] == PatchyProgram.REASON
    assert first["sections"] == dict.fromkeys(BRIEF_SECTIONS, "rules")
    assert first["usage"]["requests"] == 1 and first["usage"]["prompt_tokens"] is None
    assert second["sections"] == {**dict.fromkeys(BRIEF_SECTIONS, "patchy"), "markers": "rules"}
    assert second["salvage"] == [PatchyProgram.NOTE.model_dump()]
    assert third["sections"] == dict.fromkeys(BRIEF_SECTIONS, "patchy") and third["salvage"] == []
    assert third["usage"] == GOLD_USAGE.model_dump()
    assert all(example["seconds"] > 0 for example in (first, second, third))
    rules = run_eval(RulesProgram(), harper).to_json()["per_example"][0]
    assert rules["sections"] == dict.fromkeys(BRIEF_SECTIONS, "rules") and rules["usage"] is None


def test_model_scores_count_only_what_the_model_wrote() -> None:
    synthetic = load_dataset(SYNTHETIC)  # 48 calls, every section labelled
    document = run_eval(PatchyProgram(synthetic.examples), synthetic).to_json()
    model, counted = document["model_scores"], document["model_scored"]
    # The model answers with the gold, so whatever it wrote scores 1.0; the headline mixes in what rules wrote.
    assert model == dict.fromkeys(summary_keys, 1.0)
    assert all(document["scores"][key] < 1.0 for key in ("overall", "markers", "information_collected"))
    assert counted == {
        **dict.fromkeys(SECTIONS, 36),
        "markers": 24,
        "overall": 24,
    }  # 12 fallbacks, 12 rules markers
    rules = run_eval(RulesProgram(), synthetic).to_json()
    assert rules["model_scores"] is None and rules["model_scored"] is None


def test_usage_and_latency_over_a_run(harper: Dataset) -> None:
    document = run_eval(PatchyProgram(harper.examples), harper).to_json()
    assert document["usage"] == {
        "briefs": 61,
        "requests": 61,
        "cached": 0,
        "turns_omitted": 0,
        "prompt_tokens": {"total": 4500, "mean": 100.0, "n": 45},
        "completion_tokens": {"total": 900, "mean": 20.0, "n": 45},
        "cost_usd": {"total": pytest.approx(0.045), "mean": pytest.approx(0.001), "n": 45},
    }
    seconds = sorted(example["seconds"] for example in document["per_example"])
    assert document["latency_seconds"] == {
        "p50": seconds[30],
        "p95": seconds[57],
        "mean": pytest.approx(sum(seconds) / 61),
    }
    rules = run_eval(RulesProgram(), harper).to_json()
    assert rules["usage"] is None and rules["fallback_rate"] is None
    assert rules["latency_seconds"]["p95"] is not None  # rules' own latency is measured all the same


def test_sum_and_mean_leave_out_what_was_not_reported() -> None:
    assert sum_and_mean([3, None, 5]) == {"total": 8, "mean": 4.0, "n": 2}
    assert sum_and_mean([None, None]) == {"total": None, "mean": None, "n": 0}
    assert sum_and_mean([0.0]) == {"total": 0.0, "mean": 0.0, "n": 1}


@pytest.mark.parametrize("n", [1, 2, 3, 7, 19, 20, 21, 61, 100])
def test_nearest_rank_is_duckdbs_quantile_disc(n: int) -> None:
    values = [float((i * 37) % n) for i in range(n)]  # shuffled
    con = duckdb.connect()
    expected = con.execute(
        "SELECT quantile_disc(v, 0.5), quantile_disc(v, 0.95) FROM (SELECT unnest(?) AS v)", [values]
    ).fetchone()
    assert (nearest_rank(values, 0.5), nearest_rank(values, 0.95)) == expected
    assert nearest_rank([], 0.5) is None


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
