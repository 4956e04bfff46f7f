"""py-spy on a server under load, and where its CPU goes, by library and by gateway step.

py-spy samples the process from outside, idle time excluded, so the shares below
are shares of the CPU the process spent; times per request are those shares of
the process's CPU time per request in the same phase.
Each sample is classified twice, from the innermost frame outwards:

* by library: the first frame that belongs to a known one (jwt/cryptography,
  redis, structlog/logging, prometheus_client, aiohttp, uvicorn, bizosaas);
* by gateway step: the first frame that is one of the gateway's own steps
  (token check, session lookup, tenant directory, rate limit, forwarding, ...).
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

# (label, [(function or "", part of the file's path)]): the first match from the leaf wins.
Rule = tuple[str, list[tuple[str, str]]]
LIBRARIES: list[Rule] = [
    ("JWT (pyjwt + cryptography)", [("", "/jwt/"), ("", "/cryptography/")]),
    ("redis-py client", [("", "/redis/")]),
    ("structlog + logging", [("", "/structlog/"), ("", "/logging/")]),
    ("prometheus_client", [("", "/prometheus_client/")]),
    ("aiohttp client", [("", "/aiohttp/"), ("", "/yarl/"), ("", "/multidict/")]),
    ("uvicorn + httptools (server)", [("", "/uvicorn/protocols/"), ("", "/httptools/")]),
    ("bizosaas + bench code", [("", "/bizosaas/"), ("", "/bench/")]),
]
STEPS: list[Rule] = [
    ("access log (middleware)", [("", "/structlog/"), ("", "/logging/")]),
    ("metrics (prometheus)", [("", "/prometheus_client/")]),
    ("session lookup (HGETALL)", [("get", "bizosaas/auth/live_sessions.py")]),
    ("session touch", [("touch", "bizosaas/auth/live_sessions.py")]),
    ("JWT decode + verify", [("decode", "bizosaas/auth/tokens.py")]),
    ("tenant directory", [("get", "bizosaas/core/tenants.py")]),
    ("rate limit (EVALSHA)", [("hit", "bizosaas/gateway/ratelimit.py")]),
    ("identity headers + HMAC", [("_outgoing_headers", "bizosaas/gateway/app.py")]),
    ("route + request line", [("route_for", ""), ("check_request_line", "")]),
    (
        "forwarding (aiohttp)",
        [
            ("forward_http", "bizosaas/gateway/proxy.py"),
            ("BareProxy.__call__", "bench/_gateway_apps.py"),
            ("", "/aiohttp/"),
        ],
    ),
]
# Then, for a sample none of those steps claims (the uvicorn frame that runs every
# request is no step): the gateway's remaining own code, or the server's; or, where
# the stack holds no such frame at all, its library.
# redis-py writes each command in a task of its own (``asyncio.wait_for`` on Python
# 3.11, because of its socket timeout), whose stack does not show who called.
OTHER: list[Rule] = [
    ("gateway + middleware, other", [("", "/bizosaas/"), ("", "bench/_gateway_apps.py")]),
    ("server (uvicorn + httptools)", [("", "/uvicorn/protocols/"), ("", "/httptools/")]),
    ("JWT decode + verify", [("", "/jwt/"), ("", "/cryptography/")]),
    ("Redis write (wait_for task)", [("", "/redis/")]),
]


def py_spy() -> str | None:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return found if Path(found).exists() else None


def start_recording(pid: int, out: Path, seconds: float) -> subprocess.Popen[bytes] | None:
    binary = py_spy()
    if binary is None:
        return None
    argv = [binary, "record", "--pid", str(pid), "--duration", str(int(seconds) + 30)]
    # Blocking (the default): whole stacks. Pausing the process costs it some throughput,
    # which is why the profiled phase is an extra one, never a row of the table.
    argv += ["--rate", "200", "--format", "raw", "--full-filenames"]
    return subprocess.Popen(
        [*argv, "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def stop_recording(spy: subprocess.Popen[bytes] | None) -> None:
    if spy is None:
        return
    spy.send_signal(signal.SIGINT)  # py-spy writes what it has so far
    try:
        spy.wait(timeout=60)
    except subprocess.TimeoutExpired:
        spy.kill()
        spy.wait(timeout=5)


@dataclass
class Profile:
    name: str
    samples: int
    by_library: Counter[str]
    by_step: Counter[str]

    def lines(self, cpu_us_per_request: float) -> list[str]:
        """Shares of the samples, and what they make of the process's CPU per request."""
        out = [f"{self.name}: {self.samples} samples, {cpu_us_per_request:.0f} µs CPU per request"]
        for title, counts in (("by library", self.by_library), ("by step", self.by_step)):
            out.append(f"  {title}:{'share':>30}{'µs/req':>9}")
            for label, count in counts.most_common():
                share = count / self.samples if self.samples else 0.0
                out.append(f"    {label:<32}{share:7.1%}{share * cpu_us_per_request:9.0f}")
        return out


def _named(function: str, wanted: str) -> bool:
    return not wanted or function == wanted or function.endswith("." + wanted)


def _classify(frames: list[tuple[str, str]], *rule_sets: list[Rule]) -> str:
    """The first rule set with a match decides; within it, the innermost frame."""
    for rules in rule_sets:
        for function, path in reversed(frames):
            for label, patterns in rules:
                if any(_named(function, f) and p in path for f, p in patterns):
                    return label
    return "event loop (uvloop) + other"


def _frame(text: str) -> tuple[str, str]:
    """``function (path:line)`` -> (function, path)."""
    function, _, where = text.partition(" (")
    return function, where.rsplit(":", 1)[0]


def summarise(name: str, raw: Path) -> Profile | None:
    if not raw.exists():
        return None
    by_library: Counter[str] = Counter()
    by_step: Counter[str] = Counter()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_frame(f) for f in stack.split(";")]
        by_library[_classify(frames, LIBRARIES)] += int(count)
        by_step[_classify(frames, STEPS, OTHER)] += int(count)
    return Profile(name, sum(by_library.values()), by_library, by_step)
