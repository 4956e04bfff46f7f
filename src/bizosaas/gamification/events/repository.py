"""All SQL about the event log: storing, listing, the processor's queue."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Row, func, select, text, update

from bizosaas.core.database import utcnow
from bizosaas.core.repository import (
    Page,
    PageRequest,
    PlatformRepository,
    TenantRepository,
    keyset_page,
)
from bizosaas.gamification.events.models import EventStatus, GamificationEvent
from bizosaas.gamification.events.pipeline import Event

EVENT_COLUMNS = (
    GamificationEvent.seq,
    GamificationEvent.event_id,
    GamificationEvent.type,
    GamificationEvent.user_id,
    GamificationEvent.properties,
    GamificationEvent.occurred_at,
)


class EventRepository(TenantRepository[GamificationEvent]):
    model = GamificationEvent

    async def store(
        self, events: Sequence[Event], *, source: str, source_id: uuid.UUID | None
    ) -> set[str]:
        """Append events to the log; returns the ids that were new (the rest were duplicates)."""
        result = await self.session.execute(
            _STORE,
            {
                "tenant_id": self.tenant_id,
                "received_at": utcnow(),
                "source": source,
                "source_id": source_id,
                "event_ids": [e.event_id for e in events],
                "types": [e.type for e in events],
                "user_ids": [e.user_id for e in events],
                "properties": [orjson.dumps(e.properties).decode() for e in events],
                "occurred": [e.occurred_at for e in events],
            },
        )
        return set(result.scalars())

    async def page(
        self,
        page: PageRequest,
        *,
        user_id: uuid.UUID | None,
        event_type: str | None,
        status: str | None,
    ) -> Page[GamificationEvent]:
        query = self.statement()
        if user_id is not None:
            query = query.where(GamificationEvent.user_id == user_id)
        if event_type is not None:
            query = query.where(GamificationEvent.type == event_type)
        if status is not None:
            query = query.where(GamificationEvent.status == status)
        return await keyset_page(self.session, query, (GamificationEvent.seq,), page)

    async def pending(self, limit: int, only_seq: int | None = None) -> Sequence[Row[Any]]:
        """The oldest pending events, with when each arrived (for the lag metric)."""
        query = (
            select(*EVENT_COLUMNS, GamificationEvent.received_at)
            .where(
                GamificationEvent.tenant_id == self.tenant_id,
                GamificationEvent.status == EventStatus.PENDING,
            )
            .order_by(GamificationEvent.seq)
            .limit(limit)
        )
        if only_seq is not None:
            query = query.where(GamificationEvent.seq == only_seq)
        return (await self.session.execute(query)).all()

    async def pending_seqs(self, limit: int) -> Sequence[int]:
        query = (
            select(GamificationEvent.seq)
            .where(
                GamificationEvent.tenant_id == self.tenant_id,
                GamificationEvent.status == EventStatus.PENDING,
            )
            .order_by(GamificationEvent.seq)
            .limit(limit)
        )
        return (await self.session.execute(query)).scalars().all()

    async def mark_processed(self, seqs: Sequence[int], now: datetime) -> None:
        await self.session.execute(
            _MARK_PROCESSED, {"tenant_id": self.tenant_id, "now": now, "seqs": list(seqs)}
        )

    async def by_seq(self, seq: int) -> GamificationEvent | None:
        return await self.get(GamificationEvent.seq == seq)

    async def stream_of_type(
        self, event_type: str, chunk: int = 5_000
    ) -> AsyncIterator[Sequence[Row[Any]]]:
        """Every stored event of one type, in arrival order, chunk by chunk (server-side)."""
        query = (
            select(*EVENT_COLUMNS)
            .where(
                GamificationEvent.tenant_id == self.tenant_id,
                GamificationEvent.type == event_type,
            )
            .order_by(GamificationEvent.seq)
            .execution_options(yield_per=chunk)
        )
        result = await self.session.stream(query)
        async for rows in result.partitions(chunk):
            yield rows

    async def count_pending(self) -> int:
        query = select(func.count()).where(
            GamificationEvent.tenant_id == self.tenant_id,
            GamificationEvent.status == EventStatus.PENDING,
        )
        return int((await self.session.execute(query)).scalar_one())

    async def replay_bounds(self) -> tuple[int | None, int]:
        """The last sequence number a replay covers, and how many events it will see."""
        query = select(func.max(GamificationEvent.seq), func.count()).where(
            GamificationEvent.tenant_id == self.tenant_id,
            GamificationEvent.status != EventStatus.PENDING,
        )
        last, total = (await self.session.execute(query)).one()
        return last, int(total)

    async def replay_chunk(
        self, after_seq: int, last_seq: int, limit: int
    ) -> Sequence[GamificationEvent]:
        query = (
            self.statement()
            .where(
                GamificationEvent.seq > after_seq,
                GamificationEvent.seq <= last_seq,
                GamificationEvent.status != EventStatus.PENDING,
            )
            .order_by(GamificationEvent.seq)
            .limit(limit)
        )
        return await self.all(query)

    async def recover(self, seqs: Sequence[int], now: datetime) -> None:
        """Failed events a replay has now applied: processed after all."""
        await self.session.execute(
            update(GamificationEvent)
            .where(GamificationEvent.tenant_id == self.tenant_id, GamificationEvent.seq.in_(seqs))
            .values(status=EventStatus.PROCESSED, processed_at=now, last_error=None)
        )


class PendingEvents(PlatformRepository):
    """The processor's round, across tenants."""

    async def tenants(self, limit: int = 200) -> Sequence[uuid.UUID]:
        """The tenants that have events waiting."""
        query = (
            select(GamificationEvent.tenant_id)
            .where(GamificationEvent.status == EventStatus.PENDING)
            .group_by(GamificationEvent.tenant_id)
            .limit(limit)
        )
        return (await self.session.execute(query)).scalars().all()

    async def count(self) -> int:
        query = select(func.count()).where(GamificationEvent.status == EventStatus.PENDING)
        return int((await self.session.execute(query)).scalar_one())


# One fixed statement whatever the batch size: asyncpg prepares it once per connection,
# and the rows travel as arrays rather than as thousands of bind parameters.
_STORE = text(
    """
    INSERT INTO gamification_events
        (tenant_id, event_id, type, user_id, properties, occurred_at, received_at,
         source, source_id, status, attempts)
    SELECT :tenant_id, e.event_id, e.type, e.user_id, e.properties::jsonb, e.occurred_at,
           :received_at, :source, :source_id, 'pending', 0
    FROM unnest(CAST(:event_ids AS text[]), CAST(:types AS text[]), CAST(:user_ids AS uuid[]),
                CAST(:properties AS text[]), CAST(:occurred AS timestamptz[]))
         AS e(event_id, type, user_id, properties, occurred_at)
    ON CONFLICT (tenant_id, event_id) DO NOTHING
    RETURNING event_id
    """
)
_MARK_PROCESSED = text(
    "UPDATE gamification_events SET status = 'processed', processed_at = :now "
    "WHERE tenant_id = :tenant_id AND seq = ANY(CAST(:seqs AS bigint[]))"
)


def event_of(row: Any) -> Event:
    """An event for the handlers, from a row of :data:`EVENT_COLUMNS` (or a model)."""
    return Event(
        event_id=row.event_id,
        type=row.type,
        user_id=row.user_id,
        properties=row.properties,
        occurred_at=row.occurred_at,
        seq=row.seq,
    )
