"""The composition root of the gamification service: every service built once per process.

Nothing else constructs these. Endpoints receive them as typed dependencies
(:mod:`bizosaas.gamification.dependencies`); the worker, the demo seed and the
replay command take them from here. A new domain adds its service here and a
dependency alias there.
"""

from __future__ import annotations

from dataclasses import dataclass

from bizosaas.core.api_keys import ApiKeyDirectory
from bizosaas.core.members import ClaimsSnapshot, MemberDirectory
from bizosaas.core.runtime import Runtime
from bizosaas.core.wake import Wake
from bizosaas.gamification.achievements.handler import AchievementHandler
from bizosaas.gamification.agents.service import AgentTasks
from bizosaas.gamification.agents.writers import writer_from
from bizosaas.gamification.apikeys.service import ApiKeyLookup
from bizosaas.gamification.events.pipeline import EventHandler
from bizosaas.gamification.events.processor import EventProcessor
from bizosaas.gamification.events.replays import ReplayRunner
from bizosaas.gamification.events.service import EventService
from bizosaas.gamification.leaderboards.handler import LeaderboardHandler
from bizosaas.gamification.leaderboards.live import LiveRanks
from bizosaas.gamification.leaderboards.platform import PlatformBoards
from bizosaas.gamification.leaderboards.ranks import RankCache
from bizosaas.gamification.members.service import MemberService
from bizosaas.gamification.notifications.service import Notifier
from bizosaas.gamification.portfolios.writing import Writer
from bizosaas.gamification.referrals.codes import ReferralCodes
from bizosaas.gamification.referrals.conversions import ReferralConversions
from bizosaas.gamification.referrals.fraud_marks import FraudMarks
from bizosaas.gamification.referrals.fraud_model import model as fraud_model
from bizosaas.gamification.referrals.fraud_model.retraining import Retraining
from bizosaas.gamification.referrals.fraud_model.store import FraudModels
from bizosaas.gamification.referrals.handler import ReferralHandler
from bizosaas.gamification.referrals.holds import RewardHolds
from bizosaas.gamification.referrals.links import ShareLinks
from bizosaas.gamification.referrals.review import ReferralReview
from bizosaas.identity.resolver import IdentityResolver

# Redis channels that wake background work in every copy when new work commits.
EVENTS_WAKE = "gamification:events:wake"
HOLDS_WAKE = "gamification:holds:wake"


@dataclass
class GamificationServices:
    runtime: Runtime
    identity: IdentityResolver
    api_keys: ApiKeyDirectory
    directory: MemberDirectory
    claims: ClaimsSnapshot
    notifier: Notifier
    members: MemberService
    live: LiveRanks
    platform: PlatformBoards
    handlers: list[EventHandler]
    events: EventService
    processor: EventProcessor
    wake: Wake
    replays: ReplayRunner
    referral_codes: ReferralCodes
    conversions: ReferralConversions
    holds: RewardHolds
    retraining: Retraining
    review: ReferralReview
    share_links: ShareLinks
    writer: Writer
    agents: AgentTasks

    @classmethod
    async def build(cls, runtime: Runtime) -> GamificationServices:
        database = runtime.database
        api_keys = ApiKeyDirectory(runtime.redis, runtime.keys)
        identity = await IdentityResolver.start(
            runtime, api_keys, api_key_fallback=ApiKeyLookup(database, api_keys)
        )
        directory = MemberDirectory(runtime.redis, runtime.keys)
        claims = ClaimsSnapshot(runtime.redis, runtime.keys)
        notifier = Notifier(runtime.redis, runtime.keys)
        members = MemberService(database, directory, claims)
        live = LiveRanks(database, RankCache(runtime.redis, runtime.keys))
        platform = PlatformBoards(database, lambda: live.clock())
        wake = Wake(runtime, EVENTS_WAKE)
        codes = ReferralCodes(directory, members, runtime.settings.public_url)
        writer = await writer_from(runtime)
        models = FraudModels(database, fraud_model.shipped())
        conversions = ReferralConversions(
            directory,
            notifier,
            wake,
            Wake(runtime, HOLDS_WAKE),
            await FraudMarks.start(runtime),
            models,
        )
        holds = RewardHolds(database, runtime.temporal, conversions, notifier)
        # Achievements first: points they award feed the points boards. Referrals last:
        # a conversion appends a referral.converted event, which the next batch scores.
        handlers: list[EventHandler] = [
            AchievementHandler(),
            LeaderboardHandler(live, platform),
            ReferralHandler(conversions),
        ]
        processor = EventProcessor(database, handlers, members, notifier)
        return cls(
            runtime=runtime,
            identity=identity,
            api_keys=api_keys,
            directory=directory,
            claims=claims,
            notifier=notifier,
            members=members,
            live=live,
            platform=platform,
            handlers=handlers,
            events=EventService(directory, handlers),
            processor=processor,
            wake=wake,
            replays=ReplayRunner(runtime, processor),
            referral_codes=codes,
            conversions=conversions,
            holds=holds,
            retraining=Retraining(database, models),
            review=ReferralReview(conversions, holds),
            share_links=ShareLinks(database, identity.tenants, directory),
            writer=writer,
            agents=AgentTasks(
                conversions,
                members,
                live,
                writer,
                runtime.settings.public_url,
                database,
                runtime.temporal,
            ),
        )
