"""One memoization for pure functions of a text, bounded in memory whatever the input."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

__all__ = ["MAX_CACHED_CHARS", "text_cache"]

T = TypeVar("T")

#: Texts longer than this are computed every time and never kept: a turn may hold up to 20,000
#: characters, and a cache of 4,096 such keys would pin hundreds of MB in a long-running service.
MAX_CACHED_CHARS = 2_000


def text_cache(maxsize: int) -> Callable[[Callable[[str], T]], Callable[[str], T]]:
    """``functools.lru_cache(maxsize)`` for ``fn(text)``, skipped for texts over :data:`MAX_CACHED_CHARS`.

    For helpers that several passes of one brief call with the same turn; results must be immutable.
    """

    def decorate(fn: Callable[[str], T]) -> Callable[[str], T]:
        cached = functools.lru_cache(maxsize=maxsize)(fn)

        @functools.wraps(fn)
        def memoized(text: str) -> T:
            return cached(text) if len(text) <= MAX_CACHED_CHARS else fn(text)

        return memoized

    return decorate
