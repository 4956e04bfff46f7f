"""Referral programs: a tenant admin's CRUD, checked as a whole before anything is stored."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import utcnow
from bizosaas.core.errors import BadRequest, Conflict, NotFound
from bizosaas.gamification.referrals.models import ReferralProgram
from bizosaas.gamification.referrals.repository import ProgramRepository
from bizosaas.gamification.referrals.schemas import ProgramCreate, ProgramOut, ProgramUpdate


def _stored(body: ProgramCreate | ProgramUpdate, fields: set[str]) -> dict[str, Any]:
    """The JSON-typed columns as stored (amounts as exact decimal strings)."""
    dumped = body.model_dump(mode="json", include=fields)
    python = body.model_dump(include=fields)
    values: dict[str, Any] = {}
    for name in fields:
        if name in ("referrer_reward", "referee_reward", "tiers", "cap_per_period"):
            values[name] = dumped[name]
        else:
            values[name] = python[name]
    if "referee_reward" in values and values["referee_reward"] is None:
        values["referee_reward"] = {}
    return values


def out(program: ReferralProgram) -> ProgramOut:
    result = ProgramOut.model_validate(program)
    if not program.referee_reward:
        result.referee_reward = None
    return result


async def create_program(db: AsyncSession, body: ProgramCreate) -> ProgramOut:
    now = utcnow()
    program = ReferralProgram(
        id=uuid.uuid4(),
        created_at=now,
        updated_at=now,
        **_stored(body, set(ProgramCreate.model_fields)),
    )
    ProgramRepository(db).add(program)
    await db.flush()
    return out(program)


async def find_program(
    db: AsyncSession, program_id: uuid.UUID, *, lock: bool = False
) -> ReferralProgram:
    program = await ProgramRepository(db).by_id(program_id, lock=lock)
    if program is None:
        raise NotFound("No such referral program.")
    return program


async def list_programs(db: AsyncSession, status: str | None) -> list[ProgramOut]:
    return [out(p) for p in await ProgramRepository(db).list_programs(status)]


async def update_program(
    db: AsyncSession, program_id: uuid.UUID, body: ProgramUpdate
) -> ProgramOut:
    program = await find_program(db, program_id, lock=True)
    changes = _stored(body, set(body.model_fields_set))
    if program.status == "archived" and changes:
        raise BadRequest("An archived program cannot be changed; create a new one.")
    starts: datetime | None = changes.get("starts_at", program.starts_at)
    ends: datetime | None = changes.get("ends_at", program.ends_at)
    if starts and ends and ends <= starts:
        raise BadRequest("ends_at must be after starts_at.")
    for name, value in changes.items():
        setattr(program, name, value)
    program.updated_at = utcnow()
    await db.flush()
    return out(program)


async def delete_program(db: AsyncSession, program_id: uuid.UUID) -> None:
    program = await find_program(db, program_id, lock=True)
    if await ProgramRepository(db).has_conversions(program_id):
        raise Conflict("The program has conversions; archive it instead.")
    await db.delete(program)
    await db.flush()


def check_open(program: ReferralProgram, at: datetime) -> None:
    """Only an active program within its dates takes codes and conversions."""
    if program.status != "active":
        raise BadRequest(f"The referral program is {program.status}, not active.")
    if program.starts_at and at < program.starts_at:
        raise BadRequest("The referral program has not started yet.")
    if program.ends_at and at >= program.ends_at:
        raise BadRequest("The referral program has ended.")
