"""The supervisor's REST control API, with the seed's JSON, behind an admin token.

``/api/v1/admin/backend/{start,stop,restart,status,health}`` answer exactly as the original
orchestrator did (``{"success": true, "message": "Backend started successfully", ...}``);
``/api/v1/admin/services/{name}/...`` do the same for every program, plus ``logs``, and
``/api/v1/admin/services`` lists them.  Unlike the original, every endpoint needs a token: an
admin JWT or the configured ``ADMIN_TOKEN``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse

from fodi.core.errors import problem_responses
from fodi.core.settings import Environment, Settings
from fodi.gateway.control.auth import require_control_token
from fodi.supervisor import (
    AlreadyRunning,
    ProgramStatus,
    StartFailed,
    Supervisor,
    UnknownProgram,
)
from fodi.supervisor.config import ProbeConfig
from fodi.supervisor.logs import MAX_TAIL_LINES

log = structlog.get_logger("fodi.supervisor")

router = APIRouter(
    prefix="/api/v1/admin",
    tags=["supervisor"],
    dependencies=[Depends(require_control_token)],
    responses=problem_responses(401, 403),
)

ProgramName = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
Wait = Annotated[bool, Query(description="Return only once the program is healthy")]
Lines = Annotated[int, Query(ge=1, le=MAX_TAIL_LINES)]

BACKEND = "backend"


# --------------------------------------------------------------------------------- lifespan


@asynccontextmanager
async def supervisor_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Starts the supervisor with the gateway and stops every program with it.

    ``app.state.supervisor`` is the :class:`Supervisor`, or None with ``ORCHESTRATOR_ENABLED``
    false (the "separate servers" deployment: the gateway talks to ``GO_BACKEND_URL``).  In
    the test environment the supervisor is built but starts nothing by itself.
    """
    settings: Settings = app.state.settings
    if not settings.orchestrator_enabled:
        app.state.supervisor = None
        log.info("supervisor disabled", backend_url=settings.go_backend_url)
        yield
        return
    supervisor = Supervisor.from_settings(settings)
    app.state.supervisor = supervisor
    starting = None
    if settings.env is not Environment.TEST:
        starting = asyncio.create_task(supervisor.start_all(), name="supervisor:start_all")
    try:
        yield
    finally:
        if starting is not None:
            starting.cancel()
            with contextlib.suppress(BaseException):
                await starting
        await supervisor.stop_all()
        supervisor.close()


# --------------------------------------------------------------------------------- helpers


def _supervisor(request: Request) -> Supervisor | None:
    supervisor: Supervisor | None = getattr(request.app.state, "supervisor", None)
    return supervisor


def _not_available(*, with_error: bool = True) -> JSONResponse:
    body: dict[str, Any] = {"success": False, "message": "Backend orchestrator not available"}
    if with_error:
        body["error"] = "Orchestration service not enabled"
    return JSONResponse(body, status_code=503)


def _failure(status_code: int, message: str, error: str) -> JSONResponse:
    return JSONResponse(
        {"success": False, "message": message, "error": error}, status_code=status_code
    )


def _unknown(name: str) -> JSONResponse:
    return _failure(404, "Unknown service", f"no service named {name!r}")


def _title(supervisor: Supervisor, name: str) -> str:
    return supervisor.config(name).display_name


def _seconds(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def status_body(status: ProgramStatus) -> dict[str, Any]:
    """The seed's status fields, then what a real supervisor adds."""
    return {
        "status": status.state.value,
        "pid": status.pid,
        "uptime_secs": int(status.uptime_secs) if status.uptime_secs is not None else None,
        "restart_count": status.restart_count,
        "last_health_check": status.last_health_check,
        "is_running": status.is_running,
        "name": status.name,
        "reason": status.last_change_reason,
        "changed_at": status.last_change_at.isoformat(),
        "last_exit_status": status.last_exit_status,
        "health_check_success_rate": round(status.health_check_success_rate, 4),
        "next_restart_in": status.next_restart_in,
        "log_tail": status.log_tail,
    }


# --------------------------------------------------------------------------------- actions


async def _start(request: Request, name: str, wait: bool) -> JSONResponse:
    supervisor = _supervisor(request)
    if supervisor is None:
        return _not_available()
    try:
        title = _title(supervisor, name)
        status = await supervisor.start(name)
    except UnknownProgram:
        return _unknown(name)
    except AlreadyRunning as exc:
        return _failure(409, f"Failed to start {title.lower()}", str(exc))
    except StartFailed as exc:
        return _failure(500, f"Failed to start {title.lower()}", str(exc))
    if wait:
        await supervisor.wait_healthy(name, _budget(supervisor, name))
        status = supervisor.status(name)
    return JSONResponse(
        {
            "success": True,
            "message": f"{title} started successfully",
            "pid": status.pid,
            "status": status.state.value,
        }
    )


async def _stop(request: Request, name: str) -> JSONResponse:
    supervisor = _supervisor(request)
    if supervisor is None:
        return _not_available(with_error=False)
    try:
        title = _title(supervisor, name)
        await supervisor.stop(name)
    except UnknownProgram:
        return _unknown(name)
    return JSONResponse({"success": True, "message": f"{title} stopped successfully"})


async def _restart(request: Request, name: str, wait: bool) -> JSONResponse:
    supervisor = _supervisor(request)
    if supervisor is None:
        return _not_available()
    try:
        title = _title(supervisor, name)
        status = await supervisor.restart(name, wait_healthy=wait)
    except UnknownProgram:
        return _unknown(name)
    except StartFailed as exc:
        return _failure(500, f"Failed to restart {title.lower()}", str(exc))
    return JSONResponse(
        {
            "success": True,
            "message": f"{title} restarted successfully",
            "restart_count": status.restart_count,
            "pid": status.pid,
            "status": status.state.value,
        }
    )


def _status(request: Request, name: str) -> JSONResponse:
    supervisor = _supervisor(request)
    if supervisor is None:
        return JSONResponse({"status": "disabled", "message": "Backend orchestration not enabled"})
    try:
        return JSONResponse(status_body(supervisor.status(name)))
    except UnknownProgram:
        return _unknown(name)


def _health(request: Request, name: str, *, seed_path: bool = False) -> JSONResponse:
    """The guide's fields (which the original code never served), plus the code's own
    (``status``, ``service``, ``enabled``), so clients of either keep working."""
    supervisor = _supervisor(request)
    settings: Settings = request.app.state.settings
    if supervisor is None:
        body: dict[str, Any] = {
            "orchestrator_enabled": False,
            "backend_status": "disabled",
            "health_check_interval": _seconds(
                settings.health_check_interval or ProbeConfig().period
            ),
            "auto_restart": bool(settings.auto_restart),
            "max_restart_attempts": settings.max_restart_attempts or 0,
        }
    else:
        try:
            config = supervisor.config(name)
        except UnknownProgram:
            return _unknown(name)
        body = {
            "orchestrator_enabled": True,
            "backend_status" if name == BACKEND else "service_status": (
                supervisor.status(name).state.value
            ),
            "health_check_interval": _seconds(config.probe.period),
            "auto_restart": config.auto_restart,
            "max_restart_attempts": config.max_restart_attempts,
            "health_check_timeout": _seconds(config.probe.timeout),
            "health_url": config.health_url,
        }
    body["status"] = "ok"
    body["service"] = "backend_orchestrator" if seed_path or supervisor is None else name
    body["enabled"] = body["orchestrator_enabled"]
    return JSONResponse(body)


def _budget(supervisor: Supervisor, name: str) -> float:
    probe = supervisor.config(name).probe
    return probe.startup_grace + probe.timeout + 1.0


# --------------------------------------------------------------------------------- the seed's paths


@router.post("/backend/start", summary="Start the backend")
async def start_backend(request: Request, wait: Wait = False) -> JSONResponse:
    return await _start(request, BACKEND, wait)


@router.post("/backend/stop", summary="Stop the backend")
async def stop_backend(request: Request) -> JSONResponse:
    return await _stop(request, BACKEND)


@router.post("/backend/restart", summary="Restart the backend")
async def restart_backend(request: Request, wait: Wait = False) -> JSONResponse:
    return await _restart(request, BACKEND, wait)


@router.get("/backend/status", summary="The backend's state")
async def backend_status(request: Request) -> JSONResponse:
    return _status(request, BACKEND)


# The original's local binary registered this one as POST; both work.
@router.api_route("/backend/health", methods=["GET", "POST"], summary="The orchestrator's health")
async def backend_health(request: Request) -> JSONResponse:
    return _health(request, BACKEND, seed_path=True)


# --------------------------------------------------------------------------------- every program


@router.get("/services", summary="Every supervised program and its state")
async def list_services(request: Request) -> JSONResponse:
    supervisor = _supervisor(request)
    if supervisor is None:
        return _not_available()
    services = [status_body(supervisor.status(name)) for name in supervisor.names()]
    return JSONResponse({"orchestrator_enabled": True, "services": services})


@router.post("/services/{name}/start", summary="Start a program (after its dependencies)")
async def start_service(request: Request, name: ProgramName, wait: Wait = False) -> JSONResponse:
    return await _start(request, name, wait)


@router.post("/services/{name}/stop", summary="Stop a program and its whole process group")
async def stop_service(request: Request, name: ProgramName) -> JSONResponse:
    return await _stop(request, name)


@router.post("/services/{name}/restart", summary="Restart a program")
async def restart_service(request: Request, name: ProgramName, wait: Wait = False) -> JSONResponse:
    return await _restart(request, name, wait)


@router.get("/services/{name}/status", summary="A program's state")
async def service_status(request: Request, name: ProgramName) -> JSONResponse:
    return _status(request, name)


@router.get("/services/{name}/health", summary="A program's probe and restart settings")
async def service_health(request: Request, name: ProgramName) -> JSONResponse:
    return _health(request, name)


@router.get("/services/{name}/logs", summary="The last lines of a program's log")
async def service_logs(request: Request, name: ProgramName, lines: Lines = 100) -> JSONResponse:
    supervisor = _supervisor(request)
    if supervisor is None:
        return _not_available()
    try:
        tail = supervisor.tail_log(name, lines)
    except UnknownProgram:
        return _unknown(name)
    return JSONResponse({"name": name, "lines": tail})
