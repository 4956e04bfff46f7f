"""The live fraud model: the newest promoted retraining in ``fraud_models``, else the model
the package ships. Every copy of every service reads the table again at most once a
minute and loads a newer model (skops, trusted types only) when there is one; a database
it cannot read keeps it on the model it has."""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from typing import Any

from sqlalchemy import select

from bizosaas.core.database import Database, RowScope, utcnow
from bizosaas.core.logging import get_logger
from bizosaas.core.repository import PlatformRepository
from bizosaas.gamification.referrals.fraud_model.model import FraudModel
from bizosaas.gamification.referrals.models import FraudModelRecord

log = get_logger("bizosaas.gamification.fraud")
RECHECK_SECONDS = 60.0


class ModelRepository(PlatformRepository):
    async def newest_promoted(self) -> uuid.UUID | None:
        query = (
            select(FraudModelRecord.id)
            .where(FraudModelRecord.promoted)
            .order_by(FraudModelRecord.trained_at.desc())
            .limit(1)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def saved(self, model_id: uuid.UUID) -> bytes:
        query = select(FraudModelRecord.model).where(FraudModelRecord.id == model_id)
        return bytes((await self.session.execute(query)).scalar_one())

    async def add(self, record: FraudModelRecord) -> None:
        self.session.add(record)
        await self.session.flush()


class FraudModels:
    def __init__(
        self, database: Database, shipped: FraudModel | None, recheck: float = RECHECK_SECONDS
    ) -> None:
        self.database = database
        self.recheck = recheck
        self._live = shipped
        self._live_id: uuid.UUID | None = None
        self._checked = -math.inf
        self._lock = asyncio.Lock()

    async def current(self) -> FraudModel | None:
        """The live model (None: the rules alone score)."""
        if time.monotonic() - self._checked >= self.recheck:
            async with self._lock:
                if time.monotonic() - self._checked >= self.recheck:
                    await self._refresh()
                    self._checked = time.monotonic()
        return self._live

    def read_again(self) -> None:
        """Read the table on the next call (a retraining was just promoted here)."""
        self._checked = -math.inf

    async def add(self, model: FraudModel, figures: dict[str, Any], *, promoted: bool) -> uuid.UUID:
        record = FraudModelRecord(
            id=uuid.uuid4(),
            trained_at=utcnow(),
            trained_on=model.trained_on,
            figures=figures,
            promoted=promoted,
            model=model.to_bytes(),
        )
        async with self.database.transaction(RowScope.platform_wide()) as db:
            await ModelRepository(db).add(record)
        if promoted:
            self.read_again()
        return record.id

    async def _refresh(self) -> None:
        try:
            async with self.database.transaction(RowScope.platform_wide()) as db:
                models = ModelRepository(db)
                newest = await models.newest_promoted()
                if newest is None or newest == self._live_id:
                    return
                saved = await models.saved(newest)
            loaded = await asyncio.to_thread(FraudModel.from_bytes, saved, f"fraud model {newest}")
        except Exception:
            log.warning("could not read the fraud models; keeping the live one", exc_info=True)
            return
        self._live, self._live_id = loaded, newest
        log.info("fraud model loaded", model_id=str(newest), trained_on=loaded.trained_on)
