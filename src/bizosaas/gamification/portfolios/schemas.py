"""Showcase portfolios as clients write and read them."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from bizosaas.core.schemas import Patch

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,118}$"
Status = Literal["draft", "published", "archived"]
Slug = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=119)]
Title = Annotated[str, Field(min_length=1, max_length=200)]
LongText = Annotated[str, Field(max_length=20_000)]
SeoTitle = Annotated[str, Field(max_length=70)]
SeoDescription = Annotated[str, Field(max_length=160)]
ShareText = Annotated[str, Field(max_length=500)]
Value = Annotated[Decimal, Field(max_digits=20, decimal_places=4)]


class MetricIn(BaseModel):
    """A before/after figure; the list's order is the order shown."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=100)]
    unit: Annotated[str, Field(max_length=32)] = ""
    before_value: Value | None = None
    after_value: Value | None = None


class MetricOut(BaseModel):
    name: str
    unit: str
    before_value: float | None
    after_value: float | None
    position: int


class PortfolioCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    user_id: uuid.UUID | None = Field(
        default=None, description="The member it showcases; none for the tenant itself"
    )
    summary: LongText = ""
    challenge: LongText = ""
    solution: LongText = ""
    results: LongText = ""
    slug: Slug | None = Field(default=None, description="Generated from the title when left out")
    seo_title: SeoTitle = ""
    seo_description: SeoDescription = ""
    share_text: ShareText = ""
    metrics: Annotated[list[MetricIn], Field(max_length=20)] = Field(default_factory=list)


class PortfolioUpdate(Patch):
    """Only the fields sent change; `metrics`, when sent, replaces the whole list."""

    title: Title | None = None
    summary: LongText | None = None
    challenge: LongText | None = None
    solution: LongText | None = None
    results: LongText | None = None
    slug: Slug | None = None
    seo_title: SeoTitle | None = None
    seo_description: SeoDescription | None = None
    share_text: ShareText | None = None
    metrics: Annotated[list[MetricIn], Field(max_length=20)] | None = None


class GenerateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID | None = Field(
        default=None, description="A member of this tenant; none for the tenant itself"
    )
    title: Title | None = None


class PortfolioText(BaseModel):
    """The words of a portfolio (what the generator drafts)."""

    title: str
    summary: str
    challenge: str
    solution: str
    results: str
    seo_title: str
    seo_description: str
    share_text: str


class PublicPortfolio(PortfolioText):
    """What anyone may read: no member ids, no emails."""

    slug: str
    published_at: datetime | None
    metrics: list[MetricOut]


class Post(BaseModel):
    network: Literal["x", "linkedin", "facebook", "instagram"]
    text: str
    limit: int = Field(description="The network's length limit, which the text keeps to")


class PublicShowcase(PublicPortfolio):
    """A published portfolio for its public page: with who it is by."""

    organisation: str = Field(description="The tenant's display name")


class PortfolioOut(PublicPortfolio):
    id: uuid.UUID
    user_id: uuid.UUID | None
    status: Status
    created_at: datetime
    updated_at: datetime
    public_path: str | None = Field(description="The published portfolio as JSON, no login")
    public_url: str | None = Field(
        description="Its public page (by the tenant's slug), to share; set once published"
    )
