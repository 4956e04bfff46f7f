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


async def provision_and_migrate(
    admin_url: str,
    suffix: str,
    owner: tuple[str, str],
    app: tuple[str, str],
) -> dict[str, str]:
    """Every service database, named `<history>_<suffix>`, created and migrated (tests, benches).

    Returns the Settings fields that point at them: each database as the app role, and its
    owner URL for migrations.
    """
    import asyncio

    from bizosaas.stack.provision import provision_database, with_credentials

    urls: dict[str, str] = {}
    for history in DATABASES:
        database = f"{history}_{suffix}"
        await provision_database(admin_url, database, owner[0], owner[1], app[0], app[1])
        owner_url = with_credentials(admin_url, owner[0], owner[1], database)
        await asyncio.to_thread(upgrade, history, owner_url)
        prefix = "" if history == "bizosaas" else f"{history}_"
        urls[f"{prefix}database_url"] = with_credentials(admin_url, app[0], app[1], database)
        urls[f"{prefix}migration_database_url"] = owner_url
    return urls


def database_names(suffix: str) -> list[str]:
    return [f"{history}_{suffix}" for history in DATABASES]
