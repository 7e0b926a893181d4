"""Two runs, example by example: is a difference real (:func:`compare_runs`), and what did one example get
(:func:`example_view`)?

**Paired differences.** Two programs' scores on the same call are correlated — a call that is hard for one
is usually hard for the other — so the unit of comparison is the per-example difference ``d_i = B_i − A_i``
over the examples both runs scored, not the two run means with their separate spreads. The spread of the
``d_i`` is what is left once the shared difficulty is taken out, so a paired interval is narrower, and
honest, where two independent intervals would overlap and hide a real change.

**The interval** is a paired bootstrap: resample the ``n`` differences with replacement, take the mean of
each resample, and read the 2.5th and 97.5th percentiles of those means (:func:`bootstrap_interval`). On few
pairs a percentile interval is too narrow (it excludes 0 by chance in 14% of comparisons of two equal programs
on 6 pairs), so it is reported, not trusted alone.

**The test** is a paired sign-flip (randomization) test of the mean difference (:func:`sign_flip_p`): if A and
B are the same program, each ``d_i`` was as likely to come out ``−d_i``, so ``p`` is the share of the ``2^k``
sign patterns of the ``k`` non-zero differences whose sum is at least as far from 0 as the observed one (all of
them up to ``k = 16``, a seeded draw of at most 10,000 beyond).

**The verdict** (:func:`verdict`): *better* when ``p < 0.05`` and the whole interval is above 0, *worse* when
``p < 0.05`` and it is below, otherwise *no detectable difference*; fewer than :data:`MIN_PAIRS` pairs, or
1 to 5 pairs that differ (a tie says nothing about the direction), get *too few pairs*. Simulated on two equal
programs, it says *better* or *worse* in about 5% of comparisons at 6 to 48 pairs (eval/README.md).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from assist.errors import NotFound
from assist.programs import LMUsage, SalvageNote
from assist.schema import AgentAssistPortal, Conversation, Gold, LabelledExample
from eval import faithfulness
from eval.dataset import Dataset
from eval.judgments import Judgment, KeyIdeas
from eval.metrics import SECTIONS, ExampleScores, Section
from eval.runner import EvalRun, Prediction, summary_keys

__all__ = [
    "ALPHA",
    "EXACT_UP_TO",
    "JUDGE_PREFIX",
    "MIN_PAIRS",
    "RESAMPLES",
    "SIGN_FLIPS",
    "Comparison",
    "DatasetMismatch",
    "ExampleChange",
    "ExampleView",
    "FlaggedDetail",
    "PairedDifference",
    "RunRef",
    "SectionView",
    "Verdict",
    "bootstrap_interval",
    "brief_section",
    "compare_runs",
    "example_metrics",
    "example_view",
    "flagged_details",
    "gold_section",
    "nonzero_differences",
    "resample_count",
    "section_lines",
    "sign_flip_count",
    "sign_flip_p",
    "verdict",
]

Verdict = Literal["better", "worse", "no detectable difference", "too few pairs"]

#: Resamples of the bootstrap, and its seed: the same two runs always get the same interval.
RESAMPLES = 10_000
SEED = 0
#: The test's level: a verdict needs ``p <`` this.
ALPHA = 0.05
#: Fewer non-zero differences can never be significant at 5%: even all of the same sign give ``p = 2 · 0.5^5 =
#: 0.0625`` for 5 of them; 6 of the same sign give ``p = 0.03125``.
MIN_PAIRS = 6
#: Up to this many non-zero differences the sign-flip test enumerates every pattern (``2^16 = 65,536``).
EXACT_UP_TO = 16
#: Sign patterns drawn past :data:`EXACT_UP_TO` (fewer for a large run, as for the bootstrap).
SIGN_FLIPS = 10_000
#: Index (or sign) draws one metric's bootstrap (or test) may make; past it a large run gets fewer resamples
#: (down to :data:`_MIN_RESAMPLES`), whose interval is already stable because it is narrow.
_DRAW_BUDGET = 20_000_000
_MIN_RESAMPLES = 1_000
#: Index draws held in memory at once (int32: 16 MB).
_CHUNK_DRAWS = 1 << 22
#: Differences this small are float noise (the same score reached through another order of sums), not a change.
_NOISE = 1e-9
#: Per-example metrics of a model judge are ``ExampleScores.details`` entries named ``judge.…``.
JUDGE_PREFIX = "judge."


class DatasetMismatch(ValueError):
    """The two runs were made on different datasets and the caller did not ask for their shared ids."""


# --- the statistic ---------------------------------------------------------------------------------------


def resample_count(n: int, resamples: int = RESAMPLES) -> int:
    """``R = min(resamples, max(1000, 20,000,000 // n))``: the work of one bootstrap is ``R · n`` index draws,
    bounded by 20 million unless ``n`` itself is over 20,000."""
    return min(resamples, max(_MIN_RESAMPLES, _DRAW_BUDGET // max(n, 1)))


def bootstrap_interval(
    differences: Sequence[float], *, resamples: int = RESAMPLES, seed: int = SEED, level: float = 0.95
) -> tuple[float, float]:
    """Paired bootstrap percentile interval of the mean of ``differences``.

    ``R = resample_count(n, resamples)`` resamples, each ``n`` differences drawn uniformly with replacement
    from the ``n`` given; ``m_r`` = the mean of resample ``r``. The interval is the ``(1 − level)/2`` and
    ``(1 + level)/2`` quantiles of ``m_1 … m_R`` (numpy's linear interpolation). Seeded (numpy PCG64): the
    same differences always give the same interval.
    """
    values = np.asarray(differences, dtype=float)
    n = values.size
    if n == 0:
        raise ValueError("a bootstrap needs at least one difference")
    count = resample_count(n, resamples)
    rows = max(1, _CHUNK_DRAWS // n)
    rng = np.random.default_rng(seed)
    means = np.empty(count)
    for start in range(0, count, rows):
        stop = min(start + rows, count)
        means[start:stop] = values[rng.integers(0, n, size=(stop - start, n), dtype=np.int32)].mean(axis=1)
    low, high = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def nonzero_differences(differences: Sequence[float]) -> list[float]:
    """The differences that are not 0 (beyond float noise, ``|d| > 1e-9``): only they carry a direction."""
    return [float(d) for d in differences if abs(d) > _NOISE]


def sign_flip_count(k: int, flips: int = SIGN_FLIPS) -> int:
    """Sign patterns the test weighs for ``k`` non-zero differences: all ``2^k`` when ``k ≤ 16``, else
    ``min(flips, max(1000, 20,000,000 // k))`` drawn at random (``0`` when ``k = 0``)."""
    if k == 0:
        return 0
    return 2**k if k <= EXACT_UP_TO else resample_count(k, flips)


@functools.lru_cache(maxsize=EXACT_UP_TO + 1)
def _half_of_the_signs(k: int) -> np.ndarray:
    """The ``2^(k−1)`` patterns of ``k`` signs ``±1`` that start with ``+1``, one a row (read-only, shared):
    ``−s`` gives the same ``|Σ s_j·d_j|`` as ``s``, so they stand for all ``2^k``."""
    codes = np.arange(2 ** (k - 1), dtype=np.int64)[:, None] >> np.arange(k - 1, dtype=np.int64)
    signs = np.hstack([np.ones((2 ** (k - 1), 1)), np.where(codes & 1, -1.0, 1.0)])
    signs.flags.writeable = False
    return signs


def sign_flip_p(differences: Sequence[float], *, flips: int = SIGN_FLIPS, seed: int = SEED) -> float:
    """Two-sided p-value of the paired sign-flip (randomization) test that the mean difference is 0.

    Over the ``k`` non-zero differences ``d_j`` (zeros cannot flip), ``T = |Σ d_j|``; a sign pattern ``s``
    gives ``T_s = |Σ s_j·d_j|``. With ``k ≤ 16``: ``p = #{s : T_s ≥ T} / 2^k`` over all ``2^k`` patterns
    (exact). Beyond: ``p = (1 + #{r : T_r ≥ T}) / (1 + F)`` over ``F = sign_flip_count(k, flips)`` patterns
    drawn uniformly (seeded; never 0). ``T_s ≥ T`` allows float noise of ``1e-9 · max(1, Σ|d_j|)``. ``p = 1``
    without a non-zero difference.
    """
    values = np.asarray(nonzero_differences(differences), dtype=float)
    k = values.size
    if k == 0:
        return 1.0
    observed = abs(float(values.sum())) - _NOISE * max(1.0, float(np.abs(values).sum()))
    count = sign_flip_count(k, flips)
    if k <= EXACT_UP_TO:
        half = _half_of_the_signs(k)
        return float(np.count_nonzero(np.abs(half @ values) >= observed)) / len(half)
    rng = np.random.default_rng(seed)
    rows, total, width = max(1, _CHUNK_DRAWS // k), float(values.sum()), (k + 7) // 8
    hits = 0
    for start in range(0, count, rows):
        size = min(rows, count - start)
        # One random bit per sign (b = 1: flipped), so Σ s_j·d_j = Σ d_j − 2·Σ b_j·d_j.
        raw = np.frombuffer(rng.bytes(size * width), dtype=np.uint8).reshape(size, width)
        flipped = np.unpackbits(raw, axis=1, count=k)
        hits += int(np.count_nonzero(np.abs(total - 2.0 * (flipped @ values)) >= observed))
    return (1 + hits) / (1 + count)


def verdict(n: int, nonzero: int, p: float | None, low: float | None, high: float | None) -> Verdict:
    """``too few pairs`` when ``n < MIN_PAIRS`` or ``0 < nonzero < MIN_PAIRS`` (``n`` pairs, ``nonzero`` of them
    differing: too few to ever be significant); else ``better`` when ``p < 0.05`` and ``low > 0``, ``worse``
    when ``p < 0.05`` and ``high < 0`` (beyond float noise, 1e-9), otherwise ``no detectable difference`` (all
    pairs equal, ``p ≥ 0.05``, or an interval that contains 0)."""
    if n < MIN_PAIRS or 0 < nonzero < MIN_PAIRS or p is None or low is None or high is None:
        return "too few pairs"
    if p < ALPHA and low > _NOISE:
        return "better"
    if p < ALPHA and high < -_NOISE:
        return "worse"
    return "no detectable difference"


# --- comparing two runs -----------------------------------------------------------------------------------


def _number_fields(scores: ExampleScores) -> dict[str, float | None]:
    """Every per-example number of ``scores`` held as its own field (``overall``, sections, ``schema_valid``, …)."""
    return {
        name: getattr(scores, name)
        for name in ExampleScores.model_fields
        if name not in {"details", "errors"}
    }


def example_metrics(scores: ExampleScores) -> dict[str, float]:
    """Every per-example number of ``scores`` that is not ``None``: ``overall`` and the sections, then the
    other fields (``schema_valid``, ``grounding_rate``) and each sub-metric of ``details`` (judge metrics
    included)."""
    fields = _number_fields(scores)
    ordered = {key: fields.pop(key) for key in summary_keys} | fields | dict(scores.details)
    return {key: value for key, value in ordered.items() if value is not None}


class RunRef(BaseModel):
    """Which run a comparison side is."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    program: str
    dataset: str
    dataset_hash: str
    n: int

    @classmethod
    def of(cls, run: EvalRun) -> RunRef:
        return cls(
            run_id=run.run_id,
            program=run.program,
            dataset=run.dataset,
            dataset_hash=run.dataset_hash,
            n=run.n,
        )

    def label(self) -> str:
        return f"{self.run_id} ({self.program} on {self.dataset}@{self.dataset_hash[:12]})"


class PairedDifference(BaseModel):
    """One metric over the examples both runs scored: means of A and B over those pairs, ``delta`` = mean of
    ``B_i − A_i`` (= ``b − a``), its bootstrap interval ``[low, high]``, the sign-flip test's ``p`` and the
    verdict. ``None``: no pairs."""

    model_config = ConfigDict(frozen=True)

    metric: str
    n: int
    #: Pairs whose difference is not 0: what the test and the "too few pairs" rule count.
    nonzero: int
    a: float | None
    b: float | None
    delta: float | None
    low: float | None
    high: float | None
    p: float | None
    verdict: Verdict
    #: Bootstrap resamples this interval used (:func:`resample_count`), and sign patterns the test weighed
    #: (:func:`sign_flip_count`: every one up to 16 non-zero differences); 0 without pairs.
    resamples: int
    sign_flips: int


class ExampleChange(BaseModel):
    """One shared example's ``metric`` in A (``before``) and B (``after``); ``None``: not scored there."""

    model_config = ConfigDict(frozen=True)

    example_id: str
    metric: str
    before: float | None
    after: float | None

    @property
    def delta(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before


class Comparison(BaseModel):
    """What :func:`compare_runs` found: one :class:`PairedDifference` per metric (``overall`` and the sections
    first, in :data:`eval.runner.summary_keys` order, then the other per-example metrics present in either run)
    and the examples whose overall changed most."""

    model_config = ConfigDict(frozen=True)

    a: RunRef
    b: RunRef
    #: Example ids in both runs (the candidates for pairs), and in one run only.
    shared: int
    only_a: int
    only_b: int
    #: Of the shared examples, how many each program failed to brief (no scores: in no pair).
    failed_a: int
    failed_b: int
    #: Bootstrap resamples overall's interval used (the most any row used when overall has no pairs). A row
    #: with many pairs may use fewer than asked for (:func:`resample_count`); each row says its own.
    resamples: int
    seed: int
    rows: list[PairedDifference]
    changes: list[ExampleChange]
    #: What the reader must know to read the numbers (other dataset version, shared ids only, weights differ).
    notes: list[str]

    def row(self, metric: str) -> PairedDifference:
        return next(row for row in self.rows if row.metric == metric)

    def sections(self) -> list[PairedDifference]:
        """The rows of ``overall`` and the eight sections."""
        return [row for row in self.rows if row.metric in summary_keys]

    def others(self) -> list[PairedDifference]:
        """The rows of every other per-example metric (schema_valid, grounding_rate, sub-metrics, judge.…)."""
        return [row for row in self.rows if row.metric not in summary_keys]

    def resample_range(self) -> tuple[int, int]:
        """The fewest and the most resamples a row with pairs used (``(0, 0)``: no row has pairs)."""
        used = [row.resamples for row in self.rows if row.n]
        return (min(used), max(used)) if used else (0, 0)

    def table(self) -> list[dict[str, Any]]:
        """One record per metric, for ``pandas.DataFrame(comparison.table())``."""
        return [row.model_dump() for row in self.rows]

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json") | {
            "changes": [change.model_dump() | {"delta": change.delta} for change in self.changes]
        }


def _by_id(run: EvalRun) -> dict[str, tuple[Prediction, ExampleScores]]:
    return {p.example_id: (p, s) for p, s in zip(run.predictions, run.scores, strict=True)}


def _paired(metric: str, a: list[float], b: list[float], *, resamples: int, seed: int) -> PairedDifference:
    """The :class:`PairedDifference` of ``metric`` over the pairs ``(a[i], b[i])``."""
    n = len(a)
    if n == 0:
        return PairedDifference(
            metric=metric,
            n=0,
            nonzero=0,
            a=None,
            b=None,
            delta=None,
            low=None,
            high=None,
            p=None,
            verdict="too few pairs",
            resamples=0,
            sign_flips=0,
        )
    differences = [after - before for before, after in zip(a, b, strict=True)]
    nonzero = len(nonzero_differences(differences))
    low, high = bootstrap_interval(differences, resamples=resamples, seed=seed)
    p = sign_flip_p(differences, seed=seed)
    return PairedDifference(
        metric=metric,
        n=n,
        nonzero=nonzero,
        a=float(np.mean(a)),
        b=float(np.mean(b)),
        delta=float(np.mean(differences)),
        low=low,
        high=high,
        p=p,
        verdict=verdict(n, nonzero, p, low, high),
        resamples=resample_count(n, resamples),
        sign_flips=sign_flip_count(nonzero),
    )


def _headline_resamples(rows: list[PairedDifference]) -> int:
    """The resamples overall's interval used; the most any row used when overall has no pairs (0: none)."""
    overall = next(row for row in rows if row.metric == "overall")
    return overall.resamples or max((row.resamples for row in rows), default=0)


def _dataset_notes(a: EvalRun, b: EvalRun, shared: int, *, shared_ids: bool) -> list[str]:
    """Refuse two datasets unless ``shared_ids``; say how many ids are compared when the data differs."""
    if a.dataset != b.dataset:
        if not shared_ids:
            remedy = (
                f"pass --shared-ids to compare them on the {shared} example ids they share"
                if shared
                else "they share no example id"
            )
            raise DatasetMismatch(
                f"runs {a.run_id} and {b.run_id} were made on different datasets ({a.dataset} vs {b.dataset}); "
                + remedy
            )
        return [
            f"different datasets ({a.dataset} vs {b.dataset}): compared on their {shared} shared example ids"
        ]
    if a.dataset_hash != b.dataset_hash:
        return [
            (
                f"different versions of {a.dataset} ({a.dataset_hash[:12]} vs {b.dataset_hash[:12]}): compared "
                f"on the {shared} example ids both have (A has {a.n}, B {b.n}); a shared id's gold may differ too"
            )
        ]
    return []


def compare_runs(
    a: EvalRun,
    b: EvalRun,
    *,
    shared_ids: bool = False,
    top: int = 10,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> Comparison:
    """Pair the examples of ``a`` and ``b`` by id and compare every per-example metric, B − A.

    A metric's pairs are the shared examples where *both* runs have a value (a section not scored in one run
    for an example is left out of that section's pairs). Runs on different datasets (by name) raise
    :class:`DatasetMismatch` unless ``shared_ids``; different versions of one dataset are compared on their
    shared ids, and both cases say so in ``notes``. ``changes``: the ``top`` shared examples whose overall
    changed most, either way (a side without an overall first).
    """
    in_a, in_b = _by_id(a), _by_id(b)
    ids = [example_id for example_id in in_a if example_id in in_b]
    notes = _dataset_notes(a, b, len(ids), shared_ids=shared_ids)
    if not ids:
        raise ValueError(f"runs {a.run_id} and {b.run_id} have no example id in common")
    if a.weights != b.weights:
        notes.append(
            f"weights differ (A {a.weights or 'equal'}, B {b.weights or 'equal'}): overall is not alike"
        )
    values = {
        example_id: (example_metrics(in_a[example_id][1]), example_metrics(in_b[example_id][1]))
        for example_id in ids
    }
    present = {metric for va, vb in values.values() for metric in (*va, *vb)}
    # overall and the sections always (a section nobody scored says so), then the other fields, then the rest.
    fields = [
        name for name in _number_fields(ExampleScores()) if name not in summary_keys and name in present
    ]
    ordered = [*summary_keys, *fields]
    ordered += sorted(present - set(ordered))
    rows = []
    for metric in ordered:
        pairs = [(va[metric], vb[metric]) for va, vb in values.values() if metric in va and metric in vb]
        rows.append(
            _paired(metric, [p[0] for p in pairs], [p[1] for p in pairs], resamples=resamples, seed=seed)
        )
    changes = [
        ExampleChange(example_id=i, metric="overall", before=in_a[i][1].overall, after=in_b[i][1].overall)
        for i in ids
        if in_a[i][1].overall != in_b[i][1].overall
    ]
    changes.sort(key=lambda c: (-(abs(c.delta) if c.delta is not None else 2.0), c.example_id))
    failed_a = sum(in_a[i][0].error is not None for i in ids)
    failed_b = sum(in_b[i][0].error is not None for i in ids)
    if failed_a or failed_b:
        notes.append(f"failed briefs, in no pair: {failed_a} in A, {failed_b} in B")
    return Comparison(
        a=RunRef.of(a),
        b=RunRef.of(b),
        shared=len(ids),
        only_a=len(in_a) - len(ids),
        only_b=len(in_b) - len(ids),
        failed_a=failed_a,
        failed_b=failed_b,
        resamples=_headline_resamples(rows),
        seed=seed,
        rows=rows,
        changes=changes[:top],
        notes=notes,
    )


# --- one example, all of it ------------------------------------------------------------------------------


def _json(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_json(item) for item in value]
    return value


def brief_section(portal: AgentAssistPortal, section: Section) -> Any:
    """What ``section`` of ``portal`` says, as JSON: the part its metric scores (markers: ``turn``, ``type``,
    ``description`` of every marker on the transcript)."""
    if section == "sentiment":
        return portal.header.sentiment.level
    if section == "caller_name":
        return portal.header.caller_name
    if section == "markers":
        return [
            {"turn": turn, "type": marker.type, "description": marker.description}
            for turn, item in enumerate(portal.transcript)
            for marker in item.markers
        ]
    return _json(getattr(portal, section))


def gold_section(gold: Gold | None, section: Section) -> Any:
    """The gold of ``section`` as JSON; ``None`` when it is not labelled (``[]`` is "labelled: none")."""
    if gold is None or section not in gold.labelled():
        return None
    return _json(getattr(gold, section))


def _item_line(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    if "turn" in item:
        described = f": {item['description']}" if item.get("description") else ""
        return f"turn {item['turn']} {item['type']}{described}"
    if "action" in item:
        return f"{item['action']} ({item['confidence']})"
    if "key" in item:
        return f"{item['key']}: {item['value']}"
    return f"{item.get('type')}: {item.get('description')}"


def section_lines(value: Any) -> list[str]:
    """A section's JSON value as lines for a person: a text as itself, one line per list item (``key: value``,
    ``action (confidence)``, ``turn 3 frustration: …``, ``type: description``), ``(none)`` for an empty list,
    no line for ``None``."""
    if value is None:
        return []
    if isinstance(value, list):
        return [_item_line(item) for item in value] or ["(none)"]
    return [str(value)]


class FlaggedDetail(BaseModel):
    """A detail of a brief that its call does not say (:func:`eval.faithfulness.unsupported_details`): its kind
    (``number``, ``month``, ``weekday``, ``name``, …) and its words as the brief wrote them."""

    model_config = ConfigDict(frozen=True)

    kind: str
    text: str


def flagged_details(portal: AgentAssistPortal, conversation: Conversation) -> dict[str, list[FlaggedDetail]]:
    """Per free-text section of ``portal``, the details ``conversation`` does not support, in the brief's order
    (``[]``: none; a section that is not free text has no entry). Computed now, by the current
    :mod:`eval.faithfulness`."""
    counts, unsupported = faithfulness.unsupported_details(portal, conversation)
    flagged: dict[str, list[FlaggedDetail]] = {str(section): [] for section in counts}
    for detail in unsupported:
        flagged.setdefault(str(detail.section), []).append(
            FlaggedDetail(kind=str(detail.kind), text=detail.text)
        )
    return flagged


class SectionView(BaseModel):
    """One section of one example: the brief's value beside the gold, its score, and who wrote it."""

    model_config = ConfigDict(frozen=True)

    section: Section
    score: float | None
    #: Why there is no score although the section is labelled (scoring failed, or no brief).
    error: str | None
    #: Whether the gold labels this section; ``None`` when the gold is not at hand.
    labelled: bool | None
    #: :func:`brief_section` and :func:`gold_section`; ``None``: no brief stored, or not labelled.
    brief: Any
    gold: Any
    #: The program whose model wrote it, or ``rules``; ``None`` when not recorded.
    written_by: str | None
    salvage: list[SalvageNote]
    #: The section's sub-metrics: each ``details`` entry with the section as a part of its name
    #: (``call_summary.coverage``, ``unsupported_details.call_summary``), the judge's aside.
    metrics: dict[str, float]
    #: A judged run's key-idea comparison of this section with its gold (precision, recall, F1, reasoning).
    judge: KeyIdeas | None
    #: The details of this free-text section the call does not say (:func:`flagged_details`, computed when
    #: shown); ``None``: not a free-text section, or no brief or no call at hand.
    unsupported: list[FlaggedDetail] | None = None


class ExampleView(BaseModel):
    """Everything a run holds about one example (:func:`example_view`)."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    program: str
    dataset: str
    dataset_hash: str
    example_id: str
    position: int
    #: Who produced the brief (``rules`` when a model program fell back); ``None`` when it failed.
    produced_by: str | None
    fallback: bool
    fallback_reason: str | None
    error: str | None
    overall: float | None
    ungrounded_dropped: int
    usage: LMUsage | None
    seconds: float
    #: What salvage did to the model's answer as a whole (read from a code fence, broken JSON repaired, fields
    #: inside a wrapper object, an answer cut): the notes of no one section.
    answer_salvage: list[SalvageNote]
    sections: list[SectionView]
    #: The model judge's per-example numbers: the ``judge.…`` entries of ``ExampleScores.details``.
    judge: dict[str, float]
    #: What the judge said (claims with verdicts and reasons, per-section key ideas); ``None``: not judged.
    judgment: Judgment | None
    #: Every other per-example number: ``schema_valid``, ``grounding_rate`` and the sub-metrics of no section.
    metrics: dict[str, float]
    score_errors: dict[str, str]
    #: Why something is missing (no brief stored, gold not at hand).
    notes: list[str]

    def table(self) -> list[dict[str, Any]]:
        """One record per section, the values as text lines, for ``pandas.DataFrame(view.table())``."""
        return [
            {
                "section": s.section,
                "written_by": s.written_by,
                "score": s.score,
                "brief": "\n".join(section_lines(s.brief)),
                "gold": "\n".join(section_lines(s.gold)) if s.labelled else None,
                "salvage": "\n".join(f"{n.action}: {n.reason}" for n in s.salvage),
                "unsupported": None if s.unsupported is None else ", ".join(d.text for d in s.unsupported),
            }
            for s in self.sections
        ]

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def _unknown_example(run: EvalRun, example_id: str) -> NotFound:
    first = run.predictions[0].example_id if run.predictions else "none"
    return NotFound(
        f"no example {example_id!r} in run {run.run_id} ({run.n} examples, the first {first!r}); its ids are "
        f"per_example[].id of `assist runs show {run.run_id} --json -`"
    )


def _belongs(metric: str, section: Section) -> bool:
    """A sub-metric is the section's when the section is a dotted part of its name (the judge's are apart)."""
    return not metric.startswith(JUDGE_PREFIX) and section in metric.split(".")


def _section_view(
    section: Section,
    prediction: Prediction,
    scores: ExampleScores,
    judgment: Judgment | None,
    gold: Gold | None,
    has_gold: bool,
    flagged: dict[str, list[FlaggedDetail]] | None,
) -> SectionView:
    return SectionView(
        section=section,
        score=scores.section(section),
        error=scores.errors.get(section),
        labelled=(gold is not None and section in gold.labelled()) if has_gold else None,
        brief=brief_section(prediction.portal, section) if prediction.portal is not None else None,
        gold=gold_section(gold, section),
        written_by=(prediction.sections or {}).get(section),
        salvage=[note for note in prediction.salvage if note.section == section],
        metrics={k: v for k, v in scores.details.items() if _belongs(k, section)},
        judge=next(
            (ideas for name, ideas in (judgment.sections if judgment else {}).items() if name == section),
            None,
        ),
        unsupported=(flagged or {}).get(section),
    )


def example_view(run: EvalRun, example_id: str, dataset: Dataset | None = None) -> ExampleView:
    """One example of ``run``: per section the brief's value, the gold (from ``dataset``, the version the run
    was made on) and the score, who wrote it, what salvage did and the details the call does not say; what
    salvage did to the answer as a whole; the fallback reason, tokens, cost and seconds; a judged run's
    numbers, claims and reasons. Without ``dataset`` the gold and the call are left out (``notes`` says so).
    """
    position = next((i for i, p in enumerate(run.predictions) if p.example_id == example_id), None)
    if position is None:
        raise _unknown_example(run, example_id)
    if dataset is not None and dataset.hash != run.dataset_hash:
        raise ValueError(
            f"run {run.run_id} was made on {run.dataset}@{run.dataset_hash[:12]}, not {dataset.hash[:12]}"
        )
    prediction, scores = run.predictions[position], run.scores[position]
    judgment = run.judgments[position] if run.judgments else None
    example: LabelledExample | None = (
        next((e for e in dataset.examples if e.id == example_id), None) if dataset is not None else None
    )
    gold = example.gold if example is not None else None
    notes = []
    if prediction.portal is None and prediction.error is None:
        notes.append("no brief stored for this example (an `assist eval --json` document keeps scores only)")
    if dataset is None:
        notes.append(
            "no gold and no call (so no unsupported details): dataset "
            f"{run.dataset}@{run.dataset_hash[:12]} is not at hand (import it with `assist dataset import FILE`)"
        )
    flagged = (
        flagged_details(prediction.portal, example.conversation)
        if prediction.portal is not None and example is not None
        else None
    )
    sections = [
        _section_view(s, prediction, scores, judgment, gold, dataset is not None, flagged) for s in SECTIONS
    ]
    owned = {name for view in sections for name in view.metrics}
    return ExampleView(
        run_id=run.run_id,
        program=run.program,
        dataset=run.dataset,
        dataset_hash=run.dataset_hash,
        example_id=example_id,
        position=position,
        produced_by=prediction.program,
        fallback=prediction.fallback,
        fallback_reason=prediction.fallback_reason,
        error=prediction.error,
        overall=scores.overall,
        ungrounded_dropped=prediction.ungrounded_dropped,
        usage=prediction.usage,
        seconds=prediction.seconds,
        answer_salvage=[note for note in prediction.salvage if note.section not in SECTIONS],
        sections=sections,
        judge={k: v for k, v in scores.details.items() if k.startswith(JUDGE_PREFIX)},
        judgment=judgment,
        metrics={
            k: v
            for k, v in example_metrics(scores).items()
            if k not in summary_keys and k not in owned and not k.startswith(JUDGE_PREFIX)
        },
        score_errors=scores.errors,
        notes=notes,
    )
