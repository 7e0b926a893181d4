"""The caller's name on short spoken-style calls written for these tests; whether the agent says a name later,
looked up, is what a search of its later turns finds."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assist.programs.rules.names import _AgentWords, caller_name
from assist.schema import Turn
from tests.programs.rules.conftest import conversation


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


_AGENT_SAYS = st.lists(
    st.sampled_from(
        ["Mary", "Mary-Jane", "O'Neil", "Jane2", "mary", "Jane's", "Smith", "-", "'", " ", ".", "Ann"]
    ),
    max_size=10,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_AGENT_SAYS, min_size=1, max_size=4),
    st.sampled_from(["Mary", "Jane", "Mary-Jane", "O'Neil", "Smith"]),
)
def test_the_agent_says_a_word_later_when_a_search_for_it_finds_it(said: list[str], word: str) -> None:
    turns = [
        Turn(role="assistant" if index % 2 else "user", content=text or "ok")
        for index, text in enumerate(said)
    ]
    agent = _AgentWords(turns)
    for turn in range(len(turns)):
        later = " ".join(t.content for t in turns[turn + 1 :] if t.role == "assistant")
        assert agent.said_after(word, turn) == (re.search(rf"\b{re.escape(word)}\b", later) is not None)
