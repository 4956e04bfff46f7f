"""The printed tables of the auth benchmark."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bench._auth_load import Sample
from bench._auth_procs import (
    CpuMeter,
    Memory,
)

DISTURBED_CORES = 0.15  # CPU used outside the benchmark above which figures are suspect
LOG_LINES = 25


@dataclass(frozen=True)
class Row:
    label: str
    sample: Sample
    target: str = ""
    in_cpu_table: bool = False


@dataclass
class Report:
    header: list[str]
    rows: list[Row]
    memory_idle: Memory
    memory_loaded: Memory
    service_log: str  # the tail of the service's own output, shown when requests failed


def verdict(sample: Sample, q: float, limit_ms: float) -> str:
    passed = sample.p(q) <= limit_ms and sample.failed == 0 and sample.ok > 0
    failures = f", {sample.failed} failed" if sample.failed else ""
    return f"p{q:g} <= {limit_ms:g} ms{failures}: {'PASS' if passed else 'MISS'}"


def _fmt(value: float, digits: int = 2) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def render(report: Report) -> str:
    head = (
        f"{'measure':<36} {'conc':>4} {'ok':>7} {'fail':>5} {'req/s':>8} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  target"
    )
    lines = [*report.header, "", head, "-" * (len(head) + 30)]
    for row in report.rows:
        sample = row.sample
        lines.append(
            f"{row.label:<36} {sample.clients:>4} {sample.ok:>7} {sample.failed:>5} "
            f"{_fmt(sample.rate, 0):>8} {_fmt(sample.p(50), 3):>8} {_fmt(sample.p(95), 3):>8} "
            f"{_fmt(sample.p(99), 3):>8}  {row.target}"
        )
    idle, loaded = report.memory_idle, report.memory_loaded
    lines.append(
        f"4 RSS of the auth service after the load: {loaded.rss_mb:.1f} MB "
        f"(after start-up {idle.rss_mb:.1f} MB, peak {loaded.peak_mb:.1f} MB)"
    )
    lines += ["", *_cpu_table([row.sample for row in report.rows if row.in_cpu_table])]

    failed = [row.sample for row in report.rows if row.sample.failures]
    if failed:
        lines += ["", "failures:"]
        for sample in failed:
            for label, count in sample.failures.most_common():
                lines.append(f"  {sample.name} c={sample.clients}: {count} x {label}")
        if report.service_log.strip():
            tail = report.service_log.rstrip().splitlines()[-LOG_LINES:]
            lines += ["", "last lines of the service's log:", *tail]
    return "\n".join(lines)


def _cpu_table(samples: list[Sample]) -> list[str]:
    components = [c for c in CpuMeter.COMPONENTS if any(c in s.cpu_s for s in samples)]
    head = (
        f"{'phase':<16}"
        + "".join(f"{c:>10}" for c in components)
        + f"{'ours':>10}{'cores':>8}{'other cores':>13}"
    )
    lines = [
        "CPU per successful request in ms, by process (2 cores give 2000 ms per second);",
        "'other' is the rest of the machine: when it is not near 0 the run was disturbed",
        head,
        "-" * len(head),
    ]
    disturbed: list[str] = []
    for sample in samples:
        share = 1000 / sample.ok if sample.ok else math.nan  # no success: nothing to share
        per = {c: sample.cpu_s.get(c, math.nan) * share for c in components}
        ours = sum(v for c, v in sample.cpu_s.items() if c != "other")
        other_cores = sample.cpu_s.get("other", 0.0) / sample.elapsed_s
        if other_cores > DISTURBED_CORES:
            disturbed.append(f"{sample.name} ({other_cores:.2f} cores)")
        lines.append(
            f"{sample.name + ' c=' + str(sample.clients):<16}"
            + "".join(f"{_fmt(per[c]):>10}" for c in components)
            + f"{_fmt(ours * share):>10}"
            + f"{ours / sample.elapsed_s:>8.2f}{other_cores:>13.2f}"
        )
    if disturbed:
        lines.append(f"! other processes competed for the CPU during: {', '.join(disturbed)}")
    return lines
