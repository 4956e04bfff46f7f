"""Temporal: one client per process, connected on first use, and a clean exit after it.

The client speaks Pydantic (workflow inputs and results are Pydantic models). A process
that used it may abort at interpreter exit with ``PyGILState_Release`` (the client's
native threads outlive the interpreter; temporalio/sdk-python#300), turning a command
that did its work into a non-zero exit. :func:`exit_cleanly` ends such a process with the
exit code it meant, skipping the interpreter's finalisation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from typing import Any, NoReturn

from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import WorkflowAlreadyStartedError

from bizosaas.core.settings import Settings

_used = False  # whether this process ever connected a Temporal client


class TemporalLink:
    """The process's Temporal client, connected on first use (and again after a failure)."""

    def __init__(self, settings: Settings) -> None:
        self.address = settings.temporal_address
        self.namespace = settings.temporal_namespace
        self.task_queue = settings.temporal_task_queue
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        global _used
        async with self._lock:
            if self._client is None:
                _used = True
                self._client = await Client.connect(
                    self.address,
                    namespace=self.namespace,
                    data_converter=pydantic_data_converter,
                )
        return self._client

    async def start_once(self, run: Any, arg: Any, workflow_id: str) -> bool:
        """Start a workflow on this service's task queue under an id that is never used
        twice (a second start, even after the first finished, is refused); False when it
        was started before."""
        try:
            await (await self.client()).start_workflow(
                run,
                arg,
                id=workflow_id,
                task_queue=self.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            return False
        return True

    async def ping(self) -> None:
        await (await self.client()).service_client.check_health()


def temporal_used() -> bool:
    return _used


def exit_cleanly(code: int) -> NoReturn:
    """Flush what was written and end the process with ``code`` at once."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed or broken stream
            stream.flush()
    os._exit(code)
