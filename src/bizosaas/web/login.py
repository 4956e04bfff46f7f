"""The single login screen (port 3002): one form for every platform, then a redirect by role.

The form posts here, and this app signs in through the auth API *by way of the Brain
Gateway* (``BIZOSAAS_GATEWAY_URL``), as any client would: the gateway's guard, route
table and per-IP login limit apply to the visitor, whose address is passed on as
``X-Forwarded-For``. It then hands the browser the session cookies the API set, on a
redirect to the role's landing page. Works without JavaScript. A login-CSRF token (a
random value in a short-lived Strict cookie and in the form) stops other sites from
signing a visitor in to an attacker's account.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bizosaas.core.app import ReadinessCheck
from bizosaas.core.settings import Settings, get_settings
from bizosaas.identity.cookies import clear_session_cookies
from bizosaas.identity.vocabulary import Platform, Role
from bizosaas.web import accounts
from bizosaas.web.common import WebContext, create_web_app, render, web_of, web_of_app
from bizosaas.web.settings import WebSettings, is_local_path
from bizosaas.web.visitor_forms import drop_token, form_token, genuine, keep_token

PLATFORM_CHOICES = (
    (Platform.BIZOHOLIC.value, "Bizoholic — marketing"),
    (Platform.CORELDOVE.value, "CoreLDove — e-commerce"),
    (Platform.ADMIN.value, "BizOSaaS Admin"),
)
WRONG_CREDENTIALS = "Incorrect email or password."
SUSPENDED = "Your organisation's account is suspended."
UNAVAILABLE = "Sign-in is unavailable right now. Please try again in a moment."

router = APIRouter(tags=["login"])


def _forwarded(request: Request) -> dict[str, str]:
    """Tell auth who the visitor is, so its per-IP throttles count the visitor, not us."""
    return web_of(request).api(request).forwarded


def gateway_client(request: Request) -> httpx.AsyncClient:
    return web_of(request).gateway


@dataclass(frozen=True)
class Entered:
    """What the visitor typed, kept when the form comes back with an error (never the password)."""

    email: str = ""
    platform: str = ""
    next_path: str = ""


def login_form(
    request: Request,
    entered: Entered = Entered(),
    *,
    status_code: int = 200,
    error: str | None = None,
    notice: str | None = None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    web = web_of(request)
    token = form_token(request)
    response = render(
        web,
        "login.html",
        status_code=status_code,
        title="Sign in",
        error=error,
        notice=notice,
        email=entered.email,
        platform=entered.platform,
        platforms=PLATFORM_CHOICES,
        next=entered.next_path if is_local_path(entered.next_path) else "",
        csrf_token=token,
    )
    keep_token(request, response, token)
    response.headers.update(headers or {})
    return response


@router.get("/", include_in_schema=False)
async def root(request: Request) -> RedirectResponse:
    return RedirectResponse(web_of(request).links.login_path, status_code=303)


@router.get("/login", response_class=HTMLResponse)
async def show_login(request: Request) -> HTMLResponse:
    """The sign-in form. `next` is the page to return to; `logged_out=1` confirms a sign-out."""
    query = request.query_params
    notice = "You have signed out." if query.get("logged_out") == "1" else None
    return login_form(request, Entered(next_path=query.get("next", "")[:2048]), notice=notice)


@router.post("/login", response_class=HTMLResponse)
async def submit_login(request: Request) -> Response:
    """Sign in with the form; on success, 303 to the role's landing page with the cookies."""
    web = web_of(request)
    posted = await request.form()
    form = {k: v for k, v in posted.items() if isinstance(v, str)}
    email = form.get("email", "").strip()[:320]
    password = form.get("password", "")
    platform = form.get("platform", "")
    next_path = form.get("next", "")[:2048]
    kept = Entered(email, platform, next_path)

    if not genuine(request, posted):
        error = "Your sign-in form had expired. Please try again."
        return login_form(request, kept, status_code=400, error=error)
    if not email or not password:
        return login_form(request, kept, status_code=400, error="Enter your email and password.")
    if platform and platform not in {value for value, _ in PLATFORM_CHOICES}:
        return login_form(request, kept, status_code=400, error="Choose a platform from the list.")

    body = {"email": email, "password": password, **({"platform": platform} if platform else {})}
    try:
        answer = await gateway_client(request).post(
            "/api/v1/auth/login", json=body, headers=_forwarded(request)
        )
    except httpx.HTTPError:
        return login_form(request, kept, status_code=503, error=UNAVAILABLE)
    if answer.status_code != 200:
        status_code, message = login_error(answer)
        retry_after = answer.headers.get("retry-after")
        retry = {"Retry-After": retry_after} if status_code == 429 and retry_after else {}
        return login_form(request, kept, status_code=status_code, error=message, headers=retry)

    tokens = answer.json()
    target = web.links.after_login(Role(tokens["user"]["role"]), tokens["redirect_to"], next_path)
    response = RedirectResponse(target, status_code=303)
    for cookie in answer.headers.get_list("set-cookie"):
        response.headers.append("set-cookie", cookie)
    drop_token(request, response)
    return response


def login_error(answer: httpx.Response) -> tuple[int, str]:
    """The status and inline message for a refused sign-in."""
    try:
        body = answer.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    detail = str(body.get("detail") or "")
    status_code = answer.status_code
    if status_code == 401:
        return 401, WRONG_CREDENTIALS
    if status_code == 429:
        return 429, detail or "Too many attempts. Please try again later."
    if status_code == 403:
        if body.get("error") == "TenantSuspended":
            return 403, SUSPENDED
        return 403, detail or "You may not sign in here."
    if status_code in (400, 413, 422):
        return 400, "Enter a valid email address and your password."
    return 503, UNAVAILABLE


@router.get("/login/refresh", response_class=HTMLResponse)
async def renew(request: Request, next: str = "") -> Response:
    """Renew an expired access cookie from the refresh cookie, then return to ``next``.

    The refresh cookie is SameSite=Strict, so a cross-site link cannot trigger this;
    without a live session the visitor simply lands on the login form.
    """
    web = web_of(request)
    refresh = request.cookies.get(web.cookies.refresh)
    next_path = next if is_local_path(next) else ""
    fallback = RedirectResponse(web.links.login_redirect(next_path or "/"), status_code=303)
    if not refresh:
        return fallback
    try:
        answer = await gateway_client(request).post(
            "/api/v1/auth/refresh", json={"refresh_token": refresh}, headers=_forwarded(request)
        )
    except httpx.HTTPError:
        return login_form(request, Entered("", "", next_path), status_code=503, error=UNAVAILABLE)
    if answer.status_code != 200:
        clear_session_cookies(fallback, web.settings)
        return fallback
    tokens = answer.json()
    role = Role(tokens["user"]["role"])
    response = RedirectResponse(
        web.links.after_login(role, tokens["redirect_to"], next_path), status_code=303
    )
    for cookie in answer.headers.get_list("set-cookie"):
        response.headers.append("set-cookie", cookie)
    return response


@router.post("/logout", response_class=HTMLResponse)
async def logout(request: Request) -> Response:
    """End the session (the form carries the session's CSRF token), then show the login form."""
    web = web_of(request)
    names = web.cookies
    presented = str((await request.form()).get("csrf_token") or "")
    expected = request.cookies.get(names.csrf, "")
    has_session = any(request.cookies.get(n) for n in (names.access, names.refresh))
    if has_session and not (
        expected and presented and hmac.compare_digest(expected.encode(), presented.encode())
    ):
        return render(
            web,
            "message.html",
            status_code=400,
            title="Sign-out not confirmed",
            lines=["We could not confirm that you asked to sign out. Please try again."],
            link_href=web.links.login,
            link_text="Back to sign-in",
            signout_token=None,
        )
    try:
        await end_session(request, web, presented)
    except (httpx.HTTPError, SignOutFailed):
        return render(
            web,
            "message.html",
            status_code=503,
            title="Sign-out unavailable",
            lines=["We could not reach the sign-in service. Please try again in a moment."],
            link_href=None,
            signout_token=None,
        )
    response = RedirectResponse(f"{web.links.login_path}?logged_out=1", status_code=303)
    clear_session_cookies(response, web.settings)
    return response


class SignOutFailed(Exception):
    """The auth API did not end the session: never tell the visitor they signed out."""


async def end_session(request: Request, web: WebContext, csrf_token: str) -> None:
    """Log out through the auth API; an expired access token is first renewed with the
    refresh cookie, so the server-side session really ends rather than lingering."""
    client = gateway_client(request)
    names = web.cookies
    forwarded = _forwarded(request)
    access = request.cookies.get(names.access)
    if access:
        answer = await client.post(
            "/api/v1/auth/logout",
            headers={
                "cookie": f"{names.access}={access}",
                "x-csrf-token": csrf_token,
                **forwarded,
            },
        )
        if answer.is_success:
            return
        if answer.status_code != 401:
            raise SignOutFailed(answer.status_code)
    refresh = request.cookies.get(names.refresh)
    if not refresh:
        return
    renewed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": refresh}, headers=forwarded
    )
    if renewed.status_code == 401:
        return  # the session had already ended
    if not renewed.is_success:
        raise SignOutFailed(renewed.status_code)
    answer = await client.post(
        "/api/v1/auth/logout",
        headers={"authorization": f"Bearer {renewed.json()['access_token']}", **forwarded},
    )
    if not answer.is_success:
        raise SignOutFailed(answer.status_code)


def create_app(settings: Settings | None = None, web: WebSettings | None = None) -> FastAPI:
    """The login screen; it reaches the auth API through the gateway only."""
    settings = settings or get_settings()

    def readiness(app: FastAPI) -> dict[str, ReadinessCheck]:
        # The gateway's liveness, not its readiness: that one asks this app in turn.
        async def gateway_answers() -> None:
            (await web_of_app(app).gateway.get("/health")).raise_for_status()

        return {"gateway": gateway_answers}

    return create_web_app(
        service="unified-auth-ui",
        title="BizOSaaS Login",
        description="The single login screen of every BizOSaaS platform.",
        settings=settings,
        web_settings=web,
        routers=[router, accounts.router],
        prefix="/login",
        extra_readiness=readiness,
    )
