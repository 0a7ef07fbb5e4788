"""Fixtures for the supervisor's tests: real programs (healthprog.py) on free loopback ports.

Every program a test spawns carries ``--tag <tmp_path>``; after each test the fixture stops
the supervisor and fails the test if any process with that tag is still there.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from fodi.supervisor import ProbeConfig, ProgramConfig, Supervisor

HEALTHPROG = Path(__file__).with_name("healthprog.py")

# Short probe periods keep the suite fast; the real defaults are in ProbeConfig.
FAST_PROBE = ProbeConfig(
    period=0.1, timeout=0.2, failure_threshold=2, startup_grace=10.0, startup_period=0.02
)

ProgramFactory = Callable[..., ProgramConfig]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def tagged_pids(tag: str) -> list[int]:
    """Every process (zombies included) whose command line carries ``tag``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if tag in cmdline:
                pids.append(int(entry.name))
    return pids


def process_exists(pid: int) -> bool:
    """True for a live or zombie process (a reaped one has no /proc entry)."""
    return Path(f"/proc/{pid}").exists()


@pytest.fixture
def tag(tmp_path: Path) -> str:
    return str(tmp_path)


@pytest.fixture
def program(tag: str) -> ProgramFactory:
    """``program(name, *extra_args, **config)``: a healthprog on its own free port."""

    def build(name: str = "web", *args: str, **overrides: Any) -> ProgramConfig:
        port = free_port()
        options: dict[str, Any] = {
            "command": (sys.executable, str(HEALTHPROG), "--port", str(port), "--tag", tag, *args),
            "health_url": f"http://127.0.0.1:{port}/health",
            "probe": FAST_PROBE,
            "backoff_initial": 0.05,
            "stop_timeout": 2.0,
        }
        options.update(overrides)
        return ProgramConfig(name=name, **options)

    return build


@pytest.fixture
async def supervise(tmp_path: Path, tag: str) -> AsyncIterator[Callable[..., Supervisor]]:
    """``supervise(*configs)`` builds a Supervisor that is stopped, and checked, afterwards."""
    made: list[Supervisor] = []

    def build(*configs: ProgramConfig) -> Supervisor:
        supervisor = Supervisor(configs, log_dir=tmp_path / "log")
        made.append(supervisor)
        return supervisor

    yield build
    for supervisor in made:
        await supervisor.stop_all()
        supervisor.close()
    assert tagged_pids(tag) == [], "a supervised process outlived its test"
