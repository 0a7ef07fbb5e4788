"""The control API on the gateway: the seed's JSON, auth, every program, metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from fodi.core.settings import Settings
from fodi.gateway.app import create_app
from fodi.supervisor import Supervisor
from tests.supervisor.conftest import ProgramFactory
from tests.support import asgi_client, bearer

pytestmark = pytest.mark.slow

ADMIN_TOKEN = "control-token-for-tests-0123456789"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SEED_STATUS_FIELDS = {"status", "pid", "uptime_secs", "restart_count", "last_health_check"}


@pytest.fixture
def gateway_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"admin_token": SecretStr(ADMIN_TOKEN)})


@pytest.fixture
def supervisor(supervise: Callable[..., Supervisor], program: ProgramFactory) -> Supervisor:
    return supervise(program("backend"), program("worker", depends_on=("backend",)))


@pytest.fixture
def app(gateway_settings: Settings, supervisor: Supervisor) -> FastAPI:
    app = create_app(gateway_settings)
    app.state.supervisor = supervisor
    return app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app, **ADMIN) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/admin/backend/start"),
        ("POST", "/api/v1/admin/backend/stop"),
        ("POST", "/api/v1/admin/backend/restart"),
        ("GET", "/api/v1/admin/backend/status"),
        ("GET", "/api/v1/admin/backend/health"),
        ("GET", "/api/v1/admin/services"),
        ("GET", "/api/v1/admin/services/backend/logs"),
        ("POST", "/api/v1/admin/services/worker/start"),
    ],
)
async def test_every_control_endpoint_refuses_a_missing_or_bad_token(
    app: FastAPI, method: str, path: str
) -> None:
    async with asgi_client(app) as anonymous:
        missing = await anonymous.request(method, path)
        garbage = await anonymous.request(method, path, headers={"Authorization": "Bearer nope"})
        user = await anonymous.request(method, path, headers=bearer("u1", role="user"))
        basic = await anonymous.request(method, path, headers={"Authorization": "Basic x"})
    assert missing.status_code == 401
    assert missing.json()["error"] == "Authorization header required"
    assert garbage.status_code == 401
    assert basic.status_code == 401
    assert user.status_code == 403
    assert user.json()["error"] == "Admin access required"


async def test_an_admin_jwt_is_accepted_as_well_as_admin_token(app: FastAPI) -> None:
    async with asgi_client(app, **bearer("a1", role="admin")) as admin:
        response = await admin.get("/api/v1/admin/backend/status")
    assert response.status_code == 200


async def test_start_status_restart_stop_with_the_seed_shapes(client: httpx.AsyncClient) -> None:
    started = await client.post("/api/v1/admin/backend/start", params={"wait": "true"})
    assert started.status_code == 200
    body = started.json()
    assert set(body) == {"success", "message", "pid", "status"}
    assert body["success"] is True
    assert body["message"] == "Backend started successfully"
    assert body["status"] == "running"
    assert isinstance(body["pid"], int)

    again = await client.post("/api/v1/admin/backend/start")
    assert again.status_code == 409
    assert again.json() == {
        "success": False,
        "message": "Failed to start backend",
        "error": "Backend is already running or starting",
    }

    status = (await client.get("/api/v1/admin/backend/status")).json()
    assert SEED_STATUS_FIELDS | {"is_running"} <= set(status)
    assert status["status"] == "running"
    assert status["is_running"] is True
    assert status["pid"] == body["pid"]
    assert status["last_health_check"] == "healthy"
    assert isinstance(status["uptime_secs"], int)

    restarted = await client.post("/api/v1/admin/backend/restart", params={"wait": "true"})
    assert restarted.status_code == 200
    restart_body = restarted.json()
    assert restart_body["success"] is True
    assert restart_body["message"] == "Backend restarted successfully"
    assert restart_body["restart_count"] == 1
    assert restart_body["pid"] not in (None, body["pid"])
    assert restart_body["status"] == "running"

    stopped = await client.post("/api/v1/admin/backend/stop")
    assert stopped.status_code == 200
    assert stopped.json() == {"success": True, "message": "Backend stopped successfully"}
    final = (await client.get("/api/v1/admin/backend/status")).json()
    assert final["status"] == "stopped"
    assert final["is_running"] is False
    assert final["pid"] is None


async def test_health_gives_the_guides_fields(
    client: httpx.AsyncClient, supervisor: Supervisor
) -> None:
    for method in ("GET", "POST"):  # the original's local binary registered it as POST
        response = await client.request(method, "/api/v1/admin/backend/health")
        assert response.status_code == 200
        body = response.json()
        assert body["orchestrator_enabled"] is True
        assert body["backend_status"] == "stopped"
        assert body["health_check_interval"] == supervisor.config("backend").probe.period
        assert body["auto_restart"] is True
        assert body["max_restart_attempts"] == 3
        assert body["enabled"] is True


async def test_every_program_under_services(client: httpx.AsyncClient) -> None:
    started = await client.post("/api/v1/admin/services/worker/start", params={"wait": "1"})
    assert started.status_code == 200
    assert started.json()["message"] == "Worker started successfully"
    assert started.json()["status"] == "running"

    listing = (await client.get("/api/v1/admin/services")).json()
    assert [s["name"] for s in listing["services"]] == ["backend", "worker"]
    assert all(s["status"] == "running" for s in listing["services"])  # the dependency too

    health = (await client.get("/api/v1/admin/services/worker/health")).json()
    assert health["service_status"] == "running"
    assert health["service"] == "worker"

    logs = await client.get("/api/v1/admin/services/worker/logs", params={"lines": 3})
    assert logs.status_code == 200
    assert logs.json()["name"] == "worker"
    assert 0 < len(logs.json()["lines"]) <= 3

    stopped = await client.post("/api/v1/admin/services/worker/stop")
    assert stopped.json() == {"success": True, "message": "Worker stopped successfully"}


async def test_bad_names_and_parameters(client: httpx.AsyncClient) -> None:
    unknown = await client.get("/api/v1/admin/services/ghost/status")
    assert unknown.status_code == 404
    assert unknown.json()["success"] is False
    assert (await client.post("/api/v1/admin/services/ghost/start")).status_code == 404
    assert (await client.get("/api/v1/admin/services/a%20b/status")).status_code == 400
    for lines in ("0", "10001", "many"):
        response = await client.get("/api/v1/admin/services/backend/logs", params={"lines": lines})
        assert response.status_code == 400


async def test_metrics_expose_the_seeds_names_and_each_program(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/api/v1/admin/backend/start", params={"wait": "true"})
    text = (await client.get("/metrics")).text
    assert "\nbackend_status 1.0\n" in text
    assert "\nbackend_restart_count 0.0\n" in text
    assert "\nbackend_health_check_success_rate 1.0\n" in text
    assert "\nbackend_uptime_seconds " in text
    assert 'supervisor_program_status{service="worker"} 0.0' in text
    assert 'supervisor_program_status{service="backend"} 1.0' in text
    assert 'supervisor_program_state{service="backend",state="running"} 1.0' in text
    await client.post("/api/v1/admin/backend/stop")
    text = (await client.get("/metrics")).text
    assert "\nbackend_status 0.0\n" in text


async def test_with_the_orchestrator_disabled_the_seeds_bodies(app: FastAPI) -> None:
    app.state.supervisor = None
    async with asgi_client(app, **ADMIN) as client:
        start = await client.post("/api/v1/admin/backend/start")
        stop = await client.post("/api/v1/admin/backend/stop")
        status = await client.get("/api/v1/admin/backend/status")
        health = await client.get("/api/v1/admin/backend/health")
    assert start.status_code == 503
    assert start.json() == {
        "success": False,
        "message": "Backend orchestrator not available",
        "error": "Orchestration service not enabled",
    }
    assert stop.status_code == 503
    assert stop.json() == {"success": False, "message": "Backend orchestrator not available"}
    assert status.json() == {"status": "disabled", "message": "Backend orchestration not enabled"}
    assert health.json()["orchestrator_enabled"] is False


async def test_the_lifespan_builds_the_supervisor_or_none(gateway_settings: Settings) -> None:
    disabled = create_app(gateway_settings.model_copy(update={"orchestrator_enabled": False}))
    async with disabled.router.lifespan_context(disabled):
        assert disabled.state.supervisor is None

    enabled = create_app(gateway_settings)
    async with enabled.router.lifespan_context(enabled):
        supervisor = enabled.state.supervisor
        assert isinstance(supervisor, Supervisor)
        assert supervisor.names()[0] == "backend"
        # The test environment builds it but starts nothing by itself.
        assert supervisor.status("backend").state.value == "stopped"
