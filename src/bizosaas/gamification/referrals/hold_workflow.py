"""The reward hold as a Temporal workflow: wait out the hold, then settle the grant.

Kept apart from the services it drives: Temporal runs workflow code in a sandbox that
re-imports it, so it imports only Temporal and its input. Settling is the activity
``settle_reward_hold`` (:mod:`.holds`), which reads the truth from the database; a signal
(``settle_now``: a refund or a review verdict) only brings the settling forward.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy

SETTLE_ACTIVITY = "settle_reward_hold"
# Settling retries until the database answers: a hold must end, however late.
SETTLE_RETRIES = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=0,
)


class HoldInput(BaseModel):
    tenant_id: uuid.UUID
    entry_id: uuid.UUID
    until: datetime  # when the program's hold ends


def hold_workflow_id(entry_id: uuid.UUID) -> str:
    """One workflow per held grant: a second start with this id is refused."""
    return f"reward-hold-{entry_id}"


@workflow.defn(name="RewardHold")
class RewardHold:
    def __init__(self) -> None:
        self.reason: str | None = None
        self.outcome: str | None = None

    @workflow.signal
    def settle_now(self, reason: str) -> None:
        """A refund or a review verdict: settle without waiting for the hold to end."""
        self.reason = self.reason or reason

    @workflow.query
    def state(self) -> str:
        return self.outcome or ("settling" if self.reason else "holding")

    @workflow.run
    async def run(self, hold: HoldInput) -> str:
        remaining = hold.until - workflow.now()
        if remaining > timedelta(0):
            try:
                await workflow.wait_condition(lambda: self.reason is not None, timeout=remaining)
            except TimeoutError:
                self.reason = "the hold ended"
        self.outcome = await workflow.execute_activity(
            SETTLE_ACTIVITY,
            hold,
            result_type=str,
            start_to_close_timeout=timedelta(minutes=1),
            retry_policy=SETTLE_RETRIES,
        )
        return self.outcome
