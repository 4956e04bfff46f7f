"""Taking events in: validate everything first, then store the whole batch or nothing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import utcnow
from bizosaas.core.errors import BadRequest, Forbidden, NotFound
from bizosaas.core.members import MemberDirectory
from bizosaas.core.repository import PageRequest
from bizosaas.gamification.caller import Caller
from bizosaas.gamification.events.pipeline import Event, EventHandler
from bizosaas.gamification.events.repository import EventRepository
from bizosaas.gamification.events.schemas import (
    EventIn,
    EventOut,
    EventPage,
    EventResult,
    IngestResult,
)
from bizosaas.gamification.members.service import tenant_settings

MAX_FUTURE_SKEW = timedelta(minutes=5)


class EventService:
    def __init__(self, directory: MemberDirectory, handlers: Sequence[EventHandler]) -> None:
        self.directory = directory
        self.handlers = handlers

    async def ingest(
        self, db: AsyncSession, caller: Caller, incoming: Sequence[EventIn]
    ) -> IngestResult:
        events = await self._resolve(db, caller, incoming)
        for handler in self.handlers:
            await handler.check(db, caller.tenant_id, events)
        inserted = await EventRepository(db).store(
            events,
            source="api_key" if caller.is_api_key else "member",
            source_id=caller.api_key_id or caller.user_id,
        )
        results = [
            EventResult(
                event_id=e.event_id, status="accepted" if e.event_id in inserted else "duplicate"
            )
            for e in events
        ]
        return IngestResult(
            accepted=len(inserted), duplicates=len(events) - len(inserted), events=results
        )

    async def _resolve(
        self, db: AsyncSession, caller: Caller, incoming: Sequence[EventIn]
    ) -> list[Event]:
        """Check who each event is about and when; refuse the batch on the first problem."""
        seen: set[str] = set()
        for item in incoming:
            if item.event_id in seen:
                raise BadRequest(f"event_id {item.event_id!r} appears twice in this batch.")
            seen.add(item.event_id)
        now = utcnow()
        if not caller.is_api_key and not caller.is_tenant_admin:
            await self._check_member_events(db, caller, incoming)
        user_ids = {item.user_id or caller.user_id for item in incoming}
        if None in user_ids:
            raise BadRequest("Each event needs a user_id when sent with an API key.")
        known = await self.directory.get_many([u for u in user_ids if u is not None])
        for user_id in user_ids:
            info = known.get(user_id)  # type: ignore[arg-type]
            if info is None or info.tenant_id != caller.tenant_id:
                raise NotFound(f"No member {user_id} in this tenant.")
        events = []
        for item in incoming:
            occurred = item.occurred_at or now
            if occurred > now + MAX_FUTURE_SKEW:
                raise BadRequest(f"Event {item.event_id!r} occurred_at is in the future.")
            events.append(
                Event(
                    event_id=item.event_id,
                    type=item.type,
                    user_id=item.user_id or caller.user_id,  # type: ignore[arg-type]
                    properties=dict(item.properties),
                    occurred_at=occurred,
                )
            )
        return events

    async def _check_member_events(
        self, db: AsyncSession, caller: Caller, incoming: Sequence[EventIn]
    ) -> None:
        """Members may report only their own events, of the types the tenant allows them."""
        settings = await tenant_settings(db)
        allowed = set(settings.member_event_types)
        for item in incoming:
            if item.user_id is not None and item.user_id != caller.user_id:
                raise Forbidden("A member may only send its own events.")
            if item.type not in allowed:
                raise Forbidden(
                    f"Members may not send {item.type!r} events; send them from your server "
                    "with an API key, or let members send them in the tenant's settings."
                )

    async def list_events(
        self,
        db: AsyncSession,
        page: PageRequest,
        *,
        user_id: uuid.UUID | None,
        event_type: str | None,
        status: str | None,
    ) -> EventPage:
        found = await EventRepository(db).page(
            page, user_id=user_id, event_type=event_type, status=status
        )
        return EventPage(
            events=[EventOut.model_validate(r) for r in found.items], next_cursor=found.next_cursor
        )
