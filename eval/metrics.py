"""Per-section metrics of a brief against partial gold: small pure functions, each in [0, 1].

Every formula is in the function's docstring and in ``eval/README.md``. Shared conventions:

* **Empty sets.** For list sections, gold ``[]`` with prediction ``[]`` scores 1.0 and gold ``[]`` with
  any prediction scores 0.0 (a false positive on a call labelled "none" is wrong, not ignored); a
  non-empty gold with an empty prediction scores 0.0.
* **Text similarity** is ROUGE-L F1 (``rouge-score``, Porter stemming), so word order counts but
  inflections do not.
* **Partial gold.** :func:`score_example` scores only the sections present in the gold; a section that
  raises while scoring is ``None`` with its error recorded, never a silent 0.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence, Sized

from nltk.stem import porter
from pydantic import BaseModel, Field
from rapidfuzz import fuzz
from rouge_score import rouge_scorer, tokenizers
from rouge_score import tokenize as rouge_tokenize

from assist.grounding import ground, normalize_text
from assist.programs import BRIEF_SECTIONS, BriefSection, _facts
from assist.schema import (
    SENTIMENT_LEVELS,
    AgentAssistPortal,
    ComplianceFlag,
    Confidence,
    Conversation,
    Gold,
    InfoItem,
    LabelledExample,
    NextStep,
    SentimentLevel,
)
from eval import faithfulness, sentences

__all__ = [
    "KEY_MATCH_THRESHOLD",
    "SECTIONS",
    "ExampleScores",
    "Section",
    "bullet_count_valid",
    "call_summary_score",
    "caller_name_score",
    "check_weights",
    "compliance_false_positive",
    "compliance_flags_score",
    "confidence_agreement",
    "grounding_rate",
    "information_collected_score",
    "information_precision",
    "information_recall",
    "information_values_score",
    "markers_by_type",
    "markers_score",
    "overall_score",
    "schema_valid",
    "score_example",
    "sentiment_exact",
    "sentiment_score",
    "set_f1",
    "suggested_next_steps_score",
    "summary_coverage",
    "text_similarity",
    "transfer_reason_score",
    "unsupported_details_rates",
]

#: The sections scored are the sections a program writes: one list (``assist.programs.BRIEF_SECTIONS``).
Section = BriefSection
SECTIONS: tuple[Section, ...] = BRIEF_SECTIONS

#: rapidfuzz ``token_set_ratio`` (0-100) from which two information keys are "the same key". 85 lets
#: "Card type" match "Replacement card type" (a token subset scores 100) but keeps
#: "Transfer source account" apart from "Transfer destination account" (82).
KEY_MATCH_THRESHOLD = 85.0
_CONFIDENCE_LEVEL: dict[Confidence, int] = {"low": 0, "medium": 1, "high": 2}
#: ``docs/brief.md``: 3 to 5 summary bullets, 1 to 3 next steps.
_SUMMARY_BULLETS = (3, 5)
_NEXT_STEPS = (1, 3)


class _MemoTokenizer(tokenizers.Tokenizer):  # type: ignore[misc]  # rouge-score has no type hints
    """rouge-score's default tokenizer (lowercase, alphanumeric tokens, Porter stems of words over 3
    letters), memoized per text and per word: the same bullets are compared many times and the same
    words recur across calls, and stemming is most of the scoring time."""

    def __init__(self) -> None:
        self.stem = functools.lru_cache(maxsize=1 << 16)(porter.PorterStemmer().stem)
        self._cached = functools.lru_cache(maxsize=1 << 15)(self._tokenize)

    def _tokenize(self, text: str) -> list[str]:
        tokens: list[str] = rouge_tokenize.tokenize(text, self)  # calls self.stem
        return tokens

    def tokenize(self, text: str) -> list[str]:
        # rouge-score only reads the token lists, so sharing the cached ones is safe.
        tokens: list[str] = self._cached(text)
        return tokens


_ROUGE = rouge_scorer.RougeScorer(["rougeL"], tokenizer=_MemoTokenizer())


class ExampleScores(BaseModel):
    """Scores of one brief against one example's gold. ``None``: not labelled, or scoring failed (see ``errors``)."""

    sentiment: float | None = None
    caller_name: float | None = None
    transfer_reason: float | None = None
    call_summary: float | None = None
    information_collected: float | None = None
    suggested_next_steps: float | None = None
    markers: float | None = None
    compliance_flags: float | None = None
    #: 1.0 when the brief validates and copies the known facts (transcript, phone, duration) exactly.
    schema_valid: float | None = None
    #: Share of information values and markers that survive :func:`assist.grounding.ground`.
    grounding_rate: float | None = None
    #: Weighted mean of the scored sections; ``None`` when none is scored or one failed.
    overall: float | None = None
    #: Sub-metrics, e.g. ``sentiment.exact``, ``call_summary.coverage``, ``markers.frustration``.
    details: dict[str, float] = Field(default_factory=dict)
    #: Section (or ``generate``) -> why it has no score.
    errors: dict[str, str] = Field(default_factory=dict)

    def section(self, name: Section) -> float | None:
        value: float | None = getattr(self, name)
        return value


# --- building blocks ----------------------------------------------------------------------------


def text_similarity(prediction: str, reference: str) -> float:
    """ROUGE-L F1 of the two texts (``rouge-score``, stemmed tokens).

    ``F = 2·P·R / (P + R)`` with ``P = LCS / |prediction tokens|`` and ``R = LCS / |reference tokens|``.
    Two texts with no word tokens score 1.0; exactly one without tokens scores 0.0.
    """
    result = _ROUGE.score(reference, prediction)["rougeL"]
    if result.fmeasure == 0.0 and not normalize_text(prediction) and not normalize_text(reference):
        return 1.0
    return float(result.fmeasure)


def set_f1(predicted: Collection[Hashable], gold: Collection[Hashable]) -> float:
    """F1 of two sets: ``2·|P∩G| / (|P| + |G|)``; both empty scores 1.0, exactly one empty 0.0."""
    p, g = set(predicted), set(gold)
    if not p and not g:
        return 1.0
    return 2 * len(p & g) / (len(p) + len(g))


def _empty_rule(predicted: Collection[object], gold: Collection[object]) -> float | None:
    """1.0 / 0.0 when either side is empty (see module docstring), ``None`` when both have items."""
    if not gold:
        return 1.0 if not predicted else 0.0
    if not predicted:
        return 0.0
    return None


def _best_match_mean(predicted: Sequence[str], gold: Sequence[str]) -> float:
    """Mean over gold texts of the best :func:`text_similarity` among the predicted texts."""
    return sum(max(text_similarity(p, g) for p in predicted) for g in gold) / len(gold)


def _max_matching(n_left: int, n_right: int, compatible: Callable[[int, int], bool]) -> int:
    """Size of a maximum bipartite matching (augmenting paths); the result ignores item order."""
    edges = [[j for j in range(n_right) if compatible(i, j)] for i in range(n_left)]
    match_of_right: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in match_of_right or augment(match_of_right[j], seen):
                match_of_right[j] = i
                return True
        return False

    return sum(augment(i, set()) for i in range(n_left))


def _f1_from_matches(matches: int, n_predicted: int, n_gold: int) -> float:
    return 2 * matches / (n_predicted + n_gold)


# --- sections -----------------------------------------------------------------------------------


def sentiment_score(predicted: SentimentLevel, gold: SentimentLevel) -> float:
    """Ordinal agreement ``1 - |level(pred) - level(gold)| / 4``, levels calm=0 … escalated=4."""
    return 1.0 - abs(SENTIMENT_LEVELS.index(predicted) - SENTIMENT_LEVELS.index(gold)) / 4


def sentiment_exact(predicted: SentimentLevel, gold: SentimentLevel) -> float:
    """1.0 when the levels are equal, else 0.0 (its mean over a run is the exact-match rate)."""
    return 1.0 if predicted == gold else 0.0


def caller_name_score(predicted: str, gold: str) -> float:
    """1.0 when the names match after :func:`~assist.grounding.normalize_text` and ignoring word order, else 0.0.

    ``"Unknown Caller"`` is a name like any other: predicting it for a known caller scores 0.0.
    """
    return 1.0 if sorted(normalize_text(predicted).split()) == sorted(normalize_text(gold).split()) else 0.0


def transfer_reason_score(predicted: str, gold: str) -> float:
    """:func:`text_similarity` (ROUGE-L F1) of predicted and gold reason."""
    return text_similarity(predicted, gold)


def bullet_count_valid(items: Sized, *, low: int, high: int) -> float:
    """1.0 when ``low <= len(items) <= high``, else 0.0."""
    return 1.0 if low <= len(items) <= high else 0.0


def summary_coverage(predicted: Sequence[str], gold: Sequence[str]) -> float:
    """Mean over gold bullets of the best ROUGE-L F1 against any predicted bullet (order-free)."""
    empty = _empty_rule(predicted, gold)
    return empty if empty is not None else _best_match_mean(predicted, gold)


def call_summary_score(predicted: Sequence[str], gold: Sequence[str]) -> dict[str, float]:
    """``valid · (similarity + coverage) / 2`` where

    * ``similarity`` = ROUGE-L F1 of all predicted bullets joined vs all gold bullets joined,
    * ``coverage`` = :func:`summary_coverage`,
    * ``valid`` = :func:`bullet_count_valid` with 3–5 bullets (``docs/brief.md``).

    Returns the score under ``"score"`` and the parts under their names.
    """
    valid = bullet_count_valid(predicted, low=_SUMMARY_BULLETS[0], high=_SUMMARY_BULLETS[1])
    empty = _empty_rule(predicted, gold)
    if empty is not None:
        return {"score": valid * empty, "similarity": empty, "coverage": empty, "bullets_valid": valid}
    similarity = text_similarity("\n".join(predicted), "\n".join(gold))
    coverage = _best_match_mean(predicted, gold)
    return {
        "score": valid * (similarity + coverage) / 2,
        "similarity": similarity,
        "coverage": coverage,
        "bullets_valid": valid,
    }


def _same_key(predicted: str, gold: str) -> bool:
    return fuzz.token_set_ratio(normalize_text(predicted), normalize_text(gold)) >= KEY_MATCH_THRESHOLD


def _same_value(predicted: str, gold: str) -> bool:
    """Equal after normalizing, also with spaces removed ("8 8 4 1 2" is "88412", "$1,200" is "1200")."""
    p, g = normalize_text(predicted), normalize_text(gold)
    return p == g or p.replace(" ", "") == g.replace(" ", "")


def _information_matches(predicted: Sequence[InfoItem], gold: Sequence[InfoItem]) -> int:
    """``M``: a maximum one-to-one matching of items whose keys match fuzzily (rapidfuzz ``token_set_ratio`` ≥
    :data:`KEY_MATCH_THRESHOLD` on normalized keys) and whose values are equal after normalizing."""
    return _max_matching(
        len(predicted),
        len(gold),
        lambda i, j: (
            _same_value(predicted[i].value, gold[j].value) and _same_key(predicted[i].key, gold[j].key)
        ),
    )


def information_collected_score(predicted: Sequence[InfoItem], gold: Sequence[InfoItem]) -> float:
    """Key/value F1: ``2·M / (|pred| + |gold|)`` where ``M`` is a maximum one-to-one matching of items
    whose keys match fuzzily (rapidfuzz ``token_set_ratio`` ≥ :data:`KEY_MATCH_THRESHOLD` on normalized
    keys) and whose values are equal after normalizing (case, punctuation, and spacing ignored)."""
    empty = _empty_rule(predicted, gold)
    if empty is not None:
        return empty
    return _f1_from_matches(_information_matches(predicted, gold), len(predicted), len(gold))


def information_precision(predicted: Sequence[InfoItem], gold: Sequence[InfoItem]) -> float:
    """``M / |pred|``: the share of the brief's items that the gold has (``M`` as in
    :func:`information_collected_score`). Empty sets as the F1: both empty 1.0, exactly one empty 0.0."""
    empty = _empty_rule(predicted, gold)
    if empty is not None:
        return empty
    return _information_matches(predicted, gold) / len(predicted)


def information_recall(predicted: Sequence[InfoItem], gold: Sequence[InfoItem]) -> float:
    """``M / |gold|``: the share of the gold's items that the brief has (``M`` as in
    :func:`information_collected_score`). Empty sets as the F1: both empty 1.0, exactly one empty 0.0."""
    empty = _empty_rule(predicted, gold)
    if empty is not None:
        return empty
    return _information_matches(predicted, gold) / len(gold)


def information_values_score(predicted: Sequence[InfoItem], gold: Sequence[InfoItem]) -> float:
    """As :func:`information_collected_score` but keys ignored: did the brief capture the right values?"""
    empty = _empty_rule(predicted, gold)
    if empty is not None:
        return empty
    matches = _max_matching(
        len(predicted), len(gold), lambda i, j: _same_value(predicted[i].value, gold[j].value)
    )
    return _f1_from_matches(matches, len(predicted), len(gold))


def confidence_agreement(predicted: Confidence, gold: Confidence) -> float:
    """``1 - |level(pred) - level(gold)| / 2`` with low=0, medium=1, high=2."""
    return 1.0 - abs(_CONFIDENCE_LEVEL[predicted] - _CONFIDENCE_LEVEL[gold]) / 2


def suggested_next_steps_score(predicted: Sequence[NextStep], gold: Sequence[NextStep]) -> dict[str, float]:
    """``valid · (0.75·action + 0.25·confidence)`` where

    * ``action`` = mean over gold steps of the best ROUGE-L F1 against any predicted action,
    * ``confidence`` = mean over gold steps of :func:`confidence_agreement` with that best-matching
      predicted step (ties: the most agreeing one, so item order never matters),
    * ``valid`` = :func:`bullet_count_valid` with 1–3 steps (``docs/brief.md``).
    """
    valid = bullet_count_valid(predicted, low=_NEXT_STEPS[0], high=_NEXT_STEPS[1])
    empty = _empty_rule(predicted, gold)
    if empty is not None:
        return {"score": valid * empty, "action": empty, "confidence": empty, "count_valid": valid}
    action_total = confidence_total = 0.0
    for g in gold:
        similarities = [text_similarity(p.action, g.action) for p in predicted]
        best = max(similarities)
        action_total += best
        confidence_total += max(
            confidence_agreement(p.confidence, g.confidence)
            for p, s in zip(predicted, similarities, strict=True)
            if s == best
        )
    action, confidence = action_total / len(gold), confidence_total / len(gold)
    return {
        "score": valid * (0.75 * action + 0.25 * confidence),
        "action": action,
        "confidence": confidence,
        "count_valid": valid,
    }


def markers_score(predicted: Collection[tuple[int, str]], gold: Collection[tuple[int, str]]) -> float:
    """Micro-F1 over ``(turn index, marker type)`` pairs (:func:`set_f1`)."""
    return set_f1(predicted, gold)


def markers_by_type(
    predicted: Collection[tuple[int, str]], gold: Collection[tuple[int, str]]
) -> dict[str, float]:
    """F1 over turn indices, per marker type present in prediction or gold."""
    types = {t for _, t in predicted} | {t for _, t in gold}
    return {
        t: set_f1({i for i, u in predicted if u == t}, {i for i, u in gold if u == t}) for t in sorted(types)
    }


def _flag_type(flag: ComplianceFlag) -> str:
    return normalize_text(flag.type).replace(" ", "_")


def compliance_flags_score(predicted: Sequence[ComplianceFlag], gold: Sequence[ComplianceFlag]) -> float:
    """F1 over the sets of flag types (normalized: case, spaces and hyphens as ``_``); descriptions are not scored."""
    return set_f1({_flag_type(f) for f in predicted}, {_flag_type(f) for f in gold})


def compliance_false_positive(
    predicted: Sequence[ComplianceFlag], gold: Sequence[ComplianceFlag]
) -> float | None:
    """On a call labelled ``[]``: 1.0 when the brief raises any flag, else 0.0 (its mean is the
    false-positive rate). ``None`` when the gold has flags."""
    if gold:
        return None
    return 1.0 if predicted else 0.0


def schema_valid(portal: AgentAssistPortal, conversation: Conversation) -> float:
    """1.0 when the brief re-validates as ``AgentAssistPortal`` and its known facts equal the call's:
    every turn in order (role and text), the phone number and the duration. Else 0.0."""
    try:
        AgentAssistPortal.model_validate(portal.model_dump(mode="json"))
    except ValueError:
        return 0.0
    turns_match = [(t.role, t.content) for t in portal.transcript] == [
        (t.role, t.content) for t in conversation.turns
    ]
    facts_match = portal.header.phone_number == _facts.phone_number(
        conversation
    ) and portal.header.call_duration_seconds == _facts.call_duration_seconds(conversation)
    return 1.0 if turns_match and facts_match else 0.0


def grounding_rate(portal: AgentAssistPortal, conversation: Conversation) -> float | None:
    """``1 - dropped / (information items + markers)`` with ``dropped`` counted by the same
    :func:`assist.grounding.ground` the programs run; ``None`` when the brief claims nothing to check."""
    claims = len(portal.information_collected) + sum(len(t.markers) for t in portal.transcript)
    if claims == 0:
        return None
    _, dropped = ground(portal, conversation)
    return 1.0 - dropped / claims


def overall_score(sections: Mapping[str, float], weights: Mapping[str, float] | None = None) -> float | None:
    """Weighted mean ``Σ w_s·score_s / Σ w_s`` over the scored sections (default weight 1); ``None`` if none."""
    weights = weights or {}
    total = sum(weights.get(name, 1.0) for name in sections)
    if not sections or total <= 0:
        return None
    return sum(weights.get(name, 1.0) * score for name, score in sections.items()) / total


# --- one example ----------------------------------------------------------------------------------

_Scorer = Callable[[AgentAssistPortal, Gold], dict[str, float]]


def _portal_markers(portal: AgentAssistPortal) -> set[tuple[int, str]]:
    return {(i, m.type) for i, turn in enumerate(portal.transcript) for m in turn.markers}


def _score_sentiment(portal: AgentAssistPortal, gold: Gold) -> dict[str, float]:
    assert gold.sentiment is not None
    level = portal.header.sentiment.level
    return {"score": sentiment_score(level, gold.sentiment), "exact": sentiment_exact(level, gold.sentiment)}


def _score_caller_name(portal: AgentAssistPortal, gold: Gold) -> dict[str, float]:
    assert gold.caller_name is not None
    return {"score": caller_name_score(portal.header.caller_name, gold.caller_name)}


def _score_transfer_reason(portal: AgentAssistPortal, gold: Gold) -> dict[str, float]:
    assert gold.transfer_reason is not None
    return {"score": transfer_reason_score(portal.transfer_reason, gold.transfer_reason)}


def _score_call_summary(portal: AgentAssistPortal, gold: Gold) -> dict[str, float]:
    assert gold.call_summary is not None
    return call_summary_score(portal.call_summary, gold.call_summary)


def _score_information(portal: AgentAssistPortal, gold: Gold) -> dict[str, float]:
    assert gold.information_collected is not None
    predicted, expected = portal.information_collected, gold.information_collected
    return {
        "score": information_collected_score(predicted, expected),
        "precision": information_precision(predicted, expected),
        "recall": information_recall(predicted, expected),
        "values": information_values_score(predicted, expected),
    }


def _score_next_steps(portal: AgentAssistPortal, gold: Gold) -> dict[str, float]:
    assert gold.suggested_next_steps is not None
    return suggested_next_steps_score(portal.suggested_next_steps, gold.suggested_next_steps)


def _score_markers(portal: AgentAssistPortal, gold: Gold) -> dict[str, float]:
    assert gold.markers is not None
    predicted, expected = _portal_markers(portal), {(m.turn, m.type) for m in gold.markers}
    return {"score": markers_score(predicted, expected), **markers_by_type(predicted, expected)}


def _score_compliance(portal: AgentAssistPortal, gold: Gold) -> dict[str, float]:
    assert gold.compliance_flags is not None
    parts = {"score": compliance_flags_score(portal.compliance_flags, gold.compliance_flags)}
    false_positive = compliance_false_positive(portal.compliance_flags, gold.compliance_flags)
    if false_positive is not None:
        parts["false_positive"] = false_positive
    return parts


_SCORERS: dict[Section, _Scorer] = {
    "sentiment": _score_sentiment,
    "caller_name": _score_caller_name,
    "transfer_reason": _score_transfer_reason,
    "call_summary": _score_call_summary,
    "information_collected": _score_information,
    "suggested_next_steps": _score_next_steps,
    "markers": _score_markers,
    "compliance_flags": _score_compliance,
}


def check_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    """Validated section weights (unknown section or negative weight: ``ValueError``)."""
    checked = dict(weights or {})
    for name, weight in checked.items():
        if name not in SECTIONS:
            raise ValueError(f"unknown section {name!r} in weights (sections: {', '.join(SECTIONS)})")
        if weight < 0:
            raise ValueError(f"weight of {name} must be >= 0, got {weight}")
    return checked


UNSUPPORTED_DETAILS = "unsupported_details"


def unsupported_details_rates(portal: AgentAssistPortal, conversation: Conversation) -> dict[str, float]:
    """Share of the brief's checkable details that the call does not support (``eval.faithfulness``).

    ``unsupported_details = unsupported / details`` over every free-text section, and
    ``unsupported_details.<section>`` per section; a section (or brief) without details has no value. Needs
    no gold: it reads the brief against its own transcript. Not part of ``overall``.
    """
    counts, unsupported = faithfulness.unsupported_details(portal, conversation)
    rates: dict[str, float] = {}
    total = sum(counts.values())
    if total:
        rates[UNSUPPORTED_DETAILS] = len(unsupported) / total
    for section, count in counts.items():
        if count:
            rates[f"{UNSUPPORTED_DETAILS}.{section}"] = sum(d.section == section for d in unsupported) / count
    return rates


#: Per-example share of the brief's free-text sentences that are finished (:func:`eval.sentences.complete_share`):
#: needs no gold, not part of ``overall``.
SENTENCES_COMPLETE = "sentences.complete"


def score_example(
    portal: AgentAssistPortal, example: LabelledExample, *, weights: dict[str, float] | None = None
) -> ExampleScores:
    """Score every section the example has gold for; see the module docstring for the conventions."""
    weights = check_weights(weights)
    labelled = example.gold.labelled() if example.gold is not None else set()
    scores = ExampleScores()
    sections: dict[str, float] = {}
    for name, scorer in _SCORERS.items():
        if name not in labelled:
            continue
        assert example.gold is not None
        try:
            parts = scorer(portal, example.gold)
        except Exception as exc:  # noqa: BLE001 - a metric bug must show as NULL plus its error, not stop the run
            scores.errors[name] = f"{type(exc).__name__}: {exc}"
            continue
        sections[name] = parts.pop("score")
        setattr(scores, name, sections[name])
        scores.details.update({f"{name}.{part}": value for part, value in parts.items()})
    for metric_name, metric in (("schema_valid", schema_valid), ("grounding_rate", grounding_rate)):
        try:
            setattr(scores, metric_name, metric(portal, example.conversation))
        except Exception as exc:  # noqa: BLE001 - same rule as the sections
            scores.errors[metric_name] = f"{type(exc).__name__}: {exc}"
    try:
        scores.details.update(unsupported_details_rates(portal, example.conversation))
    except Exception as exc:  # noqa: BLE001 - same rule as the sections
        scores.errors[UNSUPPORTED_DETAILS] = f"{type(exc).__name__}: {exc}"
    try:
        complete = sentences.complete_share(portal)
    except Exception as exc:  # noqa: BLE001 - same rule as the sections
        scores.errors[SENTENCES_COMPLETE] = f"{type(exc).__name__}: {exc}"
    else:
        if complete is not None:
            scores.details[SENTENCES_COMPLETE] = complete
    failed = [name for name in SECTIONS if name in scores.errors]
    if failed:
        scores.errors["overall"] = f"not computed: scoring failed for {', '.join(failed)}"
    else:
        scores.overall = overall_score(sections, weights)
    return scores
