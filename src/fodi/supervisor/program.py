"""One supervised program: its process, its state machine, its probes and its restarts.

A *runner* task owns the program while it is meant to be up: it waits for the dependencies,
spawns the process, probes it, and when the process exits (noticed at once, by awaiting its
exit, not by polling) decides whether to restart it now, later (``backoff``) or never
(``crashed``).  ``stop()`` cancels the runner and takes the process down itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Collection
from datetime import UTC, datetime

import structlog

from fodi.supervisor.config import ProgramConfig
from fodi.supervisor.logs import ProgramLog, pump
from fodi.supervisor.probe import ProbeResult, http_probe
from fodi.supervisor.process import (
    describe_exit,
    group_alive,
    kill_group,
    signal_group,
    spawn,
)
from fodi.supervisor.state import ProgramState, ProgramStatus

log = structlog.get_logger("fodi.supervisor")

PROBE_HISTORY = 100
CRASH_TAIL_LINES = 20


class SupervisorError(Exception):
    """A control request that cannot be honoured; the message is safe to show."""


class UnknownProgram(SupervisorError):
    pass


class AlreadyRunning(SupervisorError):
    pass


class StartFailed(SupervisorError):
    pass


class Program:
    def __init__(
        self,
        config: ProgramConfig,
        program_log: ProgramLog,
        lookup: Callable[[str], Program],
    ) -> None:
        self.config = config
        self.log = program_log
        self._lookup = lookup
        self.state = ProgramState.STOPPED
        self.reason = "not started"
        self.changed_at = datetime.now(UTC)
        self.restart_count = 0
        self.last_exit_status: int | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._spawned_at: float | None = None
        self._runner: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._changed = asyncio.Event()
        self._failures: deque[float] = deque()
        self._last_probe: ProbeResult | None = None
        self._probe_history: deque[bool] = deque(maxlen=PROBE_HISTORY)
        self._kill_cause: str | None = None
        self._next_restart_at: float | None = None
        self._crash_tail: list[str] = []
        self._pumps: set[asyncio.Task[None]] = set()

    # ----------------------------------------------------------------------------- queries

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.returncode is None else None

    @property
    def active(self) -> bool:
        """A runner owns the program (starting, running, unhealthy or in backoff)."""
        return self._runner is not None and not self._runner.done()

    def status(self) -> ProgramStatus:
        now = time.monotonic()
        alive = self.pid is not None
        uptime = now - self._spawned_at if alive and self._spawned_at is not None else None
        history = self._probe_history
        return ProgramStatus(
            name=self.name,
            state=self.state,
            pid=self.pid,
            uptime_secs=uptime,
            restart_count=self.restart_count,
            last_health_check=(
                self._last_probe.describe() if alive and self._last_probe else "unknown"
            ),
            last_change_reason=self.reason,
            last_change_at=self.changed_at,
            last_exit_status=self.last_exit_status,
            health_check_success_rate=sum(history) / len(history) if history else 1.0,
            next_restart_in=(
                max(0.0, self._next_restart_at - now)
                if self.state is ProgramState.BACKOFF and self._next_restart_at is not None
                else None
            ),
            log_tail=list(self._crash_tail),
        )

    async def wait_for(self, states: Collection[ProgramState], within: float) -> ProgramState:
        """Wait until the program is in one of ``states`` (TimeoutError after ``within`` s)."""
        async with asyncio.timeout(within):
            while self.state not in states:
                await self._changed.wait()
        return self.state

    # ----------------------------------------------------------------------------- commands

    async def start(self, reason: str = "started by request") -> asyncio.Future[None]:
        """Launch the runner; the returned future resolves once the first spawn happened."""
        async with self._lock:
            return self._launch(reason)

    async def stop(self, reason: str = "stopped by request") -> None:
        async with self._lock:
            await self._stop(reason)

    async def restart(self, reason: str = "restarted by request") -> asyncio.Future[None]:
        async with self._lock:
            await self._stop(reason)
            self.restart_count += 1
            return self._launch(reason)

    def _launch(self, reason: str) -> asyncio.Future[None]:
        if self.active:
            raise AlreadyRunning(f"{self.config.display_name} is already running or starting")
        self._failures.clear()
        self._crash_tail = []
        spawned: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._set_state(ProgramState.STARTING, reason)
        self._runner = asyncio.create_task(self._run(spawned), name=f"supervise:{self.name}")
        return spawned

    async def _stop(self, reason: str) -> None:
        runner, self._runner = self._runner, None
        if runner is None and self._process is None:
            if self.state is not ProgramState.STOPPED:
                self._set_state(ProgramState.STOPPED, reason)
            return
        self._set_state(ProgramState.STOPPING, reason)
        if runner is not None:
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
        # Only now: a runner cancelled mid-spawn has just adopted its new process.
        process = self._process
        if process is not None:
            if process.returncode is None:
                self.log.event(f"stopping pid {process.pid}: {reason}")
                await self._terminate(process, self.config.stop_timeout)
            else:
                await kill_group(process.pid, leader_pid=process.pid)
            self.last_exit_status = process.returncode
            self.log.event(f"pid {process.pid} {describe_exit(process.returncode)}")
        await self._drain_pumps(within=1.0)
        self._process = None
        self._set_state(ProgramState.STOPPED, reason)

    # ----------------------------------------------------------------------------- the runner

    async def _run(self, spawned: asyncio.Future[None]) -> None:
        try:
            while True:
                blocker = await self._wait_for_dependencies()
                if blocker is not None:
                    self._set_state(ProgramState.STOPPED, blocker)
                    _resolve(spawned, StartFailed(blocker))
                    return
                try:
                    process = await self._spawn()
                except OSError as exc:
                    message = f"Failed to spawn {self.config.command[0]}: {exc.strerror or exc}"
                    self._crash(message)
                    _resolve(spawned, StartFailed(message))
                    return
                _resolve(spawned, None)
                cause = await self._supervise(process)
                if not await self._after_exit(process, cause):
                    return
        finally:
            _resolve(spawned, StartFailed(f"{self.config.display_name} was stopped"))

    async def _wait_for_dependencies(self) -> str | None:
        """None once every dependency is healthy; the reason if one of them never will be."""
        for name in self.config.depends_on:
            dependency = self._lookup(name)
            while dependency.state is not ProgramState.RUNNING:
                if not dependency.active:
                    return f"dependency {name} is {dependency.state.value}"
                self._set_state(ProgramState.STARTING, f"waiting for {name} to be healthy")
                await dependency._changed.wait()
        return None

    async def _spawn(self) -> asyncio.subprocess.Process:
        env = {**os.environ, **self.config.env} if self.config.inherit_env else self.config.env
        # Shielded: a stop() arriving mid-spawn must still find the process to take down.
        spawning = asyncio.ensure_future(spawn(self.config.command, cwd=self.config.cwd, env=env))
        try:
            process = await asyncio.shield(spawning)
        except asyncio.CancelledError:
            with contextlib.suppress(OSError):
                self._adopt(await spawning)
            raise
        self._adopt(process)
        return process

    def _adopt(self, process: asyncio.subprocess.Process) -> None:
        self._process = process
        self._spawned_at = time.monotonic()
        self._last_probe = None
        self._kill_cause = None
        assert process.stdout is not None
        assert process.stderr is not None
        for reader, stream in ((process.stdout, "out"), (process.stderr, "err")):
            task = asyncio.create_task(pump(reader, self.log, stream))
            self._pumps.add(task)
            task.add_done_callback(self._pumps.discard)
        self.log.event(f"spawned pid {process.pid}: {' '.join(self.config.command)}")
        log.info("program spawned", program=self.name, pid=process.pid)
        self._set_state(ProgramState.STARTING, f"spawned pid {process.pid}")

    async def _supervise(self, process: asyncio.subprocess.Process) -> str | None:
        """Probe the process until it exits; the cause if we killed it, else None."""
        if self.config.health_url is None:
            self._set_state(ProgramState.RUNNING, "process started (no health URL)")
            await process.wait()
            return self._kill_cause
        prober = asyncio.create_task(self._probe(process), name=f"probe:{self.name}")
        try:
            await process.wait()
        finally:
            prober.cancel()
            await asyncio.gather(prober, return_exceptions=True)
        return self._kill_cause

    async def _after_exit(self, process: asyncio.subprocess.Process, cause: str | None) -> bool:
        """Record the exit; True to go round again (restart), False when the runner is done."""
        # The leader is gone: take down whatever it left in its group, then decide.
        await kill_group(process.pid, leader_pid=process.pid)
        if self._spawned_at is not None and time.monotonic() - self._spawned_at >= (
            self.config.reset_after
        ):
            self._failures.clear()  # it had been stable: this crash starts a fresh count
        returncode = process.returncode
        self.last_exit_status = returncode
        what = cause or describe_exit(returncode)
        self.log.event(f"pid {process.pid} {describe_exit(returncode)}")
        log.warning("program exited", program=self.name, pid=process.pid, status=returncode)
        self._process = None
        clean_exit = returncode == 0 and cause is None
        if self.config.restart == "never" or (self.config.restart == "on-failure" and clean_exit):
            if clean_exit:
                self._set_state(ProgramState.STOPPED, what)
            else:
                self._crash(what)
            return False
        delay = self._restart_delay()
        if delay is None:
            attempts = self.config.max_restart_attempts
            window = self.config.restart_window
            self._crash(f"{what}; gave up after {attempts} restart attempts within {window:g}s")
            return False
        self.restart_count += 1
        attempt = f"attempt {len(self._failures)}/{self.config.max_restart_attempts}"
        if delay > 0:
            self._next_restart_at = time.monotonic() + delay
            self.log.event(f"restarting in {delay:g}s ({attempt})")
            self._set_state(ProgramState.BACKOFF, f"{what}; restarting in {delay:g}s ({attempt})")
            await asyncio.sleep(delay)
            self._next_restart_at = None
        self._set_state(ProgramState.STARTING, f"restarting after: {what} ({attempt})")
        return True

    def _restart_delay(self) -> float | None:
        """Exponential backoff (the first restart is immediate); None past the attempt limit."""
        now = time.monotonic()
        window = self.config.restart_window
        while self._failures and now - self._failures[0] > window:
            self._failures.popleft()
        if len(self._failures) >= self.config.max_restart_attempts:
            return None
        self._failures.append(now)
        return backoff_delay(len(self._failures), self.config)

    def _crash(self, reason: str) -> None:
        self._crash_tail = self.log.tail(CRASH_TAIL_LINES)
        self.log.event(f"crashed: {reason}")
        log.error("program crashed", program=self.name, reason=reason)
        self._set_state(ProgramState.CRASHED, reason)

    # ----------------------------------------------------------------------------- probes

    async def _probe(self, process: asyncio.subprocess.Process) -> None:
        url = self.config.health_url
        assert url is not None
        probe = self.config.probe
        deadline = time.monotonic() + probe.startup_grace
        while True:  # start-up: probe often, until healthy or the grace runs out
            remaining = deadline - time.monotonic()
            result = await http_probe(url, max(0.01, min(probe.timeout, remaining)))
            self._last_probe = result
            if result.healthy:
                break
            if time.monotonic() >= deadline:
                await self._kill_unresponsive(
                    process,
                    f"not healthy within the {probe.startup_grace:g}s start-up grace "
                    f"({result.detail})",
                )
                return
            await asyncio.sleep(probe.startup_period)
        self._record(result)
        self._set_state(ProgramState.RUNNING, "health check passed")
        await self._liveness(process, url)

    async def _liveness(self, process: asyncio.subprocess.Process, url: str) -> None:
        probe = self.config.probe
        failures = successes = 0
        next_tick = time.monotonic() + probe.period
        while True:
            await asyncio.sleep(max(0.0, next_tick - time.monotonic()))
            # Probes keep their cadence even when one takes long (timeout < period).
            next_tick = max(next_tick + probe.period, time.monotonic())
            result = await http_probe(url, probe.timeout)
            self._record(result)
            if result.healthy:
                failures, successes = 0, successes + 1
                if self.state is ProgramState.UNHEALTHY and successes >= probe.success_threshold:
                    self._set_state(ProgramState.RUNNING, "health check recovered")
                continue
            failures, successes = failures + 1, 0
            self.log.event(
                f"health check failed ({failures}/{probe.failure_threshold}): {result.detail}"
            )
            self._set_state(ProgramState.UNHEALTHY, f"health check failed: {result.detail}")
            if failures >= probe.failure_threshold and self.config.auto_restart:
                await self._kill_unresponsive(
                    process, f"unresponsive: {failures} health checks failed ({result.detail})"
                )
                return

    def _record(self, result: ProbeResult) -> None:
        self._last_probe = result
        self._probe_history.append(result.healthy)

    async def _kill_unresponsive(self, process: asyncio.subprocess.Process, cause: str) -> None:
        self._kill_cause = cause
        self.log.event(f"killing pid {process.pid}: {cause}")
        log.warning("killing unresponsive program", program=self.name, pid=process.pid)
        self._set_state(self.state, cause)
        # It has already had failure_threshold probes to answer: one probe timeout of grace.
        await self._terminate(process, self.config.probe.timeout)

    # ----------------------------------------------------------------------------- plumbing

    async def _terminate(self, process: asyncio.subprocess.Process, grace: float) -> None:
        """Stop signal and SIGCONT to the group, ``grace`` seconds, then SIGKILL the group."""
        pgid = process.pid
        signal_group(pgid, self.config.signal)
        signal_group(pgid, signal.SIGCONT)  # a stopped process must run to act on the signal
        deadline = time.monotonic() + grace
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(process.wait()), timeout=grace)
            # Grandchildren give no exit event to await: look at the group every 20 ms.
            for _ in range(int(grace / 0.02) + 1):
                if not group_alive(pgid) or time.monotonic() >= deadline:
                    break
                await asyncio.sleep(0.02)
        if process.returncode is None or group_alive(pgid):
            self.log.event(f"grace of {grace:g}s over: SIGKILL to group {pgid}")
        await kill_group(pgid, leader_pid=pgid)
        await process.wait()

    async def _drain_pumps(self, within: float) -> None:
        if self._pumps:
            await asyncio.wait(set(self._pumps), timeout=within)

    def _set_state(self, state: ProgramState, reason: str) -> None:
        if state is not self.state or reason != self.reason:
            self.state = state
            self.reason = reason
            self.changed_at = datetime.now(UTC)
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()


def backoff_delay(attempt: int, config: ProgramConfig) -> float:
    """The wait before restart ``attempt`` (1-based): 0 for the first, then exponential, capped."""
    if attempt <= 1:
        return 0.0
    exponent = min(attempt - 2, 64)  # beyond this the cap has long been reached
    return min(config.backoff_max, config.backoff_initial * config.backoff_factor**exponent)


def _resolve(future: asyncio.Future[None], outcome: BaseException | None) -> None:
    if future.done():
        return
    if outcome is None:
        future.set_result(None)
    else:
        future.set_exception(outcome)
        # Retrieved here so an unawaited failure (start_all) is not reported as "never retrieved".
        future.exception()
