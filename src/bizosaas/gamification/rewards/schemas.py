"""Rewards as members and tenant admins see them."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel

from bizosaas.core.schemas import FromRow


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
    status: str  # pending (held), available, reversed
    available_at: datetime | None
    note: str | None
    created_at: datetime


class Balance(BaseModel):
    unit: str
    available: Decimal = Decimal(0)
    pending: Decimal = Decimal(0)
    total: Decimal = Decimal(0)


class RewardsOut(BaseModel):
    user_id: uuid.UUID
    balances: list[Balance]
    entries: list[RewardEntryOut]
