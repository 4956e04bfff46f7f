"""How a page (or a service acting for its caller) calls the platform's APIs: through the
Brain Gateway, as the visitor.

A page never holds a key of its own. It sends the visitor's own access token (from
the HttpOnly cookie) as a bearer token, and the visitor's address as
``X-Forwarded-For`` (believed by the gateway only from a trusted proxy), so the
gateway's limits and the services' rules apply to a page exactly as to any API
client: authorization lives in the services.

An answer the page cannot use raises :class:`ApiError`; the web apps turn a 401 into
a trip to the login screen, a 404 into a not-found page, and a refused form into the
form again, with the service's message next to the field it names.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from fastapi import Request

from bizosaas.core.net import request_ip
from bizosaas.core.settings import Settings
from bizosaas.identity.resolver import Presented
from bizosaas.identity.vocabulary import CookieNames

T = TypeVar("T")
TIMEOUT = httpx.Timeout(10.0, connect=3.0)


@dataclass
class ApiError(Exception):
    """A refusal from a service: its status, error name and message, and per-field problems
    (from a 422: the dotted path of the field below the body, and what is wrong with it)."""

    status: int
    error: str
    detail: str
    fields: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.error}: {self.detail}"

    @classmethod
    def of(cls, response: httpx.Response) -> ApiError:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return cls(response.status_code, "Unavailable", "The service did not answer.")
        detail = body.get("detail")
        if isinstance(detail, dict):  # fastapi-users: {"code": ..., "reason": ...}
            detail = detail.get("reason") or detail.get("code") or ""
        problems: dict[str, str] = {}
        if isinstance(detail, list):  # payload validation: one entry per field
            for problem in detail:
                where = [str(p) for p in problem.get("loc", []) if p not in ("body", "query")]
                problems.setdefault(".".join(where) or "form", _sentence(problem.get("msg", "")))
            detail = "Please correct the fields marked below."
        return cls(response.status_code, str(body.get("error", "Error")), str(detail), problems)


def _sentence(message: str) -> str:
    message = message.removeprefix("Value error, ")
    if message.startswith("String should match pattern"):  # a regex means nothing to a person
        message = "Not in the form asked for (see the hint beside the field)"
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def open_gateway(settings: Settings) -> httpx.AsyncClient:
    """One pooled client per web app, to the gateway (``BIZOSAAS_GATEWAY_URL``)."""
    return httpx.AsyncClient(base_url=settings.gateway_url, timeout=TIMEOUT)


class VisitorApi:
    """The platform's APIs as the visitor of one request sees them."""

    def __init__(self, client: httpx.AsyncClient, request: Request, settings: Settings) -> None:
        self.client = client
        # A page has the visitor's cookie; a service (the wizards) its caller's bearer token.
        presented = Presented.read(request.headers, CookieNames(settings.secure_cookies))
        self.token = presented.token or ""
        visitor = request_ip(request, settings.trusted_proxies)
        # Who the visitor is, so the gateway's per-IP limits count the visitor, not the page.
        self.forwarded = {"user-agent": request.headers.get("user-agent", "")}
        if visitor:
            self.forwarded["x-forwarded-for"] = visitor
        self.headers = dict(self.forwarded)
        if self.token:
            self.headers["authorization"] = f"Bearer {self.token}"
        request_id = request.headers.get("x-request-id")
        if request_id:
            self.headers["x-request-id"] = request_id

    async def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """The answer itself (its headers too); :class:`ApiError` for anything but 2xx."""
        query = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            response = await self.client.request(
                method, path, json=json, params=query, headers={**self.headers, **(headers or {})}
            )
        except httpx.InvalidURL as exc:  # a path built from what a visitor typed
            raise ApiError(404, "NotFound", "There is nothing at that address.") from exc
        except httpx.HTTPError as exc:
            raise ApiError(503, "Unavailable", "The platform is not answering; try again.") from exc
        if response.status_code >= 400:
            raise ApiError.of(response)
        return response

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """The JSON answer (None for 204); :class:`ApiError` for anything but 2xx."""
        response = await self.send(method, path, json=json, params=params, headers=headers)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def get(self, path: str, **params: Any) -> Any:
        return await self.call("GET", path, params=params)

    async def post(self, path: str, json: Any = None, **params: Any) -> Any:
        return await self.call("POST", path, json=json, params=params)

    async def patch(self, path: str, json: Any) -> Any:
        return await self.call("PATCH", path, json=json)

    async def put(self, path: str, json: Any) -> Any:
        return await self.call("PUT", path, json=json)

    async def delete(self, path: str) -> Any:
        return await self.call("DELETE", path)

    async def optional(self, call: Awaitable[T]) -> T | None:
        """The answer, or None where the service says no (403 or 404): a part of a page the
        visitor may not see is left out, not an error."""
        try:
            return await call
        except ApiError as exc:
            if exc.status in (403, 404):
                return None
            raise


async def gather(**calls: Awaitable[Any]) -> dict[str, Any]:
    """Several API calls at once, by name (a page's parts load together)."""
    results = await asyncio.gather(*calls.values())
    return dict(zip(calls, results, strict=True))
