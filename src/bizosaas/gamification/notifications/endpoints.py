"""``/api/v1/gamification/notifications``: a member's own notifications, listed or live."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from bizosaas.core.repository import PageRequest, paging
from bizosaas.gamification.dependencies import MemberDep, NotifierDep, SessionDep
from bizosaas.gamification.notifications import service
from bizosaas.gamification.notifications.schemas import NotificationOut, NotificationPage

router = APIRouter(prefix="/api/v1/gamification/notifications", tags=["notifications"])
KEEPALIVE_SECONDS = 15.0


@router.get("", summary="My notifications, newest first")
async def list_notifications(
    caller: MemberDep,
    db: SessionDep,
    page: Annotated[PageRequest, paging(20, 100)],
    unread: bool = False,
) -> NotificationPage:
    """Pass `next_cursor` back as `cursor` for the next page."""
    return await service.list_mine(db, caller.require_member(), unread, page)


@router.post("/{notification_id}/read", summary="Mark one notification read")
async def mark_read(
    notification_id: uuid.UUID, caller: MemberDep, db: SessionDep
) -> NotificationOut:
    return await service.mark_read(db, caller.require_member(), notification_id)


@router.post("/read-all", summary="Mark all my notifications read")
async def mark_all_read(caller: MemberDep, db: SessionDep) -> dict[str, int]:
    return {"marked": await service.mark_all_read(db, caller.require_member())}


@router.get(
    "/stream",
    summary="My notifications live (Server-Sent Events)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream(request: Request, caller: MemberDep, notifier: NotifierDep) -> StreamingResponse:
    """One `notification` event per new notification, as JSON; a comment every 15 s keeps
    proxies from closing the connection. Works through any number of service copies."""
    channel = notifier.member_channel(caller.tenant_id, caller.require_member())
    return StreamingResponse(
        _events(request, notifier.redis, channel),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _events(request: Request, redis: object, channel: str) -> AsyncIterator[bytes]:
    pubsub = redis.pubsub()  # type: ignore[attr-defined]
    await pubsub.subscribe(channel)
    try:
        yield b": connected\n\n"
        while not await request.is_disconnected():
            message = await pubsub.get_message(
                ignore_subscribe_messages=True, timeout=KEEPALIVE_SECONDS
            )
            if message is None:
                yield b": keepalive\n\n"
                continue
            data = message["data"]
            yield (
                b"event: notification\ndata: "
                + (data.encode() if isinstance(data, str) else data)
                + b"\n\n"
            )
            await asyncio.sleep(0)
    finally:
        await pubsub.unsubscribe(channel)
        await pubsub.aclose()
