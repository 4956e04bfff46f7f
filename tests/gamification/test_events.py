"""Events: the one way in — stored once per event_id, processed, never for another tenant."""

from __future__ import annotations

import asyncio
import uuid

from bizosaas.core.database import RowScope
from tests.gamification.factories import Org, event


async def test_a_batch_is_stored_once_and_processed(org: Org) -> None:
    member = await org.member()
    key = await org.api_key()
    events = [event(member, "order.completed", total=10) for _ in range(3)]
    first = await org.send(events, key)
    assert first.status_code == 202, first.text
    assert first.json()["accepted"] == 3
    again = await org.send(events, key)
    assert again.json() == {
        "accepted": 0,
        "duplicates": 3,
        "events": [{"event_id": e["event_id"], "status": "duplicate"} for e in events],
    }
    await org.settle()
    log = await org.client.get(
        "/api/v1/gamification/events",
        params={"user_id": str(member.id), "type": "order.completed"},
        headers=org.admin.headers,
    )
    assert [e["status"] for e in log.json()["events"]] == ["processed"] * 3


async def test_the_tenant_comes_from_the_credential(org: Org, other_org: Org) -> None:
    """An event about another tenant's member is refused, and nothing of the batch is stored."""
    mine, theirs = await org.member(), await other_org.member()
    key = await org.api_key()
    batch = [event(mine, "order.completed"), event(theirs, "order.completed")]
    response = await org.send(batch, key)
    assert response.status_code == 404
    assert response.json()["error"] == "NotFound"
    log = await org.client.get(
        "/api/v1/gamification/events",
        params={"type": "order.completed"},  # sign-ins are events too
        headers=org.admin.headers,
    )
    assert log.json()["events"] == []


async def test_bad_batches_change_nothing(org: Org) -> None:
    member = await org.member()
    key = await org.api_key()
    good = event(member, "order.completed")
    cases = [
        ({"events": []}, 422),
        ({"events": [good] * 1001}, 422),
        ({"events": [{**good, "type": "Not A Type"}]}, 422),
        ({"events": [good, good]}, 400),  # the same id twice in one batch
        ({"events": [{**good, "occurred_at": "2999-01-01T00:00:00Z"}]}, 400),
        ({"events": [{**good, "user_id": str(uuid.uuid4())}]}, 404),
        ({"events": [{k: v for k, v in good.items() if k != "user_id"}]}, 400),
    ]
    for body, status in cases:
        response = await org.client.post(
            "/api/v1/gamification/events", json=body, headers={"X-API-Key": key}
        )
        assert response.status_code == status, (body, response.text)
        assert "Traceback" not in response.text
    log = await org.client.get(
        "/api/v1/gamification/events",
        params={"type": "order.completed"},  # sign-ins are events too
        headers=org.admin.headers,
    )
    assert log.json()["events"] == []


async def test_members_send_only_their_own_allowed_events(org: Org) -> None:
    member, other = await org.member(), await org.member()
    send = org.client.post
    refused = await send(
        "/api/v1/gamification/events",
        json={"event_id": "p1", "type": "profile.completed"},
        headers=member.headers,
    )
    assert refused.status_code == 403  # the tenant has not allowed members this type
    allowed = await org.client.patch(
        "/api/v1/gamification/settings",
        json={"member_event_types": ["profile.completed"]},
        headers=org.admin.headers,
    )
    assert allowed.json()["member_event_types"] == ["profile.completed"]
    own = await send(
        "/api/v1/gamification/events",
        json={"event_id": "p1", "type": "profile.completed"},
        headers=member.headers,
    )
    assert own.status_code == 202, own.text
    for_someone_else = await send(
        "/api/v1/gamification/events",
        json={"event_id": "p2", "type": "profile.completed", "user_id": str(other.id)},
        headers=member.headers,
    )
    assert for_someone_else.status_code == 403


async def test_revoked_keys_stop_working_at_once(org: Org) -> None:
    member = await org.member()
    key = await org.api_key()
    keys = (await org.client.get("/api/v1/gamification/api-keys", headers=org.admin.headers)).json()
    assert len(keys) == 1 and "key" not in keys[0] and key not in str(keys)
    revoked = await org.client.delete(
        f"/api/v1/gamification/api-keys/{keys[0]['id']}", headers=org.admin.headers
    )
    assert revoked.json()["revoked_at"] is not None
    response = await org.send([event(member, "order.completed")], key)
    assert response.status_code == 401
    forged = key[:-4] + "AAAA"
    assert (await org.send([event(member, "order.completed")], forged)).status_code == 401


async def test_members_cannot_manage_keys_or_read_the_log(org: Org) -> None:
    member = await org.member()
    for method, path in [
        ("POST", "/api/v1/gamification/api-keys"),
        ("GET", "/api/v1/gamification/api-keys"),
        ("GET", "/api/v1/gamification/events"),
    ]:
        response = await org.client.request(
            method, path, json={"name": "x"}, headers=member.headers
        )
        assert response.status_code == 403, (method, path)


async def test_row_level_security_hides_every_table_of_other_tenants(
    org: Org, other_org: Org
) -> None:
    """With tenant A's context set, raw SQL sees none of tenant B's rows in any table."""
    from sqlalchemy import text

    from bizosaas.gamification.db import GamificationBase

    member = await other_org.member()
    key = await other_org.api_key()
    await other_org.send([event(member, "order.completed")], key)
    await other_org.settle()
    database = org.app.state.runtime.database
    everything = GamificationBase.metadata.tables
    tables = sorted(name for name, table in everything.items() if "tenant_id" in table.c)
    assert len(tables) >= 21
    # The one table no tenant owns: retrained fraud models (generated traffic and numbers).
    assert set(everything) - set(tables) == {"fraud_models"}
    async with database.transaction(RowScope.tenant(org.id)) as db:
        for table in tables:
            count = (
                await db.execute(
                    text(f"SELECT count(*) FROM {table} WHERE tenant_id = :t"),
                    {"t": other_org.id},
                )
            ).scalar_one()
            assert count == 0, table
    count = text("SELECT count(*) FROM gamification_events WHERE tenant_id = :t")
    async with database.transaction(RowScope.tenant(other_org.id)) as db:
        own = (await db.execute(count, {"t": other_org.id})).scalar_one()
    async with database.transaction(RowScope.platform_wide()) as db:
        everything = (await db.execute(count, {"t": other_org.id})).scalar_one()
    assert own == everything > 0  # the same query does see the tenant's own rows


async def test_signing_in_is_an_event_from_the_platform_itself(org: Org) -> None:
    """The auth service reports logins (for login streaks) through the platform inbox."""
    from tests.factories import client_for, login

    member = await org.member()  # signed in once already
    async with client_for(org.auth_app) as client:
        await login(client, member.user.email)
    for _ in range(100):
        log = await org.client.get(
            "/api/v1/gamification/events",
            params={"user_id": str(member.id), "type": "member.login"},
            headers=org.admin.headers,
        )
        if len(log.json()["events"]) == 2:
            break
        await asyncio.sleep(0.05)
    events = log.json()["events"]
    assert len(events) == 2
    assert {e["source"] for e in events} == {"platform"}
    assert all(e["event_id"].startswith("login:") for e in events)


async def test_the_log_pages_newest_first_without_gaps_or_repeats(org: Org) -> None:
    member = await org.member()
    key = await org.api_key()
    sent = [event(member, "order.completed", total=i) for i in range(7)]
    await org.send(sent, key)
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"type": "order.completed", "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (
            await org.client.get(
                "/api/v1/gamification/events", params=params, headers=org.admin.headers
            )
        ).json()
        seen += [e["event_id"] for e in page["events"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == [e["event_id"] for e in reversed(sent)]  # stored in order, listed newest first
