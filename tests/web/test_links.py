from __future__ import annotations

from bizosaas.core.settings import Settings
from bizosaas.identity.vocabulary import Role
from bizosaas.web.settings import WebLinks, WebSettings


def links(login_url: str, **web: str) -> WebLinks:
    return WebLinks.build(Settings(login_url=login_url), WebSettings(**web))


def test_behind_the_gateway_every_link_is_a_path_on_the_one_origin():
    gateway = links("/login")
    assert gateway.login_redirect("/portal?tab=1") == "/login?next=%2Fportal%3Ftab%3D1"
    assert gateway.logout == "/logout"
    assert gateway.landing == {
        Role.USER: "/portal",
        Role.TENANT_ADMIN: "/admin",
        Role.SUPER_ADMIN: "/sqladmin",
    }
    assert gateway.form_origins() == []


def test_apps_on_their_own_ports_link_by_absolute_url():
    apart = links(
        "http://localhost:3002/login",
        portal_url="http://localhost:3001/portal",
        sqladmin_url="http://localhost:8005/sqladmin/",
    )
    assert apart.logout == "http://localhost:3002/logout"
    assert apart.after_login(Role.USER, "/portal", "/portal/x?y=1") == (
        "http://localhost:3001/portal/x?y=1"
    )
    assert apart.after_login(Role.SUPER_ADMIN, "/sqladmin", "/sqladmin/user/list") == (
        "http://localhost:8005/sqladmin/user/list"
    )
    assert apart.form_origins() == [
        "http://localhost:3001",
        "http://localhost:3002",
        "http://localhost:8005",
    ]


def test_next_never_leaves_the_site_or_the_roles_own_app():
    gateway = links("/login")
    for hostile in (
        "//evil.example/portal",
        "/\\evil.example",
        "https://evil.example/portal",
        "/portal\r\nSet-Cookie: x=1",
        "/admin",
        "/portalx",
        "",
    ):
        assert gateway.after_login(Role.USER, "/portal", hostile) == "/portal", hostile
    assert gateway.after_login(Role.USER, "/portal", "/portal?tab=2") == "/portal?tab=2"
