"""fodi.supervisor against supervisord, on the same small HTTP program (one command).

    .venv/bin/python bench/bench_supervisor.py [--trials 10]

The program is tests/supervisor/healthprog.py (stdlib http.server; ``/health`` answers with
its pid, so a *new* incarnation is told apart from the old one).  It runs once under
``fodi up`` (the real gateway hosting the supervisor, programs from a generated TOML file)
and once under ``supervisord -c`` (generated config, its defaults: autorestart, startsecs=1,
stopwaitsecs=10).  For each: SIGKILL -> healthy again, restart -> healthy again (control API
vs XML-RPC stop+start), SIGSTOP -> healthy again (supervisord never notices: bounded wait),
and the supervisor's idle CPU and memory.  Everything is timed from outside, by polling
``/health`` every 2 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

# Run as a script (`python bench/bench_supervisor.py`): make `bench.common` importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, console, free_port, print_table

HEALTHPROG = ROOT / "tests" / "supervisor" / "healthprog.py"
PYTHON = sys.executable
TOKEN = "bench-admin-token-0123456789abcdef"  # noqa: S105 (a loopback-only test token)

# fodi's probe settings for the bench; the hang goal follows from them.
PERIOD, TIMEOUT, FAILURES = 1.0, 0.5, 3
HANG_GOAL = PERIOD * FAILURES + TIMEOUT + 0.5
SETTLE = 1.2  # between trials: longer than reset_after (1 s), so each crash is a first one
HANG_WAIT = 8.0  # how long supervisord gets to notice a hung child


@dataclass
class Figures:
    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def row(self, label: str) -> list[object]:
        return [label, self.median, min(self.samples), max(self.samples), len(self.samples)]


# ------------------------------------------------------------------------------ probing


def health_pid(port: int, timeout: float = 0.2) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/health")
        response = connection.getresponse()
        if response.status != 200:
            return None
        pid: int = json.loads(response.read())["pid"]
        return pid
    except (OSError, ValueError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def wait_new_pid(port: int, old: int | None, within: float) -> float | None:
    """Seconds until /health answers from a pid other than ``old`` (None: not within)."""
    started = time.perf_counter()
    while time.perf_counter() - started < within:
        pid = health_pid(port)
        if pid is not None and pid != old:
            return time.perf_counter() - started
        time.sleep(0.002)
    return None


def child_startup() -> float:
    """The program's own start-up: spawn -> first 200, with no supervisor involved."""
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [PYTHON, str(HEALTHPROG), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_new_pid(port, None, 10.0) is not None, "healthprog did not start"
        return time.perf_counter() - started
    finally:
        process.kill()
        process.wait()


def fodi_spawns(log: Path) -> dict[int, float]:
    """pid -> wall time of "sup | spawned pid N" in fodi's program log."""
    spawns = {}
    for line in log.read_text().splitlines():
        match = re.match(r"(\S+)Z sup \| spawned pid (\d+)", line)
        if match:
            when = datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC)
            spawns[int(match.group(2))] = when.timestamp()
    return spawns


def supervisord_spawns(log: Path) -> dict[int, float]:
    """pid -> wall time of "spawned: 'web' with pid N" in supervisord's log (local time)."""
    spawns = {}
    for line in log.read_text().splitlines():
        match = re.match(r"(\S+ \S+),(\d+) INFO spawned: 'web' with pid (\d+)", line)
        if match:
            when = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S")
            spawns[int(match.group(3))] = when.timestamp() + int(match.group(2)) / 1000
    return spawns


# ------------------------------------------------------------------------------ the supervisors


@dataclass
class Supervised:
    name: str
    pid: int  # the supervisor's own process
    port: int  # the program's
    restart: Callable[[], None]
    spawns: Callable[[], dict[int, float]]  # pid -> wall time it was spawned (from the logs)


@contextlib.contextmanager
def fodi_up(workdir: Path) -> Iterator[Supervised]:
    port, gateway = free_port(), free_port()
    config = workdir / "fodi.toml"
    disabled = "".join(
        f"[services.{name}]\nenabled = false\n"
        for name in ("backend", "nexus", "analytics", "franchise")
    )
    config.write_text(
        disabled + f'[services.web]\ncommand = ["{PYTHON}", "{HEALTHPROG}", "--port", "{port}"]\n'
        f'health_url = "http://127.0.0.1:{port}/health"\nreset_after = 1.0\n'
        f"[services.web.probe]\nperiod = {PERIOD}\ntimeout = {TIMEOUT}\n"
        f"failure_threshold = {FAILURES}\n"
    )
    env = {
        **os.environ,
        "FODI_ENV": "development",
        "FODI_VAR_DIR": str(workdir / "var"),
        "DATABASE_URL": f"sqlite:///{workdir / 'fodi.db'}",
        "GATEWAY__PORT": str(gateway),
        "ADMIN_TOKEN": TOKEN,
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [PYTHON, "-m", "fodi", "up", "--config", str(config)],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "fodi-up.err").open("w"),
        start_new_session=True,
    )

    def restart() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", gateway, timeout=10)
        connection.request(
            "POST",
            "/api/v1/admin/services/web/restart",
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert connection.getresponse().status == 200
        connection.close()

    try:
        assert wait_new_pid(port, None, 120.0) is not None, "fodi up did not start the program"
        log = workdir / "var" / "log" / "web.log"
        yield Supervised("fodi.supervisor", process.pid, port, restart, lambda: fodi_spawns(log))
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextlib.contextmanager
def supervisord(workdir: Path) -> Iterator[Supervised]:
    port = free_port()
    socket_path = workdir / "supervisor.sock"
    config = workdir / "supervisord.conf"
    config.write_text(
        f"""[unix_http_server]
file={socket_path}

[supervisord]
nodaemon=true
logfile={workdir / "supervisord.log"}
pidfile={workdir / "supervisord.pid"}
childlogdir={workdir}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{socket_path}

[program:web]
command={PYTHON} {HEALTHPROG} --port {port}
autostart=true
autorestart=true
startsecs=1
startretries=3
stopsignal=TERM
stopwaitsecs=10
redirect_stderr=true
stdout_logfile={workdir / "web.log"}
"""
    )
    binary = Path(PYTHON).with_name("supervisord")
    process = subprocess.Popen(
        [str(binary), "-c", str(config)],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    from supervisor.xmlrpc import SupervisorTransport

    transport = SupervisorTransport(None, None, serverurl=f"unix://{socket_path}")
    rpc = xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def restart() -> None:
        rpc.supervisor.stopProcess("web", True)
        rpc.supervisor.startProcess("web", False)

    try:
        assert wait_new_pid(port, None, 60.0) is not None, "supervisord did not start the program"
        log = workdir / "supervisord.log"
        yield Supervised("supervisord", process.pid, port, restart, lambda: supervisord_spawns(log))
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# ------------------------------------------------------------------------------ scenarios


def settle(supervised: Supervised) -> int:
    """Wait until the program answers and has been up a while; its pid."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pid = health_pid(supervised.port)
        if pid is not None:
            time.sleep(SETTLE)
            if health_pid(supervised.port) == pid:
                return pid
        time.sleep(0.05)
    raise TimeoutError(f"{supervised.name}: program not healthy")


@dataclass
class KillFigures:
    healthy: Figures  # SIGKILL -> the new pid answers 200
    respawned: Figures  # SIGKILL -> the supervisor logged the spawn
    baseline: Figures  # the child alone, measured right before each trial
    overhead: Figures  # healthy - baseline, trial by trial


def sigkill_trials(supervised: Supervised, trials: int) -> KillFigures:
    """Each trial is paired with a child-alone start-up just before it, so a busy machine
    (start-up times drifting between runs) does not distort the supervisor's share."""
    healthy, respawned, baseline = [], [], []
    for _ in range(trials):
        baseline.append(child_startup())
        pid = settle(supervised)
        killed_at = time.time()
        os.kill(pid, signal.SIGKILL)
        elapsed = wait_new_pid(supervised.port, pid, 30.0)
        assert elapsed is not None, f"{supervised.name} did not recover from SIGKILL"
        healthy.append(elapsed)
        new_pid = health_pid(supervised.port)
        spawned_at = supervised.spawns().get(new_pid or -1)
        if spawned_at is not None:
            respawned.append(spawned_at - killed_at)
    overhead = [h - b for h, b in zip(healthy, baseline, strict=True)]
    return KillFigures(
        Figures(healthy), Figures(respawned or [float("nan")]), Figures(baseline), Figures(overhead)
    )


def restart_trials(supervised: Supervised, trials: int) -> Figures:
    samples = []
    for _ in range(trials):
        pid = settle(supervised)
        started = time.perf_counter()
        supervised.restart()
        elapsed = wait_new_pid(supervised.port, pid, 30.0)
        assert elapsed is not None, f"{supervised.name} did not restart"
        samples.append(time.perf_counter() - started)
    return Figures(samples)


def sigstop_trials(supervised: Supervised, trials: int) -> Figures | None:
    """None when the supervisor never replaced the hung program within HANG_WAIT."""
    samples = []
    for _ in range(trials):
        pid = settle(supervised)
        os.kill(pid, signal.SIGSTOP)
        elapsed = wait_new_pid(supervised.port, pid, HANG_WAIT)
        if elapsed is None:
            os.kill(pid, signal.SIGKILL)  # let it recover for whatever comes next
            os.kill(pid, signal.SIGCONT)
            return None
        samples.append(elapsed)
    return Figures(samples)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def idle_footprint(supervised: Supervised, seconds: float) -> tuple[float, float]:
    settle(supervised)
    before, started = cpu_seconds(supervised.pid), time.monotonic()
    time.sleep(seconds)
    used = cpu_seconds(supervised.pid) - before
    return 100 * used / (time.monotonic() - started), rss_mb(supervised.pid)


# ------------------------------------------------------------------------------ main


@dataclass
class Results:
    kill: KillFigures
    restart: Figures
    hang: Figures | None
    cpu_percent: float
    rss: float


def measure(supervised: Supervised, trials: int, hang_trials: int, idle: float) -> Results:
    console.print(f"[bold]{supervised.name}[/]: SIGKILL x{trials}")
    kill = sigkill_trials(supervised, trials)
    console.print(f"[bold]{supervised.name}[/]: restart x{trials}")
    restart = restart_trials(supervised, trials)
    console.print(f"[bold]{supervised.name}[/]: SIGSTOP x{hang_trials}")
    hang = sigstop_trials(supervised, hang_trials)
    console.print(f"[bold]{supervised.name}[/]: idle {idle:g}s")
    cpu, rss = idle_footprint(supervised, idle)
    return Results(kill, restart, hang, cpu, rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--hang-trials", type=int, default=5)
    parser.add_argument("--idle", type=float, default=10.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-sup-") as tmp:
        workdir = Path(tmp)
        (workdir / "fodi").mkdir()
        (workdir / "supervisord").mkdir()
        with fodi_up(workdir / "fodi") as supervised:
            ours = measure(supervised, args.trials, args.hang_trials, args.idle)
        with supervisord(workdir / "supervisord") as supervised:
            theirs = measure(supervised, args.trials, 1, args.idle)
    report(ours, theirs)


def report(ours: Results, theirs: Results) -> None:
    columns = ["seconds", "median", "min", "max", "n"]
    rows = []
    for name, results in (("fodi.supervisor", ours), ("supervisord", theirs)):
        rows.append(results.kill.baseline.row(f"{name} trials: child alone, spawn -> 200"))
        rows.append(results.kill.healthy.row(f"{name}: SIGKILL -> new pid healthy"))
        rows.append(results.kill.respawned.row(f"{name}: SIGKILL -> respawned (its log)"))
        rows.append(results.kill.overhead.row(f"{name}: SIGKILL -> healthy, minus child alone"))
        rows.append(results.restart.row(f"{name}: restart -> new pid healthy"))
        if results.hang is not None:
            rows.append(results.hang.row(f"{name}: SIGSTOP -> new pid healthy"))
        else:
            rows.append(
                [f"{name}: SIGSTOP -> new pid healthy", f"never (> {HANG_WAIT:g} s)", "-", "-", 1]
            )
    print_table("Supervisor recovery times (s)", columns, rows)

    kill_ratio = theirs.kill.healthy.median / ours.kill.healthy.median
    restart_ratio = theirs.restart.median / ours.restart.median
    overhead = ours.kill.overhead.median
    hang = ours.hang.median if ours.hang else float("inf")
    hang_max = max(ours.hang.samples) if ours.hang else float("inf")
    print_table(
        "Goals",
        ["goal", "target", "measured", "met"],
        [
            [
                "crash -> healthy, beyond the child's own start-up",
                "<= 0.100 s",
                f"{overhead:.3f} s",
                _met(overhead <= 0.1),
            ],
            [
                "crash -> healthy vs supervisord (median ratio)",
                ">= 5x",
                f"{kill_ratio:.1f}x",
                _met(kill_ratio >= 5),
            ],
            [
                "crash -> respawned vs supervisord (median ratio; the supervisor's own share)",
                "-",
                f"{theirs.kill.respawned.median / ours.kill.respawned.median:.0f}x",
                "-",
            ],
            ["restart -> healthy vs supervisord (median ratio)", "-", f"{restart_ratio:.2f}x", "-"],
            [
                f"hang replaced (period {PERIOD:g} x {FAILURES} + timeout {TIMEOUT:g} + 0.5)",
                f"<= {HANG_GOAL:.1f} s",
                f"median {hang:.2f} s, max {hang_max:.2f} s",
                _met(hang_max <= HANG_GOAL),
            ],
            [
                "supervisord notices a hang",
                "-",
                "no" if theirs.hang is None else f"{theirs.hang.median:.2f} s",
                "-",
            ],
        ],
    )
    print_table(
        "Idle footprint (one program, probes every 1 s for fodi)",
        ["process", "CPU %", "RSS MB"],
        [
            ["fodi up (gateway + supervisor)", ours.cpu_percent, ours.rss],
            ["supervisord", theirs.cpu_percent, theirs.rss],
        ],
    )


def _met(ok: bool) -> str:
    return "yes" if ok else "NO"


if __name__ == "__main__":
    main()
