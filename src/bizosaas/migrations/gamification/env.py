"""Alembic environment of the ``gamification`` database."""

from bizosaas.gamification import models  # noqa: F401  (registers the tables)
from bizosaas.gamification.db import GamificationBase
from bizosaas.migrations.environment import run_migrations

run_migrations(GamificationBase.metadata)
