"""The tenant's reward ledger: listed by status with totals, rewards a program holds for an
admin's approval, payouts, and a refund after a payout (the member then owes it)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from tests.gamification.factories import Org
from tests.gamification.test_referrals import (
    REWARDS,
    balance,
    code_of,
    converted,
    make_program,
    person,
    referee,
    rewards,
)


async def ledger_of(org: Org, **params: str) -> dict[str, Any]:
    response = await org.client.get(f"{REWARDS}/ledger", params=params, headers=org.admin.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def decide(org: Org, decision: str, *entry_ids: str, note: str = "") -> Any:
    body: dict[str, Any] = {"entry_ids": list(entry_ids)}
    if note:
        body["note"] = note
    return await org.client.post(f"{REWARDS}/{decision}", json=body, headers=org.admin.headers)


async def test_rewards_wait_for_approval_then_are_paid_and_a_later_refund_is_owed(
    org: Org,
) -> None:
    await make_program(org, manual_approval=True)
    alice = await person(org, "Alice Archer")
    code = (await code_of(org, alice))["code"]
    bruno = await referee(org)
    key = await org.api_key()
    conversion = await converted(org, key, code=code, referee_id=bruno.id)
    assert balance(await rewards(org, alice))["pending"] == Decimal(10)  # not yet available

    waiting = await ledger_of(org, status="unapproved")
    assert {e["display_name"] for e in waiting["entries"]} == {"Alice Archer", bruno.user.full_name}
    totals = {(t["status"], t["unit"]): Decimal(t["amount"]) for t in waiting["totals"]}
    assert totals == {("unapproved", "points"): Decimal(10), ("unapproved", "credit"): Decimal(5)}
    alices = next(e["id"] for e in waiting["entries"] if e["user_id"] == str(alice.id))

    assert (await org.client.get(f"{REWARDS}/ledger", headers=alice.headers)).status_code == 403
    assert (await decide(org, "pay", alices)).status_code == 409  # not approved yet
    unknown = await decide(org, "approve", alices, str(uuid.uuid4()))
    assert unknown.status_code == 404  # and Alice's entry did not change either
    assert (await ledger_of(org, status="unapproved"))["entries"][0]["status"] == "unapproved"

    approved = await decide(org, "approve", alices, note="Checked the order.")
    assert approved.status_code == 200, approved.text
    (entry,) = approved.json()["entries"]
    assert entry["status"] == "available" and entry["decided_by"] == str(org.admin.id)
    assert entry["note"].endswith("Checked the order.")
    assert (await decide(org, "approve", alices)).status_code == 409  # once
    assert balance(await rewards(org, alice))["available"] == Decimal(10)
    told = await org.client.get("/api/v1/gamification/notifications", headers=alice.headers)
    assert "reward_approved" in {n["kind"] for n in told.json()["notifications"]}

    assert (await decide(org, "pay", alices)).status_code == 200
    mine = await rewards(org, alice)
    (points,) = [b for b in mine["balances"] if b["unit"] == "points"]
    assert (Decimal(points["available"]), Decimal(points["paid"])) == (Decimal(0), Decimal(10))
    assert [e["id"] for e in (await ledger_of(org, status="paid"))["entries"]] == [alices]

    refunded = await org.client.post(
        f"/api/v1/gamification/referrals/conversions/{conversion['id']}/refund",
        headers={"X-API-Key": key},
    )
    assert refunded.status_code == 200
    mine = await rewards(org, alice)
    (points,) = [b for b in mine["balances"] if b["unit"] == "points"]
    assert Decimal(points["available"]) == Decimal(-10)  # paid out, then refunded: owed
    assert Decimal(points["paid"]) == Decimal(10)
    clawbacks = await ledger_of(org, kind="clawback", user_id=str(alice.id))
    assert [Decimal(e["amount"]) for e in clawbacks["entries"]] == [Decimal(-10)]


async def test_the_ledger_pages_and_never_shows_another_tenant(org: Org, other_org: Org) -> None:
    await make_program(org, hold_days=0)
    alice = await person(org, "Alice Archer")
    code = (await code_of(org, alice))["code"]
    key = await org.api_key()
    for _ in range(3):
        await converted(org, key, code=code, referee_id=(await referee(org)).id)
    first = await ledger_of(org, limit="4")
    rest = await ledger_of(org, limit="4", cursor=first["next_cursor"])
    ids = [e["id"] for e in first["entries"] + rest["entries"]]
    assert len(ids) == len(set(ids)) == 6 and rest["next_cursor"] is None
    theirs = await other_org.client.get(f"{REWARDS}/ledger", headers=other_org.admin.headers)
    assert theirs.json()["entries"] == [] and theirs.json()["totals"] == []
    stolen = await other_org.client.post(
        f"{REWARDS}/pay", json={"entry_ids": ids[:1]}, headers=other_org.admin.headers
    )
    assert stolen.status_code == 404
    bad = await org.client.get(
        f"{REWARDS}/ledger", params={"status": "lost"}, headers=org.admin.headers
    )
    assert bad.status_code == 422
