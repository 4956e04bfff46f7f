"""Secrets from Vault (OpenBao locally), read at run time, never from the repository."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import hvac
from hvac.exceptions import InvalidPath, InvalidRequest

from bizosaas.core.errors import ServiceUnavailable


class SecretStore:
    """A thin async face over Vault's KV v2 engine."""

    def __init__(self, addr: str, token: str, mount: str = "secret", base_path: str = "bizosaas"):
        self._client = hvac.Client(url=addr, token=token, timeout=5)
        self._mount = mount
        self._base = base_path.strip("/")

    def _path(self, name: str) -> str:
        return f"{self._base}/{name.strip('/')}"

    def _read_sync(self, name: str) -> tuple[dict[str, Any], int] | None:
        try:
            response = self._client.secrets.kv.v2.read_secret_version(
                path=self._path(name), mount_point=self._mount, raise_on_deleted_version=True
            )
        except InvalidPath:
            return None
        return response["data"]["data"], int(response["data"]["metadata"]["version"])

    async def read(self, name: str) -> dict[str, Any] | None:
        found = await asyncio.to_thread(self._read_sync, name)
        return None if found is None else found[0]

    async def read_versioned(self, name: str) -> tuple[dict[str, Any], int] | None:
        return await asyncio.to_thread(self._read_sync, name)

    async def write(self, name: str, data: dict[str, Any], cas: int | None = None) -> bool:
        """Write a secret; with ``cas`` only if the stored version still matches.

        Returns False when another writer won the race (check-and-set failed).
        """

        def _write() -> bool:
            try:
                self._client.secrets.kv.v2.create_or_update_secret(
                    path=self._path(name), secret=data, cas=cas, mount_point=self._mount
                )
            except InvalidRequest as exc:
                if "check-and-set" in str(exc):
                    return False
                raise
            return True

        return await asyncio.to_thread(_write)

    async def delete(self, name: str) -> None:
        """Remove a secret with every version of it (nothing happens if there is none)."""
        await asyncio.to_thread(
            self._client.secrets.kv.v2.delete_metadata_and_all_versions,
            path=self._path(name),
            mount_point=self._mount,
        )

    async def get_or_create(
        self, name: str, factory: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        """Read a secret, creating it once (cas=0) so concurrent starters agree on one value."""
        existing = await self.read(name)
        if existing is not None:
            return existing
        # cas=0 creates only if absent: a losing racer simply reads the winner's value.
        await self.write(name, factory(), cas=0)
        created = await self.read(name)
        if created is None:
            raise ServiceUnavailable(f"Vault did not keep the secret {name!r}.")
        return created

    async def ping(self) -> None:
        def _check() -> None:
            status = self._client.sys.read_health_status(method="GET")
            body = status if isinstance(status, dict) else status.json()
            if body.get("sealed") or not body.get("initialized"):
                raise ServiceUnavailable("Vault is sealed or not initialized.")

        await asyncio.to_thread(_check)
