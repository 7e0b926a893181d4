"""Where a listen session's token and conversation status come from: the local store or the service."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import quote

import httpx

from assist.listen._session import ListenError, StatusPoller
from assist.store import open_store
from assist.tokens import ListenerToken

__all__ = ["ServiceRefused", "fetch_listener_token", "service_status", "store_status"]


class ServiceRefused(ListenError):
    """The service answered with an error status."""

    def __init__(self, message: str, *, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


async def fetch_listener_token(
    service_url: str,
    conversation_id: str,
    *,
    key: str,
    org: str | None = None,
    timeout: float = 10.0,
) -> ListenerToken:
    """``POST {service_url}/core/conversations/{id}/listener-token`` with ``Authorization: Bearer``."""
    path = f"/core/conversations/{quote(conversation_id, safe='')}/listener-token"
    response = await _call("POST", service_url, path, key=key, org=org, timeout=timeout)
    return ListenerToken.model_validate_json(response.content)


def service_status(
    service_url: str, conversation_id: str, *, key: str, org: str | None = None, timeout: float = 10.0
) -> StatusPoller:
    """A status poller over the service's ``GET /core/conversations/{id}`` (any ``conversations:*`` scope)."""
    path = f"/core/conversations/{quote(conversation_id, safe='')}"

    async def status() -> str:
        response = await _call("GET", service_url, path, key=key, org=org, timeout=timeout)
        return str(response.json()["status"])

    return status


async def _call(
    method: str, service_url: str, path: str, *, key: str, org: str | None, timeout: float
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"}
    if org:
        headers["X-Anyreach-Org"] = org
    try:
        async with httpx.AsyncClient(base_url=service_url.rstrip("/"), timeout=timeout) as client:
            response = await client.request(method, path, headers=headers)
    except httpx.HTTPError as exc:
        raise ListenError(
            f"could not reach the service at {service_url}: {exc or type(exc).__name__}"
        ) from None
    if response.status_code != 200:
        raise ServiceRefused(
            f"the service answered {response.status_code} to {method} {path}: {_detail(response)}",
            status_code=response.status_code,
        )
    return response


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return text.splitlines()[0] if text else response.reason_phrase
    detail = body.get("detail") if isinstance(body, dict) else None
    return str(detail) if detail else response.reason_phrase


def store_status(path: str | Path, org_id: str, conversation_id: str) -> StatusPoller:
    """A status poller reading the conversation store (read-only, so a writer elsewhere keeps going)."""

    def read() -> str:
        with open_store(path, read_only=True) as store:
            return store.get(org_id, conversation_id).status

    async def status() -> str:
        return await asyncio.to_thread(read)

    return status
