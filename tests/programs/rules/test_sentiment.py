"""How heated the caller is, on short spoken-style calls written for these tests; VADER's scores are VADER's."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from assist.programs.rules.sentiment import _Vader, analyze
from tests.programs.rules.conftest import PROGRAM, conversation


def _level(*user_turns: str) -> str:
    turns: list[tuple[str, str]] = [("assistant", "How can I help?")]
    for text in user_turns:
        turns += [("user", text), ("assistant", "Okay, let me look into that.")]
    return analyze(conversation(*turns)).level


@pytest.mark.parametrize(
    ("user_turns", "expected"),
    [
        # Worry is not frustration.
        (("My dog's claim, is it approved?", "Oh. Is that bad?", "Okay, thank you so much."), "calm"),
        # A scam victim reports a crime; "this is a scam" would accuse the service.
        (("My granddaughter says I've been scammed, a scammer called me.", "Thank you, dear."), "calm"),
        (("This whole fee is a scam.",), "angry"),
        # One grievance said once is mild; coming back to it is sustained.
        (
            ("I need my prescription.", "And nobody told us. So she just runs out?", "Fine, thanks."),
            "slightly_frustrated",
        ),
        (
            (
                "My package is late.",
                "Nobody called me about it.",
                "And no one has answered my emails either.",
            ),
            "frustrated",
        ),
        # A hedge keeps a complaint mild.
        (
            ("we got the wrong order", "we still don't have dinner that's kind of not great", "ok thanks"),
            "slightly_frustrated",
        ),
        # Sharp rejection of what the AI says.
        (
            (
                "My husband is on oxygen.",
                "Did you hear what I said? You're telling me you'll cut it off anyway?",
            ),
            "frustrated",
        ),
        (
            ("Can you move it?", "Of course you can't. Every time I call it's a different department."),
            "frustrated",
        ),
        # Demanding a manager while angry is angry; adding outside action is escalated.
        (("Are you kidding me? I want the office manager.",), "angry"),
        (
            (
                "My pay went to the wrong bank.",
                "Get me a manager. I'm filing a wage claim with the labor department.",
            ),
            "escalated",
        ),
        (
            ("I want a supervisor, and I'm filing a DOT complaint and disputing it with my bank.",),
            "escalated",
        ),
        (("Get me a fraud supervisor right now. I'm calling a lawyer.",), "escalated"),
    ],
)
def test_sentiment_level(user_turns: tuple[str, ...], expected: str) -> None:
    assert _level(*user_turns) == expected


def test_the_brief_header_carries_the_level_and_the_markers_follow_the_turns() -> None:
    conv = conversation(
        ("assistant", "How can I help?"),
        ("user", "Hi, my name is Dana Whitfield, my refund never arrived."),
        ("assistant", "I see the refund was sent on Monday."),
        ("user", "Nobody told me that."),
        ("assistant", "You can write to the billing address on your statement."),
        ("user", "And nobody answers that email address either, I wrote twice."),
        ("assistant", "I'll transfer you to billing."),
    )
    portal = PROGRAM.brief(conv).portal
    assert portal.header.caller_name == "Dana Whitfield"
    assert portal.header.sentiment.level == "frustrated"
    frustrated = [
        i for i, t in enumerate(portal.transcript) if any(m.type == "frustration" for m in t.markers)
    ]
    assert {3, 5} <= set(frustrated)


#: Words VADER weighs, and the ones that change how it weighs them (negations, boosters, idioms, "but").
_VADER_WORDS = ["good", "bad", "great", "terrible", "love", "hate", "GOOD", "BAD", "not", "no", "never", "nor", "or",
                "so", "this", "kind", "of", "sort", "very", "VERY", "least", "at", "without", "doubt", "but", "BUT",
                "the", "shit", "bomb", "yeah", "right", "cut", "mustard", "isn't", "ok", "fine", "!", "?", "sux",
                ":)", "lol", "wow"]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_VADER_WORDS), max_size=40).map(" ".join))
def test_vader_scores_what_vader_scores(text: str) -> None:
    assert _Vader().polarity_scores(text) == SentimentIntensityAnalyzer().polarity_scores(text)
