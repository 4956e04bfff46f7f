"""Reward holds on Temporal, as members and tenants see them: a held reward becomes
available when its hold ends (a 14-day hold passes in about a second: the suite's Temporal
fast-forwards one workflow's clock), a refund ends the hold at once with a clawback, a
second start of a hold is refused, and a worker killed mid-hold resumes it when it comes
back, paying nothing twice."""

from __future__ import annotations

import asyncio
import signal
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import select, update
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import TimeSkipper

from bizosaas.core.database import Database, RowScope
from bizosaas.core.settings import Settings
from bizosaas.gamification.notifications.models import Notification
from bizosaas.gamification.referrals.hold_workflow import hold_workflow_id
from bizosaas.gamification.rewards.models import RewardEntry
from bizosaas.gamification.rewards.repository import LedgerRepository
from tests.gamification.factories import Org
from tests.gamification.test_referrals import (
    BASE,
    balance,
    code_of,
    converted,
    ledger,
    make_program,
    person,
    referee,
    rewards,
)
from tests.gamification.workers import WorkerProcess, eventually

T = TypeVar("T")


async def temporal(org: Org) -> Client:
    return await org.app.state.services.runtime.temporal.client()


async def hold_of(
    client: Client, database: Database, tenant_id: uuid.UUID, entry_id: uuid.UUID
) -> WorkflowHandle[Any, Any]:
    """The entry's hold workflow, once the keeper has started it."""

    async def started() -> WorkflowHandle[Any, Any] | None:
        async with database.transaction(RowScope.tenant(tenant_id)) as db:
            state = (
                await db.execute(select(RewardEntry.hold_state).where(RewardEntry.id == entry_id))
            ).scalar_one()
        return client.get_workflow_handle(hold_workflow_id(entry_id)) if state != "due" else None

    return await eventually(started)


async def a_held_referral(org: Org, days: int = 14) -> tuple[Any, Any, dict[str, Any], str]:
    await make_program(org, hold_days=days)
    alice = await person(org, "Alice Archer")
    code = (await code_of(org, alice))["code"]
    key = await org.api_key()
    conversion = await converted(org, key, code=code, referee_id=(await referee(org)).id)
    return alice, conversion, await rewards(org, alice), key


async def test_a_held_reward_becomes_available_when_its_hold_ends(org: Org) -> None:
    alice, conversion, mine, _ = await a_held_referral(org)
    assert balance(mine) == {"available": Decimal(0), "pending": Decimal(10), "total": Decimal(10)}
    (grant,) = await ledger(org, kind="referrer")
    client = await temporal(org)
    database = org.app.state.services.runtime.database
    handle = await hold_of(client, database, org.id, grant.id)
    assert await eventually(lambda: handle.query("state")) == "holding"

    await TimeSkipper(client).fast_forward(handle, timedelta(days=15))
    assert await asyncio.wait_for(handle.result(), 30) == "released"

    mine = await rewards(org, alice)
    assert balance(mine) == {"available": Decimal(10), "pending": Decimal(0), "total": Decimal(10)}
    notes = (
        await org.client.get("/api/v1/gamification/notifications", headers=alice.headers)
    ).json()["notifications"]
    assert [n["title"] for n in notes].count("Your reward is available") == 1
    assert (await ledger(org, id=grant.id))[0].hold_state == "over"

    # A keeper that lost track of it starts the hold again: refused, nothing paid twice.
    async with database.transaction(RowScope.tenant(org.id)) as db:
        await db.execute(
            update(RewardEntry).where(RewardEntry.id == grant.id).values(hold_state="due")
        )
    await org.app.state.services.holds.start_due()
    runs = [run async for run in client.list_workflows(f"WorkflowId = '{handle.id}'")]
    assert len(runs) == 1 and runs[0].status == WorkflowExecutionStatus.COMPLETED
    assert len(await ledger(org)) == 2  # the referrer's and the referee's grants, once each
    assert balance(await rewards(org, alice))["available"] == Decimal(10)
    assert conversion["status"] == "approved"


async def test_a_refund_during_the_hold_claws_back_at_once(org: Org) -> None:
    alice, conversion, _, key = await a_held_referral(org, days=30)
    (grant,) = await ledger(org, kind="referrer")
    client = await temporal(org)
    database = org.app.state.services.runtime.database
    handle = await hold_of(client, database, org.id, grant.id)
    await eventually(lambda: handle.query("state"))

    refunded = await org.client.post(
        f"{BASE}/conversions/{conversion['id']}/refund", headers={"X-API-Key": key}
    )
    assert refunded.status_code == 200
    # No clock skipped: the refund's signal settles the hold well inside its 30 days.
    assert await asyncio.wait_for(handle.result(), 30) == "clawed_back"
    assert balance(await rewards(org, alice)) == {
        "available": Decimal(0),
        "pending": Decimal(0),
        "total": Decimal(0),
    }
    (reversed_grant,) = await ledger(org, id=grant.id)
    assert (reversed_grant.status, reversed_grant.hold_state) == ("reversed", "over")


async def test_an_approval_after_the_hold_makes_the_reward_available_at_once(org: Org) -> None:
    await make_program(org, hold_days=7, manual_approval=True)
    alice = await person(org, "Alice Archer")
    code = (await code_of(org, alice))["code"]
    await converted(org, await org.api_key(), code=code, referee_id=(await referee(org)).id)
    (grant,) = await ledger(org, kind="referrer")
    client = await temporal(org)
    handle = await hold_of(client, org.app.state.services.runtime.database, org.id, grant.id)
    await eventually(lambda: handle.query("state"))
    await TimeSkipper(client).fast_forward(handle, timedelta(days=8))
    assert await asyncio.wait_for(handle.result(), 30) == "awaiting_approval"
    assert (await rewards(org, alice))["entries"][0]["status"] == "unapproved"

    approved = await org.client.post(
        "/api/v1/gamification/rewards/approve",
        json={"entry_ids": [str(grant.id)]},
        headers=org.admin.headers,
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["entries"][0]["status"] == "available"
    assert balance(await rewards(org, alice))["available"] == Decimal(10)


# -- a worker killed in the middle of a hold ---------------------------------------------


async def entries_of(database: Database, tenant_id: uuid.UUID) -> list[RewardEntry]:
    async with database.transaction(RowScope.tenant(tenant_id)) as db:
        return list((await db.execute(select(RewardEntry))).scalars())


async def test_a_worker_killed_mid_hold_resumes_it_and_pays_once(own_run: Settings) -> None:
    tenant_id, member = uuid.uuid4(), uuid.uuid4()
    database = Database(own_run.gamification_database_url, pool_size=2)
    try:
        async with database.transaction(RowScope.tenant(tenant_id)) as db:
            grant = await LedgerRepository(db).grant(
                user_id=member,
                kind="tier",
                amount=Decimal(25),
                unit="points",
                grant_key=f"tier:{uuid.uuid4()}",
                source_type="tier",
                source_id=uuid.uuid4(),
                hold_days=14,
            )
            assert grant is not None
        client = await Client.connect(own_run.temporal_address)

        first = WorkerProcess(own_run)
        await first.ready()
        handle = await hold_of(client, database, tenant_id, grant.id)
        assert await eventually(lambda: handle.query("state")) == "holding"
        assert first.stop(signal.SIGKILL) == -signal.SIGKILL

        # Its 14 days pass while no worker runs: nothing settles it meanwhile.
        skipping = asyncio.create_task(TimeSkipper(client).fast_forward(handle, timedelta(days=15)))
        await asyncio.sleep(1)
        assert [e.status for e in await entries_of(database, tenant_id)] == ["pending"]

        second = WorkerProcess(own_run)
        try:
            await second.ready()
            assert await asyncio.wait_for(handle.result(), 60) == "released"
            await asyncio.wait_for(skipping, 10)
        finally:
            output = second.output()
            # The command that used Temporal's client exits cleanly (no abort at exit).
            assert second.stop(signal.SIGTERM) == 0, output

        async with database.transaction(RowScope.tenant(tenant_id)) as db:
            told = (
                (await db.execute(select(Notification.kind).where(Notification.user_id == member)))
                .scalars()
                .all()
            )
        assert [
            (e.status, e.amount, e.hold_state) for e in await entries_of(database, tenant_id)
        ] == [("available", Decimal(25), "over")]
        assert told == ["reward_available"]
    finally:
        await database.dispose()
