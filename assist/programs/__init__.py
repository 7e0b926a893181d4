"""Brief programs: one interface, conversation in, ``AgentAssistPortal`` out.

Everything that builds a brief (CLI, service, eval harness, notebooks) goes through
:func:`load_program` and :meth:`BriefProgram.brief`; there is no second path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Protocol, get_args, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from assist.schema import AgentAssistPortal, Conversation

__all__ = [
    "BRIEF_SECTIONS",
    "BriefProgram",
    "BriefResult",
    "BriefSection",
    "LMUsage",
    "NoteSection",
    "SalvageNote",
    "load_program",
]

#: The parts of a brief a program writes (everything else, e.g. the phone number and the transcript's text, is
#: copied by code): the one list of section names. A model program reports each one that ``rules`` had to fill
#: in; the eval harness scores each (``eval.metrics.SECTIONS`` is this list).
BriefSection = Literal[
    "sentiment",
    "caller_name",
    "transfer_reason",
    "call_summary",
    "information_collected",
    "suggested_next_steps",
    "markers",
    "compliance_flags",
]
BRIEF_SECTIONS: tuple[BriefSection, ...] = get_args(BriefSection)
#: What a salvage note is about: a section, or ``answer`` for how the whole answer was read (a code fence,
#: prose around the JSON, a wrapper object, an answer cut short).
NoteSection = BriefSection | Literal["answer"]


class SalvageNote(BaseModel):
    """One thing done to a model's answer on the way to a brief: an item dropped, a list cut, a value repaired."""

    model_config = ConfigDict(extra="forbid")

    section: NoteSection
    action: Literal["dropped", "cut", "repaired"]
    #: Why, in one line (e.g. ``marker type 'anger' is not a marker type``); never the model's whole answer.
    reason: str
    #: Position of the item in the model's list, when the note is about one item.
    item: int | None = None


class LMUsage(BaseModel):
    """What one brief cost at the model: requests sent, tokens the model reported, and the price where known."""

    model_config = ConfigDict(extra="forbid")

    #: Requests that reached the model (0 when the answer came from the response cache).
    requests: int = 0
    cached: bool = False
    #: As reported by the model's usage; ``None`` when it reported none.
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    #: USD from LiteLLM's local cost map; ``None`` when the model is not in it (or runs on your own server).
    cost_usd: float | None = None
    #: Tokens of the prompt as counted before sending (see ``assist.programs.budget``), and turns left out to fit.
    prompt_tokens_counted: int | None = None
    turns_omitted: int = 0
    #: Turns shown only in part (one turn longer than a quarter of the room for the call).
    turns_shortened: int = 0


class BriefResult(BaseModel):
    """A brief plus how it was made: which program produced each part and what was dropped on the way."""

    model_config = ConfigDict(extra="forbid")

    portal: AgentAssistPortal
    #: The program that produced ``portal``: ``rules``, ``dspy`` or a saved program's name. A model program's
    #: brief keeps its name even when some sections came from ``rules`` (see ``sections_from_rules``).
    program: str
    #: True when a model program failed outright (error, timeout, nothing parseable) and ``rules`` wrote it all.
    fallback: bool = False
    fallback_reason: str | None = None
    #: Sections of a model's brief that could not be saved and were filled from ``rules``.
    sections_from_rules: list[BriefSection] = Field(default_factory=list)
    #: Every item dropped, list cut or value repaired while reading the model's answer.
    salvage: list[SalvageNote] = Field(default_factory=list)
    #: Items (information values, markers) removed by the grounding check.
    ungrounded_dropped: int = 0
    #: How a model was asked: ``json`` or ``chat`` (DSPy adapter), and the prompt's version hash.
    adapter: str | None = None
    prompt_version: str | None = None
    usage: LMUsage | None = None

    @property
    def model_sections(self) -> list[BriefSection]:
        """Sections the model itself wrote (none on a fallback, none for ``rules``)."""
        if self.fallback or self.adapter is None:
            return []
        return [s for s in BRIEF_SECTIONS if s not in self.sections_from_rules]


@runtime_checkable
class BriefProgram(Protocol):
    name: str

    def brief(self, conversation: Conversation) -> BriefResult: ...


def load_program(
    spec: str = "rules", *, timeout_s: float | None = None, retries: int | None = None, cache: bool = True
) -> BriefProgram:
    """``rules`` (deterministic, offline), ``dspy`` (LM from ``ASSIST_LM``) or a path to saved DSPy state JSON.

    ``timeout_s`` (one brief, retries included), ``retries`` and ``cache`` (the LM response cache) apply to
    model programs; ``rules`` needs none of them.
    """
    if spec == "rules":
        from assist.programs.rules import RulesProgram

        return RulesProgram()
    from assist.programs.dspy_program import DSPyBriefProgram

    options: dict[str, Any] = {"cache": cache}
    if timeout_s is not None:
        options["timeout_s"] = timeout_s
    if retries is not None:
        options["retries"] = retries
    if spec == "dspy":
        return DSPyBriefProgram(**options)
    path = Path(spec)
    if path.suffix == ".json":
        return DSPyBriefProgram.from_file(path, **options)
    raise ValueError(f"unknown program {spec!r}: use rules, dspy or a path to a saved program .json")
