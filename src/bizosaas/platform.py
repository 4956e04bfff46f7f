"""Where the platform's servers are: the environment's URLs, or a local stack in a data dir.

This is the one place that knows whether servers are embedded; the services only
ever see a :class:`Settings` with URLs in it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bizosaas.core.settings import Settings
from bizosaas.stack import LocalStack, StackPorts

DEFAULT_DATA_DIR = Path(".bizosaas")
EXTERNAL_VARIABLES = ("DATABASE_URL", "REDIS_URL", "VAULT_ADDR", "TEMPORAL_ADDRESS")


def uses_external_servers() -> bool:
    return all(os.environ.get(name) for name in EXTERNAL_VARIABLES)


@contextmanager
def platform_settings(
    data_dir: Path,
    ports: StackPorts | None = None,
    progress: Callable[[str], None] | None = None,
    **overrides: object,
) -> Iterator[tuple[Settings, LocalStack | None]]:
    """Settings for the platform, starting the local stack unless the environment names servers.

    The local stack is reused when it is already running (a second command next to
    ``bizosaas up``); whatever this call started, it stops on exit.
    """
    if uses_external_servers():
        yield Settings(**overrides), None  # type: ignore[arg-type]
        return
    missing = [name for name in EXTERNAL_VARIABLES if os.environ.get(name)]
    if missing:
        raise SystemExit(
            f"Set all of {', '.join(EXTERNAL_VARIABLES)} to use existing servers "
            f"(only {', '.join(missing)} is set)."
        )
    stack = LocalStack(data_dir.resolve(), ports)
    urls = stack.start(progress)
    try:
        settings = Settings(
            database_url=stack.database_url("bizosaas"),
            migration_database_url=stack.database_url("bizosaas", role="owner"),
            gamification_database_url=stack.database_url("gamification"),
            gamification_migration_database_url=stack.database_url("gamification", role="owner"),
            redis_url=urls.redis_url,
            vault_addr=urls.vault_addr,
            vault_token=urls.vault_token,
            temporal_address=urls.temporal_address,
            **overrides,  # type: ignore[arg-type]
        )
        yield settings, stack
    finally:
        stack.stop()


async def provision_from_urls(admin_url: str, settings: Settings) -> None:
    """Each service database and its roles, named as the settings' URLs name them (the owner
    from the migration URL, the app role from the application URL): for servers this
    platform did not start, such as a managed PostgreSQL, run once as its superuser."""
    from sqlalchemy.engine import make_url

    from bizosaas.migrations.runner import owner_urls
    from bizosaas.stack.provision import provision_database

    app_urls = {
        "bizosaas": settings.database_url,
        "gamification": settings.gamification_database_url,
    }
    for database, owner_url in owner_urls(settings).items():
        owner, app = make_url(owner_url), make_url(app_urls[database])
        if not (owner.username and owner.password and app.username and app.password):
            raise SystemExit(f"{database}: its URLs must name each role and its password")
        await provision_database(
            admin_url,
            make_url(app_urls[database]).database or database,
            owner.username,
            str(owner.password),
            app.username,
            str(app.password),
        )
