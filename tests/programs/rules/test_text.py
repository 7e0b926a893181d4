"""The shared text helpers: fast paths give exactly what the plain regex calls give, for any text, and the
sentence helpers and word lists agree with what they stand for."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from assist.programs.rules import text
from assist.programs.rules.text import (
    ENGLISH_WORDS,
    Cue,
    SuffixAutomaton,
    clean,
    sentence_around,
    sentences,
)
from tests.programs.rules.conftest import MIXED_TEXT


@settings(max_examples=300, deadline=None)
@given(MIXED_TEXT)
def test_cue_finds_what_ignorecase_finds(said: str) -> None:
    pattern = r"\b(?:i see|like|us|(?<![\w-])i(?![\w-]))\b"
    assert Cue(pattern).found(said) == bool(re.search(pattern, said, re.IGNORECASE))


def test_cue_patterns_are_lowercase() -> None:
    with pytest.raises(ValueError, match="lowercase"):
        Cue(r"\bI see\b")


@settings(max_examples=300, deadline=None)
@given(MIXED_TEXT)
def test_clean_matches_the_full_substitutions(said: str) -> None:
    expected = text._SPACES.sub(" ", text._NOISE.sub(" ", said)).strip()
    assert clean(said) == expected


@settings(max_examples=300, deadline=None)
@given(MIXED_TEXT.map(lambda said: f"{said}. Dr. Lee? {said}! ok"), st.data())
def test_the_sentence_around_any_position_is_one_the_splitter_gives(said: str, data: st.DataObject) -> None:
    cleaned = clean(said)
    position = data.draw(st.integers(0, len(cleaned) - 1))
    assert sentence_around(cleaned, position) in sentences(cleaned)


def test_english_words_are_vaders_whole_lexicon() -> None:
    assert frozenset(SentimentIntensityAnalyzer().lexicon) == ENGLISH_WORDS


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from("ab "), max_size=30).map("".join), st.lists(st.sampled_from("ab "), max_size=6)
)
def test_the_suffix_automaton_finds_where_a_stretch_first_ends(sequence: str, stretch: list[str]) -> None:
    automaton = SuffixAutomaton()
    for token in sequence:
        automaton.extend(token)
    first = sequence.find("".join(stretch))
    assert len(automaton) == len(sequence)
    assert automaton.first_end(stretch) == (None if first < 0 else first + len(stretch))
