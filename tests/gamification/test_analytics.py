"""Analytics: the referral funnel, unlock, participation and portfolio rates, daily series
zero-filled in UTC, and the PRD's targets, on a tenant prepared through the API (referral
rows are written directly: the funnel is measured here, not exercised)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bizosaas.core.database import RowScope
from bizosaas.gamification.achievements.models import TenantAchievement
from bizosaas.gamification.referrals.models import (
    ReferralCode,
    ReferralConversion,
    ReferralProgram,
    ReferralVisit,
)
from bizosaas.gamification.rewards.models import RewardEntry
from bizosaas.identity.vocabulary import Permission
from tests.factories import runtime_db
from tests.gamification.factories import Member, Org, event
from tests.gamification.test_achievements import joined, send

BASE = "/api/v1/gamification/analytics"
BOARDS = "/api/v1/gamification/leaderboards"


def today() -> date:
    return datetime.now(UTC).date()


async def report(org: Org, viewer: Member | None = None, **params: Any) -> dict[str, Any]:
    response = await org.client.get(
        f"{BASE}/{org.id}", params=params, headers=(viewer or org.admin).headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def referral_rows(org: Org, referrer: uuid.UUID) -> None:
    """Two codes, 5 clicks and 4 signups today, and conversions: approved and rewarded,
    approved with its reward clawed back, flagged in review, flagged and rejected; and one
    approved 40 days ago."""
    now = datetime.now(UTC)
    async with runtime_db(org.app).transaction(RowScope.tenant(org.id)) as db:
        program = ReferralProgram(tenant_id=org.id, name="P", platform="bizoholic", status="active")
        db.add(program)
        await db.flush()
        codes = [
            ReferralCode(
                tenant_id=org.id, program_id=program.id, user_id=u, code=uuid.uuid4().hex[:8]
            )
            for u in (referrer, uuid.uuid4())
        ]
        db.add_all(codes)
        await db.flush()
        for kind, n in (("click", 5), ("signup", 4)):
            db.add_all(
                ReferralVisit(tenant_id=org.id, code_id=codes[0].id, kind=kind) for _ in range(n)
            )

        def conversion(status: str, risky: bool, when: datetime = now) -> ReferralConversion:
            reasons = [{"code": "same_ip", "detail": "x"}] if risky else []
            row = ReferralConversion(
                tenant_id=org.id,
                program_id=program.id,
                code_id=codes[0].id,
                referrer_id=referrer,
                referee_id=uuid.uuid4(),
                status=status,
                risk_reasons=reasons,
                risk_score=0.9 if risky else 0.0,
                converted_at=when,
            )
            db.add(row)
            return row

        rewarded = conversion("approved", False)
        clawed = conversion("approved", False)
        conversion("review", True)
        conversion("rejected", True)
        conversion("approved", False, now - timedelta(days=40))
        await db.flush()

        def grant(source: ReferralConversion, amount: int, **extra: Any) -> RewardEntry:
            entry = RewardEntry(
                tenant_id=org.id,
                user_id=referrer,
                kind=extra.pop("kind", "referrer"),
                amount=Decimal(amount),
                grant_key=uuid.uuid4().hex,
                source_type="conversion",
                source_id=source.id,
                status=extra.pop("status", "available"),
                **extra,
            )
            db.add(entry)
            return entry

        grant(rewarded, 10)
        reversed_grant = grant(clawed, 10, status="reversed")
        await db.flush()
        grant(clawed, -10, kind="clawback", reverses_id=reversed_grant.id)


async def unlockers(org: Org, since: datetime) -> set[uuid.UUID]:
    async with runtime_db(org.app).transaction(RowScope.tenant(org.id)) as db:
        rows = await db.execute(
            select(TenantAchievement.user_id).where(TenantAchievement.unlocked_at >= since)
        )
        return set(rows.scalars())


async def test_a_prepared_tenant_gets_its_numbers_and_targets(org: Org, other_org: Org) -> None:
    key = await org.api_key()
    board = await org.client.post(
        BOARDS,
        json={
            "key": "sales",
            "name": "Sales",
            "metric": "event",
            "event_type": "order.completed",
            "property": "total",
        },
        headers=org.admin.headers,
    )
    assert board.status_code == 201, board.text
    m1, m2, m3, m4 = [await joined(org) for _ in range(4)]
    await org.logged_in(org.admin)
    await send(
        org,
        key,
        [
            event(m1, "campaign.launched"),
            event(m1, "order.completed", total=50),
            event(m2, "campaign.launched"),
            event(m3, "order.completed", total=20),
        ],
    )
    await referral_rows(org, m1.id)
    for body in ({"user_id": str(m1.id)}, {}):
        made = await org.client.post(
            "/api/v1/gamification/portfolio/generate", json=body, headers=org.admin.headers
        )
        assert made.status_code == 201
    await org.client.post(
        f"/api/v1/gamification/portfolios/{made.json()['id']}/publish", headers=org.admin.headers
    )
    # Another tenant's activity counts nowhere here.
    other_key = await other_org.api_key()
    outsider = await joined(other_org)
    await send(other_org, other_key, [event(outsider, "campaign.launched")])

    body = await report(org)
    start = today() - timedelta(days=29)
    assert (body["from"], body["to"], body["days"]) == (start.isoformat(), today().isoformat(), 30)
    active = {m1.id, m2.id, m3.id, m4.id, org.admin.id}
    assert body["active_members"] == len(active) == 5

    midnight = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    unlocking = await unlockers(org, midnight) & active
    assert {m1.id, m2.id} <= unlocking
    achievements = body["achievements"]
    assert achievements["members_unlocking"] == len(unlocking)
    assert achievements["unlock_rate"] == round(len(unlocking) / 5, 4)
    counts = {a["key"]: a for a in achievements["by_achievement"]}
    assert counts["first_campaign"]["unlocks"] == 2
    assert counts["first_campaign"]["members"] == 2
    assert counts["first_campaign"]["name"] == "First campaign"
    assert achievements["unlocks"] == sum(a["unlocks"] for a in achievements["by_achievement"])

    assert body["leaderboards"] == {"participants": 2, "participation_rate": 0.4}
    assert body["portfolios"] == {
        "created": 2,
        "published": 1,
        "members_creating": 1,
        "creation_rate": 0.2,
    }

    referrals = body["referrals"]
    assert referrals["codes_created"] == 2
    assert (referrals["clicks"], referrals["signups"]) == (5, 4)
    assert referrals["conversions"] == 3  # the rejected one left out; the old one before the range
    assert referrals["rewarded"] == 1  # the clawed-back grant does not count
    assert referrals["conversion_rate"] == 0.75
    assert referrals["by_status"] == {"approved": 2, "review": 1, "rejected": 1}
    assert referrals["fraud"] == {
        "flagged": 2,
        "approved": 0,
        "rejected": 1,
        "in_review": 1,
        "refunded": 0,
        "reviewed": 0,
        "detection_accuracy": None,
    }

    targets = {t["metric"]: t for t in body["targets"]}
    assert targets["referral_conversion_rate"] == {
        "metric": "referral_conversion_rate",
        "target": 0.12,
        "value": 0.75,
        "met": True,
    }
    assert targets["leaderboard_participation_rate"]["met"] is False
    assert targets["portfolio_creation_rate"] == {
        "metric": "portfolio_creation_rate",
        "target": 0.4,
        "value": 0.2,
        "met": False,
    }
    unlock_target = targets["achievement_unlock_rate"]
    assert unlock_target["target"] == 0.7
    assert unlock_target["met"] is (len(unlocking) / 5 > 0.7)

    # One row per day, zero-filled; today holds everything.
    daily = body["daily"]
    assert [d["date"] for d in daily] == [
        (start + timedelta(days=i)).isoformat() for i in range(30)
    ]
    assert all(
        d["active_members"] == 0
        and d["unlocks"] == 0
        and d["referral_clicks"] == 0
        and d["unlock_rate"] is None
        for d in daily[:-1]
    )
    last = daily[-1]
    assert last["active_members"] == 5
    assert last["members_unlocking"] == len(unlocking)
    assert last["leaderboard_participants"] == 2
    assert (last["portfolios_created"], last["members_creating"]) == (2, 1)
    assert (last["referral_codes"], last["referral_clicks"], last["referral_signups"]) == (2, 5, 4)
    assert (last["referral_conversions"], last["referral_rewarded"]) == (3, 1)
    assert last["referral_conversion_rate"] == 0.75

    # A longer range reaches the conversion of 40 days ago, on its own day.
    longer = await report(org, **{"from": (today() - timedelta(days=45)).isoformat()})
    assert longer["days"] == 46 and len(longer["daily"]) == 46
    assert longer["referrals"]["conversions"] == 4
    old = next(
        d for d in longer["daily"] if d["date"] == (today() - timedelta(days=40)).isoformat()
    )
    assert (old["referral_conversions"], old["active_members"]) == (1, 0)
    assert old["referral_conversion_rate"] is None  # no clicks or signups that day


async def test_an_empty_range_has_zero_rows_and_no_rates(org: Org) -> None:
    body = await report(org, **{"from": "2020-01-01", "to": "2020-01-31"})
    assert body["days"] == 31 and len(body["daily"]) == 31
    assert body["daily"][0]["date"] == "2020-01-01" and body["daily"][-1]["date"] == "2020-01-31"
    assert body["active_members"] == 0
    assert body["achievements"]["unlock_rate"] is None
    assert body["referrals"]["conversion_rate"] is None
    assert body["leaderboards"]["participation_rate"] is None
    assert [t["met"] for t in body["targets"]] == [False] * 5
    assert all(t["value"] is None for t in body["targets"])


async def test_bad_ranges_are_refused(org: Org) -> None:
    url = f"{BASE}/{org.id}"
    for params, code in (
        ({"from": "2026-02-01", "to": "2026-01-01"}, 400),
        ({"from": "2024-01-01", "to": "2025-01-01"}, 400),  # 367 days
        ({"from": "not-a-date"}, 422),
        ({"to": "2026-13-01"}, 422),
    ):
        response = await org.client.get(url, params=params, headers=org.admin.headers)
        assert response.status_code == code, (params, response.text)
    widest = await report(org, **{"from": "2024-01-02", "to": "2025-01-01"})
    assert widest["days"] == 366
    one_day = await report(org, **{"from": "2025-03-01", "to": "2025-03-01"})
    assert one_day["days"] == 1
    # One bound alone: the 30 days up to `to`, or from `from` up to today.
    assert (await report(org, to="2025-03-30"))["from"] == "2025-03-01"
    since = (today() - timedelta(days=5)).isoformat()
    assert (await report(org, **{"from": since}))["to"] == today().isoformat()
    tomorrow = (today() + timedelta(days=1)).isoformat()
    too_old = (today() - timedelta(days=366)).isoformat()
    for params in ({"from": tomorrow}, {"from": too_old}):
        response = await org.client.get(url, params=params, headers=org.admin.headers)
        assert response.status_code == 400, (params, response.text)


async def test_another_tenant_is_not_found_and_view_analytics_is_needed(
    org: Org, other_org: Org
) -> None:
    foreign = await org.client.get(f"{BASE}/{other_org.id}", headers=org.admin.headers)
    assert foreign.status_code == 404
    missing = await org.client.get(f"{BASE}/{uuid.uuid4()}", headers=org.admin.headers)
    assert missing.status_code == 404

    member = await org.member()  # a plain user has no view_analytics
    assert (await org.client.get(f"{BASE}/{org.id}", headers=member.headers)).status_code == 403
    key = await org.api_key()
    by_key = await org.client.get(f"{BASE}/{org.id}", headers={"X-API-Key": key})
    assert by_key.status_code == 403

    analyst = await org.member(
        permissions=[Permission.ACCESS_GAMIFICATION.value, Permission.VIEW_ANALYTICS.value]
    )
    assert (await report(org, analyst))["tenant_id"] == str(org.id)


async def test_fraud_detection_accuracy_is_measured_on_reviewed_conversions(org: Org) -> None:
    """Each admin verdict is set against the score: a rejection scored 0.5 or more, or an
    approval below, counts as agreement; conversions nobody reviewed do not count."""
    now = datetime.now(UTC)
    async with runtime_db(org.app).transaction(RowScope.tenant(org.id)) as db:
        program = ReferralProgram(tenant_id=org.id, name="P", platform="bizoholic", status="active")
        db.add(program)
        await db.flush()
        code = ReferralCode(
            tenant_id=org.id, program_id=program.id, user_id=uuid.uuid4(), code="ACC-0001"
        )
        db.add(code)
        await db.flush()
        for status, score, reviewed in (
            ("rejected", 0.9, True),  # caught, and the admin agreed
            ("approved", 0.35, True),  # held, and rightly let through
            ("approved", 0.6, True),  # the score was wrong
            ("approved", 0.0, False),  # nobody reviewed it: not counted
        ):
            db.add(
                ReferralConversion(
                    tenant_id=org.id,
                    program_id=program.id,
                    code_id=code.id,
                    referrer_id=code.user_id,
                    referee_id=uuid.uuid4(),
                    status=status,
                    risk_reasons=[{"code": "model", "detail": "x"}] if score else [],
                    risk_score=score,
                    converted_at=now,
                    reviewed_at=now if reviewed else None,
                )
            )
    body = await report(org)
    fraud = body["referrals"]["fraud"]
    assert (fraud["reviewed"], fraud["detection_accuracy"]) == (3, round(2 / 3, 4))
    targets = {t["metric"]: t for t in body["targets"]}
    assert targets["fraud_detection_accuracy"] == {
        "metric": "fraud_detection_accuracy",
        "target": 0.95,
        "value": round(2 / 3, 4),
        "met": False,
    }
