"""Members' own gamification profile, privacy and erasure; the tenant's settings."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from bizosaas.gamification.dependencies import (
    AdminDep,
    ClaimsDep,
    DirectoryDep,
    HandlersDep,
    MemberDep,
    SessionDep,
)
from bizosaas.gamification.members import service
from bizosaas.gamification.members.export import export_member
from bizosaas.gamification.members.schemas import (
    MemberExport,
    MemberOut,
    PrivacyUpdate,
    SettingsOut,
    SettingsUpdate,
)

router = APIRouter(prefix="/api/v1/gamification", tags=["members"])


@router.get("/members/me", summary="My points, achievements, rank and privacy")
async def my_profile(caller: MemberDep, db: SessionDep) -> MemberOut:
    member = await service.get_member(db, caller.tenant_id, caller.require_member())
    return MemberOut.model_validate(member)


@router.patch("/members/me/privacy", summary="Hide from the boards, or show under an alias")
async def update_my_privacy(body: PrivacyUpdate, caller: MemberDep, db: SessionDep) -> MemberOut:
    """Hidden members still see their own rank; everyone else sees neither name nor score."""
    member = await service.update_privacy(db, caller.tenant_id, caller.require_member(), body)
    return MemberOut.model_validate(member)


@router.get(
    "/members/{user_id}/export",
    summary="Export a member's gamification data (tenant admin, or the member itself)",
)
async def export_member_data(
    user_id: uuid.UUID, caller: MemberDep, db: SessionDep, directory: DirectoryDep
) -> MemberExport:
    """Every row held about the member: profile, events, progress and unlocks, standings,
    referral codes, visits and conversions, rewards, notifications and showcases. In a
    conversion the member referred, the referee's email and address are left out."""
    if user_id != caller.user_id:
        caller.require_admin()
    return await export_member(db, directory, caller.tenant_id, user_id)


@router.delete(
    "/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Erase a member from gamification (tenant admin, or the member itself)",
)
async def erase_member(
    user_id: uuid.UUID,
    caller: MemberDep,
    db: SessionDep,
    handlers: HandlersDep,
    directory: DirectoryDep,
    claims: ClaimsDep,
) -> None:
    """Removes the member from every board and rank cache, with its progress, unlocks,
    notifications and events. Erasing someone with no activity is not an error."""
    if user_id != caller.user_id:
        caller.require_admin()
    await service.erase_member(db, handlers, directory, claims, caller.tenant_id, user_id)


@router.get("/settings", summary="The tenant's gamification settings (tenant admin)")
async def get_settings(caller: AdminDep, db: SessionDep) -> SettingsOut:
    return SettingsOut.model_validate(await service.tenant_settings(db))


@router.patch("/settings", summary="Change the tenant's gamification settings (tenant admin)")
async def update_settings(body: SettingsUpdate, caller: AdminDep, db: SessionDep) -> SettingsOut:
    return SettingsOut.model_validate(await service.update_settings(db, caller.tenant_id, body))
