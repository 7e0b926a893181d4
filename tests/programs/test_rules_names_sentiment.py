"""The rules program's caller name and sentiment on short spoken-style calls written for these tests."""

from __future__ import annotations

import pytest

from assist.programs._rules_names import caller_name
from assist.programs._rules_sentiment import analyze
from tests.programs.conftest import PROGRAM, conversation


@pytest.mark.parametrize(
    ("turns", "expected"),
    [
        # Unpunctuated ASR: the next detail starts right after the name.
        (
            (
                ("assistant", "can i get your name and member id"),
                ("user", "its priya raman member id is k 4 4 0 1"),
            ),
            "Priya Raman",
        ),
        ((("user", "hi its gus lindqvist birthday june twelfth fifty eight"),), "Gus Lindqvist"),
        ((("user", "My name is June Park and I need a refill."),), "June Park"),
        ((("user", "hello i am carlos mendez i have a question about my bill"),), "Carlos Mendez"),
        # Spelled out: joined, and a spelling that repeats the spoken word is not a second name.
        ((("assistant", "Your name?"), ("user", "Halina, H-A-L-I-N-A, Wojcik.")), "Halina Wojcik"),
        ((("user", "my last name is spelled k o w a l and first name is bernadette"),), "Bernadette Kowal"),
        # Corrections replace what was said first.
        ((("user", "Yeah this is Mike, uh, sorry, Michael Turner, about my order."),), "Michael Turner"),
        (
            (
                ("assistant", "may i have your name"),
                ("user", "yeah its ana lopes"),
                ("assistant", "thanks anna lopez"),
                ("user", "no sorry its ana a n a lopes l o p e s"),
            ),
            "Ana Lopes",
        ),
        (
            (
                ("user", "Hi, my name is Dana Whitfield."),
                ("assistant", "Thanks, Dana."),
                ("user", "Sorry, Dave told me to call you about the bill."),
            ),
            "Dana Whitfield",
        ),
        # Last name first, then the first name; a full name completing a surname.
        (
            (("assistant", "Can I have your name?"), ("user", "Kowalski. First name Bernadette.")),
            "Bernadette Kowalski",
        ),
        ((("assistant", "Thanks, Mr. Vaughn."), ("user", "It's Vance, actually. Teo Vance.")), "Teo Vance"),
        (
            (("assistant", "What name is the booking under?"), ("user", "It's under Morgan. Alex Morgan.")),
            "Alex Morgan",
        ),
        # The caller, not the people they call about.
        ((("user", "I'm calling about my husband's account, his name is Tom Grant, and I'm Lisa."),), "Lisa"),
        (
            (
                ("user", "Hi, this is Jake's phone, I'm his mom, Karen Miller."),
                ("assistant", "Thanks, Ms. Miller."),
            ),
            "Karen Miller",
        ),
    ],
)
def test_caller_name(turns: tuple[tuple[str, str], ...], expected: str) -> None:
    assert caller_name(conversation(*turns)) == expected


@pytest.mark.parametrize(
    "turns",
    [
        (
            ("user", "Hi, I'm calling for my mom, Ruth Pruitt. Her refill is on hold?"),
            ("assistant", "I see Ruth Pruitt's profile."),
        ),
        (
            ("assistant", "What's the name on the account?"),
            ("user", "It's my father's account, Henry Ito. I'm his son."),
        ),
        (("user", "Hello, I'm Dr. Sandra Okafor's assistant, calling about her prescription."),),
        (
            ("assistant", "What's the guarantor's name?"),
            ("user", "He's February 3rd, 2012."),
            ("assistant", "I'll need the guarantor's full name."),
            ("user", "Ugh, okay, can I just talk to somebody?"),
        ),
        (("user", "its been three days and nobody called me back"),),
        (("user", "Sorry, Verizon told me to call you about this."),),
    ],
)
def test_no_caller_name(turns: tuple[tuple[str, str], ...]) -> None:
    assert caller_name(conversation(*turns)) == "Unknown Caller"


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
