"""The judge: DSPy's evaluators asked through the real client of a scripted model on loopback, their verdicts
parsed, cached, counted and stored in a real DuckDB file; failures NULL with their error, never 0."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from assist.cli import _register, app
from assist.lm import LMNotConfigured
from assist.programs.dspy_program import numbered_transcript
from assist.programs.rules import RulesProgram
from assist.schema import AgentAssistPortal, LabelledExample
from assist.store import connect
from eval.dataset import Dataset, load_dataset
from eval.judge import Judge, UnusableAnswer, _unit_scores, brief_text
from eval.judgments import JUDGE_METRICS, JUDGED_SECTIONS, SUPPORTED_CLAIMS, Judgment, judge_failure
from eval.metrics import SECTIONS
from eval.runner import EvalRun, rescore, run_eval
from eval.runs import load_run, save_run
from tests.conftest import SYNTHETIC
from tests.scripted_lm import ScriptedLM


@pytest.fixture(scope="module")
def scripted() -> Iterator[ScriptedLM]:
    with ScriptedLM(slow_seconds=2.0) as server:
        yield server


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh response cache per test, so every test starts cold."""
    monkeypatch.setenv("ASSIST_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def few(tmp_path: Path, *, gold: bool = True) -> Dataset:
    """Four synthetic calls, labelled or with their gold taken away."""
    lines = [json.loads(line) for line in SYNTHETIC.read_text().splitlines()[:4]]
    if not gold:
        for line in lines:
            del line["gold"]
    path = tmp_path / ("few.jsonl" if gold else "unlabelled.jsonl")
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return load_dataset(path)


def judge(scripted: ScriptedLM, model: str = "scripted-judge", **options: Any) -> Judge:
    return Judge(f"openai/{model}", api_base=scripted.api_base, **options)


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def rules_brief(example: LabelledExample) -> AgentAssistPortal:
    return RulesProgram().brief(example.conversation).portal


def without_timing(judgment: Judgment) -> dict[str, object]:
    return judgment.model_dump(exclude={"requests", "cached", "seconds"})


# --- one brief ---------------------------------------------------------------------------------------------


def test_the_judge_asks_dspys_evaluators_and_reads_each_verdict(tmp_path: Path, scripted: ScriptedLM) -> None:
    """The scripted judge grades by words, so every number and verdict can be recomputed here."""
    example = few(tmp_path).examples[0]
    portal = rules_brief(example)
    before = scripted.requests["scripted-judge"]
    found = judge(scripted).judge(portal, example)

    assert example.gold is not None
    briefs = {
        "transfer_reason": portal.transfer_reason,
        "call_summary": "\n".join(f"- {bullet}" for bullet in portal.call_summary),
        "suggested_next_steps": "\n".join(f"- {step.action}" for step in portal.suggested_next_steps),
    }
    golds = {
        "transfer_reason": example.gold.transfer_reason or "",
        "call_summary": "\n".join(f"- {bullet}" for bullet in example.gold.call_summary or []),
        "suggested_next_steps": "\n".join(
            f"- {step.action}" for step in example.gold.suggested_next_steps or []
        ),
    }
    assert set(found.sections) == set(JUDGED_SECTIONS)
    for section, ideas in found.sections.items():
        mine, theirs = words(briefs[section]), words(golds[section])
        assert ideas.precision == round(len(mine & theirs) / len(mine), 3)
        assert ideas.recall == round(len(mine & theirs) / len(theirs), 3)
        assert ideas.f1 == pytest.approx(
            2 * ideas.precision * ideas.recall / (ideas.precision + ideas.recall)
        )
        assert ideas.reasoning == f"{len(mine & theirs)} words in common" and ideas.error is None

    heard = words(numbered_transcript(example.conversation))
    claims = [" ".join(line[2:].split()) for line in brief_text(portal).splitlines() if line.startswith("- ")]
    assert found.claims is not None and [c.claim for c in found.claims] == claims
    assert found.claims_found == len(claims) and found.claims_error is None
    for verdict in found.claims:
        unheard = [
            w for w in re.findall(r"[a-z0-9]+", verdict.claim.lower()) if len(w) >= 4 and w not in heard
        ]
        assert verdict.supported == (not unheard)
        assert verdict.reason == (
            f"'{unheard[0]}' is never said in the call" if unheard else "every word of it is said in the call"
        )
    assert 0 < sum(c.supported for c in found.claims) < len(claims)  # both verdicts occur on this call
    assert found.supported_claims() == sum(c.supported for c in found.claims) / len(claims)

    # three key-idea judgments and two claim requests, all to the judge model, none from the cache
    assert (found.requests, found.cached) == (5, 0)
    assert scripted.requests["scripted-judge"] - before == 5
    assert set(found.metrics()) == set(JUDGE_METRICS) and found.errors() == {}


def test_judgments_that_parsed_are_cached_by_model_server_and_prompt(
    tmp_path: Path, scripted: ScriptedLM
) -> None:
    example = few(tmp_path).examples[1]
    portal = rules_brief(example)
    first = judge(scripted).judge(portal, example)
    before = scripted.request_count
    again = judge(scripted).judge(portal, example)  # a new judge object: the cache is on disk, not in it
    assert (again.requests, again.cached) == (0, 5) and scripted.request_count == before
    assert without_timing(again) == without_timing(first)

    with ScriptedLM() as elsewhere:  # the same model name on another server is another judge
        moved = Judge("openai/scripted-judge", api_base=elsewhere.api_base).judge(portal, example)
        assert (moved.requests, moved.cached) == (5, 0) and elsewhere.request_count == 5

    unjudged = judge(scripted, cache=False).judge(portal, example)
    assert (unjudged.requests, unjudged.cached) == (5, 0)


def test_a_failed_judgment_is_null_with_its_error_and_is_asked_again(
    tmp_path: Path, scripted: ScriptedLM
) -> None:
    example = few(tmp_path).examples[0]
    portal = rules_brief(example)
    sloppy = judge(scripted, "scripted-judge-sloppy").judge(portal, example)
    for ideas in sloppy.sections.values():
        assert (ideas.precision, ideas.recall, ideas.f1) == (None, None, None)
        assert ideas.error is not None and ideas.error.startswith(
            "unreadable answer: Failed to parse field precision with value mostly"
        )
    claims = len([line for line in brief_text(portal).splitlines() if line.startswith("- ")])
    assert sloppy.claims is None and sloppy.claims_found == claims
    assert sloppy.claims_error == (
        f"UnusableAnswer: {claims - 1} verdicts for {claims} claims: none for [{claims}], unasked or repeated -"
    )
    assert sloppy.metrics() == dict.fromkeys(JUDGE_METRICS)  # every judge metric NULL, none 0
    assert set(sloppy.errors()) == set(JUDGE_METRICS)
    # Only the split into claims parsed, so only it is served again; the unreadable answers are asked again.
    again = judge(scripted, "scripted-judge-sloppy").judge(portal, example)
    assert (again.requests, again.cached) == (4, 1)

    down = judge(scripted, "scripted-500").judge(portal, example)
    assert down.claims_error == "LMServerError: [openai/scripted-500] scripted internal error"
    assert all(i.error == down.claims_error for i in down.sections.values()) and down.requests == 4

    garbage = judge(scripted, "scripted-garbage").judge(portal, example)
    assert garbage.claims_error == "unreadable answer: expected fields claims, read none"


def test_judge_work_is_bounded_by_its_timeout_and_its_claim_cap(tmp_path: Path, scripted: ScriptedLM) -> None:
    example = few(tmp_path).examples[0]
    portal = rules_brief(example)
    slow = judge(scripted, "scripted-judge-slow", timeout_s=0.3).judge(portal, example)
    assert slow.claims is None and slow.claims_error is not None and "timed out" in slow.claims_error
    # The advice is the option a user of assist has, not the model client's Python API.
    assert "raise it with --judge-timeout (Python: Judge(timeout_s=...))" in slow.claims_error
    assert "Timeouts(" not in slow.claims_error
    assert slow.seconds < 4 * 2.0  # four requests, each given up on at its timeout, not after the 2 s answer

    capped = judge(scripted, max_claims=2).judge(portal, example)
    assert capped.claims is not None and len(capped.claims) == 2
    assert capped.claims_found is not None and capped.claims_found > 2


def test_a_side_without_words_is_not_sent_to_the_judge(tmp_path: Path, scripted: ScriptedLM) -> None:
    """Both empty score 1.0, one empty 0.0, as the deterministic metrics score empty lists."""
    example = few(tmp_path).examples[0]
    assert example.gold is not None
    unsaid = example.model_copy(update={"gold": example.gold.model_copy(update={"suggested_next_steps": []})})
    found = judge(scripted).judge(rules_brief(example), unsaid)
    ideas = found.sections["suggested_next_steps"]
    assert (ideas.precision, ideas.recall, ideas.f1, ideas.error) == (0.0, 0.0, 0.0, None)
    assert found.requests == 4


def test_a_judge_without_a_server_or_key_says_which_setting_is_missing(tmp_path: Path) -> None:
    example = few(tmp_path).examples[0]
    found = Judge("openai/scripted-judge").judge(rules_brief(example), example)  # no api_base, no key
    assert found.claims_error is not None and found.requests == 0
    assert found.claims_error.startswith("LMNotConfiguredError: [openai/scripted-judge] no API key found")
    assert found.claims_error.endswith(
        "Set OPENAI_API_KEY in the environment, or set ASSIST_JUDGE_API_BASE to the judge's own server."
    )
    assert found.failed_entirely() and found.reasons() == [found.claims_error]


def test_a_run_whose_every_judgment_failed_says_so_in_one_line(tmp_path: Path, scripted: ScriptedLM) -> None:
    data = few(tmp_path)
    down = run_eval(RulesProgram(), data, judge=judge(scripted, "scripted-500"))
    assert judge_failure(down.judgments) == (
        "every judgment failed (4 of 4 briefs judged), so the run has no judge metric; most common error "
        "(4 of 4 briefs): LMServerError: [openai/scripted-500] scripted internal error"
    )
    working = run_eval(RulesProgram(), data, judge=judge(scripted))
    assert judge_failure(working.judgments) is None and judge_failure([]) is None
    # One brief judged is enough: the judge works, the failures are that brief's own.
    assert judge_failure([*down.judgments[:3], working.judgments[3]]) is None
    assert judge_failure([None, None]) is None  # no brief to judge: nothing was asked of the judge


def test_scores_must_be_fractions() -> None:
    _unit_scores({}, {"precision": 0.5, "recall": 1.0})
    for bad in (80.0, -0.1, math.nan, math.inf):
        with pytest.raises(UnusableAnswer, match="is not a fraction in"):
            _unit_scores({}, {"precision": bad, "recall": 0.5})


def test_a_judge_is_named_provider_slash_model() -> None:
    with pytest.raises(LMNotConfigured, match="the judge must be provider/model"):
        Judge("gpt-4o")


# --- a run -------------------------------------------------------------------------------------------------


def test_a_judged_run_stores_every_judgment_and_a_cached_rerun_sends_nothing(
    tmp_path: Path, scripted: ScriptedLM
) -> None:
    data = few(tmp_path)
    plain = run_eval(RulesProgram(), data)
    judged = run_eval(RulesProgram(), data, judge=judge(scripted), judge_threads=2)

    # judge metrics stand beside the deterministic scores and leave them, overall included, as they were
    assert [s.model_dump(include={"overall", *SECTIONS}) for s in judged.scores] == [
        s.model_dump(include={"overall", *SECTIONS}) for s in plain.scores
    ]
    assert judged.section_scores() == plain.section_scores()
    for scores, judgment in zip(judged.scores, judged.judgments, strict=True):
        assert judgment is not None
        assert {k: v for k, v in scores.details.items() if k.startswith("judge.")} == judgment.metrics()
    assert (judged.judge_lm, judged.judge_api_base) == ("openai/scripted-judge", scripted.api_base)
    assert judged.judge_prompt_version == judge(scripted).prompt_version
    assert judged.judge_options == {"timeout_s": 30.0, "max_claims": 20}
    assert judged.judge_calls == 4 * 5 and judged.n_score_errors == 0
    document = judged.to_json()
    verdicts = [c for j in judged.judgments if j is not None for c in j.claims or []]
    assert document["judge"] == {
        "judged": 4,
        "failed": 0,
        "requests": 20,
        "cached": 0,
        "claims": {
            "found": len(verdicts),
            "judged": len(verdicts),
            "supported": sum(c.supported for c in verdicts),
        },
    }
    assert document["per_example"][0]["judge"]["claims"][0]["reason"]
    assert document["metrics"][SUPPORTED_CLAIMS] == pytest.approx(
        sum(j.supported_claims() or 0 for j in judged.judgments if j is not None) / 4
    )

    db = tmp_path / "eval.duckdb"
    with connect(db) as con:
        save_run(con, judged)
    with connect(db, read_only=True) as con:
        loaded = load_run(con, judged.run_id)
        stored = con.execute(
            "SELECT judge_lm, judge_api_base, judge_prompt_version, judge_calls FROM eval_runs"
        ).fetchall()
        judge_rows = con.execute(
            "SELECT count(*), count(value) FROM eval_scores WHERE starts_with(metric, 'judge.')"
        ).fetchall()
        mean = con.execute("SELECT mean FROM run_scores WHERE metric = 'judge.supported_claims'").fetchone()
        unsupported = con.execute(  # the query of eval/README.md
            "SELECT j.example_id, c->>'claim' AS claim, c->>'reason' AS reason "
            "FROM eval_judgments j, unnest(j.claims::JSON[]) AS t(c) "
            "WHERE j.run_id = ? AND NOT (c->>'supported')::BOOLEAN",
            [judged.run_id],
        ).fetchall()
    assert loaded.to_json() == document
    assert stored == [("openai/scripted-judge", scripted.api_base, judged.judge_prompt_version, 20)]
    assert judge_rows == [(4 * len(JUDGE_METRICS), 4 * len(JUDGE_METRICS))]
    assert mean == (pytest.approx(document["metrics"][SUPPORTED_CLAIMS]),)
    assert sorted(unsupported) == sorted(
        (j.example_id, c.claim, c.reason)
        for j in judged.judgments
        if j is not None
        for c in j.claims or []
        if not c.supported
    )

    before = scripted.request_count
    again = run_eval(RulesProgram(), data, judge=judge(scripted))
    assert again.judge_calls == 0 and scripted.request_count == before
    assert again.to_json()["judge"]["cached"] == 20
    assert [without_timing(j) for j in again.judgments if j] == [
        without_timing(j) for j in judged.judgments if j
    ]


def test_judge_metrics_count_in_overall_only_when_weighted_in(tmp_path: Path, scripted: ScriptedLM) -> None:
    data = few(tmp_path)
    weights = {"judge.call_summary.f1": 2.0}
    run = run_eval(RulesProgram(), data, judge=judge(scripted), weights=weights)
    assert run.weights == weights
    for scores in run.scores:
        sections = [v for s in SECTIONS if (v := scores.section(s)) is not None]
        f1 = scores.details["judge.call_summary.f1"]
        assert scores.overall == pytest.approx((sum(sections) + 2 * f1) / (len(sections) + 2))

    failing = run_eval(RulesProgram(), data, judge=judge(scripted, "scripted-judge-sloppy"), weights=weights)
    for scores in failing.scores:
        assert scores.overall is None
        assert scores.errors["overall"] == "not computed: judging failed for judge.call_summary.f1"
        assert scores.errors["judge.call_summary.f1"].startswith("unreadable answer:")
    assert failing.to_json()["judge"]["failed"] == 4
    assert (
        failing.n_score_errors == 4
    )  # overall could not be computed; the judge's own failures are its to count

    with pytest.raises(
        ValueError, match=r"weighting judge.call_summary.f1 needs a judge: pass --judge MODEL"
    ):
        run_eval(RulesProgram(), data, weights=weights)
    with pytest.raises(ValueError, match="unknown judge metric 'judge.summary.f1'"):
        run_eval(RulesProgram(), data, judge=judge(scripted), weights={"judge.summary.f1": 1.0})


def test_failed_judgments_are_stored_null_with_their_error(tmp_path: Path, scripted: ScriptedLM) -> None:
    run = run_eval(RulesProgram(), few(tmp_path), judge=judge(scripted, "scripted-500"))
    db = tmp_path / "eval.duckdb"
    with connect(db) as con:
        save_run(con, run)
        rows = con.execute(
            "SELECT DISTINCT metric, value, error FROM eval_scores WHERE starts_with(metric, 'judge.') ORDER BY metric"
        ).fetchall()
        claims = con.execute("SELECT DISTINCT claims, claims_error FROM eval_judgments").fetchall()
    error = "LMServerError: [openai/scripted-500] scripted internal error"
    assert rows == [(metric, None, error) for metric in sorted(JUDGE_METRICS)]
    assert claims == [(None, error)]
    assert run.metric_means().keys().isdisjoint(JUDGE_METRICS)  # no number where the judge said nothing


def test_rescore_judges_stored_briefs_or_keeps_the_judgments_it_has(
    tmp_path: Path, scripted: ScriptedLM
) -> None:
    data = few(tmp_path)
    original = run_eval(RulesProgram(), data)
    judged = rescore(original, data, judge=judge(scripted))
    assert judged.kind == "rescore" and judged.parent_run_id == original.run_id
    assert judged.predictions == original.predictions and judged.lm_calls is None
    assert judged.judge_calls == 20 and all(j is not None and j.claims for j in judged.judgments)

    before = scripted.request_count
    kept = rescore(judged, data, weights={SUPPORTED_CLAIMS: 1.0})  # no judge: the judgments are kept
    assert kept.judge_calls == 0 and scripted.request_count == before
    assert (kept.judge_lm, kept.judgments) == (judged.judge_lm, judged.judgments)
    assert [s.overall for s in kept.scores] != [s.overall for s in judged.scores]
    with pytest.raises(ValueError, match="needs a judge"):
        rescore(original, data, weights={SUPPORTED_CLAIMS: 1.0})


def test_unlabelled_calls_are_judged_against_the_call_only(tmp_path: Path, scripted: ScriptedLM) -> None:
    run = run_eval(
        RulesProgram(), few(tmp_path, gold=False), judge=judge(scripted), weights={SUPPORTED_CLAIMS: 1.0}
    )
    for scores, judgment in zip(run.scores, run.judgments, strict=True):
        assert judgment is not None and judgment.sections == {} and judgment.requests == 2
        assert set(judgment.metrics()) == {SUPPORTED_CLAIMS}
        # no section has gold, so the one weighted judge metric is the whole overall
        assert scores.overall == judgment.supported_claims()


def test_a_database_made_before_the_judge_gains_its_table_and_columns(
    tmp_path: Path, scripted: ScriptedLM
) -> None:
    db = tmp_path / "old.duckdb"
    old = run_eval(RulesProgram(), few(tmp_path))
    with connect(db) as con:
        save_run(con, old)
        con.execute("DROP TABLE eval_judgments")
        for column in ("judge_lm", "judge_api_base", "judge_prompt_version", "judge_options", "judge_calls"):
            con.execute(f"ALTER TABLE eval_runs DROP COLUMN {column}")
    with connect(db, read_only=True) as con, pytest.raises(ValueError, match="older version"):
        load_run(con, "latest")
    judged = run_eval(RulesProgram(), few(tmp_path), judge=judge(scripted))
    with connect(db) as con:
        save_run(con, judged)
    with connect(db, read_only=True) as con:
        assert load_run(con, judged.run_id).to_json() == judged.to_json()
        unjudged = load_run(con, old.run_id)
    assert unjudged.judge_lm is None and unjudged.judgments == [] and unjudged.to_json()["judge"] is None


# --- the command line --------------------------------------------------------------------------------------

if not any(command.name == "eval" for command in app.registered_commands):
    _register()
cli = CliRunner()


def model_env(scripted: ScriptedLM, **extra: str | None) -> dict[str, str | None]:
    """The program's model and the judge's server on the scripted server; no judge unless named."""
    return {
        "ASSIST_LM": "openai/scripted-gold",
        "ASSIST_LM_API_BASE": scripted.api_base,
        "ASSIST_JUDGE_API_BASE": scripted.api_base,
        "ASSIST_JUDGE_LM": None,
        "OPENAI_API_KEY": None,
        **extra,
    }


def invoke(env: dict[str, str | None], *args: str, code: int = 0) -> Result:
    result = cli.invoke(app, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def load_run_of(db: str, run_id: str) -> EvalRun:
    with connect(db, read_only=True) as con:
        return load_run(con, run_id)


def test_assist_eval_judge_on_labelled_calls_then_a_cached_rerun(
    tmp_path: Path, scripted: ScriptedLM
) -> None:
    data = few(tmp_path)
    scripted.add_gold(data.examples)
    env, db = model_env(scripted), str(tmp_path / "eval.duckdb")
    args = [
        "eval",
        "-d",
        str(tmp_path / "few.jsonl"),
        "-p",
        "dspy",
        "--db",
        db,
        "--judge",
        "openai/scripted-judge",
    ]
    first = invoke(env, *args, "--json", "-")
    document = json.loads(first.stdout)
    assert (document["judge_lm"], document["judge_api_base"]) == ("openai/scripted-judge", scripted.api_base)
    assert (
        document["judge_options"] == {"timeout_s": 30.0, "max_claims": 20} and document["judge_calls"] == 20
    )
    assert document["lm"] == "openai/scripted-gold"  # the model under test is not the judge
    summary, claims = document["judge"], document["judge"]["claims"]
    assert summary["judged"] == 4 and summary["failed"] == 0
    # the scripted model answers the gold, and the scripted judge finds the gold's key ideas all there
    assert {document["metrics"][f"judge.{s}.f1"] for s in JUDGED_SECTIONS} == {1.0}
    assert document["scores"]["overall"] == 1.0
    out = first.stderr  # --json - moves the human output to stderr
    assert (
        f"judge openai/scripted-judge at {scripted.api_base}, prompt {judge(scripted).prompt_version}: 4 briefs "
        "judged, 0 with a failed judgment; 20 requests, 0 answers from the cache"
    ) in out
    assert "judge against the gold" in out
    assert re.search(r"│ call_summary\s+│\s+1\.000 │\s+1\.000 │\s+1\.000 │\s+4/4 │", out)
    rate = document["metrics"][SUPPORTED_CLAIMS]
    assert f"supported claims {rate:.3f} ({claims['supported']} of {claims['judged']} claims judged)" in out
    assert "judge metrics are not in overall (weight one in with --weight judge.<metric>=W)" in out
    assert "warning" not in out
    # The run line counts judging too, beside generating and scoring.
    assert re.search(
        r"; generate \d+\.\d+ s, score \d+\.\d+ s, judge \d+\.\d+ s, [\d.,]+ examples/s; stored in ", out
    )

    before = scripted.request_count
    again = json.loads(invoke(env, *args, "--json", "-").stdout)
    assert scripted.request_count == before  # neither the program nor the judge sent anything
    assert again["judge_calls"] == 0 and again["judge"]["cached"] == 20 and again["lm_calls"] == 0
    assert again["metrics"] == document["metrics"]

    shown = " ".join(invoke(env, "runs", "show", again["run_id"], "--db", db).stdout.split())
    assert "4 briefs judged, 0 with a failed judgment; 0 requests, 20 answers from the cache" in shown
    # A stored run has no wall clock of its judging: the briefs' judging times, summed, and no rate.
    assert re.search(
        r"; generate \d+\.\d+ s, score \d+\.\d+ s, judge \d+\.\d+ s summed over its briefs;", shown
    )


def test_assist_eval_judges_unlabelled_calls_with_the_judge_from_the_environment(
    tmp_path: Path, scripted: ScriptedLM
) -> None:
    few(tmp_path, gold=False)
    env = model_env(scripted, ASSIST_JUDGE_LM="openai/scripted-judge")
    result = invoke(
        env,
        "eval",
        "-d",
        str(tmp_path / "unlabelled.jsonl"),
        "--db",
        str(tmp_path / "e.duckdb"),
        "--json",
        "-",
    )
    document = json.loads(result.stdout)
    assert document["judge_lm"] == "openai/scripted-judge" and document["judge_calls"] == 4 * 2
    assert set(document["per_example"][0]["judge"]) >= {"claims", "claims_found", "sections"}
    assert all(example["judge"]["sections"] == {} for example in document["per_example"])
    assert "judge against the gold" not in result.stderr  # no gold to judge against
    assert re.search(r"supported claims 0\.\d{3} \(\d+ of \d+ claims judged\)\n", result.stderr)

    capped = invoke(
        env,
        *("eval", "-d", str(tmp_path / "unlabelled.jsonl"), "--db", str(tmp_path / "e.duckdb")),
        *("--judge-max-claims", "2", "--json", "-"),
    )
    claims = json.loads(capped.stdout)["judge"]["claims"]
    assert claims["judged"] == 4 * 2 and claims["found"] == document["judge"]["claims"]["found"]
    assert f"({claims['supported']} of 8 claims judged, {claims['found']} found)" in capped.stderr


def test_judging_with_the_model_under_test_warns_in_one_line(tmp_path: Path, scripted: ScriptedLM) -> None:
    data = few(tmp_path)
    scripted.add_gold(data.examples)
    env = model_env(scripted)
    args = ["eval", "-d", str(tmp_path / "few.jsonl"), "-p", "dspy", "--db", str(tmp_path / "e.duckdb")]
    result = invoke(env, *args, "--judge", "openai/scripted-gold")
    assert result.stderr == (
        "warning: the judge openai/scripted-gold is the model under test, and judges favour their own text; "
        "pass another --judge\n"
    )
    assert "warning" not in invoke(env, *args, "--judge", "openai/scripted-judge").stderr


def test_assist_rescore_judge_adds_judge_scores_without_generating_again(
    tmp_path: Path, scripted: ScriptedLM
) -> None:
    few(tmp_path)
    env, db = model_env(scripted), str(tmp_path / "eval.duckdb")
    plain = json.loads(
        invoke(env, "eval", "-d", str(tmp_path / "few.jsonl"), "--db", db, "--json", "-").stdout
    )
    assert plain["judge"] is None and plain["judge_lm"] is None

    result = invoke(
        env,
        "rescore",
        plain["run_id"],
        "--db",
        db,
        "--judge",
        "openai/scripted-judge",
        "--threads",
        "2",
        "--weight",
        "judge.call_summary.f1=1",
    )
    assert (
        f"rescored {plain['run_id']} (predictions unchanged, no program called; judged by openai/scripted-judge)"
        in result.stdout
    )
    assert "4 briefs judged, 0 with a failed judgment; 20 requests, 0 answers from the cache" in result.stdout
    assert "judge metrics in overall: judge.call_summary.f1=1" in result.stdout
    assert re.search(r"\); score \d+\.\d+ s, judge \d+\.\d+ s, [\d.,]+ examples/s; stored in ", result.stdout)
    with connect(db, read_only=True) as con:
        rescored = load_run(con, "latest")
    assert rescored.kind == "rescore" and rescored.parent_run_id == plain["run_id"]
    assert [p.portal for p in rescored.predictions] == [
        p.portal for p in load_run_of(db, plain["run_id"]).predictions
    ]
    assert rescored.scores[0].overall != plain["per_example"][0]["scores"]["overall"]

    kept = invoke(env, "rescore", rescored.run_id, "--db", db)
    assert "20 requests (0 sent by this run), 0 answers from the cache" in kept.stdout

    # A judge that never answers in form measured nothing: the rescore is stored, and exits 1 saying why.
    failing = invoke(
        env, "rescore", plain["run_id"], "--db", db, "--judge", "openai/scripted-judge-sloppy", code=1
    )
    assert "4 briefs judged, 4 with a failed judgment" in failing.stdout
    assert (
        "judge failed on syn-001: transfer_reason: unreadable answer: Failed to parse field precision with value "
        "mostly from the LM response. Error message: 1 validation error for float (and 3 more)"
    ) in failing.stdout
    fail_lines = [line for line in failing.stdout.splitlines() if line.startswith("FAIL")]
    assert len(fail_lines) == 1 and fail_lines[0].startswith(
        "FAIL: every judgment failed (4 of 4 briefs judged), so the run has no judge metric; most common error "
        "(4 of 4 briefs): unreadable answer: Failed to parse field precision"
    )
    assert load_run_of(db, "latest").judge_lm == "openai/scripted-judge-sloppy"  # stored all the same


def test_assist_eval_with_a_judge_that_cannot_be_reached_fails_in_one_line(tmp_path: Path) -> None:
    """``--judge`` with no ``ASSIST_JUDGE_API_BASE`` and no key: every judgment fails, the run is stored with its
    --json written, and the command exits 1 (a real process)."""
    few(tmp_path)
    db, out = str(tmp_path / "e.duckdb"), tmp_path / "run.json"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ASSIST_") and k != "OPENAI_API_KEY"}
    clean["ASSIST_CACHE_DIR"] = str(tmp_path / "cache")
    done = subprocess.run(
        [sys.executable, "-m", "assist", "eval", "-d", str(tmp_path / "few.jsonl"), "--db", db]
        + ["--judge", "openai/scripted-judge", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    fail_lines = [line for line in done.stdout.splitlines() if line.startswith("FAIL")]
    assert fail_lines == [
        (
            "FAIL: every judgment failed (4 of 4 briefs judged), so the run has no judge metric; most common "
            "error (4 of 4 briefs): LMNotConfiguredError: [openai/scripted-judge] no API key found for provider "
            "'openai-chat'. Set OPENAI_API_KEY in the environment, or set ASSIST_JUDGE_API_BASE to the judge's "
            "own server."
        )
    ]
    document = json.loads(out.read_text())
    assert document["judge"]["failed"] == 4 and document["judge_calls"] == 0
    assert load_run_of(db, document["run_id"]).judge_lm == "openai/scripted-judge"


def test_judge_options_and_weights_fail_in_one_clear_line(tmp_path: Path, scripted: ScriptedLM) -> None:
    few(tmp_path)
    env, dataset = model_env(scripted), str(tmp_path / "few.jsonl")
    for option, value in (
        ("--judge-timeout", "0"),
        ("--judge-max-claims", "0"),
        ("--weight", "judge.claims=1"),  # a usage error naming the flag, before anything is judged
    ):
        result = cli.invoke(
            app, ["eval", "-d", dataset, "--db", str(tmp_path / "e.duckdb"), option, value], env=env
        )
        assert result.exit_code == 2 and f"Invalid value for '{option}'" in result.output
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ASSIST_")}
    for args, message in (
        (
            ["--weight", "judge.call_summary.f1=1"],
            "error: weighting judge.call_summary.f1 needs a judge: pass --judge MODEL",
        ),
        (
            ["--judge", "gpt-4o"],
            "error: the judge must be provider/model (e.g. openai/gpt-4o-mini), got 'gpt-4o'",
        ),
    ):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "assist",
                "eval",
                "-d",
                dataset,
                "--db",
                str(tmp_path / "p.duckdb"),
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            env=clean,
            check=False,
        )
        assert done.returncode == 1 and done.stderr.startswith(message) and done.stderr.count("\n") == 1, (
            done.stderr
        )
