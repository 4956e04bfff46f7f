"""The event processor: pending events in, achievement progress and leaderboard scores out.

Every copy of the service runs one. It takes one tenant at a time under a
transaction-level advisory lock (so two copies never work on the same tenant at
once, and a crashed copy's lock dies with its connection), applies a batch of
that tenant's pending events through every handler, marks them processed and
stores the notifications, all in one transaction. A batch that fails is retried
one event at a time, so one bad event cannot hold up the rest: it is kept as
``failed`` after :data:`MAX_ATTEMPTS`, with the error, for a replay once fixed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from prometheus_client import Counter, Histogram
from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.background import BackgroundWork
from bizosaas.core.database import Database, RowScope, after_commit, use_custom_plans, utcnow
from bizosaas.core.errors import is_outage
from bizosaas.core.logging import get_logger
from bizosaas.gamification.events.models import EventStatus
from bizosaas.gamification.events.pipeline import Batch, EventHandler
from bizosaas.gamification.events.repository import (
    EventRepository,
    PendingEvents,
    event_of,
)
from bizosaas.gamification.locks import try_lock_tenant
from bizosaas.gamification.members.service import MemberService
from bizosaas.gamification.notifications.service import Notifier

log = get_logger("bizosaas.gamification.events")
BATCH_SIZE = 1000
MAX_ATTEMPTS = 5
IDLE_WAIT_SECONDS = 1.0
PROCESSED = Counter(
    "bizosaas_gamification_events_processed_total", "Events processed, by outcome.", ["outcome"]
)
LAG = Histogram(
    "bizosaas_gamification_event_lag_seconds",
    "From an event's acceptance to its processing.",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)


class EventProcessor(BackgroundWork):
    loop_name = "gamification-event-processor"

    def __init__(
        self,
        database: Database,
        handlers: Sequence[EventHandler],
        members: MemberService,
        notifier: Notifier,
    ) -> None:
        super().__init__(IDLE_WAIT_SECONDS)
        self.database = database
        self.handlers = list(handlers)
        self.members = members
        self.notifier = notifier

    async def turn(self) -> bool:
        return await self.process_pending() > 0

    # -- one pass ------------------------------------------------------------------------

    async def process_pending(self) -> int:
        """Process what is pending now, tenant by tenant; returns how many events were done."""
        async with self.database.transaction(RowScope.platform_wide()) as db:
            tenants = await PendingEvents(db).tenants()
        total = 0
        for tenant_id in tenants:
            total += await self.process_tenant(tenant_id)
        return total

    async def process_tenant(self, tenant_id: uuid.UUID, limit: int = BATCH_SIZE) -> int:
        try:
            done = await self._process_batch(tenant_id, limit)
        except Exception as exc:
            if is_outage(exc):
                raise  # the events are fine: the loop backs off and tries them all again
            log.exception("batch failed; retrying its events one by one", tenant_id=str(tenant_id))
            return await self._process_one_by_one(tenant_id, limit)
        return done

    async def _process_batch(
        self, tenant_id: uuid.UUID, limit: int, only_seq: int | None = None
    ) -> int:
        async with self.database.transaction(RowScope.tenant(tenant_id)) as db:
            if not await try_lock_tenant(db, tenant_id):
                return 0  # another copy is on this tenant
            queue = EventRepository(db)
            rows = await queue.pending(limit, only_seq)
            if not rows:
                return 0
            batch = Batch(tenant_id, [event_of(row) for row in rows])
            await self.apply(db, batch)
            now = utcnow()
            await queue.mark_processed([row.seq for row in rows], now)
            for row in rows:
                LAG.observe(max(0.0, (now - row.received_at).total_seconds()))
        PROCESSED.labels("processed").inc(len(rows))
        return len(rows)

    async def apply(self, db: AsyncSession, batch: Batch) -> None:
        """Run every handler over the batch and stage its results (inside the caller's txn)."""
        # Batches are bulk statements over arrays whose sizes vary: a generic plan, which
        # PostgreSQL switches to after five runs, was measured 20x slower than a custom one.
        await use_custom_plans(db)
        joined = await self.members.ensure(db, batch.tenant_id, {e.user_id for e in batch.events})
        batch.touched_members.update(joined)  # their first claim snapshot
        for handler in self.handlers:
            await handler.apply(db, batch)
        await self.members.record_activity(db, batch)
        await self.notifier.stage(db, batch)
        after_commit(
            db, lambda: self.members.publish_claims(batch.tenant_id, batch.touched_members)
        )

    async def _process_one_by_one(self, tenant_id: uuid.UUID, limit: int) -> int:
        async with self.database.transaction(RowScope.tenant(tenant_id)) as db:
            seqs = await EventRepository(db).pending_seqs(limit)
        done = 0
        for seq in seqs:
            try:
                count = await self._process_batch(tenant_id, 1, only_seq=seq)
            except Exception as exc:
                if is_outage(exc):
                    raise  # PostgreSQL or Redis went away: not this event's fault
                await self._record_failure(tenant_id, seq, exc)
                continue
            done += count
        return done

    async def _record_failure(self, tenant_id: uuid.UUID, seq: int, exc: Exception) -> None:
        log.exception("event failed", tenant_id=str(tenant_id), seq=seq)
        async with self.database.transaction(RowScope.tenant(tenant_id)) as db:
            event = await EventRepository(db).by_seq(seq)
            if event is None:
                return
            event.attempts += 1
            event.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if event.attempts >= MAX_ATTEMPTS:
                event.status = EventStatus.FAILED
                PROCESSED.labels("failed").inc()

    async def pending_count(self, tenant_id: uuid.UUID | None = None) -> int:
        """Events waiting, in one tenant or in all of them."""
        if tenant_id is not None:
            async with self.database.transaction(RowScope.tenant(tenant_id)) as db:
                return await EventRepository(db).count_pending()
        async with self.database.transaction(RowScope.platform_wide()) as db:
            return await PendingEvents(db).count()
