"""The onboarding wizard through the API, as a new tenant admin: finishing sets up the
organisation, the team's invitations, the gamification starter and a referral program
through the services; a part a service refuses leaves nothing applied."""

from __future__ import annotations

from typing import Any, get_args

from fastapi import FastAPI

from bizosaas.gamification.achievements.catalog import CATEGORIES
from bizosaas.wizards.onboarding import CategoryKey
from tests.factories import create_tenant, create_user
from tests.gamification.factories import Org

W = "/api/v1/wizards"
A = "/api/v1/auth"
G = "/api/v1/gamification"


def answers(email: str, *more: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {
        "organisation": {
            "name": "Harbour Lights Studio",
            "industry": "agency",
            "timezone": "Europe/Lisbon",
            "brand_colour": "#AA3366",
        },
        "platforms": {"platforms": ["bizoholic", "coreldove"]},
        "team": {"invites": [{"email": email, "full_name": "Ines", "role": "user"}, *more]},
        "starter": {
            "categories": ["campaigns", "community"],
            "leaderboard_name": "Stars of the month",
            "leaderboard_period": "monthly",
            "referral_program": True,
            "referrer_points": 80,
            "friend_points": 20,
        },
    }


async def answered(org: Org, given: dict[str, dict[str, Any]]) -> str:
    started = await org.client.post(f"{W}/onboarding/drafts", headers=org.admin.headers)
    draft = started.json()["id"]
    for step, answer in given.items():
        saved = await org.client.put(
            f"{W}/drafts/{draft}/steps/{step}", json=answer, headers=org.admin.headers
        )
        assert saved.status_code == 200, saved.text
    assert saved.json()["next_step"] is None
    return str(draft)


async def get(org: Org, path: str) -> Any:
    response = await org.client.get(path, headers=org.admin.headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_starter_offers_every_category_of_the_catalogue() -> None:
    assert set(get_args(CategoryKey)) == {category.key for category in CATEGORIES}


async def test_finishing_sets_up_the_organisation_team_and_gamification(org: Org) -> None:
    email = f"ines-{org.id.hex[:8]}@example.com"
    draft = await answered(org, answers(email))
    done = await org.client.post(f"{W}/drafts/{draft}/finish", headers=org.admin.headers)
    assert done.status_code == 200, done.text
    outcome = done.json()["outcome"]
    assert outcome["summary"] == "Harbour Lights Studio is set up."

    tenant = await get(org, f"{A}/tenants/{org.id}")
    assert (tenant["name"], tenant["industry"], tenant["timezone"], tenant["brand_colour"]) == (
        "Harbour Lights Studio",
        "agency",
        "Europe/Lisbon",
        "#aa3366",
    )
    users = {u["email"]: u for u in (await get(org, f"{A}/users"))["users"]}
    assert users[email]["role"] == "user" and not users[email]["is_active"]  # invited
    assert set(users[email]["allowed_platforms"]) >= {"bizoholic", "coreldove"}

    settings = await get(org, f"{G}/settings")
    assert (settings["timezone"], settings["industry"]) == ("Europe/Lisbon", "agency")
    board = await get(org, f"{G}/leaderboards/{settings['main_leaderboard_id']}")
    assert (board["name"], board["period"], board["metric"]) == (
        "Stars of the month",
        "monthly",
        "points",
    )
    assert outcome["links"]["The main leaderboard"] == f"/admin/leaderboards/{board['id']}"

    active = await get(org, f"{G}/achievements/definitions?status=active")
    categories = {a["category"] for a in active if a["source"] == "catalog"}
    assert categories == {"campaigns", "community"}
    archived = await get(org, f"{G}/achievements/definitions?status=archived")
    assert {a["category"] for a in archived} == {"growth", "store", "sales", "profile"}

    (program,) = await get(org, f"{G}/referrals/programs")
    assert program["status"] == "active" and program["platform"] == "bizoholic"
    assert float(program["referrer_reward"]["amount"]) == 80
    assert float(program["referee_reward"]["amount"]) == 20

    audit = await get(org, f"{A}/audit")
    events = {entry["event"] for entry in audit["events"]}
    assert {"tenant_profile_changed", "user_created"} <= events


async def test_a_part_a_service_refuses_leaves_nothing_applied(org: Org, auth_app: FastAPI) -> None:
    taken = await create_user(auth_app, await create_tenant(auth_app))  # another tenant's
    first = f"first-{org.id.hex[:8]}@example.com"
    before_tenant = await get(org, f"{A}/tenants/{org.id}")
    before_settings = await get(org, f"{G}/settings")
    draft = await answered(org, answers(first, {"email": taken.email, "role": "user"}))

    refused = await org.client.post(f"{W}/drafts/{draft}/finish", headers=org.admin.headers)
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert f"Inviting {taken.email} was refused" in detail and "Nothing was applied" in detail

    assert await get(org, f"{A}/tenants/{org.id}") == before_tenant
    emails = {u["email"] for u in (await get(org, f"{A}/users"))["users"]}
    assert first not in emails  # the invitation sent before the refusal is withdrawn
    assert await get(org, f"{G}/settings") == before_settings
    assert await get(org, f"{G}/referrals/programs") == []
    assert await get(org, f"{G}/achievements/definitions?status=archived") == []
    still = await get(org, f"{W}/drafts/{draft}")
    assert still["status"] == "open" and still["next_step"] is None  # back at its review

    # Corrected, the same draft finishes, and the first invitation can be sent again.
    fixed = await org.client.put(
        f"{W}/drafts/{draft}/steps/team",
        json={"invites": [{"email": first, "role": "user"}]},
        headers=org.admin.headers,
    )
    assert fixed.status_code == 200
    done = await org.client.post(f"{W}/drafts/{draft}/finish", headers=org.admin.headers)
    assert done.status_code == 200, done.text


async def test_each_step_refuses_a_bad_value_beside_its_field(org: Org) -> None:
    started = await org.client.post(f"{W}/onboarding/drafts", headers=org.admin.headers)
    draft = started.json()["id"]
    bad = {
        "organisation": (
            {"name": "X", "industry": "agency", "timezone": "Mars/Olympus"},
            "timezone",
        ),
        "platforms": ({"platforms": []}, "platforms"),
        "team": ({"invites": [{"email": "not-an-email"}]}, "invites.0.email"),
        "starter": ({"referrer_points": 0}, "referrer_points"),
    }
    good = answers("ok@example.com")
    for step, (answer, field) in bad.items():
        refused = await org.client.put(
            f"{W}/drafts/{draft}/steps/{step}", json=answer, headers=org.admin.headers
        )
        assert refused.status_code == 422, (step, refused.text)
        fields = {".".join(p["loc"][1:]) for p in refused.json()["detail"]}
        assert field in fields, (step, fields)
        kept = await org.client.put(
            f"{W}/drafts/{draft}/steps/{step}", json=good[step], headers=org.admin.headers
        )
        assert kept.status_code == 200
