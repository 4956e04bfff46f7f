"""``/api/v1/gamification/notifications``: a member's own notifications, listed or live."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

import orjson
from fastapi import APIRouter, Header, Request, WebSocket, WebSocketDisconnect
from sse_starlette import EventSourceResponse, ServerSentEvent

from bizosaas.core.errors import AppError
from bizosaas.core.repository import PageRequest, paging
from bizosaas.gamification.dependencies import DatabaseDep, MemberDep, NotifierDep, SessionDep
from bizosaas.gamification.notifications import service
from bizosaas.gamification.notifications.live import LiveFeed, same_origin
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
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream(
    request: Request,
    caller: MemberDep,
    notifier: NotifierDep,
    database: DatabaseDep,
    last_event_id: Annotated[
        uuid.UUID | None, Header(description="The id of the last notification received")
    ] = None,
) -> EventSourceResponse:
    """One `notification` event per new notification, as JSON, with the notification's id
    as the event id; a client that reconnects with `Last-Event-ID` first gets what it missed.
    A comment every 15 s keeps proxies from closing the connection. Works through any
    number of service copies."""
    user_id = caller.require_member()
    feed = LiveFeed(notifier.redis, notifier.keys, caller.tenant_id, user_id)

    async def events() -> AsyncIterator[ServerSentEvent]:
        async with feed:  # listening before looking back: nothing falls in between
            yield ServerSentEvent(comment="connected")
            sent: set[str] = set()
            if last_event_id is not None:
                async with database.transaction(caller.row_scope) as db:
                    for old in await service.missed_since(db, user_id, last_event_id):
                        sent.add(str(old["id"]))
                        yield _event(old)
            while not await request.is_disconnected():
                new = await feed.next(KEEPALIVE_SECONDS)
                mine = new is not None and new.get("user_id") == str(user_id)
                if new is not None and mine and str(new["id"]) not in sent:
                    yield _event(new)

    return EventSourceResponse(
        events(), ping=int(KEEPALIVE_SECONDS), headers={"Cache-Control": "no-store"}
    )


def _event(message: dict[str, object]) -> ServerSentEvent:
    return ServerSentEvent(
        data=orjson.dumps(message).decode(), event="notification", id=str(message["id"])
    )


live_router = APIRouter(prefix="/api/v1/gamification")


@live_router.websocket("/live")
async def live(websocket: WebSocket) -> None:
    """The member's notifications and the tenant's board changes, as JSON messages, for the
    web pages (through the gateway, signed in by the session cookie, from the platform's own
    origin only); a `ping` message when nothing happened for a while."""
    services = websocket.app.state.services
    identity = services.identity
    if not same_origin(websocket.headers.get("origin"), services.runtime.settings.public_url):
        await websocket.close(code=1008, reason="Wrong origin")
        return
    try:
        found = await identity.resolve(
            "GET", identity.presented(websocket.headers), accept_api_keys=False
        )
    except AppError:
        await websocket.close(code=1008, reason="Sign in first")
        return
    principal = found.principal
    if principal is None or principal.tenant_id is None:
        await websocket.close(code=1008, reason="Members only")
        return
    await websocket.accept()
    feed = LiveFeed(
        services.notifier.redis, services.notifier.keys, principal.tenant_id, principal.user_id
    )
    listening = asyncio.create_task(_until_closed(websocket))
    try:
        async with feed:
            while not listening.done():
                message = await feed.next()
                await websocket.send_text(orjson.dumps(message or {"kind": "ping"}).decode())
    except (WebSocketDisconnect, RuntimeError):
        pass  # the page went away
    finally:
        listening.cancel()


async def _until_closed(websocket: WebSocket) -> None:
    """Read (and drop) what the page sends, so its close is noticed at once."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await websocket.receive_text()
