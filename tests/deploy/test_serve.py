"""`bizosaas serve`, as a container runs it: configured from the environment alone, it stops
at once with one line naming what is missing or refused, before it connects to anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIZOSAAS = str(Path(sys.executable).parent / "bizosaas")
GIVEN = {
    "DATABASE_URL": "postgresql+asyncpg://app:Quiet-Meadow-93@db:5432/bizosaas",
    "REDIS_URL": "redis://valkey:6379/0",
    "VAULT_ADDR": "http://openbao:8200",
    "VAULT_TOKEN": "hvs.Quiet-Meadow-Lantern-93",
    "TEMPORAL_ADDRESS": "temporal:7233",
    "BIZOSAAS_PUBLIC_URL": "https://platform.example.com",
    "BIZOSAAS_ENVIRONMENT": "production",
}


def _kept() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k == "PYTHONPATH"}


def serve(service: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BIZOSAAS, "serve", service],
        # Nothing else of this machine's environment (PYTHONPATH: a checkout run from its src).
        env={"PATH": "/usr/bin:/bin", **_kept(), **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_missing_variable_stops_the_service_with_one_line_naming_it() -> None:
    without = {k: v for k, v in GIVEN.items() if k != "VAULT_TOKEN"}
    stopped = serve("auth-service", without)
    assert stopped.returncode != 0
    lines = stopped.stderr.strip().splitlines()
    assert lines == [
        "auth-service: set VAULT_TOKEN (a service run alone takes its settings from the "
        "environment only)"
    ]
    pages = serve("admin-dashboard", GIVEN)  # the pages need the gateway's address too
    assert pages.stderr.strip().splitlines() == [
        "admin-dashboard: set BIZOSAAS_GATEWAY_URL (a service run alone takes its settings "
        "from the environment only)"
    ]


def test_a_development_secret_in_production_is_refused() -> None:
    stopped = serve("auth-service", {**GIVEN, "VAULT_TOKEN": "root"})
    assert stopped.returncode != 0
    (line,) = stopped.stderr.strip().splitlines()
    assert line.startswith("auth-service: refusing to start in production:")
    assert "VAULT_TOKEN is missing or a development value" in line
