"""``/api/v1/gamification/events``: the one way in."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from bizosaas.core.database import after_commit
from bizosaas.core.errors import NotFound
from bizosaas.core.repository import PageRequest, paging
from bizosaas.gamification.dependencies import (
    AdminDep,
    CallerDep,
    EventsDep,
    ReplaysDep,
    SessionDep,
    WakeDep,
)
from bizosaas.gamification.events.schemas import (
    EVENT_TYPE_PATTERN,
    EventBatchIn,
    EventIn,
    EventPage,
    IngestResult,
    ReplayRequest,
    ReplayStatus,
)

router = APIRouter(prefix="/api/v1/gamification/events", tags=["events"])


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send one event or a batch of up to 1,000",
    responses={
        400: {
            "description": "A bad batch, or a score change over a board's limit (nothing stored)"
        },
        403: {"description": "A member sending another member's or a server-only event"},
        404: {"description": "An event about someone who is not a member of this tenant"},
        422: {"description": "Malformed events"},
    },
)
async def send_events(
    body: EventIn | EventBatchIn,
    caller: CallerDep,
    db: SessionDep,
    service: EventsDep,
    wake: WakeDep,
) -> IngestResult:
    """Store events for processing into achievement progress and leaderboard scores.

    The tenant is the caller's (token or API key), never the body's. `event_id` is the
    idempotency key: sending the same id again stores and counts nothing. The batch is
    checked as a whole first; if any event is refused, none is stored. Processing
    follows within moments (see `GET /events?status=pending`).
    """
    events = body.events if isinstance(body, EventBatchIn) else [body]
    result = await service.ingest(db, caller, events)
    if result.accepted:
        after_commit(db, wake)
    return result


@router.get("", summary="The tenant's event log (tenant admin)")
async def list_events(
    caller: AdminDep,
    service: EventsDep,
    db: SessionDep,
    page: Annotated[PageRequest, paging(100, 500)],
    user_id: uuid.UUID | None = None,
    type: Annotated[str | None, Query(pattern=EVENT_TYPE_PATTERN, max_length=64)] = None,
    status: Annotated[str | None, Query(pattern="^(pending|processed|failed)$")] = None,
) -> EventPage:
    """Newest first; pass `next_cursor` back as `cursor` for the next page."""
    return await service.list_events(db, page, user_id=user_id, event_type=type, status=status)


@router.post(
    "/replays",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Rebuild progress and leaderboards from the log (tenant admin)",
    responses={409: {"description": "A replay is already running"}},
)
async def start_replay(body: ReplayRequest, caller: AdminDep, replays: ReplaysDep) -> ReplayStatus:
    """Applies changed rules to the past. With unchanged rules nothing changes; unlocks
    already awarded are kept and nobody is notified twice. Poll `GET /events/replays/current`."""
    return await replays.start(caller.tenant_id, body.since)


@router.get("/replays/current", summary="The tenant's latest replay (tenant admin)")
async def current_replay(caller: AdminDep, replays: ReplaysDep) -> ReplayStatus:
    found = await replays.status(caller.tenant_id)
    if found is None:
        raise NotFound("No replay has run for this tenant in the last day.")
    return found
