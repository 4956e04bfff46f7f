"""The auth service as a uvicorn factory, configured from the environment.

``bench/auth.py`` runs it in its own process, as production would::

    python -m uvicorn --factory bench.auth_server:create_app --app-dir <repo>

Settings come from the ``BIZOSAAS_*`` variables, logging is configured the way
``bizosaas serve`` does it (at the level the environment names).
"""

from __future__ import annotations

from fastapi import FastAPI

from bizosaas.auth.app import create_app as create_auth_app
from bizosaas.core.logging import configure_logging
from bizosaas.core.settings import Settings


def create_app() -> FastAPI:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    app: FastAPI = create_auth_app(settings)
    return app
