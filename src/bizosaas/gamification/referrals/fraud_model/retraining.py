"""Scheduled retraining of the fraud model: generated traffic plus every tenant's reviewed
conversions (the feature vectors the model read, labelled by the admins' verdicts: no
tenant's data leaves the numbers), promoted to live only when it does at least as well as
the live model on the same held-out traffic.

Promotion asks for an F1 score (precision and recall together) no lower than the live
model's, and a precision of at least :data:`PRECISION_FLOOR`: a model that catches more
abuse by turning honest members away is not an improvement. A model not promoted is kept
with its figures, for an operator to read.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import asdict

import numpy as np
from temporalio import activity
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)

from bizosaas.core.database import Database, RowScope
from bizosaas.gamification.referrals.conversion_repository import ReviewedConversions
from bizosaas.gamification.referrals.fraud_model.features import NAMES
from bizosaas.gamification.referrals.fraud_model.retraining_workflow import (
    EVERY,
    RETRAIN_ACTIVITY,
    FraudModelRetraining,
    Retrain,
    Retrained,
    schedule_id,
)
from bizosaas.gamification.referrals.fraud_model.store import FraudModels
from bizosaas.gamification.referrals.fraud_model.training import Report, train_from_traffic

PRECISION_FLOOR = 0.9


class Retraining:
    def __init__(self, database: Database, models: FraudModels) -> None:
        self.database = database
        self.models = models

    @activity.defn(name=RETRAIN_ACTIVITY)
    async def retrain(self, job: Retrain) -> Retrained:
        assert job.seed is not None  # the workflow sets it
        async with self.database.transaction(RowScope.platform_wide()) as db:
            rows = await ReviewedConversions(db).features(len(NAMES))
        reviewed = None
        if len(rows) >= 4:  # a quarter of them is kept out to measure on
            reviewed = (
                np.asarray([r for r, _ in rows], dtype=np.float64),
                np.asarray([fraud for _, fraud in rows], dtype=bool),
            )
        report = await asyncio.to_thread(
            train_from_traffic,
            job.seed,
            tenants=job.tenants,
            episodes=job.episodes,
            reviewed=reviewed,
            rival=await self.models.current(),
        )
        promoted = better(report)
        figures = {
            "held_out": asdict(report.held_out),
            "live_on_held_out": asdict(report.rival) if report.rival else None,
            "reviewed": asdict(report.reviewed) if report.reviewed else None,
            "left_out": {"pattern": report.left_out, **asdict(report.left_out_figures)},
        }
        model_id = await self.models.add(report.model, figures, promoted=promoted)
        return Retrained(
            model_id=model_id,
            promoted=promoted,
            trained_on=report.model.trained_on,
            figures=figures,
        )


def better(report: Report) -> bool:
    """Whether the new model should replace the live one (see the module's docstring)."""
    new = report.held_out
    if new.precision < PRECISION_FLOOR:
        return False
    return report.rival is None or new.f1 >= report.rival.f1


async def ensure_schedule(client: Client, task_queue: str) -> None:
    """The weekly retraining schedule, made once (left as it is when it exists, so an
    operator's pause or change stands)."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            FraudModelRetraining.run,
            Retrain(),
            id=schedule_id(task_queue),
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=EVERY)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )
    with contextlib.suppress(ScheduleAlreadyRunningError):
        await client.create_schedule(schedule_id(task_queue), schedule)
