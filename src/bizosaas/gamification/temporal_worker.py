"""The gamification work that runs on Temporal: its worker, and the keeper that starts holds.

* the Temporal worker (the workflows and activities of :data:`WORKFLOWS` and
  :func:`activities`: reward holds, long agent tasks, the fraud model's retraining) on
  the task queue of ``BIZOSAAS_TEMPORAL_TASK_QUEUE``, and the weekly retraining schedule;
* the hold keeper, which starts a workflow for each held reward (woken through Redis
  when a grant with a hold commits, and every half minute regardless).

`bizosaas serve temporal-worker` runs it alone (a container); `bizosaas up` runs it in
its one process. Any number of copies may run: Temporal hands each task to one worker,
and the keepers take different holds. A worker that cannot reach Temporal keeps trying,
backing off, and reports not ready meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from temporalio.worker import Worker

from bizosaas.core.background import BackgroundWork
from bizosaas.core.logging import get_logger
from bizosaas.core.wake import Wake
from bizosaas.gamification.agents.long_tasks import AgentTaskWorkflow
from bizosaas.gamification.referrals.fraud_model.retraining import ensure_schedule
from bizosaas.gamification.referrals.fraud_model.retraining_workflow import (
    FraudModelRetraining,
)
from bizosaas.gamification.referrals.hold_workflow import RewardHold
from bizosaas.gamification.referrals.holds import HoldKeeper
from bizosaas.gamification.services import HOLDS_WAKE, GamificationServices

log = get_logger("bizosaas.gamification.temporal")
WORKFLOWS: Sequence[type] = (RewardHold, AgentTaskWorkflow, FraudModelRetraining)


def activities(services: GamificationServices) -> list[Callable[..., Any]]:
    return [
        services.holds.settle,
        services.agents.run_long,
        services.agents.fail,
        services.retraining.retrain,
    ]


class TemporalWorker(BackgroundWork):
    """Runs the worker until the service stops; connects again after a failure."""

    loop_name = "temporal-worker"

    def __init__(self, services: GamificationServices, interval: float = 2.0) -> None:
        super().__init__(interval)
        self.services = services
        self.running = False

    async def turn(self) -> bool:
        link = self.services.runtime.temporal
        client = await link.client()
        await ensure_schedule(client, link.task_queue)
        worker = Worker(
            client,
            task_queue=link.task_queue,
            workflows=list(WORKFLOWS),
            activities=activities(self.services),
        )
        self.running = True
        try:
            await worker.run()  # until cancelled (the service stops) or Temporal fails it
        finally:
            self.running = False
        return False


@asynccontextmanager
async def temporal_work(services: GamificationServices) -> AsyncIterator[TemporalWorker]:
    worker = TemporalWorker(services)
    keeper = HoldKeeper(services.holds)
    wakeups = asyncio.create_task(
        Wake(services.runtime, HOLDS_WAKE).listen(keeper), name="reward-hold-wakeups"
    )
    worker.start()
    keeper.start()
    try:
        yield worker
    finally:
        wakeups.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await wakeups
        await keeper.stop()
        await worker.stop()
