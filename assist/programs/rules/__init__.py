"""The deterministic, offline brief: cue rules over the transcript, no model.

It is the embedded default, the fallback when a model program fails, and the baseline prompts are compared
against. One module per part of the brief, each named by what it produces:

* ``names`` the caller's name, ``sentiment`` how heated the caller is, ``details`` the information collected;
* ``verification``, ``commitments`` and ``escalation`` what the AI checked, promised and handed off, and
  ``compliance`` the flags raised from them;
* ``markers`` the turn markers;
* ``topic`` and ``handoff`` what the call is about and who takes it over, from which ``reason``, ``summary``
  and ``next_steps`` write the prose sections, in the style of ``prose``;
* ``text`` the helpers all of them share (one sentence splitter, one cleaner, the cue patterns' text);
* ``reading`` how much of a call they read (all of it, up to a budget: opening and end of a longer one);
* ``program`` assembles the brief and runs the shared grounding check.

``secret_numbers``, ``secrets_by_turn`` and ``mask_secrets`` are public: the model program masks a model's brief
by the same reader of card numbers and SSNs (as does the handoff page, ``assist.render``).
"""

from __future__ import annotations

from assist.programs.rules.program import RulesProgram
from assist.programs.rules.text import mask_secrets, secret_numbers, secrets_by_turn

__all__ = ["RulesProgram", "mask_secrets", "secret_numbers", "secrets_by_turn"]
