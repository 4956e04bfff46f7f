"""The gamification worker: the event processor in a process of its own (as in containers)."""

from __future__ import annotations

from asgi_lifespan import LifespanManager

from bizosaas.core.settings import Settings
from bizosaas.gamification.app import create_worker_app
from tests.factories import direct_client
from tests.gamification.factories import Org, event
from tests.gamification.test_achievements import joined, view


async def test_a_separate_worker_processes_what_the_api_accepted(
    org: Org, settings: Settings
) -> None:
    member = await joined(org)
    key = await org.api_key()
    api_processor = org.app.state.services.processor
    await api_processor.stop()  # the API now only accepts, as with PROCESSOR_IN_API=false
    try:
        worker = create_worker_app(settings)
        async with LifespanManager(worker, shutdown_timeout=30):
            await org.send([event(member, "order.completed") for _ in range(4)], key)
            await org.settle()  # woken through Redis by the API's announcement
            async with direct_client(worker) as probe:  # an orchestrator's probe
                assert (await probe.get("/ready")).json()["status"] == "ready"
            assert not [r for r in worker.routes if r.path.startswith("/api")]  # no API here
    finally:
        api_processor.start()
    assert (await view(org, member))["hundred_orders"]["progress"]["value"] == 4
