"""Everything the gamification service needs at run time, built once per process."""

from __future__ import annotations

from dataclasses import dataclass, field

from bizosaas.auth.context import build_verifier, load_csrf_secret
from bizosaas.auth.tokens import TokenVerifier
from bizosaas.core.api_keys import ApiKeyDirectory
from bizosaas.core.members import ClaimsSnapshot, MemberDirectory
from bizosaas.core.runtime import Runtime
from bizosaas.core.tenants import TenantDirectory
from bizosaas.gamification.events.pipeline import EventHandler
from bizosaas.gamification.events.processor import EventProcessor
from bizosaas.gamification.events.replays import ReplayRunner
from bizosaas.gamification.events.service import EventService
from bizosaas.gamification.members.service import MemberService
from bizosaas.gamification.notifications.service import Notifier

WAKE_CHANNEL = "gamification:events:wake"


@dataclass
class GamificationContext:
    runtime: Runtime
    verifier: TokenVerifier
    csrf_secret: bytes
    api_keys: ApiKeyDirectory
    directory: MemberDirectory
    claims: ClaimsSnapshot
    tenants: TenantDirectory
    notifier: Notifier
    members: MemberService
    handlers: list[EventHandler] = field(default_factory=list)
    event_service: EventService = field(init=False)
    processor: EventProcessor = field(init=False)
    replays: ReplayRunner = field(init=False)

    @classmethod
    async def start(cls, runtime: Runtime) -> GamificationContext:
        from bizosaas.gamification.handlers import build_handlers

        directory = MemberDirectory(runtime.redis, runtime.keys)
        claims = ClaimsSnapshot(runtime.redis, runtime.keys)
        context = cls(
            runtime=runtime,
            verifier=build_verifier(runtime),
            csrf_secret=await load_csrf_secret(runtime),
            api_keys=ApiKeyDirectory(runtime.redis, runtime.keys),
            directory=directory,
            claims=claims,
            tenants=TenantDirectory(runtime.redis, runtime.keys),
            notifier=Notifier(runtime.redis, runtime.keys),
            members=MemberService(runtime.database, directory, claims),
        )
        context.handlers = build_handlers(context)
        context.event_service = EventService(directory, context.handlers)
        context.processor = EventProcessor(
            runtime.database, context.handlers, context.members, context.notifier
        )
        context.replays = ReplayRunner(context)
        return context

    @property
    def wake_channel(self) -> str:
        return self.runtime.keys(WAKE_CHANNEL)

    async def wake_processors(self) -> None:
        """New events: this copy's processor at once, the other copies through Redis."""
        self.processor.wake()
        await self.runtime.redis.publish(self.wake_channel, "1")
