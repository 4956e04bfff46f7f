"""Redis (or Valkey): hot, rebuildable state — sessions, counters, pub/sub."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, TimeoutError


def create_redis(url: str) -> Redis:
    """A client whose pooled connections survive a Redis restart: a command that meets a
    dead connection is retried on a fresh one (twice, 50 ms then 100 ms apart)."""
    return Redis.from_url(
        url,
        decode_responses=True,
        health_check_interval=30,
        socket_connect_timeout=2,
        socket_keepalive=True,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=2),
        retry_on_error=[ConnectionError, TimeoutError],
    )


class Keys:
    """Every key the platform writes, in one place, under one prefix."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __call__(self, *parts: object) -> str:
        return ":".join([self.prefix, *(str(p) for p in parts)])

    def group(self, *parts: object) -> str:
        """The base of keys that one command or script touches together: a hash tag puts
        them in one Redis Cluster slot (``<prefix>:{lb:<board>:<period>}``, then
        ``:z``, ``:h``…), so the platform runs unchanged on Valkey or Redis Cluster."""
        return f"{self.prefix}:{{{':'.join(str(p) for p in parts)}}}"
