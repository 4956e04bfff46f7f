"""The gamification agents: ``/api/v1/gamification/agents`` (``/api/v1/agents/*`` stays the
route to the platform's other agents)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status

from bizosaas.gamification.agents.registry import TaskType
from bizosaas.gamification.agents.schemas import (
    ActivityDecision,
    AgentsOut,
    TaskIn,
    TaskOut,
    TasksOut,
)
from bizosaas.gamification.dependencies import AgentsDep, CallerDep, MemberDep, SessionDep

router = APIRouter(prefix="/api/v1/gamification/agents", tags=["agents"])
MISSING: dict[int | str, dict[str, Any]] = {404: {"description": "No such task for this caller"}}


@router.get("", summary="The five agents and the task types each one takes")
async def list_agents(caller: MemberDep, agents: AgentsDep) -> AgentsOut:
    return agents.agents()


@router.post(
    "/tasks",
    status_code=status.HTTP_201_CREATED,
    summary="Run a task: the orchestrator hands it to its specialist",
    responses={
        202: {
            "description": "A long task (a showcase a language model writes), recorded as "
            "running: read it by its id until it has succeeded or failed",
            "model": TaskOut,
        },
        403: {"description": "The caller may not run this task"},
        404: {"description": "An object the payload names is not in this tenant"},
        422: {"description": "An unknown task type, or a payload that does not fit it"},
    },
)
async def run_task(
    body: TaskIn, caller: CallerDep, db: SessionDep, agents: AgentsDep, response: Response
) -> TaskOut:
    """`task_type` picks the payload's schema and the specialist. Each task checks the
    caller's permission as the matching endpoint does: `process_referral` a tenant API key
    or admin; `detect_fraud` and `update_leaderboards` a tenant admin; `referral_report` and
    `achievement_report` `view_analytics`; `check_achievements` a member (a tenant admin for
    another member); `generate_showcase` `manage_portfolios`. The answer is the recorded
    task with its typed result (201); it can be read again by its id. A showcase written by
    a language model is a long task: 202 with the task running, which its workflow on
    Temporal finishes (trying a failed model again) or records as failed."""
    task = await agents.run(db, caller, body)
    if task.status == "running":
        response.status_code = status.HTTP_202_ACCEPTED
    return task


@router.get("/tasks", summary="Recent tasks of the tenant (tenant admin)")
async def list_tasks(
    caller: CallerDep,
    db: SessionDep,
    agents: AgentsDep,
    task_type: TaskType | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TasksOut:
    return await agents.recent(db, caller, task_type, limit)


@router.get("/tasks/{task_id}", summary="One task, to whoever asked for it", responses=MISSING)
async def get_task(
    task_id: uuid.UUID, caller: CallerDep, db: SessionDep, agents: AgentsDep
) -> TaskOut:
    return await agents.get(db, caller, task_id)


@router.post(
    "/activity-flags/{flag_id}/{decision}",
    summary="Dismiss or confirm a member's unusual activity (tenant admin)",
    responses={**MISSING, 409: {"description": "Decided already"}},
)
async def decide_activity(
    flag_id: uuid.UUID,
    decision: Literal["dismiss", "confirm"],
    caller: CallerDep,
    db: SessionDep,
    agents: AgentsDep,
) -> ActivityDecision:
    """A flag from `manipulation_flags`: dismissed, the member is not reported again that
    day; confirmed, the flag stays in the report, marked confirmed, for the admin to act."""
    return await agents.decide_activity(db, caller, flag_id, decision)
