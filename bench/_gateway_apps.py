"""The two reference apps of the gateway benchmark, as plain ASGI.

* :func:`trivial_upstream` answers every request with the same small JSON body:
  the cheapest service a gateway could front.
* :class:`BareProxy` forwards every request to one upstream with an aiohttp
  client session, streaming the answer back, and does nothing else: no route
  table, no authentication, no rate limit, no logs, no metrics. It is the floor
  for a Python proxy on this machine, the figure the gateway is compared with.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from starlette.types import Receive, Scope, Send

from bizosaas.gateway import proxy

BODY = b'{"status":"ok","service":"trivial-upstream","items":[1,2,3]}'
RESPONSE_START: dict[str, Any] = {
    "type": "http.response.start",
    "status": 200,
    "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(BODY)).encode()),
    ],
}
RESPONSE_BODY: dict[str, Any] = {"type": "http.response.body", "body": BODY}
HOP_BY_HOP = proxy.HOP_BY_HOP | {b"host"}  # the bare proxy lets aiohttp set Host


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def trivial_upstream(scope: Scope, receive: Receive, send: Send) -> None:
    """Every path, every method: 200 and the same small JSON body."""
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    # Consume the request (the body, if any) as a real service would.
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    await send(RESPONSE_START)
    await send(RESPONSE_BODY)


class BareProxy:
    """Pass-through to ``upstream_url``: what any Python proxy costs here, and no more."""

    def __init__(self, upstream_url: str) -> None:
        self.upstream_url = upstream_url.rstrip("/")
        self.session: aiohttp.ClientSession | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        assert self.session is not None, "the lifespan did not run"
        query = scope.get("query_string", b"").decode("latin-1")
        url = self.upstream_url + scope["path"] + (f"?{query}" if query else "")
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in scope["headers"]
            if k not in HOP_BY_HOP
        ]
        body = await _read_body(receive)
        async with self.session.request(
            scope["method"],
            url,
            headers=headers,
            data=body or None,
            allow_redirects=False,
            skip_auto_headers=("User-Agent",),
        ) as response:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status,
                    "headers": [
                        (k, v) for k, v in response.raw_headers if k.lower() not in HOP_BY_HOP
                    ],
                }
            )
            async for chunk in response.content.iter_any():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # The gateway's own connector settings, so the comparison is like for like.
                self.session = aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(
                        limit=0, limit_per_host=256, keepalive_timeout=30
                    ),
                    cookie_jar=aiohttp.DummyCookieJar(),
                    auto_decompress=False,
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.session is not None:
                    await self.session.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
