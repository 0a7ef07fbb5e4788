"""The backend service (port 3000): accounts, menu, orders, inventory, stats and events.

Everything lives under ``/api`` (a client's base URL is ``http://127.0.0.1:3000/api``, as in
the original), plus ``GET /health`` at the root.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import text

from fodi.backend.catalog.cache import MenuCache
from fodi.backend.catalog.router import menu_edge_route
from fodi.backend.catalog.router import router as catalog_router
from fodi.backend.events.router import router as events_router
from fodi.backend.events.service import OutboxSignal
from fodi.backend.inventory.router import router as inventory_router
from fodi.backend.orders.router import router as orders_router
from fodi.backend.stats.router import router as stats_router
from fodi.backend.users.router import router as users_router
from fodi.core.app import add_edge_route, create_service_app
from fodi.core.db import Database
from fodi.core.errors import problem, problem_responses
from fodi.core.settings import Settings, load_settings

SERVICE_NAME = "menu-fodifood-backend"

root = APIRouter()


@root.get("/health", response_class=PlainTextResponse, tags=["health"])
async def health() -> str:
    """Liveness for load balancers: text ``ok`` (as the original)."""
    return "ok"


@root.get("/api/health", tags=["health"], responses=problem_responses(503))
async def api_health(request: Request) -> JSONResponse:
    """Readiness: the database answers."""
    database: Database = request.app.state.db
    try:
        async with database.session() as session:
            await session.execute(text("SELECT 1"))
    except Exception:
        return problem(503, "Database unavailable", extra={"status": "error"})
    return JSONResponse(
        {"status": "ok", "data": {"service": SERVICE_NAME, "database": "connected"}}
    )


# Each domain router carries the /api prefix itself: one level of routers, not two, keeps
# FastAPI's per-request route matching cheaper.
DOMAIN_ROUTERS = (
    users_router,
    catalog_router,
    orders_router,
    inventory_router,
    stats_router,
    events_router,
)


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or load_settings()
    app = create_service_app(
        service="backend",
        title="FodiFood backend",
        description="Accounts, menu, orders, inventory, stats and the event stream.",
        settings=settings,
        database=database,
        routers=[root, *DOMAIN_ROUTERS],
    )
    add_edge_route(app, menu_edge_route())
    app.state.menu_cache = MenuCache()
    app.state.outbox_signal = OutboxSignal()
    return app
