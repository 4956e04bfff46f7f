"""The payment gateway set-up wizard (3 steps): the provider and mode, the credentials in
that provider's format, then verify and activate.

The credentials are checked for their provider's format and for the mode chosen (a test
key is refused for live payments, and the other way round). The secret parts are
:class:`~pydantic.SecretStr`: the engine hands them over apart and the wizard service
keeps them in Vault under the tenant, so no draft, page, log or answer ever holds one.

Activating checks the credentials live with the provider (:mod:`.provider_checks`),
then stores the gateway in Vault (``tenants/<tenant>/payments/<provider>``) with a new
webhook signing secret, and shows the webhook URL and that secret to paste at the
provider. A provider that cannot be reached leaves the gateway "not verified yet".
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator

from bizosaas.core.database import utcnow
from bizosaas.wizards.applying import Finishing, NotApplied
from bizosaas.wizards.engine import Outcome, Step, Wizard, labelled, picked_by
from bizosaas.wizards.provider_checks import check_credentials

Mode = Literal["test", "live"]
NAMES = {"stripe": "Stripe", "paypal": "PayPal", "razorpay": "Razorpay"}


class Provider(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: Literal["stripe", "paypal", "razorpay"] = Field(
        title="Provider", json_schema_extra=labelled(NAMES)
    )
    mode: Mode = Field(
        title="Mode",
        json_schema_extra=labelled(
            {"test": "Test (the provider's sandbox)", "live": "Live (real payments)"}
        ),
    )


class _Keys(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @staticmethod
    def mode(info: ValidationInfo) -> str:
        answers: Mapping[str, Any] = (info.context or {}).get("answers", {})
        return str(answers.get("provider", {}).get("mode", "test"))


def _shaped(value: str, pattern: str, message: str) -> str:
    if re.fullmatch(pattern, value) is None:
        raise ValueError(message)
    return value


def _keyed(value: str, pattern: str, what: str, mode: str) -> str:
    found = re.fullmatch(pattern, value)
    if found is None:
        raise ValueError(f"This is not a {what}.")
    if found.group("mode") != mode:
        raise ValueError(f"This is a {found.group('mode')} key; the wizard is set up for {mode}.")
    return value


class StripeKeys(_Keys):
    publishable_key: str = Field(title="Publishable key", description="pk_test_… or pk_live_…")
    secret_key: SecretStr = Field(title="Secret key", description="sk_… or a restricted rk_… key")

    @field_validator("publishable_key")
    @classmethod
    def _publishable(cls, value: str, info: ValidationInfo) -> str:
        pattern = r"pk_(?P<mode>test|live)_[A-Za-z0-9]{16,247}"
        return _keyed(value, pattern, "Stripe publishable key (pk_…)", cls.mode(info))

    @field_validator("secret_key")
    @classmethod
    def _secret(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        pattern = r"[sr]k_(?P<mode>test|live)_[A-Za-z0-9]{16,247}"
        _keyed(
            value.get_secret_value(), pattern, "Stripe secret key (sk_… or rk_…)", cls.mode(info)
        )
        return value


class PayPalKeys(_Keys):
    client_id: str = Field(title="Client ID", description="The REST app's client ID")
    client_secret: SecretStr = Field(title="Client secret")

    @field_validator("client_id")
    @classmethod
    def _client_id(cls, value: str) -> str:
        message = "This is not a PayPal client ID (20 to 128 letters, digits, - or _)."
        return _shaped(value, r"[A-Za-z0-9_-]{20,128}", message)

    @field_validator("client_secret")
    @classmethod
    def _client_secret(cls, value: SecretStr) -> SecretStr:
        message = "This is not a PayPal client secret."
        _shaped(value.get_secret_value(), r"[A-Za-z0-9_-]{20,128}", message)
        return value


class RazorpayKeys(_Keys):
    key_id: str = Field(title="Key ID", description="rzp_test_… or rzp_live_…")
    key_secret: SecretStr = Field(title="Key secret")

    @field_validator("key_id")
    @classmethod
    def _key_id(cls, value: str, info: ValidationInfo) -> str:
        pattern = r"rzp_(?P<mode>test|live)_[A-Za-z0-9]{14}"
        return _keyed(value, pattern, "Razorpay key ID (rzp_…)", cls.mode(info))

    @field_validator("key_secret")
    @classmethod
    def _key_secret(cls, value: SecretStr) -> SecretStr:
        message = "This is not a Razorpay key secret (24 letters and digits)."
        _shaped(value.get_secret_value(), r"[A-Za-z0-9]{24}", message)
        return value


KEYS: dict[str, type[BaseModel]] = {
    "stripe": StripeKeys,
    "paypal": PayPalKeys,
    "razorpay": RazorpayKeys,
}


class Activate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    activate: bool = Field(
        title="Activate this gateway",
        description="Payments go through it from now on; you will be shown the webhook URL "
        "and signing secret to paste at the provider",
    )

    @field_validator("activate")
    @classmethod
    def _ticked(cls, value: bool) -> bool:
        if not value:
            raise ValueError("Tick the box to activate the gateway.")
        return value


def gateway_path(tenant_id: object, provider: str) -> str:
    """Where a tenant's active gateway of one provider is kept in Vault."""
    return f"tenants/{tenant_id}/payments/{provider}"


async def activate(finishing: Finishing) -> Outcome:
    chosen = finishing.answers["provider"]
    provider, mode = chosen["provider"], chosen["mode"]
    name = NAMES[provider]
    public = finishing.answers["credentials"]
    secret = await finishing.secrets()
    if not secret:
        raise NotApplied("The credentials' secret is no longer kept: enter the credentials again.")
    client = finishing.api.client
    check = await check_credentials(client, finishing.settings, provider, mode, public, secret)
    if check.verdict == "refused":
        raise NotApplied(
            f"{name} did not accept these credentials ({check.detail}). Nothing was activated: "
            "go back to Credentials and paste them again."
        )
    signing_secret = "whsec_" + secrets.token_urlsafe(32)
    path = gateway_path(finishing.tenant_id, provider)
    await finishing.vault.write(
        path,
        {
            "mode": mode,
            **public,
            **secret,
            "webhook_signing_secret": signing_secret,
            "verified": check.verdict == "verified",
            "activated_by": str(finishing.user_id),
            "activated_at": utcnow().isoformat(),
        },
    )
    verified = check.verdict == "verified"
    webhooks = f"{finishing.settings.public_url}/api/v1/ecommerce/webhooks"
    webhook = f"{webhooks}/{provider}/{finishing.tenant_id}"
    return Outcome(
        summary=f"{name} is active for {mode} payments."
        + ("" if verified else f" Not verified yet: {check.detail}."),
        done=[
            f"{name} credentials kept in Vault under your organisation (never shown again)",
            "Verified with " + name if verified else "Not verified yet",
        ],
        shown={"Webhook URL": webhook, "Signing secret": f"vault:{path}#webhook_signing_secret"},
    )


PAYMENTS = Wizard(
    key="payment-gateway",
    title="Payment gateway set-up",
    steps=(
        Step("provider", "Provider", Provider),
        Step("credentials", "Credentials", picked_by("provider", "provider", KEYS)),
        Step("activate", "Verify and activate", Activate),
    ),
    finish=activate,
    finish_label="Verify and activate",
    summary="Connect Stripe, PayPal or Razorpay: credentials kept in Vault, webhook set up.",
)
