"""The platform's wizards, by key: each a declaration on the one engine."""

from __future__ import annotations

from bizosaas.core.errors import NotFound
from bizosaas.wizards.campaigns import CAMPAIGNS
from bizosaas.wizards.engine import Wizard
from bizosaas.wizards.onboarding import ONBOARDING
from bizosaas.wizards.payments import PAYMENTS
from bizosaas.wizards.social import SOCIAL
from bizosaas.wizards.sourcing import SOURCING

WIZARDS: dict[str, Wizard] = {
    wizard.key: wizard for wizard in (ONBOARDING, CAMPAIGNS, SOCIAL, SOURCING, PAYMENTS)
}


def wizard_named(key: str) -> Wizard:
    try:
        return WIZARDS[key]
    except KeyError:
        raise NotFound(f"There is no wizard {key!r}.") from None
