"""Prometheus metrics: HTTP request counts and latency for every service, and ``/metrics``.

The app factory's middleware calls :func:`record_request` once per request.

Metric objects are module-level (one registry per process); the ``service`` label tells the
services apart when several apps share a process, as they do in tests.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

HTTP_REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests served, by route template and status.",
    ["service", "method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time from request to the last byte of the response.",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


def _route_template(scope: Scope) -> str:
    """The matched route's template; the router leaves the route in the (shared) scope."""
    route = scope.get("route")
    if route is not None:
        return str(getattr(route, "path", "unmatched"))
    endpoint = scope.get("endpoint")
    if endpoint is not None:  # a plain Starlette route, e.g. /metrics itself
        return str(scope.get("path", "unmatched"))
    return "unmatched"


# The labelled children, looked up once per (service, method, route, status): prometheus
# client's labels() validates and hashes its arguments on every call, which costs more than
# the increment itself on a hot path.
_children: dict[tuple[str, str, str, int], tuple[Any, Any]] = {}


def record_request(service: str, scope: Scope, status: int, seconds: float) -> None:
    """Count and time one HTTP request by its route template (not its raw path)."""
    key = (service, scope["method"], _route_template(scope), status)
    children = _children.get(key)
    if children is None:
        _, method, route, _ = key
        children = _children[key] = (
            HTTP_REQUESTS.labels(service, method, route, str(status)),
            HTTP_LATENCY.labels(service, method, route),
        )
    counter, histogram = children
    counter.inc()
    histogram.observe(seconds)


async def metrics_endpoint(_request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
