"""The wizard API (``/api/v1/wizards``): start, get, save a step, finish; for a tenant's own
front end as much as for the admin dashboard's pages."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Response, status
from fastapi.exceptions import RequestValidationError

from bizosaas.wizards.catalogue import WIZARDS, wizard_named
from bizosaas.wizards.dependencies import AdminDep, CallerApiDep, SessionDep, WizardsDep
from bizosaas.wizards.engine import StepRefused
from bizosaas.wizards.models import WizardDraft
from bizosaas.wizards.schemas import DraftList, DraftOut, DraftSummary, WizardOut
from bizosaas.wizards.service import WizardService

router = APIRouter(prefix="/api/v1/wizards", tags=["wizards"])
StepKey = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_-]{0,39}$")]
WizardKey = Annotated[str, Path(pattern=r"^[a-z][a-z0-9-]{0,39}$")]


async def _out(service: WizardService, draft: WizardDraft) -> DraftOut:
    return DraftOut.of(draft, wizard_named(draft.wizard), await service.revealed(draft))


@router.get("", summary="The wizards")
async def list_wizards(_admin: AdminDep) -> list[WizardOut]:
    return [WizardOut.of(wizard) for wizard in WIZARDS.values()]


@router.get("/drafts", summary="My drafts, newest first")
async def list_drafts(admin: AdminDep, db: SessionDep, wizards: WizardsDep) -> DraftList:
    """Open drafts until they expire, and finished ones (with their outcome on each)."""
    drafts = await wizards.listed(db, admin)
    return DraftList(drafts=[DraftSummary.of(d, wizard_named(d.wizard)) for d in drafts])


@router.post(
    "/{wizard}/drafts",
    summary="Start a wizard, or resume my open draft of it",
    responses={200: {"description": "My open draft, resumed"}, 201: {"description": "Started"}},
    status_code=status.HTTP_201_CREATED,
)
async def start(
    wizard: WizardKey, response: Response, admin: AdminDep, db: SessionDep, wizards: WizardsDep
) -> DraftOut:
    draft, new = await wizards.start(db, admin, wizard)
    if not new:
        response.status_code = status.HTTP_200_OK
    return await _out(wizards, draft)


@router.get("/drafts/{draft_id}", summary="One of my drafts")
async def get_draft(
    draft_id: uuid.UUID, admin: AdminDep, db: SessionDep, wizards: WizardsDep
) -> DraftOut:
    """Another person's draft, or an expired one, answers 404."""
    return await _out(wizards, await wizards.get(db, admin, draft_id))


@router.put("/drafts/{draft_id}/steps/{step}", summary="Answer a step (again)")
async def save_step(
    draft_id: uuid.UUID,
    step: StepKey,
    answer: Annotated[dict[str, Any], Body(description="The step's fields (see its json_schema)")],
    admin: AdminDep,
    db: SessionDep,
    wizards: WizardsDep,
) -> DraftOut:
    """Checked against the step's schema: refused, 422 with a message per field and nothing
    kept. Changing an earlier step drops later answers that no longer apply or fit."""
    try:
        draft = await wizards.save_step(db, admin, draft_id, step, answer)
    except StepRefused as refused:
        raise RequestValidationError(
            [
                {"loc": ("body", *where.split(".")), "msg": message, "type": "value_error"}
                for where, message in refused.errors.items()
            ]
        ) from None
    return await _out(wizards, draft)


@router.post(
    "/drafts/{draft_id}/steps/{step}/suggestion",
    summary="A suggested answer to a step (not kept)",
    responses={404: {"description": "The step suggests nothing"}},
)
async def suggest(
    draft_id: uuid.UUID,
    step: StepKey,
    admin: AdminDep,
    db: SessionDep,
    wizards: WizardsDep,
    api: CallerApiDep,
) -> dict[str, Any]:
    """What the platform proposes for the step (the agent's posts…), from the answers before
    it; save it, edited or not, with `PUT …/steps/{step}`."""
    return await wizards.suggest(db, admin, draft_id, step, api)


@router.post(
    "/drafts/{draft_id}/finish",
    summary="Apply the result (once)",
    responses={409: {"description": "A step is unanswered, or a service refused: nothing applied"}},
)
async def finish(
    draft_id: uuid.UUID, admin: AdminDep, db: SessionDep, wizards: WizardsDep, api: CallerApiDep
) -> DraftOut:
    """Applies everything through the services, as the caller, all or nothing. Sent again
    (a double click, another tab), it answers with the same outcome."""
    return await _out(wizards, await wizards.finish(db, admin, draft_id, api))


@router.delete("/drafts/{draft_id}", status_code=204, summary="Discard an open draft")
async def discard(
    draft_id: uuid.UUID, admin: AdminDep, db: SessionDep, wizards: WizardsDep
) -> None:
    await wizards.discard(db, admin, draft_id)
