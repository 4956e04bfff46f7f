"""Live notifications: a WebSocket for the web pages, Server-Sent Events for API clients.

Both follow Redis pub/sub, so a message reaches the member whichever copy of the service
committed the change and whichever copy holds the connection. A member hears their own
notifications and the tenant's board changes (which boards moved: no member data).

The WebSocket comes through the gateway, authenticated by the session cookie; its
``Origin`` must be the platform's own, so another site cannot open one with a visitor's
cookie. It sends a ``ping`` message every ``HEARTBEAT_SECONDS`` (idle proxies close silent
connections). The SSE stream gives each notification its id, and a client that reconnects
with ``Last-Event-ID`` first gets what it missed.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any
from urllib.parse import urlsplit

import orjson
from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from bizosaas.core.redis import Keys
from bizosaas.gamification.leaderboards.live import board_channel

HEARTBEAT_SECONDS = 20.0


def same_origin(origin: str | None, public_url: str) -> bool:
    """A browser's ``Origin`` header names the platform's public address (scheme and host)."""
    if not origin:
        return False
    mine, theirs = urlsplit(public_url), urlsplit(origin)
    return (mine.scheme, mine.netloc) == (theirs.scheme, theirs.netloc)


class LiveFeed:
    """One member's live messages, as dictionaries; None after a quiet heartbeat interval."""

    def __init__(self, redis: Redis, keys: Keys, tenant_id: uuid.UUID, user_id: uuid.UUID):
        self.redis = redis
        self.member_channel = keys("notifications", tenant_id, user_id)
        self.board_channel = board_channel(keys, tenant_id)
        self._pubsub: PubSub | None = None

    async def __aenter__(self) -> LiveFeed:
        self._pubsub = self.redis.pubsub()
        await self._pubsub.subscribe(self.member_channel, self.board_channel)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.unsubscribe()
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]

    async def next(self, wait: float = HEARTBEAT_SECONDS) -> dict[str, Any] | None:
        """The next message, or None after ``wait`` seconds without one."""
        assert self._pubsub is not None
        message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=wait)
        if message is None:
            return None
        data = orjson.loads(message["data"])
        return data if isinstance(data, dict) else None
