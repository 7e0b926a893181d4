"""Which language model the dspy brief program talks to, and where DSPy caches its answers.

The model is ``provider/model`` as DSPy/LiteLLM spell it (``ASSIST_LM``, e.g. ``openai/gpt-4o-mini``),
optionally at ``ASSIST_LM_API_BASE`` (a local OpenAI-compatible server); keys come from the provider's
usual variables (``OPENAI_API_KEY``, ...). The returned LM is handed to ``dspy.context``, never to
``dspy.configure``, so threads and evals using different models do not interfere.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

import dspy
from dspy.utils.usage_tracker import UsageTracker

from assist.errors import AssistError
from assist.settings import Settings

__all__ = [
    "LMNotConfigured",
    "RequestCounter",
    "cache_dir",
    "configure_lm",
    "public_address",
    "use_cache_dir",
]

#: Per request; the dspy program's own deadline per brief is separate (``DSPyBriefProgram(timeout_s=...)``).
DEFAULT_TIMEOUT_S = 30.0


class LMNotConfigured(AssistError):
    """No model to call: the dspy program needs ``ASSIST_LM``."""


class RequestCounter(UsageTracker):  # type: ignore[misc]
    """Counts LM requests that reached the model.

    DSPy reports usage to the active tracker once per response that did not come from its cache, which
    is exactly "a request was sent". Failed requests are added with :meth:`add_failed`. Shared by
    reference: DSPy deep-copies trackers into worker threads, which would split the count.
    """

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self._lock = threading.Lock()

    def add_usage(self, lm: str, usage_entry: dict[str, object]) -> None:
        with self._lock:
            self.count += 1
        super().add_usage(lm, usage_entry)

    def add_failed(self) -> None:
        with self._lock:
            self.count += 1

    def __deepcopy__(self, memo: dict[int, object]) -> RequestCounter:
        return self


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
    """A ``dspy.LM`` for ``model`` (default ``$ASSIST_LM``) with the response cache in ``cache_dir``.

    Temperature 0 so a re-run of an unchanged program over the same inputs is answered from the cache.
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
    provider, slash, name = model.partition("/")
    if not slash or not provider or not name:
        raise LMNotConfigured(f"ASSIST_LM must be provider/model (e.g. openai/gpt-4o-mini), got {model!r}")
    api_base = api_base or settings.assist_lm_api_base
    if cache:
        use_cache_dir(cache_dir)
    client: dict[str, str] = {}
    if api_base:
        client["api_base"] = api_base
        # Local OpenAI-compatible servers want no key, but the OpenAI client refuses to send none.
        if provider == "openai" and not os.environ.get("OPENAI_API_KEY"):
            client["api_key"] = "not-needed"
    return dspy.LM(
        model,
        temperature=0.0,
        max_tokens=4000,
        num_retries=0,
        timeout=timeout_s,
        cache=cache,
        engine=engine,
        **client,
    )
