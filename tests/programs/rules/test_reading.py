"""How much of a call the rules read: any call, however long, within the budget, its opening and its end."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from assist.programs.rules.reading import READ_CHARS, within_budget
from assist.schema import MAX_TURN_CHARS
from tests.programs.rules.conftest import PROGRAM, conversation

_TURNS = st.lists(
    st.tuples(
        st.sampled_from(["user", "assistant"]),
        st.integers(0, MAX_TURN_CHARS).map(lambda size: ("word " * (size // 5 + 1))[:size].strip() or "ok"),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(_TURNS)
def test_a_call_is_read_within_the_budget_each_turn_as_it_was_said(turns: list[tuple[str, str]]) -> None:
    call = conversation(*turns)
    read = within_budget(call)
    assert sum(len(turn.content) for turn in read.call.turns) <= READ_CHARS
    assert read.numbers == sorted(set(read.numbers)) and len(read.numbers) == len(read.call.turns)
    assert read.numbers[0] == 0 and read.numbers[-1] == len(call.turns) - 1
    gaps = 0
    for number, turn in zip(read.numbers, read.call.turns, strict=True):
        said = call.turns[number]
        if turn.role == said.role and said.content.startswith(turn.content):
            continue
        gaps += 1  # the one silent turn standing for what is not read
        assert (turn.role, turn.content) == ("assistant", "")
    assert gaps <= 1
    if sum(len(turn.content) for turn in call.turns) <= READ_CHARS:
        assert read.call is call and read.numbers == list(range(len(call.turns)))


def test_a_long_call_is_read_from_its_opening_and_its_end() -> None:
    filler = ("The line kept dropping and the music kept playing while I waited. " * 60).strip()
    call = conversation(
        ("user", "Hi, my name is Dana Whitfield and my card was charged twice for $120."),
        *[("assistant", filler), ("user", filler)] * 10,
        ("user", "I was also told about a fee of $45 in the middle of all this."),
        *[("assistant", filler), ("user", filler)] * 10,
        ("assistant", "I'll transfer you to a billing specialist who can refund the duplicate charge."),
    )
    portal = PROGRAM.brief(call).portal
    assert portal.header.caller_name == "Dana Whitfield"
    assert "billing specialist" in portal.transfer_reason
    # Said only where the call is not read: in the transcript, never in what the brief says about it.
    middle = 21
    assert "$45" in portal.transcript[middle].content and not portal.transcript[middle].markers
    assert "$45" not in str(portal.model_dump(exclude={"transcript"}))
    assert len(portal.transcript) == len(call.turns)
