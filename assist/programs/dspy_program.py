"""The ``dspy`` brief program: a language model decides the judgement calls, code supplies the facts.

The model sees the transcript as numbered turns and answers one typed signature (:class:`HandoffBrief`):
caller name, sentiment, transfer reason, summary, collected information, next steps, markers by turn
index and compliance flags. Code copies the phone number, the duration and every transcript turn, attaches
markers to the turns they name (indices that name no turn are dropped), validates the result as an
``AgentAssistPortal`` and grounds it. Whatever goes wrong on the model side (error, timeout, output that
does not parse or validate after the retries) ends in the ``rules`` brief with ``fallback=True``.

Adapter: ``dspy.ChatAdapter`` with its JSON fallback off. Its ``[[ ## field ## ]]`` format needs nothing
from the server beyond plain chat completions (many local OpenAI-compatible servers lack structured-output
support, which ``JSONAdapter`` prefers), it is the format DSPy's optimizers and demos are built around,
and with the fallback off one attempt is exactly one request parsed one way.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import dspy
from dspy.utils.exceptions import AdapterParseError, LMConfigurationError, LMError
from pydantic import BaseModel, ConfigDict, ValidationError

from assist.grounding import ground
from assist.lm import DEFAULT_TIMEOUT_S, RequestCounter, configure_lm, public_address
from assist.programs import BriefResult
from assist.programs._facts import call_duration_seconds, phone_number, transcript
from assist.programs.rules import RulesProgram
from assist.schema import (
    SENTIMENT_LABELS,
    AgentAssistPortal,
    ComplianceFlag,
    Conversation,
    Header,
    InfoItem,
    Marker,
    MarkerType,
    NextStep,
    NonEmpty,
    Sentiment,
    SentimentLevel,
)

__all__ = [
    "ADAPTER",
    "BriefModule",
    "DSPyBriefProgram",
    "HandoffBrief",
    "TurnMarker",
    "assemble_portal",
    "numbered_transcript",
]

ADAPTER = dspy.ChatAdapter(use_json_adapter_fallback=False)

_SPEAKER = {"user": "caller", "assistant": "agent"}


class TurnMarker(BaseModel):
    """A marker the model attaches to one turn, by the turn's number in the numbered transcript."""

    model_config = ConfigDict(extra="forbid")

    turn: int
    type: MarkerType
    description: NonEmpty


class HandoffBrief(dspy.Signature):  # type: ignore[misc]
    """Write the handoff brief a human agent reads when taking over a contact-center call from the AI agent.

    Use only what the call says. Give the caller's name as they stated it, else "Unknown Caller". Copy each
    collected value word for word from the transcript. Mark turns by their [number]. Flag compliance
    concerns only when the call shows them (sensitive data shared without identity verification, promises
    that may not be fulfillable, unmet regulatory requirements); otherwise return an empty list.
    """

    transcript: str = dspy.InputField(desc="the call, one turn per line: [number] caller|agent: text")
    caller_name: str = dspy.OutputField(desc='the caller\'s name as stated in the call, or "Unknown Caller"')
    sentiment: SentimentLevel = dspy.OutputField(desc="the caller's sentiment by the end of the call")
    transfer_reason: str = dspy.OutputField(desc="one concise sentence: why this call needs a human")
    call_summary: list[str] = dspy.OutputField(desc="3 to 5 short bullets")
    information_collected: list[InfoItem] = dspy.OutputField(
        desc="details the caller gave: key a short label (e.g. 'Account type'), value copied from the transcript"
    )
    suggested_next_steps: list[NextStep] = dspy.OutputField(desc="1 to 3 actions for the human agent")
    markers: list[TurnMarker] = dspy.OutputField(
        desc="notable turns: frustration, identity_verified, ai_commitment, escalation_trigger, key_info, "
        "sentiment_shift"
    )
    compliance_flags: list[ComplianceFlag] = dspy.OutputField(
        desc="types: sensitive_data_unverified, unfulfillable_promise, regulatory_requirement; [] when none"
    )


class BriefModule(dspy.Module):  # type: ignore[misc]
    """The part optimizers tune: one predictor over :class:`HandoffBrief`."""

    def __init__(self) -> None:
        super().__init__()
        self.write = dspy.Predict(HandoffBrief)

    def forward(self, transcript: str) -> dspy.Prediction:
        return self.write(transcript=transcript)


def numbered_transcript(conversation: Conversation) -> str:
    """The transcript as the model sees it; the numbers are the indices markers refer to."""
    return "\n".join(
        f"[{index}] {_SPEAKER[turn.role]}: {' '.join(turn.content.split())}"
        for index, turn in enumerate(conversation.turns)
    )


def assemble_portal(prediction: dspy.Prediction, conversation: Conversation) -> tuple[AgentAssistPortal, int]:
    """The grounded portal from a model's answer plus the facts code knows; and how many items were dropped.

    Dropped: markers naming a turn that does not exist, plus what :func:`assist.grounding.ground` removes.
    Raises ``ValidationError`` when the answer breaks the portal contract (e.g. two summary bullets).
    """
    turns = transcript(conversation)
    out_of_range = 0
    for marker in prediction.markers:
        if 0 <= marker.turn < len(turns):
            turns[marker.turn].markers.append(Marker(type=marker.type, description=marker.description))
        else:
            out_of_range += 1
    level: SentimentLevel = prediction.sentiment
    portal = AgentAssistPortal(
        header=Header(
            caller_name=prediction.caller_name.strip() or "Unknown Caller",
            phone_number=phone_number(conversation),
            call_duration_seconds=call_duration_seconds(conversation),
            sentiment=Sentiment(label=SENTIMENT_LABELS[level], level=level),
        ),
        transfer_reason=prediction.transfer_reason.strip(),
        # Too many bullets or steps is cut to the contract's maximum rather than thrown away; too few is invalid.
        call_summary=[bullet.strip() for bullet in prediction.call_summary][:5],
        information_collected=prediction.information_collected,
        suggested_next_steps=prediction.suggested_next_steps[:3],
        transcript=turns,
        compliance_flags=prediction.compliance_flags,
    )
    grounded, dropped = ground(portal, conversation)
    return grounded, out_of_range + dropped


def _first_line(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(part) for part in first['loc']) or exc.title}: {first['msg']}"
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


class DSPyBriefProgram:
    """``brief(conversation)`` by a language model, falling back to ``rules`` (visibly) when the model fails.

    ``timeout_s`` bounds one brief, retries included; ``retries`` extra attempts follow an error or an
    invalid answer (each one bypasses the response cache, which would repeat the bad answer).
    """

    def __init__(
        self,
        *,
        lm: dspy.BaseLM | None = None,
        module: BriefModule | None = None,
        name: str = "dspy",
        timeout_s: float = DEFAULT_TIMEOUT_S,
        retries: int = 1,
        cache: bool = True,
    ) -> None:
        if timeout_s <= 0 or retries < 0:
            raise ValueError("timeout_s must be positive and retries not negative")
        self.lm = lm if lm is not None else configure_lm(timeout_s=timeout_s, cache=cache)
        #: False: no response cache is read or written and DSPy keeps no history (the service's setting).
        self.cache = cache
        self.module = module if module is not None else BriefModule()
        self.name = name
        self.timeout_s = timeout_s
        self.retries = retries
        #: Counts this program's LM requests; optimizers share it so their calls are counted too.
        self.requests = RequestCounter()

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        lm: dspy.BaseLM | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        retries: int = 1,
        cache: bool = True,
    ) -> DSPyBriefProgram:
        """A program saved with :meth:`save` (DSPy state JSON); its name is the file's stem."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(2, "No such file", str(path))
        module = BriefModule()
        try:
            module.load(str(path))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path} is not a saved dspy brief program: {_first_line(exc)}") from None
        return cls(lm=lm, module=module, name=path.stem, timeout_s=timeout_s, retries=retries, cache=cache)

    def save(self, path: str | Path) -> Path:
        """Write the module's state (instructions, demos) as DSPy state JSON; the LM is not saved."""
        path = Path(path)
        if path.suffix != ".json":
            raise ValueError(f"save a program as .json, got {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.module.save(str(path))
        return path

    def provenance(self) -> dict[str, str | None]:
        """What a run records about the model side: ``lm`` (provider/model), ``api_base`` (without
        credentials), ``adapter`` (``json`` or ``chat``) and ``prompt_version``."""
        api_base = self.lm.kwargs.get("api_base")
        return {
            "lm": self.lm.model,
            "api_base": public_address(api_base) if api_base else None,
            "adapter": "chat",
            "prompt_version": None,
        }

    @property
    def lm_calls(self) -> int:
        """LM requests this program made (answered or failed); answers from DSPy's cache are not counted."""
        return self.requests.count

    def brief(self, conversation: Conversation) -> BriefResult:
        numbered = numbered_transcript(conversation)
        deadline = time.monotonic() + self.timeout_s
        reason = f"no answer within {self.timeout_s:g}s"
        for attempt in range(self.retries + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                prediction = self._predict(numbered, attempt=attempt, timeout_s=remaining)
                portal, dropped = assemble_portal(prediction, conversation)
                return BriefResult(portal=portal, program=self.name, ungrounded_dropped=dropped)
            except TimeoutError:
                reason = f"no answer within {self.timeout_s:g}s"
                break
            except (AdapterParseError, ValidationError) as exc:
                reason = f"invalid model output: {_first_line(exc)}"
            # Whatever else the LM client raises (HTTP status, refused connection, auth, quota) has one
            # answer here: the caller still gets a brief, from rules, and sees why.
            except Exception as exc:  # noqa: BLE001
                reason = f"LM error: {type(exc).__name__}: {_first_line(exc)}"
        fallback = RulesProgram().brief(conversation)
        return fallback.model_copy(update={"fallback": True, "fallback_reason": reason})

    def _predict(self, numbered: str, *, attempt: int, timeout_s: float) -> dspy.Prediction:
        """One attempt in a worker thread, so a hung request cannot hold the caller past its deadline.

        An abandoned attempt finishes in the background within the LM's own request timeout.
        """
        lm = self.lm if attempt == 0 else self.lm.copy(temperature=1.0, rollout_id=attempt)
        if not self.cache:
            lm = lm.copy(cache=False)
        outcome: dict[str, Any] = {}
        done = threading.Event()

        def run() -> None:
            try:
                with dspy.context(
                    lm=lm, adapter=ADAPTER, usage_tracker=self.requests, disable_history=not self.cache
                ):
                    outcome["prediction"] = self.module(transcript=numbered)
            except Exception as exc:  # noqa: BLE001 - handed to the caller's thread, which decides
                if isinstance(exc, LMError) and not isinstance(exc, LMConfigurationError):
                    self.requests.add_failed()
                outcome["error"] = exc
            finally:
                done.set()

        threading.Thread(target=run, name=f"{self.name}-brief", daemon=True).start()
        if not done.wait(timeout_s):
            raise TimeoutError
        if "error" in outcome:
            raise outcome["error"]
        prediction: dspy.Prediction = outcome["prediction"]
        return prediction
