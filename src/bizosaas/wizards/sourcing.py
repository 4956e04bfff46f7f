"""The product sourcing wizard (5 steps) for the e-commerce platform: the niche, the
sourcing criteria, candidate products from the supplier's feed, pricing, then the review
and sending them to the e-commerce upstream (Saleor) through the gateway.

The feed is the tenant's upload, CSV or JSON, checked row by row (:mod:`.supplier_feed`);
the draft keeps the products it read, not the file. The candidates are the products that
fit the criteria (price range, shipping region); pricing works out each one's price from
its cost and the target margin. When the e-commerce upstream is not configured (or does
not answer), the finished draft is kept, with its products, to send later.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from bizosaas.wizards.applying import Finishing, NotApplied
from bizosaas.wizards.engine import Outcome, Step, Wizard, labelled
from bizosaas.wizards.supplier_feed import REGIONS, FeedRefused, Product, read_feed

ECOMMERCE = "/api/v1/ecommerce/products/import"
CURRENCIES = {"USD": "US dollars", "EUR": "Euros", "GBP": "Pounds sterling", "INR": "Rupees"}
CATEGORIES = {
    "fashion": "Fashion and accessories",
    "home": "Home and garden",
    "beauty": "Health and beauty",
    "electronics": "Electronics",
    "sports": "Sports and outdoors",
    "toys": "Toys and games",
    "pets": "Pet supplies",
    "other": "Something else",
}


class Niche(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    niche: str = Field(
        title="Niche", description="Who you sell to, e.g. eco-friendly kitchenware", max_length=100
    )
    category: Literal[
        "fashion", "home", "beauty", "electronics", "sports", "toys", "pets", "other"
    ] = Field(title="Category", json_schema_extra=labelled(CATEGORIES))

    @field_validator("niche")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value:
            raise ValueError("Name your niche.")
        return value


class Criteria(BaseModel):
    model_config = ConfigDict(extra="forbid")

    currency: Literal["USD", "EUR", "GBP", "INR"] = Field(
        "USD", title="Currency", json_schema_extra=labelled(CURRENCIES)
    )
    min_cost: Decimal = Field(Decimal(1), ge=0, le=1_000_000, title="Lowest supplier price")
    max_cost: Decimal = Field(Decimal(100), gt=0, le=1_000_000, title="Highest supplier price")
    target_margin: int = Field(
        35, ge=1, le=90, title="Target margin (%)", description="of the selling price"
    )
    region: Literal["EU", "UK", "US", "IN", "worldwide"] = Field(
        "EU", title="You ship to", json_schema_extra=labelled(REGIONS)
    )

    @model_validator(mode="after")
    def _range(self) -> Criteria:
        if self.max_cost <= self.min_cost:
            raise ValueError("The highest price must be above the lowest.")
        return self

    def fits(self, product: Product) -> bool:
        ships = self.region == "worldwide" or self.region in product.ships_to
        ships = ships or "worldwide" in product.ships_to
        return self.min_cost <= product.supplier_price <= self.max_cost and ships


class Candidates(BaseModel):
    """The supplier's feed (CSV or JSON): read row by row, kept as its products."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["csv", "json"] = Field(
        "csv", title="Feed format", json_schema_extra=labelled({"csv": "CSV", "json": "JSON"})
    )
    feed: str | None = Field(
        None,
        exclude=True,
        max_length=900_000,
        title="Supplier feed",
        description="A file of at most 900 kB and 500 rows; columns sku, title, "
        "supplier_price, ships_to (EU|UK|US|IN|worldwide), optionally image_url and stock",
        json_schema_extra={"x-input": "file"},
    )
    products: list[Product] = Field(
        default_factory=list, max_length=500, json_schema_extra={"x-input": "none"}
    )

    @field_validator("feed")
    @classmethod
    def _readable(cls, feed: str | None, info: ValidationInfo) -> str | None:
        """Each bad row, beside the feed (read again below: a few ms for 500 rows)."""
        if feed:
            try:
                read_feed(feed, info.data.get("format", "csv"))
            except FeedRefused as refused:
                raise PydanticCustomError("feed", str(refused)) from None
        return feed

    @model_validator(mode="after")
    def _read(self, info: ValidationInfo) -> Candidates:
        if self.feed:
            self.products = read_feed(self.feed, self.format)
            self.feed = None
        if not self.products:
            raise ValueError("Upload your supplier's feed.")
        answers: Mapping[str, Any] = (info.context or {}).get("answers", {})
        if "criteria" in answers:
            criteria = Criteria.model_validate(answers["criteria"])
            if not any(criteria.fits(p) for p in self.products):
                raise ValueError(
                    f"None of the {len(self.products)} products fits your criteria (price "
                    f"{criteria.min_cost} to {criteria.max_cost}, shipping to {criteria.region})."
                )
        return self


def candidates(answers: Mapping[str, Any]) -> list[Product]:
    criteria = Criteria.model_validate(answers["criteria"])
    found = Candidates.model_validate(answers["candidates"]).products
    return [p for p in found if criteria.fits(p)]


def price_of(cost: Decimal, margin: int, ending: str) -> Decimal:
    """The selling price that leaves ``margin`` percent of it after the cost."""
    raw = cost / (1 - Decimal(margin) / 100)
    if ending == "99":  # the first price ending in .99 that keeps the margin
        cent = Decimal("0.01")
        return (raw + cent).quantize(Decimal(1), rounding=ROUND_CEILING) - cent
    if ending == "00":
        return raw.quantize(Decimal(1), rounding=ROUND_CEILING)
    return raw.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class Pricing(BaseModel):
    """How to price the products chosen (``products`` is made per draft: its candidates)."""

    model_config = ConfigDict(extra="forbid")

    products: list[str] = Field(min_length=1, title="Products to list")
    margin: int = Field(35, ge=1, le=90, title="Margin (%)")
    ending: Literal["99", "00", "exact"] = Field(
        "99",
        title="Prices end in",
        json_schema_extra=labelled({"99": ".99", "00": ".00", "exact": "Exactly the margin"}),
    )


def pricing_for(answers: Mapping[str, Any]) -> type[BaseModel]:
    """Which candidates to list and how to price them; the choice of products follows the
    feed and the criteria, each labelled with its cost and worked-out price."""
    found = candidates(answers)
    if not found:
        raise KeyError("candidates")  # nothing to price until candidates fit the criteria
    margin = int(answers["criteria"]["target_margin"])
    currency = answers["criteria"]["currency"]
    labels = {
        p.sku: f"{p.title} ({p.sku}): cost {p.supplier_price}, "
        f"price {price_of(p.supplier_price, margin, '99')} {currency}"
        for p in found
    }
    chosen = Field(
        default=list(labels),
        min_length=1,
        title="Products to list",
        description=f"{len(found)} candidates fit your criteria (prices at {margin}% shown)",
        json_schema_extra=labelled(labels),
    )
    skus: Any = Literal[tuple(labels)]  # type: ignore[valid-type]
    return create_model(
        "Pricing",
        __base__=Pricing,
        products=(list[skus], chosen),
        margin=(int, Field(margin, ge=1, le=90, title="Margin (%)")),
    )


def priced(answers: Mapping[str, Any]) -> list[dict[str, Any]]:
    pricing = answers["pricing"]
    chosen = set(pricing["products"])
    currency = answers["criteria"]["currency"]
    return [
        {
            **p.model_dump(mode="json", exclude={"supplier_price"}),
            "cost": str(p.supplier_price),
            "price": str(price_of(p.supplier_price, pricing["margin"], pricing["ending"])),
            "currency": currency,
        }
        for p in candidates(answers)
        if p.sku in chosen
    ]


async def send(finishing: Finishing) -> Outcome:
    answers = finishing.answers
    products = priced(answers)
    if not products:
        raise NotApplied(
            "None of the products chosen fits the criteria any more: price them again."
        )
    body = {
        "source": "bizosaas-product-sourcing",
        "niche": answers["niche"]["niche"],
        "category": answers["niche"]["category"],
        "products": products,
    }
    done = [f"{len(products)} products priced at a {answers['pricing']['margin']}% margin"]
    not_sent = await finishing.send_elsewhere("The e-commerce platform", ECOMMERCE, body)
    if not_sent is not None:
        return Outcome(
            summary=f"{len(products)} products are ready, kept here to send to your store.",
            done=done,
            waiting=f"Your store (Saleor) cannot take them yet: {not_sent} Send them once "
            "it is connected; nothing is sent twice.",
        )
    return Outcome(
        summary=f"{len(products)} products are sent to your store.",
        done=[*done, "Sent to the e-commerce platform (Saleor)"],
    )


SOURCING = Wizard(
    key="product-sourcing",
    title="Product sourcing",
    summary="Pick products from your supplier's feed that fit your niche and margin, priced "
    "and sent to your store.",
    steps=(
        Step("niche", "Niche and category", Niche),
        Step("criteria", "Sourcing criteria", Criteria),
        Step("candidates", "Candidate products", Candidates),
        Step("pricing", "Pricing", pricing_for),
    ),
    finish=send,
    finish_label="Send to my store",
)
