"""The states a program goes through, and the snapshot of one program the API reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class ProgramState(StrEnum):
    """The seed's five states, plus ``backoff`` and a ``crashed`` the code actually sets."""

    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    UNHEALTHY = "unhealthy"
    STOPPING = "stopping"
    BACKOFF = "backoff"
    CRASHED = "crashed"

    @property
    def is_running(self) -> bool:
        """As the seed defines it: a live process, healthy or not."""
        return self in (ProgramState.RUNNING, ProgramState.UNHEALTHY)

    @property
    def metric_value(self) -> int:
        """``backend_status``: 0 stopped, 1 running, 2 unhealthy, 3 crashed (the seed's codes),
        then 4 starting, 5 stopping, 6 backoff for the states the seed did not have."""
        return _METRIC_VALUES[self]


_METRIC_VALUES = {
    ProgramState.STOPPED: 0,
    ProgramState.RUNNING: 1,
    ProgramState.UNHEALTHY: 2,
    ProgramState.CRASHED: 3,
    ProgramState.STARTING: 4,
    ProgramState.STOPPING: 5,
    ProgramState.BACKOFF: 6,
}


@dataclass(frozen=True, slots=True)
class ProgramStatus:
    """One program at one moment (what ``GET .../status`` and ``fodi ctl status`` show)."""

    name: str
    state: ProgramState
    pid: int | None
    uptime_secs: float | None
    restart_count: int
    last_health_check: str  # "healthy" | "unhealthy: <reason>" | "unknown", as the seed said
    last_change_reason: str
    last_change_at: datetime
    last_exit_status: int | None  # the return code; negative for a signal (-9 is SIGKILL)
    health_check_success_rate: float  # over the last probes; 1.0 before the first one
    next_restart_in: float | None = None  # seconds, while in backoff
    log_tail: list[str] = field(default_factory=list)  # the log's last lines, once crashed

    @property
    def is_running(self) -> bool:
        return self.state.is_running
