"""``/api/v1/gamification/notifications``: a member's own notifications, listed or live."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select, update

from bizosaas.core.database import utcnow
from bizosaas.core.errors import BadRequest, NotFound
from bizosaas.gamification.dependencies import MemberDep, NotifierDep, SessionDep
from bizosaas.gamification.notifications.models import Notification
from bizosaas.gamification.notifications.schemas import NotificationOut, NotificationPage

router = APIRouter(prefix="/api/v1/gamification/notifications", tags=["notifications"])
KEEPALIVE_SECONDS = 15.0


@router.get("", summary="My notifications, newest first")
async def list_notifications(
    caller: MemberDep,
    db: SessionDep,
    unread: bool = False,
    cursor: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> NotificationPage:
    """Pass `next_cursor` back as `cursor` for the next page."""
    user_id = caller.require_member()
    mine = (Notification.tenant_id == caller.tenant_id, Notification.user_id == user_id)
    query = select(Notification).where(*mine)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    if cursor:
        created, _, last_id = cursor.partition("|")
        try:
            before = (datetime.fromisoformat(created), uuid.UUID(last_id))
        except ValueError as exc:
            raise BadRequest("The cursor is not one this API gave out.") from exc
        query = query.where(
            (Notification.created_at < before[0])
            | ((Notification.created_at == before[0]) & (Notification.id < before[1]))
        )
    rows = (
        (
            await db.execute(
                query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(
                    limit + 1
                )
            )
        )
        .scalars()
        .all()
    )
    unread_count = (
        await db.execute(select(func.count()).where(*mine, Notification.read_at.is_(None)))
    ).scalar_one()
    page = rows[:limit]
    return NotificationPage(
        notifications=[NotificationOut.model_validate(r) for r in page],
        unread=unread_count,
        next_cursor=f"{page[-1].created_at.isoformat()}|{page[-1].id}"
        if len(rows) > limit
        else None,
    )


@router.post("/{notification_id}/read", summary="Mark one notification read")
async def mark_read(
    notification_id: uuid.UUID, caller: MemberDep, db: SessionDep
) -> NotificationOut:
    row = (
        await db.execute(
            select(Notification).where(
                Notification.tenant_id == caller.tenant_id,
                Notification.user_id == caller.require_member(),
                Notification.id == notification_id,
            )
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("No such notification.")
    if row.read_at is None:
        row.read_at = utcnow()
        await db.flush()
    return NotificationOut.model_validate(row)


@router.post("/read-all", summary="Mark all my notifications read")
async def mark_all_read(caller: MemberDep, db: SessionDep) -> dict[str, int]:
    result = await db.execute(
        update(Notification)
        .where(
            Notification.tenant_id == caller.tenant_id,
            Notification.user_id == caller.require_member(),
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow())
    )
    return {"marked": result.rowcount}  # type: ignore[attr-defined]


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
