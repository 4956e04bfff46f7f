"""Run a database's Alembic history programmatically (no alembic.ini to keep in sync)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from bizosaas.core.settings import Settings

DATABASES = ("bizosaas", "gamification")  # one per service that owns data
HISTORIES = {
    "bizosaas": Path(__file__).parent / "bizosaas",
    "gamification": Path(__file__).parent / "gamification",
}


def alembic_config(database: str, owner_url: str) -> Config:
    if database not in HISTORIES:
        raise ValueError(f"unknown migration history {database!r}; known: {sorted(HISTORIES)}")
    config = Config()
    config.set_main_option("script_location", str(HISTORIES[database]))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes["database_url"] = owner_url
    return config


def upgrade(database: str, owner_url: str, revision: str = "head") -> None:
    """Migrate as the owner role: RLS and grants are set up by the migrations themselves."""
    command.upgrade(alembic_config(database, owner_url), revision)


def owner_urls(settings: Settings) -> dict[str, str]:
    """Each service database and the owner URL its migrations run as."""
    return {
        "bizosaas": settings.owner_database_url,
        "gamification": settings.gamification_owner_database_url,
    }


def upgrade_all(settings: Settings) -> None:
    for database, url in owner_urls(settings).items():
        upgrade(database, url)
