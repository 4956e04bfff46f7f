"""Signing keys for access tokens, kept in Vault and published as a JWKS.

Ed25519 (JWS ``EdDSA``): asymmetric, so every service and the gateway verify with
the public half only, and small and fast to verify. Rotation adds a key and makes
it the signer; the previous key keeps verifying until every token it signed has
expired, then drops out of the JWKS.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bizosaas.core.errors import ServiceUnavailable
from bizosaas.core.secrets import SecretStore
from bizosaas.identity.verification import (
    VAULT_PUBLIC_NAME,
    VerificationKey,
    b64url,
    load_public_keys,
)

VAULT_NAME = "auth/jwt-signing-keys"  # private: only the auth service reads it


@dataclass(frozen=True, slots=True)
class KeyRing:
    signing_kid: str
    signing_key: Ed25519PrivateKey
    keys: dict[str, VerificationKey]

    def public_record(self) -> dict[str, Any]:
        return {
            "keys": [
                {"kid": k.kid, "x": k.jwk()["x"], "retire_at": k.retire_at}
                for k in self.keys.values()
            ]
        }


def _new_key_record() -> dict[str, Any]:
    private = Ed25519PrivateKey.generate()
    raw_public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    # RFC 7638 thumbprint: the kid names the key itself, so it never collides.
    thumbprint = orjson.dumps(
        {"crv": "Ed25519", "kty": "OKP", "x": b64url(raw_public)}, option=orjson.OPT_SORT_KEYS
    )
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return {
        "kid": b64url(hashlib.sha256(thumbprint).digest())[:22],
        "private_pem": pem.decode(),
        "created_at": time.time(),
        "retire_at": None,
    }


def _ring_from(data: dict[str, Any]) -> KeyRing:
    keys: dict[str, VerificationKey] = {}
    privates: dict[str, Ed25519PrivateKey] = {}
    for record in data["keys"]:
        private = serialization.load_pem_private_key(record["private_pem"].encode(), None)
        if not isinstance(private, Ed25519PrivateKey):
            raise ServiceUnavailable("A signing key in Vault is not an Ed25519 key.")
        privates[record["kid"]] = private
        keys[record["kid"]] = VerificationKey(
            record["kid"], private.public_key(), record["retire_at"]
        )
    active = data["active_kid"]
    return KeyRing(signing_kid=active, signing_key=privates[active], keys=keys)


class KeyStore:
    """Reads and rotates the key set in Vault."""

    def __init__(self, secrets: SecretStore) -> None:
        self.secrets = secrets

    async def load(self) -> KeyRing:
        """The private key set (auth service only); creates the first key on first use."""

        def first_key() -> dict[str, Any]:
            record = _new_key_record()
            return {"active_kid": record["kid"], "keys": [record]}

        ring = _ring_from(await self.secrets.get_or_create(VAULT_NAME, first_key))
        if await self.secrets.read(VAULT_PUBLIC_NAME) != ring.public_record():
            await self.secrets.write(VAULT_PUBLIC_NAME, ring.public_record())
        return ring

    async def load_public(self) -> dict[str, VerificationKey]:
        return await load_public_keys(self.secrets)

    async def rotate(self, token_lifetime_seconds: int) -> KeyRing:
        """Make a new signer; older keys verify until their last token has expired."""
        for _ in range(5):
            found = await self.secrets.read_versioned(VAULT_NAME)
            if found is None:
                await self.load()
                continue
            data, version = found
            now = time.time()
            record = _new_key_record()
            kept = []
            for key in data["keys"]:
                if key["retire_at"] is None:
                    key["retire_at"] = now + token_lifetime_seconds + 60
                if key["retire_at"] > now:
                    kept.append(key)
            updated = {"active_kid": record["kid"], "keys": [*kept, record]}
            if await self.secrets.write(VAULT_NAME, updated, cas=version):
                ring = _ring_from(updated)
                await self.secrets.write(VAULT_PUBLIC_NAME, ring.public_record())
                return ring
        raise ServiceUnavailable("Could not rotate the signing key: Vault kept changing under us.")


class Signer:
    """The auth service's signing key set, reloaded now and then to follow rotations."""

    def __init__(self, store: KeyStore, max_age_seconds: float = 60.0) -> None:
        self.store = store
        self.max_age = max_age_seconds
        self._ring: KeyRing | None = None
        self._loaded_at = 0.0

    async def ring(self) -> KeyRing:
        if self._ring is None or time.monotonic() - self._loaded_at > self.max_age:
            self.use(await self.store.load())
        assert self._ring is not None
        return self._ring

    def use(self, ring: KeyRing) -> None:
        self._ring = ring
        self._loaded_at = time.monotonic()
