"""A referee's qualifying event converts its referral through the event pipeline."""

from __future__ import annotations

from decimal import Decimal

from tests.gamification.factories import Org, event
from tests.gamification.test_achievements import view
from tests.gamification.test_referrals import (
    BASE,
    balance,
    code_of,
    make_program,
    person,
    referee,
    rewards,
)


async def test_a_first_purchase_converts_once_and_rewards_the_referrer(org: Org) -> None:
    await make_program(org, qualifying_event="first_purchase")
    referrer = await person(org, "Alice Walker")
    key = await org.api_key()
    code = await code_of(org, referrer)
    friend = await referee(org)
    signup = await org.client.post(
        f"{BASE}/signups",
        json={"code": code["code"], "referee_id": str(friend.id)},
        headers={"X-API-Key": key},
    )
    assert signup.status_code == 201, signup.text
    await org.send([event(friend, "order.completed", total=30)], key)
    await org.send([event(friend, "order.completed", total=45)], key)  # not a first purchase
    await org.settle()
    await org.settle()  # the referral.converted event the conversion appended
    review = await org.client.get(
        f"{BASE}/review", params={"status": "approved"}, headers=org.admin.headers
    )
    [conversion] = [c for c in review.json()["conversions"] if c["referee_id"] == str(friend.id)]
    assert conversion["status"] == "approved"
    assert balance(await rewards(org, referrer))["total"] == Decimal("10")
    assert (await view(org, referrer))["first_referral"]["unlocked"]


async def test_an_event_without_a_referred_signup_converts_nothing(org: Org) -> None:
    await make_program(org, qualifying_event="first_purchase")
    stranger = await referee(org)
    key = await org.api_key()
    await org.send([event(stranger, "order.completed", total=30)], key)
    await org.settle()
    review = await org.client.get(
        f"{BASE}/review", params={"status": "approved"}, headers=org.admin.headers
    )
    assert [c for c in review.json()["conversions"] if c["referee_id"] == str(stranger.id)] == []
