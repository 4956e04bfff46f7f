"""Upstreams: URLs balanced round-robin with passive health and a circuit breaker each,
or a service's ASGI app mounted in the gateway's own process."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import count

from prometheus_client import Gauge
from starlette.types import ASGIApp

CIRCUIT_STATE = Gauge(
    "bizosaas_gateway_circuit_open",
    "1 while an upstream target's circuit is open (failing), else 0.",
    ["upstream", "target"],
)


@dataclass
class Target:
    """One upstream address; its circuit opens after consecutive failures."""

    upstream: str
    url: str
    failure_threshold: int
    cooldown: float
    failures: int = 0
    opened_at: float | None = None
    trial_in_flight: bool = False

    def available(self, now: float) -> bool:
        if self.opened_at is None:
            return True
        if now - self.opened_at >= self.cooldown and not self.trial_in_flight:
            self.trial_in_flight = True  # half-open: one request tests the water
            return True
        return False

    def succeeded(self) -> None:
        if self.opened_at is not None:
            CIRCUIT_STATE.labels(self.upstream, self.url).set(0)
        self.failures, self.opened_at, self.trial_in_flight = 0, None, False

    def failed(self, now: float) -> None:
        self.failures += 1
        self.trial_in_flight = False
        if self.failures >= self.failure_threshold:
            self.opened_at = now
            CIRCUIT_STATE.labels(self.upstream, self.url).set(1)

    @property
    def state(self) -> str:
        return "closed" if self.opened_at is None else "open"


@dataclass
class Upstream:
    name: str
    targets: list[Target] = field(default_factory=list)
    app: ASGIApp | None = None  # in-process: the service's own app
    _turn: count[int] = field(default_factory=count)

    @property
    def configured(self) -> bool:
        return self.app is not None or bool(self.targets)

    def pick(self) -> Target | None:
        """The next target in turn whose circuit lets a request through."""
        now = time.monotonic()
        size = len(self.targets)
        start = next(self._turn)
        for offset in range(size):
            target = self.targets[(start + offset) % size]
            if target.available(now):
                return target
        return None


def build_upstreams(
    urls: dict[str, tuple[str, ...]],
    apps: dict[str, ASGIApp],
    failure_threshold: int,
    cooldown: float,
) -> dict[str, Upstream]:
    upstreams = {}
    for name, addresses in urls.items():
        if name in apps:
            upstreams[name] = Upstream(name, app=apps[name])
        else:
            targets = [Target(name, url, failure_threshold, cooldown) for url in addresses]
            upstreams[name] = Upstream(name, targets)
    return upstreams
