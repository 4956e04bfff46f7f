"""``/api/v1/gamification/referrals``: programs, members' codes, the funnel, conversions and
their review.

Server-side calls (clicks, signups, conversions, refunds) take a tenant API key or a tenant
admin's token; members see only their own codes and rewards.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, status

from bizosaas.gamification.dependencies import (
    AdminDep,
    CallerDep,
    ConversionsDep,
    DirectoryDep,
    MemberDep,
    ReferralCodesDep,
    ReviewDep,
    SessionDep,
    ShareLinksDep,
    ViewReferralsDep,
    visitor_ip,
)
from bizosaas.gamification.referrals import programs
from bizosaas.gamification.referrals.schemas import (
    ClickIn,
    CodeOut,
    ConversionIn,
    ConversionOut,
    ConversionPage,
    GenerateCode,
    LinkVisit,
    LinkVisitIn,
    MemberReferrals,
    ProgramCreate,
    ProgramOut,
    ProgramUpdate,
    ReferralDashboard,
    ReviewNote,
    SignupIn,
    VisitOut,
)

router = APIRouter(prefix="/api/v1/gamification/referrals", tags=["referrals"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such object here"}}


# -- programs (tenant admin) ------------------------------------------------------------


@router.post("/programs", status_code=status.HTTP_201_CREATED, summary="Create a program")
async def create_program(body: ProgramCreate, caller: AdminDep, db: SessionDep) -> ProgramOut:
    """Double-sided rewards (`amount` > 0 in points, credit or USD), optional tiers by the
    number of approved referrals, attribution window, hold period and caps."""
    return await programs.create_program(db, body)


@router.get("/programs", summary="The tenant's programs (tenant admin)")
async def list_programs(
    caller: AdminDep,
    db: SessionDep,
    status: Annotated[str | None, Query(pattern="^(draft|active|paused|archived)$")] = None,
) -> list[ProgramOut]:
    return await programs.list_programs(db, status)


@router.get("/programs/{program_id}", summary="One program (tenant admin)", responses=NOT_FOUND)
async def get_program(program_id: uuid.UUID, caller: AdminDep, db: SessionDep) -> ProgramOut:
    return programs.out(await programs.find_program(db, program_id))


@router.patch("/programs/{program_id}", summary="Change a program (tenant admin)")
async def update_program(
    program_id: uuid.UUID, body: ProgramUpdate, caller: AdminDep, db: SessionDep
) -> ProgramOut:
    """Only the fields sent change. An archived program is final."""
    return await programs.update_program(db, program_id, body)


@router.delete(
    "/programs/{program_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a program without conversions (tenant admin)",
    responses={409: {"description": "The program has conversions; archive it instead"}},
)
async def delete_program(program_id: uuid.UUID, caller: AdminDep, db: SessionDep) -> None:
    await programs.delete_program(db, program_id)


# -- codes ------------------------------------------------------------------------------


@router.post("/generate", summary="My referral code and share link")
async def generate_code(
    codes: ReferralCodesDep, caller: MemberDep, db: SessionDep, body: GenerateCode | None = None
) -> CodeOut:
    """The same code every time for one program (the tenant's single active program unless
    `program_id` is sent); a deactivated code is replaced by a fresh one."""
    return await codes.generate(db, caller, body.program_id if body else None)


@router.get("/me", summary="My referral dashboard (view_referrals)")
async def my_dashboard(
    codes: ReferralCodesDep, caller: ViewReferralsDep, db: SessionDep
) -> ReferralDashboard:
    """Each active program with my code and share link (none until I ask for one), my funnel
    (clicks, signups, conversions by status) and how far the next tier is."""
    return await codes.dashboard(db, caller)


@router.get("/codes/mine", summary="My referral codes (view_referrals)")
async def my_codes(
    codes: ReferralCodesDep, caller: ViewReferralsDep, db: SessionDep
) -> list[CodeOut]:
    return await codes.my_codes(db, caller)


@router.post(
    "/codes/{code_id}/deactivate",
    summary="Deactivate a code (its owner or a tenant admin)",
    responses=NOT_FOUND,
)
async def deactivate_code(
    codes: ReferralCodesDep, code_id: uuid.UUID, caller: CallerDep, db: SessionDep
) -> CodeOut:
    return await codes.deactivate(db, caller, code_id)


# -- the funnel (API key or tenant admin) -----------------------------------------------


@router.post(
    "/clicks",
    status_code=status.HTTP_201_CREATED,
    summary="Record a click on a share link",
    responses=NOT_FOUND,
)
async def record_click(
    conversions: ConversionsDep, body: ClickIn, caller: CallerDep, db: SessionDep
) -> VisitOut:
    return await conversions.record_visit(db, caller, body)


@router.post(
    "/signups",
    status_code=status.HTTP_201_CREATED,
    summary="Record a signup with a code",
    responses=NOT_FOUND,
)
async def record_signup(
    conversions: ConversionsDep, body: SignupIn, caller: CallerDep, db: SessionDep
) -> VisitOut:
    return await conversions.record_visit(db, caller, body)


@router.post(
    "/track-conversion",
    status_code=status.HTTP_201_CREATED,
    summary="Record a conversion (API key or tenant admin)",
    responses={
        200: {"description": "The referee had already converted: the existing conversion"},
        400: {"description": "Program not active, or outside the attribution window"},
        404: {"description": "Unknown code, program or referee"},
    },
)
async def track_conversion(
    conversions: ConversionsDep,
    response: Response,
    body: ConversionIn,
    caller: CallerDep,
    db: SessionDep,
) -> ConversionOut:
    """Once per (program, referee), however often or concurrently it is sent. The conversion
    is scored for fraud: low risk is approved and rewarded at once, high risk rejected, the
    rest waits for review. Every reason is listed with its weight."""
    conversion = await conversions.track_conversion(db, caller, body)
    if not conversion.created:
        response.status_code = status.HTTP_200_OK
    return conversion


@router.post(
    "/conversions/{conversion_id}/refund",
    summary="The referee's purchase was refunded: claw back (API key or tenant admin)",
    responses=NOT_FOUND,
)
async def refund_conversion(
    review: ReviewDep,
    conversion_id: uuid.UUID,
    caller: CallerDep,
    db: SessionDep,
    body: ReviewNote | None = None,
) -> ConversionOut:
    return await review.refund(db, caller, conversion_id, body.note if body else None)


# -- review (tenant admin) --------------------------------------------------------------


@router.get("/review", summary="Conversions by status, newest first (tenant admin)")
async def review_queue(
    review: ReviewDep,
    caller: AdminDep,
    db: SessionDep,
    status: Annotated[str | None, Query(pattern="^(approved|review|rejected|refunded)$")] = (
        "review"
    ),
) -> ConversionPage:
    return ConversionPage(conversions=await review.list_conversions(db, caller, status))


@router.get(
    "/members/{user_id}",
    summary="A member's referral tree and fraud flags (tenant admin)",
    responses={404: {"description": "Another tenant's, or no such member"}},
)
async def member_referrals(
    user_id: uuid.UUID,
    review: ReviewDep,
    caller: AdminDep,
    db: SessionDep,
    directory: DirectoryDep,
) -> MemberReferrals:
    """Who referred the member, whom they referred and whom those referred, and their
    conversions that were held for review or rejected, with the reasons."""
    await directory.member_of(caller.tenant_id, user_id)
    return await review.member_tree(db, user_id)


@router.post(
    "/conversions/{conversion_id}/{decision}",
    summary="Approve or reject a conversion (tenant admin)",
    responses={**NOT_FOUND, 409: {"description": "Already decided that way, or refunded"}},
)
async def decide_conversion(
    review: ReviewDep,
    conversion_id: uuid.UUID,
    decision: Literal["approve", "reject"],
    caller: AdminDep,
    db: SessionDep,
    body: ReviewNote | None = None,
) -> ConversionOut:
    """`approve` grants its rewards; `reject` refuses it, and claws back the rewards of one
    that was approved. Rejecting a conversion the scoring rejected confirms it as the
    admin's verdict. Verdicts teach the fraud scoring of other tenants, as keyed hashes of
    the device, the address and the email domain only."""
    decide = review.approve if decision == "approve" else review.reject
    return await decide(db, caller, conversion_id, body.note if body else None)


public_router = APIRouter(prefix="/api/v1/gamification/public/referrals", tags=["referrals"])


@public_router.post(
    "/visits",
    status_code=status.HTTP_201_CREATED,
    summary="A visitor opened a share link (no login; the login screen's /r/{code})",
    responses={404: {"description": "No such active code, or its program is not open"}},
)
async def visit_link(request: Request, body: LinkVisitIn, links: ShareLinksDep) -> LinkVisit:
    """Records a click with the visitor's address and first-party device id, and says where
    to sign up: the code's tenant (codes are unique across tenants), its program and the
    referrer's first name, and whether the tenant lets newcomers sign themselves up."""
    return await links.visit(body.code, visitor_ip(request), body.device_id)
