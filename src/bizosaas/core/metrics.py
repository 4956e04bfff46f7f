"""Prometheus metrics, exposed at ``/metrics`` on every service."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response

HTTP_REQUESTS = Counter(
    "bizosaas_http_requests_total",
    "HTTP requests handled, by service, route template, method and status.",
    ["service", "route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "bizosaas_http_request_duration_seconds",
    "Time to answer an HTTP request, by service and route template.",
    ["service", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
AUTH_EVENTS = Counter(
    "bizosaas_auth_events_total",
    "Authentication outcomes (login_success, login_failure, lockout, refresh, reuse, logout).",
    ["event"],
)


async def metrics_endpoint(_: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
