"""`fodi up` as a real process, and `fodi ctl` against it, with the exit codes scripts rely on."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fodi.cli import app as fodi_app
from fodi.services import SUPERVISED
from fodi.supervisor.config import CONFIG_ENV
from tests.supervisor.conftest import HEALTHPROG, free_port, process_exists, tagged_pids

pytestmark = pytest.mark.slow

TOKEN = "cli-admin-token-0123456789abcdef"


class Platform:
    def __init__(self, process: subprocess.Popen[str], url: str, banner: list[str]) -> None:
        self.process = process
        self.url = url
        self.banner = banner


def _environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FODI_", "BACKEND__", "GATEWAY__", "NEXUS__", "ANALYTICS__"))
        and key not in ("ADMIN_TOKEN", "DATABASE_URL", "ORCHESTRATOR_ENABLED", "GO_BACKEND_URL")
    }
    env.update(
        FODI_ENV="development",
        FODI_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'fodi.db'}",
        ADMIN_TOKEN=TOKEN,
        JWT_SECRET="cli-test-jwt-secret-0123456789abcdef",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def _start_platform(
    tmp_path: Path, env: dict[str, str], args: list[str], within: float
) -> Platform:
    process = subprocess.Popen(
        [sys.executable, "-m", "fodi", "up", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "up.err").open("w"),
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    banner: list[str] = []
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        banner.append(line.rstrip())
        if line.startswith("Press Ctrl-C"):
            return Platform(process, f"http://127.0.0.1:{env['GATEWAY__PORT']}", banner)
    _shutdown(process)
    raise AssertionError(f"fodi up did not come up: {banner}\n{(tmp_path / 'up.err').read_text()}")


def _shutdown(process: subprocess.Popen[str]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise


@pytest.fixture
def platform(tmp_path: Path, tag: str) -> Iterator[Platform]:
    web, worker = free_port(), free_port()
    config = tmp_path / "fodi.toml"
    command = f'["{sys.executable}", "{HEALTHPROG}", "--tag", "{tag}", "--port", '
    lines = [f"[services.{name}]\nenabled = false\n" for name in SUPERVISED]
    lines.append(
        f'[services.web]\ncommand = {command}"{web}"]\n'
        f'health_url = "http://127.0.0.1:{web}/health"\n'
        f'[services.worker]\ncommand = {command}"{worker}"]\n'
        f'health_url = "http://127.0.0.1:{worker}/health"\ndepends_on = ["web"]\n'
    )
    config.write_text("\n".join(lines))
    env = _environment(tmp_path, GATEWAY__PORT=str(free_port()))
    platform = _start_platform(tmp_path, env, ["--config", str(config)], within=30)
    try:
        yield platform
    finally:
        _shutdown(platform.process)


def ctl(*args: str, token: str | None = TOKEN, url: str | None = None) -> tuple[int, str]:
    options = [*(["--url", url] if url else []), *(["--token", token] if token else [])]
    result = CliRunner().invoke(fodi_app, ["ctl", *args, *options], env={"ADMIN_TOKEN": ""})
    return result.exit_code, result.output


def test_fodi_up_with_fodi_ctl_then_a_clean_stop(platform: Platform, tag: str) -> None:
    # One platform for the whole story: starting `fodi` costs seconds of imports.
    banner = "\n".join(platform.banner)
    assert "FodiFood is up" in banner
    assert platform.url in banner
    assert banner.count("running, pid") == 2, banner
    assert len(_programs(tag, platform)) == 2

    _ctl_commands_and_exit_codes(platform.url)

    assert _shutdown(platform.process) == 0
    assert "FodiFood stopped" in (platform.process.stdout.read() if platform.process.stdout else "")
    assert tagged_pids(tag) == []


def _programs(tag: str, platform: Platform) -> list[int]:
    return [pid for pid in tagged_pids(tag) if pid != platform.process.pid]


def _ctl_commands_and_exit_codes(url: str) -> None:
    code, output = ctl("status", url=url)
    assert code == 0, output
    assert "worker" in output
    assert "running" in output

    code, output = ctl("restart", "web", url=url)
    assert code == 0, output
    assert "Web restarted successfully" in output

    code, output = ctl("logs", "web", "-n", "5", url=url)
    assert code == 0
    assert 0 < len(output.strip().splitlines()) <= 5

    assert ctl("start", "web", url=url)[0] == 1  # already running: the supervisor refuses
    assert ctl("stop", "worker", url=url)[0] == 0
    assert ctl("status", "worker", url=url)[0] == 1  # not running
    assert ctl("start", "worker", url=url)[0] == 0
    assert ctl("status", "worker", url=url)[0] == 0

    assert ctl("status", "ghost", url=url)[0] == 2  # unknown program
    assert ctl("status", url=url, token="wrong-token")[0] == 2  # refused token
    assert ctl("status", url=url, token=None)[0] == 2  # no token at all
    assert ctl("bogus-command", url=url)[0] == 2  # usage
    assert ctl("status", url=f"http://127.0.0.1:{free_port()}")[0] == 3  # unreachable


@pytest.mark.slow
def test_fodi_up_runs_the_real_services(tmp_path: Path) -> None:
    ports = {f"{name.upper()}__PORT": str(free_port()) for name in ("gateway", *SUPERVISED)}
    env = _environment(tmp_path, **ports)
    migrate = subprocess.run(
        [sys.executable, "-m", "fodi", "migrate"], cwd=tmp_path, env=env, capture_output=True
    )
    assert migrate.returncode == 0, migrate.stderr
    platform = _start_platform(tmp_path, env, [], within=90)
    try:
        banner = "\n".join(platform.banner)
        for name in SUPERVISED:
            assert f"http://127.0.0.1:{ports[name.upper() + '__PORT']}" in banner
        assert banner.count("running, pid") == len(SUPERVISED), banner
        assert "/docs" in banner
        children = [int(pid) for pid in re.findall(r"running, pid (\d+)", banner)]
    finally:
        assert _shutdown(platform.process) == 0
    assert [pid for pid in children if process_exists(pid)] == []


def test_fodi_up_refuses_a_bad_configuration_before_starting_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONFIG_ENV, "")  # `up --config` sets it; restored after the test
    bad = tmp_path / "bad.toml"
    bad.write_text("[services.worker]\ncommand = ['x']\ndepends_on = ['worker']\n")
    result = CliRunner().invoke(fodi_app, ["up", "--config", str(bad)])
    assert result.exit_code == 2
    assert "dependency cycle" in result.output
