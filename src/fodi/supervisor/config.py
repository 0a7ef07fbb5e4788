"""What the supervisor runs: one :class:`ProgramConfig` per program.

Three layers, later ones winning: built-in defaults for our own services (``fodi serve NAME``),
the ``[services.NAME]`` tables of a TOML file (``FODI_SUPERVISOR_CONFIG``, or ``fodi.toml`` in
the working directory), and finally the seed's environment variables (``GO_BACKEND_BINARY``,
``HEALTH_CHECK_INTERVAL``, ...), which configure the "backend" program exactly as the original
orchestrator guide documents them.
"""

from __future__ import annotations

import os
import shlex
import signal
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from fodi.core.settings import Settings
from fodi.services import SERVICES, SUPERVISED

CONFIG_ENV = "FODI_SUPERVISOR_CONFIG"
_SERVICE_ENV = "_service_env"  # what our own services need; dropped for a foreign binary
DEFAULT_CONFIG_FILE = "fodi.toml"


class ConfigError(ValueError):
    """The supervisor's configuration is invalid (unknown key, cycle, missing command...)."""


class ProbeConfig(BaseModel):
    """Kubernetes-style HTTP probes: ``GET health_url``, healthy on 2xx/3xx.

    While starting, the program is probed every ``startup_period`` for at most
    ``startup_grace`` seconds; once healthy, every ``period`` seconds.  ``failure_threshold``
    consecutive failures make an unresponsive program be killed and restarted;
    ``success_threshold`` consecutive successes make an unhealthy one healthy again.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    period: float = Field(default=5.0, gt=0)
    timeout: float = Field(default=2.0, gt=0)
    failure_threshold: int = Field(default=3, ge=1)
    success_threshold: int = Field(default=1, ge=1)
    startup_grace: float = Field(default=60.0, gt=0)
    startup_period: float = Field(default=0.05, gt=0)


RestartMode = Literal["always", "on-failure", "never"]


class ProgramConfig(BaseModel):
    """One supervised program: what to run, how to tell it is healthy, how to heal it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    command: tuple[str, ...]
    cwd: str | None = None
    env: dict[str, str] = Field(default_factory=dict)
    inherit_env: bool = True
    health_url: str | None = None
    autostart: bool = True
    depends_on: tuple[str, ...] = ()
    restart: RestartMode = "always"
    max_restart_attempts: int = Field(default=3, ge=0)
    restart_window: float = Field(default=60.0, gt=0)
    backoff_initial: float = Field(default=0.5, ge=0)
    backoff_factor: float = Field(default=2.0, ge=1)
    backoff_max: float = Field(default=30.0, ge=0)
    reset_after: float = Field(default=30.0, gt=0)
    stop_signal: str = "SIGTERM"
    stop_timeout: float = Field(default=10.0, ge=0)
    log_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    log_backups: int = Field(default=5, ge=0)
    probe: ProbeConfig = ProbeConfig()
    title: str = ""

    @field_validator("command", mode="before")
    @classmethod
    def _split_command(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(shlex.split(value))
        return value

    @field_validator("stop_signal")
    @classmethod
    def _known_signal(cls, value: str) -> str:
        name = value.upper() if value.upper().startswith("SIG") else f"SIG{value.upper()}"
        if not isinstance(getattr(signal, name, None), signal.Signals):
            raise ValueError(f"unknown signal {value!r}")
        return name

    @field_validator("health_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"health_url must be an http(s) URL, got {value!r}")
        return value

    @model_validator(mode="after")
    def _has_command(self) -> ProgramConfig:
        if not self.command:
            raise ValueError("command must not be empty")
        return self

    @property
    def signal(self) -> signal.Signals:
        return signal.Signals[self.stop_signal]

    @property
    def display_name(self) -> str:
        return self.title or self.name.capitalize()

    @property
    def auto_restart(self) -> bool:
        return self.restart != "never"


def config_path(explicit: Path | None = None) -> Path | None:
    """The TOML file to read: the one given, ``$FODI_SUPERVISOR_CONFIG``, or ``./fodi.toml``."""
    if explicit is not None:
        return explicit
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env)
    default = Path(DEFAULT_CONFIG_FILE)
    return default if default.is_file() else None


def load_programs(settings: Settings, path: Path | None = None) -> dict[str, ProgramConfig]:
    """Every program to supervise, in a dependency-respecting order (ConfigError if invalid)."""
    raw: dict[str, dict[str, Any]] = {
        name: _service_defaults(settings, name) for name in SUPERVISED
    }
    file = config_path(path)
    if file is not None:
        _merge_tables(raw, _read_toml(file))
    _apply_seed_variables(raw.get("backend"), settings)
    programs: dict[str, ProgramConfig] = {}
    for name, table in raw.items():
        if not table.pop("enabled", True):
            continue
        table["env"] = {**table.pop(_SERVICE_ENV, {}), **table.get("env", {})}
        try:
            programs[name] = ProgramConfig(name=name, **table)
        except ValidationError as exc:
            raise ConfigError(f"[services.{name}]: {exc}") from exc
    return {name: programs[name] for name in dependency_order(programs)}


def dependency_order(programs: Mapping[str, ProgramConfig]) -> list[str]:
    """Names sorted so each comes after its dependencies (ConfigError on a cycle or unknown)."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in order:
            return
        if name in visiting:
            raise ConfigError(f"dependency cycle: {' -> '.join((*path, name))}")
        visiting.add(name)
        for dependency in programs[name].depends_on:
            if dependency not in programs:
                raise ConfigError(f"{name} depends on unknown or disabled program {dependency!r}")
            visit(dependency, (*path, name))
        visiting.discard(name)
        order.append(name)

    for name in programs:
        visit(name, ())
    return order


def _service_defaults(settings: Settings, name: str) -> dict[str, Any]:
    spec = SERVICES[name]
    section = spec.section(settings)
    return {
        "command": [sys.executable, "-m", "fodi", "serve", name],
        "health_url": spec.base_url(settings) + spec.health_path,
        "depends_on": [] if name == "backend" else ["backend"],
        _SERVICE_ENV: _service_environment(settings, name, section.host, section.port),
        "title": name.capitalize(),
    }


def _service_environment(settings: Settings, name: str, host: str, port: int) -> dict[str, str]:
    """What a child of ours must agree on with the gateway, even if the settings were built
    from overrides rather than the environment (tests, `fodi up --var-dir`)."""
    env = {
        "FODI_ENV": settings.env.value,
        "FODI_VAR_DIR": str(Path(settings.var_dir).resolve()),
        "DATABASE_URL": _absolute_sqlite(settings.effective_database_url),
        f"{name.upper()}__HOST": host,
        f"{name.upper()}__PORT": str(port),
    }
    if settings.jwt_secret is not None:
        env["JWT_SECRET"] = settings.jwt_secret.get_secret_value()
    return env


def _absolute_sqlite(url: str) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/"):
        return prefix + str(Path(url[len(prefix) :]).resolve())
    return url


def _read_toml(path: Path) -> dict[str, dict[str, Any]]:
    try:
        document = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    services = document.get("services", {})
    if not isinstance(services, dict) or not all(isinstance(t, dict) for t in services.values()):
        raise ConfigError(f"{path}: [services.NAME] must be tables")
    return services


def _merge_tables(raw: dict[str, dict[str, Any]], tables: Mapping[str, dict[str, Any]]) -> None:
    for name, table in tables.items():
        base = raw.setdefault(name, {"title": name.capitalize()})
        for key, value in table.items():
            if key in ("env", "probe") and isinstance(value, dict):
                base[key] = {**base.get(key, {}), **value}
            else:
                base[key] = value


def _apply_seed_variables(backend: dict[str, Any] | None, settings: Settings) -> None:
    """The seed's variables, as ORCHESTRATOR_GUIDE.md documents them, configure "backend"."""
    if backend is None:
        return
    if settings.go_backend_binary:
        backend["command"] = [_resolve_binary(settings.go_backend_binary)]
        backend.pop(_SERVICE_ENV, None)  # an unrelated binary: no `fodi serve` variables
    if settings.go_backend_url:
        url = settings.go_backend_url.rstrip("/")
        backend["health_url"] = url + "/health"
        if not settings.go_backend_binary:
            # Our own backend listens where GO_BACKEND_URL says it should.
            parts = urlsplit(url)
            env = backend.setdefault(_SERVICE_ENV, {})
            if parts.hostname:
                env["BACKEND__HOST"] = parts.hostname
            if parts.port:
                env["BACKEND__PORT"] = str(parts.port)
    if settings.backend_working_dir:
        backend["cwd"] = settings.backend_working_dir
    probe = backend.setdefault("probe", {})
    if settings.health_check_interval is not None:
        probe["period"] = settings.health_check_interval
    if settings.health_check_timeout is not None:
        probe["timeout"] = settings.health_check_timeout
    # The original code took auto-restart from ORCHESTRATOR_MANAGED; its guide from AUTO_RESTART.
    auto_restart = settings.auto_restart
    if auto_restart is None:
        auto_restart = settings.orchestrator_managed
    if auto_restart is not None:
        backend["restart"] = "always" if auto_restart else "never"
    if settings.max_restart_attempts is not None:
        backend["max_restart_attempts"] = settings.max_restart_attempts


def _resolve_binary(binary: str) -> str:
    """A relative path (``../backend/bin/server``) is relative to where the gateway runs."""
    if os.sep in binary:
        return str(Path(binary).resolve())
    return binary
