"""The payment gateway wizard's live check: one harmless authenticated call to the
provider's API with the credentials given.

The provider accepting them verifies the gateway; refusing them (401 or 403) means the
credentials are wrong, and nothing is activated; a provider that cannot be reached (no
route out, a timeout, its own error) leaves the gateway "not verified yet", which is
said plainly rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import httpx

from bizosaas.core.settings import Settings

TIMEOUT = httpx.Timeout(5.0, connect=3.0)
Verdict = Literal["verified", "refused", "unreachable"]


@dataclass(frozen=True)
class Check:
    verdict: Verdict
    detail: str


async def check_credentials(
    client: httpx.AsyncClient,
    settings: Settings,
    provider: str,
    mode: str,
    public: dict[str, str],
    secret: dict[str, str],
) -> Check:
    """``client``: a pooled client of the service (an absolute URL leaves its base aside)."""
    urls = settings.payment_api_urls
    base = urls.get(f"{provider}-{mode}") or urls.get(provider, "")
    request: httpx.Request
    if provider == "stripe":
        bearer = {"authorization": f"Bearer {secret['secret_key']}"}
        request = client.build_request("GET", f"{base}/v1/balance", headers=bearer, timeout=TIMEOUT)
        user = None
    elif provider == "paypal":
        form = {"grant_type": "client_credentials"}
        request = client.build_request(
            "POST", f"{base}/v1/oauth2/token", data=form, timeout=TIMEOUT
        )
        user = (public["client_id"], secret["client_secret"])
    else:
        query = {"count": 1}
        request = client.build_request("GET", f"{base}/v1/payments", params=query, timeout=TIMEOUT)
        user = (public["key_id"], secret["key_secret"])
    try:
        answer = await client.send(request, auth=user)
    except (httpx.HTTPError, ValueError) as exc:
        return Check("unreachable", f"{base} could not be reached ({type(exc).__name__})")
    if answer.status_code in (401, 403):
        return Check("refused", f"the provider answered {answer.status_code}")
    if answer.is_success:
        return Check("verified", "the provider accepted the credentials")
    return Check("unreachable", f"the provider answered {answer.status_code}")
