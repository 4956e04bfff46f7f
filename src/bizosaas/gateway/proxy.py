"""Forwarding: headers as RFC 9110 says, bodies streamed both ways, WebSockets bridged."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
from starlette.types import Message, Receive, Scope, Send

from bizosaas.gateway.upstreams import Target

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
# Identity is the gateway's to assert: whatever a client sent under these names is dropped.
CLIENT_MAY_NOT_SEND = frozenset(
    {
        b"x-tenant-id",
        b"x-tenant-slug",
        b"x-user-id",
        b"x-user-role",
        b"x-permissions",
        b"x-api-key-id",
        b"x-gateway-signature",
        b"x-forwarded-for",
        b"x-forwarded-host",
        b"x-forwarded-proto",
        b"x-real-ip",
        b"forwarded",
        b"x-request-id",
    }
)
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class UpstreamFailed(Exception):
    """The upstream could not be reached, or failed before answering."""

    def __init__(self, reason: str, timeout: bool = False) -> None:
        super().__init__(reason)
        self.timeout = timeout


def strip_hop_by_hop(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    named = {
        token.strip().lower()
        for key, value in headers
        if key.lower() == b"connection"
        for token in value.split(b",")
    }
    return [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP and k.lower() not in named]


def has_body(scope: Scope) -> bool:
    for key, value in scope["headers"]:
        if key == b"content-length":
            return value.strip() not in (b"", b"0")
        if key == b"transfer-encoding":
            return True
    return False


async def _request_body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise UpstreamFailed("the client went away")
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


async def forward_http(
    session: aiohttp.ClientSession,
    target: Target,
    scope: Scope,
    receive: Receive,
    send: Send,
    headers: list[tuple[bytes, bytes]],
    connect_timeout: float,
    read_timeout: float,
) -> int:
    """Send the request to one target and stream its answer back; returns the status."""
    query = scope.get("query_string", b"").decode("latin-1")
    url = target.url + scope["path"] + (f"?{query}" if query else "")
    body = _request_body(receive) if has_body(scope) else None
    timeout = aiohttp.ClientTimeout(
        total=None, sock_connect=connect_timeout, sock_read=read_timeout
    )
    outgoing = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers]
    started = False
    try:
        async with session.request(
            scope["method"],
            url,
            headers=outgoing,
            data=body,
            timeout=timeout,
            allow_redirects=False,
            auto_decompress=False,
            skip_auto_headers=("User-Agent",),
        ) as response:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status,
                    "headers": strip_hop_by_hop(list(response.raw_headers)),
                }
            )
            started = True
            async for chunk in response.content.iter_any():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
            return response.status
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        if started:
            raise  # mid-stream: nothing sensible left to send but a broken connection
        raise UpstreamFailed(
            f"{type(exc).__name__}", timeout=isinstance(exc, TimeoutError)
        ) from exc


WS_HEARTBEAT_SECONDS = 25.0


async def forward_websocket(
    session: aiohttp.ClientSession,
    target: Target,
    scope: Scope,
    receive: Receive,
    send: Send,
    headers: list[tuple[bytes, bytes]],
    connect_timeout: float,
) -> None:
    """Bridge a client WebSocket to the upstream's, message for message."""
    query = scope.get("query_string", b"").decode("latin-1")
    url = "ws" + target.url[4:] + scope["path"] + (f"?{query}" if query else "")
    skip = {b"sec-websocket-key", b"sec-websocket-version", b"sec-websocket-extensions", b"host"}
    outgoing = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers if k not in skip]
    connecting = await receive()
    assert connecting["type"] == "websocket.connect"
    try:
        upstream = await session.ws_connect(
            url,
            headers=outgoing,
            timeout=aiohttp.ClientWSTimeout(ws_close=connect_timeout),
            protocols=tuple(scope.get("subprotocols", ())),
            # aiohttp pings only when told to: without it an idle upstream connection is
            # dropped by whatever sits between (and a dead one is never noticed).
            heartbeat=WS_HEARTBEAT_SECONDS,
        )
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        await send({"type": "websocket.close", "code": 1011})
        raise UpstreamFailed(type(exc).__name__) from exc
    await send({"type": "websocket.accept", "subprotocol": upstream.protocol})

    async def client_to_upstream() -> None:
        while True:
            message: Message = await receive()
            if message["type"] == "websocket.disconnect":
                await upstream.close()
                return
            if message.get("text") is not None:
                await upstream.send_str(message["text"])
            elif message.get("bytes") is not None:
                await upstream.send_bytes(message["bytes"])

    async def upstream_to_client() -> None:
        async for frame in upstream:
            if frame.type == aiohttp.WSMsgType.TEXT:
                await send({"type": "websocket.send", "text": frame.data})
            elif frame.type == aiohttp.WSMsgType.BINARY:
                await send({"type": "websocket.send", "bytes": frame.data})
        await send({"type": "websocket.close", "code": upstream.close_code or 1000})

    tasks = [asyncio.create_task(client_to_upstream()), asyncio.create_task(upstream_to_client())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await upstream.close()
