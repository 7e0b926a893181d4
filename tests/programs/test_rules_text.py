"""The rules program's fast paths give exactly what the plain regex calls give, for any text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assist.programs import _rules_story, _rules_text
from assist.programs._rules_text import Cue, clean

#: Words the cues and rewrites look for, in mixed case, with the characters that case-insensitive
#: matching folds differently from ``lower()`` (long s, Kelvin sign, dotless and dotted i).
_WORDS = ["I", "i'm", "I'VE", "my", "Me", "we", "You", "your", "us", "u\u017f", "\u0131", "\u0130", "li\u212ae", "like",
          "see", "they", "has", "is", "have", "will", "'ll", "ve", "um", " ", "  ", ",", ".", "\t", "\n", "\u00a0",
          "[noise]", "<unk>", "wou~", "-"]  # fmt: skip
_TEXT = st.lists(st.sampled_from(_WORDS), max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_cue_finds_what_ignorecase_finds(text: str) -> None:
    pattern = r"\b(?:i see|like|us|(?<![\w-])i(?![\w-]))\b"
    assert Cue(pattern).found(text) == bool(re.search(pattern, text, re.IGNORECASE))


def test_cue_patterns_are_lowercase() -> None:
    with pytest.raises(ValueError, match="lowercase"):
        Cue(r"\bI see\b")


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_clean_matches_the_full_substitutions(text: str) -> None:
    expected = _rules_text._SPACES.sub(" ", _rules_text._NOISE.sub(" ", text)).strip()
    assert clean(text) == expected


@pytest.mark.parametrize("rules", [_rules_story._FIRST_PERSON, _rules_story._AGENT_VOICE])
@settings(max_examples=300, deadline=None)
@given(text=_TEXT)
def test_rewrite_matches_applying_every_rule(
    rules: tuple[tuple[re.Pattern[str], str, str], ...], text: str
) -> None:
    expected = text
    for pattern, replacement, _ in rules:
        expected = pattern.sub(replacement, expected)
    assert _rules_story._rewrite(text, rules) == expected
