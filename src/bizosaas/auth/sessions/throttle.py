"""Login throttling per account, per account+IP and per IP (OWASP ASVS 2.2).

* Each account+IP pair gets a few free failures, then a delay that doubles with
  every further failure, capped at ``login_max_lockout_seconds``.
* An account failing from many places is locked for a while — but never from an
  address that signed in to it successfully before, so an attacker cannot lock
  the real owner out, and every lock expires on its own.
* One IP failing across many accounts is held back for the window.
"""

from __future__ import annotations

import hashlib
import math

from redis.asyncio import Redis

from bizosaas.core.errors import TooManyRequests
from bizosaas.core.redis import Keys
from bizosaas.core.settings import Settings

KNOWN_IP_DAYS = 90


class AccountLocked(TooManyRequests):
    pass


class LoginThrottle:
    def __init__(self, redis: Redis, keys: Keys, settings: Settings) -> None:
        self.redis = redis
        self.keys = keys
        self.settings = settings

    def _account(self, email: str) -> str:
        """The base of one account's keys (one hash tag: its counters change together)."""
        return self.keys.group(
            "login", hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
        )

    def _ip(self, ip: str) -> str:
        return self.keys("login", "fail-ip", ip)

    async def check(self, email: str, ip: str) -> None:
        account = self._account(email)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(self._ip(ip))
            pipe.ttl(self._ip(ip))
            pipe.ttl(f"{account}:lock-pair:{ip}")
            pipe.ttl(f"{account}:lock-account")
            pipe.sismember(f"{account}:known-ips", ip)
            ip_failures, ip_ttl, pair_ttl, account_ttl, known = await pipe.execute()
        if ip_failures is not None and int(ip_failures) >= self.settings.login_ip_limit:
            raise TooManyRequests(
                "Too many failed sign-ins from your network. Try again later.", max(ip_ttl, 1)
            )
        if pair_ttl > 0:
            raise AccountLocked(
                f"Too many failed attempts. Try again in {_human(pair_ttl)}.", pair_ttl
            )
        if account_ttl > 0 and not known:
            raise AccountLocked(
                f"This account is temporarily locked. Try again in {_human(account_ttl)}.",
                account_ttl,
            )

    async def record_failure(self, email: str, ip: str) -> int | None:
        """Count a failure; returns the lockout in seconds when one starts."""
        account = self._account(email)
        window = self.settings.login_window_seconds
        async with self.redis.pipeline(transaction=True) as pipe:  # one slot: the account's
            for key in (f"{account}:fail-pair:{ip}", f"{account}:fail-account"):
                pipe.incr(key)
                pipe.expire(key, window, nx=True)
            pair, _, account_failures, _ = await pipe.execute()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(self._ip(ip))
            pipe.expire(self._ip(ip), window, nx=True)
            await pipe.execute()
        lockout = None
        over = int(pair) - self.settings.login_free_attempts
        if over > 0:
            lockout = min(2**over, self.settings.login_max_lockout_seconds)
            await self.redis.set(f"{account}:lock-pair:{ip}", 1, ex=lockout)
        if int(account_failures) >= self.settings.login_account_limit:
            account_lock = self.settings.login_max_lockout_seconds
            await self.redis.set(f"{account}:lock-account", 1, ex=account_lock)
            lockout = max(lockout or 0, account_lock)
        return lockout

    async def record_success(self, email: str, ip: str) -> None:
        account = self._account(email)
        known = f"{account}:known-ips"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(f"{account}:fail-pair:{ip}", f"{account}:lock-pair:{ip}")
            pipe.sadd(known, ip)
            pipe.expire(known, KNOWN_IP_DAYS * 86400)
            await pipe.execute()


def _human(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
