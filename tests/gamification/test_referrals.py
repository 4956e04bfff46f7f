"""Referrals end to end: programs, codes, the funnel, conversions (scored for fraud), review,
the reward ledger with holds, tiers, caps and clawbacks, and the referrer's achievements."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import DBAPIError

from bizosaas.core.database import RowScope
from bizosaas.gamification.referrals.fraud import APPROVE_BELOW
from bizosaas.gamification.referrals.models import FraudMark, ReferralConversion, ReferralVisit
from bizosaas.gamification.rewards.models import RewardEntry
from tests.gamification.factories import Member, Org
from tests.gamification.test_achievements import profile, view

BASE = "/api/v1/gamification/referrals"
REWARDS = "/api/v1/gamification/rewards"


def program_body(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Friends",
        "platform": "bizoholic",
        "status": "active",
        "referrer_reward": {"amount": "10", "unit": "points"},
        "referee_reward": {"amount": "5", "unit": "credit"},
        "qualifying_event": "first_purchase",
        "hold_days": 0,
        **overrides,
    }


async def make_program(org: Org, **overrides: Any) -> dict[str, Any]:
    response = await org.client.post(
        f"{BASE}/programs", json=program_body(**overrides), headers=org.admin.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def person(org: Org, name: str) -> Member:
    return await org.member(full_name=name)


async def referee(org: Org) -> Member:
    return await person(org, f"Referee {uuid.uuid4().hex[:8]}")


async def generate(org: Org, member: Member, **body: Any) -> httpx.Response:
    return await org.client.post(f"{BASE}/generate", json=body, headers=member.headers)


async def code_of(org: Org, member: Member, **body: Any) -> dict[str, Any]:
    response = await generate(org, member, **body)
    assert response.status_code == 200, response.text
    code: dict[str, Any] = response.json()
    return code


async def convert(org: Org, key: str, **body: Any) -> httpx.Response:
    payload = {k: str(v) if isinstance(v, uuid.UUID) else v for k, v in body.items()}
    return await org.client.post(
        f"{BASE}/track-conversion", json=payload, headers={"X-API-Key": key}
    )


async def converted(org: Org, key: str, **body: Any) -> dict[str, Any]:
    response = await convert(org, key, **body)
    assert response.status_code == 201, response.text
    conversion: dict[str, Any] = response.json()
    return conversion


async def rewards(org: Org, member: Member) -> dict[str, Any]:
    response = await org.client.get(f"{REWARDS}/mine", headers=member.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def balance(body: dict[str, Any], unit: str = "points") -> dict[str, Decimal]:
    for b in body["balances"]:
        if b["unit"] == unit:
            return {k: Decimal(b[k]) for k in ("available", "pending", "total")}
    return {"available": Decimal(0), "pending": Decimal(0), "total": Decimal(0)}


async def ledger(org: Org, **where: Any) -> list[RewardEntry]:
    async with org.app.state.services.runtime.database.transaction(RowScope.tenant(org.id)) as db:
        query = select(RewardEntry).where(RewardEntry.tenant_id == org.id)
        for name, value in where.items():
            query = query.where(getattr(RewardEntry, name) == value)
        return list((await db.execute(query.order_by(RewardEntry.created_at))).scalars())


async def count_conversions(org: Org) -> int:
    async with org.app.state.services.runtime.database.transaction(RowScope.tenant(org.id)) as db:
        return int(
            (
                await db.execute(select(func.count()).where(ReferralConversion.tenant_id == org.id))
            ).scalar_one()
        )


async def doubtful(org: Org, key: str, code: str, newcomer: Member) -> dict[str, Any]:
    """A conversion the fraud model holds for a tenant admin: ``newcomer`` converts on the
    tablet another newcomer signed up on with the same code minutes before."""
    tablet = f"tablet-{uuid.uuid4().hex[:8]}"
    sibling = await referee(org)
    assert (await signup(org, key, code, sibling, device_fingerprint=tablet)).status_code == 201
    conversion = await converted(
        org, key, code=code, referee_id=newcomer.id, device_fingerprint=tablet
    )
    assert conversion["status"] == "review", (conversion["risk_score"], conversion["risk_reasons"])
    return conversion


def flags(conversion: dict[str, Any]) -> list[str]:
    """The fraud signals that fired (notes of weight 0 left out)."""
    return [r["code"] for r in conversion["risk_reasons"] if r["weight"] > 0]


def notes(conversion: dict[str, Any]) -> list[str]:
    """Why a conversion was treated as it was, apart from how it was attributed."""
    return [r["code"] for r in conversion["risk_reasons"] if r["code"] != "no_visit"]


async def signup(org: Org, key: str, code: str, member: Member, **extra: Any) -> httpx.Response:
    return await org.client.post(
        f"{BASE}/signups",
        json={"code": code, "referee_id": str(member.id), **extra},
        headers={"X-API-Key": key},
    )


# -- programs ---------------------------------------------------------------------------


async def test_programs_are_managed_by_tenant_admins_and_validated(
    org: Org, other_org: Org
) -> None:
    bad: list[dict[str, Any]] = [
        {
            "tiers": [
                {"min_referrals": 5, "reward": {"amount": 1}},
                {"min_referrals": 5, "reward": {"amount": 2}},
            ]
        },
        {"referrer_reward": {"amount": 0, "unit": "points"}},
        {"referrer_reward": {"amount": 5, "unit": "EUR"}},
        {"attribution_window_days": 0},
        {"attribution_window_days": 366},
        {"hold_days": 91},
        {"platform": "myspace"},
        {"status": "live"},
        {"cap_per_period": {"count": 0, "days": 7}},
        {"starts_at": "2026-12-01T00:00:00Z", "ends_at": "2026-11-01T00:00:00Z"},
    ]
    for overrides in bad:
        response = await org.client.post(
            f"{BASE}/programs", json=program_body(**overrides), headers=org.admin.headers
        )
        assert response.status_code == 422, (overrides, response.text)
    listed = await org.client.get(f"{BASE}/programs", headers=org.admin.headers)
    assert listed.json() == []  # nothing stored

    created = await make_program(
        org,
        tiers=[
            {"min_referrals": 1, "reward": {"amount": "1", "unit": "points"}},
            {"min_referrals": 5, "reward": {"amount": "50", "unit": "points"}},
            {"min_referrals": 10, "reward": {"amount": "100", "unit": "USD"}},
        ],
        cap_per_referrer=20,
        cap_per_period={"count": 5, "days": 30},
    )
    assert created["referrer_reward"] == {"amount": "10", "unit": "points"}
    assert [t["min_referrals"] for t in created["tiers"]] == [1, 5, 10]
    url = f"{BASE}/programs/{created['id']}"
    changed = await org.client.patch(
        url, json={"status": "paused", "hold_days": 3}, headers=org.admin.headers
    )
    assert changed.status_code == 200 and changed.json()["status"] == "paused"
    assert changed.json()["hold_days"] == 3 and changed.json()["name"] == "Friends"
    clash = await org.client.patch(
        url,
        json={"starts_at": "2027-01-01T00:00:00Z", "ends_at": "2026-01-01T00:00:00Z"},
        headers=org.admin.headers,
    )
    assert clash.status_code == 422
    starts = await org.client.patch(
        url, json={"starts_at": "2027-01-01T00:00:00Z"}, headers=org.admin.headers
    )
    assert starts.status_code == 200
    ends = await org.client.patch(
        url, json={"ends_at": "2026-06-01T00:00:00Z"}, headers=org.admin.headers
    )
    assert ends.status_code == 400 and "ends_at" in ends.json()["detail"]
    assert (await org.client.get(url, headers=org.admin.headers)).json()["ends_at"] is None
    archived = await org.client.patch(url, json={"status": "archived"}, headers=org.admin.headers)
    assert archived.status_code == 200
    reopened = await org.client.patch(url, json={"status": "active"}, headers=org.admin.headers)
    assert reopened.status_code == 400
    assert (await org.client.get(url, headers=org.admin.headers)).json()["status"] == "archived"

    member = await person(org, "Alice Archer")
    assert (await org.client.get(f"{BASE}/programs", headers=member.headers)).status_code == 403
    denied = await org.client.post(f"{BASE}/programs", json=program_body(), headers=member.headers)
    assert denied.status_code == 403
    elsewhere = await other_org.client.get(
        f"{BASE}/programs/{created['id']}", headers=other_org.admin.headers
    )
    assert elsewhere.status_code == 404

    spare = await make_program(org, status="draft")
    deleted = await org.client.delete(f"{BASE}/programs/{spare['id']}", headers=org.admin.headers)
    assert deleted.status_code == 204


# -- codes ------------------------------------------------------------------------------


async def test_a_member_gets_one_stable_code_with_a_share_link(org: Org) -> None:
    alice = await person(org, "Álice Archer")
    bob = await person(org, "Bob Stone")
    none = await generate(org, alice)
    assert none.status_code == 400  # no active program yet
    program = await make_program(org)
    first = await code_of(org, alice)
    again = await code_of(org, alice, program_id=program["id"])
    assert first["id"] == again["id"] and first["code"] == again["code"]
    assert first["code"].startswith("ALICE-") and len(first["code"]) == len("ALICE-") + 4
    assert not set(first["code"][-4:]) & set("01OIL")
    settings = org.app.state.services.runtime.settings
    assert first["share_url"] == f"{settings.public_url.rstrip('/')}/r/{first['code']}"
    theirs = await code_of(org, bob)
    assert theirs["code"].startswith("BOB-") and theirs["code"] != first["code"]
    mine = await org.client.get(f"{BASE}/codes/mine", headers=alice.headers)
    assert [c["code"] for c in mine.json()] == [first["code"]]
    assert (await profile(org, alice))["referral_code"] == first["code"]
    claims = await org.app.state.services.claims.read(alice.id)
    assert claims["referral_code"] == first["code"]

    await make_program(org, name="Second")
    ambiguous = await generate(org, bob)
    assert ambiguous.status_code == 400 and "program_id" in ambiguous.json()["detail"]
    key = await org.api_key()
    by_key = await org.client.post(f"{BASE}/generate", json={}, headers={"X-API-Key": key})
    assert by_key.status_code == 403


async def test_deactivating_a_code(org: Org) -> None:
    await make_program(org)
    alice = await person(org, "Alice Archer")
    bob = await person(org, "Bob Stone")
    code = await code_of(org, alice)
    key = await org.api_key()
    stolen = await org.client.post(f"{BASE}/codes/{code['id']}/deactivate", headers=bob.headers)
    assert stolen.status_code == 403
    done = await org.client.post(f"{BASE}/codes/{code['id']}/deactivate", headers=alice.headers)
    assert done.status_code == 200 and done.json()["active"] is False
    click = await org.client.post(
        f"{BASE}/clicks", json={"code": code["code"]}, headers={"X-API-Key": key}
    )
    assert click.status_code == 404
    assert (await profile(org, alice))["referral_code"] is None
    fresh = await code_of(org, alice)  # a new text for the same member and program
    assert fresh["id"] == code["id"] and fresh["active"] and fresh["code"] != code["code"]


async def test_clicks_and_signups_are_recorded_from_servers(org: Org, other_org: Org) -> None:
    await make_program(org)
    alice = await person(org, "Alice Archer")
    code = (await code_of(org, alice))["code"]
    bruno = await referee(org)  # a new member, who joined after the code existed
    key = await org.api_key()
    click = await org.client.post(
        f"{BASE}/clicks",
        json={"code": code.lower(), "ip": "198.51.100.4", "device_fingerprint": "d1"},
        headers={"X-API-Key": key},
    )
    assert click.status_code == 201 and click.json()["kind"] == "click"
    joined = await signup(org, key, code, bruno)
    assert joined.status_code == 201 and joined.json()["referee_id"] == str(bruno.id)
    unknown = await org.client.post(
        f"{BASE}/clicks", json={"code": "NOPE-2222"}, headers={"X-API-Key": key}
    )
    assert unknown.status_code == 404
    stranger = await other_org.member(full_name="Sam Stranger")
    assert (await signup(org, key, code, stranger)).status_code == 404
    by_member = await org.client.post(f"{BASE}/clicks", json={"code": code}, headers=bruno.headers)
    assert by_member.status_code == 403
    other_key = await other_org.api_key()
    assert (await signup(other_org, other_key, code, stranger)).status_code == 404


async def test_my_dashboard_shows_code_funnel_and_tier_progress(org: Org) -> None:
    program = await make_program(
        org,
        share_message="Join us and get 5 credit",
        tiers=[
            {"min_referrals": 1, "reward": {"amount": "20", "unit": "points"}},
            {"min_referrals": 3, "reward": {"amount": "50", "unit": "points"}},
        ],
    )
    alice = await person(org, "Alice Archer")
    before = (await org.client.get(f"{BASE}/me", headers=alice.headers)).json()
    assert [p["program_id"] for p in before["programs"]] == [program["id"]]
    assert before["programs"][0]["code"] is None and before["programs"][0]["clicks"] == 0
    code = (await code_of(org, alice))["code"]
    key = await org.api_key()
    for _ in range(2):
        click = {"code": code, "ip": "198.51.100.7"}
        assert (
            await org.client.post(f"{BASE}/clicks", json=click, headers={"X-API-Key": key})
        ).status_code == 201
    bruno = await referee(org)
    assert (await signup(org, key, code, bruno)).status_code == 201
    await converted(org, key, program_id=program["id"], referee_id=bruno.id)
    mine = (await org.client.get(f"{BASE}/me", headers=alice.headers)).json()["programs"][0]
    assert mine["share_message"] == "Join us and get 5 credit"
    assert mine["code"]["code"] == code and mine["code"]["share_url"].endswith(f"/r/{code}")
    assert (mine["clicks"], mine["signups"], mine["conversions"]) == (2, 1, {"approved": 1})
    assert mine["tier"] == {
        "approved": 1,
        "reached": {"min_referrals": 1, "reward": {"amount": "20", "unit": "points"}},
        "next": {"min_referrals": 3, "reward": {"amount": "50", "unit": "points"}},
        "to_next": 2,
    }
    bob = await person(org, "Bob Stone")  # another member sees only their own
    theirs = (await org.client.get(f"{BASE}/me", headers=bob.headers)).json()["programs"][0]
    assert theirs["code"] is None and theirs["conversions"] == {}


# -- conversions ------------------------------------------------------------------------


async def test_a_conversion_is_counted_once_and_rewards_both_sides(org: Org) -> None:
    program = await make_program(org)
    alice = await person(org, "Alice Archer")
    code = (await code_of(org, alice))["code"]
    bruno = await referee(org)  # a new member, who joined after the code existed
    key = await org.api_key()
    assert (await signup(org, key, code, bruno)).status_code == 201
    first = await converted(org, key, program_id=program["id"], referee_id=bruno.id)
    assert first["status"] == "approved" and first["referrer_id"] == str(alice.id)
    assert first["risk_score"] < APPROVE_BELOW and first["risk_reasons"] == []
    again = await convert(org, key, code=code, referee_id=bruno.id)
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    assert balance(await rewards(org, alice)) == {
        "available": Decimal(10),
        "pending": Decimal(0),
        "total": Decimal(10),
    }
    assert balance(await rewards(org, bruno), "credit")["available"] == Decimal(5)
    keys = {e.grant_key for e in await ledger(org)}
    assert keys == {f"conversion:{first['id']}:referrer", f"conversion:{first['id']}:referee"}
    kinds = {
        n["kind"]
        for n in (
            await org.client.get("/api/v1/gamification/notifications", headers=alice.headers)
        ).json()["notifications"]
    }
    assert {"referral_converted", "reward_granted"} <= kinds


async def test_an_existing_teammate_cannot_be_referred_and_paid_for(org: Org) -> None:
    program = await make_program(org)
    teammate = await referee(org)  # a member since before the code
    alice = await person(org, "Alice Archer")
    code = (await code_of(org, alice))["code"]
    key = await org.api_key()
    refused = await convert(org, key, code=code, referee_id=teammate.id)
    assert refused.status_code == 400 and "only new members" in refused.json()["detail"]
    assert balance(await rewards(org, alice))["total"] == Decimal(0)
    assert (
        await org.client.get(
            f"{BASE}/review", params={"status": "approved"}, headers=org.admin.headers
        )
    ).json()["conversions"] == []
    del program


async def test_concurrent_identical_conversions_make_one(org: Org) -> None:
    await make_program(org)
    alice = await person(org, "Alice Archer")
    code = (await code_of(org, alice))["code"]
    bruno = await referee(org)  # a new member, who joined after the code existed
    key = await org.api_key()
    responses = await asyncio.gather(
        *(convert(org, key, code=code, referee_id=bruno.id) for _ in range(10))
    )
    assert sorted(r.status_code for r in responses) == [200] * 9 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await count_conversions(org) == 1
    assert len(await ledger(org)) == 2


async def test_attribution_window(org: Org) -> None:
    program = await make_program(org, attribution_window_days=30)
    alice = await person(org, "Alice Archer")
    code = (await code_of(org, alice))["code"]
    late, direct = await referee(org), await referee(org)
    key = await org.api_key()
    visit = (await signup(org, key, code, late)).json()
    async with org.app.state.services.runtime.database.transaction(RowScope.tenant(org.id)) as db:
        await db.execute(
            update(ReferralVisit)
            .where(ReferralVisit.id == visit["id"])
            .values(created_at=datetime.now(UTC) - timedelta(days=31))
        )
    refused = await convert(org, key, code=code, referee_id=late.id)
    assert refused.status_code == 400 and "attribution window" in refused.json()["detail"]
    # A conversion at the time of the signup's window is still attributed.
    in_time = await convert(
        org,
        key,
        code=code,
        referee_id=late.id,
        occurred_at=(datetime.now(UTC) - timedelta(days=2)).isoformat(),
    )
    assert in_time.status_code == 201
    # Without a code, the program needs a recorded signup or click to attribute it.
    unknown = await convert(org, key, program_id=program["id"], referee_id=direct.id)
    assert unknown.status_code == 400
    assert await count_conversions(org) == 1
    by_code = await converted(org, key, code=code, referee_id=direct.id)
    assert [r["code"] for r in by_code["risk_reasons"]] == ["no_visit"]
    assert by_code["status"] == "approved"


async def test_bad_conversions_change_nothing(org: Org, other_org: Org) -> None:
    program = await make_program(org)
    alice = await person(org, "Alice Archer")
    code = (await code_of(org, alice))["code"]
    key = await org.api_key()
    stranger = await other_org.member(full_name="Sam Stranger")
    assert (await convert(org, key, code=code, referee_id=stranger.id)).status_code == 404
    assert (await convert(org, key, code="NOPE-2222", referee_id=alice.id)).status_code == 404
    assert (await convert(org, key, referee_id=alice.id)).status_code == 422
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    bruno = await referee(org)
    assert (
        await convert(org, key, code=code, referee_id=bruno.id, occurred_at=future)
    ).status_code == 400
    await org.client.patch(
        f"{BASE}/programs/{program['id']}", json={"status": "paused"}, headers=org.admin.headers
    )
    paused = await convert(org, key, code=code, referee_id=bruno.id)
    assert paused.status_code == 400 and "paused" in paused.json()["detail"]
    by_member = await org.client.post(
        f"{BASE}/track-conversion",
        json={"code": code, "referee_id": str(bruno.id)},
        headers=alice.headers,
    )
    assert by_member.status_code == 403
    assert await count_conversions(org) == 0 and await ledger(org) == []


# -- fraud and review -------------------------------------------------------------------


async def test_self_referral_and_own_email_are_rejected(org: Org) -> None:
    await make_program(org)
    alice = await person(org, "Alice Archer")
    code = (await code_of(org, alice))["code"]
    bruno = await referee(org)  # a new member, who joined after the code existed
    key = await org.api_key()
    own = await converted(org, key, code=code, referee_id=alice.id)
    assert own["status"] == "rejected" and "self_referral" in {
        r["code"] for r in own["risk_reasons"]
    }
    email = await converted(
        org,
        key,
        code=code,
        referee_id=bruno.id,
        referee_email="A.lice+new@gmail.com",
        referrer_email="alice@gmail.com",
    )
    assert email["status"] == "rejected" and "same_email" in flags(email)
    assert await ledger(org) == []


async def test_the_fraud_model_holds_what_it_doubts_and_says_why(org: Org) -> None:
    await make_program(org)
    alice = await person(org, "Alice Archer")
    code = (await code_of(org, alice))["code"]
    key = await org.api_key()
    held = await doubtful(org, key, code, await referee(org))
    model = next(r for r in held["risk_reasons"] if r["code"] == "model")
    assert model["weight"] == held["risk_score"]
    assert "the pattern as a whole" not in model["detail"]  # it names what drove it
    # A name alone is no proof: a namesake with an email of their own is approved.
    namesake = await converted(
        org,
        key,
        code=code,
        referee_id=(await person(org, "Alice Archer")).id,
        referee_email="archer.family@example.org",
    )
    assert namesake["status"] == "approved" and flags(namesake) == ["similar_name"]
    throwaway = await converted(
        org, key, code=code, referee_id=(await referee(org)).id, referee_email="x@mailinator.com"
    )
    assert throwaway["status"] != "approved" and "disposable_email" in flags(throwaway)
    queue = await org.client.get(
        f"{BASE}/review", params={"status": throwaway["status"]}, headers=org.admin.headers
    )
    assert throwaway["id"] in {c["id"] for c in queue.json()["conversions"]}
    # Only the namesake's conversion paid anyone.
    assert {e.user_id for e in await ledger(org)} == {alice.id, uuid.UUID(namesake["referee_id"])}


async def test_sock_puppets_and_device_farms_are_caught_but_an_office_is_not(org: Org) -> None:
    await make_program(org)
    alice = await person(org, "Alice Archer")
    carol = await person(org, "Carol Diaz")
    key = await org.api_key()
    # Alice herself signed up through Carol's link, from her own laptop.
    carol_code = (await code_of(org, carol))["code"]
    assert (
        await signup(org, key, carol_code, alice, device_fingerprint="alice-laptop")
    ).status_code == 201
    code = (await code_of(org, alice))["code"]
    puppet = await converted(
        org, key, code=code, referee_id=(await referee(org)).id, device_fingerprint="alice-laptop"
    )
    assert puppet["status"] != "approved" and "shared_device" in flags(puppet)
    # Dana's colleagues behind one office address, each on a phone of their own: honest.
    dana_code = (await code_of(org, await person(org, "Dana Evans")))["code"]
    office = [
        await converted(
            org,
            key,
            code=dana_code,
            referee_id=(await referee(org)).id,
            ip="192.0.2.9",
            device_fingerprint=f"phone-{n}",
        )
        for n in range(5)
    ]
    assert [c["status"] for c in office] == ["approved"] * 5
    # Newcomers one after another on one device, each from a new address: a farm.
    farm_code = (await code_of(org, await person(org, "Farid Haddad")))["code"]
    farm = [
        await converted(
            org,
            key,
            code=farm_code,
            referee_id=(await referee(org)).id,
            ip=f"198.51.100.{n}",
            device_fingerprint="farm-tablet",
        )
        for n in range(5)
    ]
    assert farm[-1]["status"] != "approved"
    assert {"device_cluster", "model"} <= set(flags(farm[-1]))


async def test_review_approve_then_reject_claws_back_and_never_pays_twice(
    org: Org, other_org: Org
) -> None:
    await make_program(org)
    alice = await person(org, "Alice Archer")
    code = (await code_of(org, alice))["code"]
    newcomer = await referee(org)
    key = await org.api_key()
    held = await doubtful(org, key, code, newcomer)
    url = f"{BASE}/conversions/{held['id']}"
    elsewhere = await other_org.client.post(f"{url}/approve", headers=other_org.admin.headers)
    assert elsewhere.status_code == 404
    assert (await org.client.post(f"{url}/approve", headers=alice.headers)).status_code == 403
    approved = await org.client.post(
        f"{url}/approve", json={"note": "They are cousins"}, headers=org.admin.headers
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["review_note"] == "They are cousins"
    assert approved.json()["reviewed_by"] == str(org.admin.id)
    assert balance(await rewards(org, alice))["total"] == Decimal(10)
    twice = await org.client.post(f"{url}/approve", headers=org.admin.headers)
    assert twice.status_code == 409

    rejected = await org.client.post(
        f"{url}/reject", json={"note": "Same household"}, headers=org.admin.headers
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    mine = await rewards(org, alice)
    assert balance(mine)["total"] == Decimal(0)
    entries = {e["kind"]: e for e in mine["entries"]}
    assert entries["referrer"]["status"] == "reversed"
    assert Decimal(entries["clawback"]["amount"]) == Decimal(-10)
    assert entries["clawback"]["reverses_id"] == entries["referrer"]["id"]
    assert entries["clawback"]["grant_key"] == f"clawback:{entries['referrer']['id']}"
    assert balance(await rewards(org, newcomer), "credit")["total"] == Decimal(0)
    assert (await org.client.post(f"{url}/reject", headers=org.admin.headers)).status_code == 409

    # Approving again pays nothing more: every grant key was used once.
    again = await org.client.post(f"{url}/approve", headers=org.admin.headers)
    assert again.status_code == 200
    assert len(await ledger(org)) == 4
    assert balance(await rewards(org, alice))["total"] == Decimal(0)


async def test_a_refund_claws_back_once(org: Org) -> None:
    await make_program(org)
    alice = await person(org, "Alice Archer")
    code = (await code_of(org, alice))["code"]
    bruno = await referee(org)  # a new member, who joined after the code existed
    key = await org.api_key()
    conversion = await converted(org, key, code=code, referee_id=bruno.id)
    url = f"{BASE}/conversions/{conversion['id']}/refund"
    assert (await org.client.post(url, headers=alice.headers)).status_code == 403
    for _ in range(2):
        refunded = await org.client.post(url, headers={"X-API-Key": key})
        assert refunded.status_code == 200 and refunded.json()["status"] == "refunded"
    assert len(await ledger(org)) == 4
    assert balance(await rewards(org, alice))["total"] == Decimal(0)
    assert balance(await rewards(org, bruno), "credit")["total"] == Decimal(0)


# -- the ledger: holds, tiers, caps -----------------------------------------------------


async def test_the_hold_period_keeps_rewards_pending(org: Org) -> None:
    await make_program(org, hold_days=14)
    alice = await person(org, "Alice Archer")
    code = (await code_of(org, alice))["code"]
    key = await org.api_key()
    before = datetime.now(UTC)
    await converted(org, key, code=code, referee_id=(await referee(org)).id)
    mine = await rewards(org, alice)
    assert balance(mine) == {"available": Decimal(0), "pending": Decimal(10), "total": Decimal(10)}
    entry = mine["entries"][0]
    assert entry["status"] == "pending"
    available_at = datetime.fromisoformat(entry["available_at"])
    assert before + timedelta(days=14) <= available_at <= datetime.now(UTC) + timedelta(days=14)


async def test_tiers_pay_once_when_reached(org: Org) -> None:
    program = await make_program(
        org,
        referee_reward=None,
        tiers=[
            {"min_referrals": 1, "reward": {"amount": "1", "unit": "points"}},
            {"min_referrals": 2, "reward": {"amount": "50", "unit": "USD"}},
        ],
    )
    alice = await person(org, "Alice Archer")
    code = (await code_of(org, alice))["code"]
    key = await org.api_key()
    for _ in range(3):
        await converted(org, key, code=code, referee_id=(await referee(org)).id)
    tiers = await ledger(org, kind="tier")
    assert [t.grant_key for t in tiers] == [
        f"tier:{program['id']}:{alice.id}:1",
        f"tier:{program['id']}:{alice.id}:2",
    ]
    mine = await rewards(org, alice)
    assert balance(mine)["total"] == Decimal(31)
    assert balance(mine, "USD")["total"] == Decimal(50)
    assert await ledger(org, kind="referee") == []


async def test_caps_record_conversions_without_rewards(org: Org) -> None:
    await make_program(org, cap_per_referrer=1)
    await make_program(org, name="Monthly", cap_per_period={"count": 2, "days": 30})
    programs = (await org.client.get(f"{BASE}/programs", headers=org.admin.headers)).json()
    lifetime, monthly = programs[0]["id"], programs[1]["id"]
    alice = await person(org, "Alice Archer")
    key = await org.api_key()
    for program_id, rewarded in ((lifetime, 1), (monthly, 2)):
        code = (await code_of(org, alice, program_id=program_id))["code"]
        results = [
            await converted(org, key, code=code, referee_id=(await referee(org)).id)
            for _ in range(rewarded + 1)
        ]
        assert [r["status"] for r in results] == ["approved"] * (rewarded + 1)
        assert all(notes(r) == [] for r in results[:rewarded])
        assert notes(results[-1]) == [
            "cap_per_referrer" if program_id == lifetime else "cap_per_period"
        ]
        assert await ledger(org, source_id=uuid.UUID(results[-1]["id"])) == []
    assert balance(await rewards(org, alice))["total"] == Decimal(30)


# -- achievements, permissions ----------------------------------------------------------


async def test_an_approved_referral_feeds_the_referrers_achievements(org: Org) -> None:
    await make_program(org)
    alice = await person(org, "Alice Archer")
    code = (await code_of(org, alice))["code"]
    key = await org.api_key()
    conversion = await converted(org, key, code=code, referee_id=(await referee(org)).id)
    log = await org.client.get(
        "/api/v1/gamification/events",
        params={"type": "referral.converted"},
        headers=org.admin.headers,
    )
    events = log.json()["events"]
    assert [e["event_id"] for e in events] == [f"referral:{conversion['id']}"]
    assert events[0]["user_id"] == str(alice.id)
    await org.settle()
    first = (await view(org, alice))["first_referral"]
    assert [u["level"] for u in first["unlocked"]] == [1]
    # A review-held conversion (of another referrer's code) sends no event until approved.
    carol_code = (await code_of(org, await person(org, "Carol Diaz")))["code"]
    await doubtful(org, key, carol_code, await referee(org))
    log = await org.client.get(
        "/api/v1/gamification/events",
        params={"type": "referral.converted"},
        headers=org.admin.headers,
    )
    assert len(log.json()["events"]) == 1


async def test_rewards_and_review_are_private(org: Org, other_org: Org) -> None:
    await make_program(org)
    alice = await person(org, "Alice Archer")
    bruno = await referee(org)
    stranger = await other_org.member(full_name="Sam Stranger")
    assert (await org.client.get(f"{BASE}/review", headers=alice.headers)).status_code == 403
    theirs = await org.client.get(REWARDS, params={"user_id": str(bruno.id)}, headers=alice.headers)
    assert theirs.status_code == 403
    admin_view = await org.client.get(
        REWARDS, params={"user_id": str(bruno.id)}, headers=org.admin.headers
    )
    assert admin_view.status_code == 200 and admin_view.json()["balances"] == []
    other = await org.client.get(
        REWARDS, params={"user_id": str(stranger.id)}, headers=org.admin.headers
    )
    assert other.status_code == 404
    key = await org.api_key()
    assert (await org.client.get(f"{REWARDS}/mine", headers={"X-API-Key": key})).status_code == 403
    no_referrals = await org.member(permissions=["access_gamification"])
    assert (
        await org.client.get(f"{BASE}/codes/mine", headers=no_referrals.headers)
    ).status_code == 403
    assert (
        await org.client.get(f"{REWARDS}/mine", headers=no_referrals.headers)
    ).status_code == 403


async def test_an_admin_sees_a_members_referral_tree_and_flags(org: Org, other_org: Org) -> None:
    await make_program(org)
    key = await org.api_key()
    alice = await person(org, "Alice Archer")
    alice_code = (await code_of(org, alice))["code"]
    bob, newcomer = await referee(org), await referee(org)
    held = await doubtful(org, key, alice_code, newcomer)
    via_bob = await converted(org, key, code=alice_code, referee_id=bob.id)
    bob_code = (await code_of(org, bob))["code"]
    carol = await referee(org)
    via_carol = await converted(org, key, code=bob_code, referee_id=carol.id)

    tree = await org.client.get(f"{BASE}/members/{alice.id}", headers=org.admin.headers)
    assert tree.status_code == 200, tree.text
    body = tree.json()
    assert body["referred_by"] is None
    referred = {r["referee_id"]: r for r in body["referred"]}
    assert set(referred) == {str(bob.id), str(newcomer.id)}
    assert [r["id"] for r in referred[str(bob.id)]["referrals"]] == [via_carol["id"]]
    assert [r["id"] for r in body["flagged"]] == [held["id"]]
    assert body["flagged"][0]["risk_reasons"]

    of_bob = (await org.client.get(f"{BASE}/members/{bob.id}", headers=org.admin.headers)).json()
    assert of_bob["referred_by"]["id"] == via_bob["id"]
    assert [r["referee_id"] for r in of_bob["referred"]] == [str(carol.id)]

    elsewhere = await other_org.client.get(
        f"{BASE}/members/{alice.id}", headers=other_org.admin.headers
    )
    assert elsewhere.status_code == 404
    nosy = await org.client.get(f"{BASE}/members/{alice.id}", headers=bob.headers)
    assert nosy.status_code == 403


# -- learning across tenants ------------------------------------------------------------


async def test_what_one_tenant_found_fraudulent_raises_the_score_in_another(
    org: Org, other_org: Org
) -> None:
    for tenant in (org, other_org):
        await make_program(tenant)
    key, other_key = await org.api_key(), await other_org.api_key()
    code = (await code_of(org, await person(org, "Alice Archer")))["code"]
    theirs = (await code_of(other_org, await person(other_org, "Bea Becker")))["code"]

    async def convert_in_other_org(device: str, email: str) -> dict[str, Any]:
        newcomer = await other_org.member(full_name=f"Newcomer {uuid.uuid4().hex[:6]}")
        return await converted(
            other_org,
            other_key,
            code=theirs,
            referee_id=newcomer.id,
            device_fingerprint=device,
            referee_email=email,
        )

    before = await convert_in_other_org("phone-7f3a", "sam@quickcash-deals.example")
    assert not [f for f in flags(before) if f.startswith("marked_")]
    # Alice's tenant finds a conversion from that phone and domain, and one from a webmail
    # address, fraudulent.
    for email in ("kim@quickcash-deals.example", "kim.fraud@gmail.com"):
        found = await converted(
            org,
            key,
            code=code,
            referee_id=(await referee(org)).id,
            device_fingerprint="phone-7f3a",
            referee_email=email,
        )
        rejected = await org.client.post(
            f"{BASE}/conversions/{found['id']}/reject",
            json={"note": "A known fraud ring"},
            headers=org.admin.headers,
        )
        assert rejected.status_code == 200, rejected.text

    after = await convert_in_other_org("phone-7f3a", "lee@quickcash-deals.example")
    reasons = {r["code"]: r["detail"] for r in after["risk_reasons"]}
    assert reasons["marked_device"] == "This device was found fraudulent in another organisation."
    assert reasons["marked_domain"] == (
        "This email domain was found fraudulent in another organisation."
    )
    assert after["risk_score"] > before["risk_score"] and after["status"] != "approved"
    # A webmail provider says nothing about a person; Alice's tenant is never named.
    webmail = await convert_in_other_org("phone-0000", "lee.fraud@gmail.com")
    assert not [f for f in flags(webmail) if f.startswith("marked_")]
    assert str(org.id) not in str(after) and "Alice" not in str(after)
    # Alice's tenant reads its own verdicts through its own features, not as a mark.
    again = await converted(
        org, key, code=code, referee_id=(await referee(org)).id, device_fingerprint="phone-7f3a"
    )
    assert "marked_device" not in flags(again)


async def test_a_tenant_cannot_write_another_tenants_fraud_marks(org: Org, other_org: Org) -> None:
    database = org.app.state.services.runtime.database
    async with database.transaction(RowScope.tenant(org.id)) as db:
        await db.execute(
            insert(FraudMark).values(
                kind="device", digest=b"\x01" * 32, tenant_id=org.id, fraud=1, honest=0
            )
        )
    with pytest.raises(DBAPIError):
        async with database.transaction(RowScope.tenant(other_org.id)) as db:
            await db.execute(
                insert(FraudMark).values(
                    kind="device", digest=b"\x02" * 32, tenant_id=org.id, fraud=1, honest=0
                )
            )
    async with database.transaction(RowScope.tenant(other_org.id)) as db:
        changed = await db.execute(
            update(FraudMark).where(FraudMark.tenant_id == org.id).values(honest=99)
        )
        assert changed.rowcount == 0  # type: ignore[attr-defined]
