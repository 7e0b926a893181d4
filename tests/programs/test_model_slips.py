"""A model's brief survives its slips: each one is repaired, or exactly the bad item is dropped, and counted.

The model is ``tests/scripted_lm.py`` on loopback answering a real labelled call's gold brief with one slip
(``scripted-gold-<slip>``), through the real DSPy client and both adapters' formats; nothing is mocked.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assist.interchange import read_examples
from assist.lm import configure_lm
from assist.programs import BriefResult
from assist.programs.dspy_program import DSPyBriefProgram
from assist.schema import LabelledExample
from eval.metrics import SECTIONS, score_example
from tests.conftest import SYNTHETIC
from tests.scripted_lm import SLIPS, ScriptedLM

#: A fully labelled call with markers, several steps and items, and a compliance flag: every slip applies.
CALL = "syn-002"

#: slip -> (sections rules fills, the salvage notes as (section, action, item)).
EXPECTED: dict[str | None, tuple[list[str], list[tuple[str, str, int | None]]]] = {
    None: ([], []),
    "title-case-enum": ([], [("sentiment", "repaired", None)]),
    "high-confidence": ([], [("suggested_next_steps", "repaired", 0)]),
    "marker-words": ([], [("markers", "repaired", 0)]),
    "extra-key": ([], [("markers", "repaired", 0)]),
    "string-turn": ([], [("markers", "repaired", 0)]),
    "empty-value": ([], [("information_collected", "dropped", 0)]),
    "info-mapping": ([], [("information_collected", "repaired", None)]),
    "six-bullets": ([], [("call_summary", "cut", None)]),
    "missing-confidence": ([], [("suggested_next_steps", "dropped", 0)]),
    "fences": ([], [("answer", "repaired", None)]),
    "missing-section": (["compliance_flags"], [("compliance_flags", "dropped", None)]),
    "out-of-range-turn": ([], [("markers", "dropped", 8)]),
}


@pytest.fixture(scope="module")
def example() -> LabelledExample:
    return next(example for example in read_examples(SYNTHETIC) if example.id == CALL)


@pytest.fixture(scope="module")
def gold_model(example: LabelledExample) -> Iterator[ScriptedLM]:
    with ScriptedLM() as server:
        server.add_gold([example])
        yield server


def brief(
    server: ScriptedLM, example: LabelledExample, slip: str | None, adapter: str, cache: Path
) -> BriefResult:
    model = "openai/scripted-gold" + (f"-{slip}" if slip else "")
    lm = configure_lm(model, api_base=server.api_base, cache_dir=str(cache))
    program = DSPyBriefProgram(lm=lm, adapter=adapter, timeout_s=10, retries=0)  # type: ignore[arg-type]
    return program.brief(example.conversation)


def test_every_slip_of_the_issue_is_covered() -> None:
    assert set(SLIPS) == {slip for slip in EXPECTED if slip is not None}


@pytest.mark.parametrize("adapter", ["chat", "json"])
@pytest.mark.parametrize("slip", list(EXPECTED))
def test_a_slip_costs_at_most_its_item(
    gold_model: ScriptedLM, example: LabelledExample, tmp_path: Path, slip: str | None, adapter: str
) -> None:
    result = brief(gold_model, example, slip, adapter, tmp_path)
    from_rules, notes = EXPECTED[slip]
    assert not result.fallback and result.program == "dspy", result.fallback_reason
    assert result.adapter == adapter
    assert result.sections_from_rules == from_rules
    assert [(n.section, n.action, n.item) for n in result.salvage] == notes
    assert result.ungrounded_dropped == 0
    assert result.usage is not None and result.usage.requests == 1 and result.usage.prompt_tokens

    scores = score_example(result.portal, example)
    assert scores.schema_valid == 1.0
    # The out-of-range marker was invented on top of the gold; every other dropped item was part of it.
    lost = {section for section, action, _ in notes if action == "dropped" and slip != "out-of-range-turn"}
    for section in SECTIONS:
        score = scores.section(section)
        assert score is not None
        if section in from_rules:
            continue  # rules' own section: as good as rules is on this call
        if section in lost:
            assert score < 1.0, section  # the dropped item is a real loss, and only it
        else:
            assert score == 1.0, section  # repaired, or cut to what gold has anyway


def test_gold_answers_keep_the_gold_brief(
    gold_model: ScriptedLM, example: LabelledExample, tmp_path: Path
) -> None:
    result = brief(gold_model, example, None, "chat", tmp_path)
    gold = example.gold
    assert gold is not None
    portal = result.portal
    assert portal.header.caller_name == gold.caller_name
    assert portal.header.sentiment.level == gold.sentiment
    assert portal.information_collected == gold.information_collected
    assert portal.suggested_next_steps == gold.suggested_next_steps
    marked = sorted((index, m.type) for index, turn in enumerate(portal.transcript) for m in turn.markers)
    assert gold.markers is not None
    assert marked == sorted((m.turn, m.type) for m in gold.markers)
    # A marker the model gave no description gets its type's definition, never an empty string.
    assert all(m.description for turn in portal.transcript for m in turn.markers)
    assert score_example(portal, example).overall == 1.0
