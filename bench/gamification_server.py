"""The gamification service as a uvicorn factory, configured from the environment.

``bench/gamification.py`` runs it in its own process, as production would; the event
processor runs inside it (every copy of the service runs one).
"""

from __future__ import annotations

from fastapi import FastAPI

from bizosaas.core.logging import configure_logging
from bizosaas.core.settings import Settings
from bizosaas.gamification.app import create_app as create_gamification_app
from bizosaas.gamification.app import create_worker_app as create_gamification_worker


def create_app() -> FastAPI:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    app: FastAPI = create_gamification_app(settings)
    return app


def create_worker() -> FastAPI:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    app: FastAPI = create_gamification_worker(settings)
    return app
