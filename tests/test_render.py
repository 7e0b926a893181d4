"""``portal_html``: every section of a real brief, and caller speech that stays text."""

from __future__ import annotations

from html.parser import HTMLParser

from assist.programs import load_program
from assist.render import HANDOFF_PAGE, portal_html
from assist.schema import AgentAssistPortal, LabelledExample, Marker

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
