"""Who may manage portfolios."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from bizosaas.gamification.caller import Caller
from bizosaas.gamification.dependencies import CallerDep, services_of
from bizosaas.gamification.portfolios.service import ShowcaseLinks, require_manager


async def manager_caller(caller: CallerDep) -> Caller:
    require_manager(caller)
    return caller


ManagePortfoliosDep = Annotated[Caller, Depends(manager_caller)]


async def showcase_links(request: Request, caller: CallerDep) -> ShowcaseLinks:
    return ShowcaseLinks(services_of(request).runtime.settings.public_url, caller.tenant_slug)


LinksDep = Annotated[ShowcaseLinks, Depends(showcase_links)]
