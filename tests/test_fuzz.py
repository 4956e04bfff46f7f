"""Schemathesis over every service's OpenAPI, through the gateway, with a real token.

Valid and invalid requests (positive and negative generation) for every operation of
every service the gateway routes to, as a tenant admin whose tenant may send plenty.
Whatever they are, none may answer a server error. The budget per operation and mode
is ``BIZOSAAS_FUZZ_EXAMPLES`` (default 8), so the run stays bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from bizosaas.auth.context import tenant_info
from bizosaas.identity.vocabulary import Role
from tests.conftest import RunningPlatform
from tests.factories import PASSWORD, create_tenant, create_user

EXAMPLES = int(os.environ.get("BIZOSAAS_FUZZ_EXAMPLES", "8"))
# Operations that would end the fuzzer's own session, or stream forever.
SKIPPED = {
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/auth/logout-all"),
    ("GET", "/api/v1/gamification/notifications/stream"),
}


@dataclass
class Tally:
    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)


class Fuzzer:
    def __init__(self, origin: str, email: str, tenant_id: str) -> None:
        self.origin = origin
        self.email = email
        self.tenant_id = tenant_id
        self.http = requests.Session()
        self.token = ""
        self.tally = Tally()

    def _visitor(self) -> dict[str, str]:
        # The gateway believes X-Forwarded-For from loopback (a trusted proxy): a fresh
        # visitor address keeps the per-IP limits of anonymous routes out of the way.
        return {"X-Forwarded-For": f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.7"}

    def sign_in(self) -> None:
        answer = self.http.post(
            self.origin + "/api/v1/auth/login",
            json={"email": self.email, "password": PASSWORD},
            headers=self._visitor(),
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        self.token = answer.json()["access_token"]

    def still_signed_in(self) -> bool:
        me = self.http.get(
            self.origin + "/api/v1/auth/me",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        return me.status_code == 200

    def run(self, app: FastAPI) -> None:
        schema = schemathesis.openapi.from_dict(app.openapi())
        for result in schema.get_all_operations():
            operation = result.ok()
            if (operation.method.upper(), operation.path) in SKIPPED:
                continue
            if not self.still_signed_in():
                self.sign_in()
            strategies = [operation.as_strategy(mode) for mode in GenerationMode]
            if "{tenant_id}" in operation.path:  # the caller's own tenant, not only strangers
                strategies.append(
                    operation.as_strategy(path_parameters={"tenant_id": self.tenant_id})
                )
            for strategy in strategies:
                self._explore(strategy)

    def _explore(self, strategy: st.SearchStrategy[Any]) -> None:
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def explore(case: Any) -> None:
            headers = {"Authorization": f"Bearer {self.token}", **self._visitor()}
            response = case.call(base_url=self.origin, session=self.http, headers=headers)
            self.tally.sent += 1
            self.tally.statuses[response.status_code] += 1
            if response.status_code >= 500:
                self.tally.server_errors.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: "
                    f"{response.text[:200]}\n    {case.as_curl_command()[:1500]}"
                )

        with contextlib.suppress(Unsatisfiable):  # nothing invalid to send (no parameters)
            explore()


@pytest.mark.timeout(600)  # a few thousand requests over every operation of every service
async def test_no_request_through_the_gateway_gets_a_server_error(
    platform: RunningPlatform, auth_app: FastAPI
) -> None:
    tenant = await create_tenant(auth_app, rate_limit_per_hour=10_000_000)
    await auth_app.state.auth.tenants.publish(tenant_info(tenant))  # as the API would
    admin = await create_user(auth_app, tenant, Role.TENANT_ADMIN)
    fuzzer = Fuzzer(platform.url, admin.email, str(tenant.id))
    await asyncio.to_thread(fuzzer.sign_in)
    for app in platform.apps.values():
        await asyncio.to_thread(fuzzer.run, app)
    tally = fuzzer.tally
    print(f"\nfuzzer: {tally.sent} requests, statuses {dict(sorted(tally.statuses.items()))}")
    assert tally.sent > 100
    assert not tally.server_errors, "\n".join(tally.server_errors[:20])
