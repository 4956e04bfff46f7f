"""Each class of input that once answered 500, through the gateway: now a clear 4xx that
changes nothing (the fuzzer in tests/test_fuzz.py keeps it that way)."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from bizosaas.core.repository import encode_cursor
from tests.factories import client_for
from tests.gamification.factories import Org, event

SETTINGS = "/api/v1/gamification/settings"
EVENTS = "/api/v1/gamification/events"


async def test_null_is_refused_where_the_column_cannot_hold_it(org: Org) -> None:
    before = (await org.client.get(SETTINGS, headers=org.admin.headers)).json()
    refused = await org.client.patch(
        SETTINGS, json={"timezone": None, "display_name": "Renamed"}, headers=org.admin.headers
    )
    cleared = await org.client.patch(SETTINGS, json={"industry": None}, headers=org.admin.headers)
    after = (await org.client.get(SETTINGS, headers=org.admin.headers)).json()
    assert refused.status_code == 422
    assert "timezone cannot be null" in refused.text
    assert after["display_name"] == before["display_name"]  # nothing of it applied
    assert cleared.status_code == 200 and after["industry"] is None  # clearable: null clears


async def test_nul_characters_lone_surrogates_and_huge_numbers_are_refused(org: Org) -> None:
    member = await org.member()
    key = await org.api_key()
    raw = {"content-type": "application/json", "X-API-Key": key}
    bodies = {
        "NUL": '{"events": [{"event_id": "e-nul", "type": "order.completed", "user_id": "%s", '
        '"properties": {"note": "a\\u0000b"}}]}',
        "lone surrogate": '{"events": [{"event_id": "e-sur", "type": "order.completed", '
        '"user_id": "%s", "properties": {"note": "\\ud800"}}]}',
        "beyond 64 bits": '{"events": [{"event_id": "e-big", "type": "order.completed", '
        '"user_id": "%s", "properties": {"total": 99999999999999999999}}]}',
    }
    for name, body in bodies.items():
        response = await org.client.post(EVENTS, content=body % member.id, headers=raw)
        assert response.status_code == 400, (name, response.text)
        assert response.json()["error"] == "BadRequest"
    in_name = await org.client.patch(
        SETTINGS, json={"display_name": "Acme\x00"}, headers=org.admin.headers
    )
    in_query = await org.client.get(EVENTS, params={"type": "order\x00"}, headers=org.admin.headers)
    assert in_name.status_code == in_query.status_code == 400
    stored = await org.client.get(
        EVENTS, params={"type": "order.completed"}, headers=org.admin.headers
    )
    assert stored.json()["events"] == []  # none of it was kept


async def test_a_cursor_beyond_64_bits_is_a_bad_request(org: Org) -> None:
    huge = encode_cursor([2**70])  # well formed, but no sequence number is that large
    for cursor in (huge, "9" * 19, "not a cursor"):
        response = await org.client.get(
            EVENTS, params={"cursor": cursor}, headers=org.admin.headers
        )
        assert response.status_code == 400, response.text


async def test_a_periodic_board_needs_a_real_timezone(org: Org) -> None:
    response = await org.client.post(
        "/api/v1/gamification/leaderboards",
        json={
            "key": "weekly",
            "name": "Weekly",
            "metric": "points",
            "period": "weekly",
            "timezone": "",
        },
        headers=org.admin.headers,
    )
    assert response.status_code == 422, response.text
    boards = await org.client.get("/api/v1/gamification/leaderboards", headers=org.admin.headers)
    assert all(b["key"] != "weekly" for b in boards.json())


async def test_json_nested_thousands_deep_is_refused_at_sign_in(auth_app: FastAPI) -> None:
    deep = '{"email": "a@example.com", "password": ' + "[" * 5000 + "]" * 5000 + "}"
    async with client_for(auth_app) as client:
        response = await client.post(
            "/api/v1/auth/login", content=deep, headers={"content-type": "application/json"}
        )
    assert response.status_code == 400, response.text


async def test_an_update_racing_an_erase_never_fails_on_our_side(org: Org) -> None:
    for _ in range(5):
        member = await org.member()
        await org.send([event(member, "order.completed", total=5)], await org.api_key())
        privacy, erase = await asyncio.gather(
            org.client.patch(
                "/api/v1/gamification/members/me/privacy",
                json={"alias": "Racer"},
                headers=member.headers,
            ),
            org.client.delete(
                f"/api/v1/gamification/members/{member.id}", headers=org.admin.headers
            ),
        )
        assert privacy.status_code < 500 and erase.status_code < 500, (privacy, erase)
