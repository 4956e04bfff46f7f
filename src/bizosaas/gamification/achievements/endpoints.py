"""``/api/v1/gamification/achievements``: definitions, categories, members' progress and goals.

Fixed paths are declared before ``/{tenant_id}`` so they are never read as a tenant id.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status

from bizosaas.gamification.achievements import member_views, service
from bizosaas.gamification.achievements.preview import preview as preview_of
from bizosaas.gamification.achievements.repository import ACTIVE, ARCHIVED
from bizosaas.gamification.achievements.schemas import (
    AchievementCreate,
    AchievementOut,
    AchievementPreview,
    AchievementUpdate,
    CategoryCreate,
    CategoryOut,
    MemberAchievements,
    NextGoals,
)
from bizosaas.gamification.dependencies import (
    ManageAchievementsDep,
    MemberDep,
    MembersDep,
    SessionDep,
)
from bizosaas.identity.vocabulary import Permission

router = APIRouter(prefix="/api/v1/gamification/achievements", tags=["achievements"])
INVALID: dict[int | str, dict[str, Any]] = {
    400: {"description": "A trigger, category or prerequisite that cannot be used"}
}


@router.get("/categories", summary="The tenant's achievement categories")
async def list_categories(caller: MemberDep, db: SessionDep) -> list[CategoryOut]:
    return await service.list_categories(db)


@router.post(
    "/categories",
    status_code=status.HTTP_201_CREATED,
    summary="Add a category (manage_achievements)",
    responses={409: {"description": "The key is taken"}},
)
async def create_category(
    body: CategoryCreate, caller: ManageAchievementsDep, db: SessionDep
) -> CategoryOut:
    return await service.create_category(db, body)


@router.get("/definitions", summary="Every achievement definition (manage_achievements)")
async def list_definitions(
    caller: ManageAchievementsDep,
    db: SessionDep,
    status: Literal["active", "archived"] | None = None,
) -> list[AchievementOut]:
    """The tenant's copies of the catalog and its custom achievements, with their triggers."""
    return await service.list_definitions(db, status)


@router.post(
    "/custom",
    status_code=status.HTTP_201_CREATED,
    summary="Define a custom achievement (manage_achievements)",
    responses={**INVALID, 409: {"description": "The key is taken"}},
)
async def create_custom(
    body: AchievementCreate, caller: ManageAchievementsDep, db: SessionDep
) -> AchievementOut:
    """A declarative trigger (event type, filters, aggregation, window, timezone) and 1 to 5
    levels. The event type must be one that can arrive: the catalog's, one members may send
    (tenant settings), or one the tenant has already sent. Counting starts with the next
    events processed; a prerequisite opens the achievement from the moment its first level
    is unlocked."""
    return await service.create_custom(db, caller, body)


@router.post(
    "/preview",
    summary="How many members would already qualify (manage_achievements)",
    responses=INVALID,
)
async def preview(
    body: AchievementCreate, caller: ManageAchievementsDep, db: SessionDep
) -> AchievementPreview:
    """Checked like a new definition, and stores nothing: the tenant's events so far are
    counted by its trigger, to show how many members each level would already reward."""
    return await preview_of(db, body)


@router.get(
    "/definitions/{achievement_id}", summary="One achievement definition (manage_achievements)"
)
async def get_definition(
    achievement_id: uuid.UUID, caller: ManageAchievementsDep, db: SessionDep
) -> AchievementOut:
    return await service.get_definition(db, achievement_id)


@router.patch(
    "/definitions/{achievement_id}",
    summary="Change an achievement (manage_achievements)",
    responses=INVALID,
)
async def update_definition(
    achievement_id: uuid.UUID,
    body: AchievementUpdate,
    caller: ManageAchievementsDep,
    db: SessionDep,
) -> AchievementOut:
    """Checked like a new definition. Changing the trigger or levels does not rewrite the
    past: progress so far is kept (restarted if the aggregation, property, window or
    timezone changes), unlocks are kept, and new events count under the new rules. Only a
    replay of the event log, run by a tenant admin, recomputes progress from the start."""
    return await service.update_definition(db, achievement_id, body)


@router.post(
    "/definitions/{achievement_id}/{transition}",
    summary="Archive an achievement, or restore an archived one (manage_achievements)",
)
async def change_status(
    achievement_id: uuid.UUID,
    transition: Literal["archive", "restore"],
    caller: ManageAchievementsDep,
    db: SessionDep,
) -> AchievementOut:
    """`archive`: it stops counting, and unlocks are kept; `restore`: it counts again (events
    meanwhile are not counted)."""
    status = ARCHIVED if transition == "archive" else ACTIVE
    return await service.set_status(db, achievement_id, status)


async def _whose(
    tenant_id: uuid.UUID,
    caller: MemberDep,
    members: MembersDep,
    user_id: Annotated[
        uuid.UUID | None, Query(description="Tenant admins: a member's, not their own")
    ] = None,
) -> uuid.UUID:
    """Whose achievements: the caller's own, or (tenant admins only) a member's of the same
    tenant; the path's tenant must be the caller's (else 404)."""
    caller.check_tenant(tenant_id)
    return await members.whose(caller, user_id)


WhoseDep = Annotated[uuid.UUID, Depends(_whose)]


@router.get(
    "/{tenant_id}/next-goals",
    summary="A member's achievements closest to their next level",
    responses={404: {"description": "Another tenant, or no such member"}},
)
async def next_goals(
    whose: WhoseDep, db: SessionDep, limit: Annotated[int, Query(ge=1, le=20)] = 3
) -> NextGoals:
    """Active, open, not hidden, not fully unlocked; highest percent of the next threshold
    first."""
    return await member_views.next_goals(db, whose, limit)


@router.get(
    "/{tenant_id}",
    summary="Achievements with a member's progress and unlocks",
    responses={404: {"description": "Another tenant, or no such member"}},
)
async def member_achievements(
    whose: WhoseDep, caller: MemberDep, db: SessionDep
) -> MemberAchievements:
    """Each achievement with the current value, the next threshold and the percent towards
    it, and the levels unlocked with their dates. Hidden achievements not yet unlocked show
    as secrets (no name, trigger or progress) unless the caller manages achievements."""
    reveal = Permission.MANAGE_ACHIEVEMENTS.value in caller.permissions
    return await member_views.member_achievements(db, whose, reveal=reveal)
