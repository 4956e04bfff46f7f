"""Long agent tasks as a Temporal workflow: a showcase written by a language model.

The API records the task as ``running`` and answers 202 with its id; once that commits,
the workflow runs the task's activity (``run_agent_task``), which does the work and records
the result in one transaction. A model that fails, stalls or writes what the checks refuse
gets the activity retried (``TASK_RETRIES``); a refusal that another try cannot change (a
missing permission, a member that is gone) is not retried. When every try has failed, the
task is recorded ``failed`` with the reason, and nothing else is stored.

Kept apart from the services: Temporal re-imports workflow code in its sandbox.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

RUN_ACTIVITY = "run_agent_task"
FAIL_ACTIVITY = "fail_agent_task"
REFUSED = "Refused"  # the error type of a refusal no retry can change
TASK_RETRIES = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_attempts=2,
    non_retryable_error_types=[REFUSED],
)
RECORD_RETRIES = RetryPolicy(maximum_interval=timedelta(minutes=1), maximum_attempts=0)


class LongTask(BaseModel):
    """A recorded task and who asked for it, as the API's caller was."""

    task_id: uuid.UUID
    tenant_id: uuid.UUID
    tenant_slug: str | None
    user_id: uuid.UUID | None
    role: str | None
    permissions: list[str]
    task: dict[str, Any]  # the TaskIn, as JSON


class FailedTask(BaseModel):
    task_id: uuid.UUID
    tenant_id: uuid.UUID
    error: str


def task_workflow_id(task_id: uuid.UUID) -> str:
    return f"agent-task-{task_id}"


@workflow.defn(name="AgentTask")
class AgentTaskWorkflow:
    @workflow.run
    async def run(self, job: LongTask) -> str:
        try:
            outcome: str = await workflow.execute_activity(
                RUN_ACTIVITY,
                job,
                result_type=str,
                start_to_close_timeout=timedelta(minutes=5),
                retry_policy=TASK_RETRIES,
            )
            return outcome
        except ActivityError as failure:
            error = str(failure.cause or failure)
            await workflow.execute_activity(
                FAIL_ACTIVITY,
                FailedTask(task_id=job.task_id, tenant_id=job.tenant_id, error=error),
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RECORD_RETRIES,
            )
            return "failed"
