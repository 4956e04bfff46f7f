"""The wizard API through the gateway, driven by the payment gateway wizard: a draft kept
on the server and resumed, each step refused with its message and nothing kept, the
secret in Vault and nowhere else, a finish applied once however often it is sent, and
nobody else's draft visible."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from bizosaas.core.database import RowScope, utcnow
from bizosaas.core.secrets import SecretStore
from bizosaas.identity.vocabulary import Role
from bizosaas.wizards.applying import draft_secrets_path
from bizosaas.wizards.payments import gateway_path
from tests.factories import runtime_db
from tests.gamification.factories import Org, make_org
from tests.payment_providers import PAYPAL, STRIPE_SECRET

W = "/api/v1/wizards"
STRIPE = {"publishable_key": "pk_test_" + "Visible1" * 3, "secret_key": STRIPE_SECRET}
RAZORPAY = {"key_id": "rzp_test_" + "Kq7" * 4 + "zz", "key_secret": "Rz" * 12}


async def start(org: Org, wizard: str = "payment-gateway") -> dict[str, Any]:
    response = await org.client.post(f"{W}/{wizard}/drafts", headers=org.admin.headers)
    assert response.status_code in (200, 201), response.text
    return response.json()  # type: ignore[no-any-return]


async def save(
    org: Org, draft: dict[str, Any], step: str, answer: dict[str, Any]
) -> httpx.Response:
    return await org.client.put(
        f"{W}/drafts/{draft['id']}/steps/{step}", json=answer, headers=org.admin.headers
    )


async def answered(org: Org, provider: str, mode: str, keys: dict[str, str]) -> dict[str, Any]:
    draft = await start(org)
    assert (await save(org, draft, "provider", {"provider": provider, "mode": mode})).is_success
    saved = await save(org, draft, "credentials", keys)
    assert saved.status_code == 200, saved.text
    assert (await save(org, draft, "activate", {"activate": True})).is_success
    return draft


def vault(app: FastAPI) -> SecretStore:
    return app.state.runtime.secrets  # type: ignore[no-any-return]


async def stored_answers(app: FastAPI, draft_id: str) -> str:
    async with runtime_db(app).transaction(RowScope.platform_wide()) as db:
        found = await db.execute(
            text(
                "SELECT answers::text || coalesce(outcome::text, '') FROM wizard_drafts "
                "WHERE id = :id"
            ),
            {"id": draft_id},
        )
        return str(found.scalar_one())


async def test_a_draft_is_kept_resumed_and_finished_with_the_secret_only_in_vault(
    org: Org, wizard_app: FastAPI
) -> None:
    draft = await start(org)
    assert draft["status"] == "open" and draft["next_step"] == "provider"
    assert (draft["answered"], draft["total"]) == (0, 3)
    assert draft["expires_at"] > utcnow().isoformat()
    assert (await save(org, draft, "provider", {"provider": "stripe", "mode": "test"})).is_success

    resumed = await start(org)  # on another device: the same draft, where it was left
    assert resumed["id"] == draft["id"] and resumed["next_step"] == "credentials"
    credentials = next(s for s in resumed["steps"] if s["key"] == "credentials")
    assert credentials["json_schema"]["properties"]["secret_key"]["format"] == "password"

    saved = await save(org, draft, "credentials", STRIPE)
    assert saved.status_code == 200
    assert STRIPE_SECRET not in saved.text
    assert saved.json()["answers"]["credentials"] == {"publishable_key": STRIPE["publishable_key"]}
    assert STRIPE_SECRET not in await stored_answers(wizard_app, draft["id"])
    kept = await vault(wizard_app).read(draft_secrets_path(org.id, uuid.UUID(draft["id"])))
    assert kept == {"secret_key": STRIPE_SECRET}

    assert (await save(org, draft, "activate", {"activate": True})).is_success
    finished = await org.client.post(f"{W}/drafts/{draft['id']}/finish", headers=org.admin.headers)
    assert finished.status_code == 200, finished.text
    body = finished.json()
    assert body["status"] == "finished"
    assert body["outcome"]["summary"] == "Stripe is active for test payments."
    assert "Verified with Stripe" in body["outcome"]["done"]
    shown = body["outcome"]["shown"]
    assert shown["Webhook URL"].endswith(f"/api/v1/ecommerce/webhooks/stripe/{org.id}")
    assert shown["Signing secret"].startswith("whsec_")
    assert STRIPE_SECRET not in finished.text

    gateway = await vault(wizard_app).read(gateway_path(org.id, "stripe"))
    assert gateway is not None
    assert gateway["secret_key"] == STRIPE_SECRET and gateway["mode"] == "test"
    assert gateway["webhook_signing_secret"] == shown["Signing secret"]
    assert gateway["verified"] is True
    stored = await stored_answers(wizard_app, draft["id"])
    assert STRIPE_SECRET not in stored and shown["Signing secret"] not in stored
    for _ in range(50):  # the draft's copy is deleted once the finish has committed
        if await vault(wizard_app).read(draft_secrets_path(org.id, uuid.UUID(draft["id"]))) is None:
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the draft's secret stayed in Vault after the finish")

    listed = await org.client.get(f"{W}/drafts", headers=org.admin.headers)
    assert [d["status"] for d in listed.json()["drafts"]] == ["finished"]
    again = await start(org)  # a finished wizard is not resumed: a new draft starts
    assert again["id"] != draft["id"] and again["status"] == "open"


async def test_a_double_submit_applies_once_and_answers_the_same(
    org: Org, wizard_app: FastAPI
) -> None:
    draft = await answered(
        org, "paypal", "test", {"client_id": PAYPAL[0], "client_secret": PAYPAL[1]}
    )
    url = f"{W}/drafts/{draft['id']}/finish"
    first, second = await asyncio.gather(
        org.client.post(url, headers=org.admin.headers),
        org.client.post(url, headers=org.admin.headers),
    )
    assert first.status_code == second.status_code == 200
    assert first.json()["outcome"] == second.json()["outcome"]
    assert first.json()["finished_at"] == second.json()["finished_at"]
    found = await vault(wizard_app).read_versioned(gateway_path(org.id, "paypal"))
    assert found is not None and found[1] == 1  # written once


async def test_credentials_the_provider_refuses_activate_nothing(
    org: Org, wizard_app: FastAPI
) -> None:
    keys = {**STRIPE, "secret_key": "sk_test_" + "Refused00" * 3}
    draft = await answered(org, "stripe", "test", keys)
    refused = await org.client.post(f"{W}/drafts/{draft['id']}/finish", headers=org.admin.headers)
    assert refused.status_code == 409
    assert "Stripe did not accept these credentials" in refused.json()["detail"]
    assert await vault(wizard_app).read(gateway_path(org.id, "stripe")) is None
    still = await org.client.get(f"{W}/drafts/{draft['id']}", headers=org.admin.headers)
    assert still.json()["status"] == "open"


async def test_a_provider_out_of_reach_is_activated_but_not_verified_yet(org: Org) -> None:
    draft = await answered(org, "razorpay", "test", RAZORPAY)
    done = await org.client.post(f"{W}/drafts/{draft['id']}/finish", headers=org.admin.headers)
    assert done.status_code == 200
    outcome = done.json()["outcome"]
    assert "Not verified yet" in outcome["summary"] and "Not verified yet" in outcome["done"]


async def test_a_bad_value_at_each_step_is_refused_and_nothing_is_kept(org: Org) -> None:
    draft = await start(org)
    bad = await save(org, draft, "provider", {"provider": "square", "mode": "test"})
    assert bad.status_code == 422
    assert [p["loc"] for p in bad.json()["detail"]] == [["body", "provider"]]
    assert (await save(org, draft, "provider", {"provider": "stripe", "mode": "live"})).is_success
    wrong_mode = await save(org, draft, "credentials", STRIPE)  # test keys, live payments
    assert wrong_mode.status_code == 422
    messages = {p["loc"][-1]: p["msg"] for p in wrong_mode.json()["detail"]}
    assert messages["publishable_key"] == "This is a test key; the wizard is set up for live."
    assert STRIPE_SECRET not in wrong_mode.text
    unanswered = await save(org, draft, "activate", {"activate": False})
    assert unanswered.status_code == 422
    current = (await org.client.get(f"{W}/drafts/{draft['id']}", headers=org.admin.headers)).json()
    assert list(current["answers"]) == ["provider"] and current["next_step"] == "credentials"
    early = await org.client.post(f"{W}/drafts/{draft['id']}/finish", headers=org.admin.headers)
    assert early.status_code == 409 and "Credentials" in early.json()["detail"]
    unknown = await save(org, draft, "shipping", {})
    assert unknown.status_code == 404


async def test_changing_the_provider_asks_for_the_credentials_again(org: Org) -> None:
    draft = await answered(org, "stripe", "test", STRIPE)
    changed = await save(org, draft, "provider", {"provider": "razorpay", "mode": "test"})
    body = changed.json()
    assert "credentials" not in body["answers"] and body["next_step"] == "credentials"
    schema = next(s for s in body["steps"] if s["key"] == "credentials")["json_schema"]
    assert set(schema["properties"]) == {"key_id", "key_secret"}


async def test_nobody_else_sees_or_touches_a_draft(
    org: Org, auth_app: FastAPI, gamification_app: FastAPI
) -> None:
    draft = await start(org)
    other = await make_org(auth_app, gamification_app)
    colleague = await org.member(Role.TENANT_ADMIN)
    async with other.client:
        for who in (other.admin.headers, colleague.headers):
            url = f"{W}/drafts/{draft['id']}"
            assert (await org.client.get(url, headers=who)).status_code == 404
            put = await org.client.put(
                f"{url}/steps/provider", json={"provider": "stripe", "mode": "test"}, headers=who
            )
            assert put.status_code == 404
            assert (await org.client.post(f"{url}/finish", headers=who)).status_code == 404
            assert (await org.client.delete(url, headers=who)).status_code == 404
    member = await org.member()
    assert (await org.client.get(f"{W}", headers=member.headers)).status_code == 403
    assert (await org.client.get(f"{W}/drafts/{draft['id']}")).status_code == 401
    mine = await org.client.get(f"{W}/drafts/{draft['id']}", headers=org.admin.headers)
    assert mine.json()["answers"] == {}


async def test_an_expired_draft_is_gone_and_a_new_one_starts(org: Org, wizard_app: FastAPI) -> None:
    draft = await start(org)
    assert (await save(org, draft, "provider", {"provider": "stripe", "mode": "test"})).is_success
    assert (await save(org, draft, "credentials", STRIPE)).is_success
    async with runtime_db(wizard_app).transaction(RowScope.tenant(org.id)) as db:
        await db.execute(
            text("UPDATE wizard_drafts SET expires_at = :past WHERE id = :id"),
            {"past": utcnow() - timedelta(minutes=1), "id": draft["id"]},
        )
    gone = await org.client.get(f"{W}/drafts/{draft['id']}", headers=org.admin.headers)
    assert gone.status_code == 404 and "expired" in gone.json()["detail"]
    fresh = await start(org)
    assert fresh["id"] != draft["id"] and fresh["answers"] == {}
    for _ in range(50):
        if await vault(wizard_app).read(draft_secrets_path(org.id, uuid.UUID(draft["id"]))) is None:
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("an expired draft's secret stayed in Vault")
