"""The account pages the emails and share links lead to (login screen, port 3002).

* ``/login/invitation?token=`` — an invited user sets their password;
* ``/login/verify?token=`` — confirm an email address (a button: mail scanners open links);
* ``/login/forgot`` and ``/login/reset?token=`` — a new password by email;
* ``/login/signup?tenant=`` — a newcomer joins a tenant that lets people sign up;
* ``/r/{code}`` — a member's share link: the click is recorded, the code remembered, and the
  visitor sent to sign up in that tenant; the sign-up then counts for the referrer.

All of them work without JavaScript, call the auth and gamification APIs through the
gateway as the visitor, and keep what was typed (never a password) when refused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bizosaas.web.api import ApiError
from bizosaas.web.common import render, web_of
from bizosaas.web.visitor_forms import drop_token, form_token, genuine, keep_token

router = APIRouter(tags=["login"])
REFERRAL_COOKIE = "bizosaas_referral"
DEVICE_COOKIE = "bizosaas_device"
A_MONTH, A_YEAR = 30 * 24 * 3600, 365 * 24 * 3600
EXPIRED = "This form had expired. Please try again."
BAD_LINK = "This link is not valid any more. Ask for a new one."


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    type: str = "text"
    autocomplete: str = ""
    required: bool = True
    maxlength: int = 200
    hint: str = ""


PASSWORD = Field(
    "password",
    "New password",
    "password",
    "new-password",
    hint="12 or more characters",
    maxlength=1024,
)
EMAIL = Field("email", "Email", "email", "email", maxlength=320)
NAME = Field("full_name", "Your name", "text", "name", required=False)


@dataclass
class Form:
    """One account page: what it asks, what was typed, what was wrong."""

    title: str
    action: str
    submit: str
    fields: list[Field] | None
    intro: list[str] = field(default_factory=list)
    hidden: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    notice: str | None = None
    link: tuple[str, str] | None = None


def show(request: Request, form: Form, status_code: int = 200) -> HTMLResponse:
    token = form_token(request)
    response = render(
        web_of(request),
        "account_form.html",
        status_code=status_code,
        title=form.title,
        intro=form.intro,
        action=form.action,
        submit=form.submit,
        fields=form.fields,
        hidden=form.hidden,
        values=form.values,
        errors=form.errors,
        notice=form.notice,
        csrf_token=token,
        link_href=form.link[0] if form.link else None,
        link_text=form.link[1] if form.link else "",
    )
    keep_token(request, response, token)
    return response


async def posted(request: Request, form: Form) -> dict[str, str] | HTMLResponse:
    """The fields of a genuine post, or the form again (expired) when it is not one."""
    data = await request.form()
    values = {k: v.strip() if k != "password" else v for k, v in data.items() if isinstance(v, str)}
    if not genuine(request, data):
        form.values = {k: v for k, v in values.items() if k != "password"}
        form.errors = {"form": EXPIRED}
        return show(request, form, 400)
    return values


def refused(request: Request, form: Form, values: dict[str, str], exc: ApiError) -> HTMLResponse:
    """The service said no: its message next to the field it names, what was typed kept."""
    form.values = {k: v for k, v in values.items() if k not in ("password", "csrf_token")}
    message = _readable(exc)
    asks_password = any(f.name == "password" for f in form.fields or [])
    if not exc.fields and asks_password and "password" in message.lower():
        form.errors = {"password": message}  # a password the policy refuses: say so there
    else:
        form.errors = dict(exc.fields) or {"form": message}
    if len(form.errors) > 1 or "form" not in form.errors:
        form.errors.setdefault("form", "Please correct the fields marked below.")
    return show(request, form, 400 if exc.status < 500 else 503)


def _readable(exc: ApiError) -> str:
    """fastapi-users' codes, as a person would say them."""
    known = {
        "REGISTER_USER_ALREADY_EXISTS": "An account with this email already exists. Sign in.",
        "VERIFY_USER_BAD_TOKEN": BAD_LINK,
        "VERIFY_USER_ALREADY_VERIFIED": "Your email address is already confirmed.",
        "RESET_PASSWORD_BAD_TOKEN": BAD_LINK,
    }
    return known.get(exc.detail, exc.detail)


def signed_in_link(request: Request) -> tuple[str, str]:
    return (web_of(request).links.login, "Go to sign-in")


# -- invitations ---------------------------------------------------------------------------


def invitation_form(token: str) -> Form:
    return Form(
        "Welcome to BizOSaaS",
        "/login/invitation",
        "Set my password",
        [NAME, PASSWORD],
        intro=["You were invited to join your team. Choose a password to finish."],
        hidden={"token": token},
    )


@router.get("/login/invitation", response_class=HTMLResponse)
async def invitation(request: Request, token: str = "") -> HTMLResponse:
    return show(request, invitation_form(token[:256]))


@router.post("/login/invitation", response_class=HTMLResponse)
async def accept_invitation(request: Request) -> Response:
    values = await posted(request, form := invitation_form(""))
    if isinstance(values, HTMLResponse):
        return values
    form.hidden["token"] = values.get("token", "")
    body: dict[str, Any] = {
        "token": values.get("token", ""),
        "password": values.get("password", ""),
    }
    if values.get("full_name"):
        body["full_name"] = values["full_name"]
    try:
        await web_of(request).api(request).post("/api/v1/auth/invitations/accept", body)
    except ApiError as exc:
        return refused(request, form, values, exc)
    return done(request, "Your password is set", "Sign in with your email and new password.")


def done(request: Request, title: str, line: str) -> HTMLResponse:
    response = show(request, Form(title, "", "", None, intro=[line], link=signed_in_link(request)))
    drop_token(request, response)
    return response


# -- email verification and password reset ---------------------------------------------------


@router.get("/login/verify", response_class=HTMLResponse)
async def verify(request: Request, token: str = "") -> HTMLResponse:
    form = Form(
        "Confirm your email",
        "/login/verify",
        "Confirm my email",
        [],
        hidden={"token": token[:2048]},
    )
    return show(request, form)


@router.post("/login/verify", response_class=HTMLResponse)
async def confirm_email(request: Request) -> Response:
    form = Form("Confirm your email", "/login/verify", "Confirm my email", [])
    values = await posted(request, form)
    if isinstance(values, HTMLResponse):
        return values
    try:
        await (
            web_of(request)
            .api(request)
            .post("/api/v1/auth/verify", {"token": values.get("token", "")})
        )
    except ApiError as exc:
        form.fields = None
        return refused(request, form, values, exc)
    return done(request, "Email confirmed", "Thank you: your email address is confirmed.")


def forgot_form() -> Form:
    return Form(
        "Forgot your password?",
        "/login/forgot",
        "Email me a link",
        [EMAIL],
        intro=["Enter your email address and we will send you a link to choose a new one."],
    )


@router.get("/login/forgot", response_class=HTMLResponse)
async def forgot(request: Request) -> HTMLResponse:
    return show(request, forgot_form())


@router.post("/login/forgot", response_class=HTMLResponse)
async def send_reset(request: Request) -> Response:
    values = await posted(request, form := forgot_form())
    if isinstance(values, HTMLResponse):
        return values
    try:
        await (
            web_of(request)
            .api(request)
            .post("/api/v1/auth/forgot-password", {"email": values.get("email", "")})
        )
    except ApiError as exc:
        return refused(request, form, values, exc)
    # The same answer whether the address is known or not: nobody learns who has an account.
    return done(request, "Check your email", "If the address is known, a link is on its way.")


def reset_form(token: str) -> Form:
    return Form(
        "Choose a new password",
        "/login/reset",
        "Save my password",
        [PASSWORD],
        hidden={"token": token},
    )


@router.get("/login/reset", response_class=HTMLResponse)
async def reset(request: Request, token: str = "") -> HTMLResponse:
    return show(request, reset_form(token[:2048]))


@router.post("/login/reset", response_class=HTMLResponse)
async def save_password(request: Request) -> Response:
    values = await posted(request, form := reset_form(""))
    if isinstance(values, HTMLResponse):
        return values
    form.hidden["token"] = values.get("token", "")
    body = {"token": values.get("token", ""), "password": values.get("password", "")}
    try:
        await web_of(request).api(request).post("/api/v1/auth/reset-password", body)
    except ApiError as exc:
        return refused(request, form, values, exc)
    return done(request, "Your password is changed", "Sign in with your new password.")


# -- sign-up, and share links --------------------------------------------------------------


def signup_form(tenant: str, organisation: str = "", referrer: str = "") -> Form:
    intro = [f"Join {organisation or tenant} on BizOSaaS."]
    if referrer:
        intro.append(f"{referrer} invited you: you both get a reward when you join.")
    return Form(
        "Create your account",
        "/login/signup",
        "Create my account",
        [NAME, EMAIL, PASSWORD],
        intro=intro,
        hidden={"tenant": tenant},
    )


@router.get("/login/signup", response_class=HTMLResponse)
async def signup(request: Request, tenant: str = "", referrer: str = "") -> HTMLResponse:
    slug = tenant[:64]
    info = await web_of(request).identity.tenants.by_slug(slug) if slug else None
    if info is None or info.suspended or not info.self_signup:
        form = Form(
            "Sign-up is closed",
            "",
            "",
            None,
            intro=[
                "This organisation does not take sign-ups: ask its administrator to invite you."
            ],
            link=signed_in_link(request),
        )
        return show(request, form, 404)
    return show(request, signup_form(slug, info.name, referrer[:60]))


@router.post("/login/signup", response_class=HTMLResponse)
async def create_account(request: Request) -> Response:
    values = await posted(request, form := signup_form(""))
    if isinstance(values, HTMLResponse):
        return values
    slug = values.get("tenant", "")
    form.hidden["tenant"] = slug
    body = {
        "email": values.get("email", ""),
        "password": values.get("password", ""),
        "tenant_slug": slug,
        "full_name": values.get("full_name", ""),
        "referral_code": request.cookies.get(REFERRAL_COOKIE) or None,
        "device_id": request.cookies.get(DEVICE_COOKIE) or None,
    }
    try:
        await web_of(request).api(request).post("/api/v1/auth/register", body)
    except ApiError as exc:
        return refused(request, form, values, exc)
    response = done(
        request,
        "Welcome aboard",
        "Your account is ready: sign in. We also sent you an email to confirm your address.",
    )
    response.delete_cookie(REFERRAL_COOKIE, path="/")
    return response


@router.get("/r/{code}", response_class=HTMLResponse)
async def share_link(request: Request, code: str) -> Response:
    """A member's share link: record the click, remember the code, go and sign up."""
    web = web_of(request)
    device = request.cookies.get(DEVICE_COOKIE) or secrets.token_urlsafe(18)
    try:
        visit = await web.api(request).post(
            "/api/v1/gamification/public/referrals/visits", {"code": code[:32], "device_id": device}
        )
    except ApiError as exc:
        if exc.status not in (404, 422):
            raise
        form = Form("Link not valid", "", "", None, intro=[BAD_LINK], link=signed_in_link(request))
        return show(request, form, 404)
    if visit["signup_open"]:
        target = "/login/signup?" + urlencode(
            {"tenant": visit["tenant_slug"], "referrer": visit["referrer"]}
        )
    else:
        target = web.links.login
    response = RedirectResponse(target, status_code=303)
    secure = web.settings.secure_cookies
    response.set_cookie(
        REFERRAL_COOKIE,
        visit["code"],
        max_age=A_MONTH,
        path="/",
        secure=secure,
        httponly=True,
        samesite="lax",
    )
    response.set_cookie(
        DEVICE_COOKIE,
        device,
        max_age=A_YEAR,
        path="/",
        secure=secure,
        httponly=True,
        samesite="lax",
    )
    return response
