"""Where browsers reach each web app, and the links between them.

Behind the gateway every app shares one origin, so the links are plain paths
(``/portal``, ``/admin``, ``/sqladmin``, and ``login_url`` such as ``/login``):
they work whatever host name the visitor used. Run alone on their own ports (the
PRD's 3001, 3009, 8005), each app's address is set with ``BIZOSAAS_WEB_*_URL``
and ``BIZOSAAS_LOGIN_URL`` is absolute.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from pydantic_settings import BaseSettings, SettingsConfigDict

from bizosaas.core.settings import Settings
from bizosaas.identity.vocabulary import LANDING_PAGE, Role


class WebSettings(BaseSettings):
    """Addresses of the web apps off the gateway (env prefix ``BIZOSAAS_WEB_``)."""

    model_config = SettingsConfigDict(env_prefix="BIZOSAAS_WEB_", extra="ignore")

    portal_url: str | None = None
    admin_url: str | None = None
    sqladmin_url: str | None = None


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class WebLinks:
    """Where one web app sends a browser to another: paths on the shared origin, or URLs."""

    login: str
    logout: str
    landing: dict[Role, str]

    @classmethod
    def build(cls, settings: Settings, web: WebSettings | None = None) -> WebLinks:
        web = web or WebSettings()
        configured = {
            Role.USER: web.portal_url,
            Role.TENANT_ADMIN: web.admin_url,
            Role.SUPER_ADMIN: web.sqladmin_url,
        }
        landing = {role: configured[role] or LANDING_PAGE[role] for role in Role}
        login = urlsplit(settings.login_url)
        logout_path = posixpath.join(posixpath.dirname(login.path) or "/", "logout")
        origin = f"{login.scheme}://{login.netloc}" if login.netloc else ""
        return cls(login=settings.login_url, logout=origin + logout_path, landing=landing)

    @property
    def login_path(self) -> str:
        return urlsplit(self.login).path or "/login"

    def login_redirect(self, next_path: str) -> str:
        return f"{self.login}?{urlencode({'next': next_path})}"

    def refresh_redirect(self, next_path: str) -> str:
        """The login screen's renewal step: new tokens from the refresh cookie, then back."""
        base = self.login.partition("?")[0]
        return f"{base.rstrip('/')}/refresh?{urlencode({'next': next_path})}"

    def after_login(self, role: Role, redirect_to: str, next_path: str | None) -> str:
        """The landing page of the role, or the page the visitor asked for under it.

        ``next`` is honoured only as a same-site path below the role's own landing
        page, so it can never send anyone to another site or another role's app.
        """
        landing = self.landing[role]
        if next_path and is_local_path(next_path) and _is_below(next_path, redirect_to):
            rest = next_path[len(redirect_to) :]
            return landing.rstrip("/") + rest if rest else landing
        return landing

    def form_origins(self) -> list[str]:
        """Other origins a form on our pages may post (or be redirected) to, for the CSP."""
        urls = [self.login, self.logout, *self.landing.values()]
        return sorted({origin_of(url) for url in urls if urlsplit(url).netloc})


def is_local_path(path: str) -> bool:
    """A path on this site: one leading slash, no scheme, no backslash tricks."""
    return (
        path.startswith("/")
        and not path.startswith("//")
        and "\\" not in path
        and not any(ord(ch) < 0x20 for ch in path)
    )


def _is_below(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((prefix + "/", prefix + "?"))
