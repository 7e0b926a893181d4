"""``assist serve --workers N``: the listening socket its workers share (``assist/cli/serve.py``)."""

from __future__ import annotations

import asyncio
import socket

import uvicorn

from assist.cli.serve import _tcp_listener


def test_connections_the_workers_accept_send_at_once() -> None:
    """Nagle's algorithm off on every accepted connection, as asyncio sets it for a socket marked TCP: with it on,
    each response after a connection's first waited ~44 ms for the client's delayed ACK (uvicorn issue 3149)."""
    config = uvicorn.Config("service:create_app", factory=True, host="127.0.0.1", port=0, workers=2)
    listener = _tcp_listener(config)

    async def nodelay_of_an_accepted_connection() -> int:
        loop = asyncio.get_running_loop()
        accepted: asyncio.Future[int] = loop.create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        # what a uvicorn worker does with the socket it is handed
        server = await loop.create_server(Probe, sock=listener)
        _, writer = await asyncio.open_connection(*listener.getsockname())
        try:
            return await asyncio.wait_for(accepted, 10)
        finally:
            writer.close()
            server.close()
            await server.wait_closed()

    assert listener.proto == socket.IPPROTO_TCP
    assert asyncio.run(nodelay_of_an_accepted_connection()) != 0
