"""What a judge said about each brief, and the judge metrics made of it (pure: no model client here).

A judge (:mod:`eval.judge`, a second language model) grades a brief's free text two ways:

* **against the gold**, for ``transfer_reason``, ``call_summary`` and ``suggested_next_steps``: the key ideas of
  the brief's text covered by the gold (``judge.<section>.precision``), of the gold covered by the brief
  (``.recall``) and ``.f1 = 2PR / (P + R)``;
* **against the call**, no gold needed: the brief's free text split into claims, each supported by the
  transcript or not with a one-line reason; ``judge.supported_claims = supported / judged claims``.

Judge metrics are their own metrics, never sections: ``overall`` leaves them out unless they are weighted in
(``--weight judge.call_summary.f1=1``). A judgment that failed is ``None`` with its error, never 0. The
runner and the storage use this module without loading DSPy; :mod:`eval.judge` asks the model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, Protocol, get_args, runtime_checkable

from pydantic import BaseModel, Field

from assist.schema import AgentAssistPortal, LabelledExample
from eval.metrics import SECTIONS, ExampleScores, check_weights, overall_score

__all__ = [
    "JUDGED_SECTIONS",
    "JUDGE_METRICS",
    "SUPPORTED_CLAIMS",
    "BriefJudge",
    "ClaimVerdict",
    "JudgedSection",
    "Judgment",
    "KeyIdeas",
    "judge_all",
    "judge_failure",
    "judge_summary",
    "split_weights",
    "with_judgments",
]

JudgedSection = Literal["transfer_reason", "call_summary", "suggested_next_steps"]
#: The free-text sections a judge compares with their gold.
JUDGED_SECTIONS: tuple[JudgedSection, ...] = get_args(JudgedSection)
_PARTS = ("precision", "recall", "f1")
SUPPORTED_CLAIMS = "judge.supported_claims"
#: Every judge metric, in display order; each can be weighted into ``overall`` (weight 0 by default).
JUDGE_METRICS: tuple[str, ...] = (
    *(f"judge.{section}.{part}" for section in JUDGED_SECTIONS for part in _PARTS),
    SUPPORTED_CLAIMS,
)


class ClaimVerdict(BaseModel):
    """One claim of a brief and whether the call supports it, with the judge's one-line reason."""

    claim: str
    supported: bool
    reason: str


class KeyIdeas(BaseModel):
    """The judge's comparison of one section with its gold; all scores ``None`` with ``error`` when it failed."""

    precision: float | None = None
    recall: float | None = None
    f1: float | None = None
    #: The judge's reasoning (DSPy's chain of thought), to read a score by.
    reasoning: str | None = None
    error: str | None = None


class Judgment(BaseModel):
    """Everything a judge said about one brief."""

    example_id: str
    #: One entry per judged section the example has gold for.
    sections: dict[JudgedSection, KeyIdeas] = Field(default_factory=dict)
    #: The judged claims in the judge's order; ``None`` when the claims could not be judged (``claims_error``).
    claims: list[ClaimVerdict] | None = None
    #: Claims the judge found in the brief, before the cap on claims judged per brief.
    claims_found: int | None = None
    claims_error: str | None = None
    #: Requests sent to the judge model for this brief (answers from the cache are not requests).
    requests: int = 0
    #: Judge answers taken from the response cache.
    cached: int = 0
    seconds: float = 0.0

    def supported_claims(self) -> float | None:
        """``supported / judged`` claims; ``None`` when judging failed or the judge found no claim."""
        if not self.claims:
            return None
        return sum(verdict.supported for verdict in self.claims) / len(self.claims)

    def metrics(self) -> dict[str, float | None]:
        """The judge metrics this brief was judged on (``None``: that judgment failed, see :meth:`errors`)."""
        values: dict[str, float | None] = {
            f"judge.{section}.{part}": getattr(ideas, part)
            for section, ideas in self.sections.items()
            for part in _PARTS
        }
        if self.claims is not None or self.claims_error is not None:
            values[SUPPORTED_CLAIMS] = self.supported_claims()
        return values

    def failed_entirely(self) -> bool:
        """Every judge metric of this brief failed: it has at least one, and each has an error."""
        metrics = self.metrics()
        return bool(metrics) and set(self.errors()) == set(metrics)

    def reasons(self) -> list[str]:
        """The distinct errors of this judgment (a section's, the claims'), in order."""
        found = [ideas.error for ideas in self.sections.values() if ideas.error is not None]
        found += [self.claims_error] if self.claims_error is not None else []
        return list(dict.fromkeys(found))

    def errors(self) -> dict[str, str]:
        """Judge metric -> why it has no value."""
        errors = {
            f"judge.{section}.{part}": ideas.error
            for section, ideas in self.sections.items()
            if ideas.error is not None
            for part in _PARTS
        }
        if self.claims_error is not None:
            errors[SUPPORTED_CLAIMS] = self.claims_error
        return errors


@runtime_checkable
class BriefJudge(Protocol):
    """Grades one brief (:class:`eval.judge.Judge` asks a language model)."""

    def provenance(self) -> dict[str, Any]:
        """``lm``, ``api_base`` (without credentials), ``prompt_version`` and ``options``."""
        ...

    def judge(self, portal: AgentAssistPortal, example: LabelledExample) -> Judgment: ...


def split_weights(weights: Mapping[str, float] | None) -> tuple[dict[str, float], dict[str, float]]:
    """``(section weights, judge-metric weights)``, each checked: an unknown name or a negative weight is a
    ``ValueError``. Judge metrics have weight 0 unless given one."""
    sections = {name: w for name, w in (weights or {}).items() if not name.startswith("judge.")}
    judged = {name: w for name, w in (weights or {}).items() if name.startswith("judge.")}
    for name, weight in judged.items():
        if name not in JUDGE_METRICS:
            raise ValueError(
                f"unknown judge metric {name!r} in weights (judge metrics: {', '.join(JUDGE_METRICS)})"
            )
        if weight < 0:
            raise ValueError(f"weight of {name} must be >= 0, got {weight}")
    return check_weights(sections), judged


def judge_all(
    judge: BriefJudge,
    portals: Sequence[AgentAssistPortal | None],
    examples: Sequence[LabelledExample],
    *,
    threads: int,
    progress: Callable[[int], None] | None = None,
) -> list[Judgment | None]:
    """One judgment per brief, in order, ``threads`` at a time; ``None`` where there is no brief to judge."""
    if threads < 1:
        raise ValueError(f"--threads must be >= 1, got {threads}")

    def one(portal: AgentAssistPortal | None, example: LabelledExample) -> Judgment | None:
        judgment = judge.judge(portal, example) if portal is not None else None
        if progress:
            progress(1)
        return judgment

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="judge") as pool:
        return list(pool.map(one, portals, examples))


def _judged(scores: ExampleScores, judgment: Judgment | None, weights: Mapping[str, float]) -> ExampleScores:
    """``scores`` plus the judge metrics of ``judgment`` (values in ``details``, failures in ``errors``); when a
    judge metric has a weight > 0, ``overall = Σ w·score / Σ w`` over the scored sections and the weighted judge
    metrics this example has, ``None`` with an error when one of those judgments failed."""
    if judgment is None:  # no brief: its overall already says why
        return scores
    values, errors = judgment.metrics(), judgment.errors()
    judged = scores.model_copy(
        update={
            "details": {**scores.details, **{k: v for k, v in values.items() if v is not None}},
            "errors": {**scores.errors, **errors},
        }
    )
    weighted = [name for name, weight in weights.items() if name in JUDGE_METRICS and weight > 0]
    if not weighted or "overall" in scores.errors:
        return judged
    failed = [name for name in weighted if name in errors]
    if failed:
        judged.errors["overall"] = f"not computed: judging failed for {', '.join(failed)}"
        judged.overall = None
        return judged
    parts: dict[str, float] = {s: v for s in SECTIONS if (v := scores.section(s)) is not None}
    parts.update({name: value for name in weighted if (value := values.get(name)) is not None})
    judged.overall = overall_score(parts, weights)
    return judged


def with_judgments(
    scores: Sequence[ExampleScores], judgments: Sequence[Judgment | None], weights: Mapping[str, float]
) -> list[ExampleScores]:
    """Each example's scores with its judge metrics, and judge metrics weighted into ``overall`` (``weights``:
    sections and judge metrics, as :func:`split_weights` checked them)."""
    return [_judged(s, j, weights) for s, j in zip(scores, judgments, strict=True)]


def judge_summary(judgments: Sequence[Judgment | None]) -> dict[str, Any]:
    """Over the judged briefs: how many were ``judged`` and how many ``failed`` (a judgment with an error), the
    judge ``requests`` sent and answers taken from the ``cached`` responses, and ``claims``: ``found``,
    ``judged`` (after the cap) and ``supported``."""
    judged = [j for j in judgments if j is not None]
    verdicts = [verdict for j in judged for verdict in j.claims or []]
    return {
        "judged": len(judged),
        "failed": sum(bool(j.errors()) for j in judged),
        "requests": sum(j.requests for j in judged),
        "cached": sum(j.cached for j in judged),
        "claims": {
            "found": sum(j.claims_found or 0 for j in judged),
            "judged": len(verdicts),
            "supported": sum(verdict.supported for verdict in verdicts),
        },
    }


def judge_failure(judgments: Sequence[Judgment | None]) -> str | None:
    """One line when every judged brief's judgment failed (:meth:`Judgment.failed_entirely`: no judge metric has
    a value anywhere, so the judge measured nothing: a wrong server, no key, a timeout too short, a judge that
    never answers in form), with the error most briefs share; ``None`` when no brief was judged or one judge
    metric has a value."""
    judged = [j for j in judgments if j is not None]
    if not judged or not all(j.failed_entirely() for j in judged):
        return None
    reasons = Counter(reason for j in judged for reason in j.reasons())
    reason, briefs = reasons.most_common(1)[0]
    return (
        f"every judgment failed ({len(judged)} of {len(judged)} briefs judged), so the run has no judge metric; "
        f"most common error ({briefs} of {len(judged)} briefs): {reason}"
    )
