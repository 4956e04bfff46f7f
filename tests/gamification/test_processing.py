"""Processing survives failures: nothing accepted is lost or counted twice.

Faults are injected into the real pipeline (a handler that fails part-way through a
batch, after the real handlers have written): the whole batch must roll back and be
processed again later, exactly once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.gamification.events.pipeline import Batch, Event
from tests.gamification.factories import Org, event
from tests.gamification.test_achievements import joined, view


class Fault:
    """Fails every batch holding an event of `poison` type, after the others have applied."""

    name = "fault"

    def __init__(self, poison: str, times: int) -> None:
        self.poison = poison
        self.left = times

    async def check(self, db: AsyncSession, tenant_id: uuid.UUID, events: Sequence[Event]) -> None:
        return None

    async def apply(self, db: AsyncSession, batch: Batch) -> None:
        if self.left and any(e.type == self.poison for e in batch.events):
            self.left -= 1
            raise RuntimeError("the process died mid-batch")

    async def reset(self, db: AsyncSession, tenant_id: uuid.UUID, since: datetime | None) -> None:
        return None

    async def after_reset(self, tenant_id: uuid.UUID) -> None:
        return None

    async def erase(self, db: AsyncSession, batch: Batch, user_id: uuid.UUID) -> None:
        return None


def _with_fault(org: Org, fault: Fault) -> Any:
    processor = org.app.state.services.processor

    class Injected:
        def __enter__(self) -> None:
            processor.handlers.append(fault)

        def __exit__(self, *exc: object) -> None:
            processor.handlers.remove(fault)

    return Injected()


async def test_a_batch_that_fails_midway_is_applied_exactly_once_later(org: Org) -> None:
    member = await joined(org)
    key = await org.api_key()
    fault = Fault("order.completed", times=1)
    with _with_fault(org, fault):
        response = await org.send([event(member, "order.completed") for _ in range(3)], key)
        assert response.status_code == 202
        await org.settle()
    assert fault.left == 0  # it did fail once, after the achievements handler had written
    orders = (await view(org, member))["hundred_orders"]
    assert orders["progress"]["value"] == 3  # rolled back, then applied once


async def test_a_poison_event_is_set_aside_and_the_rest_go_on(org: Org) -> None:
    member = await joined(org)
    key = await org.api_key()
    fault = Fault("lead.captured", times=100)  # fails until the cause is fixed
    with _with_fault(org, fault):
        batch = [event(member, "order.completed"), event(member, "lead.captured")]
        await org.send(batch, key)
        await org.settle()
    failed = await org.client.get(
        "/api/v1/gamification/events", params={"status": "failed"}, headers=org.admin.headers
    )
    [poison] = failed.json()["events"]
    assert poison["type"] == "lead.captured"
    shown = await view(org, member)
    assert shown["hundred_orders"]["progress"]["value"] == 1  # its neighbour was not held up
    assert shown["first_lead"]["unlocked"] == []
    # The cause fixed, a replay processes the set-aside event.
    replayed = await org.app.state.services.replays.start(org.id, None)
    assert replayed.state == "running"
    for task in list(org.app.state.services.replays.tasks):
        await task
    shown = await view(org, member)
    assert [u["level"] for u in shown["first_lead"]["unlocked"]]  # unlocked at last
    assert shown["hundred_orders"]["progress"]["value"] == 1  # and nothing counted twice


async def test_events_stored_while_no_processor_runs_are_processed_when_one_starts(
    org: Org,
) -> None:
    """A crash between storing and processing: the next processor picks the events up."""
    member = await joined(org)
    key = await org.api_key()
    processor = org.app.state.services.processor
    await processor.stop()
    try:
        await org.send([event(member, "order.completed") for _ in range(2)], key)
        assert await processor.pending_count(org.id) == 2
    finally:
        processor.start()
    await org.settle()
    assert (await view(org, member))["hundred_orders"]["progress"]["value"] == 2
