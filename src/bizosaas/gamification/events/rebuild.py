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

from sqlalchemy import func, select, update

from bizosaas.core.database import Database, RowScope, utcnow
from bizosaas.gamification.events.models import EventStatus, GamificationEvent
from bizosaas.gamification.events.pipeline import Batch
from bizosaas.gamification.events.processor import EventProcessor
from bizosaas.gamification.events.repository import event_of
from bizosaas.gamification.locks import lock_tenant
from bizosaas.gamification.members.models import Member

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
        last_seq, total = (
            await db.execute(
                select(func.max(GamificationEvent.seq), func.count()).where(
                    GamificationEvent.tenant_id == tenant_id,
                    GamificationEvent.status != EventStatus.PENDING,
                )
            )
        ).one()
        for handler in processor.handlers:
            await handler.reset(db, tenant_id, since)
        # Points are re-derived from the unlocks the replay reaches again.
        await db.execute(update(Member).where(Member.tenant_id == tenant_id).values(points=0))
    for handler in processor.handlers:
        await handler.after_reset(tenant_id)
    done = recovered = 0
    after_seq = 0
    if progress:
        progress(0, total)
    while last_seq is not None and after_seq < last_seq:
        async with database.transaction(scope) as db:
            await lock_tenant(db, tenant_id)
            rows = (
                (
                    await db.execute(
                        select(GamificationEvent)
                        .where(
                            GamificationEvent.tenant_id == tenant_id,
                            GamificationEvent.seq > after_seq,
                            GamificationEvent.seq <= last_seq,
                            GamificationEvent.status != EventStatus.PENDING,
                        )
                        .order_by(GamificationEvent.seq)
                        .limit(CHUNK)
                    )
                )
                .scalars()
                .all()
            )
            if not rows:
                break
            batch = Batch(tenant_id, [event_of(r) for r in rows], replay=True, replay_since=since)
            await processor.apply(db, batch)
            failed = [r.seq for r in rows if r.status == EventStatus.FAILED]
            if failed:
                await db.execute(
                    update(GamificationEvent)
                    .where(
                        GamificationEvent.tenant_id == tenant_id, GamificationEvent.seq.in_(failed)
                    )
                    .values(status=EventStatus.PROCESSED, processed_at=utcnow(), last_error=None)
                )
            after_seq = rows[-1].seq
        done += len(rows)
        recovered += len(failed)
        if progress:
            progress(done, total)
    return ReplayReport(tenant_id, done, recovered, since)
