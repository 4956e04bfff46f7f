"""The repository kit: tenant-bound repositories, one keyset pagination, one cursor format.

A repository is built from a session alone: it serves the tenant its unit of work
was opened for (:func:`~bizosaas.core.database.tenant_of`), and every query starts
from :meth:`TenantRepository.statement`, which applies the tenant filter: the
application's wall, with row-level security as the second. A repository method
cannot forget the tenant, and is never handed one.

Pages are keyset pages: ``WHERE (k1, k2) < (:k1, :k2) ORDER BY k1 DESC, k2 DESC``
over an index, never ``OFFSET``. The cursor a client gets back is opaque (URL-safe
base64 of a JSON array of the last row's keys); one this API did not give out
answers 400.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Generic, TypeVar, get_args, get_origin

import orjson
from fastapi import Depends, Query
from sqlalchemy import Index, Select, and_, bindparam, or_, select, tuple_
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from bizosaas.core.database import require_platform, tenant_of, visible_tenant
from bizosaas.core.errors import BadRequest, Conflict

T = TypeVar("T")
V = TypeVar("V", int, str, uuid.UUID, datetime, Decimal)
Model = TypeVar("Model")  # a model with a tenant_id column (TenantOwned, or its own key)
CURSOR_MAX_LENGTH = 256
BAD_CURSOR = "The cursor is not one this API gave out."


class TenantOwned:
    """Mixin of a tenant-owned table: ``tenant_id`` (first in its indexes, under RLS)."""

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)


def tenant_index(table: str, *columns: str, unique: bool = False, **options: Any) -> Index:
    """An index of a tenant-owned table, ``tenant_id`` first, named by the convention
    (``ix_`` or ``uq_<table>_tenant_id_<columns>``)."""
    name = "_".join(["uq" if unique else "ix", table, "tenant_id", *columns])
    return Index(name, "tenant_id", *columns, unique=unique, **options)


class TenantQueries:
    """SQL for the tenant of the session's unit of work (raw statements bind ``tenant_id``)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.tenant_id = tenant_of(session)


class ScopedRepository(Generic[Model]):
    """The rows of one model the session's unit of work may see: its tenant's or, in a
    platform-wide unit of work (a super admin, sign-in by email), every tenant's.

    Every query starts from :meth:`statement`, which applies the tenant filter whenever
    the unit of work has a tenant."""

    model: ClassVar[type[Any]]
    tenant_column: ClassVar[str] = "tenant_id"

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.tenant_id: uuid.UUID | None = visible_tenant(session)

    def statement(self) -> Select[tuple[Model]]:
        """Every query of this repository starts here."""
        query = select(self.model)
        if self.tenant_id is not None:
            query = query.where(getattr(self.model, self.tenant_column) == self.tenant_id)
        return query

    def add(self, row: Model) -> Model:
        """Stage a new row for the session's tenant (whatever tenant it was given)."""
        if self.tenant_id is not None:
            setattr(row, self.tenant_column, self.tenant_id)
        self.session.add(row)
        return row

    async def insert_unique(self, row: Model, *, taken: str) -> Model:
        """Add and flush a new row; a unique key another transaction took at the same moment
        answers 409 with ``taken`` (the transaction goes on without the row)."""
        try:
            async with self.session.begin_nested():
                self.add(row)
                await self.session.flush()
        except IntegrityError as exc:
            raise Conflict(taken) from exc
        return row

    async def get(
        self, *conditions: ColumnElement[bool], lock: bool = False, fresh: bool = False
    ) -> Model | None:
        """The one row matching ``conditions``; ``lock`` takes it ``FOR UPDATE``, ``fresh``
        reloads it even if the session already holds it."""
        query = self.statement().where(*conditions)
        if lock:
            query = query.with_for_update()
        if lock or fresh:
            query = query.execution_options(populate_existing=True)
        found: Model | None = (await self.session.execute(query)).scalar_one_or_none()
        return found

    async def all(self, query: Select[tuple[Model]]) -> Sequence[Model]:
        return (await self.session.execute(query)).scalars().all()

    async def oldest_first(self, page: PageRequest, *keys: Any) -> Page[Model]:
        """A page of every row this repository serves, in ascending order of ``keys``."""
        return await keyset_page(self.session, self.statement(), keys, page, descending=False)


class TenantRepository(ScopedRepository[Model]):
    """The rows of one model that belong to the tenant of the session's unit of work (a
    unit of work without a tenant is refused)."""

    tenant_id: uuid.UUID

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self.tenant_id = tenant_of(session)


class PlatformRepository:
    """The few reads that cross tenants (a scheduler's scan, rebuilding a directory): only in a
    platform-wide unit of work, where row-level security admits every tenant's rows."""

    def __init__(self, session: AsyncSession) -> None:
        require_platform(session)
        self.session = session


def contains(column: Any, text: str) -> ColumnElement[bool]:
    """``column`` contains ``text``, in any case; ``%`` and ``_`` in it are plain characters."""
    escaped = re.sub(r"([\\%_])", r"\\\1", text.strip())
    return column.ilike(f"%{escaped}%", escape="\\")  # type: ignore[no-any-return]


# -- keyset pages ---------------------------------------------------------------------------

CursorValue = int | str | uuid.UUID | datetime | Decimal


def aware_datetime(text: str) -> datetime:
    """A cursor's instant: this API writes them with their offset, so one without is not ours."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("a naive datetime")
    return moment


def encode_cursor(values: Sequence[CursorValue]) -> str:
    raw = orjson.dumps([v.isoformat() if isinstance(v, datetime) else str(v) for v in values])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(
    cursor: str, types: Sequence[Callable[[str], CursorValue]]
) -> tuple[CursorValue, ...]:
    """The keys a cursor holds, each parsed by its type (``int``, ``uuid.UUID``,
    ``aware_datetime``…); 400 for anything else."""
    try:
        if len(cursor) > CURSOR_MAX_LENGTH:
            raise ValueError
        values = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError
        return tuple(parse(str(value)) for parse, value in zip(types, values, strict=True))
    except (ValueError, TypeError, ArithmeticError, binascii.Error, orjson.JSONDecodeError) as exc:
        raise BadRequest(BAD_CURSOR) from exc


def cursor_value(cursor: str | None, parse: Callable[[str], V]) -> V | None:
    """The single key a one-key cursor holds, or None without a cursor."""
    if cursor is None:
        return None
    value: V = decode_cursor(cursor, (parse,))[0]  # type: ignore[arg-type,assignment]
    return value


CursorQuery = Annotated[
    str | None,
    Query(max_length=CURSOR_MAX_LENGTH, description="`next_cursor` of the previous page"),
]


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Which page a client asks for: after ``cursor`` (the start without), ``limit`` rows."""

    cursor: str | None
    limit: int


def paging(default: int, most: int) -> Any:
    """The dependency of a listing's ``cursor`` and ``limit`` (1 to ``most``, else
    ``default``): ``page: Annotated[PageRequest, paging(20, 100)]``."""

    async def requested(cursor: str | None, limit: int) -> PageRequest:
        return PageRequest(cursor, limit)

    # Set here, not in the signature: this module's annotations are strings, and the
    # bounds are this call's.
    requested.__annotations__ = {
        "cursor": CursorQuery,
        "limit": Annotated[int, Query(ge=1, le=most, description="Page size")],
        "return": PageRequest,
    }
    requested.__defaults__ = (None, default)
    return Depends(requested)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


async def keyset_page(
    session: AsyncSession,
    query: Select[Any],
    keys: Sequence[Any],
    page: PageRequest,
    *,
    descending: bool | Sequence[bool] = True,
    scalars: bool = True,
) -> Page[Any]:
    """One page of ``query`` in the order of ``keys`` (unique together), after the cursor.

    ``descending`` is one direction for every key, or one per key (a mixed order)."""
    directions = [descending] * len(keys) if isinstance(descending, bool) else list(descending)
    cursor, limit = page.cursor, page.limit
    if cursor is not None:
        after = decode_cursor(cursor, [_parser_of(key) for key in keys])
        query = query.where(_after(keys, after, directions))
    order = [k.desc() if down else k.asc() for k, down in zip(keys, directions, strict=True)]
    result = await session.execute(query.order_by(*order).limit(limit + 1))
    rows: list[Any] = list(result.scalars().all() if scalars else result.all())
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = encode_cursor([getattr(last, key.key) for key in keys])
    return Page(rows, next_cursor)


_PARSERS: dict[type, Callable[[str], CursorValue]] = {
    int: int,
    str: str,
    uuid.UUID: uuid.UUID,
    datetime: aware_datetime,
    Decimal: Decimal,
}


def _parser_of(key: Any) -> Callable[[str], CursorValue]:
    """How a cursor's value for this column is read back (by the column's Python type; a
    decorated type, such as fastapi-users' GUID, by the type it decorates)."""
    column_type = key.type
    try:
        kind = column_type.python_type
    except NotImplementedError:
        kind = column_type.impl_instance.python_type
    if get_origin(kind) is Annotated:  # e.g. pydantic's UUID4
        kind = get_args(kind)[0]
    return _PARSERS[kind]


def _after(
    keys: Sequence[Any], values: Sequence[CursorValue], directions: Sequence[bool]
) -> ColumnElement[bool]:
    """Rows after ``values`` in the order of ``keys``: a row comparison when every key goes
    one way (an index serves it), else ``k1 > v1 OR (k1 = v1 AND k2 < v2) …``."""
    bound = [bindparam(None, v, type_=k.type) for k, v in zip(keys, values, strict=True)]
    if len(set(directions)) == 1:
        row, last = tuple_(*keys), tuple_(*bound)
        return row < last if directions[0] else row > last
    alternatives = []
    for i, (key, value, down) in enumerate(zip(keys, bound, directions, strict=True)):
        equal = [k == v for k, v in zip(keys[:i], bound[:i], strict=True)]
        alternatives.append(and_(*equal, key < value if down else key > value))
    return or_(*alternatives)
