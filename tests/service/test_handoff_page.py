"""The handoff page in headless Chromium against the real server: sign in, every section, Not Found, no XSS; and
what a person taking over needs in ten seconds (a long call opened at its end with jumps to its markers, a live
call that refreshes itself without a new brief while nothing changed, a bad number, masked card numbers), at
desktop width and as a 420 px side panel.

Uses Debian's ``/usr/bin/chromium`` (``apt-get install chromium``). Without it the tests skip, except under
``CI`` where a missing browser is a failure. Screenshots go to ``artifacts/handoff_*.png``.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from assist.interchange import read_examples
from assist.programs import load_program
from assist.schema import AgentAssistPortal, LabelledExample
from tests.conftest import SYNTHETIC, SYNTHETIC_DEV3
from tests.service.conftest import ORG_A, World

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>"><b>bold</b>'
#: The two widths a person reads the page at: a desktop window and a side panel beside the softphone.
WIDTHS = {"desktop": 1366, "panel": 420}
#: The page asks a live call's brief again every 5 s; a poll is awaited this long.
POLL_WAIT_MS = 12_000

if not (os.path.exists(CHROMIUM) and shutil.which(CHROMIUM)):
    message = f"headless Chromium not found at {CHROMIUM}: apt-get install -y chromium"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message, allow_module_level=True)

from playwright.sync_api import Browser, Page, Response, expect, sync_playwright


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


OpenPage = Callable[[int], Page]


@pytest.fixture()
def open_page(browser: Browser) -> Iterator[OpenPage]:
    """``open_page(width)``: a fresh tab (its own sessionStorage) at that width, 900 px high."""
    contexts = []

    def open_(width: int) -> Page:
        context = browser.new_context(viewport={"width": width, "height": 900})
        contexts.append(context)
        opened = context.new_page()
        opened.set_default_timeout(15_000)
        return opened

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture()
def page(open_page: OpenPage) -> Page:
    return open_page(WIDTHS["desktop"])


def sign_in(page: Page, secret: str, org: str = "") -> None:
    page.fill("#secret", secret)
    page.fill("#org", org)
    page.click("button[type=submit]")


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"handoff_{name}.png"))


def open_brief(page: Page, world: World, phone: str) -> None:
    page.goto(f"{world.base_url}/agent-assist/{phone.replace('+', '%2B')}")
    sign_in(page, world.keys["a_sensitive"])
    expect(page.locator("#brief .aap")).to_be_visible()


def bundled(path: Path, example_id: str) -> LabelledExample:
    return next(example for example in read_examples(path) if example.id == example_id)


def add_call(
    world: World, example: LabelledExample, *, conversation_id: str, phone: str, **changes: Any
) -> None:
    """A bundled call ingested into org A over HTTP as the platform would, under its own id and number."""
    body = {
        **example.conversation.model_dump(mode="json"),
        "id": conversation_id,
        "user_id": phone,
        **changes,
    }
    created = httpx.post(f"{world.base_url}/core/conversations", json=body, headers=world.headers("a_manage"))
    assert created.status_code == 201, created.text


def rules_brief(example: LabelledExample) -> AgentAssistPortal:
    return load_program("rules").brief(example.conversation).portal


def turns_with(portal: AgentAssistPortal, kind: str) -> list[int]:
    return [i for i, turn in enumerate(portal.transcript) if any(m.type == kind for m in turn.markers)]


def in_transcript_view(page: Page, turn: int) -> bool:
    """Whether turn ``turn`` is inside the transcript's scrolled view (not just somewhere on the page)."""
    return bool(
        page.evaluate(
            """(id) => {
                const box = document.querySelector(".aap-turns").getBoundingClientRect();
                const turn = document.getElementById(id).getBoundingClientRect();
                return turn.top >= box.top - 1 && turn.bottom <= box.bottom + 1;
            }""",
            f"turn-{turn}",
        )
    )


def jump_bar_on_screen(page: Page) -> bool:
    """Whether the transcript's jump bar is wholly inside the window, where the next jump is one click away."""
    return bool(
        page.evaluate(
            """() => {
                const bar = document.querySelector(".aap-jumps").getBoundingClientRect();
                return bar.top >= 0 && bar.bottom <= innerHeight;
            }"""
        )
    )


def test_the_brief_on_one_screen(page: Page, world: World) -> None:
    example = max(world.examples[:20], key=lambda e: len(e.conversation.turns))
    phone = example.conversation.user_id
    page.goto(f"{world.base_url}/agent-assist/{phone.replace('+', '%2B')}")
    expect(page.locator("#login")).to_be_visible()
    sign_in(page, world.keys["a_sensitive"])

    brief = page.locator("#brief .aap")
    expect(brief).to_be_visible()
    expect(page.locator(".aap-phone")).to_have_text(phone)
    expect(page.locator(".aap-caller")).not_to_be_empty()
    expect(page.locator(".aap-sentiment")).not_to_be_empty()
    for section, heading in [
        (".aap-transfer", "Transfer reason"),
        (".aap-summary", "Summary"),
        (".aap-info", "Information collected"),
        (".aap-next", "Suggested next steps"),
        (".aap-compliance", "Compliance flags"),
        (".aap-transcript", "Transcript"),
    ]:
        expect(page.locator(f"{section} h2")).to_contain_text(heading)
    assert page.locator(".aap-summary li").count() >= 3
    expect(page.locator(".aap-next li").first).to_contain_text("confidence")
    assert page.locator(".aap-turn").count() == len(example.conversation.turns)
    expect(page.locator("#program")).to_have_text("Brief by rules")
    # The secret is in the tab's sessionStorage, never in the address.
    assert world.keys["a_sensitive"] not in page.url
    assert page.evaluate("sessionStorage.getItem('assist.secret')") == world.keys["a_sensitive"]

    shot(page, "page")

    page.reload()  # the key survives a reload of the tab
    expect(page.locator("#brief .aap")).to_be_visible()


def test_not_found_state(page: Page, world: World) -> None:
    page.goto(f"{world.base_url}/agent-assist/%2B15550000000")
    sign_in(page, world.keys["pat_alice"], ORG_A)
    expect(page.locator("#status-title")).to_have_text("Not Found")
    expect(page.locator("#status-text")).to_contain_text("+15550000000")
    assert page.title().startswith("Not Found")
    shot(page, "not_found")


def test_a_wrong_key_asks_again(page: Page, world: World) -> None:
    page.goto(f"{world.base_url}/agent-assist/{world.examples[0].conversation.user_id}")
    sign_in(page, "ak_000000000000_nope")
    expect(page.locator("#login-msg")).to_contain_text("not accepted")
    sign_in(page, world.keys["pat_alice"])  # pat_ without an organization: the 400 is explained
    expect(page.locator("#login-msg")).to_contain_text("X-Anyreach-Org")


def test_transcript_markup_stays_text(page: Page, world: World) -> None:
    phone = "+15550003131"
    body = {
        **world.examples[4].conversation.model_dump(mode="json"),
        "id": "xss-1",
        "user_id": phone,
        "turns": [
            {"role": "user", "content": XSS},
            {"role": "assistant", "content": "my name is <i>not</i> html"},
        ],
    }
    created = httpx.post(f"{world.base_url}/core/conversations", json=body, headers=world.headers("a_manage"))
    assert created.status_code == 201, created.text
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{world.base_url}/agent-assist/{phone}")
    sign_in(page, world.keys["a_sensitive"])
    expect(page.locator(".aap-turn").first).to_contain_text(XSS)
    assert page.evaluate("window.__xss") is None
    assert page.locator(".aap-turn img, .aap-turn script, .aap-turn b, .aap-turn i").count() == 0
    assert errors == []


def test_the_page_shell_holds_no_data(world: World) -> None:
    response = httpx.get(f"{world.base_url}/agent-assist/{world.examples[0].conversation.user_id}")
    assert response.status_code == 200
    assert world.examples[0].conversation.turns[0].content not in response.text
    assert "script-src 'sha256-" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "no-referrer"


# --- what a person taking over needs in ten seconds ---------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_a_long_call_opens_at_its_latest_turn_with_jumps_to_its_markers(
    open_page: OpenPage, world: World, width: str
) -> None:
    example = bundled(
        SYNTHETIC_DEV3, "dev3-004"
    )  # 20 turns: an escalation, frustration, commitments, a check
    phone = f"+1555000420{list(WIDTHS).index(width)}"
    add_call(world, example, conversation_id=f"page-long-{width}", phone=phone)
    portal = rules_brief(example)
    last = len(portal.transcript) - 1
    page = open_page(WIDTHS[width])
    open_brief(page, world, phone)

    scroller = page.locator(".aap-turns")
    overflow = page.evaluate("(el) => el.scrollHeight - el.clientHeight", scroller.element_handle())
    assert overflow > 100, "the call must be longer than the transcript's view for this test to mean anything"
    assert in_transcript_view(page, last) and not in_transcript_view(page, 0)

    verified = turns_with(portal, "identity_verified")[0]
    expect(page.locator(".aap-verified")).to_have_text(f"✓ Identity verified · turn {verified}")
    frustrations = turns_with(portal, "frustration")
    expect(page.locator(".aap-jump.aap-m-frustration a")).to_have_text([str(i) for i in frustrations])
    expect(page.locator(".aap-jump.aap-m-ai_commitment a")).to_have_count(
        len(turns_with(portal, "ai_commitment"))
    )
    expect(page.locator(".aap-history")).to_have_text(
        "Earlier calls: none from this number in this organization"
    )
    shot(page, f"long_{width}")
    if width == "panel":  # the transcript sits below the brief in a side panel
        page.locator(".aap-transcript").scroll_into_view_if_needed()
        shot(page, "long_panel_transcript")

    # A jump moves the transcript's own scroller: on a desktop the window stays put (header and jump bar where
    # they were), in a side panel the jump bar stays on screen; either way the next jump is one click.
    escalation = turns_with(portal, "escalation_trigger")[0]
    window_before = page.evaluate("window.scrollY")
    page.click(".aap-jump.aap-m-escalation_trigger a")
    expect(page.locator(".aap-turn.aap-at")).to_have_attribute("id", f"turn-{escalation}")
    assert in_transcript_view(page, escalation) and jump_bar_on_screen(page)
    page.click(f".aap-jump.aap-m-frustration a >> nth={len(frustrations) - 1}")
    assert in_transcript_view(page, frustrations[-1]) and jump_bar_on_screen(page)
    page.click(f'.aap-verified[href="#turn-{verified}"]')  # in the header, above the transcript in a panel
    assert in_transcript_view(page, verified) and jump_bar_on_screen(page)
    expect(page.locator(f"#turn-{verified}")).to_have_css("background-color", "rgb(255, 248, 225)")
    expect(page.locator(".aap-turn.aap-at")).to_have_count(1)
    shot(page, f"long_jump_{width}")
    page.click(".aap-jumps >> text=Latest")
    assert in_transcript_view(page, last) and jump_bar_on_screen(page)
    if width == "desktop":
        assert page.evaluate("window.scrollY") == window_before == 0
        assert page.evaluate("document.querySelector('.aap-header').getBoundingClientRect().top") >= 0
    assert page.url.endswith(phone.replace("+", "%2B"))  # no #turn-N in the address: a reload starts afresh


def test_a_live_call_refreshes_itself_without_a_new_brief_while_nothing_changes(
    open_page: OpenPage, world: World
) -> None:
    example = bundled(SYNTHETIC_DEV3, "dev3-016")  # in progress
    turns = example.conversation.model_dump(mode="json")["turns"]
    phone, conversation_id = "+15550004210", "page-live"
    started = datetime.now(UTC) - timedelta(minutes=4, seconds=10)
    add_call(
        world,
        example,
        conversation_id=conversation_id,
        phone=phone,
        status="in_progress",
        created_at=started.isoformat(),
        turns=turns[:-2],
    )
    page = open_page(WIDTHS["desktop"])
    answers: list[Response] = []
    page.on("response", lambda r: answers.append(r) if "/core/agent-assist/" in r.url else None)
    open_brief(page, world, phone)

    expect(page.locator(".aap-live")).to_have_text("● LIVE")
    expect(page.locator(".aap-duration")).to_have_count(0)
    assert page.title().startswith("LIVE +15550004210")
    elapsed = page.locator(".aap-elapsed")
    expect(elapsed).to_have_text(re.compile(r"^4:1\d$"))
    expect(page.locator(".aap-transcript h2")).to_have_text(f"Transcript ({len(turns) - 2} turns so far)")
    shot(page, "live_desktop")

    # Nothing changed: the page asks again with its ETag and gets 304, no brief; the clock still runs.
    before = elapsed.text_content()
    with page.expect_response(
        lambda r: "/core/agent-assist/" in r.url and r.status == 304, timeout=POLL_WAIT_MS
    ):
        pass
    expect(elapsed).not_to_have_text(before or "")
    assert page.evaluate("document.querySelectorAll('.aap-turn').length") == len(turns) - 2

    # The caller speaks: the next poll brings a new brief with the new turns, still at the latest turn.
    patch = {"append_turns": turns[-2:]}
    headers = world.headers("a_manage")
    assert httpx.patch(
        f"{world.base_url}/core/conversations/{conversation_id}", json=patch, headers=headers
    ).is_success
    with page.expect_response(
        lambda r: "/core/agent-assist/" in r.url and r.status == 200, timeout=POLL_WAIT_MS
    ):
        pass
    expect(page.locator(".aap-turn")).to_have_count(len(turns))
    assert in_transcript_view(page, len(turns) - 1)

    # The call ends: the last brief shows its duration and the page stops asking.
    end = {"status": "ended", "ended_at": datetime.now(UTC).isoformat(), "duration_seconds": 262}
    assert httpx.patch(
        f"{world.base_url}/core/conversations/{conversation_id}", json=end, headers=headers
    ).is_success
    expect(page.locator(".aap-duration")).to_have_text("4:22", timeout=POLL_WAIT_MS)
    expect(page.locator(".aap-live")).to_have_count(0)
    asked = len(answers)
    page.wait_for_timeout(6_500)
    assert len(answers) == asked, "an ended call is not polled"
    statuses = [r.status for r in answers]
    assert statuses[0] == 200 and 304 in statuses and statuses.count(200) == 3, statuses


def test_a_live_call_in_a_side_panel(open_page: OpenPage, world: World) -> None:
    example = bundled(SYNTHETIC_DEV3, "dev3-016")
    phone = "+15550004211"
    started = (datetime.now(UTC) - timedelta(minutes=12, seconds=3)).isoformat()
    add_call(
        world,
        example,
        conversation_id="page-live-panel",
        phone=phone,
        status="in_progress",
        created_at=started,
    )
    page = open_page(WIDTHS["panel"])
    open_brief(page, world, phone)
    expect(page.locator(".aap-live")).to_be_visible()
    expect(page.locator(".aap-elapsed")).to_have_text(re.compile(r"^12:0\d$"))
    assert (
        page.evaluate("document.documentElement.scrollWidth") <= WIDTHS["panel"]
    )  # nothing sticks out sideways
    expect(page.locator("#updated")).to_contain_text("Updated")
    # The top bar keeps one line: its notes stack at the left, the two buttons side by side at the right.
    refresh, forget = (page.locator(f"#{button}").bounding_box() for button in ("reload", "forget"))
    assert refresh and forget and refresh["y"] == forget["y"] and refresh["x"] < forget["x"]
    assert (page.locator(".bar").bounding_box() or {"height": 0})["height"] < 48
    shot(page, "live_panel")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_bad_number_has_its_own_state(open_page: OpenPage, world: World, width: str) -> None:
    page = open_page(WIDTHS[width])
    page.goto(f"{world.base_url}/agent-assist/call-me-maybe")
    assert page.title() == "Sign in - Agent assist"
    sign_in(page, world.keys["a_sensitive"])
    expect(page.locator("#status-title")).to_have_text("Not a phone number")
    expect(page.locator("#status-text")).to_contain_text("'call-me-maybe' does not look like one")
    expect(page.locator("#login")).to_be_hidden()
    assert page.title() == "Not a phone number - Agent assist"
    assert "seem" not in (page.locator("#status-text").text_content() or "")  # the phone library's own words
    shot(page, f"bad_number_{width}")


@pytest.mark.parametrize(
    ("number", "why"),
    [("5551234", "has too few digits: it needs its area code"), ("+1555010000", "has too few digits")],
)
def test_a_number_too_short_to_name_a_caller_is_a_400_not_a_404(world: World, number: str, why: str) -> None:
    """What the page shows as "Not a phone number": one answer for every number that names no caller."""
    answer = httpx.get(f"{world.base_url}/core/agent-assist/{number}", headers=world.headers("a_sensitive"))
    assert answer.status_code == 400
    assert answer.json()["detail"] == (
        f"not a phone number: {number!r} {why}. Write it with its country code, like +15551234567"
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_card_numbers_are_masked_until_revealed(open_page: OpenPage, world: World, width: str) -> None:
    example = bundled(SYNTHETIC, "syn-002")  # the caller reads out a whole card number
    card = "4265 3188 0294 7716"
    phone = f"+1555000422{list(WIDTHS).index(width)}"
    add_call(world, example, conversation_id=f"page-card-{width}", phone=phone)
    page = open_page(WIDTHS[width])
    open_brief(page, world, phone)

    transcript = page.locator(".aap-turns")
    assert card not in transcript.inner_text() and "•••• 7716" in transcript.inner_text()
    reveal = page.locator(".aap-reveal")
    expect(reveal).to_contain_text("Show 1 hidden card/SSN number")
    page.locator(".aap-secret").first.scroll_into_view_if_needed()
    shot(page, f"card_{width}")
    reveal.click()
    assert card in transcript.inner_text() and "•••• 7716" not in transcript.inner_text()
    if width == "desktop":
        shot(page, "card_revealed_desktop")
    # The API is unchanged: its JSON has the transcript as said.
    answer = httpx.get(f"{world.base_url}/core/agent-assist/{phone}", headers=world.headers("a_sensitive"))
    assert card in answer.text


@pytest.mark.parametrize("width", WIDTHS)
def test_a_repeat_caller_s_earlier_calls_are_listed(open_page: OpenPage, world: World, width: str) -> None:
    phone = f"+1555000423{list(WIDTHS).index(width)}"
    now = datetime.now(UTC)
    earlier = [
        # (id, started, status, duration, what the platform recorded as the transfer reason)
        ("rep-1", now - timedelta(days=12, hours=3), "ended", 431, "Dispute of a $212.47 card charge"),
        ("rep-2", now - timedelta(days=2, hours=5), "failed", 35, None),
    ]
    for conversation_id, started, status, duration, reason in earlier:
        add_call(
            world,
            bundled(SYNTHETIC, "syn-001"),
            conversation_id=f"{conversation_id}-{width}",
            phone=phone,
            status=status,
            created_at=started.isoformat(),
            ended_at=(started + timedelta(seconds=duration)).isoformat(),
            duration_seconds=duration,
            metadata={"transfer_reason": reason} if reason else {},
        )
    today = now - timedelta(minutes=10)
    add_call(
        world,
        bundled(SYNTHETIC, "syn-002"),
        conversation_id=f"rep-3-{width}",
        phone=phone,
        created_at=today.isoformat(),
        ended_at=(today + timedelta(seconds=117)).isoformat(),
    )
    page = open_page(WIDTHS[width])
    open_brief(page, world, phone)

    calls = page.locator(".aap-history li")
    expect(calls).to_have_count(2)
    expect(page.locator(".aap-history h2")).to_have_text("Earlier calls from this number")
    expect(calls.nth(0).locator(".aap-badge")).to_have_text("failed")
    expect(calls.nth(0).locator(".aap-meta")).to_have_text("0:35")
    expect(calls.nth(1).locator(".aap-badge")).to_have_text("ended")
    expect(calls.nth(1).locator(".aap-meta")).to_have_text("7:11")
    expect(calls.nth(1).locator(".aap-why")).to_have_text("Dispute of a $212.47 card charge")
    expect(calls.nth(1).locator(".aap-when")).to_contain_text(str(earlier[0][1].astimezone().year))
    shot(page, f"repeat_caller_{width}")


def clock(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def test_a_caller_with_more_earlier_calls_than_a_page_sees_them_all(
    open_page: OpenPage, world: World
) -> None:
    phone, now = "+15550004260", datetime.now(UTC)
    # 24 earlier calls, a day apart, each lasting a minute and its own number of seconds (newest: 1:00).
    for n in range(24):
        started = now - timedelta(days=n + 1)
        add_call(
            world,
            bundled(SYNTHETIC, "syn-001"),
            conversation_id=f"many-{n:02d}",
            phone=phone,
            status="ended",
            created_at=started.isoformat(),
            ended_at=(started + timedelta(seconds=60 + n)).isoformat(),
            duration_seconds=60 + n,
        )
    today = now - timedelta(minutes=10)
    add_call(
        world,
        bundled(SYNTHETIC, "syn-002"),
        conversation_id="many-today",
        phone=phone,
        created_at=today.isoformat(),
        ended_at=(today + timedelta(seconds=117)).isoformat(),
    )
    page = open_page(WIDTHS["desktop"])
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/core/callers/" in r.url else None)
    open_brief(page, world, phone)

    durations = page.locator(".aap-history li .aap-meta")
    more = page.locator(".aap-history .aap-more")
    expect(durations).to_have_text([clock(60 + n) for n in range(5)])  # newest first, this call left out
    expect(more).to_have_text("Show older calls")
    shot(page, "many_earlier_desktop")
    more.click()
    expect(durations).to_have_text([clock(60 + n) for n in range(15)])

    # A page that cannot be loaded says so, keeps what is shown, and can be asked for again.
    page.route("**/core/callers/**", lambda route: route.abort())
    more.click()
    expect(page.locator(".aap-history .aap-history-failed")).to_have_text(
        "Older calls could not be loaded: no answer from the service."
    )
    expect(durations).to_have_count(15)
    page.unroute("**/core/callers/**")
    expect(more).to_have_text("Try again")
    more.click()
    expect(durations).to_have_text([clock(60 + n) for n in range(24)])
    expect(more).to_have_count(0)  # the last page
    expect(page.locator(".aap-history-failed")).to_have_count(0)
    page.locator(".aap-history").scroll_into_view_if_needed()
    shot(page, "many_earlier_all_desktop")

    # The pages followed the API's next_cursor: 5 earlier calls (and this one), then 10 and 10 by cursor.
    pages = [parse_qs(urlsplit(url).query) for url in asked]
    assert [q["limit"] for q in pages] == [["6"], ["10"], ["10"], ["10"]]
    assert "cursor" not in pages[0] and pages[1]["cursor"] != pages[2]["cursor"] == pages[3]["cursor"]


@pytest.mark.parametrize("failure", ["no answer", "an error status"])
def test_earlier_calls_that_cannot_be_loaded_are_not_shown_as_none(
    open_page: OpenPage, world: World, failure: str
) -> None:
    phone = f"+1555000427{['no answer', 'an error status'].index(failure)}"
    add_call(world, bundled(SYNTHETIC, "syn-001"), conversation_id=f"unloaded-{phone}", phone=phone)
    page = open_page(WIDTHS["desktop"])
    if failure == "no answer":
        page.route("**/core/callers/**", lambda route: route.abort())
        said = "no answer from the service"
    else:  # the real service refuses a cursor it did not give
        page.route("**/core/callers/**", lambda route: route.continue_(url=f"{route.request.url}&cursor=x"))
        said = "the service answered 422"
    open_brief(page, world, phone)
    expect(page.locator(".aap-history")).to_have_text(
        f"Earlier calls could not be loaded: {said}. Refresh to try again."
    )
    shot(page, f"earlier_failed_{failure.replace(' ', '_')}")
    page.unroute("**/core/callers/**")
    page.click("#reload")
    expect(page.locator(".aap-history")).to_have_text(
        "Earlier calls: none from this number in this organization"
    )


def test_a_person_marks_sections_helpful_or_wrong(open_page: OpenPage, world: World) -> None:
    phone, conversation_id = "+15550004240", "page-feedback"
    add_call(world, bundled(SYNTHETIC_DEV3, "dev3-004"), conversation_id=conversation_id, phone=phone)
    page = open_page(WIDTHS["desktop"])
    open_brief(page, world, phone)

    reason = page.locator(".aap-transfer .fb")
    reason.locator(".fb-wrong").click()
    page.fill(".aap-transfer .fb-form textarea", "The caller wants the fees waived, not a manager.")
    shot(page, "feedback_desktop")
    page.click(".aap-transfer .fb-send")
    expect(reason).to_have_text("marked wrong, thanks")
    page.locator('.fb[data-for="caller_name"] .fb-helpful').click()
    page.click('.fb[data-for="caller_name"] .fb-send')
    expect(page.locator('.fb[data-for="caller_name"]')).to_have_text("Caller name: marked helpful, thanks")
    page.locator(".aap-next .fb-wrong").click()
    page.click(".aap-next .fb-form button >> text=Cancel")
    expect(page.locator(".aap-next .fb-wrong")).to_be_visible()  # nothing sent

    kept = httpx.get(
        f"{world.base_url}/core/conversations/{conversation_id}/feedback",
        headers=world.headers("a_sensitive"),
    ).json()["feedback"]
    assert [(f["section"], f["verdict"], f["comment"], f["program"]) for f in kept] == [
        ("transfer_reason", "wrong", "The caller wants the fees waived, not a manager.", "rules"),
        ("caller_name", "helpful", None, "rules"),
    ]


def test_a_call_with_nothing_said_yet_waits_for_its_first_words(open_page: OpenPage, world: World) -> None:
    phone, conversation_id = "+15550004250", "page-ringing"
    example = bundled(SYNTHETIC_DEV3, "dev3-016")
    turns = example.conversation.model_dump(mode="json")["turns"]
    last_week = datetime.now(UTC) - timedelta(days=7)
    add_call(  # the caller called before: that call is worth knowing before anything is said in this one
        world,
        bundled(SYNTHETIC, "syn-001"),
        conversation_id=f"{conversation_id}-before",
        phone=phone,
        status="ended",
        created_at=last_week.isoformat(),
        ended_at=(last_week + timedelta(seconds=431)).isoformat(),
        duration_seconds=431,
        metadata={"transfer_reason": "Dispute of a $212.47 card charge"},
    )
    started = (datetime.now(UTC) - timedelta(seconds=20)).isoformat()
    add_call(
        world,
        example,
        conversation_id=conversation_id,
        phone=phone,
        status="ringing",
        created_at=started,
        turns=[],
    )
    page = open_page(WIDTHS["panel"])
    page.goto(f"{world.base_url}/agent-assist/{phone.replace('+', '%2B')}")
    sign_in(page, world.keys["a_sensitive"])
    expect(page.locator("#status-title")).to_have_text("No transcript yet")
    assert page.title() == "No transcript yet - Agent assist"
    earlier = page.locator("#status .aap-history li")  # the ringing call itself is not an earlier call
    expect(earlier).to_have_count(1)
    expect(earlier.locator(".aap-meta")).to_have_text("7:11")
    expect(earlier.locator(".aap-why")).to_have_text("Dispute of a $212.47 card charge")
    shot(page, "no_transcript_yet_panel")

    patch = {"status": "in_progress", "append_turns": turns[:3]}
    headers = world.headers("a_manage")
    assert httpx.patch(
        f"{world.base_url}/core/conversations/{conversation_id}", json=patch, headers=headers
    ).is_success
    expect(page.locator(".aap-live")).to_be_visible(timeout=POLL_WAIT_MS)  # the page asked again by itself
    expect(page.locator(".aap-turn")).to_have_count(3)
    expect(page.locator("#brief .aap-history li .aap-meta")).to_have_text(["7:11"])
    expect(page.locator("#status .aap-history")).to_have_count(0)
