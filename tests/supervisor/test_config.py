"""Configuration: defaults for our services, the seed's variables, the TOML file."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fodi.core.settings import Settings
from fodi.supervisor import ConfigError, load_programs
from fodi.supervisor.config import CONFIG_ENV


@pytest.fixture
def env(clean_environment: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in (
        CONFIG_ENV,
        "ORCHESTRATOR_ENABLED",
        "ORCHESTRATOR_MANAGED",
        "GO_BACKEND_BINARY",
        "GO_BACKEND_BIN",
        "GO_BACKEND_URL",
        "HEALTH_CHECK_INTERVAL",
        "HEALTH_CHECK_TIMEOUT",
        "AUTO_RESTART",
        "MAX_RESTART_ATTEMPTS",
        "BACKEND_WORKING_DIR",
        "DATABASE_URL",
    ):
        clean_environment.delenv(name, raising=False)
    clean_environment.chdir(tmp_path)  # no stray ./fodi.toml
    clean_environment.setenv("FODI_VAR_DIR", str(tmp_path / "var"))
    return clean_environment


def test_defaults_run_our_services_after_the_backend(env: pytest.MonkeyPatch) -> None:
    env.setenv("NEXUS__PORT", "8111")
    programs = load_programs(Settings())
    assert list(programs) == ["backend", "nexus", "analytics", "franchise"]
    backend, nexus = programs["backend"], programs["nexus"]
    assert backend.command == (sys.executable, "-m", "fodi", "serve", "backend")
    assert backend.health_url == "http://127.0.0.1:3000/health"
    assert nexus.health_url == "http://127.0.0.1:8111/health"
    assert nexus.depends_on == ("backend",)
    assert nexus.env["NEXUS__PORT"] == "8111"
    assert Path(nexus.env["FODI_VAR_DIR"]).is_absolute()
    assert backend.restart == "always"
    assert backend.max_restart_attempts == 3
    assert backend.display_name == "Backend"


def test_the_seed_variables_configure_the_backend_as_the_guide_documents(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env.setenv("GO_BACKEND_BINARY", "../backend/bin/server")
    env.setenv("GO_BACKEND_URL", "http://127.0.0.1:8080/")
    env.setenv("HEALTH_CHECK_INTERVAL", "60")
    env.setenv("HEALTH_CHECK_TIMEOUT", "10")
    env.setenv("AUTO_RESTART", "true")
    env.setenv("MAX_RESTART_ATTEMPTS", "5")
    env.setenv("BACKEND_WORKING_DIR", "/tmp")
    backend = load_programs(Settings())["backend"]
    assert backend.command == (str((tmp_path / "../backend/bin/server").resolve()),)
    assert backend.health_url == "http://127.0.0.1:8080/health"
    assert backend.probe.period == 60
    assert backend.probe.timeout == 10
    assert backend.restart == "always"
    assert backend.max_restart_attempts == 5
    assert backend.cwd == "/tmp"
    assert "BACKEND__PORT" not in backend.env  # a foreign binary gets no `fodi serve` settings


def test_the_originals_go_backend_bin_and_orchestrator_managed(env: pytest.MonkeyPatch) -> None:
    env.setenv("GO_BACKEND_BIN", "/opt/app/backend")
    env.setenv("ORCHESTRATOR_MANAGED", "false")
    backend = load_programs(Settings())["backend"]
    assert backend.command == ("/opt/app/backend",)
    assert backend.restart == "never"  # the original code: auto_restart = ORCHESTRATOR_MANAGED
    env.setenv("AUTO_RESTART", "true")  # the guide's own variable wins
    assert load_programs(Settings())["backend"].restart == "always"


def test_our_backend_listens_where_go_backend_url_says(env: pytest.MonkeyPatch) -> None:
    env.setenv("GO_BACKEND_URL", "http://127.0.0.1:3555")
    backend = load_programs(Settings())["backend"]
    assert backend.command[-2:] == ("serve", "backend")
    assert backend.env["BACKEND__PORT"] == "3555"
    assert backend.health_url == "http://127.0.0.1:3555/health"


def test_a_toml_file_adds_programs_and_overrides_defaults(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "supervisor.toml"
    config.write_text(
        """
[services.nexus]
enabled = false

[services.backend]
stop_timeout = 3
env = { EXTRA = "1" }
[services.backend.probe]
failure_threshold = 5

[services.worker]
command = "python -m worker --queue orders"
depends_on = ["backend"]
restart = "on-failure"
stop_signal = "INT"
"""
    )
    env.setenv(CONFIG_ENV, str(config))
    env.setenv("HEALTH_CHECK_INTERVAL", "7")
    programs = load_programs(Settings())
    assert "nexus" not in programs
    assert programs["backend"].stop_timeout == 3
    assert programs["backend"].env["EXTRA"] == "1"
    assert "BACKEND__PORT" in programs["backend"].env  # merged, not replaced
    assert programs["backend"].probe.failure_threshold == 5
    assert programs["backend"].probe.period == 7  # the seed variable wins
    worker = programs["worker"]
    assert worker.command == ("python", "-m", "worker", "--queue", "orders")
    assert worker.stop_signal == "SIGINT"
    assert worker.health_url is None
    assert list(programs).index("worker") > list(programs).index("backend")


def test_fodi_toml_in_the_working_directory_is_read(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "fodi.toml").write_text("[services.franchise]\nautostart = false\n")
    assert load_programs(Settings())["franchise"].autostart is False


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[services.backend]\nbogus = 1\n", "bogus"),
        (
            "[services.a]\ncommand = ['x']\ndepends_on = ['b']\n"
            "[services.b]\ncommand = ['y']\ndepends_on = ['a']\n",
            "cycle",
        ),
        ("[services.a]\ncommand = ['x']\ndepends_on = ['nope']\n", "unknown"),
        ("[services.a]\nhealth_url = 'http://127.0.0.1/health'\n", "command"),
        ("[services.a]\ncommand = ['x']\nstop_signal = 'SIGNOPE'\n", "signal"),
        ("[services.a]\ncommand = ['x']\nhealth_url = 'ftp://x/health'\n", "http"),
        ("[services.a]\ncommand = ['x']\n[services.a.probe]\nperiod = 0\n", "period"),
        ("[services\n", "Expected"),
    ],
)
def test_bad_configuration_is_refused_with_a_clear_message(
    env: pytest.MonkeyPatch, tmp_path: Path, toml: str, message: str
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(toml)
    with pytest.raises(ConfigError, match=message):
        load_programs(Settings(), config)
