"""The text cache keeps short texts, and long ones only a few at a time."""

from __future__ import annotations

from assist._memo import LONG_TEXTS_KEPT, MAX_CACHED_CHARS, text_cache


def test_short_texts_are_kept_long_ones_only_the_last_few() -> None:
    calls: list[str] = []

    @text_cache(maxsize=8)
    def shout(text: str) -> str:
        calls.append(text)
        return text.upper()

    short = "hello"
    longs = [str(i) * (MAX_CACHED_CHARS + 1) for i in range(LONG_TEXTS_KEPT + 1)]
    assert [shout(short), shout(short)] == ["HELLO", "HELLO"]
    assert shout(longs[0]) == shout(longs[0]) == longs[0].upper()
    assert calls == [short, longs[0]]
    for text in longs[1:]:  # the first long text is pushed out by the others
        shout(text)
    shout(longs[0])
    assert calls == [short, *longs, longs[0]]
