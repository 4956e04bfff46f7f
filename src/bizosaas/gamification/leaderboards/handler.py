"""The leaderboards' part of event processing (runs after achievements, in the same transaction).

Per batch: one query for the tenant's boards, one for the standings the batch
touches, one bulk upsert, one Lua call previewing the ranks it will produce (for
top-10 notifications and the token's rank claim) and, after the commit, one Lua
call writing them. No round trip per event.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from bizosaas.core.database import RowScope, after_commit
from bizosaas.core.errors import BadRequest
from bizosaas.gamification.events.pipeline import Batch, Event, NotificationDraft
from bizosaas.gamification.leaderboards.live import LiveRanks, is_due, schedule_of
from bizosaas.gamification.leaderboards.models import Leaderboard
from bizosaas.gamification.leaderboards.platform import PlatformBoards
from bizosaas.gamification.leaderboards.ranks import (
    Preview,
    Slot,
    Update,
    encode,
    micros,
    zscore,
)
from bizosaas.gamification.leaderboards.repository import (
    BoardMemberRepository,
    BoardRepository,
    Rejection,
    RejectionRepository,
)
from bizosaas.gamification.leaderboards.scoring import BoardRule, Standing, refusal, step
from bizosaas.gamification.leaderboards.standings_repository import StandingKey, StandingRepository
from bizosaas.gamification.members.models import TenantSettings
from bizosaas.gamification.members.service import tenant_settings

TOP = 10
STATEFUL = ("max", "latest")


class ScoreChangeTooLarge(BadRequest):
    """An event that would move a score by more than its board allows (nothing stored): a
    business rule, so 400 (422 is for payloads that do not fit the schema)."""


@dataclass(frozen=True, slots=True)
class Credit:
    rule: BoardRule
    period_start: datetime
    member_id: uuid.UUID
    value: Decimal
    at: datetime
    source: str  # the event id, or the key of the points award

    @property
    def key(self) -> StandingKey:
        return (self.rule.id, self.period_start, self.member_id)


def credits_of(
    tenant_id: uuid.UUID, events: Sequence[Event], rules: Sequence[BoardRule]
) -> Iterator[Credit]:
    """What each event contributes to each board (points boards are fed by awards instead)."""
    for event in events:
        for rule in rules:
            value = rule.value_of(event)
            if value is not None:
                member = tenant_id if rule.platform else event.user_id
                period = rule.period_of(event.occurred_at)
                yield Credit(rule, period, member, value, event.occurred_at, event.event_id)


class LeaderboardHandler:
    name = "leaderboards"

    def __init__(self, live: LiveRanks, platform: PlatformBoards) -> None:
        self.live = live
        self.platform = platform

    # -- ingest ------------------------------------------------------------------------

    async def check(self, db: AsyncSession, tenant_id: uuid.UUID, events: Sequence[Event]) -> None:
        """Refuse a batch holding an event over some board's per-event limit."""
        boards = await BoardRepository(db).limited_per_event()
        rules = [BoardRule.of(b) for b in boards]
        if not rules:
            return
        now = self.live.clock()
        live = {r.id: r.live_start(now) for r in rules}
        credits = [
            c for c in credits_of(tenant_id, events, rules) if c.period_start >= live[c.rule.id]
        ]
        stateful = {c.key for c in credits if c.rule.operator in STATEFUL}
        standings = await StandingRepository(db).load(stateful)
        for c in credits:
            current = standings.get(c.key) if c.key in stateful else None
            result = step(c.rule.operator, current, c.value, c.at)
            if result is None:
                continue
            standing, change = result
            limit = c.rule.max_change_per_event
            if limit is not None and change > limit:
                raise ScoreChangeTooLarge(
                    f"Event {c.source!r} would change the score on leaderboard {c.rule.key!r} "
                    f"by {change.normalize():f}, over its limit of {limit.normalize():f} per "
                    "event; nothing in this batch was stored."
                )
            if c.key in stateful:
                standings[c.key] = standing

    # -- processing --------------------------------------------------------------------

    async def apply(self, db: AsyncSession, batch: Batch) -> None:
        tenant_id = batch.tenant_id
        boards = await BoardRepository(db).list_boards()
        settings = await tenant_settings(db)
        platform = await self.platform.rules() if settings.platform_boards_opt_in else []
        if not boards and not platform:
            return
        now = self.live.clock()
        for board in boards:
            if is_due(board, now):
                await self.live.roll_over(db, board, now)
        by_id = {b.id: b for b in boards}
        tenant_rules = [BoardRule.of(b) for b in boards]
        credits = self._credits(batch, [*tenant_rules, *platform])
        standings = StandingRepository(db)
        changed, rejections = await self._score(standings, credits, batch.replay)
        main = _main_board(tenant_rules, settings)
        members = sorted({e.user_id for e in batch.events} | {a.user_id for a in batch.points})
        credited = {c.rule.id for c in credits}
        by_period: dict[tuple[uuid.UUID, datetime], list[tuple[StandingKey, Standing]]] = {}
        for key, standing in changed.items():
            by_period.setdefault(key[:2], []).append((key, standing))
        live = [
            (rule, by_period.get((rule.id, rule.period_start), []))
            for rule in tenant_rules
            if rule.id in credited or rule is main
        ]
        previews = await self._preview(db, live, main, members, by_id)
        versions = await standings.save(changed)
        await RejectionRepository(db).add_all(rejections)
        if batch.replay:
            await self._rearchive(standings, by_id, changed)
        writes: list[tuple[Slot, uuid.UUID, list[Update]]] = []
        for rule, changes in live:
            updates = [_update(rule, key, s, versions[key]) for key, s in changes]
            preview = previews.get(rule.id)
            if preview is not None:
                self._notify(batch, rule, updates, preview)
                if rule is main:
                    ranks = {
                        m: r + 1 if r >= 0 else None
                        for m, r in zip(members, preview.asked, strict=True)
                    }
                    moved = await BoardMemberRepository(db).save_ranks(ranks)
                    batch.touched_members.update(moved)  # their token claim's rank
            if updates:
                writes.append((self.live.ranks.slot(rule.id, rule.period_start), rule.id, updates))
        if writes:
            after_commit(db, lambda: self.live.write(tenant_id, writes))

    def _credits(self, batch: Batch, rules: Sequence[BoardRule]) -> list[Credit]:
        """Every contribution of the batch, minus those from before a board existed, those
        a replay keeps, and those outside a contest's window."""
        credits = list(credits_of(batch.tenant_id, batch.events, rules))
        points_rules = [r for r in rules if r.metric == "points"]
        for award in batch.points:
            for rule in points_rules:
                member = batch.tenant_id if rule.platform else award.user_id
                period = rule.period_of(award.occurred_at)
                credits.append(
                    Credit(
                        rule, period, member, Decimal(award.points), award.occurred_at, award.key
                    )
                )
        since = batch.replay_since
        # A replay from `since` keeps the periods before the one containing it as they were.
        first = {
            r.id: max(r.first_period_start, r.schedule.start_of(since))
            if since is not None
            else r.first_period_start
            for r in rules
        }
        return [c for c in credits if c.period_start >= first[c.rule.id] and c.rule.counts_at(c.at)]

    async def _score(
        self, repository: StandingRepository, credits: Sequence[Credit], replay: bool
    ) -> tuple[dict[StandingKey, Standing], list[Rejection]]:
        """Apply the credits in order; refused ones become rejections."""
        standings = await repository.load(c.key for c in credits)
        changed: dict[StandingKey, Standing] = {}
        rejections: list[Rejection] = []
        for c in credits:
            if not replay and not c.rule.platform and c.period_start < c.rule.period_start:
                rejections.append(
                    Rejection(
                        c.rule.id,
                        c.member_id,
                        c.source,
                        c.period_start,
                        c.value,
                        "its period has already been archived",
                    )
                )
                continue
            current = standings.get(c.key)
            result = step(c.rule.operator, current, c.value, c.at)
            if result is None:
                continue
            standing, change = result
            reason = refusal(c.rule, current, change)
            if reason is not None:
                rejections.append(
                    Rejection(c.rule.id, c.member_id, c.source, c.period_start, change, reason)
                )
                continue
            standing.period_change = (current.period_change if current else Decimal(0)) + change
            standings[c.key] = changed[c.key] = standing
        return changed, rejections

    async def _preview(
        self,
        db: AsyncSession,
        live: Sequence[tuple[BoardRule, list[tuple[StandingKey, Standing]]]],
        main: BoardRule | None,
        members: list[uuid.UUID],
        boards: dict[uuid.UUID, Leaderboard],
    ) -> dict[uuid.UUID, Preview]:
        """Ranks before and after this batch on each live board (built first where missing)."""
        requests = [
            (
                rule,
                self.live.ranks.slot(rule.id, rule.period_start),
                [_update(rule, key, s, None) for key, s in changes],
                members if rule is main else [],
            )
            for rule, changes in live
        ]
        results = await self.live.ranks.preview([(s, u, a) for _, s, u, a in requests])
        missing = [i for i, p in enumerate(results) if p is None]
        if missing:
            for i in missing:
                await self.live.build(db, boards[requests[i][0].id])
            again = await self.live.ranks.preview(
                [(requests[i][1], requests[i][2], requests[i][3]) for i in missing]
            )
            for i, p in zip(missing, again, strict=True):
                results[i] = p
        return {r[0].id: p for r, p in zip(requests, results, strict=True) if p is not None}

    async def _rearchive(
        self,
        standings: StandingRepository,
        boards: dict[uuid.UUID, Leaderboard],
        changed: dict[StandingKey, Standing],
    ) -> None:
        """A replay credits un-archived past periods again: write their final ranks anew."""
        past = {
            (board_id, period)
            for board_id, period, _ in changed
            if board_id in boards and period < boards[board_id].period_start
        }
        for board_id, period in sorted(past):
            board = boards[board_id]
            end = schedule_of(board).end_of(period) or board.period_start
            await standings.archive(board, period, end)

    def _notify(
        self, batch: Batch, rule: BoardRule, updates: Sequence[Update], preview: Preview
    ) -> None:
        for update, before, after in zip(updates, preview.before, preview.after, strict=True):
            if after < TOP and not 0 <= before < TOP:
                rank = after + 1
                batch.notify(
                    NotificationDraft(
                        user_id=update.member_id,
                        kind="leaderboard_top10",
                        title=f"You're in the top {TOP} of {rule.name}",
                        body=f"You are number {rank} on {rule.name}.",
                        data={
                            "leaderboard_id": str(rule.id),
                            "leaderboard_key": rule.key,
                            "rank": rank,
                            "period_start": rule.period_start.isoformat(),
                        },
                        dedupe_key=(
                            f"top10:{rule.id}:{rule.period_start.isoformat()}:{update.member_id}"
                        ),
                    )
                )

    # -- replays and erasure -----------------------------------------------------------

    async def reset(self, db: AsyncSession, tenant_id: uuid.UUID, since: datetime | None) -> None:
        """Forget standings, archives and rejections of the periods a replay recomputes: all of
        them, or those from the period containing ``since`` on (per board)."""
        standings = StandingRepository(db)
        if since is None:
            await standings.forget_from(None)
            return
        boards = await BoardRepository(db).list_boards(("active", "archived"))
        boundaries = {b.id: schedule_of(b).start_of(since) for b in boards}
        for rule in await self.platform.rules():
            boundaries[rule.id] = rule.schedule.start_of(since)
        await standings.forget_from(boundaries)

    async def after_reset(self, tenant_id: uuid.UUID) -> None:
        """Drop the live keys: the replay's first batch rebuilds them from what was kept."""
        async with self.live.database.transaction(RowScope.tenant(tenant_id)) as db:
            boards = await BoardRepository(db).list_boards(("active", "archived"))
        await self.live.ranks.drop([self.live.slot(b) for b in boards])

    async def erase(self, db: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> None:
        boards = await BoardRepository(db).list_boards(("active", "archived"))
        await StandingRepository(db).forget_member(user_id)
        slots = [self.live.slot(b) for b in boards]
        after_commit(db, lambda: self.live.ranks.remove(slots, user_id))


def _update(
    rule: BoardRule, key: StandingKey, standing: Standing, version: datetime | None
) -> Update:
    member_id = key[2]
    return Update(
        member_id,
        zscore(standing.score, rule.descending),
        encode(standing.reached_at, member_id),
        micros(version) if version is not None else 0,
    )


def _main_board(rules: Sequence[BoardRule], settings: TenantSettings | None) -> BoardRule | None:
    """The board behind the token's rank claim: the tenant's choice, or its first all-time
    points board."""
    chosen = settings.main_leaderboard_id if settings else None
    for rule in rules:
        if rule.id == chosen:
            return rule
    for rule in rules:
        if rule.metric == "points" and rule.schedule.period == "all_time":
            return rule
    return None
