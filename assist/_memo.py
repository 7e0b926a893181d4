"""One memoization for pure functions of a text, bounded in memory whatever the input."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

__all__ = ["LONG_TEXTS_KEPT", "MAX_CACHED_CHARS", "text_cache"]

T = TypeVar("T")

#: Texts longer than this are kept only a few at a time: a turn may hold up to 20,000 characters, and a
#: cache of 4,096 such keys would pin hundreds of MB in a long-running service.
MAX_CACHED_CHARS = 2_000
#: How many longer texts each function keeps: enough that the passes over one long turn share the work
#: (a turn is read by several rule modules, and a helper may be asked about it for each match in it).
LONG_TEXTS_KEPT = 4


def text_cache(maxsize: int) -> Callable[[Callable[[str], T]], Callable[[str], T]]:
    """``functools.lru_cache(maxsize)`` for ``fn(text)``, and only :data:`LONG_TEXTS_KEPT` entries for texts over
    :data:`MAX_CACHED_CHARS`.

    For helpers that several passes of one brief call with the same turn; results must be immutable.
    """

    def decorate(fn: Callable[[str], T]) -> Callable[[str], T]:
        cached = functools.lru_cache(maxsize=maxsize)(fn)
        long = functools.lru_cache(maxsize=LONG_TEXTS_KEPT)(fn)

        @functools.wraps(fn)
        def memoized(text: str) -> T:
            return cached(text) if len(text) <= MAX_CACHED_CHARS else long(text)

        return memoized

    return decorate
