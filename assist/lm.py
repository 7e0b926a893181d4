"""Which language model the dspy brief program talks to, what it costs, and where its answers are cached.

The model is ``provider/model`` as DSPy/LiteLLM spell it (``ASSIST_LM``, e.g. ``openai/gpt-4o-mini``),
optionally at ``ASSIST_LM_API_BASE`` (a local OpenAI-compatible server); keys come from the provider's
usual variables (``OPENAI_API_KEY``, ...). The returned LM is handed to ``dspy.context``, never to
``dspy.configure``, so threads and evals using different models do not interfere.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import dspy
from dspy.clients._deprecation import adapter_message_call
from dspy.utils.usage_tracker import UsageTracker

from assist.errors import AssistError
from assist.programs.budget import DEFAULT_CONTEXT_TOKENS
from assist.settings import Settings

__all__ = [
    "Answer",
    "LMNotConfigured",
    "RequestCounter",
    "ask",
    "cache_dir",
    "cache_request",
    "cached_answer",
    "configure_lm",
    "context_tokens",
    "cost_usd",
    "lm_for",
    "model_facts",
    "public_address",
    "store_answer",
    "use_cache_dir",
]

#: Per request; the dspy program's own deadline per brief is separate (``DSPyBriefProgram(timeout_s=...)``).
DEFAULT_TIMEOUT_S = 30.0


class LMNotConfigured(AssistError):
    """No model to call: the dspy program needs ``ASSIST_LM``."""


class RequestCounter(UsageTracker):  # type: ignore[misc]
    """Counts LM requests sent to the model.

    The brief program counts each of its requests when it sends it (:meth:`add_request`: answered, failed or
    abandoned at the deadline alike). As DSPy's usage tracker it also counts the requests of other code run
    with it (an optimizer's own prompts): DSPy reports usage once per response that did not come from its
    cache. Shared by reference: DSPy deep-copies trackers into worker threads, which would split the count.
    """

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self._lock = threading.Lock()

    def add_usage(self, lm: str, usage_entry: dict[str, object]) -> None:
        with self._lock:
            self.count += 1
        super().add_usage(lm, usage_entry)

    def add_request(self) -> None:
        """One request sent (the brief program counts its own; DSPy reports its usage elsewhere)."""
        with self._lock:
            self.count += 1

    def __deepcopy__(self, memo: dict[int, object]) -> RequestCounter:
        return self


class _Usage(UsageTracker):  # type: ignore[misc]
    """Collects the usage DSPy reports for one request."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[dict[str, Any]] = []

    def add_usage(self, lm: str, usage_entry: dict[str, Any]) -> None:
        self.entries.append(dict(usage_entry))

    def __deepcopy__(self, memo: dict[int, object]) -> _Usage:
        return self


def _token_total(entries: list[dict[str, Any]], key: str) -> int | None:
    values = [entry[key] for entry in entries if isinstance(entry.get(key), int)]
    return sum(values) if values else None


@dataclass(frozen=True)
class Answer:
    """What one request to a model brought back: its text and the tokens it reported (``None``: not reported)."""

    text: str
    prompt_tokens: int | None
    completion_tokens: int | None


def ask(lm: dspy.BaseLM, messages: list[dict[str, Any]], lm_kwargs: dict[str, Any]) -> Answer:
    """Send ``messages`` as an adapter does (DSPy's adapter boundary), and read the first output's text and the
    usage reported for this request alone. The one way the kit's adapters (brief, judge) call a model."""
    usage = _Usage()
    with adapter_message_call(lm, messages), dspy.context(usage_tracker=usage):
        outputs = lm(messages=messages, **lm_kwargs)
    first = outputs[0] if outputs else ""
    text = str(first.get("text") or "") if isinstance(first, dict) else str(first or "")
    prompt, completion = (_token_total(usage.entries, k) for k in ("prompt_tokens", "completion_tokens"))
    return Answer(text, prompt, completion)


def public_address(url: str) -> str:
    """``url`` without user, password, query or fragment: what a run may record about where the model was."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def cache_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``explicit``, else ``$ASSIST_CACHE_DIR``, else ``.assist-cache/dspy`` under the working directory."""
    return Path(
        explicit or os.environ.get("ASSIST_CACHE_DIR") or Path.cwd() / ".assist-cache" / "dspy"
    ).absolute()


def use_cache_dir(directory: str | os.PathLike[str] | None = None) -> Path:
    """Point DSPy's response cache (memory + disk) at ``directory`` (see :func:`cache_dir`).

    DSPy keeps one process-wide cache, so this is global; it is only rebuilt when the directory changes,
    so repeated calls keep the in-memory layer warm.
    """
    target = cache_dir(directory)
    current = getattr(dspy.cache, "disk_cache_dir", None)
    if current is None or Path(current).absolute() != target or not dspy.cache.enable_disk_cache:
        target.mkdir(parents=True, exist_ok=True)
        dspy.configure_cache(enable_disk_cache=True, enable_memory_cache=True, disk_cache_dir=str(target))
    return target


def configure_lm(
    model: str | None = None,
    *,
    api_base: str | None = None,
    cache_dir: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    engine: Literal["auto", "lm15", "litellm"] = "auto",
    cache: bool = True,
) -> dspy.LM:
    """A ``dspy.LM`` for ``model`` (default ``$ASSIST_LM``); with ``cache``, answers are cached in ``cache_dir``.

    The LM itself never caches: the program keeps answers that parsed, under a key with the server address,
    adapter and prompt version (:func:`cache_request`). ``cache=False`` (the service) touches no cache
    directory at all. Temperature 0 so a re-run of an unchanged program over the same inputs is answered
    from the cache.
    ``num_retries=0``: the program retries itself, within its own deadline, instead of DSPy's
    exponential back-off of up to a minute per attempt. ``engine`` is DSPy's: ``auto`` sends providers
    its native client knows (``openai/...``) through it and everything else through LiteLLM.
    """
    settings = Settings()
    model = model or settings.assist_lm
    if not model:
        raise LMNotConfigured(
            "no language model configured: set ASSIST_LM to provider/model (e.g. openai/gpt-4o-mini), "
            "or use --program rules"
        )
    api_base = api_base or settings.assist_lm_api_base
    if cache:
        use_cache_dir(cache_dir)
    return lm_for(model, api_base=api_base, timeout_s=timeout_s, engine=engine, what="ASSIST_LM")


def lm_for(
    model: str,
    *,
    api_base: str | None,
    timeout_s: float,
    max_tokens: int = 4000,
    engine: Literal["auto", "lm15", "litellm"] = "auto",
    what: str = "the model",
) -> dspy.LM:
    """The one way a ``dspy.LM`` is made: ``provider/model`` at ``api_base``, temperature 0, no DSPy retries and
    no DSPy cache (callers cache parsed answers themselves). ``what`` names the setting in errors."""
    provider, slash, name = model.partition("/")
    if not slash or not provider or not name:
        raise LMNotConfigured(f"{what} must be provider/model (e.g. openai/gpt-4o-mini), got {model!r}")
    client: dict[str, str] = {}
    if api_base:
        client["api_base"] = api_base
        # Local OpenAI-compatible servers want no key, but the OpenAI client refuses to send none.
        if provider == "openai" and not os.environ.get("OPENAI_API_KEY"):
            client["api_key"] = "not-needed"
    return dspy.LM(
        model,
        temperature=0.0,
        max_tokens=max_tokens,
        num_retries=0,
        timeout=timeout_s,
        # DSPy's own cache keys leave out the server address and keep answers that failed to parse.
        cache=False,
        engine=engine,
        **client,
    )


@functools.cache
def _cost_map() -> dict[str, Any]:
    """LiteLLM's local cost map (the JSON inside its package), read without importing LiteLLM."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(spec.submodule_search_locations[0]) / "model_prices_and_context_window_backup.json"
    try:
        found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found


def model_facts(model: str, *, api_base: str | None = None) -> dict[str, Any] | None:
    """LiteLLM's cost-map entry of ``provider/model`` (prices, context window), or ``None``.

    A model behind ``api_base`` is your own server's, whatever its name: its price and window are not the
    hosted model's, so nothing is looked up for it.
    """
    if api_base:
        return None
    entries = _cost_map()
    provider, _, name = model.partition("/")
    entry = entries.get(model)
    if entry is None and name in entries and str(entries[name].get("litellm_provider", "")) == provider:
        entry = entries[name]
    return entry if isinstance(entry, dict) else None


def cost_usd(
    model: str, prompt_tokens: int | None, completion_tokens: int | None, *, api_base: str | None = None
) -> float | None:
    """USD for the tokens at LiteLLM's local prices; ``None`` when the model or the counts are unknown."""
    facts = model_facts(model, api_base=api_base)
    if facts is None or prompt_tokens is None or completion_tokens is None:
        return None
    try:
        return (
            float(facts["input_cost_per_token"]) * prompt_tokens
            + float(facts["output_cost_per_token"]) * completion_tokens
        )
    except (KeyError, TypeError, ValueError):
        return None


def context_tokens(model: str, *, api_base: str | None = None, explicit: int | None = None) -> int:
    """The model's context window: ``explicit`` (``ASSIST_LM_CONTEXT_TOKENS``), else LiteLLM's map, else 8,192."""
    if explicit:
        return explicit
    facts = model_facts(model, api_base=api_base) or {}
    window = facts.get("max_input_tokens")
    return int(window) if isinstance(window, int) and window > 0 else DEFAULT_CONTEXT_TOKENS


_NOT_IN_KEY = frozenset({"api_key", "timeout", "num_retries"})


def cache_request(
    *,
    model: str,
    api_base: str | None,
    adapter: str,
    prompt_version: str,
    messages: list[dict[str, Any]],
    options: dict[str, Any],
) -> dict[str, Any]:
    """The response-cache key of one request: everything that can change the answer, the server included."""
    return {
        "_assist_cache": 1,
        "model": model,
        "api_base": (api_base or "").rstrip("/"),
        "adapter": adapter,
        "prompt_version": prompt_version,
        "messages": messages,
        # What cannot change the answer stays out: a credential, how long to wait, how often to retry.
        "options": {key: value for key, value in options.items() if key not in _NOT_IN_KEY},
    }


def cached_answer(request: dict[str, Any]) -> str | None:
    """The answer stored for ``request`` (see :func:`store_answer`), or ``None``."""
    found = dspy.cache.get(request, ignored_args_for_cache_key=[])
    return found if isinstance(found, str) else None


def store_answer(request: dict[str, Any], text: str) -> None:
    """Keep an answer that parsed; a failed one is never stored, so it cannot be served again."""
    dspy.cache.put(request, text, ignored_args_for_cache_key=[])
