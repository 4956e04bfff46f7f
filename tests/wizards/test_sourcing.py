"""The product sourcing wizard through the API: a supplier's feed read row by row, the
candidates that fit the criteria priced at the margin, and, with no e-commerce upstream
configured here, the finished draft kept with its products to send later."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from bizosaas.wizards.sourcing import price_of
from tests.gamification.factories import Org

W = "/api/v1/wizards"
FEED = """sku,title,supplier_price,ships_to,image_url,stock
MUG-1,Bamboo mug,12.00,EU|UK,https://cdn.example.com/mug.jpg,40
PAN-2,Copper pan,80.00,EU,,5
BOX-3,Lunch box,9.50,US,,
JAR-4,Glass jar,6.20,worldwide,,120
"""


@pytest.mark.parametrize(
    ("cost", "margin", "ending", "price"),
    [
        ("12.00", 40, "99", "20.99"),  # exactly 20.00 would be the margin: the next .99
        ("9.50", 35, "99", "14.99"),
        ("9.50", 35, "00", "15"),
        ("9.50", 35, "exact", "14.62"),
    ],
)
def test_a_price_keeps_at_least_the_margin(cost: str, margin: int, ending: str, price: str) -> None:
    found = price_of(Decimal(cost), margin, ending)
    assert found == Decimal(price)
    assert (found - Decimal(cost)) / found >= Decimal(margin) / 100 - Decimal("0.0005")


async def start(org: Org) -> tuple[str, Any]:
    started = await org.client.post(f"{W}/product-sourcing/drafts", headers=org.admin.headers)
    draft = started.json()["id"]

    async def put(step: str, answer: dict[str, Any]) -> Any:
        return await org.client.put(
            f"{W}/drafts/{draft}/steps/{step}", json=answer, headers=org.admin.headers
        )

    assert (await put("niche", {"niche": "Zero-waste kitchen", "category": "home"})).is_success
    criteria = {
        "currency": "EUR",
        "min_cost": 5,
        "max_cost": 50,
        "target_margin": 40,
        "region": "EU",
    }
    assert (await put("criteria", criteria)).is_success
    return draft, put


async def test_the_candidates_that_fit_are_priced_and_kept_to_send_later(org: Org) -> None:
    draft, put = await start(org)
    read = await put("candidates", {"format": "csv", "feed": FEED})
    assert read.status_code == 200, read.text
    assert len(read.json()["answers"]["candidates"]["products"]) == 4
    assert "feed" not in read.json()["answers"]["candidates"]  # the products, not the file
    pricing = next(s for s in read.json()["steps"] if s["key"] == "pricing")["json_schema"]
    offered = pricing["properties"]["products"]
    assert offered["items"]["enum"] == ["MUG-1", "JAR-4"]  # too dear, or not shipped to the EU
    assert "price 20.99 EUR" in offered["x-labels"]["MUG-1"]
    refused = await put("pricing", {"products": ["PAN-2"], "margin": 40, "ending": "99"})
    assert refused.status_code == 422
    chosen = await put("pricing", {"products": ["MUG-1", "JAR-4"], "margin": 40, "ending": "99"})
    assert chosen.status_code == 200 and chosen.json()["next_step"] is None

    finished = await org.client.post(f"{W}/drafts/{draft}/finish", headers=org.admin.headers)
    assert finished.status_code == 200, finished.text
    body = finished.json()
    assert body["status"] == "waiting"
    assert body["outcome"]["summary"] == "2 products are ready, kept here to send to your store."
    assert "BIZOSAAS_UPSTREAM_ECOMMERCE" in body["outcome"]["waiting"]
    again = await org.client.post(f"{W}/drafts/{draft}/finish", headers=org.admin.headers)
    assert again.json()["status"] == "waiting"  # "Send now": still nowhere to send them
    listed = await org.client.get(f"{W}/drafts", headers=org.admin.headers)
    assert [d["status"] for d in listed.json()["drafts"]] == ["waiting"]


async def test_a_feed_is_refused_with_each_bad_row_named(org: Org) -> None:
    _, put = await start(org)
    bad = FEED + "CUP-5,Cup,not-a-price,EU,,\nCUP-6,Cup,3.00,Mars,,\nMUG-1,Again,4.00,EU,,\n"
    refused = await put("candidates", {"format": "csv", "feed": bad})
    assert refused.status_code == 422
    message = refused.json()["detail"][0]["msg"]
    assert message.startswith("3 of 7 rows need fixing:")
    assert "Row 6: supplier_price:" in message
    assert "Row 7: ships_to: unknown region 'Mars'" in message
    assert "Row 8: sku: 'MUG-1' appears twice" in message
    headerless = await put("candidates", {"format": "csv", "feed": "a,b\n1,2\n"})
    assert "The CSV header lacks" in headerless.json()["detail"][0]["msg"]
    garbled = await put("candidates", {"format": "json", "feed": "[{"})
    assert "This is not JSON" in garbled.json()["detail"][0]["msg"]
    nothing = await put("candidates", {"format": "csv"})
    assert "Upload your supplier's feed" in nothing.json()["detail"][0]["msg"]


async def test_a_json_feed_with_nothing_that_fits_is_refused(org: Org) -> None:
    _, put = await start(org)
    feed = json.dumps(
        {"products": [{"sku": "X", "title": "Yacht", "supplier_price": 9000, "ships_to": ["EU"]}]}
    )
    refused = await put("candidates", {"format": "json", "feed": feed})
    assert refused.status_code == 422
    assert "None of the 1 products fits your criteria" in refused.json()["detail"][0]["msg"]
