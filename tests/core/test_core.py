"""The platform core: settings, URLs, errors, tokens, the app factory and migrations."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import structlog
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from fodi.core import migrations
from fodi.core.app import EdgeRoute, add_edge_route, create_service_app
from fodi.core.db import Database, async_database_url
from fodi.core.deps import AdminDep
from fodi.core.errors import Conflict, Unauthorized
from fodi.core.logging import configure_logging, log_access
from fodi.core.security import TokenClaims, TokenCodec, hash_password, verify_password
from fodi.core.settings import InsecureConfigurationError, Settings
from tests.support import asgi_client, bearer


def test_settings_nest_per_service_and_honour_seed_names(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("BACKEND__PORT", "3100")
    clean_environment.setenv("DATABASE_URL", "postgresql://me@db/fodi")
    clean_environment.setenv("CORS_ORIGINS", "http://a.example, http://b.example")
    settings = Settings()
    assert settings.backend.port == 3100
    assert settings.effective_database_url == "postgresql://me@db/fodi"
    assert settings.cors_origins == ["http://a.example", "http://b.example"]


def test_development_keeps_a_generated_secret_and_production_refuses(tmp_path: Path) -> None:
    dev = Settings(FODI_ENV="development", FODI_VAR_DIR=tmp_path)
    first = dev.jwt_secret_value
    assert len(first) >= 32
    assert Settings(FODI_ENV="development", FODI_VAR_DIR=tmp_path).jwt_secret_value == first
    assert (tmp_path / "secrets" / "jwt_secret").stat().st_mode & 0o777 == 0o600
    with pytest.raises(InsecureConfigurationError):
        _ = Settings(FODI_ENV="production", FODI_VAR_DIR=tmp_path).jwt_secret_value
    with pytest.raises(InsecureConfigurationError, match="well-known default"):
        _ = Settings(
            FODI_ENV="production", JWT_SECRET="your-secret-key-change-this-in-production"
        ).jwt_secret_value
    with pytest.raises(InsecureConfigurationError, match="shorter than 32"):
        _ = Settings(FODI_ENV="production", JWT_SECRET="short-but-not-default").jwt_secret_value
    strong = "k" * 40
    assert Settings(FODI_ENV="production", JWT_SECRET=strong).jwt_secret_value == strong


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://user@host/db", "postgresql+asyncpg://user@host/db"),
        ("postgres://user:pw@host:5433/db", "postgresql+asyncpg://user:pw@host:5433/db"),
        ("sqlite:///var/fodi.db", "sqlite+aiosqlite:///var/fodi.db"),
    ],
)
def test_database_urls_map_to_async_drivers(given: str, expected: str) -> None:
    assert async_database_url(given) == expected


def test_unknown_database_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database"):
        async_database_url("mysql://root@localhost/db")


def test_passwords_hash_with_argon2id() -> None:
    hashed = hash_password("correct horse")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "correct horse")
    assert not verify_password(hashed, "wrong horse")
    assert not verify_password("not-a-hash", "correct horse")


def test_tokens_carry_the_original_claims_and_expire() -> None:
    codec = TokenCodec("x" * 32, ttl_seconds=60)
    claims = TokenClaims(user_id="u1", email="a@b.c", role="admin")
    assert codec.verify(codec.issue(claims)) == claims
    stale = codec.issue(claims, now=datetime.now(UTC) - timedelta(minutes=5))
    with pytest.raises(Unauthorized):
        codec.verify(stale)
    with pytest.raises(Unauthorized):
        TokenCodec("y" * 32).verify(codec.issue(claims))


class Echo(BaseModel):
    quantity: int


async def test_app_factory_speaks_problem_json(settings: Settings, db: Database) -> None:
    router = APIRouter()

    @router.post("/echo")
    async def echo(body: Echo) -> Echo:
        if body.quantity == 409:
            raise Conflict("already there", extra={"allowed": ["a"]})
        return body

    @router.get("/admin-only")
    async def admin_only(claims: AdminDep) -> dict[str, str]:
        return {"user": claims.user_id}

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    app = create_service_app(
        service="test", title="t", settings=settings, routers=[router], database=db
    )
    async with asgi_client(app) as client:
        bad = await client.post(
            "/echo", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert bad.status_code == 400
        assert bad.headers["content-type"] == "application/problem+json"
        assert bad.json()["error"].startswith("Invalid request")

        conflict = await client.post("/echo", json={"quantity": 409})
        assert conflict.status_code == 409
        assert conflict.json() == {
            "type": "https://fodifood.dev/problems/conflict",
            "title": "Conflict",
            "status": 409,
            "detail": "already there",
            "error": "already there",
            "allowed": ["a"],
        }

        missing = await client.get("/admin-only")
        assert (missing.status_code, missing.json()["error"]) == (
            401,
            "Authorization header required",
        )
        forbidden = await client.get("/admin-only", headers=bearer("u1", role="user"))
        assert (forbidden.status_code, forbidden.json()["error"]) == (403, "Admin access required")
        allowed = await client.get("/admin-only", headers=bearer("u1", role="admin"))
        assert allowed.json() == {"user": "u1"}

        crash = await client.get("/boom")
        assert crash.status_code == 500
        assert "secret" not in crash.text
        assert crash.headers["x-request-id"]  # the edge stamps the error handler's answer too

        unknown = await client.get("/nowhere")
        assert unknown.status_code == 404
        assert unknown.json()["status"] == 404

        metrics = await client.get("/metrics")
        assert (
            'http_requests_total{method="POST",route="/echo",service="test",status="409"}'
            in metrics.text
        )

        preflight = await client.options(
            "/echo",
            headers={
                "Origin": "http://localhost:3000",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "Authorization, Content-Type",
            },
        )
        assert preflight.status_code == 200
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()


async def test_edge_routes_answer_plain_gets_and_leave_the_rest_to_the_framework(
    settings: Settings, db: Database
) -> None:
    router = APIRouter()

    @router.get("/menu")
    async def framework_menu() -> dict[str, str]:
        return {"via": "framework"}

    async def edge_menu(scope: Scope, receive: Receive, send: Send) -> None:
        await Response(b'{"via":"edge"}', media_type="application/json")(scope, receive, send)

    async def edge_crash(_scope: Scope, _receive: Receive, _send: Send) -> None:
        raise RuntimeError("secret internals")

    app = create_service_app(
        service="edge-test", title="t", settings=settings, routers=[router], database=db
    )
    add_edge_route(app, EdgeRoute("/menu", edge_menu))
    add_edge_route(app, EdgeRoute("/crash", edge_crash))
    async with asgi_client(app) as client:
        plain = await client.get("/menu", headers={"X-Request-ID": "abc-1"})
        assert plain.json() == {"via": "edge"}
        assert plain.headers["x-request-id"] == "abc-1"
        assert plain.headers["vary"] == "Origin"

        assert (await client.get("/menu?page=2")).json() == {"via": "framework"}
        head = await client.head("/menu")
        assert (head.status_code, head.content) == (200, b"")

        browser = await client.get("/menu", headers={"Origin": "http://localhost:3000"})
        assert browser.json() == {"via": "framework"}  # cross-origin: through CORS
        assert browser.headers["access-control-allow-origin"] == "http://localhost:3000"
        assert browser.headers["x-request-id"]

        crash = await client.get("/crash")
        assert crash.status_code == 500
        assert crash.headers["content-type"] == "application/problem+json"
        assert "secret" not in crash.text
        assert crash.headers["x-request-id"]

        metrics = (await client.get("/metrics")).text
        assert 'method="GET",route="/menu",service="edge-test",status="200"' in metrics
        assert 'method="GET",route="/crash",service="edge-test",status="500"' in metrics


async def test_rolled_back_fixture_sees_its_own_writes(db: Database) -> None:
    async with db.session() as session:
        value = (await session.execute(text("SELECT 1"))).scalar_one()
    assert value == 1


async def test_migrations_reach_head_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    await migrations.upgrade(url)
    assert await migrations.current_revision(url) is not None
    await migrations.downgrade(url, "base")
    assert await migrations.current_revision(url) is None


def test_json_logs_are_written_when_stderr_is_text() -> None:
    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured):
            configure_logging(level="INFO", as_json=True)
            log = structlog.get_logger("fodi.test")
            log.info("hello", big=2**70, text="привет")
    finally:
        configure_logging(level="INFO", as_json=False)
    line = json.loads(captured.getvalue().splitlines()[-1])
    assert (line["event"], line["big"], line["text"]) == ("hello", 2**70, "привет")


@pytest.mark.parametrize("level", ["INFO", "WARNING"])
def test_json_access_lines_have_the_pipelines_keys_and_follow_the_level(level: str) -> None:
    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured):
            configure_logging(level=level, as_json=True)
            log_access("rid-1", service="edge-test", method="GET", path="/menu", status=200, ms=0.5)
            structlog.get_logger("fodi.test.access").warning("after")
    finally:
        configure_logging(level="INFO", as_json=False)
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    access = [line for line in lines if line["event"] == "request"]
    if level == "WARNING":
        assert access == []
        return
    (line,) = access
    assert line.pop("timestamp").endswith("Z")
    assert line == {
        "request_id": "rid-1",
        "service": "edge-test",
        "method": "GET",
        "path": "/menu",
        "status": 200,
        "ms": 0.5,
        "event": "request",
        "level": "info",
        "logger": "fodi.access",
    }
    assert lines[-1]["event"] == "after"


async def test_json_access_lines_of_one_loop_turn_are_written_together_at_its_end() -> None:
    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured):
            configure_logging(level="INFO", as_json=True)
            for n in range(3):
                log_access(f"rid-{n}", service="edge-test", status=200)
            assert captured.getvalue() == ""  # still this turn
            await asyncio.sleep(0)
            written = captured.getvalue()
    finally:
        configure_logging(level="INFO", as_json=False)
    ids = [json.loads(line)["request_id"] for line in written.splitlines()]
    assert ids == ["rid-0", "rid-1", "rid-2"]
