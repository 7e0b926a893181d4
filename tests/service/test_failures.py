"""An unexpected failure inside a route: a bare 500, and a log line that names the route template, never the
content or the path (which holds a caller's number)."""

from __future__ import annotations

import logging

import httpx
import pytest

from assist.auth import AuthStore
from assist.schema import Conversation
from assist.settings import Settings
from assist.store import ConversationStore
from assist.tokens import LiveKitCredentials
from service import create_app
from tests.service.conftest import serve

CONTENT = "my card number is 4111 1111 1111 1111"


class StoreThatBreaks(ConversationStore):
    """The real store, with one lookup failing the way a driver error would: quoting stored content."""

    def newest_for_phone(self, org_id: str, phone_number: str) -> Conversation:
        raise RuntimeError(f"conversion failed for input {CONTENT!r}")


def test_an_unexpected_error_is_a_bare_500_that_logs_no_content(caplog: pytest.LogCaptureFixture) -> None:
    with StoreThatBreaks() as store:
        auth = AuthStore(store)
        auth.create_org("acme")
        _, secret = auth.create_key(org_id="acme", scopes=("conversations:read_sensitive",))
        credentials = LiveKitCredentials(url="ws://127.0.0.1:7880", api_key="k", api_secret="s" * 40)
        app = create_app(Settings(assist_program="rules"), credentials=credentials, store=store)
        server_log = logging.getLogger("uvicorn.error")  # uvicorn's own logger does not propagate to root
        server_log.addHandler(caplog.handler)
        try:
            with caplog.at_level(logging.ERROR), serve(app) as base_url:
                response = httpx.get(
                    f"{base_url}/core/agent-assist/+15551234567",
                    headers={"Authorization": f"Bearer {secret}"},
                )
                after = httpx.get(f"{base_url}/healthz")
        finally:
            server_log.removeHandler(caplog.handler)
    assert response.status_code == 500 and response.json() == {"detail": "internal error"}
    assert after.status_code == 200  # the server carries on
    # The route template, not the path: a path holds the caller's phone number.
    assert "unhandled RuntimeError in GET /core/agent-assist/{phone_number}" in caplog.text
    assert "5551234567" not in caplog.text
    assert "4111" not in caplog.text and "Exception in ASGI application" not in caplog.text
