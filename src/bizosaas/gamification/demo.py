"""The demo tenants' gamification: two boards, a referral program and a week of activity, for
`bizosaas up`.

Idempotent like the rest of the demo: boards are made once, and the events have ids
derived from the member and their place in the week, so a second `up` stores nothing
new. The events are processed by the service once it runs, like any others.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import timedelta

from bizosaas.core.database import RowScope, utcnow
from bizosaas.core.errors import Conflict
from bizosaas.gamification.events.pipeline import Event
from bizosaas.gamification.events.repository import EventRepository
from bizosaas.gamification.leaderboards.repository import BoardRepository
from bizosaas.gamification.leaderboards.schemas import LeaderboardCreate
from bizosaas.gamification.leaderboards.service import create_board
from bizosaas.gamification.members.service import tenant_settings
from bizosaas.gamification.referrals.programs import create_program
from bizosaas.gamification.referrals.repository import ProgramRepository
from bizosaas.gamification.referrals.schemas import ProgramCreate
from bizosaas.gamification.services import GamificationServices

BOARDS = (
    {
        "key": "points",
        "name": "Points",
        "metric": "points",
        "operator": "sum",
        "period": "all_time",
    },
    {
        "key": "weekly-revenue",
        "name": "Revenue this week",
        "metric": "event",
        "event_type": "order.completed",
        "property": "total",
        "operator": "sum",
        "period": "weekly",
        "visibility": "public",
    },
)


PROGRAM = ProgramCreate.model_validate(
    {
        "name": "Invite a friend",
        "platform": "bizoholic",
        "status": "active",
        "share_message": "I use this every day: join with my link and get 10 credit.",
        "referrer_reward": {"amount": "50", "unit": "points"},
        "referee_reward": {"amount": "10", "unit": "credit"},
        "tiers": [
            {"min_referrals": 3, "reward": {"amount": "100", "unit": "points"}},
            {"min_referrals": 10, "reward": {"amount": "500", "unit": "points"}},
        ],
        "qualifying_event": "signup",
        "hold_days": 14,
    }
)


@dataclass(frozen=True)
class DemoMember:
    user_id: uuid.UUID
    name: str


async def seed_demo_gamification(
    services: GamificationServices, tenants: dict[uuid.UUID, tuple[str, list[DemoMember]]]
) -> int:
    """Boards and a week of events for each demo tenant; returns the events newly stored."""
    live = services.live
    stored = 0
    for tenant_id, (name, members) in tenants.items():
        async with services.runtime.database.transaction(RowScope.tenant(tenant_id)) as db:
            settings = await tenant_settings(db)
            settings.display_name = name
            for rules in BOARDS:
                try:
                    board = await create_board(
                        BoardRepository(db),
                        live,
                        LeaderboardCreate.model_validate(rules),
                        visibility=str(rules.get("visibility", "members")),
                    )
                except Conflict:
                    continue
                if rules["key"] == "points":
                    settings.main_leaderboard_id = board.id
                if board.visibility == "public":
                    settings.boards_members_only = False  # so the public board is public
            if not await ProgramRepository(db).list_programs():
                await create_program(db, PROGRAM)  # so members can share a link at once
            events = [e for m in members for e in _week_of(m)]
            stored += len(
                await EventRepository(db).store(events, source="platform", source_id=None)
            )
    return stored


def _week_of(member: DemoMember) -> list[Event]:
    """A plausible week: campaigns, products, orders and a daily login."""
    rng = random.Random(member.user_id.int)  # noqa: S311 - demo data, the same on every run
    now = utcnow()
    events: list[Event] = []

    def add(kind: str, days_ago: int, **properties: object) -> None:
        at = now - timedelta(days=days_ago, minutes=rng.randint(0, 600))
        event_id = f"demo:{member.user_id.hex[:12]}:{len(events)}"
        events.append(Event(event_id, kind, member.user_id, dict(properties), at))

    add("profile.completed", 6)
    for day in range(rng.randint(3, 7)):
        add("member.login", day, platform="bizoholic")
    for _ in range(rng.randint(1, 4)):
        add("campaign.launched", rng.randint(0, 6), channel=rng.choice(["email", "social"]))
    for _ in range(rng.randint(1, 5)):
        add("product.listed", rng.randint(0, 6), category=rng.choice(["apparel", "home"]))
    for _ in range(rng.randint(2, 12)):
        add("order.completed", rng.randint(0, 6), total=round(rng.uniform(20, 400), 2))
    return events
