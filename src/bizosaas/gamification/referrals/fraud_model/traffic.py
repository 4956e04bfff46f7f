"""Labelled referral traffic with the patterns of real abuse, and honest traffic that looks
close to it, to train and measure the fraud model.

Each tenant lives through episodes in time order, and every conversion is described by
the :class:`~bizosaas.gamification.referrals.fraud.Signals` the service would have
gathered at that moment (the same fields the database gives when scoring for real).

Honest: a friend joins (sometimes minutes after the click, sometimes from a mobile
carrier's shared address); a family behind one home address (the same surname, at times
the referrer's tablet); colleagues behind one office network. Abuse: self-referral with
new emails, a farm of accounts on a few devices, throwaway inboxes, a burst within an
hour, a ring (A refers B refers C refers A), a code posted publicly that strangers use at
once; and a few careful self-referrals that leave no trace (what no model catches).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bizosaas.gamification.referrals.fraud import Signals, normalise_email

HONEST = ("friend", "family", "office")
ABUSE = ("self_referral", "device_farm", "throwaway_inbox", "burst", "ring", "public_code")
PATTERNS = HONEST + ABUSE
# How often each episode happens (abuse episodes bring several conversions each).
EPISODE_WEIGHTS = {
    "friend": 0.62,
    "family": 0.13,
    "office": 0.08,
    "self_referral": 0.07,
    "device_farm": 0.02,
    "throwaway_inbox": 0.035,
    "burst": 0.012,
    "ring": 0.02,
    "public_code": 0.012,
}
FIRST = ["Ana", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jon", "Kira",
         "Liam", "Maya", "Noor", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Viktor",
         "Wen", "Xavi", "Yara", "Zoe"]  # fmt: skip
LAST = ["Archer", "Becker", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Haddad", "Ivanova",
        "Jensen", "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Petrov", "Quist", "Rossi",
        "Silva", "Tanaka", "Urban", "Varga", "Weber", "Yilmaz", "Zimmer"]  # fmt: skip
PROVIDERS = ["gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me", "gmx.de"]
THROWAWAY = [
    "mailinator.com",
    "yopmail.com",
    "guerrillamail.com",
    "10minutemail.com",
    "tempmail.com",
]
HOUR, DAY = 3600.0, 86400.0
UNSEEN_VISITS = 0.35
# A tenant's server need not send the emails, the address or the device: each is missing
# from this share of conversions, honest and abusive alike.
UNSENT = 0.25


@dataclass(frozen=True)
class Sample:
    signals: Signals
    fraud: bool
    pattern: str


@dataclass
class Person:
    id: uuid.UUID
    name: str
    email: str
    home_ip: str
    device: str


@dataclass
class Code:
    created_at: float
    # (referee, normalised email, "device:…" and "ip:…" links, when)
    referees: list[tuple[uuid.UUID, str | None, tuple[str, ...], float]] = field(
        default_factory=list
    )


@dataclass
class Tenant:
    """One tenant's history so far: what a conversion's signals are read from."""

    rng: random.Random
    now: float = 0.0
    members: list[Person] = field(default_factory=list)
    codes: dict[uuid.UUID, Code] = field(default_factory=dict)
    footprint: dict[uuid.UUID, tuple[set[str], set[str]]] = field(default_factory=dict)
    edges: list[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=list)
    outcomes: dict[uuid.UUID, list[int]] = field(default_factory=dict)
    seen: dict[str, set[uuid.UUID]] = field(default_factory=dict)  # device or address → accounts
    carrier_ips: list[str] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)

    def person(self, *, last: str | None = None, domain: str | None = None) -> Person:
        rng = self.rng
        first, surname = rng.choice(FIRST), last or rng.choice(LAST)
        local = rng.choice([f"{first}.{surname}", f"{first}{surname[0]}", f"{first[0]}{surname}"])
        if rng.random() < 0.3:
            local += str(rng.randint(1, 99))
        return Person(
            uuid.UUID(int=rng.getrandbits(128)),
            f"{first} {surname}",
            f"{local.lower()}@{domain or rng.choice(PROVIDERS)}",
            ip(rng),
            device(rng),
        )

    def member(self) -> Person:
        if not self.members or self.rng.random() < 0.15:
            self.members.append(self.person())
        return self.rng.choice(self.members)

    def code_of(self, referrer: Person) -> Code:
        if referrer.id not in self.codes:
            self.codes[referrer.id] = Code(self.now)
            self.footprint[referrer.id] = ({referrer.home_ip}, {referrer.device})
            for key in (f"device:{referrer.device}", f"ip:{referrer.home_ip}"):
                self.seen.setdefault(key, set()).add(referrer.id)
        return self.codes[referrer.id]

    def convert(
        self,
        referrer: Person,
        referee: Person,
        *,
        at_ip: str,
        on_device: str,
        after_visit: float,
        fraud: bool,
        pattern: str,
    ) -> None:
        """Record the signals of this conversion as the service would see them, then let it
        happen (the review's verdict follows the truth)."""
        code = self.code_of(referrer)
        rng = self.rng
        # Often no click or sign-up was recorded before the conversion (an app install, a
        # code typed at checkout): honest and abusive conversions alike.
        visit = after_visit if rng.random() >= UNSEEN_VISITS else None
        email = referee.email if rng.random() >= UNSENT else None
        referrer_email = referrer.email if rng.random() >= UNSENT else None
        at = at_ip if rng.random() >= UNSENT else None
        on = on_device if rng.random() >= UNSENT else None
        ips, devices = self.footprint[referrer.id]
        earlier = [r for r in code.referees if r[0] != referee.id]
        outcomes = self.outcomes.get(referrer.id, [0, 0])
        links = [f"device:{on}"] if on else []
        links += [f"ip:{at}"] if at else []
        self.samples.append(
            Sample(
                Signals(
                    referrer_id=referrer.id,
                    referee_id=referee.id,
                    referrer_name=referrer.name,
                    referee_name=referee.name,
                    referrer_email=referrer_email,
                    referee_email=email,
                    ip=at,
                    device_fingerprint=on,
                    referrer_ips=frozenset(ips),
                    referrer_devices=frozenset(devices),
                    referees_on_ip=sum(1 for r in earlier if at and f"ip:{at}" in r[2]),
                    referees_on_device=sum(1 for r in earlier if on and f"device:{on}" in r[2]),
                    device_accounts=len(self.seen.get(f"device:{on}", set()) - {referee.id})
                    if on
                    else 0,
                    ip_accounts=len(self.seen.get(f"ip:{at}", set()) - {referee.id}) if at else 0,
                    earlier_referee_emails=frozenset(r[1] for r in earlier if r[1]),
                    conversions_last_hour=sum(1 for r in earlier if r[3] > self.now - HOUR),
                    conversions_last_day=sum(1 for r in earlier if r[3] > self.now - DAY),
                    seconds_since_visit=visit,
                    code_age_seconds=self.now - code.created_at,
                    referrer_approved=outcomes[0],
                    referrer_rejected=outcomes[1],
                    referral_edges=tuple(self.edges),
                    code_links=tuple((r[0], link) for r in earlier for link in r[2]),
                ),
                fraud,
                pattern,
            )
        )
        code.referees.append(
            (referee.id, normalise_email(email) if email else None, tuple(links), self.now)
        )
        self.edges.append((referrer.id, referee.id))
        for key in links:
            self.seen.setdefault(key, set()).add(referee.id)
        outcomes[1 if fraud else 0] += 1
        self.outcomes[referrer.id] = outcomes

    def wait(self, seconds: float) -> None:
        self.now += seconds


def ip(rng: random.Random) -> str:
    return (
        f"{rng.randint(11, 220)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    )


def device(rng: random.Random) -> str:
    return f"dev-{rng.getrandbits(48):012x}"


def _gap(rng: random.Random, fast: float) -> float:
    """Seconds from the click to the conversion: ``fast`` of the time within minutes."""
    if rng.random() < fast:
        return rng.uniform(5, 180)
    return rng.lognormvariate(9.5, 1.3)  # about 4 hours, from minutes to days


# -- honest ---------------------------------------------------------------------------------


def friend(t: Tenant) -> None:
    rng = t.rng
    referrer = t.member()
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        friend = t.person()
        carrier = rng.random() < 0.15  # behind a mobile carrier's shared address
        t.convert(
            referrer,
            friend,
            at_ip=rng.choice(t.carrier_ips) if carrier else friend.home_ip,
            on_device=friend.device,
            after_visit=_gap(rng, 0.1),
            fraud=False,
            pattern="friend",
        )
        t.members.append(friend)
        t.wait(rng.expovariate(1 / (6 * HOUR)))


def family(t: Tenant) -> None:
    rng = t.rng
    referrer = t.member()
    surname = referrer.name.split()[-1]
    for _ in range(rng.randint(1, 3)):
        relative = t.person(last=surname)
        tablet = rng.random() < 0.2  # the family's shared tablet: the referrer's device
        t.convert(
            referrer,
            relative,
            at_ip=referrer.home_ip if rng.random() < 0.9 else relative.home_ip,
            on_device=referrer.device if tablet else relative.device,
            after_visit=_gap(rng, 0.2),
            fraud=False,
            pattern="family",
        )
        t.members.append(relative)
        t.wait(rng.uniform(2 * HOUR, 5 * DAY))


def office(t: Tenant) -> None:
    rng = t.rng
    company = f"{rng.choice(LAST).lower()}-{rng.choice(['labs', 'co', 'group', 'tech'])}.com"
    referrer = t.person(domain=company)
    t.members.append(referrer)
    network = ip(rng)
    for _ in range(rng.randint(3, 8)):
        colleague = t.person(domain=company)
        t.convert(
            referrer,
            colleague,
            at_ip=network,
            on_device=colleague.device,
            after_visit=_gap(rng, 0.15),
            fraud=False,
            pattern="office",
        )
        t.members.append(colleague)
        t.wait(rng.uniform(10 * 60, 2 * DAY))


# -- abuse ----------------------------------------------------------------------------------


def self_referral(t: Tenant) -> None:
    """One person signs up again and again with new emails to collect the referral reward."""
    rng = t.rng
    me = t.member()
    careful = rng.random() < 0.08  # a new device, another network, a slow pace: no trace
    local = me.email.split("@")[0]
    for n in range(rng.randint(2, 6)):
        style = rng.random()
        if careful or style < 0.3:
            email = t.person().email
        elif style < 0.6:
            email = f"{local}+{rng.randint(1, 999)}@{me.email.split('@')[1]}"
        else:
            email = f"{local}{n + rng.randint(2, 9)}@{rng.choice(PROVIDERS)}"
        name = me.name if rng.random() < 0.4 and not careful else t.person().name
        fake = Person(uuid.UUID(int=rng.getrandbits(128)), name, email, ip(rng), device(rng))
        own_device = not careful and rng.random() < 0.6
        t.convert(
            me,
            fake,
            at_ip=me.home_ip if not careful and rng.random() < 0.5 else ip(rng),
            on_device=me.device if own_device else fake.device,
            after_visit=_gap(rng, 0.2 if careful else 0.8),
            fraud=True,
            pattern="self_referral",
        )
        t.wait(rng.uniform(60, 6 * HOUR) if not careful else rng.uniform(DAY, 6 * DAY))


def device_farm(t: Tenant) -> None:
    rng = t.rng
    referrer = t.member()
    phones = [device(rng) for _ in range(rng.randint(1, 2))]
    for _ in range(rng.randint(4, 12)):
        fake = t.person()
        t.convert(
            referrer,
            fake,
            at_ip=ip(rng),  # a new VPN exit each time
            on_device=rng.choice(phones),
            after_visit=_gap(rng, 0.7),
            fraud=True,
            pattern="device_farm",
        )
        t.wait(rng.uniform(60, 3 * HOUR))


def throwaway_inbox(t: Tenant) -> None:
    rng = t.rng
    referrer = t.member()
    for _ in range(rng.randint(2, 6)):
        fake = t.person(domain=rng.choice(THROWAWAY))
        t.convert(
            referrer,
            fake,
            at_ip=fake.home_ip,
            on_device=fake.device,
            after_visit=_gap(rng, 0.6),
            fraud=True,
            pattern="throwaway_inbox",
        )
        t.wait(rng.uniform(5 * 60, 8 * HOUR))


def burst(t: Tenant) -> None:
    rng = t.rng
    referrer = t.member()
    for _ in range(rng.randint(6, 20)):
        fake = t.person()
        t.convert(
            referrer,
            fake,
            at_ip=fake.home_ip,
            on_device=fake.device,
            after_visit=rng.uniform(5, 120),
            fraud=True,
            pattern="burst",
        )
        t.wait(rng.uniform(20, 5 * 60))


def ring(t: Tenant) -> None:
    """Accounts referring each other in a circle, each paid as a referrer."""
    rng = t.rng
    accounts = [t.person() for _ in range(rng.randint(3, 5))]
    if rng.random() < 0.7:  # one operator, one or two phones for every account
        phones = [device(rng) for _ in range(rng.randint(1, 2))]
        for account in accounts:
            account.device = rng.choice(phones)
    for a, b in zip(accounts, accounts[1:] + accounts[:1], strict=True):
        t.convert(
            a,
            b,
            at_ip=b.home_ip,
            on_device=b.device,
            after_visit=_gap(rng, 0.5),
            fraud=True,
            pattern="ring",
        )
        t.wait(rng.uniform(10 * 60, 12 * HOUR))


def public_code(t: Tenant) -> None:
    """A code posted on a coupon site: strangers use it within minutes of seeing it."""
    rng = t.rng
    referrer = t.member()
    for _ in range(rng.randint(8, 25)):
        stranger = t.person()
        t.convert(
            referrer,
            stranger,
            at_ip=stranger.home_ip,
            on_device=stranger.device,
            after_visit=rng.uniform(10, 600),
            fraud=True,
            pattern="public_code",
        )
        t.members.append(stranger)
        t.wait(rng.uniform(5 * 60, 2 * HOUR))


EPISODES: dict[str, Callable[[Tenant], None]] = {
    "friend": friend,
    "family": family,
    "office": office,
    "self_referral": self_referral,
    "device_farm": device_farm,
    "throwaway_inbox": throwaway_inbox,
    "burst": burst,
    "ring": ring,
    "public_code": public_code,
}


def generate(
    seed: int,
    *,
    tenants: int = 8,
    episodes: int = 400,
    patterns: Iterable[str] = PATTERNS,
) -> list[Sample]:
    """Conversions of ``tenants`` tenants over ``episodes`` episodes each, drawn from
    ``patterns`` by their weights; the same seed gives the same traffic."""
    chosen = [p for p in PATTERNS if p in set(patterns)]
    weights = [EPISODE_WEIGHTS[p] for p in chosen]
    samples: list[Sample] = []
    for i in range(tenants):
        rng = random.Random(f"{seed}:{i}")  # noqa: S311 - a reproducible simulation
        tenant = Tenant(rng, carrier_ips=[ip(rng) for _ in range(12)])
        for _ in range(episodes):
            EPISODES[rng.choices(chosen, weights)[0]](tenant)
            tenant.wait(rng.expovariate(1 / (3 * HOUR)))
        samples += tenant.samples
    return samples
