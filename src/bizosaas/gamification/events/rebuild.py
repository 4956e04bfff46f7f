"""Rebuild achievement progress and leaderboards from the event log.

A replay first forgets the derived state (in one transaction, holding the tenant's
processing lock, so the live processor is never half-way through a batch), then
runs the stored events through the same handlers in arrival order, a chunk per
transaction. Events that arrive meanwhile are left to the live processor: every
aggregation is order-independent (counts, sums, maxima, distinct values, streak
days, latest-by-occurred_at), so the result is the same as if they had waited.

With unchanged rules a replay changes nothing; after a rule change it applies the
new rule to the past. Unlocks already awarded are kept (nobody loses a badge), and
nobody is notified twice (notifications are keyed).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bizosaas.core.database import Database, RowScope, utcnow
from bizosaas.gamification.events.models import EventStatus
from bizosaas.gamification.events.pipeline import Batch
from bizosaas.gamification.events.processor import EventProcessor
from bizosaas.gamification.events.repository import EventRepository, event_of
from bizosaas.gamification.locks import lock_tenant
from bizosaas.gamification.members.repository import MemberRepository

CHUNK = 1000
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ReplayReport:
    tenant_id: uuid.UUID
    events: int
    failed_recovered: int
    since: datetime | None


async def replay_tenant(
    database: Database,
    processor: EventProcessor,
    tenant_id: uuid.UUID,
    since: datetime | None = None,
    progress: Progress | None = None,
) -> ReplayReport:
    scope = RowScope.tenant(tenant_id)
    async with database.transaction(scope) as db:
        await lock_tenant(db, tenant_id)
        last_seq, total = await EventRepository(db).replay_bounds()
        for handler in processor.handlers:
            await handler.reset(db, tenant_id, since)
        # Points are re-derived from the unlocks the replay reaches again.
        await MemberRepository(db).reset_points()
    for handler in processor.handlers:
        await handler.after_reset(tenant_id)
    done = recovered = 0
    after_seq = 0
    if progress:
        progress(0, total)
    while last_seq is not None and after_seq < last_seq:
        async with database.transaction(scope) as db:
            await lock_tenant(db, tenant_id)
            events = EventRepository(db)
            rows = await events.replay_chunk(after_seq, last_seq, CHUNK)
            if not rows:
                break
            batch = Batch(tenant_id, [event_of(r) for r in rows], replay=True, replay_since=since)
            await processor.apply(db, batch)
            failed = [r.seq for r in rows if r.status == EventStatus.FAILED]
            if failed:
                await events.recover(failed, utcnow())
            after_seq = rows[-1].seq
        done += len(rows)
        recovered += len(failed)
        if progress:
            progress(done, total)
    return ReplayReport(tenant_id, done, recovered, since)
