"""Alembic environment of the ``bizosaas`` database (auth and platform data)."""

from bizosaas.auth import models  # noqa: F401  (registers the tables)
from bizosaas.core.database import Base
from bizosaas.migrations.environment import run_migrations
from bizosaas.wizards import models as wizard_models  # noqa: F401

run_migrations(Base.metadata)
