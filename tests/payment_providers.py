"""Payment providers' APIs as the payment gateway wizard's live check calls them, for the
test suite on 127.0.0.1: Stripe's balance, PayPal's token and Razorpay's payments list.

Each accepts only the credentials in :data:`ACCEPTED` (the rest answer 401, as the
providers do), so a test can show a gateway verified and one refused. A provider this
server does not stand in for is pointed at a closed port: "not verified yet".
"""

from __future__ import annotations

import base64

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

STRIPE_SECRET = "sk_test_" + "Accepted0" * 3
PAYPAL = ("Accepted-client-" + "a" * 8, "Accepted-secret-" + "b" * 8)
ACCEPTED_BASIC = {PAYPAL}


def _basic(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    user, _, password = base64.b64decode(value).decode().partition(":")
    return user, password


def providers_app() -> FastAPI:
    app = FastAPI()

    @app.get("/v1/balance")
    async def stripe_balance(request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {STRIPE_SECRET}":
            return JSONResponse({"error": {"type": "invalid_request_error"}}, status_code=401)
        return JSONResponse({"object": "balance", "available": []})

    @app.post("/v1/oauth2/token")
    async def paypal_token(request: Request) -> JSONResponse:
        if _basic(request) not in ACCEPTED_BASIC:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        return JSONResponse({"access_token": "A21", "token_type": "Bearer"})

    return app
