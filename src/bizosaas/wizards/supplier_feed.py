"""A supplier's product feed, CSV or JSON, read row by row.

Each row becomes a :class:`Product` or a line saying what is wrong with it ("Row 4:
supplier_price: …"); a feed with any bad row is refused whole, with every row's problem
listed (up to :data:`SHOWN`), so the tenant fixes the file once rather than row after row.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

MAX_ROWS = 500
SHOWN = 20
REGIONS = {
    "EU": "the European Union",
    "UK": "the United Kingdom",
    "US": "the United States",
    "IN": "India",
    "worldwide": "anywhere",
}


class Product(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    sku: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    supplier_price: Decimal = Field(gt=0, le=1_000_000, decimal_places=2)
    ships_to: list[str] = Field(min_length=1)
    image_url: str | None = Field(None, max_length=500, pattern=r"^https://\S+$")
    stock: int | None = Field(None, ge=0, le=10_000_000)

    @field_validator("ships_to", mode="before")
    @classmethod
    def _regions(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.replace(";", "|").split("|") if part.strip()]
        if isinstance(value, list):
            unknown = [v for v in value if v not in REGIONS]
            if unknown:
                raise ValueError(f"unknown region {unknown[0]!r} (use {', '.join(REGIONS)})")
        return value

    @field_validator("image_url", "stock", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value


class FeedRefused(ValueError):
    pass


def read_feed(text: str, kind: str) -> list[Product]:
    """Every product of the feed, or :class:`FeedRefused` listing each bad row."""
    rows = _rows(text, kind)
    if len(rows) > MAX_ROWS:
        raise FeedRefused(f"The feed has {len(rows)} rows; at most {MAX_ROWS} are read at once.")
    products: list[Product] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2 if kind == "csv" else 1):
        try:
            product = Product.model_validate(row)
        except ValidationError as refused:
            first = refused.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "row"
            problems.append(f"Row {number}: {where}: {first['msg'].removeprefix('Value error, ')}")
            continue
        if product.sku in seen:
            problems.append(f"Row {number}: sku: {product.sku!r} appears twice")
            continue
        seen.add(product.sku)
        products.append(product)
    if problems:
        more = f"\n…and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
        raise FeedRefused(
            f"{len(problems)} of {len(rows)} rows need fixing:\n"
            + "\n".join(problems[:SHOWN])
            + more
        )
    if not products:
        raise FeedRefused("The feed has no products.")
    return products


def _rows(text: str, kind: str) -> list[dict[str, Any]]:
    if kind == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FeedRefused(f"This is not JSON (line {exc.lineno}: {exc.msg}).") from None
        if isinstance(data, dict) and isinstance(data.get("products"), list):
            data = data["products"]
        if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
            raise FeedRefused(
                'A JSON feed is a list of products (objects), or {"products": [...]}.'
            )
        return data
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = {"sku", "title", "supplier_price", "ships_to"} - set(reader.fieldnames or ())
    if missing:
        raise FeedRefused(f"The CSV header lacks {', '.join(sorted(missing))}.")
    try:
        return [dict(row) for row in reader]
    except csv.Error as exc:
        raise FeedRefused(f"This CSV cannot be read: {exc}.") from None
