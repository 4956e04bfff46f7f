"""Events as clients send them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from bizosaas.core.schemas import FromRow

EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"
MAX_BATCH = 1000
MAX_PROPERTIES = 50
MAX_PROPERTY_BYTES = 4096

PropertyValue = str | int | float | bool | None | list[str | int | float]


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: Annotated[
        str,
        Field(
            min_length=1,
            max_length=128,
            pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$",
            description="Chosen by the client; the same id twice is stored and counted once.",
        ),
    ]
    type: Annotated[
        str,
        Field(
            max_length=64,
            pattern=EVENT_TYPE_PATTERN,
            examples=["campaign.launched", "order.completed"],
        ),
    ]
    user_id: uuid.UUID | None = Field(
        default=None, description="The acting member; a member's own token may omit it."
    )
    properties: dict[str, PropertyValue] = Field(default_factory=dict)
    occurred_at: AwareDatetime | None = Field(
        default=None, description="When it happened (default: when received)."
    )

    @field_validator("properties")
    @classmethod
    def _bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > MAX_PROPERTIES:
            raise ValueError(f"at most {MAX_PROPERTIES} properties")
        for key, item in value.items():
            if not key or len(key) > 64:
                raise ValueError("property names are 1 to 64 characters")
            if isinstance(item, str) and len(item) > 512:
                raise ValueError(f"property {key!r} is longer than 512 characters")
            if isinstance(item, list) and len(item) > 50:
                raise ValueError(f"property {key!r} has more than 50 items")
        return value


class EventBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: Annotated[list[EventIn], Field(min_length=1, max_length=MAX_BATCH)]


class EventResult(BaseModel):
    event_id: str
    status: str = Field(description="accepted, or duplicate (already stored; not counted again)")


class IngestResult(BaseModel):
    accepted: int
    duplicates: int
    events: list[EventResult]


class EventOut(FromRow):
    event_id: str
    type: str
    user_id: uuid.UUID
    properties: dict[str, Any]
    occurred_at: datetime
    received_at: datetime
    source: str
    status: str
    processed_at: datetime | None


class EventPage(BaseModel):
    events: list[EventOut]
    next_cursor: str | None


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: AwareDatetime | None = Field(
        default=None,
        description="Keep leaderboard periods that ended before this instant; achievement "
        "progress is always rebuilt in full.",
    )


class ReplayStatus(BaseModel):
    state: str = Field(description="running, done or failed")
    done: int
    total: int
    since: datetime | None
    started_at: datetime
    finished_at: datetime | None
    error: str | None = None
