"""Prometheus metrics of every live supervisor, read at scrape time (a custom collector).

The seed's names for the "backend" program (``backend_status`` 0 stopped, 1 running,
2 unhealthy, 3 crashed; ``backend_uptime_seconds``; ``backend_restart_count``;
``backend_health_check_success_rate``) and the same for every program with a ``service``
label (``supervisor_program_status{service="nexus"}``, ...), plus a one-hot
``supervisor_program_state{service,state}``.  Reading at scrape time means the figures are
never stale and nothing has to be updated on each state change.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client.core import REGISTRY, GaugeMetricFamily
from prometheus_client.registry import Collector

from fodi.supervisor.state import ProgramState, ProgramStatus

if TYPE_CHECKING:
    from fodi.supervisor.supervisor import Supervisor

_supervisors: weakref.WeakSet[Supervisor] = weakref.WeakSet()

_FIGURES = (
    (
        "status",
        "State code: 0 stopped, 1 running, 2 unhealthy, 3 crashed, 4 starting, "
        "5 stopping, 6 backoff.",
    ),
    ("uptime_seconds", "Seconds since the current process was spawned (0 when not running)."),
    ("restart_count", "Restarts since the supervisor started (automatic and requested)."),
    ("health_check_success_rate", "Share of the last 100 health checks that passed."),
)


def _value(status: ProgramStatus, figure: str) -> float:
    if figure == "status":
        return status.state.metric_value
    if figure == "uptime_seconds":
        return status.uptime_secs or 0.0
    if figure == "restart_count":
        return status.restart_count
    return status.health_check_success_rate


class SupervisorCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        statuses = [
            supervisor.status(name)
            for supervisor in list(_supervisors)
            for name in supervisor.names()
        ]
        backend = next((s for s in statuses if s.name == "backend"), None)
        for figure, help_text in _FIGURES:
            if backend is not None:
                yield GaugeMetricFamily(
                    f"backend_{figure}", help_text, value=_value(backend, figure)
                )
            family = GaugeMetricFamily(
                f"supervisor_program_{figure}", help_text, labels=["service"]
            )
            for status in statuses:
                family.add_metric([status.name], _value(status, figure))
            yield family
        states = GaugeMetricFamily(
            "supervisor_program_state",
            "1 for the state each program is in.",
            labels=["service", "state"],
        )
        for status in statuses:
            for state in ProgramState:
                states.add_metric([status.name, state.value], 1.0 if status.state is state else 0.0)
        yield states

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(())


def track(supervisor: Supervisor) -> None:
    _supervisors.add(supervisor)


def untrack(supervisor: Supervisor) -> None:
    _supervisors.discard(supervisor)


REGISTRY.register(SupervisorCollector())
