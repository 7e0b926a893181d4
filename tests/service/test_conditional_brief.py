"""The portal's ETag over real HTTP: a brief the client holds is answered 304 without running any program, and
a changed conversation (or another representation, or another program's brief) gets a fresh one.

The model side counts requests at the scripted chat-completions server (``tests/scripted_lm.py``): a 304 that
reached the model would show there.
"""

from __future__ import annotations

import httpx

from tests.scripted_lm import ScriptedLM
from tests.service.conftest import World
from tests.service.test_model_path import (  # noqa: F401 - pytest finds the imported fixtures by name
    ModelService,
    model_service,
    scripted_lm,
)


def add_call(
    base_url: str, world: World, *, conversation_id: str, phone: str, status: str = "in_progress"
) -> None:
    """A call of org A made from a bundled one, so a test can change it without touching the others'."""
    body = {
        **world.examples[5].conversation.model_dump(mode="json"),
        "id": conversation_id,
        "user_id": phone,
        "status": status,
        "ended_at": None,
    }
    created = httpx.post(f"{base_url}/core/conversations", json=body, headers=world.headers("a_manage"))
    assert created.status_code == 201, created.text


def append_turn(base_url: str, world: World, conversation_id: str, text: str) -> None:
    patched = httpx.patch(
        f"{base_url}/core/conversations/{conversation_id}",
        json={"append_turns": [{"role": "user", "content": text}]},
        headers=world.headers("a_manage"),
    )
    assert patched.status_code == 200, patched.text


def brief(
    base_url: str,
    world: World,
    phone: str,
    *,
    etag: str | None = None,
    html: bool = False,
    key: str = "a_sensitive",
) -> httpx.Response:
    headers = world.headers(key)
    if etag is not None:
        headers["If-None-Match"] = etag
    if html:
        headers["Accept"] = "text/html"
    return httpx.get(f"{base_url}/core/agent-assist/{phone}", headers=headers, timeout=30)


def test_a_held_brief_is_answered_304_until_the_call_changes(world: World) -> None:
    phone = "+15550004101"
    add_call(world.base_url, world, conversation_id="etag-1", phone=phone)
    first = brief(world.base_url, world, phone)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('W/"') and first.headers["cache-control"] == "no-store"

    unchanged = brief(world.base_url, world, phone, etag=etag)
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["etag"] == etag and "x-assist-program" not in unchanged.headers
    assert brief(world.base_url, world, phone, etag=f'W/"other", {etag}').status_code == 304  # a list of tags
    assert brief(world.base_url, world, phone, etag="*").status_code == 304

    # The page's HTML is another representation: its tag is its own.
    page = brief(world.base_url, world, phone, etag=etag, html=True)
    assert page.status_code == 200 and page.headers["etag"] != etag
    assert brief(world.base_url, world, phone, etag=page.headers["etag"], html=True).status_code == 304

    append_turn(world.base_url, world, "etag-1", "Are you still there? I have been waiting for ten minutes.")
    changed = brief(world.base_url, world, phone, etag=etag)
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert "ten minutes" in changed.json()["transcript"][-1]["content"]


def test_a_tag_opens_nothing_to_another_organization(world: World) -> None:
    phone = "+15550004102"
    add_call(world.base_url, world, conversation_id="etag-2", phone=phone)
    etag = brief(world.base_url, world, phone).headers["etag"]
    foreign = brief(world.base_url, world, phone, etag=etag, key="b_sensitive")
    assert foreign.status_code == 404 and "etag" not in foreign.headers
    assert brief(world.base_url, world, phone, etag=etag, key="a_read").status_code == 403  # scope before 304


def test_a_304_never_asks_the_model(
    model_service: ModelService,  # noqa: F811
    scripted_lm: ScriptedLM,  # noqa: F811
    world: World,
) -> None:
    phone = "+15550004103"
    with model_service("openai/scripted") as base_url:
        add_call(base_url, world, conversation_id="etag-3", phone=phone)
        asked = scripted_lm.requests["scripted"]
        first = brief(base_url, world, phone)
        assert first.status_code == 200 and first.headers["x-assist-program"] == "dspy"
        assert scripted_lm.requests["scripted"] == asked + 1
        etag = first.headers["etag"]

        for _ in range(5):  # a page polling an unchanged live call
            assert brief(base_url, world, phone, etag=etag).status_code == 304
        assert scripted_lm.requests["scripted"] == asked + 1

        append_turn(base_url, world, "etag-3", "Hello? Is anyone going to help me with this today?")
        changed = brief(base_url, world, phone, etag=etag)
        assert changed.status_code == 200 and changed.headers["etag"] != etag
        assert scripted_lm.requests["scripted"] == asked + 2


def test_a_rules_fallback_is_not_held_as_the_model_brief(
    model_service: ModelService,  # noqa: F811
    scripted_lm: ScriptedLM,  # noqa: F811
    world: World,
) -> None:
    """A brief rules wrote because the model failed has its own tag: the next poll asks the model again."""
    phone = "+15550004104"
    with model_service("openai/scripted-500") as base_url:
        add_call(base_url, world, conversation_id="etag-4", phone=phone)
        fallback = brief(base_url, world, phone)
        assert fallback.headers["x-assist-program"] == "rules"
        asked = scripted_lm.requests["scripted-500"]
        again = brief(base_url, world, phone, etag=fallback.headers["etag"])
        assert again.status_code == 200
        assert scripted_lm.requests["scripted-500"] > asked
