"""Podman for the container test: the shipped Dockerfile built into an image, and each
service started from it as its own container.

What belongs to this machine, never to the shipped files: a ``containers.conf`` with the
``runc`` runtime (the default one fails on this machine's cgroups) and the ulimits the
machine allows; a base image made from Debian's packages with debootstrap (no image
registry here), kept between runs; and the host's certificate bundle mounted into the
build, for pip and npm behind this network's TLS proxy. The containers share the host's
network, so they reach the test run's servers on 127.0.0.1, as the rest of the suite does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PODMAN = shutil.which("podman")
ROOT = Path(__file__).resolve().parents[2]
BASE = "localhost/bizosaas-base:bookworm"
IMAGE = "localhost/bizosaas:test"
MIRROR = "http://deb.debian.org/debian"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
CONF = """[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
"""
WHY_SKIPPED = (
    "podman is not installed (apt-get install podman runc debootstrap): the container test "
    "is skipped"
)


def _conf() -> Path:
    path = Path(tempfile.gettempdir()) / "bizosaas-containers.conf"
    if not path.exists() or path.read_text() != CONF:
        path.write_text(CONF)
    return path


def podman(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """One podman command, with this machine's containers.conf; raises on failure."""
    assert PODMAN is not None
    env = {**os.environ, "CONTAINERS_CONF": str(_conf())}
    done = subprocess.run([PODMAN, *args], env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"podman {' '.join(args[:3])}… failed:\n{done.stderr[-3000:]}")
    return done


def ensure_base() -> None:
    """A Debian base with python3 and python3-venv, made once with debootstrap and kept."""
    exists = subprocess.run(
        [str(PODMAN), "image", "exists", BASE],
        env={**os.environ, "CONTAINERS_CONF": str(_conf())},
    )
    if exists.returncode == 0:
        return
    with tempfile.TemporaryDirectory(prefix="bizosaas-rootfs-") as rootfs:
        subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                "--include=python3,python3-venv,ca-certificates",
                "bookworm",
                rootfs,
                MIRROR,
            ],
            check=True,
            capture_output=True,
            timeout=900,
        )
        tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(
            [str(PODMAN), "import", "-", BASE],
            stdin=tar.stdout,
            env={**os.environ, "CONTAINERS_CONF": str(_conf())},
            capture_output=True,
            timeout=300,
        )
        tar.wait()
        if imported.returncode != 0:
            raise RuntimeError(f"podman import failed: {imported.stderr[-2000:]!r}")


def build_image() -> float:
    """The image from the repository's Dockerfile (on the debootstrap base); seconds taken."""
    ensure_base()
    trust: list[str] = []
    if CA_BUNDLE.exists():
        inside = "/etc/ssl/host-ca.crt"
        trust = [
            "--volume", f"{CA_BUNDLE}:{inside}:ro",
            "--build-arg", f"PIP_CERT={inside}",
            "--build-arg", f"NPM_CONFIG_CAFILE={inside}",
        ]  # fmt: skip
    started = time.monotonic()
    podman(
        "build", "--format", "docker", "--build-arg", f"BASE={BASE}", *trust,
        "--tag", IMAGE, str(ROOT),
    )  # fmt: skip
    return time.monotonic() - started


def refused(service: str, environment: Mapping[str, str]) -> list[str]:
    """What a container of ``service`` says as it refuses to start (it must not start)."""
    variables = [arg for k, v in environment.items() for arg in ("--env", f"{k}={v}")]
    command = [str(PODMAN), "run", "--rm", "--no-healthcheck", "--network", "none"]
    done = subprocess.run(
        [*command, *variables, IMAGE, service],
        env={**os.environ, "CONTAINERS_CONF": str(_conf())},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0, f"{service} started: {done.stdout[-500:]}"
    return done.stderr.strip().splitlines()


@dataclass
class Fleet:
    """Containers of one test run, each a service of the platform, stopped together."""

    run: str
    names: list[str] = field(default_factory=list)

    def start(self, service: str, port: int, environment: Mapping[str, str]) -> str:
        name = f"bizosaas-{self.run}-{service}"
        variables = [arg for k, v in environment.items() for arg in ("--env", f"{k}={v}")]
        podman(
            "run", "--detach", "--init", "--network", "host", "--name", name,
            "--health-cmd", f"bizosaas health --port {port}", "--health-interval", "2s",
            *variables, IMAGE, service, "--host", "127.0.0.1", "--port", str(port),
        )  # fmt: skip
        self.names.append(name)
        return name

    def healthy(self, name: str) -> bool:
        checked = subprocess.run(
            [str(PODMAN), "healthcheck", "run", name],
            env={**os.environ, "CONTAINERS_CONF": str(_conf())},
            capture_output=True,
        )
        return checked.returncode == 0

    def logs(self, name: str) -> str:
        return podman("logs", "--tail", "30", name).stdout + podman("logs", name).stderr[-2000:]

    def running(self) -> list[str]:
        found = podman(
            "ps", "--all", "--filter", f"name=bizosaas-{self.run}-", "--format", "{{.Names}}"
        )
        return found.stdout.split()

    def stop(self) -> None:
        if self.names:
            podman("rm", "--force", "--time", "10", *self.names)
