"""Live ranks in Redis: one sorted set per board and period, rebuilt from PostgreSQL at will.

Encoding (exact tie-break, one code path for both sort orders). For each board and
period, under ``<prefix>:{lb:<board>:<period start, epoch seconds>}`` (one hash tag, so
a script over them runs on Redis Cluster too):

* ``:z`` — a sorted set read with ZREVRANGE/ZREVRANK only. Its score is the board's
  score, negated on ascending boards, so "better" is always higher. Its member is
  ``f"{MAX_MICROS - reached_at_micros:017d}:{member_uuid}"``: ZREVRANGE orders equal
  scores by member, descending, so the complement puts the earlier ``reached_at``
  first, and equal instants fall back to the uuid, descending. That is exactly
  ``ORDER BY score DESC|ASC, reached_at ASC, member_id DESC`` in PostgreSQL.
* ``:h`` — a hash ``member_uuid → "<zset member>|<version>"`` for lookups; the
  version is the row's ``updated_at`` in microseconds (PostgreSQL's clock at the
  upsert), so a late or repeated write never replaces a newer one.
* ``:ready`` — present while the two keys above equal PostgreSQL's committed rows.
  Only a rebuild sets it, under the tenant's processing lock; writers skip a period
  that is not ready and readers rebuild it first. Losing Redis loses the markers
  too, so nothing stale is ever read as complete.

Scores are doubles here (PostgreSQL keeps the exact decimals).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from redis.asyncio import Redis

from bizosaas.core.redis import Keys

MAX_MICROS = 10**17 - 1
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICRO = timedelta(microseconds=1)

_WRITE = """
local out = {}
local a = 2
for b = 0, tonumber(ARGV[1]) - 1 do
  local ready, z, h = KEYS[b * 3 + 1], KEYS[b * 3 + 2], KEYS[b * 3 + 3]
  local n = tonumber(ARGV[a]); a = a + 1
  if redis.call('EXISTS', ready) == 1 then
    for i = 1, n do
      local uid, member, version = ARGV[a], ARGV[a + 2], ARGV[a + 3]
      local current = redis.call('HGET', h, uid)
      local newer = false
      if current then
        local sep = string.find(current, '|', 1, true)
        if tonumber(string.sub(current, sep + 1)) > tonumber(version) then
          newer = true
        else
          redis.call('ZREM', z, string.sub(current, 1, sep - 1))
        end
      end
      if not newer then
        redis.call('ZADD', z, ARGV[a + 1], member)
        redis.call('HSET', h, uid, member .. '|' .. version)
      end
      a = a + 4
    end
    out[b + 1] = 1
  else
    a = a + n * 4
    out[b + 1] = 0
  end
end
return out
"""

# Ranks as they will be once a batch commits, computed before it does: apply the batch's
# new standings, read the ranks, and put everything back, atomically (nobody sees it).
_PREVIEW = """
local out = {}
local a = 2
for b = 0, tonumber(ARGV[1]) - 1 do
  local ready, z, h = KEYS[b * 3 + 1], KEYS[b * 3 + 2], KEYS[b * 3 + 3]
  local n = tonumber(ARGV[a]); a = a + 1
  local first = a
  a = a + n * 3
  local q = tonumber(ARGV[a]); a = a + 1
  local queries = a
  a = a + q
  if redis.call('EXISTS', ready) == 0 then
    out[b + 1] = {0}
  else
    local olds, before, after, asked, mine = {}, {}, {}, {}, {}
    for i = 0, n - 1 do
      local uid = ARGV[first + i * 3]
      local current = redis.call('HGET', h, uid)
      if current then
        local m = string.sub(current, 1, string.find(current, '|', 1, true) - 1)
        olds[i] = {m, redis.call('ZSCORE', z, m)}
        before[i + 1] = redis.call('ZREVRANK', z, m) or -1
      else
        olds[i] = false
        before[i + 1] = -1
      end
      mine[uid] = ARGV[first + i * 3 + 2]
    end
    for i = 0, n - 1 do
      if olds[i] then redis.call('ZREM', z, olds[i][1]) end
      redis.call('ZADD', z, ARGV[first + i * 3 + 1], ARGV[first + i * 3 + 2])
    end
    for i = 0, n - 1 do
      after[i + 1] = redis.call('ZREVRANK', z, ARGV[first + i * 3 + 2])
    end
    for j = 0, q - 1 do
      local uid = ARGV[queries + j]
      local m = mine[uid]
      if not m then
        local current = redis.call('HGET', h, uid)
        if current then m = string.sub(current, 1, string.find(current, '|', 1, true) - 1) end
      end
      asked[j + 1] = (m and redis.call('ZREVRANK', z, m)) or -1
    end
    for i = n - 1, 0, -1 do
      redis.call('ZREM', z, ARGV[first + i * 3 + 2])
      if olds[i] then redis.call('ZADD', z, olds[i][2], olds[i][1]) end
    end
    out[b + 1] = {1, before, after, asked}
  end
end
return out
"""

_REMOVE = """
for b = 0, #KEYS / 2 - 1 do
  local z, h = KEYS[b * 2 + 1], KEYS[b * 2 + 2]
  local current = redis.call('HGET', h, ARGV[1])
  if current then
    redis.call('ZREM', z, string.sub(current, 1, string.find(current, '|', 1, true) - 1))
    redis.call('HDEL', h, ARGV[1])
  end
end
return 1
"""

# A page after `cursor` (a zset member and its score): the cursor's rank if it is still
# there, else the first member with a lower score.
_PAGE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
local start = 0
if ARGV[1] ~= '' then
  local r = redis.call('ZREVRANK', KEYS[2], ARGV[1])
  if r then start = r + 1 else start = redis.call('ZCOUNT', KEYS[2], '(' .. ARGV[2], '+inf') end
end
local count = tonumber(ARGV[3])
return {1, redis.call('ZCARD', KEYS[2]), start,
        redis.call('ZREVRANGE', KEYS[2], start, start + count - 1, 'WITHSCORES')}
"""

_AROUND = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
local card = redis.call('ZCARD', KEYS[2])
local current = redis.call('HGET', KEYS[3], ARGV[1])
if not current then return {1, card} end
local m = string.sub(current, 1, string.find(current, '|', 1, true) - 1)
local r = redis.call('ZREVRANK', KEYS[2], m)
local first = math.max(0, r - tonumber(ARGV[2]))
return {1, card, r, first,
        redis.call('ZREVRANGE', KEYS[2], first, r + tonumber(ARGV[3]), 'WITHSCORES')}
"""


def encode(reached_at: datetime, member_id: uuid.UUID) -> str:
    return f"{MAX_MICROS - micros(reached_at):017d}:{member_id}"


def decode(member: str) -> tuple[datetime, uuid.UUID]:
    complement, _, member_id = member.partition(":")
    return EPOCH + (MAX_MICROS - int(complement)) * MICRO, uuid.UUID(member_id)


def micros(at: datetime) -> int:
    return (at - EPOCH) // MICRO


def zscore(score: Decimal, descending: bool) -> float:
    return float(score) if descending else -float(score)


def unzscore(value: str | float, descending: bool) -> Decimal:
    number = float(value) if descending else -float(value)
    return Decimal(repr(number)).quantize(Decimal("0.0001")) + 0  # + 0 turns -0 into 0


@dataclass(frozen=True, slots=True)
class Slot:
    """The keys of one board's period."""

    ready: str
    z: str
    h: str

    @property
    def all(self) -> tuple[str, str, str]:
        return self.ready, self.z, self.h


@dataclass(frozen=True, slots=True)
class Placed:
    """A member in a ranked slice: 0-based position, score (double) and zset member."""

    position: int
    member_id: uuid.UUID
    zscore: str
    member: str

    @property
    def reached_at(self) -> datetime:
        return decode(self.member)[0]


@dataclass(frozen=True, slots=True)
class Preview:
    before: list[int]  # 0-based ranks before the batch, -1: not ranked
    after: list[int]
    asked: list[int]


@dataclass(frozen=True, slots=True)
class Update:
    member_id: uuid.UUID
    zscore: float
    member: str
    version: int


class NotReady(Exception):
    """The period's keys are not known to equal PostgreSQL; rebuild, then ask again."""


class RankCache:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self._write = redis.register_script(_WRITE)
        self._preview = redis.register_script(_PREVIEW)
        self._remove = redis.register_script(_REMOVE)
        self._page = redis.register_script(_PAGE)
        self._around = redis.register_script(_AROUND)

    def slot(self, board_id: uuid.UUID, period_start: datetime) -> Slot:
        base = self.keys.group("lb", board_id, int(period_start.timestamp()))
        return Slot(f"{base}:ready", f"{base}:z", f"{base}:h")

    # -- writes --------------------------------------------------------------------------

    async def write(self, batches: Sequence[tuple[Slot, Sequence[Update]]]) -> list[Slot]:
        """Apply new standings (absolute, versioned); returns the slots that were not ready."""
        if not batches:
            return []
        # One script per slot (its keys share a hash tag), all in one round trip.
        async with self.redis.pipeline(transaction=False) as pipe:
            for slot, updates in batches:
                args: list[Any] = [1, len(updates)]
                for u in updates:
                    args.extend((str(u.member_id), repr(u.zscore), u.member, u.version))
                await self._write(keys=list(slot.all), args=args, client=pipe)
            replies = await pipe.execute()
        return [
            slot for (slot, _), reply in zip(batches, replies, strict=True) if not int(reply[0])
        ]

    async def preview(
        self,
        batches: Sequence[tuple[Slot, Sequence[Update], Sequence[uuid.UUID]]],
    ) -> list[Preview | None]:
        """Ranks before and after the given updates (None where the slot is not ready)."""
        if not batches:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for slot, updates, asked in batches:
                args: list[Any] = [1, len(updates)]
                for u in updates:
                    args.extend((str(u.member_id), repr(u.zscore), u.member))
                args.append(len(asked))
                args.extend(str(m) for m in asked)
                await self._preview(keys=list(slot.all), args=args, client=pipe)
            replies = [reply[0] for reply in await pipe.execute()]
        return [Preview(list(r[1]), list(r[2]), list(r[3])) if int(r[0]) else None for r in replies]

    async def remove(self, slots: Sequence[Slot], member_id: uuid.UUID) -> None:
        if slots:
            async with self.redis.pipeline(transaction=False) as pipe:
                for s in slots:
                    await self._remove(keys=[s.z, s.h], args=[str(member_id)], client=pipe)
                await pipe.execute()

    async def drop(self, slots: Sequence[Slot]) -> None:
        if slots:
            async with self.redis.pipeline(transaction=False) as pipe:
                for s in slots:
                    pipe.delete(*s.all)
                await pipe.execute()

    async def is_ready(self, slot: Slot) -> bool:
        return bool(await self.redis.exists(slot.ready))

    async def load(self, slot: Slot, rows: AsyncIterator[Sequence[Any]], descending: bool) -> int:
        """Replace the slot with ``rows`` of (member_id, score, reached_at, updated_at), chunked.

        The caller holds the tenant's processing lock, so no batch commits meanwhile."""
        await self.redis.delete(*slot.all)
        count = 0
        async for chunk in rows:
            scores: dict[str, float] = {}
            lookup: dict[Any, Any] = {}
            for member_id, score, reached_at, updated_at in chunk:
                member = encode(reached_at, member_id)
                scores[member] = zscore(score, descending)
                lookup[str(member_id)] = f"{member}|{micros(updated_at)}"
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.zadd(slot.z, scores)
                pipe.hset(slot.h, mapping=lookup)
                await pipe.execute()
            count += len(scores)
        await self.redis.set(slot.ready, "1")
        return count

    async def mark_ready(self, slot: Slot) -> None:
        """An empty period (no committed rows yet) is trivially in step with PostgreSQL."""
        await self.redis.delete(slot.z, slot.h)
        await self.redis.set(slot.ready, "1")

    # -- reads ---------------------------------------------------------------------------

    async def page(
        self, slot: Slot, after: tuple[str, str] | None, count: int
    ) -> tuple[int, list[Placed]]:
        """Up to ``count`` members after the cursor; also the number ranked."""
        member, score = after or ("", "")
        reply = await self._page(keys=[slot.ready, slot.z], args=[member, score, count])
        if not int(reply[0]):
            raise NotReady
        total, start, flat = int(reply[1]), int(reply[2]), reply[3]
        return total, _placed(start, flat)

    async def around(
        self, slot: Slot, member_id: uuid.UUID, above: int, below: int
    ) -> tuple[int, int | None, list[Placed]]:
        """The number ranked, the member's 0-based rank, and the slice around it."""
        reply = await self._around(keys=list(slot.all), args=[str(member_id), above, below])
        if not int(reply[0]):
            raise NotReady
        if len(reply) == 2:
            return int(reply[1]), None, []
        return int(reply[1]), int(reply[2]), _placed(int(reply[3]), reply[4])


def _placed(start: int, flat: Sequence[str]) -> list[Placed]:
    out = []
    for i in range(0, len(flat), 2):
        member = flat[i]
        out.append(Placed(start + i // 2, decode(member)[1], flat[i + 1], member))
    return out
