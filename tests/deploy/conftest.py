"""The deployment tests: the container test says plainly when it cannot run here."""

from __future__ import annotations

import pytest

from tests.deploy.containers import PODMAN, WHY_SKIPPED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if PODMAN is None:
        terminalreporter.write_line(WHY_SKIPPED, yellow=True)
