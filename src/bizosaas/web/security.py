"""Security headers for every web response.

Pages load their stylesheet and scripts from their own app (``<prefix>/static``), never
inline and never from another site, so the policy needs no ``'unsafe-inline'``: an
injected ``<script>`` or ``style`` attribute does nothing. SQLAdmin's bundled UI is the
one exception and gets its own, looser policy.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bizosaas.web.settings import WebLinks


def content_security_policy(
    links: WebLinks, *, scripts: bool = False, allow_inline: bool = False
) -> str:
    """``scripts``: the page loads our own scripts (htmx, Chart.js, app.js) from ``'self'``.

    ``form-action`` lists the other web apps too: Chromium checks it on the
    redirect that follows a form post (sign-in lands on the portal's origin).
    """
    if allow_inline:
        script, style = "'self' 'unsafe-inline'", "'self' 'unsafe-inline'"
    else:
        script, style = ("'self'" if scripts else "'none'"), "'self'"
    form_action = " ".join(["'self'", *links.form_origins()])
    return (
        f"default-src 'self'; script-src {script}; style-src {style}; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
        "base-uri 'none'; "
        f"frame-ancestors 'none'; form-action {form_action}"
    )


class SecurityHeadersMiddleware:
    """Adds the headers to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp, csp: str) -> None:
        self.app = app
        self.defaults = {
            "content-security-policy": csp,
            "x-frame-options": "DENY",
            "referrer-policy": "same-origin",
            "x-content-type-options": "nosniff",
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", []))
                headers = MutableHeaders(scope=message)
                for name, value in self.defaults.items():
                    headers.setdefault(name, value)
                if headers.get("content-type", "").startswith("text/html"):
                    # Pages show who is signed in: never keep them in a shared cache.
                    headers.setdefault("cache-control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
