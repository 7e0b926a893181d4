"""The handoff page in headless Chromium against the real server: sign in, every section, Not Found, no XSS.

Uses Debian's ``/usr/bin/chromium`` (``apt-get install chromium``). Without it the tests skip, except under
``CI`` where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

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

if not (os.path.exists(CHROMIUM) and shutil.which(CHROMIUM)):
    message = f"headless Chromium not found at {CHROMIUM}: apt-get install -y chromium"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message, allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def sign_in(page: Page, secret: str, org: str = "") -> None:
    page.fill("#secret", secret)
    page.fill("#org", org)
    page.click("button[type=submit]")


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

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "handoff_page.png"), full_page=False)

    page.reload()  # the key survives a reload of the tab
    expect(page.locator("#brief .aap")).to_be_visible()


def test_not_found_state(page: Page, world: World) -> None:
    page.goto(f"{world.base_url}/agent-assist/%2B15550000000")
    sign_in(page, world.keys["pat_alice"], ORG_A)
    expect(page.locator("#status-title")).to_have_text("Not Found")
    expect(page.locator("#status-text")).to_contain_text("+15550000000")
    assert page.title().startswith("Not Found")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "handoff_not_found.png"))


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
