"""The judge: a second language model grades a brief's free text, through DSPy's own evaluators.

* **Against the gold** (``transfer_reason``, ``call_summary``, ``suggested_next_steps``): DSPy's
  :class:`~dspy.evaluate.SemanticF1` (a chain of thought over ``SemanticRecallPrecision``), asked what share of
  the brief's key ideas the gold covers (precision ``P``) and of the gold's the brief covers (recall ``R``);
  ``F1 = 2PR / (P + R)`` by DSPy's ``f1_score``. :class:`KeyIdeaF1` only returns ``P`` and ``R`` beside it.
* **Against the call**, no gold needed: the groundedness half of DSPy's ``CompleteAndGrounded``, made claim by
  claim so each verdict can be read. One request splits the transfer reason, summary and next steps into
  claims (:class:`BriefClaims`), at most ``max_claims`` of them are judged in a second request against the
  numbered transcript (:class:`ClaimSupport`): supported or not, with a one-line reason.

**Asking.** ``ChatAdapter``'s format (any chat server reads it), temperature 0, no retry, ``timeout_s`` per
request. Answers are cached like the brief program's: keyed by the judge model, its server, the judge's prompt
version and the messages (:func:`assist.lm.cache_request`), and stored only once they parsed and passed the
checks below, so a bad answer is asked again, never served again. A judgment that fails (an error, an
unreadable answer, a score outside [0, 1], a claim without a verdict) is ``None`` with its error, never 0.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections.abc import Callable
from typing import Any

import dspy
from dspy.adapters.chat_adapter import ChatAdapter
from dspy.clients.capabilities import with_capability_planning
from dspy.evaluate import SemanticF1
from dspy.evaluate.auto_evaluation import f1_score
from dspy.utils.exceptions import AdapterParseError, LMConfigurationError, LMError
from pydantic import BaseModel, Field

from assist.grounding import normalize_text
from assist.lm import (
    DEFAULT_TIMEOUT_S,
    ask,
    cache_request,
    cached_answer,
    lm_for,
    public_address,
    store_answer,
    use_cache_dir,
)
from assist.programs.dspy_program import numbered_transcript
from assist.schema import AgentAssistPortal, Gold, LabelledExample
from eval.judgments import JUDGED_SECTIONS, ClaimVerdict, JudgedSection, Judgment, KeyIdeas

__all__ = [
    "DEFAULT_MAX_CLAIMS",
    "BriefClaims",
    "ClaimSupport",
    "Judge",
    "KeyIdeaF1",
    "UnusableAnswer",
    "Verdict",
]

#: Claims judged per brief at most: a brief has 5 to 9 sentences, so 20 leaves room for compound ones.
DEFAULT_MAX_CLAIMS = 20
#: Room for 20 verdicts with their reasons, or a chain of thought and two numbers.
_MAX_TOKENS = 2000

#: The question each judged section answers, as SemanticF1 asks it.
_QUESTIONS: dict[JudgedSection, str] = {
    "transfer_reason": "Why does this call need a human agent now? (the transfer reason of a handoff brief)",
    "call_summary": "What happened on this call? (the summary of a handoff brief)",
    "suggested_next_steps": "What should the human agent taking over this call do next?",
}


class UnusableAnswer(ValueError):
    """The judge's answer parsed but cannot be used (a score outside [0, 1], a claim without a verdict)."""


class KeyIdeaF1(SemanticF1):  # type: ignore[misc]
    """DSPy's SemanticF1, returning the judge's precision, recall and reasoning beside the F1 ``score``."""

    def forward(self, example: dspy.Example, pred: dspy.Prediction, trace: object = None) -> dspy.Prediction:
        found = self.module(
            question=example.question, ground_truth=example.response, system_response=pred.response
        )
        return dspy.Prediction(
            precision=found.precision,
            recall=found.recall,
            score=f1_score(found.precision, found.recall),
            reasoning=found.reasoning,
        )


class BriefClaims(dspy.Signature):  # type: ignore[misc]
    """Split the free text of a call-center handoff brief into the claims it makes about the call.

    A claim is one short, self-contained sentence stating one checkable fact about the call: who said or did
    what, amounts, dates, the caller's situation. Split compound sentences, and name the subject in each claim
    instead of "he" or "it". A suggested action claims only the facts it takes for granted ("Refund the
    duplicate $40 charge" claims that there was a duplicate $40 charge); an action that takes no fact for
    granted gives no claim.
    """

    brief: str = dspy.InputField(desc="the brief's transfer reason, summary and suggested next steps")
    claims: list[str] = dspy.OutputField(desc="one checkable fact per item")


class Verdict(BaseModel):
    """The judge's verdict on one numbered claim."""

    claim: int = Field(description="the claim's number")
    supported: bool
    reason: str = Field(description="one line: the turn that supports it, or what is missing or contradicted")


class ClaimSupport(dspy.Signature):  # type: ignore[misc]
    """Decide for each numbered claim about a phone call whether the call's transcript supports it.

    Supported: the transcript says it, or it follows directly from what was said. Not supported: the transcript
    never says it, says something else, or makes it only plausible. Give exactly one verdict per claim, with a
    one-line reason that names the turn number where you can.
    """

    transcript: str = dspy.InputField(desc="the call, one turn per line: [number] caller|agent: text")
    claims: str = dspy.InputField(desc="the claims, one per line: [number] claim")
    verdicts: list[Verdict] = dspy.OutputField(desc="one verdict per claim")


#: Checks an answer that parsed before it is used or cached: ``(inputs, values)``, raises :class:`UnusableAnswer`.
Check = Callable[[dict[str, Any], dict[str, Any]], None]


def _unit_scores(inputs: dict[str, Any], values: dict[str, Any]) -> None:
    """Precision and recall are fractions: a finite number in [0, 1] (a percentage is not silently clamped)."""
    for name in ("precision", "recall"):
        value = values[name]
        if not math.isfinite(value) or not 0.0 <= value <= 1.0:
            raise UnusableAnswer(f"{name} {value} is not a fraction in [0, 1]")


def _claim_list(inputs: dict[str, Any], values: dict[str, Any]) -> None:
    """Claims are texts (DSPy already read the list)."""
    if not all(isinstance(claim, str) for claim in values["claims"]):
        raise UnusableAnswer("a claim is not a text")


_NUMBERED = re.compile(r"^\[(\d+)\] ", re.MULTILINE)


def _one_verdict_each(inputs: dict[str, Any], values: dict[str, Any]) -> None:
    """Exactly one verdict, with a reason, for each numbered claim."""
    asked = [int(n) for n in _NUMBERED.findall(inputs["claims"])]
    given = [verdict.claim for verdict in values["verdicts"]]
    if sorted(given) != asked:
        missing = sorted(set(asked) - set(given))
        unasked = sorted({n for n in given if n not in asked or given.count(n) > 1})
        raise UnusableAnswer(
            f"{len(given)} verdicts for {len(asked)} claims: none for {missing or '-'}, "
            f"unasked or repeated {unasked or '-'}"
        )
    if any(not verdict.reason.strip() for verdict in values["verdicts"]):
        raise UnusableAnswer("a verdict has no reason")


class _Tally:
    """Requests sent, and answers taken from the cache, while judging one brief (one thread)."""

    def __init__(self) -> None:
        self.requests = 0
        self.cached = 0


class _JudgeAdapter(ChatAdapter):  # type: ignore[misc]
    """``ChatAdapter`` that answers from the kit's response cache, counts requests, checks what parsed, and
    caches only answers that parsed and passed the check; no JSON fallback request."""

    def __init__(
        self,
        *,
        tally: _Tally,
        check: Check,
        cache_key: Callable[[list[dict[str, Any]], dict[str, Any]], dict[str, Any]] | None,
    ) -> None:
        super().__init__(use_json_adapter_fallback=False)
        self.tally = tally
        self.check = check
        self.cache_key = cache_key

    @with_capability_planning  # type: ignore[untyped-decorator]
    def __call__(
        self,
        lm: dspy.BaseLM,
        lm_kwargs: dict[str, Any],
        signature: type[dspy.Signature],
        demos: list[dict[str, Any]],
        inputs: dict[str, Any],
    ) -> list[dict[str, Any]]:
        processed = self._call_preprocess(lm, lm_kwargs, signature, inputs)
        messages: list[dict[str, Any]] = self.format(processed, demos, inputs)
        key = self.cache_key(messages, lm_kwargs) if self.cache_key is not None else None
        text = cached_answer(key) if key is not None else None
        cached = text is not None
        if cached:
            self.tally.cached += 1
        else:
            try:
                text = ask(lm, messages, lm_kwargs).text
            except LMError as exc:
                if not isinstance(
                    exc, LMConfigurationError
                ):  # a refused configuration never left the process
                    self.tally.requests += 1
                raise
            self.tally.requests += 1
        values: list[dict[str, Any]] = self._call_postprocess(processed, signature, [text], lm, lm_kwargs)
        self.check(inputs, values[0])
        if key is not None and not cached:
            store_answer(key, text or "")
        return values


def judge_lm(model: str, *, api_base: str | None, timeout_s: float) -> dspy.LM:
    """A ``dspy.LM`` for the judge ``provider/model`` at ``api_base``; it never caches (the judge does)."""
    return lm_for(model, api_base=api_base, timeout_s=timeout_s, max_tokens=_MAX_TOKENS, what="the judge")


#: The model client's advice that only a Python caller can follow, and what a user of ``assist`` does instead.
_ADVICE = (
    (
        re.compile(r"raise it with Timeouts\(read=[^)]*\)"),
        "raise it with --judge-timeout (Python: Judge(timeout_s=...))",
    ),
    (
        re.compile(r", or pass api_key=\S* to dspy\.LM\(\.\.\.\)"),
        ", or set ASSIST_JUDGE_API_BASE to the judge's own server",
    ),
)


def _for_the_cli(text: str) -> str:
    """``text`` with the model client's Python advice (``Timeouts(read=...)``, ``api_key=`` to ``dspy.LM``)
    replaced by the option or setting of ``assist`` that does it (``--judge-timeout``,
    ``ASSIST_JUDGE_API_BASE``)."""
    for pattern, advice in _ADVICE:
        text = pattern.sub(advice, text)
    return text


def _one_line(exc: BaseException) -> str:
    """Why a judgment failed, in one line of at most 300 characters, with advice a user of ``assist`` can take."""
    first = _for_the_cli((str(exc).strip().splitlines() or [""])[0].strip())
    if isinstance(exc, AdapterParseError):
        if first.startswith(f"Adapter {exc.adapter_name} failed"):
            read = ", ".join(exc.parsed_result or {}) or "none"
            first = f"expected fields {', '.join(exc.signature.output_fields)}, read {read}"
        return f"unreadable answer: {first}"[:300]
    return f"{type(exc).__name__}: {first}"[:300] if first else type(exc).__name__


def _as_text(items: str | list[str]) -> str:
    """A section's text as the judge reads it: the sentence itself, or one ``- item`` line per item."""
    return items if isinstance(items, str) else "\n".join(f"- {item}" for item in items)


def _section_text(source: AgentAssistPortal | Gold, section: JudgedSection) -> str:
    if section == "suggested_next_steps":
        return _as_text([step.action for step in source.suggested_next_steps or []])
    value: str | list[str] | None = getattr(source, section)
    return _as_text(value or "")


def brief_text(portal: AgentAssistPortal) -> str:
    """The free text of a brief whose claims are judged: transfer reason, summary and next steps."""
    return "\n".join(
        [
            f"Transfer reason:\n{_as_text([portal.transfer_reason])}",
            f"Summary:\n{_as_text(portal.call_summary)}",
            f"Suggested next steps:\n{_section_text(portal, 'suggested_next_steps')}",
        ]
    )


class Judge:
    """Grades briefs with ``model`` (``provider/model``) at ``api_base`` (see the module docstring).

    ``timeout_s`` bounds each request; ``max_claims`` caps the claims judged per brief; ``cache=False`` reads
    and writes no response cache. Safe to share between threads: each judgment has its own adapter.
    """

    def __init__(
        self,
        model: str,
        *,
        api_base: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_claims: int = DEFAULT_MAX_CLAIMS,
        cache: bool = True,
    ) -> None:
        if timeout_s <= 0 or max_claims < 1:
            raise ValueError("the judge's timeout must be positive and max_claims at least 1")
        self.lm = judge_lm(model, api_base=api_base, timeout_s=timeout_s)
        self.api_base = api_base or None
        self.timeout_s = timeout_s
        self.max_claims = max_claims
        self.cache = cache
        if cache:
            use_cache_dir()
        self.key_ideas = KeyIdeaF1()
        self.split = dspy.Predict(BriefClaims)
        self.verify = dspy.Predict(ClaimSupport)
        self.prompt_version = self._prompt_version()

    def _prompt_version(self) -> str:
        """A hash of every fixed part of the judge's prompts: the adapter, the three signatures, the questions."""
        adapter = ChatAdapter()
        signatures = (self.key_ideas.module.predict.signature, self.split.signature, self.verify.signature)
        parts = [adapter.format_system_message(signature) for signature in signatures]
        text = json.dumps([parts, _QUESTIONS], sort_keys=True)
        return f"chat-{hashlib.sha256(text.encode()).hexdigest()[:12]}"

    def provenance(self) -> dict[str, Any]:
        """What a run records: ``lm``, ``api_base`` (without credentials), ``prompt_version``, ``options``."""
        return {
            "lm": self.lm.model,
            "api_base": public_address(self.api_base) if self.api_base else None,
            "prompt_version": self.prompt_version,
            "options": {"timeout_s": self.timeout_s, "max_claims": self.max_claims},
        }

    def _cache_key(self, messages: list[dict[str, Any]], lm_kwargs: dict[str, Any]) -> dict[str, Any]:
        return cache_request(
            model=self.lm.model,
            api_base=self.api_base,
            adapter="chat",
            prompt_version=self.prompt_version,
            messages=messages,
            options={
                **{k: v for k, v in self.lm.kwargs.items() if k not in ("api_key", "api_base")},
                **lm_kwargs,
            },
        )

    def _ask(self, tally: _Tally, check: Check, call: Callable[[], dspy.Prediction]) -> dspy.Prediction:
        """``call()`` with the judge's model and the caching, counting, checking adapter."""
        adapter = _JudgeAdapter(tally=tally, check=check, cache_key=self._cache_key if self.cache else None)
        with dspy.context(lm=self.lm, adapter=adapter, disable_history=not self.cache):
            return call()

    def judge(self, portal: AgentAssistPortal, example: LabelledExample) -> Judgment:
        """Every judged section the example has gold for, and the brief's claims against the call."""
        start = time.perf_counter()
        tally = _Tally()
        gold = example.gold
        labelled = gold.labelled() if gold is not None else set()
        sections = {
            section: self._key_ideas(section, portal, gold, tally)
            for section in JUDGED_SECTIONS
            if gold is not None and section in labelled
        }
        claims, found, error = self._claims(portal, example, tally)
        return Judgment(
            example_id=example.id,
            sections=sections,
            claims=claims,
            claims_found=found,
            claims_error=error,
            requests=tally.requests,
            cached=tally.cached,
            seconds=time.perf_counter() - start,
        )

    def _key_ideas(
        self, section: JudgedSection, portal: AgentAssistPortal, gold: Gold, tally: _Tally
    ) -> KeyIdeas:
        """Key-idea precision, recall and F1 of ``section`` against its gold.

        A side with no words is not sent: both empty score 1.0, exactly one empty 0.0 (as the deterministic
        metrics do).
        """
        mine, theirs = _section_text(portal, section), _section_text(gold, section)
        if not normalize_text(mine) or not normalize_text(theirs):
            same = 1.0 if normalize_text(mine) == normalize_text(theirs) else 0.0
            return KeyIdeas(precision=same, recall=same, f1=same)
        try:
            found = self._ask(
                tally,
                _unit_scores,
                lambda: self.key_ideas(
                    dspy.Example(question=_QUESTIONS[section], response=theirs),
                    dspy.Prediction(response=mine),
                ),
            )
        except Exception as exc:  # noqa: BLE001 - a failed judgment is NULL with its reason; the run goes on
            return KeyIdeas(error=_one_line(exc))
        return KeyIdeas(
            precision=found.precision, recall=found.recall, f1=found.score, reasoning=found.reasoning
        )

    def _claims(
        self, portal: AgentAssistPortal, example: LabelledExample, tally: _Tally
    ) -> tuple[list[ClaimVerdict] | None, int | None, str | None]:
        """``(verdicts, claims found, error)``: the brief's claims, the first ``max_claims`` judged against the
        numbered transcript."""
        found: int | None = None
        try:
            split = self._ask(tally, _claim_list, lambda: self.split(brief=brief_text(portal)))
            claims = [" ".join(claim.split()) for claim in split.claims if claim.strip()]
            found = len(claims)
            kept = claims[: self.max_claims]
            if not kept:
                return [], found, None
            numbered = "\n".join(f"[{number}] {claim}" for number, claim in enumerate(kept, 1))
            answer = self._ask(
                tally,
                _one_verdict_each,
                lambda: self.verify(transcript=numbered_transcript(example.conversation), claims=numbered),
            )
        except Exception as exc:  # noqa: BLE001 - as above
            return None, found, _one_line(exc)
        by_number = {verdict.claim: verdict for verdict in answer.verdicts}
        return (
            [
                ClaimVerdict(
                    claim=claim,
                    supported=by_number[number].supported,
                    reason=" ".join(by_number[number].reason.split()),
                )
                for number, claim in enumerate(kept, 1)
            ],
            found,
            None,
        )
