"""Inter-annotator agreement: score a second annotator's labels with the same metrics as a program.

A program is only as good as the ruler lets it be: when two careful people label the same calls, their
labels scored against each other give the human ceiling of every section (ROUGE-L between two human
summaries is far from 1.0). :func:`agreement` turns the other annotator's gold into the brief a program
would have written (:func:`brief_from_labels`) and scores it with :func:`eval.metrics.score_example`
against the reference, on the sections *both* labelled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import fmean

from assist.programs import _facts
from assist.schema import (
    SENTIMENT_LABELS,
    AgentAssistPortal,
    Conversation,
    Gold,
    Header,
    LabelledExample,
    Marker,
    NextStep,
    Sentiment,
)
from eval.dataset import Dataset
from eval.metrics import SECTIONS, ExampleScores, score_example

__all__ = ["Agreement", "agreement", "brief_from_labels"]


def brief_from_labels(conversation: Conversation, gold: Gold | None) -> AgentAssistPortal:
    """The brief that states exactly ``gold``; sections it leaves unlabelled get neutral filler.

    A summary outside 3–5 bullets is replaced by filler, since the brief's schema would reject it.
    """
    gold = gold or Gold()
    transcript = _facts.transcript(conversation)
    for marker in gold.markers or []:
        transcript[marker.turn].markers.append(Marker(type=marker.type, description=f"{marker.type} here"))
    level = gold.sentiment or "calm"
    summary = gold.call_summary if gold.call_summary and 3 <= len(gold.call_summary) <= 5 else None
    return AgentAssistPortal(
        header=Header(
            caller_name=gold.caller_name or "Unknown Caller",
            phone_number=_facts.phone_number(conversation),
            call_duration_seconds=_facts.call_duration_seconds(conversation),
            sentiment=Sentiment(label=SENTIMENT_LABELS[level], level=level),
        ),
        transfer_reason=gold.transfer_reason or "caller asked for a person",
        call_summary=summary or ["Caller called.", "Agent answered.", "Call ended."],
        information_collected=list(gold.information_collected or []),
        suggested_next_steps=list(
            gold.suggested_next_steps or [NextStep(action="Follow up", confidence="low")]
        )[:3],
        transcript=transcript,
        compliance_flags=list(gold.compliance_flags or []),
    )


@dataclass(frozen=True)
class Agreement:
    """Per-example scores of the other annotator against the reference, on the calls both labelled."""

    reference: str
    other: str
    example_ids: list[str]
    scores: list[ExampleScores]
    #: Ids of one file missing from the other (not scored).
    unmatched: list[str] = field(default_factory=list)

    def section_scores(self) -> dict[str, float | None]:
        """Mean per section (``overall`` first) over the examples where both labelled it."""
        means: dict[str, float | None] = {}
        for key in ("overall", *SECTIONS):
            values = [v for s in self.scores if (v := getattr(s, key)) is not None]
            means[key] = fmean(values) if values else None
        return means

    def scored_counts(self) -> dict[str, int]:
        return {key: sum(getattr(s, key) is not None for s in self.scores) for key in ("overall", *SECTIONS)}


def _shared_gold(reference: Gold | None, other: Gold | None) -> Gold:
    """The reference gold restricted to the sections the other annotator labelled too."""
    if reference is None or other is None:
        return Gold()
    labelled = {name for name in SECTIONS if getattr(other, name) is not None}
    return reference.model_copy(update={name: None for name in SECTIONS if name not in labelled})


def agreement(reference: Dataset, other: Dataset) -> Agreement:
    """Score ``other``'s labels against ``reference``'s, matching examples by id.

    Raises ``ValueError`` when the two share no example, or when a shared id holds a different transcript
    (the labels would not be of the same call).
    """
    others = {example.id: example for example in other.examples}
    shared = [example for example in reference.examples if example.id in others]
    if not shared:
        raise ValueError(f"{reference.name} and {other.name} have no example id in common")
    ids, scores = [], []
    for example in shared:
        theirs = others[example.id]
        if [(t.role, t.content) for t in theirs.conversation.turns] != [
            (t.role, t.content) for t in example.conversation.turns
        ]:
            raise ValueError(f"{example.id}: the two files hold different transcripts for this id")
        restricted = LabelledExample(
            id=example.id,
            conversation=example.conversation,
            gold=_shared_gold(example.gold, theirs.gold),
        )
        ids.append(example.id)
        scores.append(score_example(brief_from_labels(example.conversation, theirs.gold), restricted))
    shared_ids = set(ids)
    unmatched = [e.id for e in (*reference.examples, *other.examples) if e.id not in shared_ids]
    return Agreement(reference.name, other.name, ids, scores, unmatched)
