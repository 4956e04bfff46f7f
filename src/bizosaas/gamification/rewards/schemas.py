"""Rewards as members and tenant admins see them."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from bizosaas.core.schemas import FromRow

# unapproved: waiting for a tenant admin; pending: held until available_at; available;
# paid; reversed: cancelled by a clawback entry
State = Literal["unapproved", "pending", "available", "paid", "reversed"]
Kind = Literal["referrer", "referee", "tier", "clawback"]


class RewardEntryOut(FromRow):
    id: uuid.UUID
    user_id: uuid.UUID
    kind: str  # referrer, referee, tier, clawback
    amount: Decimal
    unit: str
    grant_key: str
    reverses_id: uuid.UUID | None
    source_type: str
    source_id: uuid.UUID | None
    status: State
    available_at: datetime | None
    note: str | None
    decided_by: uuid.UUID | None = Field(description="The admin who approved or paid it")
    decided_at: datetime | None
    created_at: datetime


class Balance(BaseModel):
    unit: str
    available: Decimal = Decimal(0)
    pending: Decimal = Field(default=Decimal(0), description="Held, or waiting for approval")
    total: Decimal = Field(default=Decimal(0), description="Available and pending: still owed")
    paid: Decimal = Field(default=Decimal(0), description="Paid out so far")


class RewardsOut(BaseModel):
    user_id: uuid.UUID
    balances: list[Balance]
    entries: list[RewardEntryOut]


class LedgerEntryOut(RewardEntryOut):
    display_name: str | None = Field(description="The member's name, if they took part")


class LedgerTotal(BaseModel):
    status: State
    unit: str
    entries: int
    amount: Decimal


class LedgerPage(BaseModel):
    entries: list[LedgerEntryOut]
    next_cursor: str | None
    totals: list[LedgerTotal] = Field(description="By status and unit, under the same filters")


class RewardDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entry_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=200)]
    note: Annotated[str | None, Field(max_length=500)] = None


class DecisionOut(BaseModel):
    entries: list[RewardEntryOut]
