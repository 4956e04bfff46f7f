"""Every database's migrations build exactly the schema its models declare."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import create_async_engine

import bizosaas.auth.models
import bizosaas.gamification.models  # noqa: F401  (every table registered)
from bizosaas.core.database import Base, to_async_url
from bizosaas.core.settings import Settings
from bizosaas.gamification.db import GamificationBase
from bizosaas.migrations.runner import owner_urls


@pytest.mark.parametrize(
    ("database", "metadata"),
    [("bizosaas", Base.metadata), ("gamification", GamificationBase.metadata)],
)
async def test_migrations_match_the_models(
    settings: Settings, database: str, metadata: MetaData
) -> None:
    engine = create_async_engine(to_async_url(owner_urls(settings)[database]))
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
            )
    finally:
        await engine.dispose()
    assert differences == []
