"""Notifications: listed newest first, marked read, and pushed live over Server-Sent Events
and the pages' WebSocket."""

from __future__ import annotations

import asyncio
import uuid

import aiohttp
import httpx
import orjson
import pytest

from bizosaas.core.database import RowScope
from bizosaas.core.repository import encode_cursor
from bizosaas.core.settings import Settings
from bizosaas.gamification.events.pipeline import NotificationDraft
from tests.conftest import RunningPlatform
from tests.factories import PASSWORD
from tests.gamification.factories import Member, Org


async def _notify(org: Org, member: Member, title: str, key: str | None = None) -> list[dict]:
    """What a handler does: store in the unit of work, publish once committed."""
    notifier = org.app.state.services.notifier
    draft = NotificationDraft(
        member.id,
        "achievement_unlocked",
        title,
        "Well done.",
        {"level": 1},
        dedupe_key=key or uuid.uuid4().hex,
    )
    async with org.app.state.runtime.database.transaction(RowScope.tenant(org.id)) as db:
        stored = await notifier.store(db, org.id, [draft])
    if stored:
        await notifier.publish(org.id, stored)
    return stored


async def test_members_list_and_read_their_own_notifications(org: Org) -> None:
    member, other = await org.member(), await org.member()
    for title in ("First", "Second", "Third"):
        await _notify(org, member, title)
    await _notify(org, other, "Not yours")
    page = (
        await org.client.get(
            "/api/v1/gamification/notifications", params={"limit": 2}, headers=member.headers
        )
    ).json()
    assert [n["title"] for n in page["notifications"]] == ["Third", "Second"]
    assert page["unread"] == 3
    rest = (
        await org.client.get(
            "/api/v1/gamification/notifications",
            params={"limit": 2, "cursor": page["next_cursor"]},
            headers=member.headers,
        )
    ).json()
    assert [n["title"] for n in rest["notifications"]] == ["First"]
    assert rest["next_cursor"] is None

    first_id = rest["notifications"][0]["id"]
    read = await org.client.post(
        f"/api/v1/gamification/notifications/{first_id}/read", headers=member.headers
    )
    assert read.json()["read_at"] is not None
    stolen = await org.client.post(
        f"/api/v1/gamification/notifications/{first_id}/read", headers=other.headers
    )
    assert stolen.status_code == 404
    marked = await org.client.post(
        "/api/v1/gamification/notifications/read-all", headers=member.headers
    )
    assert marked.json() == {"marked": 2}
    unread = await org.client.get(
        "/api/v1/gamification/notifications", params={"unread": True}, headers=member.headers
    )
    assert unread.json()["notifications"] == [] and unread.json()["unread"] == 0


async def test_the_same_notification_key_notifies_once(org: Org) -> None:
    member = await org.member()
    assert len(await _notify(org, member, "Gold!", key="unlock:a:gold")) == 1
    assert await _notify(org, member, "Gold!", key="unlock:a:gold") == []
    page = await org.client.get("/api/v1/gamification/notifications", headers=member.headers)
    assert len(page.json()["notifications"]) == 1


async def test_a_bad_cursor_is_a_clear_400(org: Org) -> None:
    member = await org.member()
    forged = (
        "garbage",
        encode_cursor(["2026-01-01T00:00:00", str(uuid.uuid4())]),  # no offset: not one of ours
        encode_cursor(["2026-01-01T00:00:00+00:00", "not-a-uuid"]),
        encode_cursor(["2026-01-01T00:00:00+00:00"]),  # a key short
    )
    for cursor in forged:
        response = await org.client.get(
            "/api/v1/gamification/notifications",
            params={"cursor": cursor},
            headers=member.headers,
        )
        assert response.status_code == 400, (cursor, response.text)


async def test_notifications_arrive_live_over_server_sent_events(
    org: Org, platform: RunningPlatform
) -> None:
    member, other = await org.member(), await org.member()
    received: list[dict] = []
    async with (
        httpx.AsyncClient(base_url=platform.url, timeout=10) as client,  # the gateway, over HTTP
        client.stream(
            "GET", "/api/v1/gamification/notifications/stream", headers=member.headers
        ) as stream,
    ):
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.aiter_lines()
        assert await anext(lines) == ": connected"
        await _notify(org, other, "For someone else")
        await _notify(org, member, "Seven-day streak")

        async def first_notification() -> None:
            async for line in lines:
                if line.startswith("data: "):
                    received.append(orjson.loads(line[6:]))
                    return

        await asyncio.wait_for(first_notification(), 10)
    assert received[0]["title"] == "Seven-day streak"
    assert received[0]["user_id"] == str(member.id)

    # A client that was away reconnects with the last id it saw and gets what it missed.
    await _notify(org, member, "While you were away")
    headers = {**member.headers, "Last-Event-ID": received[0]["id"]}
    async with (
        httpx.AsyncClient(base_url=platform.url, timeout=10) as client,
        client.stream("GET", "/api/v1/gamification/notifications/stream", headers=headers) as again,
    ):
        events: list[tuple[str, dict]] = []
        event_id = ""
        async for line in again.aiter_lines():
            if line.startswith("id: "):
                event_id = line[4:]
            elif line.startswith("data: "):
                events.append((event_id, orjson.loads(line[6:])))
                break
    assert events[0][1]["title"] == "While you were away"
    assert events[0][0] == events[0][1]["id"]  # the event id is the notification's


async def test_pages_hear_notifications_and_board_moves_over_a_websocket(
    org: Org, platform: RunningPlatform, settings: Settings
) -> None:
    member = await org.member()
    async with httpx.AsyncClient(base_url=platform.url) as client:
        signed_in = await client.post(
            "/api/v1/auth/login", data={"email": member.user.email, "password": PASSWORD}
        )
    cookie = "; ".join(f"{k}={v}" for k, v in signed_in.cookies.items())
    ws_url = platform.url.replace("http://", "ws://") + "/api/v1/gamification/live"
    origin = settings.public_url.rstrip("/")
    async with aiohttp.ClientSession() as session:
        # Another site cannot open it with the visitor's cookie; nor can anyone without one.
        for headers in ({"Cookie": cookie, "Origin": "https://evil.example"}, {"Origin": origin}):
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(ws_url, headers=headers)
            assert refused.value.status == 403
        async with session.ws_connect(ws_url, headers={"Cookie": cookie, "Origin": origin}) as ws:
            await asyncio.sleep(0.2)  # subscribed
            await _notify(org, member, "Seven-day streak")
            seen: list[dict] = []
            while not any(m.get("title") == "Seven-day streak" for m in seen):
                seen.append(orjson.loads((await ws.receive(timeout=10)).data))
    note = next(m for m in seen if m.get("title") == "Seven-day streak")
    assert note["user_id"] == str(member.id) and note["kind"]
