"""What every benchmark shares: progress lines, the event loop, a scratch directory,
stopping cleanly on SIGTERM, and the CPU meter of a process.

The servers, databases and settings of a run come from :mod:`bizosaas.stack.isolated`,
as the test suite's do.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

import psutil

from bizosaas.core.temporal import exit_cleanly, temporal_used

REPO = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
HAS_UVLOOP = importlib.util.find_spec("uvloop") is not None
HAS_HTTPTOOLS = importlib.util.find_spec("httptools") is not None


def progress(message: str) -> None:
    print(f"· {message}", file=sys.stderr, flush=True)


def cpu_seconds(process: psutil.Process) -> float:
    """User plus system CPU time of one process (0 once it is gone)."""
    with contextlib.suppress(psutil.Error):
        times = process.cpu_times()
        return float(times.user + times.system)
    return 0.0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # so that every finally block stops what it started


@contextlib.contextmanager
def bench_run(prefix: str) -> Iterator[tuple[Path, asyncio.Runner]]:
    """A scratch directory (removed at the end) and an event loop (uvloop when installed);
    SIGTERM stops the run like Ctrl-C, through every ``finally``."""
    signal.signal(signal.SIGTERM, _interrupt)
    root = Path(tempfile.mkdtemp(prefix=f"bizosaas-{prefix}-"))
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    if HAS_UVLOOP:
        import uvloop

        loop_factory = uvloop.new_event_loop
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            yield root, runner
    finally:
        shutil.rmtree(root, ignore_errors=True)


def finished() -> None:
    """The end of a benchmark that ran the platform: its Temporal client can abort the
    interpreter's finalisation (see :mod:`bizosaas.core.temporal`), so end at once, with 0."""
    if temporal_used():
        exit_cleanly(0)
