"""Brief programs: one interface, conversation in, ``AgentAssistPortal`` out.

Everything that builds a brief (CLI, service, eval harness, notebooks) goes through
:func:`load_program` and :meth:`BriefProgram.brief`; there is no second path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from assist.schema import AgentAssistPortal, Conversation

__all__ = ["BriefProgram", "BriefResult", "load_program"]


class BriefResult(BaseModel):
    """A brief plus how it was made: which program produced it and what was dropped on the way."""

    model_config = ConfigDict(extra="forbid")

    portal: AgentAssistPortal
    #: The program that produced ``portal``: ``rules``, ``dspy`` or a saved program's name.
    program: str
    #: True when a model program failed and ``rules`` answered instead.
    fallback: bool = False
    fallback_reason: str | None = None
    #: Items (information values, markers) removed by the grounding check.
    ungrounded_dropped: int = 0


@runtime_checkable
class BriefProgram(Protocol):
    name: str

    def brief(self, conversation: Conversation) -> BriefResult: ...


def load_program(spec: str = "rules") -> BriefProgram:
    """``rules`` (deterministic, offline), ``dspy`` (LM from ``ASSIST_LM``) or a path to saved DSPy state JSON."""
    if spec == "rules":
        from assist.programs.rules import RulesProgram

        return RulesProgram()
    from assist.programs.dspy_program import DSPyBriefProgram

    if spec == "dspy":
        return DSPyBriefProgram()
    path = Path(spec)
    if path.suffix == ".json":
        return DSPyBriefProgram.from_file(path)
    raise ValueError(f"unknown program {spec!r}: use rules, dspy or a path to a saved program .json")
