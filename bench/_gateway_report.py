"""The printed report of ``bench/gateway.py``: the table, the targets, the breakdowns."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from bench._gateway_inprocess import InProcess
from bench._gateway_profile import Profile

THROUGHPUT_TARGET = 0.70  # of the bare proxy's requests/s, at 50 clients
P99_TARGET_MS = 30.0
ADDED_P50_TARGET_MS = 0.5
PROCESS_OF = {"upstream": "upstream", "bare proxy": "proxy", "gateway": "gateway"}


@dataclass
class Row:
    """One load phase: the load generator's figures and the CPU each process spent."""

    target: str
    clients: int
    result: dict[str, Any]
    cpu_s: dict[str, float]

    @property
    def ok(self) -> int:
        return int(self.result["ok"])

    @property
    def failed(self) -> int:
        return sum(self.result["errors"].values())

    @property
    def rate(self) -> float:
        elapsed = float(self.result["elapsed_s"])
        return self.ok / elapsed if elapsed > 0 else math.nan

    def p(self, q: int) -> float:
        value = self.result[f"p{q}_ms"]
        return math.nan if value is None else float(value)

    def cores(self, process: str) -> float:
        return self.cpu_s.get(process, math.nan) / float(self.result["elapsed_s"])

    def cpu_us_per_request(self, process: str) -> float:
        return self.cpu_s.get(process, math.nan) * 1e6 / max(self.ok, 1)


def _fmt(value: float, digits: int = 2) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def _verdict(passed: bool) -> str:
    return "PASS" if passed else "MISS"


def table(rows: list[Row]) -> list[str]:
    head = (
        f"{'target':<11}{'conc':>5}{'requests':>10}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'errors':>7} |{'client':>7}{'target':>7}{'upstr.':>7}{'valkey':>7}"
        f" |{'target CPU':>11}"
    )
    lines = [
        f"{'':<57}| cores busy (CPU s / s)     | µs/request",
        head,
        "-" * len(head),
    ]
    for row in rows:
        process = PROCESS_OF[row.target]
        upstream = row.cores("upstream") if process != "upstream" else math.nan
        lines.append(
            f"{row.target:<11}{row.clients:>5}{row.ok:>10}{_fmt(row.rate, 0):>8}"
            f"{_fmt(row.p(50)):>8}{_fmt(row.p(99)):>8}{row.failed:>7} |"
            f"{_fmt(row.cores('client')):>7}{_fmt(row.cores(process)):>7}"
            f"{_fmt(upstream):>7}{_fmt(row.cores('valkey')):>7} |"
            f"{_fmt(row.cpu_us_per_request(process), 0):>11}"
        )
    lines.append(
        "client: the load generator (one process); target: the process under test; "
        "errors: non-2xx or exceptions"
    )
    return lines


@dataclass
class Report:
    header: list[str]
    rows: list[Row]
    in_process: InProcess
    profiles: list[tuple[Profile, float]] = field(default_factory=list)
    logs: dict[str, str] = field(default_factory=dict)


def checks(report: Report) -> list[str]:
    def find(target: str, clients: int) -> Row:
        return next(r for r in report.rows if r.target == target and r.clients == clients)

    top = max(r.clients for r in report.rows)
    gateway, proxy = find("gateway", top), find("bare proxy", top)
    share = gateway.rate / proxy.rate if proxy.rate else math.nan
    worst = max((r for r in report.rows if r.target == "gateway"), key=lambda r: r.p(99))
    errors = sum(r.failed for r in report.rows) + report.in_process.errors
    added = report.in_process.added_p50_ms
    return [
        f"gateway req/s at {top} clients >= {THROUGHPUT_TARGET:.0%} of the bare proxy's: "
        f"{gateway.rate:.0f} / {proxy.rate:.0f} = {share:.1%}  "
        f"{_verdict(share >= THROUGHPUT_TARGET)}",
        f"gateway p99 <= {P99_TARGET_MS:g} ms at every concurrency: worst {worst.p(99):.2f} ms "
        f"({worst.clients} clients)  {_verdict(worst.p(99) <= P99_TARGET_MS)}",
        f"zero errors (every phase, and the one-process mode): {errors}  {_verdict(errors == 0)}",
        f"one-process mode: gateway adds <= {ADDED_P50_TARGET_MS:g} ms at p50: "
        f"{added:+.3f} ms  {_verdict(added <= ADDED_P50_TARGET_MS)}",
    ]


def in_process(report: Report) -> list[str]:
    result = report.in_process
    lines = [
        "one-process mode: ASGI calls in this process, sequential, direct and gateway alternately",
        f"  {'way':<40}{'calls':>7}{'p50 µs':>9}{'p99 µs':>9}{'mean µs':>9}",
    ]
    for timing in (result.direct, result.gateway, result.gateway_info_log):
        lines.append(
            f"  {timing.name:<40}{len(timing.micros):>7}{timing.p50:>9.1f}"
            f"{timing.p99:>9.1f}{timing.mean:>9.1f}"
        )
    lines += [
        f"  added by the gateway at p50: {result.added_p50_ms * 1000:.0f} µs "
        f"({(result.gateway_info_log.p50 - result.direct.p50):.0f} µs with the access log)",
        "",
        "the gateway's steps alone, in-process, sequential",
        f"  {'step':<40}{'calls':>7}{'p50 µs':>9}{'p99 µs':>9}{'mean µs':>9}",
    ]
    for timing in result.components:
        lines.append(
            f"  {timing.name:<40}{len(timing.micros):>7}{timing.p50:>9.1f}"
            f"{timing.p99:>9.1f}{timing.mean:>9.1f}"
        )
    return lines


def render(report: Report) -> str:
    lines = [*report.header, "", *table(report.rows), "", *checks(report), ""]
    lines += in_process(report)
    for profile, cpu_us in report.profiles:
        lines += ["", *profile.lines(cpu_us)]
    failed = [r for r in report.rows if r.failed]
    if failed:
        lines += ["", "errors:"]
        for row in failed:
            for label, count in sorted(row.result["errors"].items(), key=lambda e: -e[1]):
                lines.append(f"  {row.target} c={row.clients}: {count} x {label}")
    for name, tail in report.logs.items():
        if tail.strip():
            lines += ["", f"last lines of the {name}'s log:", tail.rstrip()]
    return "\n".join(lines)
