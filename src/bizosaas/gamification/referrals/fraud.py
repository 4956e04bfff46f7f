"""Scoring a referral conversion for fraud: pure functions over the signals the service gathers.

Each signal that fires adds a reason ``{code, weight, detail}``; the weights combine as
independent pieces of evidence (``1 - Π(1 - w)``), so one strong signal decides alone and
several weak ones add up without ever passing 1. The decision follows the score:
below :data:`APPROVE_BELOW` the conversion is approved, from :data:`REJECT_FROM` it is
rejected, and in between a tenant admin reviews it.
"""

from __future__ import annotations

import difflib
import uuid
from dataclasses import dataclass, field
from typing import Literal

APPROVE_BELOW = 0.3
REJECT_FROM = 0.7
NAME_SIMILARITY = 0.85
CLUSTER_SIZE = 3  # other referees of the same code on one IP or device
VELOCITY_LIMIT = 5  # conversions of one code within the last hour

Decision = Literal["approved", "review", "rejected"]

WEIGHTS: dict[str, float] = {
    "self_referral": 1.0,  # the referee is the referrer
    "same_email": 0.9,  # the referee's email is the referrer's, once normalised
    "duplicate_email": 0.6,  # another referee of this code had the same normalised email
    "shared_device": 0.6,  # the referrer's own device
    "shared_ip": 0.5,  # the referrer's own IP address
    "device_cluster": 0.45,  # many referees of this code on one device
    "similar_name": 0.4,
    "ip_cluster": 0.35,  # many referees of this code behind one IP address
    "disposable_email": 0.35,
    "velocity": 0.3,
}

# Well-known throwaway inbox providers; not exhaustive, only the common ones.
DISPOSABLE_EMAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "10minutemail.com",
        "20minutemail.com",
        "33mail.com",
        "dispostable.com",
        "emailondeck.com",
        "fakeinbox.com",
        "getairmail.com",
        "getnada.com",
        "guerrillamail.com",
        "guerrillamail.net",
        "guerrillamailblock.com",
        "harakirimail.com",
        "incognitomail.org",
        "mailcatch.com",
        "maildrop.cc",
        "mailinator.com",
        "mailnesia.com",
        "mintemail.com",
        "mohmal.com",
        "mytemp.email",
        "sharklasers.com",
        "spamgourmet.com",
        "temp-mail.org",
        "tempail.com",
        "tempmail.com",
        "tempmailo.com",
        "tempr.email",
        "throwawaymail.com",
        "trashmail.com",
        "yopmail.com",
        "moakt.com",
        "burnermail.io",
    }
)
# Providers that ignore dots in the local part.
DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    weight: float
    detail: str

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "weight": self.weight, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Signals:
    """What is known about one conversion when it is scored."""

    referrer_id: uuid.UUID
    referee_id: uuid.UUID
    referrer_name: str = ""
    referee_name: str = ""
    referrer_email: str | None = None
    referee_email: str | None = None
    ip: str | None = None
    device_fingerprint: str | None = None
    # The referrer's own IPs and devices, from its recorded visits and conversions.
    referrer_ips: frozenset[str] = field(default_factory=frozenset)
    referrer_devices: frozenset[str] = field(default_factory=frozenset)
    # How many *other* referees of the same code used this IP / this device.
    referees_on_ip: int = 0
    referees_on_device: int = 0
    # Normalised emails of the code's earlier referees.
    earlier_referee_emails: frozenset[str] = field(default_factory=frozenset)
    conversions_last_hour: int = 0  # from the same code, not counting this one
    # What the trained model reads besides (see fraud_model.features):
    conversions_last_day: int = 0  # from the same code, not counting this one
    seconds_since_visit: float | None = None  # the referee's first click or sign-up → now
    code_age_seconds: float | None = None
    referrer_approved: int = 0  # the referrer's earlier conversions in the program, by outcome
    referrer_rejected: int = 0
    # Other accounts of the tenant already seen on this device / behind this address.
    device_accounts: int = 0
    ip_accounts: int = 0
    # The referral graph near the pair: (referrer, referee) edges already converted.
    referral_edges: tuple[tuple[uuid.UUID, uuid.UUID], ...] = ()
    # The code's earlier referees and what they came from: (referee, "device:…" or "ip:…").
    code_links: tuple[tuple[uuid.UUID, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Assessment:
    score: float
    reasons: list[Reason]
    features: tuple[float, ...] = ()  # what the trained model read, when one scored it

    @property
    def decision(self) -> Decision:
        return decide(self.score)


def decide(score: float) -> Decision:
    if score < APPROVE_BELOW:
        return "approved"
    if score >= REJECT_FROM:
        return "rejected"
    return "review"


def normalise_email(email: str) -> str:
    """Lower-case; drop a ``+tag``; drop dots where the provider ignores them (gmail)."""
    local, _, domain = email.strip().lower().rpartition("@")
    if not local:
        return email.strip().lower()
    local = local.split("+", 1)[0]
    if domain in DOTLESS_DOMAINS:
        domain = DOTLESS_DOMAINS[domain]
        local = local.replace(".", "")
    return f"{local}@{domain}"


def is_disposable(email: str) -> bool:
    domain = email.strip().lower().rpartition("@")[2]
    # A subdomain of a throwaway provider is throwaway too.
    parts = domain.split(".")
    return any(".".join(parts[i:]) in DISPOSABLE_EMAIL_DOMAINS for i in range(len(parts) - 1))


def name_similarity(a: str, b: str) -> float:
    a, b = " ".join(a.lower().split()), " ".join(b.lower().split())
    if not a or not b:
        return 0.0
    return difflib.SequenceMatcher(None, a, b).ratio()


def _reason(code: str, detail: str) -> Reason:
    return Reason(code, WEIGHTS[code], detail)


def assess(s: Signals) -> Assessment:
    reasons: list[Reason] = []
    if s.referee_id == s.referrer_id:
        reasons.append(_reason("self_referral", "The referee is the referrer."))
    email = normalise_email(s.referee_email) if s.referee_email else None
    if email and s.referrer_email and email == normalise_email(s.referrer_email):
        reasons.append(_reason("same_email", "The referee's email is the referrer's own."))
    if email and email in s.earlier_referee_emails:
        reasons.append(
            _reason("duplicate_email", "Another referee of this code had the same email.")
        )
    if s.referee_id != s.referrer_id:
        ratio = name_similarity(s.referrer_name, s.referee_name)
        if ratio >= NAME_SIMILARITY:
            reasons.append(
                _reason("similar_name", f"The names are {ratio:.0%} alike (referrer and referee).")
            )
    if s.device_fingerprint and s.device_fingerprint in s.referrer_devices:
        reasons.append(_reason("shared_device", "The referee used the referrer's own device."))
    elif s.device_fingerprint and s.referees_on_device >= CLUSTER_SIZE:
        reasons.append(
            _reason(
                "device_cluster",
                f"{s.referees_on_device} other referees of this code used the same device.",
            )
        )
    if s.ip and s.ip in s.referrer_ips:
        reasons.append(_reason("shared_ip", "The referee came from the referrer's own IP."))
    elif s.ip and s.referees_on_ip >= CLUSTER_SIZE:
        reasons.append(
            _reason("ip_cluster", f"{s.referees_on_ip} other referees of this code shared the IP.")
        )
    if s.referee_email and is_disposable(s.referee_email):
        domain = s.referee_email.rpartition("@")[2].lower()
        reasons.append(_reason("disposable_email", f"{domain} is a throwaway inbox provider."))
    if s.conversions_last_hour >= VELOCITY_LIMIT:
        reasons.append(
            _reason(
                "velocity", f"{s.conversions_last_hour} conversions of this code in the last hour."
            )
        )
    return with_evidence(Assessment(0.0, []), reasons)


def with_evidence(assessment: Assessment, reasons: list[Reason]) -> Assessment:
    """``assessment`` raised by further independent pieces of evidence."""
    remaining = 1.0 - assessment.score
    for reason in reasons:
        remaining *= 1.0 - reason.weight
    score = round(min(1.0, max(0.0, 1.0 - remaining)), 4)
    return Assessment(score, [*assessment.reasons, *reasons], assessment.features)
