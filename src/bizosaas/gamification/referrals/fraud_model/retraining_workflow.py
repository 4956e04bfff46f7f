"""Retraining the fraud model on a schedule, as a Temporal workflow (kept apart from the
services: Temporal re-imports workflow code in its sandbox). The work is the activity
``retrain_fraud_model`` (:mod:`.retraining`); the schedule that starts this workflow every
week is made by the Temporal worker when it starts."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.common import RetryPolicy

RETRAIN_ACTIVITY = "retrain_fraud_model"
EVERY = timedelta(days=7)


class Retrain(BaseModel):
    """How much traffic to generate; the seed is the day the run starts, unless given."""

    tenants: int = Field(default=8, ge=1, le=100)
    episodes: int = Field(default=400, ge=10, le=10_000)
    seed: int | None = None


class Retrained(BaseModel):
    model_id: uuid.UUID
    promoted: bool
    trained_on: str
    figures: dict[str, Any]  # the new model's and the live one's on the same held-out set


def schedule_id(task_queue: str) -> str:
    return f"fraud-model-retraining-{task_queue}"


@workflow.defn(name="FraudModelRetraining")
class FraudModelRetraining:
    @workflow.run
    async def run(self, job: Retrain) -> Retrained:
        if job.seed is None:
            job = job.model_copy(update={"seed": int(workflow.now().strftime("%Y%m%d"))})
        retrained: Retrained = await workflow.execute_activity(
            RETRAIN_ACTIVITY,
            job,
            result_type=Retrained,
            start_to_close_timeout=timedelta(hours=1),
            retry_policy=RetryPolicy(maximum_attempts=3),
        )
        return retrained
