"""The ``dspy`` brief program: a language model decides the judgement calls, code supplies the facts.

The model sees the transcript as numbered turns and answers one typed signature (:class:`HandoffBrief`):
caller name, sentiment, transfer reason, summary, collected information, next steps, markers by turn number
and compliance flags. Code copies the phone number, the duration and every transcript turn, attaches markers
to the turns they name, and grounds the result (:mod:`assist.grounding`).

**Salvage, never discard.** The answer is read section by section and item by item
(:mod:`assist.programs.salvage`): slips are repaired or the one bad item is dropped, and each is noted on the
result. A section with nothing usable is filled from ``rules`` and named in ``sections_from_rules``. Only an
outright failure (an error, the deadline, an answer with no readable section) gives the whole ``rules`` brief,
with ``fallback=True`` and the reason.

**Asking.** ``ASSIST_LM_ADAPTER``: ``json`` sends DSPy's ``JSONAdapter`` format with a JSON-schema
``response_format``; ``chat`` sends ``ChatAdapter``'s ``[[ ## field ## ]]`` format, which needs nothing from
the server beyond plain chat completions; ``auto`` (default) takes ``json`` when LiteLLM says the model
supports response schemas. Either way the answer is read by the same salvage code, whatever format the model
actually used. The instructions come before the schema. A retry after an unreadable answer shows the model
its answer and what was wrong with it, as a new rollout.

**Budget.** The prompt is counted in tokens (:mod:`assist.programs.budget`) against the model's context
(``ASSIST_LM_CONTEXT_TOKENS``, else LiteLLM's map, else 8,192); a call that does not fit keeps its opening
and its latest turns. The answer's ``max_tokens`` is sized to the brief.

**Cache.** Only answers that parsed are cached, keyed by model, server address, adapter, prompt version and
the messages (:func:`assist.lm.cache_request`); ``cache=False`` (the service) reads and writes no cache and
keeps no DSPy history.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, get_args

import dspy
from dspy.adapters.chat_adapter import ChatAdapter
from dspy.adapters.json_adapter import JSONAdapter, _get_structured_outputs_response_format
from dspy.clients.capabilities import with_capability_planning
from dspy.utils.exceptions import AdapterParseError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assist.grounding import ground
from assist.lm import (
    DEFAULT_TIMEOUT_S,
    RequestCounter,
    ask,
    cache_request,
    cached_answer,
    configure_lm,
    context_tokens,
    cost_usd,
    public_address,
    store_answer,
)
from assist.programs import BRIEF_SECTIONS, BriefResult, BriefSection, LMUsage, SalvageNote
from assist.programs._facts import call_duration_seconds, phone_number, transcript
from assist.programs.budget import Fitted, count_tokens, fit_lines, output_tokens
from assist.programs.rules import RulesProgram, mask_secrets, secret_numbers, secrets_by_turn
from assist.programs.salvage import MARKER_DESCRIPTIONS, ModelMarker, Salvaged, salvage_answer
from assist.schema import (
    COMPLIANCE_FAMILIES,
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
from assist.settings import Settings

__all__ = [
    "AdapterName",
    "BriefChatAdapter",
    "BriefJSONAdapter",
    "BriefModule",
    "DSPyBriefProgram",
    "HandoffBrief",
    "TurnMarker",
    "assemble_portal",
    "brief_adapter",
    "numbered_transcript",
]

AdapterName = Literal["auto", "json", "chat"]
ComplianceType = Literal["sensitive_data_unverified", "unfulfillable_promise", "regulatory_requirement"]
assert get_args(ComplianceType) == COMPLIANCE_FAMILIES

_SPEAKER = {"user": "caller", "assistant": "agent"}
#: Tokens kept free besides the prompt and the answer: chat-template overhead differs between servers.
_SAFETY_TOKENS = 256
#: The least a window must leave for the call and for the answer.
_MIN_TRANSCRIPT_TOKENS, _MIN_ANSWER_TOKENS = 256, 512
#: A brief's deadline is at most an hour (a larger one is a typo, and overflows the platform's timers).
MAX_TIMEOUT_S = 3600.0


class TurnMarker(BaseModel):
    """A marker the model attaches to one turn, by the turn's number in the numbered transcript."""

    model_config = ConfigDict(extra="forbid")

    turn: int
    type: MarkerType
    description: str = Field(default="", description="optional: a few words on what happened")


class Flag(BaseModel):
    """A compliance flag of one of the three documented families."""

    model_config = ConfigDict(extra="forbid")

    type: ComplianceType
    description: NonEmpty


class HandoffBrief(dspy.Signature):  # type: ignore[misc]
    """Write the brief a human agent reads in the ten seconds before taking over a call from the AI agent.

    Use only what the call says; facts may come from either speaker. Turns are numbered [n]; name turns by
    that number. A line "[… turns a–b are not shown …]" stands for turns you cannot see: never mark them.

    - caller_name: the caller's own name as they say it, title-cased. Join a first and a last name given in
      different turns; join a name spelled out letter by letter ("o y e l a r a n" is "Oyelaran"). Someone
      calling for another person gives their own name, not the account holder's. "Unknown Caller" when the
      caller never says their name.
    - sentiment: the caller's level at the moment of handoff, not the average of the call, and about the
      service, not fear. calm: neutral or polite (worried but cooperative is calm). slightly_frustrated: mild
      annoyance or impatience, still cooperative. frustrated: clear, sustained irritation: complaints about
      repeated failures or delays, sharp rejections of what the AI offers. angry: hostile: exclamations,
      sarcasm, demands, no threats yet. escalated: threatens outside action (lawyer, regulator, chargeback,
      the news, police) or cancellation, or demands a supervisor.
    - transfer_reason: one sentence: the concrete problem and what the AI could not do.
    - call_summary: 3 to 5 short factual sentences: the problem, how the caller was verified if they were,
      what the AI did or promised, where the caller stands now.
    - information_collected: details a human would otherwise ask again, each with a short label as key
      ("Order number", "Date of birth") and the value copied word for word from the transcript, as spoken
      ("S R 88213"). Never a full card number or social security number: at most its last four digits, and
      nowhere else in the brief either.
    - suggested_next_steps: 1 to 3 actions for the human, most important first. confidence: high (clearly
      the right action), medium (likely useful), low (optional). Never an action the call says is done.
    - markers: turns worth jumping to. frustration: a caller turn showing irritation or anger (describing a
      problem is not frustration). identity_verified: the agent turn confirming verification passed (at most
      one). ai_commitment: an agent turn promising an outcome or taking an action for the caller (announcing
      the transfer is not one). escalation_trigger: the caller asking for a human (each time), or else the
      turn where the reason for the handoff appears. key_info: a turn where an important fact first appears
      (identifiers, amounts, dates, symptoms, what the agent found), either speaker. sentiment_shift: a
      caller turn where the mood clearly changes.
    - compliance_flags: only what the call shows, else []. sensitive_data_unverified: card numbers, SSNs,
      PINs or similar shared before identity was verified. unfulfillable_promise: the AI promised what it
      cannot guarantee or is not authorized to give (approvals, waivers, compensation, exact delivery times).
      regulatory_requirement: a legal or regulatory duty was not met (e.g. HIPAA disclosure to an unverified
      person, debt-collection rules, cancellation made hard, safety instructions).
    """

    transcript: str = dspy.InputField(desc="the call, one turn per line: [number] caller|agent: text")
    caller_name: str = dspy.OutputField(desc='the caller\'s name as spoken, or "Unknown Caller"')
    sentiment: SentimentLevel = dspy.OutputField(desc="the caller's level at handoff")
    transfer_reason: str = dspy.OutputField(desc="one sentence: why this call needs a human now")
    call_summary: list[str] = dspy.OutputField(desc="3 to 5 short factual sentences")
    information_collected: list[InfoItem] = dspy.OutputField(
        desc="key: a short label; value: copied word for word from the transcript (either speaker)"
    )
    suggested_next_steps: list[NextStep] = dspy.OutputField(desc="1 to 3 actions, most important first")
    markers: list[TurnMarker] = dspy.OutputField(desc="turn number, marker type, optional description")
    compliance_flags: list[Flag] = dspy.OutputField(desc="[] when the call shows none")


class BriefModule(dspy.Module):  # type: ignore[misc]
    """The part optimizers tune: one predictor over :class:`HandoffBrief`."""

    def __init__(self) -> None:
        super().__init__()
        self.write = dspy.Predict(HandoffBrief)

    def forward(self, transcript: str) -> dspy.Prediction:
        return self.write(transcript=transcript)


def numbered_transcript(conversation: Conversation) -> str:
    """The whole transcript as the model sees it; the numbers are the indices markers refer to."""
    return "\n".join(_numbered_lines(conversation))


def _numbered_lines(conversation: Conversation) -> list[str]:
    return [
        f"[{index}] {_SPEAKER[turn.role]}: {' '.join(turn.content.split())}"
        for index, turn in enumerate(conversation.turns)
    ]


# --- the adapters --------------------------------------------------------------------------------------


class _Exchange:
    """What one request to the model produced, for the program that made it (one per attempt and thread)."""

    def __init__(self) -> None:
        self.text: str | None = None
        self.cached = False
        self.requests = 0
        self.prompt_tokens: int | None = None
        self.completion_tokens: int | None = None
        self.salvaged: Salvaged | None = None
        #: The cache key of a fresh answer, to store it under once a brief was made of it.
        self.key: dict[str, Any] | None = None


def _is_brief(signature: type[dspy.Signature]) -> bool:
    return set(BRIEF_SECTIONS) <= set(signature.output_fields)


class _BriefFormat:
    """Shared by both adapters: instructions before the schema, salvage instead of strict parsing, a retry
    that shows the model its unreadable answer, counting, and the parse-gated response cache."""

    def __init__(
        self,
        *,
        exchange: _Exchange | None = None,
        feedback: tuple[str, str] | None = None,
        cache_key: Callable[[list[dict[str, Any]], dict[str, Any]], dict[str, Any]] | None = None,
        counter: RequestCounter | None = None,
        force_schema: bool = False,
    ) -> None:
        self.force_schema = force_schema
        self.exchange = exchange
        self.feedback = feedback
        self.cache_key = cache_key
        self.counter = counter

    def format_system_message(self, signature: type[dspy.Signature]) -> str:
        adapter: Any = self
        if not _is_brief(signature):
            return str(super().format_system_message(signature))  # type: ignore[misc]
        return (
            f"{adapter.format_task_description(signature)}\n\n"
            f"{adapter.format_field_description(signature)}\n"
            f"{adapter.format_field_structure(signature)}"
        )

    def parse(self, signature: type[dspy.Signature], completion: str) -> dict[str, Any]:
        if not _is_brief(signature):
            parsed: dict[str, Any] = super().parse(signature, completion)  # type: ignore[misc]
            return parsed
        salvaged = salvage_answer(completion)
        if self.exchange is not None:
            self.exchange.salvaged = salvaged
        if not salvaged.values:
            raise AdapterParseError(
                adapter_name=type(self).__name__,
                signature=signature,
                lm_response=completion,
                message="no section of the brief could be read from the answer",
            )
        return {name: salvaged.values.get(name) for name in signature.output_fields}

    def messages(
        self,
        lm: dspy.BaseLM,
        lm_kwargs: dict[str, Any],
        signature: type[dspy.Signature],
        demos: Any,
        inputs: Any,
    ) -> list[dict[str, Any]]:
        """The request's messages (and ``lm_kwargs`` made ready: tools off, JSON schema for ``json``)."""
        adapter: Any = self
        signature = adapter._call_preprocess(lm, lm_kwargs, signature, inputs)
        if isinstance(self, JSONAdapter):
            if self.force_schema:  # ASSIST_LM_ADAPTER=json: the user says the server takes a JSON schema
                lm_kwargs["response_format"] = _get_structured_outputs_response_format(signature, True)
            else:
                self._prepare_response_format(lm, lm_kwargs, signature)
        messages: list[dict[str, Any]] = adapter.format(signature, demos, inputs)
        if self.feedback is not None:
            answer, problem = self.feedback
            messages += [
                {"role": "assistant", "content": answer[:4000]},
                {
                    "role": "user",
                    "content": f"That answer could not be used: {problem}. Answer again, with every output "
                    "field in exactly the format described above.",
                },
            ]
        return messages

    @with_capability_planning  # type: ignore[untyped-decorator]
    def __call__(
        self,
        lm: dspy.BaseLM,
        lm_kwargs: dict[str, Any],
        signature: type[dspy.Signature],
        demos: list[dict[str, Any]],
        inputs: dict[str, Any],
    ) -> list[dict[str, Any]]:
        if not _is_brief(signature):  # e.g. an optimizer's own prompts, run under this adapter
            answers: list[dict[str, Any]] = super().__call__(lm, lm_kwargs, signature, demos, inputs)  # type: ignore[misc]
            return answers
        messages = self.messages(lm, lm_kwargs, signature, demos, inputs)
        exchange = self.exchange if self.exchange is not None else _Exchange()
        key = self.cache_key(messages, lm_kwargs) if self.cache_key is not None else None
        text = cached_answer(key) if key is not None else None
        if text is not None:
            exchange.cached = True
        else:
            # Counted when sent: a request abandoned at the deadline still reached the model.
            exchange.requests += 1
            if self.counter is not None:
                self.counter.add_request()
            answer = ask(lm, messages, lm_kwargs)
            exchange.key = key
            exchange.prompt_tokens, exchange.completion_tokens = (
                answer.prompt_tokens,
                answer.completion_tokens,
            )
            text = answer.text
        exchange.text = text
        # Raises when nothing could be read. The answer is cached by the program, once a brief was made of it.
        return [self.parse(signature, text)]


class BriefChatAdapter(_BriefFormat, ChatAdapter):  # type: ignore[misc]
    """``ChatAdapter``'s ``[[ ## field ## ]]`` format, read by salvage; no JSON fallback request."""

    def __init__(self, **options: Any) -> None:
        _BriefFormat.__init__(self, **options)
        ChatAdapter.__init__(self, use_json_adapter_fallback=False)


class BriefJSONAdapter(_BriefFormat, JSONAdapter):  # type: ignore[misc]
    """``JSONAdapter``: one JSON object, with a JSON-schema ``response_format`` where the model supports it."""

    def __init__(self, **options: Any) -> None:
        _BriefFormat.__init__(self, **options)
        JSONAdapter.__init__(self)


_ADAPTERS: dict[str, type[_BriefFormat]] = {"chat": BriefChatAdapter, "json": BriefJSONAdapter}


def brief_adapter(name: Literal["json", "chat"], *, counter: RequestCounter | None = None) -> _BriefFormat:
    """An adapter of the brief format for code that runs the module itself (optimizers, notebooks).

    It salvages answers like the program does and counts its requests on ``counter``; it caches nothing.
    """
    return _ADAPTERS[name](counter=counter)


def resolve_adapter(choice: AdapterName, lm: dspy.BaseLM) -> Literal["json", "chat"]:
    """``auto``: ``json`` when the model takes a JSON-schema response format (LiteLLM's model facts), never for a
    model behind ``api_base``: a server of your own is not the hosted model its name may say."""
    if choice != "auto":
        return choice
    if lm.kwargs.get("api_base"):
        return "chat"
    try:
        return "json" if lm.supports_response_schema and "response_format" in lm.supported_params else "chat"
    except Exception:  # noqa: BLE001 - a capability lookup that fails is no reason to fail the brief
        return "chat"


# --- assembling the brief ------------------------------------------------------------------------------


def assemble_portal(
    values: Mapping[BriefSection, Any],
    conversation: Conversation,
    *,
    rules: Callable[[], AgentAssistPortal],
    shown: frozenset[int] | None = None,
) -> tuple[AgentAssistPortal, list[BriefSection], list[SalvageNote], int]:
    """The grounded portal from the model's saved sections plus the facts code knows.

    Returns the portal, the sections filled from ``rules()`` (called only when one is missing), notes on
    markers dropped here (a turn the call does not have, a turn the model was not shown, a repeat), and how
    many items :func:`assist.grounding.ground` removed.
    """
    from_rules: list[BriefSection] = []
    notes: list[SalvageNote] = []
    fallback: AgentAssistPortal | None = None

    def take(section: BriefSection) -> Any:
        nonlocal fallback
        if values.get(section) is not None:
            return values[section]
        from_rules.append(section)
        fallback = fallback or rules()
        return None

    # The card numbers and SSNs the call read out: a model's sentence repeating an SSN is masked even where it
    # does not say "SSN" again.
    known = frozenset(secret.digits for secrets in secrets_by_turn(conversation) for secret in secrets)

    def masked(section: BriefSection, text: str, item: int | None = None) -> str:
        short = mask_secrets(text, known=known)
        if short != text:
            why = "a card number or SSN in the text shortened to its last four digits"
            notes.append(SalvageNote(section=section, action="repaired", reason=why, item=item))
        return short

    turns = transcript(conversation)
    markers = take("markers")
    if markers is None:
        assert fallback is not None
        for mine, theirs in zip(turns, fallback.transcript, strict=True):
            mine.markers = list(theirs.markers)
    else:
        seen: set[tuple[int, str]] = set()
        for position, marker in enumerate(markers):
            item = marker.item if isinstance(marker, ModelMarker) else position
            reason = None
            if not 0 <= marker.turn < len(turns):
                reason = f"turn {marker.turn} is not in the call (turns 0-{len(turns) - 1})"
            elif shown is not None and marker.turn not in shown:
                reason = f"turn {marker.turn} was not shown to the model"
            elif (marker.turn, marker.type) in seen:
                reason = f"a second {marker.type} marker on turn {marker.turn}"
            if reason:
                notes.append(SalvageNote(section="markers", action="dropped", reason=reason, item=item))
                continue
            seen.add((marker.turn, marker.type))
            description = masked("markers", marker.description, item) or MARKER_DESCRIPTIONS[marker.type]
            turns[marker.turn].markers.append(Marker(type=marker.type, description=description))

    name, level, reason = take("caller_name"), take("sentiment"), take("transfer_reason")
    summary, info, steps = take("call_summary"), take("information_collected"), take("suggested_next_steps")
    flags = take("compliance_flags")

    name = masked("caller_name", name) if name is not None else None
    reason = masked("transfer_reason", reason) if reason is not None else None
    if summary is not None:
        summary = [masked("call_summary", bullet, index) for index, bullet in enumerate(summary)]
    if steps is not None:
        steps = [
            step.model_copy(update={"action": masked("suggested_next_steps", step.action, index)})
            for index, step in enumerate(steps)
        ]
    if flags is not None:
        flags = [
            ComplianceFlag(type=flag.type, description=masked("compliance_flags", flag.description, index))
            for index, flag in enumerate(flags)
        ]
    if info is not None:
        kept = []
        for index, item in enumerate(info):
            if secret_numbers(item.value, context=item.key, known=known):
                why = (
                    "a full card or social security number is never collected (at most its last four digits)"
                )
                notes.append(
                    SalvageNote(section="information_collected", action="dropped", reason=why, item=index)
                )
            else:
                kept.append(item.model_copy(update={"key": masked("information_collected", item.key, index)}))
        info = kept
    base = fallback
    header = Header(
        caller_name=name if name is not None else _rules(base).header.caller_name,
        phone_number=phone_number(conversation),
        call_duration_seconds=call_duration_seconds(conversation),
        sentiment=Sentiment(label=SENTIMENT_LABELS[level], level=level)
        if level is not None
        else _rules(base).header.sentiment,
    )
    portal = AgentAssistPortal(
        header=header,
        transfer_reason=reason if reason is not None else _rules(base).transfer_reason,
        call_summary=summary if summary is not None else _rules(base).call_summary,
        information_collected=info if info is not None else _rules(base).information_collected,
        suggested_next_steps=steps if steps is not None else _rules(base).suggested_next_steps,
        transcript=turns,
        compliance_flags=[ComplianceFlag(type=f.type, description=f.description) for f in flags]
        if flags is not None
        else _rules(base).compliance_flags,
    )
    grounded, dropped = ground(portal, conversation)
    order = {section: index for index, section in enumerate(get_args(BriefSection))}
    return grounded, sorted(from_rules, key=order.__getitem__), notes, dropped


def _rules(portal: AgentAssistPortal | None) -> AgentAssistPortal:
    assert portal is not None, "a section came from rules, so the rules brief was made"
    return portal


def _first_line(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(part) for part in first['loc']) or exc.title}: {first['msg']}"
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


# --- the program ---------------------------------------------------------------------------------------


class DSPyBriefProgram:
    """``brief(conversation)`` by a language model, with ``rules`` filling what the model could not (visibly).

    ``timeout_s`` bounds one brief, retries included; ``retries`` extra attempts follow an error or an answer
    with no readable section. ``adapter``: ``auto``, ``json`` or ``chat`` (default ``$ASSIST_LM_ADAPTER``);
    ``context_tokens``: the model's window (default ``$ASSIST_LM_CONTEXT_TOKENS``, else LiteLLM's map, else
    8,192). ``cache=False`` reads and writes no response cache and keeps no DSPy history.
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
        adapter: AdapterName | None = None,
        context_tokens: int | None = None,
    ) -> None:
        if not 0 < timeout_s <= MAX_TIMEOUT_S or not 0 <= retries <= 10:
            raise ValueError(
                f"the timeout must be more than 0 and at most {MAX_TIMEOUT_S:g} s, and retries 0 to 10"
            )
        settings = Settings()
        self.lm = lm if lm is not None else configure_lm(timeout_s=timeout_s, cache=cache)
        self.module = module if module is not None else BriefModule()
        self.name = name
        self.timeout_s = timeout_s
        self.retries = retries
        #: False: no response cache is read or written and DSPy keeps no history (the service's setting).
        self.cache = cache
        choice: AdapterName = adapter or settings.assist_lm_adapter
        self.adapter: Literal["json", "chat"] = resolve_adapter(choice, self.lm)
        #: Asked for by name: the JSON schema is sent even where LiteLLM does not know the model takes one.
        self._force_schema = choice == "json"
        api_base = self.lm.kwargs.get("api_base")
        self.api_base: str | None = str(api_base) if api_base else None
        self.context_tokens = context_tokens or context_tokens_for(self.lm, settings.assist_lm_context_tokens)
        #: Counts this program's LM requests; optimizers share it so their calls are counted too.
        self.requests = RequestCounter()
        self._overhead: tuple[object, str, int] | None = None
        self._lock = threading.Lock()
        _, overhead = self._prompt_overhead()
        smallest = overhead + _MIN_TRANSCRIPT_TOKENS + _MIN_ANSWER_TOKENS + _SAFETY_TOKENS
        if self.context_tokens < smallest:
            raise ValueError(
                f"a context of {self.context_tokens:,} tokens cannot hold the brief's prompt ({overhead:,} tokens "
                f"before the call) and an answer: set ASSIST_LM_CONTEXT_TOKENS to at least {smallest:,}"
            )

    @classmethod
    def from_file(cls, path: str | Path, **options: Any) -> DSPyBriefProgram:
        """A program saved with :meth:`save` (DSPy state JSON); its name is the file's stem."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(2, "No such file", str(path))
        module = BriefModule()
        try:
            module.load(str(path))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path} is not a saved dspy brief program: {_first_line(exc)}") from None
        return cls(module=module, name=path.stem, **options)

    def save(self, path: str | Path) -> Path:
        """Write the module's state (instructions, demos) as DSPy state JSON; the LM is not saved."""
        path = Path(path)
        if path.suffix != ".json":
            raise ValueError(f"save a program as .json, got {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.module.save(str(path))
        return path

    @property
    def prompt_version(self) -> str:
        """A hash of everything in the prompt but the call: adapter, instructions, schema and demos."""
        return self._prompt_overhead()[0]

    def provenance(self) -> dict[str, str | None]:
        """What a run records about the model side: ``lm`` (provider/model), ``api_base`` (without
        credentials), ``adapter`` (``json`` or ``chat``) and ``prompt_version``."""
        return {
            "lm": self.lm.model,
            "api_base": public_address(self.api_base) if self.api_base else None,
            "adapter": self.adapter,
            "prompt_version": self.prompt_version,
        }

    def _fit(self, conversation: Conversation) -> tuple[Fitted, int, str, int]:
        """The transcript as it fits the model, the answer's ``max_tokens``, the prompt version and the tokens
        of the prompt without the transcript.

        The answer is planned at up to a quarter of the window, so a long call on a small model still shows
        most of what fits; once the shown turns are known it gets what its markers need, within the window.
        """
        version, overhead = self._prompt_overhead()
        lines = _numbered_lines(conversation)
        planned = min(output_tokens(len(lines)), max(_MIN_ANSWER_TOKENS, self.context_tokens // 4))
        budget = max(_MIN_TRANSCRIPT_TOKENS, self.context_tokens - overhead - planned - _SAFETY_TOKENS)
        fitted = fit_lines(lines, budget=budget, model=self.lm.model)
        room = self.context_tokens - overhead - fitted.tokens - _SAFETY_TOKENS
        return fitted, max(planned, min(output_tokens(len(fitted.shown)), room)), version, overhead

    def prompt_messages(self, conversation: Conversation) -> list[dict[str, Any]]:
        """The chat messages a brief of ``conversation`` sends (first attempt), for people to read."""
        fitted = self._fit(conversation)[0]
        predictor = self.module.write
        adapter: Any = self._adapter()
        messages: list[dict[str, Any]] = adapter.messages(
            self.lm, {}, predictor.signature, predictor.demos, {"transcript": fitted.text}
        )
        return messages

    def prompt_tokens(self, conversation: Conversation) -> int:
        """Tokens of that prompt as counted before sending (the model's own count may differ a little)."""
        fitted, _, _, overhead = self._fit(conversation)
        return overhead + fitted.tokens

    @property
    def lm_calls(self) -> int:
        """LM requests this program made (answered or failed); answers from the cache are not counted."""
        return self.requests.count

    def _adapter(self, **options: Any) -> _BriefFormat:
        return _ADAPTERS[self.adapter](force_schema=self._force_schema, **options)

    def _prompt_overhead(self) -> tuple[str, int]:
        """``(prompt version, tokens of the prompt without the transcript)``, computed once per module state
        (its signature and demos: an optimizer or a notebook may change them in place)."""
        predictor = self.module.write
        state = (predictor.signature, tuple(map(id, predictor.demos)))
        with self._lock:
            if self._overhead is None or self._overhead[0] != state:
                adapter: Any = self._adapter()
                options: dict[str, Any] = {}
                messages = adapter.messages(
                    self.lm, options, predictor.signature, predictor.demos, {"transcript": ""}
                )
                text = json.dumps(
                    [messages, str(options.get("response_format", ""))], sort_keys=True, default=str
                )
                version = f"{self.adapter}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"
                tokens = sum(
                    count_tokens(
                        [m["content"] for m in messages if isinstance(m.get("content"), str)], self.lm.model
                    )
                )
                self._overhead = (state, version, tokens + 8 * len(messages))
            return self._overhead[1], self._overhead[2]

    def brief(self, conversation: Conversation) -> BriefResult:
        deadline = time.monotonic() + self.timeout_s
        fitted, answer_tokens, version, overhead = self._fit(conversation)
        usage = LMUsage(
            prompt_tokens_counted=overhead + fitted.tokens,
            turns_omitted=fitted.omitted,
            turns_shortened=fitted.shortened,
        )
        reason = f"no answer within {self.timeout_s:g}s"
        feedback: tuple[str, str] | None = None
        for attempt in range(self.retries + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            exchange = _Exchange()
            try:
                prediction = self._predict(
                    fitted.text,
                    exchange,
                    feedback=feedback,
                    attempt=attempt,
                    max_tokens=answer_tokens,
                    timeout_s=remaining,
                    prompt_version=version,
                )
            except TimeoutError:
                reason = f"no answer within {self.timeout_s:g}s"
                break
            except AdapterParseError as exc:
                reason = f"no part of the answer could be read: {_first_line(exc)}"
                feedback = (exchange.text or "", "no output field could be read from it")
                continue
            # Whatever else the LM client raises (HTTP status, refused connection, auth, quota) has one answer
            # here: the caller still gets a brief, from rules, and sees why.
            except Exception as exc:  # noqa: BLE001
                reason = f"LM error: {type(exc).__name__}: {_first_line(exc)}"
                continue
            finally:
                _add_exchange(usage, exchange, self.lm.model, self.api_base)
            salvaged = exchange.salvaged or Salvaged()
            values = {section: getattr(prediction, section, None) for section in salvaged.values}
            try:
                portal, from_rules, marker_notes, dropped = assemble_portal(
                    values,
                    conversation,
                    rules=lambda: RulesProgram().brief(conversation).portal,
                    shown=fitted.shown,
                )
            except (ValidationError, ValueError, TypeError) as exc:  # a gap in salvage; never the caller's
                reason = f"the answer could not be made into a brief: {type(exc).__name__}"
                feedback = (exchange.text or "", "it did not make a valid brief")
                continue
            if exchange.key is not None and exchange.text is not None:
                store_answer(exchange.key, exchange.text)  # only now: a brief was made of it
            return BriefResult(
                portal=portal,
                program=self.name,
                sections_from_rules=from_rules,
                salvage=[*salvaged.notes, *marker_notes],
                ungrounded_dropped=dropped,
                adapter=self.adapter,
                prompt_version=version,
                usage=usage,
            )
        fallback = RulesProgram().brief(conversation)
        return fallback.model_copy(
            update={
                "fallback": True,
                "fallback_reason": reason,
                "adapter": self.adapter,
                "prompt_version": version,
                "usage": usage,
            }
        )

    def _predict(
        self,
        transcript_text: str,
        exchange: _Exchange,
        *,
        feedback: tuple[str, str] | None,
        attempt: int,
        max_tokens: int,
        timeout_s: float,
        prompt_version: str,
    ) -> dspy.Prediction:
        """One attempt in a worker thread, so a hung request cannot hold the caller past its deadline.

        An abandoned attempt finishes in the background within the LM's own request timeout. A retry is a new
        rollout (``rollout_id``, temperature 0.7): a different request, never the cached bad answer.
        """
        options: dict[str, Any] = {"max_tokens": max_tokens}
        if attempt:
            options.update(temperature=0.7, rollout_id=attempt)
        lm = self.lm.copy(**options)

        def cache_key(messages: list[dict[str, Any]], lm_kwargs: dict[str, Any]) -> dict[str, Any]:
            return cache_request(
                model=self.lm.model,
                api_base=self.api_base,
                adapter=self.adapter,
                prompt_version=prompt_version,
                messages=messages,
                options={
                    **{k: v for k, v in lm.kwargs.items() if k not in ("api_key", "api_base")},
                    **lm_kwargs,
                },
            )

        adapter = self._adapter(
            exchange=exchange,
            feedback=feedback,
            cache_key=cache_key if self.cache else None,
            counter=self.requests,
        )
        outcome: dict[str, Any] = {}
        done = threading.Event()

        def run() -> None:
            try:
                with dspy.context(lm=lm, adapter=adapter, disable_history=not self.cache):
                    outcome["prediction"] = self.module(transcript=transcript_text)
            except Exception as exc:  # noqa: BLE001 - handed to the caller's thread, which decides
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


def context_tokens_for(lm: dspy.BaseLM, explicit: int | None) -> int:
    api_base = lm.kwargs.get("api_base")
    return context_tokens(lm.model, api_base=str(api_base) if api_base else None, explicit=explicit)


def _add_exchange(usage: LMUsage, exchange: _Exchange, model: str, api_base: str | None) -> None:
    usage.requests += exchange.requests
    usage.cached = usage.cached or exchange.cached
    for name in ("prompt_tokens", "completion_tokens"):
        value = getattr(exchange, name)
        if value is not None:
            setattr(usage, name, (getattr(usage, name) or 0) + value)
    usage.cost_usd = cost_usd(model, usage.prompt_tokens, usage.completion_tokens, api_base=api_base)
