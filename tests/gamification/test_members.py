"""Members' profile and privacy, tenant settings, erasure, and the token's gamification claim."""

from __future__ import annotations

import jwt

from bizosaas.core.api_keys import hash_api_key
from tests.factories import client_for, login
from tests.gamification.factories import Org, event


async def test_privacy_alias_and_hiding(org: Org) -> None:
    member = await org.member()
    path = "/api/v1/gamification/members/me/privacy"
    aliased = await org.client.patch(path, json={"alias": "Night Owl"}, headers=member.headers)
    assert aliased.json()["alias"] == "Night Owl"
    hidden = await org.client.patch(path, json={"hidden": True}, headers=member.headers)
    assert hidden.json()["hidden"] is True and hidden.json()["alias"] == "Night Owl"
    cleared = await org.client.patch(path, json={"clear_alias": True}, headers=member.headers)
    assert cleared.json()["alias"] is None
    too_long = await org.client.patch(path, json={"alias": "x" * 65}, headers=member.headers)
    assert too_long.status_code == 422
    me = await org.client.get("/api/v1/gamification/members/me", headers=member.headers)
    assert me.json()["hidden"] is True


async def test_settings_are_validated_and_admin_only(org: Org) -> None:
    member = await org.member()
    path = "/api/v1/gamification/settings"
    assert (await org.client.get(path, headers=member.headers)).status_code == 403
    bad = await org.client.patch(path, json={"timezone": "Mars/Olympus"}, headers=org.admin.headers)
    assert bad.status_code == 422 and "timezone" in bad.text
    good = await org.client.patch(
        path,
        json={"timezone": "Europe/Paris", "industry": "retail", "platform_boards_opt_in": True},
        headers=org.admin.headers,
    )
    assert good.json()["timezone"] == "Europe/Paris" and good.json()["industry"] == "retail"
    again = await org.client.get(path, headers=org.admin.headers)
    assert again.json()["platform_boards_opt_in"] is True


async def test_the_token_carries_the_members_gamification_snapshot(org: Org) -> None:
    member = await org.member()
    key = await org.api_key()
    await org.send([event(member, "order.completed", total=5)], key)
    await org.settle()
    me = (await org.client.get("/api/v1/gamification/members/me", headers=member.headers)).json()
    async with client_for(org.auth_app) as client:
        tokens = await login(client, member.user.email)
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert claims["gamification"] == {
        "achievement_count": me["achievement_count"],
        "leaderboard_rank": me["leaderboard_rank"],
        "referral_code": me["referral_code"],
        "portfolio_id": me["portfolio_id"],
    }
    assert claims["gamification"]["achievement_count"] is not None  # known, not a placeholder


async def test_erasing_a_member_forgets_everything_about_them(org: Org) -> None:
    member, other = await org.member(), await org.member()
    key = await org.api_key()
    await org.send([event(member, "order.completed"), event(other, "order.completed")], key)
    await org.settle()
    refused = await org.client.delete(
        f"/api/v1/gamification/members/{member.id}", headers=other.headers
    )
    assert refused.status_code == 403  # only the member itself or a tenant admin
    erased = await org.client.delete(
        f"/api/v1/gamification/members/{member.id}", headers=org.admin.headers
    )
    assert erased.status_code == 204
    log = await org.client.get(
        "/api/v1/gamification/events",
        params={"type": "order.completed"},  # sign-ins are events too
        headers=org.admin.headers,
    )
    assert [e["user_id"] for e in log.json()["events"]] == [str(other.id)]
    gone = await org.client.get("/api/v1/gamification/members/me", headers=member.headers)
    assert gone.status_code == 404
    claims = await org.app.state.services.claims.read(member.id)
    assert claims == dict.fromkeys(claims)  # every field back to null


async def test_a_key_lost_from_redis_is_checked_in_postgresql_and_republished(org: Org) -> None:
    member = await org.member()
    key = await org.api_key()
    directory = org.app.state.services.api_keys
    await directory.revoke(hash_api_key(key))  # Redis lost it (a restart without persistence)
    assert await directory.lookup(key) is None
    response = await org.send([event(member, "order.completed")], key)
    assert response.status_code == 202
    assert await directory.lookup(key) is not None


async def test_expiring_keys(org: Org) -> None:
    past = await org.client.post(
        "/api/v1/gamification/api-keys",
        json={"name": "old", "expires_at": "2020-01-01T00:00:00Z"},
        headers=org.admin.headers,
    )
    assert past.status_code == 400
    future = await org.client.post(
        "/api/v1/gamification/api-keys",
        json={"name": "soon", "expires_at": "2099-01-01T00:00:00Z"},
        headers=org.admin.headers,
    )
    assert future.status_code == 201
    ttl = await org.app.state.runtime.redis.ttl(
        org.app.state.runtime.keys("api-key", hash_api_key(future.json()["key"]))
    )
    assert ttl > 0  # Redis forgets the key by itself when it expires


async def test_another_tenants_member_cannot_be_erased(org: Org, other_org: Org) -> None:
    stranger = await other_org.member()
    key = await other_org.api_key()
    await other_org.send([event(stranger, "order.completed")], key)
    await other_org.settle()
    refused = await org.client.delete(
        f"/api/v1/gamification/members/{stranger.id}", headers=org.admin.headers
    )
    assert refused.status_code == 404
    # The stranger's own tenant still has every trace of them.
    me = await other_org.client.get("/api/v1/gamification/members/me", headers=stranger.headers)
    assert me.status_code == 200 and me.json()["points"] > 0
    # A member of the tenant with no activity yet is erased without fuss.
    quiet = await org.member()
    erased = await org.client.delete(
        f"/api/v1/gamification/members/{quiet.id}", headers=org.admin.headers
    )
    assert erased.status_code == 204


async def test_settings_refuse_another_tenants_board_as_the_main_board(
    org: Org, other_org: Org
) -> None:
    path = "/api/v1/gamification/settings"
    boards = "/api/v1/gamification/leaderboards"
    body = {
        "key": "sales",
        "name": "Sales",
        "metric": "event",
        "event_type": "order.completed",
        "property": "total",
    }
    theirs = await other_org.client.post(boards, json=body, headers=other_org.admin.headers)
    ours = await org.client.post(boards, json=body, headers=org.admin.headers)
    assert theirs.status_code == ours.status_code == 201
    refused = await org.client.patch(
        path, json={"main_leaderboard_id": theirs.json()["id"]}, headers=org.admin.headers
    )
    assert refused.status_code == 404
    unchanged = await org.client.get(path, headers=org.admin.headers)
    assert unchanged.json()["main_leaderboard_id"] is None
    chosen = await org.client.patch(
        path, json={"main_leaderboard_id": ours.json()["id"]}, headers=org.admin.headers
    )
    assert chosen.json()["main_leaderboard_id"] == ours.json()["id"]


async def test_a_member_exports_their_data_without_anybody_elses(org: Org, other_org: Org) -> None:
    from tests.gamification.test_referrals import code_of, converted, make_program, signup

    program = await make_program(org)
    alice = await org.member(full_name="Alice Archer")
    code = (await code_of(org, alice))["code"]
    bruno = await org.member()  # a newcomer, who joined after the code existed
    key = await org.api_key()
    await signup(org, key, code, bruno, ip="203.0.113.9", device_fingerprint="bruno-phone")
    await converted(
        org, key, program_id=program["id"], referee_id=bruno.id, referee_email="b@example.com"
    )
    await org.send([event(alice, "order.completed", total=5)], key)
    await org.settle()
    path = f"/api/v1/gamification/members/{alice.id}/export"
    assert (await org.client.get(path, headers=bruno.headers)).status_code == 403
    mine = await org.client.get(path, headers=alice.headers)
    assert mine.status_code == 200
    sections = mine.json()["sections"]
    assert sections["profile"][0]["user_id"] == str(alice.id)
    assert [e["type"] for e in sections["events"] if e["type"] == "order.completed"]
    assert sections["referral_codes"][0]["code"] == code
    assert {r["user_id"] for r in sections["rewards"]} == {str(alice.id)}
    # Alice referred Bruno: she sees the conversion, not his email, address or device.
    (conversion,) = sections["referral_conversions"]
    assert conversion["referee_id"] == str(bruno.id) and conversion["status"] == "approved"
    assert not {"referee_email", "ip", "device_fingerprint"} & set(conversion)
    assert "tenant_id" not in sections["profile"][0]
    # Bruno's own export has them: they are his.
    his = await org.client.get(
        f"/api/v1/gamification/members/{bruno.id}/export", headers=org.admin.headers
    )
    assert his.json()["sections"]["referral_conversions"][0]["referee_email"] == "b@example.com"
    assert his.json()["sections"]["referral_visits"][0]["device_fingerprint"] == "bruno-phone"
    # Another tenant's admin cannot reach either of them.
    stranger = await other_org.client.get(path, headers=other_org.admin.headers)
    assert stranger.status_code == 404
