"""The franchise service: network, POS sales, wallets and the verifiable ledger (port 8300)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import structlog
from fastapi import FastAPI

from fodi.core.app import create_service_app
from fodi.core.db import Database
from fodi.core.settings import Settings, load_settings
from fodi.franchise import flows
from fodi.franchise.envelope import install_envelope_handlers, ok
from fodi.franchise.ledger.router import router as ledger_router
from fodi.franchise.network.router import router as network_router
from fodi.franchise.pos.router import install_pos_endpoint
from fodi.franchise.pos.router import router as pos_router
from fodi.franchise.sales.batcher import SaleBatcher
from fodi.franchise.sales.router import router as sales_router
from fodi.franchise.wallets.router import router as wallets_router

log = structlog.get_logger(__name__)


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or load_settings()
    _ = settings.franchise.tokenomics  # validated when the settings were built: fail early
    if settings.is_production:  # refuse to start, rather than fail every request later
        settings.secret("FRANCHISE__LEDGER_SECRET", settings.franchise.ledger_secret)

    @contextlib.asynccontextmanager
    async def background(app: FastAPI) -> AsyncIterator[None]:
        task = None
        if settings.franchise.expiry_interval_seconds > 0:
            task = asyncio.get_running_loop().create_task(_expire_forever(app))
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            batcher: SaleBatcher | None = app.state.sale_batcher
            if batcher is not None:
                await batcher.close()

    app = create_service_app(
        service="franchise",
        title="FodiFood franchise: The Hot Pot Spot",
        description="Franchise network, POS sales, wallets and a verifiable ledger.",
        settings=settings,
        routers=[pos_router, network_router, sales_router, wallets_router, ledger_router],
        database=database,
        lifespan_hooks=[background],
    )
    install_envelope_handlers(app)
    install_pos_endpoint(app)
    app.state.franchise = None
    app.state.franchise_lock = asyncio.Lock()
    app.state.sale_batcher = (
        SaleBatcher(
            app.state.db, settings.franchise.batch_max, settings.franchise.batch_linger_ms / 1000
        )
        if settings.franchise.batch_sales
        else None
    )

    @app.get("/health", include_in_schema=False)
    async def health() -> object:
        return ok({"status": "ok", "service": "franchise"})

    return app


async def _expire_forever(app: FastAPI) -> None:
    """Expire unclaimed checks now and then (also `fodi franchise expire`)."""
    settings: Settings = app.state.settings
    database: Database = app.state.db
    while True:
        await asyncio.sleep(settings.franchise.expiry_interval_seconds)
        try:
            async with database.session() as session:
                state = app.state.franchise or await flows.load_state(session, settings)
                if state is None:
                    continue
                app.state.franchise = state
                expired = await flows.expire_checks(state, session)
            if expired:
                log.info("checks expired", count=expired)
        except Exception:
            log.exception("check expiry failed")
