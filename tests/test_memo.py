"""The text cache keeps short texts and never holds long ones."""

from __future__ import annotations

from assist._memo import MAX_CACHED_CHARS, text_cache


def test_short_texts_are_computed_once_long_ones_every_time() -> None:
    calls: list[str] = []

    @text_cache(maxsize=8)
    def shout(text: str) -> str:
        calls.append(text)
        return text.upper()

    short, long = "hello", "x" * (MAX_CACHED_CHARS + 1)
    assert [shout(short), shout(short)] == ["HELLO", "HELLO"]
    assert shout(long) == shout(long) == long.upper()
    assert calls == [short, long, long]
