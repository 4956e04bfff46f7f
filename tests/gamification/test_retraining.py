"""Retraining the fraud model on Temporal: the worker makes the weekly schedule, and a
retrained model goes live in every service only when it does at least as well as the live
one on the same held-out traffic; one that does worse is kept, with its figures, unused."""

from __future__ import annotations

import asyncio
import signal
import uuid
from datetime import timedelta

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from bizosaas.core.database import Database
from bizosaas.core.settings import Settings
from bizosaas.gamification.referrals.fraud_model.retraining_workflow import (
    FraudModelRetraining,
    Retrain,
    Retrained,
    schedule_id,
)
from bizosaas.gamification.referrals.fraud_model.store import FraudModels
from bizosaas.gamification.referrals.fraud_model.training import train_from_traffic
from tests.gamification.workers import WorkerProcess


async def retrain(client: Client, settings: Settings, **job: int) -> Retrained:
    return await client.execute_workflow(
        FraudModelRetraining.run,
        Retrain(**job),
        id=f"retrain-{uuid.uuid4()}",
        task_queue=settings.temporal_task_queue,
        execution_timeout=timedelta(minutes=5),
    )


async def test_a_retrained_model_goes_live_only_when_it_does_better(own_run: Settings) -> None:
    database = Database(own_run.gamification_database_url, pool_size=2)
    models = FraudModels(database, shipped=None, recheck=0)  # a service that reads every time
    worker = WorkerProcess(own_run)
    try:
        weak = (await asyncio.to_thread(train_from_traffic, 11, tenants=2, episodes=40)).model
        await models.add(weak, {}, promoted=True)
        live = await models.current()
        assert live is not None and live.trained_on == weak.trained_on
        await worker.ready()
        client = await Client.connect(
            own_run.temporal_address, data_converter=pydantic_data_converter
        )
        weekly = await client.get_schedule_handle(
            schedule_id(own_run.temporal_task_queue)
        ).describe()
        assert [i.every for i in weekly.schedule.spec.intervals] == [timedelta(days=7)]

        better = await retrain(client, own_run, tenants=3, episodes=150, seed=111)
        held_out, was = better.figures["held_out"], better.figures["live_on_held_out"]
        assert better.promoted, better.figures
        assert held_out["recall"] > was["recall"] and held_out["precision"] >= 0.9
        live = await models.current()
        assert live is not None and live.trained_on == better.trained_on

        worse = await retrain(client, own_run, tenants=2, episodes=40, seed=211)
        assert not worse.promoted, worse.figures
        live = await models.current()
        assert live is not None and live.trained_on == better.trained_on
    finally:
        if worker.process.poll() is None:
            assert worker.stop(signal.SIGTERM) == 0
        await database.dispose()
