"""``portal_html``: every section of a real brief, and caller speech that stays text."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from assist.interchange import read_examples
from assist.programs import load_program
from assist.programs.rules.text import digits_in
from assist.render import HANDOFF_PAGE, portal_html
from assist.schema import AgentAssistPortal, Conversation, LabelledExample, Marker, Turn
from tests.conftest import (
    HARPER_VALLEY,
    HARPER_VALLEY_HELDOUT,
    SYNTHETIC,
    SYNTHETIC_DEV2,
    SYNTHETIC_DEV3,
    SYNTHETIC_DEV4,
    SYNTHETIC_HELDOUT,
    SYNTHETIC_HELDOUT2,
    SYNTHETIC_HELDOUT3,
)

HOSTILE = "</div><script>alert(1)</script><img src=x onerror=alert(2)>\"' & <b>"


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(markup: str) -> Tags:
    parser = Tags()
    parser.feed(markup)
    return parser


def real_brief(example: LabelledExample) -> AgentAssistPortal:
    return load_program("rules").brief(example.conversation).portal


def test_every_section_of_a_real_brief(harper_valley: list[LabelledExample]) -> None:
    portal = real_brief(harper_valley[0])
    markup = portal_html(portal)
    for css_class in ("aap-header", "aap-transfer", "aap-summary", "aap-info", "aap-next", "aap-compliance"):
        assert f"aap-card {css_class}" in markup or f'class="{css_class}"' in markup, css_class
    assert markup.count('class="aap-turn"') == len(harper_valley[0].conversation.turns)
    assert markup.count("<li>") >= len(portal.call_summary) + len(portal.suggested_next_steps)
    assert portal.header.phone_number in markup and "<style>" in markup


def test_untrusted_text_is_escaped_everywhere(harper_valley: list[LabelledExample]) -> None:
    portal = real_brief(harper_valley[1])
    data = portal.model_dump()
    data["header"]["caller_name"] = HOSTILE
    data["transfer_reason"] = HOSTILE
    data["call_summary"][0] = HOSTILE
    data["information_collected"] = [{"key": HOSTILE, "value": HOSTILE}]
    data["suggested_next_steps"][0]["action"] = HOSTILE
    data["compliance_flags"] = [{"type": HOSTILE, "description": HOSTILE}]
    data["transcript"][0]["content"] = HOSTILE
    data["transcript"][0]["markers"] = [Marker(type="frustration", description=HOSTILE).model_dump()]
    hostile = AgentAssistPortal.model_validate(data)
    for standalone in (False, True):
        parsed = parse(portal_html(hostile, standalone=standalone))
        assert {"script", "img", "b"}.isdisjoint(parsed.tags)
        assert sum(HOSTILE in chunk for chunk in parsed.text) >= 9  # each field comes back as plain text


def test_standalone_is_a_whole_document(harper_valley: list[LabelledExample]) -> None:
    portal = real_brief(harper_valley[2])
    document = portal_html(portal, standalone=True)
    assert document.startswith("<!doctype html>") and "<title>" in document
    assert portal._repr_html_() == portal_html(portal)


def test_the_page_shell_is_static() -> None:
    parsed = parse(HANDOFF_PAGE)
    assert parsed.tags.count("script") == 1 and "form" in parsed.tags
    assert "innerHTML" in HANDOFF_PAGE and HANDOFF_PAGE.count("innerHTML") == 1  # only the server's fragment


# --- what a person needs in ten seconds ---------------------------------------------------------------

ALL_SETS = [
    SYNTHETIC,
    SYNTHETIC_DEV2,
    SYNTHETIC_DEV3,
    SYNTHETIC_DEV4,
    SYNTHETIC_HELDOUT,
    SYNTHETIC_HELDOUT2,
    SYNTHETIC_HELDOUT3,
    HARPER_VALLEY,
    HARPER_VALLEY_HELDOUT,
]
#: What the reveal shows: the digits as said, inside the masked span.
CLEAR = re.compile(r'<span class="aap-clear">.*?</span>')


def example(path: Path, example_id: str) -> LabelledExample:
    return next(e for e in read_examples(path) if e.id == example_id)


def on_screen(markup: str) -> str:
    """The text a person sees before pressing the reveal: tags, and the revealed digits, taken out."""
    return html.unescape(re.sub(r"<[^>]+>", "|", re.sub(r"<style>.*?</style>", "", CLEAR.sub("", markup))))


@pytest.mark.parametrize(
    ("path", "example_id", "said", "masked"),
    [
        (SYNTHETIC, "syn-002", "4265 3188 0294 7716", "•••• 7716"),  # a card, written in groups
        (
            SYNTHETIC_DEV2,
            "dev2-015",
            "4 9 1 6 3 3 0 2 7 7 1 8 5 0 4 2",
            "•••• 5042",
        ),  # a card, digit by digit
        (SYNTHETIC, "syn-019", "512-44-8093", "•••-••-••••"),  # an SSN in its own shape
        (
            SYNTHETIC_HELDOUT3,
            "hold3-007",
            "nine-one-two, four-four, eight-zero-six-one",
            "•••-••-••••",
        ),  # spoken
    ],
)
def test_card_numbers_and_ssns_are_masked_until_revealed(
    path: Path, example_id: str, said: str, masked: str
) -> None:
    markup = portal_html(real_brief(example(path, example_id)))
    assert said in markup and said not in on_screen(markup)  # kept for the reveal, not shown
    assert masked in on_screen(markup)
    assert f'<span class="aap-clear">{html.escape(said)}</span>' in markup
    assert re.search(
        r'<label class="aap-reveal"><input type="checkbox"> Show \d+ hidden card/SSN number', markup
    )


def test_no_card_number_or_ssn_of_any_bundled_call_is_on_screen() -> None:
    for path in ALL_SETS:
        for labelled in read_examples(path):
            markup = portal_html(real_brief(labelled))
            shown = on_screen(markup)
            assert not [d for d in digits_in(shown) if 13 <= len(d) <= 19], labelled.id
            assert not re.search(r"\b\d{3}-\d{2}-\d{4}\b", shown), labelled.id
            assert ('class="aap-secret"' in markup) == ('<label class="aap-reveal">' in markup), labelled.id


def test_the_page_hides_what_the_brief_masks_and_no_more() -> None:
    # The page and the brief programs read card numbers and SSNs with one reader: an SSN said with "dash" and a
    # card in dotted groups are hidden on screen and appear in no text of the brief; a phone number is shown.
    conversation = Conversation(
        id="conv-page",
        user_id="+15551234567",
        created_at=datetime(2026, 1, 5, 14, 3, tzinfo=UTC),
        status="ended",
        duration_seconds=60,
        turns=[
            Turn(role="assistant", content="Can I have your Social Security number?"),
            Turn(role="user", content="nine one two dash four four dash eight zero six one"),
            Turn(role="assistant", content="Thanks. And the card you want to use?"),
            Turn(role="user", content="It's 4111.1111.1111.1111, call me back at 555-123-4567 if it fails."),
        ],
    )
    shown = on_screen(portal_html(load_program("rules").brief(conversation).portal))
    assert "•••-••-••••" in shown and "•••• 1111" in shown and "555-123-4567" in shown
    assert "nine one two" not in shown and "4111.1111" not in shown
    # dev2-002 answers "your loan number and the last four of your Social Security number?" with the loan number:
    # a loan number, shown as said.
    assert "3 0 0 7 7 1 5 2 9" in on_screen(portal_html(real_brief(example(SYNTHETIC_DEV2, "dev2-002"))))


def test_jump_links_lead_to_each_marker_a_person_looks_for() -> None:
    portal = real_brief(example(SYNTHETIC_DEV3, "dev3-004"))
    markup = portal_html(portal)
    at = {
        kind: [i for i, turn in enumerate(portal.transcript) if any(m.type == kind for m in turn.markers)]
        for kind in ("escalation_trigger", "frustration", "ai_commitment", "identity_verified")
    }
    assert at["escalation_trigger"] and len(at["frustration"]) >= 2 and at["ai_commitment"]
    nav = markup[markup.index('<nav class="aap-jumps"') : markup.index("</nav>")]

    def linked(kind: str) -> list[int]:
        group = re.search(rf'<span class="aap-jump aap-m-{kind}">(.*?)</span>', nav)
        assert group, kind
        return [int(n) for n in re.findall(r'href="#turn-(\d+)"', group.group(1))]

    assert linked("escalation_trigger") == at["escalation_trigger"][:1]
    assert linked("frustration") == at["frustration"]
    assert linked("ai_commitment") == at["ai_commitment"]
    assert f'href="#turn-{len(portal.transcript) - 1}">Latest</a>' in nav
    for turns in at.values():
        assert all(f'id="turn-{i}"' in markup for i in turns)
    first = at["identity_verified"][0]
    assert f'href="#turn-{first}" title="' in markup and f"✓ Identity verified · turn {first}</a>" in markup


def test_a_call_without_a_check_says_so(harper_valley: list[LabelledExample]) -> None:
    unverified = next(
        portal
        for portal in map(real_brief, harper_valley)
        if not any(m.type == "identity_verified" for turn in portal.transcript for m in turn.markers)
    )
    assert ">Identity not verified</span>" in portal_html(unverified)


def test_a_live_call_shows_live_and_the_time_since_it_started(harper_valley: list[LabelledExample]) -> None:
    portal = real_brief(harper_valley[3])
    live = portal_html(portal, live_since=datetime.now(UTC) - timedelta(minutes=62, seconds=5))
    assert "● LIVE" in live and "aap-duration" not in live and "turns so far)" in live
    elapsed = re.search(r'data-elapsed="(\d+)"[^>]*>([\d:]+)<', live)
    assert elapsed and 3725 <= int(elapsed.group(1)) < 3735 and elapsed.group(2).startswith("1:02:0")
    ended = portal_html(portal)
    assert "LIVE" not in ended and "aap-duration" in ended
