"""Metrics: formulas on known cases, the empty-set rules, partial gold, and properties (hypothesis)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assist.interchange import read_examples
from assist.schema import (
    COMPLIANCE_FAMILIES,
    MARKER_TYPES,
    SENTIMENT_LEVELS,
    AgentAssistPortal,
    ComplianceFlag,
    Gold,
    GoldMarker,
    InfoItem,
    LabelledExample,
    NextStep,
)
from eval import metrics
from eval.agreement import brief_from_labels
from eval.metrics import SECTIONS, score_example
from tests.conftest import HARPER_VALLEY

EXAMPLE = next(example for example in read_examples(HARPER_VALLEY))
TURNS = len(EXAMPLE.conversation.turns)
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Words of the real calls, so texts look like what the metrics will see.
WORDS = sorted({w for turn in EXAMPLE.conversation.turns for w in turn.content.split() if w.isalpha()})
text = st.lists(st.sampled_from(WORDS), min_size=1, max_size=8).map(" ".join)
info_item = st.builds(InfoItem, key=text, value=text)
next_step = st.builds(NextStep, action=text, confidence=st.sampled_from(["high", "medium", "low"]))
flag = st.builds(ComplianceFlag, type=st.sampled_from(COMPLIANCE_FAMILIES), description=text)
gold_marker = st.builds(GoldMarker, turn=st.integers(0, TURNS - 1), type=st.sampled_from(MARKER_TYPES))


@st.composite
def golds(draw: st.DrawFn) -> Gold:
    """A partial gold: each section present or not; list sections sized as a valid brief would be."""
    candidates = {
        "caller_name": text,
        "sentiment": st.sampled_from(SENTIMENT_LEVELS),
        "transfer_reason": text,
        "call_summary": st.lists(text, min_size=3, max_size=5),
        "information_collected": st.lists(info_item, max_size=4),
        "suggested_next_steps": st.lists(next_step, min_size=1, max_size=3),
        "markers": st.lists(gold_marker, max_size=6),
        "compliance_flags": st.lists(flag, max_size=3),
    }
    chosen = draw(st.sets(st.sampled_from(sorted(candidates)), min_size=1))
    return Gold(**{name: draw(candidates[name]) for name in chosen})


def labelled(gold: Gold) -> LabelledExample:
    return EXAMPLE.model_copy(update={"gold": gold})


# --- properties -------------------------------------------------------------------------------------


@PROPERTY
@given(gold=golds())
def test_a_perfect_brief_scores_one_on_every_labelled_section(gold: Gold) -> None:
    scores = score_example(brief_from_labels(EXAMPLE.conversation, gold), labelled(gold))
    for section in SECTIONS:
        assert scores.section(section) == (pytest.approx(1.0) if section in gold.labelled() else None)
    assert scores.overall == pytest.approx(1.0)
    assert scores.schema_valid == 1.0
    assert not scores.errors


@PROPERTY
@given(gold=golds(), predicted=golds())
def test_scores_stay_in_the_unit_interval(gold: Gold, predicted: Gold) -> None:
    scores = score_example(brief_from_labels(EXAMPLE.conversation, predicted), labelled(gold))
    values = [scores.section(s) for s in SECTIONS] + [scores.overall, *scores.details.values()]
    assert all(0.0 <= v <= 1.0 for v in values if v is not None)
    assert scores.overall is not None
    assert {s for s in SECTIONS if scores.section(s) is not None} == gold.labelled()


@PROPERTY
@given(
    predicted=st.lists(info_item, max_size=5),
    gold=st.lists(info_item, max_size=5),
    steps=st.lists(next_step, min_size=1, max_size=3),
    gold_steps=st.lists(next_step, max_size=3),
    flags=st.lists(flag, max_size=3),
    gold_flags=st.lists(flag, max_size=3),
    data=st.data(),
)
def test_set_sections_ignore_item_order(
    predicted: list[InfoItem],
    gold: list[InfoItem],
    steps: list[NextStep],
    gold_steps: list[NextStep],
    flags: list[ComplianceFlag],
    gold_flags: list[ComplianceFlag],
    data: st.DataObject,
) -> None:
    def shuffled(items: list[Any]) -> list[Any]:
        return data.draw(st.permutations(items))

    assert metrics.information_collected_score(shuffled(predicted), shuffled(gold)) == pytest.approx(
        metrics.information_collected_score(predicted, gold)
    )
    assert metrics.information_values_score(shuffled(predicted), shuffled(gold)) == pytest.approx(
        metrics.information_values_score(predicted, gold)
    )
    for part in (metrics.information_precision, metrics.information_recall):
        assert part(shuffled(predicted), shuffled(gold)) == pytest.approx(part(predicted, gold))
    assert metrics.suggested_next_steps_score(shuffled(steps), shuffled(gold_steps)) == pytest.approx(
        metrics.suggested_next_steps_score(steps, gold_steps)
    )
    assert metrics.compliance_flags_score(shuffled(flags), shuffled(gold_flags)) == pytest.approx(
        metrics.compliance_flags_score(flags, gold_flags)
    )


@PROPERTY
@given(predicted=st.lists(info_item, max_size=5), gold=st.lists(info_item, max_size=5))
def test_information_f1_is_the_harmonic_mean_of_its_precision_and_recall(
    predicted: list[InfoItem], gold: list[InfoItem]
) -> None:
    precision = metrics.information_precision(predicted, gold)
    recall = metrics.information_recall(predicted, gold)
    f1 = metrics.information_collected_score(predicted, gold)
    assert 0.0 <= precision <= 1.0 and 0.0 <= recall <= 1.0
    assert f1 == pytest.approx(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    # every predicted item that matches is one gold item found: M = P·|pred| = R·|gold|
    if predicted and gold:
        assert precision * len(predicted) == pytest.approx(recall * len(gold))


# --- formulas and edge cases ------------------------------------------------------------------------


def test_sentiment_is_ordinal_with_an_exact_match_detail() -> None:
    assert metrics.sentiment_score("calm", "calm") == 1.0
    assert metrics.sentiment_score("calm", "slightly_frustrated") == 0.75
    assert metrics.sentiment_score("escalated", "calm") == 0.0
    assert metrics.sentiment_exact("angry", "frustrated") == 0.0
    scores = score_example(
        brief_from_labels(EXAMPLE.conversation, Gold(sentiment="angry")),
        labelled(Gold(sentiment="frustrated")),
    )
    assert scores.sentiment == 0.75
    assert scores.details["sentiment.exact"] == 0.0


def test_caller_name_ignores_case_punctuation_and_word_order() -> None:
    assert metrics.caller_name_score("patricia brown", "Patricia Brown.") == 1.0
    assert metrics.caller_name_score("Brown, Patricia", "Patricia Brown") == 1.0
    assert metrics.caller_name_score("Unknown Caller", "Patricia Brown") == 0.0
    assert metrics.caller_name_score("Patricia", "Patricia Brown") == 0.0


@pytest.mark.parametrize(
    ("score", "kind"),
    [
        (metrics.information_collected_score, InfoItem),
        (metrics.information_precision, InfoItem),
        (metrics.information_recall, InfoItem),
        (metrics.compliance_flags_score, ComplianceFlag),
    ],
)
def test_empty_gold_rewards_only_an_empty_prediction(score: object, kind: type) -> None:
    item = kind(
        **(
            {"key": "Order ID", "value": "88412"}
            if kind is InfoItem
            else {"type": "regulatory_requirement", "description": "x"}
        )
    )
    assert score([], []) == 1.0  # type: ignore[operator]
    assert score([item], []) == 0.0  # type: ignore[operator]
    assert score([], [item]) == 0.0  # type: ignore[operator]
    assert metrics.markers_score(set(), set()) == 1.0
    assert metrics.markers_score({(1, "frustration")}, set()) == 0.0


def test_information_keys_match_fuzzily_but_values_must_agree() -> None:
    gold = [
        InfoItem(key="Replacement card type", value="debit"),
        InfoItem(key="Transfer source account", value="savings"),
    ]
    assert (
        metrics.information_collected_score(
            [InfoItem(key="Card type", value="Debit."), InfoItem(key="source account", value="SAVINGS")], gold
        )
        == 1.0
    )
    # source and destination are different keys even though most words are shared
    swapped = [InfoItem(key="Transfer destination account", value="savings")]
    assert metrics.information_collected_score(swapped, gold[1:]) == 0.0
    assert metrics.information_values_score(swapped, gold[1:]) == 1.0
    # "8 8 4 1 2" read out digit by digit is the number 88412; one of two found: F1 = 2/3
    found = [InfoItem(key="order id", value="8 8 4 1 2")]
    wanted = [InfoItem(key="Order ID", value="88412"), InfoItem(key="Day", value="monday")]
    assert metrics.information_collected_score(found, wanted) == pytest.approx(2 / 3)
    # everything the brief says is right (precision 1), half of what the gold has is found (recall 1/2)
    assert metrics.information_precision(found, wanted) == 1.0
    assert metrics.information_recall(found, wanted) == 0.5
    assert metrics.information_precision([*found, *swapped], wanted) == 0.5


def test_information_precision_and_recall_are_sub_metrics_of_the_section() -> None:
    gold = Gold(information_collected=[InfoItem(key="Order ID", value="88412")])
    portal = brief_from_labels(
        EXAMPLE.conversation,
        Gold(
            information_collected=[
                InfoItem(key="Order ID", value="88412"),
                InfoItem(key="Day", value="monday"),
                InfoItem(key="Card", value="debit"),
            ]
        ),
    )
    scores = score_example(portal, labelled(gold))
    assert scores.information_collected == pytest.approx(0.5)
    assert scores.details["information_collected.precision"] == pytest.approx(1 / 3)
    assert scores.details["information_collected.recall"] == 1.0


def test_call_summary_combines_similarity_coverage_and_bullet_count() -> None:
    gold = ["caller lost debit card", "wants a replacement", "agent ordered a new card"]
    exact = metrics.call_summary_score(gold, gold)
    assert exact == {"score": 1.0, "similarity": 1.0, "coverage": 1.0, "bullets_valid": 1.0}
    two = metrics.call_summary_score(gold[:2], gold)
    assert two["bullets_valid"] == 0.0 and two["score"] == 0.0
    partial = metrics.call_summary_score(["caller lost a card", "wants a replacement", "nothing else"], gold)
    assert 0.0 < partial["score"] < 1.0
    assert partial["coverage"] == pytest.approx(
        metrics.summary_coverage(["caller lost a card", "wants a replacement", "nothing else"], gold)
    )


def test_next_steps_weigh_action_and_confidence() -> None:
    gold = [NextStep(action="Send a replacement debit card", confidence="high")]
    same_action_low = metrics.suggested_next_steps_score(
        [NextStep(action="send a replacement debit card", confidence="low")], gold
    )
    assert same_action_low["action"] == 1.0
    assert same_action_low["confidence"] == 0.0
    assert same_action_low["score"] == 0.75


def test_markers_are_micro_f1_over_turn_and_type_with_per_type_details() -> None:
    predicted = {(3, "frustration"), (5, "key_info")}
    gold = {(3, "frustration"), (6, "key_info")}
    assert metrics.markers_score(predicted, gold) == 0.5
    assert metrics.markers_by_type(predicted, gold) == {"frustration": 1.0, "key_info": 0.0}


def test_compliance_false_positive_is_only_measured_on_calls_labelled_none() -> None:
    raised = [ComplianceFlag(type="Sensitive-Data unverified", description="card number read out")]
    assert metrics.compliance_false_positive(raised, []) == 1.0
    assert metrics.compliance_false_positive([], []) == 0.0
    assert metrics.compliance_false_positive(raised, raised) is None
    # types compare normalized
    assert (
        metrics.compliance_flags_score(
            raised, [ComplianceFlag(type="sensitive_data_unverified", description="y")]
        )
        == 1.0
    )


def test_partial_gold_scores_only_what_is_labelled() -> None:
    gold = Gold(caller_name="Patricia Brown")
    scores = score_example(
        brief_from_labels(EXAMPLE.conversation, Gold(caller_name="patricia brown")), labelled(gold)
    )
    assert scores.caller_name == 1.0
    assert all(scores.section(s) is None for s in SECTIONS if s != "caller_name")
    assert scores.overall == 1.0


def test_overall_is_the_weighted_mean_of_scored_sections() -> None:
    gold = Gold(caller_name="Patricia Brown", sentiment="calm")
    portal = brief_from_labels(EXAMPLE.conversation, Gold(caller_name="Someone Else", sentiment="calm"))
    assert score_example(portal, labelled(gold)).overall == 0.5
    assert score_example(portal, labelled(gold), weights={"sentiment": 3}).overall == 0.75
    with pytest.raises(ValueError, match="unknown section"):
        score_example(portal, labelled(gold), weights={"tone": 1})


def test_a_metric_that_cannot_score_gives_null_and_an_error_never_zero() -> None:
    good = brief_from_labels(EXAMPLE.conversation, Gold(caller_name="Patricia Brown"))
    broken_sentiment = good.header.sentiment.model_construct(label="?", level="meh")
    broken = AgentAssistPortal.model_construct(
        **{
            **dict(good),
            "header": good.header.model_construct(**{**dict(good.header), "sentiment": broken_sentiment}),
        }
    )
    scores = score_example(broken, labelled(Gold(sentiment="calm", caller_name="Patricia Brown")))
    assert scores.sentiment is None
    assert "sentiment" in scores.errors
    assert scores.caller_name == 1.0
    assert scores.overall is None and "overall" in scores.errors
    assert scores.schema_valid == 0.0


def test_grounding_rate_uses_the_programs_grounding_check() -> None:
    portal = brief_from_labels(
        EXAMPLE.conversation,
        Gold(information_collected=[InfoItem(key="Card", value="debit"), InfoItem(key="PIN", value="9999")]),
    )
    assert metrics.grounding_rate(portal, EXAMPLE.conversation) == 0.5
    assert (
        metrics.grounding_rate(brief_from_labels(EXAMPLE.conversation, Gold()), EXAMPLE.conversation) is None
    )


def test_gold_briefs_of_the_real_calls_score_one(harper_valley: list[LabelledExample]) -> None:
    for example in harper_valley:
        scores = score_example(brief_from_labels(example.conversation, example.gold), example)
        assert example.gold is not None
        expected = 1.0 if example.gold.labelled() & set(SECTIONS) else None
        assert scores.overall == expected, example.id
        assert scores.grounding_rate in (1.0, None), example.id
