"""Async SQLAlchemy engine, the unit of work, and tenant scoping for RLS.

:meth:`Database.transaction` is the one unit of work: it opens a session, scopes it,
commits on success and rolls back on any error. What must happen outside PostgreSQL
once the change is in (a Redis write, a publish, waking a processor) is handed to it
with :func:`after_commit`, runs only after the commit, and never if it rolls back.
Services flush, never commit.

Every transaction declares whose data it may see, through two transaction-local
settings the row-level-security policies read:

* ``app.tenant_id`` — the tenant of the caller;
* ``app.scope = 'platform'`` — the few platform-wide paths (login by email, the
  super admin, session bookkeeping) that must cross tenants.

A transaction that declares neither sees no tenant-owned row at all.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from sqlalchemy import MetaData, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.types import DateTime

from bizosaas.core.logging import get_logger

log = get_logger("bizosaas.database")
AfterCommit = Callable[[], Awaitable[None]]
_AFTER_COMMIT = "bizosaas.after_commit"
_SCOPE = "bizosaas.scope"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# A UUID primary key, made by the application (so a row's id is known before it is flushed).
UUIDKey = Annotated[
    uuid.UUID, mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
]


def utcnow() -> datetime:
    return datetime.now(UTC)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow, nullable=False
    )


@dataclass(frozen=True, slots=True)
class RowScope:
    """Whose rows a transaction may touch."""

    tenant_id: uuid.UUID | None = None
    platform: bool = False

    @classmethod
    def tenant(cls, tenant_id: uuid.UUID) -> RowScope:
        return cls(tenant_id=tenant_id)

    @classmethod
    def platform_wide(cls) -> RowScope:
        return cls(platform=True)


async def apply_scope(session: AsyncSession, scope: RowScope) -> None:
    await session.execute(
        text(
            "SELECT set_config('app.tenant_id', :tenant, true), set_config('app.scope', :s, true)"
        ),
        {
            "tenant": str(scope.tenant_id) if scope.tenant_id else "",
            "s": "platform" if scope.platform else "",
        },
    )


def to_async_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs (as operators write them) for asyncpg."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


class Database:
    def __init__(self, url: str, pool_size: int = 10) -> None:
        self.engine: AsyncEngine = create_async_engine(
            to_async_url(url),
            pool_size=pool_size,
            # No overflow: connections opened and closed under load cost more than waiting.
            max_overflow=0,
            pool_recycle=1800,
            # A connection PostgreSQL dropped (a restart) is replaced at checkout, rather
            # than failing the request that happens to draw it.
            pool_pre_ping=True,
            pool_timeout=10,
        )
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self, scope: RowScope | None = None) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits on success, rolls back on any error, then runs the
        :func:`after_commit` actions of a committed transaction."""
        actions: list[AfterCommit] = []
        async with self.sessionmaker() as session:
            session.info[_AFTER_COMMIT] = actions
            record_scope(session, scope)
            async with session.begin():
                if scope is not None:
                    await apply_scope(session, scope)
                yield session
        await _run(actions)

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


async def use_custom_plans(session: AsyncSession) -> None:
    """Plan every statement of this transaction for its own parameters."""
    await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def tenant_of(session: AsyncSession) -> uuid.UUID:
    """The tenant a session's unit of work was opened for (repositories serve only it)."""
    scope: RowScope | None = session.info.get(_SCOPE)
    if scope is None or scope.tenant_id is None:
        raise RuntimeError("this needs a session from Database.transaction(RowScope.tenant(...))")
    return scope.tenant_id


def record_scope(session: AsyncSession | Session, scope: RowScope | None) -> None:
    """Note whose rows the session's transactions declare (repositories read it); for
    sessions opened outside :meth:`Database.transaction`, such as SQLAdmin's."""
    session.info[_SCOPE] = scope


def visible_tenant(session: AsyncSession) -> uuid.UUID | None:
    """The tenant whose rows the session's unit of work sees; None when it sees every
    tenant's (platform-wide). A unit of work that declared neither is refused."""
    scope: RowScope | None = session.info.get(_SCOPE)
    if scope is None or (scope.tenant_id is None and not scope.platform):
        raise RuntimeError("this needs a session from Database.transaction(RowScope...)")
    return scope.tenant_id


def require_platform(session: AsyncSession) -> None:
    """Refuse a session whose unit of work was not opened platform-wide."""
    scope: RowScope | None = session.info.get(_SCOPE)
    if scope is None or not scope.platform:
        raise RuntimeError("this needs a session from Database.transaction(RowScope.platform...)")


def after_commit(session: AsyncSession, action: AfterCommit) -> None:
    """Run ``action`` once the session's unit of work has committed (never if it rolls back).

    Actions run in the order given. They touch rebuildable state (caches, pub/sub), so
    one that fails is logged and the rest still run: the record is already committed.
    """
    actions: list[AfterCommit] | None = session.info.get(_AFTER_COMMIT)
    if actions is None:
        raise RuntimeError("after_commit needs a session from Database.transaction")
    actions.append(action)


async def _run(actions: list[AfterCommit]) -> None:
    for action in actions:
        try:
            await action()
        except Exception:
            log.exception("after-commit action failed")


def make_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


class Base(DeclarativeBase):
    """Base of the ``bizosaas`` database (auth and platform data)."""

    metadata = make_metadata()
