"""Fixtures of the franchise tests: settings, an initialised network, keys, the app."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from fodi.core.db import Database
from fodi.core.settings import Settings
from fodi.franchise import flows
from fodi.franchise.app import create_app
from fodi.franchise.auth.roles import FranchiseRole
from fodi.franchise.auth.service import create_key
from fodi.franchise.state import FranchiseState
from tests.franchise.helpers import MNEMONIC
from tests.support import asgi_client


@pytest.fixture
def fsettings(settings: Settings) -> Settings:
    """Sales recorded directly (no group commit), no key cache, no background expiry."""
    franchise = settings.franchise.model_copy(
        update={"batch_sales": False, "key_cache_seconds": 0.0, "expiry_interval_seconds": 0.0}
    )
    return settings.model_copy(update={"franchise": franchise})


@dataclass
class Network:
    app: FastAPI
    state: FranchiseState
    admin: str
    vkey: str
    db: Database

    def client(self, key: str | None = None) -> httpx.AsyncClient:
        return asgi_client(self.app, **({"X-API-Key": key} if key else {}))

    async def key(self, role: FranchiseRole, pos_id: str | None = None) -> str:
        async with self.db.session() as session:
            _, token = await create_key(session, role, pos_id)
            await session.commit()
        return token


@pytest.fixture
async def network(fsettings: Settings, db: Database) -> Network:
    async with db.session() as session:
        initialised = await flows.initialise(session, fsettings, MNEMONIC)
        _, admin = await create_key(session, FranchiseRole.SUPER_ADMIN)
        await session.commit()
        state = await flows.load_state(session, fsettings)
    assert state is not None
    app = create_app(fsettings, database=db)
    app.state.franchise = state
    return Network(app, state, admin, initialised.vkey, db)
