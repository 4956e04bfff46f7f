"""The three servers of ``bench/gateway.py`` as uvicorn factories, configured from the environment.

Each runs in its own process, as production would::

    python -m uvicorn --factory bench.gateway_server:create_gateway --app-dir <repo>

* ``create_upstream``: the trivial JSON upstream;
* ``create_bare_proxy``: the pass-through proxy to ``BENCH_UPSTREAM_URL``;
* ``create_gateway``: the real Brain Gateway, with the ``BIZOSAAS_*`` settings and
  the route table named by ``BIZOSAAS_GATEWAY_ROUTES``; logging is configured the
  way ``bizosaas serve`` does it (JSON lines on stderr, at ``BIZOSAAS_LOG_LEVEL``).
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.types import ASGIApp

from bench._gateway_apps import (
    BareProxy,
    trivial_upstream,
)

UPSTREAM_URL_VARIABLE = "BENCH_UPSTREAM_URL"
ROUTES_VARIABLE = "BIZOSAAS_GATEWAY_ROUTES"


def create_upstream() -> ASGIApp:
    return trivial_upstream


def create_bare_proxy() -> ASGIApp:
    return BareProxy(os.environ[UPSTREAM_URL_VARIABLE])


def create_gateway() -> ASGIApp:
    from bizosaas.core.logging import configure_logging
    from bizosaas.core.settings import Settings
    from bizosaas.gateway.app import create_app
    from bizosaas.gateway.config import load_config

    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    app: ASGIApp = create_app(settings, config=load_config(Path(os.environ[ROUTES_VARIABLE])))
    return app
