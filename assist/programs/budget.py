"""How much of a call fits the model: tokens counted with a real tokenizer, long calls trimmed, output sized.

* **Counting.** ``tiktoken`` with the encoding OpenAI publishes for the model (exact for OpenAI models); any
  other model is counted with ``cl100k_base`` as an estimate, and :data:`ESTIMATE_MARGIN` is added. The
  encodings are the files LiteLLM ships inside its package (no download: ``TIKTOKEN_CACHE_DIR`` points there).
* **Trimming.** A call whose numbered transcript does not fit keeps its opening (:data:`HEAD_TURNS` turns) and
  its most recent turns, under their original numbers, with one line marking the gap. Models use the middle
  of a long context worst ("Lost in the Middle"), and a handoff is about how the call began and where it is
  now. A single turn longer than a quarter of the budget is cut short, marked ``[…]``.
* **Output.** The answer is sized to the brief (a fixed part plus a little per turn for markers), not a fixed
  4,000 tokens, so the prompt gets the rest of the window.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "DEFAULT_CONTEXT_TOKENS",
    "ESTIMATE_MARGIN",
    "HEAD_TURNS",
    "Fitted",
    "count_tokens",
    "fit_lines",
    "output_tokens",
    "tokenizer_for",
]

#: For a model whose window is not known (not in LiteLLM's cost map, or served by your own server).
DEFAULT_CONTEXT_TOKENS = 8_192
#: Counts made with a stand-in tokenizer are raised by this share before they are compared with a budget.
ESTIMATE_MARGIN = 0.15
#: Opening turns kept when a call is trimmed: the greeting, the request, usually the caller's name.
HEAD_TURNS = 6
#: Output budget: a brief without markers, plus markers (about one every other turn, ~25 tokens each).
_OUTPUT_BASE, _OUTPUT_PER_TURN, _OUTPUT_MAX = 800, 15, 4_096


def _use_litellm_encodings() -> None:
    """Point tiktoken at the encodings bundled with LiteLLM (found without importing LiteLLM, which is slow)."""
    if os.environ.get("TIKTOKEN_CACHE_DIR"):
        return
    spec = importlib.util.find_spec("litellm")
    if spec is not None and spec.submodule_search_locations:
        bundled = os.path.join(spec.submodule_search_locations[0], "litellm_core_utils", "tokenizers")
        if os.path.isdir(bundled):
            os.environ["TIKTOKEN_CACHE_DIR"] = bundled


@functools.cache
def _encoding(name: str):  # type: ignore[no-untyped-def]  # tiktoken.Encoding; imported lazily (0.3 s)
    _use_litellm_encodings()
    import tiktoken

    return tiktoken.get_encoding(name)


@functools.cache
def tokenizer_for(model: str) -> tuple[str, bool]:
    """``(encoding name, exact)`` for ``provider/model``: OpenAI's own encoding where tiktoken knows the model."""
    import tiktoken

    try:
        return tiktoken.encoding_name_for_model(model.rpartition("/")[2]), True
    except KeyError:
        return "cl100k_base", False


def count_tokens(texts: Sequence[str], model: str) -> list[int]:
    """Tokens of each text for ``model`` (with :data:`ESTIMATE_MARGIN` when the tokenizer is a stand-in)."""
    name, exact = tokenizer_for(model)
    counts = [len(tokens) for tokens in _encoding(name).encode_ordinary_batch(list(texts))]
    return counts if exact else [int(count * (1 + ESTIMATE_MARGIN)) + 1 for count in counts]


def output_tokens(turns: int) -> int:
    """``max_tokens`` for the brief of a call showing ``turns`` turns."""
    return min(_OUTPUT_MAX, _OUTPUT_BASE + _OUTPUT_PER_TURN * turns)


@dataclass(frozen=True)
class Fitted:
    """The transcript text the model sees and what was left out of it."""

    text: str
    tokens: int
    #: Indices of the turns shown (all of them unless trimmed).
    shown: frozenset[int]
    omitted: int
    #: Turns shown only in part (longer than a quarter of the budget).
    shortened: int = 0


def _shorten(line: str, tokens: int, limit: int) -> str:
    keep = max(1, int(len(line) * limit / tokens))
    return line[:keep].rstrip() + " […]"


def fit_lines(lines: Sequence[str], *, budget: int, model: str) -> Fitted:
    """``lines`` (one per turn, numbered) trimmed to ``budget`` tokens: head, a gap line, the most recent tail."""
    counts = count_tokens(lines, model)
    total = sum(counts) + len(lines)
    if total <= budget:
        return Fitted("\n".join(lines), total, frozenset(range(len(lines))), 0)
    limit = max(16, budget // 4)
    shortened = 0
    lines, counts = list(lines), list(counts)
    for index, count in enumerate(counts):
        if count > limit:
            lines[index], counts[index], shortened = (
                _shorten(lines[index], count, limit),
                limit,
                shortened + 1,
            )
    gap_tokens = 24
    head: list[int] = []
    used = gap_tokens
    for index in range(min(HEAD_TURNS, len(lines))):
        if used + counts[index] + 1 > budget // 3:
            break
        head.append(index)
        used += counts[index] + 1
    tail: list[int] = []
    for index in range(len(lines) - 1, (head[-1] if head else -1), -1):
        if used + counts[index] + 1 > budget:
            break
        tail.append(index)
        used += counts[index] + 1
    tail.reverse()
    shown = head + tail
    omitted = len(lines) - len(shown)
    if omitted == 0:
        return Fitted("\n".join(lines), used - gap_tokens, frozenset(shown), 0, shortened)
    first_gap = (head[-1] + 1) if head else 0
    last_gap = (tail[0] - 1) if tail else len(lines) - 1
    gap = f"[… turns {first_gap}–{last_gap} are not shown: the call is longer than the model's context …]"
    text = "\n".join([*(lines[i] for i in head), gap, *(lines[i] for i in tail)])
    return Fitted(text, used, frozenset(shown), omitted, shortened)
