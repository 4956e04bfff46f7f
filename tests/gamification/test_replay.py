"""Replays: the log rebuilds the same state; asked for by a tenant admin, one at a time."""

from __future__ import annotations

import asyncio

import pytest

from bizosaas.core.settings import Settings
from bizosaas.launch import replay_gamification
from tests.gamification.factories import Org, event


async def _replay(org: Org, **body: object) -> dict:
    started = await org.client.post(
        "/api/v1/gamification/events/replays", json=body, headers=org.admin.headers
    )
    assert started.status_code == 202, started.text
    for _ in range(200):
        status = (
            await org.client.get(
                "/api/v1/gamification/events/replays/current", headers=org.admin.headers
            )
        ).json()
        if status["state"] != "running":
            return status
        await asyncio.sleep(0.05)
    raise AssertionError("the replay did not finish")


async def test_an_admin_replays_the_log_and_sees_its_progress(org: Org) -> None:
    member = await org.member()
    key = await org.api_key()
    await org.send([event(member, "order.completed", total=3) for _ in range(5)], key)
    await org.settle()
    logged = await org.client.get("/api/v1/gamification/events", headers=org.admin.headers)
    status = await _replay(org)
    assert status["state"] == "done"
    assert status["done"] == status["total"] == len(logged.json()["events"])  # sign-ins too
    assert status["finished_at"] is not None


async def test_members_may_not_replay_and_bad_input_is_refused(org: Org) -> None:
    member = await org.member()
    refused = await org.client.post(
        "/api/v1/gamification/events/replays", json={}, headers=member.headers
    )
    assert refused.status_code == 403
    naive = await org.client.post(
        "/api/v1/gamification/events/replays",
        json={"since": "2026-01-01T00:00:00"},  # no offset: ambiguous
        headers=org.admin.headers,
    )
    assert naive.status_code == 422
    nothing = await org.client.get(
        "/api/v1/gamification/events/replays/current", headers=org.admin.headers
    )
    assert nothing.status_code == 404


async def test_the_replay_command_finds_the_tenant_by_slug_and_reports_progress(
    org: Org, settings: Settings
) -> None:
    """What `bizosaas gamification replay --tenant <slug>` runs."""
    member = await org.member()
    key = await org.api_key()
    await org.send([event(member, "order.completed", total=3) for _ in range(3)], key)
    await org.settle()
    seen: list[tuple[int, int]] = []
    report = await replay_gamification(
        settings, org.tenant.slug, None, lambda done, total: seen.append((done, total))
    )
    assert report.tenant_id == org.id
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1] == report.events >= 3
    with pytest.raises(SystemExit, match="No tenant"):
        await replay_gamification(settings, "no-such-tenant", None, lambda *_: None)
