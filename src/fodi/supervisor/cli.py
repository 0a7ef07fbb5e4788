"""`fodi up` (the whole platform in one command) and `fodi ctl` (the control API's client).

`fodi ctl` exit codes, for scripts:

* 0 -- done; for ``status``, every program shown is running and healthy
* 1 -- the supervisor refused or failed (start failed, already running, orchestrator disabled),
  or for ``status`` some program is not running
* 2 -- usage: bad arguments, unknown program, missing or refused admin token
* 3 -- the gateway is unreachable (connection refused, timeout)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from fodi.core.cli_support import console, err_console

if TYPE_CHECKING:
    import httpx
    from fastapi import FastAPI

    from fodi.core.settings import Settings
    from fodi.supervisor.supervisor import Supervisor

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3

ctl_app = typer.Typer(
    help="Control the supervised services through the gateway's API (exit codes: 0 ok, "
    "1 failed or not running, 2 usage or token refused, 3 gateway unreachable).",
    no_args_is_help=True,
)


# ===================================================================================== fodi up


def up(
    config: Annotated[
        Path | None,
        typer.Option("--config", help="TOML file with [services.NAME] tables", exists=True),
    ] = None,
) -> None:
    """Start the whole platform: the gateway, which starts and heals every service.

    Ctrl-C (or SIGTERM) stops everything and leaves no process behind.
    """
    from fodi.core.cli_support import fail, run
    from fodi.core.logging import configure_logging
    from fodi.core.settings import load_settings
    from fodi.supervisor.config import CONFIG_ENV, ConfigError, load_programs

    if config is not None:
        os.environ[CONFIG_ENV] = str(config.resolve())
    settings = load_settings()
    configure_logging(level=settings.log_level, as_json=settings.logs_as_json)
    if settings.orchestrator_enabled:
        try:
            load_programs(settings)  # refuse a bad configuration before anything starts
        except ConfigError as exc:
            from rich.markup import escape

            fail(escape(f"supervisor configuration: {exc}"), code=EXIT_USAGE)
    run(_up(settings))


async def _up(settings: Settings) -> None:
    import uvicorn

    from fodi.services import SERVICES

    module, _, attribute = SERVICES["gateway"].factory.partition(":")
    factory = getattr(__import__(module, fromlist=[attribute]), attribute)
    app: FastAPI = factory(settings)
    server = _Server(
        uvicorn.Config(
            app,
            host=settings.gateway.host,
            port=settings.gateway.port,
            log_config=None,
            access_log=False,
            lifespan="on",
        )
    )
    announcer = asyncio.create_task(_announce(app, server, settings))
    try:
        await server.serve()
    finally:
        announcer.cancel()
        with contextlib.suppress(BaseException):
            await announcer
        # A second Ctrl-C skips the lifespan's shutdown: stop the programs here all the same.
        supervisor: Supervisor | None = getattr(app.state, "supervisor", None)
        if supervisor is not None:
            await supervisor.stop_all()
    if not server.started:
        raise typer.Exit(EXIT_FAILED)
    console.print("[bold]FodiFood stopped[/]; no process left behind.", highlight=False)


class _Server:
    """uvicorn's server, but a signal ends `serve()` instead of being re-raised afterwards,
    so `fodi up` can finish its own clean-up and exit with status 0."""

    def __new__(cls, config: Any) -> Any:
        import uvicorn

        class Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Generator[None, None, None]:
                previous = {
                    sig: signal.signal(sig, self.handle_exit)
                    for sig in (signal.SIGINT, signal.SIGTERM)
                }
                try:
                    yield
                finally:
                    for sig, handler in previous.items():
                        signal.signal(sig, handler)

        return Server(config)


async def _announce(app: FastAPI, server: Any, settings: Settings) -> None:
    """Once the gateway listens and every program is healthy (or gave up), print the URLs."""
    while True:  # uvicorn offers no event for "listening"
        if server.started:
            break
        await asyncio.sleep(0.05)
    gateway = f"http://{settings.gateway.host}:{settings.gateway.port}"
    supervisor: Supervisor | None = getattr(app.state, "supervisor", None)
    lines = [f"  gateway      {gateway}  (control API {gateway}/api/v1/admin, {gateway}/metrics)"]
    if supervisor is None:
        lines.append(
            f"  backend      {settings.go_backend_url or '(GO_BACKEND_URL not set)'}"
            "  (not supervised: ORCHESTRATOR_ENABLED=false)"
        )
    else:
        names = [n for n in supervisor.names() if supervisor.config(n).autostart]
        await asyncio.gather(*(supervisor.wait_healthy(n, _budget(supervisor, n)) for n in names))
        for name in names:
            lines.append(_program_line(supervisor, name))
        if "backend" in names and not settings.go_backend_binary:
            base = _origin(supervisor.config("backend").health_url) or "http://127.0.0.1:3000"
            lines.append(f"  API docs     {base}/docs")
            lines.append(
                f"  admin login  {settings.backend.demo_admin_email} / "
                f"{settings.backend.demo_admin_password}  (after `fodi seed-demo`)"
            )
        lines.append(f"  logs         {supervisor.log_dir}/NAME.log")
    console.print("[bold green]FodiFood is up[/]", highlight=False)
    for line in lines:
        console.print(line, highlight=False, soft_wrap=True)
    console.print("Press Ctrl-C to stop everything.", highlight=False)


def _program_line(supervisor: Supervisor, name: str) -> str:
    status = supervisor.status(name)
    url = _origin(supervisor.config(name).health_url) or "-"
    if status.state.value == "running":
        return f"  {name:<12} {url}  running, pid {status.pid}"
    return (
        f"  {name:<12} {url}  {status.state.value}: {status.last_change_reason}  "
        f"(see {supervisor.log_dir / (name + '.log')})"
    )


def _origin(url: str | None) -> str | None:
    """``http://host:port`` of a health URL (GO_BACKEND_URL's may end in ``/api/health``)."""
    from urllib.parse import urlsplit

    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _budget(supervisor: Supervisor, name: str) -> float:
    probe = supervisor.config(name).probe
    # Time to wait for dependencies too: each may take its own start-up grace.
    return (probe.startup_grace + probe.timeout) * (1 + len(supervisor.names()))


# ===================================================================================== fodi ctl

UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="The gateway (default: http://GATEWAY__HOST:GATEWAY__PORT)"),
]
TokenOption = Annotated[
    str | None,
    typer.Option("--token", envvar="ADMIN_TOKEN", help="ADMIN_TOKEN or an admin JWT"),
]
NameArgument = Annotated[str, typer.Argument(help="The program, e.g. backend")]
WaitOption = Annotated[
    bool, typer.Option("--wait/--no-wait", help="Return only once the program is healthy")
]


@ctl_app.command("status")
def ctl_status(
    name: Annotated[str | None, typer.Argument(help="One program (default: all)")] = None,
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Show the state of one program or of all of them."""
    if name is None:
        body = _call("GET", "/api/v1/admin/services", url, token)
        statuses = body.get("services", [])
    else:
        statuses = [_call("GET", f"/api/v1/admin/services/{name}/status", url, token)]
    _print_statuses(statuses)
    all_running = all(s.get("status") == "running" for s in statuses)
    raise typer.Exit(EXIT_OK if all_running else EXIT_FAILED)


@ctl_app.command("start")
def ctl_start(
    name: NameArgument, url: UrlOption = None, token: TokenOption = None, wait: WaitOption = True
) -> None:
    """Start a program (and the ones it depends on)."""
    body = _call("POST", f"/api/v1/admin/services/{name}/start", url, token, wait=wait)
    _report(body, wait)


@ctl_app.command("stop")
def ctl_stop(name: NameArgument, url: UrlOption = None, token: TokenOption = None) -> None:
    """Stop a program and every process it started."""
    _report(_call("POST", f"/api/v1/admin/services/{name}/stop", url, token), False)


@ctl_app.command("restart")
def ctl_restart(
    name: NameArgument, url: UrlOption = None, token: TokenOption = None, wait: WaitOption = True
) -> None:
    """Restart a program."""
    body = _call("POST", f"/api/v1/admin/services/{name}/restart", url, token, wait=wait)
    _report(body, wait)


@ctl_app.command("logs")
def ctl_logs(
    name: NameArgument,
    lines: Annotated[int, typer.Option("--lines", "-n", min=1, max=10_000)] = 50,
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Print the last lines of a program's log."""
    body = _call("GET", f"/api/v1/admin/services/{name}/logs?lines={lines}", url, token)
    for line in body.get("lines", []):
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def _report(body: dict[str, Any], waited: bool) -> None:
    message = body.get("message", "done")
    details = ", ".join(
        f"{key} {body[key]}" for key in ("status", "pid", "restart_count") if key in body
    )
    console.print(f"[green]{message}[/]" + (f" ({details})" if details else ""), highlight=False)
    if waited and body.get("status") not in (None, "running"):
        _fail(f"not healthy: {body.get('status')}", EXIT_FAILED)


def _print_statuses(statuses: list[dict[str, Any]]) -> None:
    from rich.table import Table

    colours = {"running": "green", "unhealthy": "yellow", "crashed": "red", "backoff": "yellow"}
    table = Table()
    for column in ("program", "state", "pid", "uptime", "restarts", "health", "since"):
        table.add_column(column, no_wrap=True)
    table.add_column("reason")
    for status in statuses:
        state = str(status.get("status"))
        table.add_row(
            str(status.get("name", "")),
            f"[{colours.get(state, 'white')}]{state}[/]",
            str(status.get("pid") or "-"),
            _duration(status.get("uptime_secs")),
            str(status.get("restart_count", 0)),
            str(status.get("last_health_check", "")),
            str(status.get("changed_at", ""))[11:19],
            str(status.get("reason", status.get("message", ""))),
        )
    console.print(table)


def _duration(seconds: object) -> str:
    if not isinstance(seconds, int | float):
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


def _call(
    method: str, path: str, url: str | None, token: str | None, *, wait: bool | None = None
) -> dict[str, Any]:
    import httpx

    from fodi.core.settings import load_settings

    settings = load_settings()
    base = url or f"http://{settings.gateway.host}:{settings.gateway.port}"
    token = token or (settings.admin_token.get_secret_value() if settings.admin_token else None)
    if not token:
        _fail("an admin token is required: --token or ADMIN_TOKEN", EXIT_USAGE)
    params = {"wait": "true"} if wait else None
    try:
        response = httpx.request(
            method,
            base.rstrip("/") + path,
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(10.0, read=300.0 if wait else 30.0),
            trust_env=False,
        )
    except httpx.TransportError as exc:
        _fail(f"gateway at {base} unreachable: {exc}", EXIT_UNREACHABLE)
    return _interpret(response)


def _interpret(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    if response.is_success:
        return body
    message = body.get("error") or body.get("message") or response.reason_phrase
    if response.status_code in (400, 401, 403, 404, 422):
        raise _failure(f"{message} (HTTP {response.status_code})", EXIT_USAGE)
    summary = body.get("message", "failed")
    raise _failure(f"{summary}: {message} (HTTP {response.status_code})", EXIT_FAILED)


def _failure(message: str, code: int) -> typer.Exit:
    from rich.markup import escape

    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def _fail(message: str, code: int) -> NoReturn:
    raise _failure(message, code)
