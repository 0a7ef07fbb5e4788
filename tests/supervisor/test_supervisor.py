"""The supervisor with real processes: crash, hang, crash loop, stop, dependencies, logs."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fodi.supervisor import (
    AlreadyRunning,
    ProgramConfig,
    ProgramState,
    StartFailed,
    Supervisor,
    UnknownProgram,
)
from fodi.supervisor.logs import ProgramLog
from fodi.supervisor.process import become_subreaper
from fodi.supervisor.program import backoff_delay
from tests.supervisor.conftest import FAST_PROBE, ProgramFactory, process_exists, tagged_pids

pytestmark = pytest.mark.slow

Supervise = Callable[..., Supervisor]


async def _until(condition: Callable[[], bool], within: float = 5.0) -> float:
    """Seconds until ``condition()`` holds (fails the test after ``within``)."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > within:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(0.005)
    return time.monotonic() - started


async def _running(supervisor: Supervisor, name: str = "web") -> int:
    assert await supervisor.wait_healthy(name, 10.0), supervisor.status(name)
    pid = supervisor.status(name).pid
    assert pid is not None
    return pid


async def test_sigkill_is_noticed_at_once_and_the_program_is_healthy_again(
    supervise: Supervise, program: ProgramFactory
) -> None:
    supervisor = supervise(program())
    await supervisor.start_all()
    old_pid = await _running(supervisor)

    os.kill(old_pid, signal.SIGKILL)
    respawned = await _until(lambda: supervisor.status("web").pid not in (None, old_pid))
    new_pid = await _running(supervisor)

    status = supervisor.status("web")
    assert respawned < 0.5  # event-driven: no poll tick between the exit and the respawn
    assert new_pid != old_pid
    assert status.state is ProgramState.RUNNING
    assert status.restart_count == 1
    assert status.last_exit_status == -signal.SIGKILL
    assert not process_exists(old_pid)  # reaped: not even a zombie


async def test_a_hung_program_is_detected_by_the_probes_and_replaced(
    supervise: Supervise, program: ProgramFactory
) -> None:
    supervisor = supervise(program())
    await supervisor.start_all()
    old_pid = await _running(supervisor)

    os.kill(old_pid, signal.SIGSTOP)
    replaced = await _until(lambda: supervisor.status("web").pid not in (None, old_pid), 5.0)
    await _running(supervisor)

    probe = FAST_PROBE
    assert replaced < probe.period * probe.failure_threshold + probe.timeout + 0.5 + probe.timeout
    status = supervisor.status("web")
    assert status.restart_count == 1
    assert status.health_check_success_rate < 1.0
    assert any("unresponsive" in line for line in supervisor.tail_log("web", 50))
    assert not process_exists(old_pid)


async def test_a_program_that_dies_at_once_backs_off_then_crashes(
    supervise: Supervise, program: ProgramFactory
) -> None:
    supervisor = supervise(program("web", "--exit-at-once", "3", max_restart_attempts=3))
    await supervisor.start_all()
    seen_backoff = False

    def crashed() -> bool:
        nonlocal seen_backoff
        seen_backoff |= supervisor.status("web").state is ProgramState.BACKOFF
        return supervisor.status("web").state is ProgramState.CRASHED

    await _until(crashed, 10.0)
    status = supervisor.status("web")
    assert seen_backoff
    assert status.last_exit_status == 3
    assert status.restart_count == 3
    assert "gave up after 3 restart attempts" in status.last_change_reason
    assert any("exiting at once" in line for line in status.log_tail)
    spawns = [line for line in supervisor.tail_log("web", 200) if " sup | spawned pid" in line]
    assert len(spawns) == 4  # the first start and three restarts, then no more

    await asyncio.sleep(0.3)  # stays crashed: nobody restarts it behind our back
    assert supervisor.status("web").state is ProgramState.CRASHED
    await supervisor.start("web")  # ...until someone starts it
    assert supervisor.status("web").state in (ProgramState.STARTING, ProgramState.BACKOFF)
    await _until(lambda: supervisor.status("web").state is ProgramState.CRASHED, 10.0)


async def test_stop_takes_down_the_whole_group_even_what_ignores_sigterm(
    supervise: Supervise, program: ProgramFactory, tmp_path: Path
) -> None:
    pidfile = tmp_path / "grandchild.pid"
    config = program("web", "--ignore-term", "--grandchild-pidfile", str(pidfile), stop_timeout=0.3)
    supervisor = supervise(config)
    await supervisor.start_all()
    pid = await _running(supervisor)
    grandchild = int(pidfile.read_text())
    assert process_exists(grandchild)

    started = time.monotonic()
    await supervisor.stop("web")

    assert time.monotonic() - started < 2.0  # the grace period, then SIGKILL
    status = supervisor.status("web")
    assert status.state is ProgramState.STOPPED
    assert status.pid is None
    assert status.last_exit_status == -signal.SIGKILL
    assert not process_exists(pid)
    await _until(lambda: not process_exists(grandchild), 2.0)  # killed and reaped


async def test_stop_sends_sigcont_so_a_stopped_process_exits_on_sigterm_at_once(
    supervise: Supervise, program: ProgramFactory
) -> None:
    supervisor = supervise(program(stop_timeout=5.0))
    await supervisor.start_all()
    pid = await _running(supervisor)
    os.kill(pid, signal.SIGSTOP)

    started = time.monotonic()
    await supervisor.stop("web")

    assert time.monotonic() - started < 1.0  # supervisord waits its full stopwaitsecs here
    assert supervisor.status("web").last_exit_status == -signal.SIGTERM


async def test_a_dependent_starts_only_once_its_dependency_is_healthy(
    supervise: Supervise, program: ProgramFactory
) -> None:
    web = program("web", "--start-delay", "0.4")
    worker = program("worker", depends_on=("web",))
    supervisor = supervise(worker, web)
    assert supervisor.names() == ["web", "worker"]

    await supervisor.start_all()
    await _running(supervisor, "worker")

    web_log = supervisor.tail_log("web", 100)
    worker_log = supervisor.tail_log("worker", 100)
    web_healthy = next(line for line in web_log if '"GET /health' in line)[:23]
    worker_spawned = next(line for line in worker_log if "spawned pid" in line)[:23]
    assert worker_spawned >= web_healthy  # ISO timestamps compare as strings

    await supervisor.stop_all()
    assert supervisor.status("web").state is ProgramState.STOPPED
    assert supervisor.status("worker").state is ProgramState.STOPPED


async def test_starting_a_program_starts_its_stopped_dependencies(
    supervise: Supervise, program: ProgramFactory
) -> None:
    supervisor = supervise(program("web"), program("worker", depends_on=("web",)))
    await supervisor.start("worker")
    await _running(supervisor, "worker")
    assert supervisor.status("web").state is ProgramState.RUNNING


async def test_control_errors(supervise: Supervise, program: ProgramFactory) -> None:
    missing = program("ghost", command=("/nonexistent/fodi-test-binary",))
    supervisor = supervise(program(), missing)
    await supervisor.start("web")
    with pytest.raises(AlreadyRunning):
        await supervisor.start("web")
    with pytest.raises(UnknownProgram):
        supervisor.status("nope")
    with pytest.raises(StartFailed, match="No such file or directory"):
        await supervisor.start("ghost")
    assert supervisor.status("ghost").state is ProgramState.CRASHED
    await supervisor.stop("ghost")  # stopping a crashed program clears it
    assert supervisor.status("ghost").state is ProgramState.STOPPED


async def test_restart_can_wait_until_the_new_process_is_healthy(
    supervise: Supervise, program: ProgramFactory
) -> None:
    supervisor = supervise(program("web", "--start-delay", "0.2"))
    await supervisor.start_all()
    old_pid = await _running(supervisor)

    status = await supervisor.restart("web", wait_healthy=True)

    assert status.state is ProgramState.RUNNING
    assert status.pid not in (None, old_pid)
    assert status.restart_count == 1
    assert status.last_health_check == "healthy"


async def test_restart_policies_for_a_clean_exit_and_for_never(
    supervise: Supervise, program: ProgramFactory
) -> None:
    clean = program("clean", "--exit-at-once", "0", restart="on-failure")
    once = program("once", "--exit-at-once", "5", restart="never")
    supervisor = supervise(clean, once)
    await supervisor.start_all()
    await _until(lambda: supervisor.status("clean").state is ProgramState.STOPPED)
    await _until(lambda: supervisor.status("once").state is ProgramState.CRASHED)
    assert supervisor.status("clean").restart_count == 0
    assert supervisor.status("once").restart_count == 0
    assert supervisor.status("once").last_exit_status == 5


async def test_output_goes_to_a_timestamped_log_served_by_tail(
    supervise: Supervise, program: ProgramFactory, tmp_path: Path
) -> None:
    supervisor = supervise(program())
    await supervisor.start_all()
    await _running(supervisor)
    await supervisor.stop("web")

    lines = supervisor.tail_log("web", 100)
    assert (tmp_path / "log" / "web.log").exists()
    assert any(" out | listening on 127.0.0.1:" in line for line in lines)
    assert any(" err | request " in line for line in lines)
    assert all(line[:4].isdigit() and line[23] == "Z" for line in lines)
    assert supervisor.tail_log("web", 2) == lines[-2:]


def test_the_log_rotates_by_size_and_keeps_its_backups(tmp_path: Path) -> None:
    log = ProgramLog(tmp_path / "p.log", max_bytes=1024, backups=2)
    for index in range(200):
        log.write("out", f"line {index:04d} " + "x" * 40)
    log.close()
    assert (tmp_path / "p.log.1").exists()
    assert (tmp_path / "p.log.2").exists()
    assert not (tmp_path / "p.log.3").exists()
    assert (tmp_path / "p.log").stat().st_size < 1024
    assert log.tail(1)[0].split(" out | ")[1].startswith("line 0199")


async def test_status_reports_uptime_and_the_seed_fields(
    supervise: Supervise, program: ProgramFactory
) -> None:
    supervisor = supervise(program())
    assert supervisor.status("web").state is ProgramState.STOPPED
    assert supervisor.status("web").last_health_check == "unknown"
    await supervisor.start_all()
    await _running(supervisor)
    await asyncio.sleep(0.3)
    status = supervisor.status("web")
    assert status.is_running
    assert status.uptime_secs is not None
    assert status.uptime_secs >= 0.3
    assert status.health_check_success_rate == 1.0
    assert status.last_change_reason == "health check passed"


@given(
    initial=st.floats(min_value=0, max_value=10),
    factor=st.floats(min_value=1, max_value=5),
    cap=st.floats(min_value=0, max_value=600),
    attempts=st.integers(min_value=1, max_value=200),
)
def test_backoff_starts_at_once_never_shrinks_and_respects_the_cap(
    initial: float, factor: float, cap: float, attempts: int
) -> None:
    config = ProgramConfig(
        name="p", command=("x",), backoff_initial=initial, backoff_factor=factor, backoff_max=cap
    )
    delays = [backoff_delay(attempt, config) for attempt in range(1, attempts + 1)]
    assert delays[0] == 0.0
    assert all(0 <= delay <= cap for delay in delays)
    assert all(a <= b for a, b in itertools.pairwise(delays))


async def test_concurrent_commands_leave_one_process_or_none(
    supervise: Supervise, program: ProgramFactory, tag: str
) -> None:
    supervisor = supervise(program())
    await supervisor.start_all()
    await _running(supervisor)

    async def attempt(command: Coroutine[Any, Any, object]) -> None:
        with contextlib.suppress(AlreadyRunning, StartFailed):
            await command

    for _ in range(3):
        await asyncio.gather(
            attempt(supervisor.restart("web")),
            attempt(supervisor.stop("web")),
            attempt(supervisor.start("web")),
            attempt(supervisor.restart("web", wait_healthy=True)),
        )
        await asyncio.sleep(0.2)
        alive = [pid for pid in tagged_pids(tag) if Path(f"/proc/{pid}").exists()]
        assert len(alive) <= 1  # never two incarnations at once
        status = supervisor.status("web")
        assert (status.pid is None) == (alive == [])
    await supervisor.stop_all()
    assert tagged_pids(tag) == []


def test_children_get_sigterm_when_the_supervisor_itself_is_killed(
    program: ProgramFactory, tmp_path: Path, tag: str
) -> None:
    config = program()
    script = (
        "import asyncio, sys\n"
        "from pathlib import Path\n"
        "from fodi.supervisor import ProgramConfig, Supervisor\n"
        "async def main():\n"
        f"    config = ProgramConfig.model_validate_json({config.model_dump_json()!r})\n"
        f"    supervisor = Supervisor([config], log_dir=Path({str(tmp_path)!r}))\n"
        "    await supervisor.start_all()\n"
        "    await supervisor.wait_healthy('web', 30)\n"
        "    print('PID', supervisor.status('web').pid, flush=True)\n"
        "    await asyncio.sleep(60)\n"
        "asyncio.run(main())\n"
    )
    become_subreaper()  # the orphan comes to us, not to a PID 1 that may never reap it
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    line = ""
    while not line.startswith("PID "):  # structlog writes to stdout as well
        line = parent.stdout.readline()
        assert line, "the supervisor process ended early"
    child = int(line.split()[1])
    parent.kill()  # SIGKILL: no chance to stop anything itself
    parent.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.02)
    with contextlib.suppress(ChildProcessError):  # adopted by us (a subreaper): reap it
        os.waitpid(child, 0)
    assert not process_exists(child)
    assert tagged_pids(tag) == []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
