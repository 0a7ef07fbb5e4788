"""Parallel wrong activation codes cannot pass the attempt limit (real commits, PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from fodi.core.db import Database
from fodi.core.settings import Settings
from fodi.franchise import flows
from fodi.franchise.app import create_app
from fodi.franchise.auth.roles import FranchiseRole
from fodi.franchise.auth.service import create_key
from fodi.franchise.wallets.models import FranchiseCheck
from tests.franchise.helpers import MNEMONIC, pos, sale
from tests.support import asgi_client


@pytest.mark.postgres
async def test_parallel_guesses_never_exceed_the_attempt_limit(
    fsettings: Settings, committing_db: Database
) -> None:
    async with committing_db.session() as session:
        await flows.initialise(session, fsettings, MNEMONIC)
        _, admin = await create_key(session, FranchiseRole.SUPER_ADMIN)
        await session.commit()
        state = await flows.load_state(session, fsettings)
    assert state is not None
    app = create_app(fsettings, database=committing_db)
    app.state.franchise = state
    async with asgi_client(app, **{"X-API-Key": admin}) as client:
        node = (
            await pos(
                client,
                "RegisterNode",
                {"owner_address": "0xo", "node_type": "FRANCHISE", "city": "Gori"},
            )
        ).json()["data"]["node_id"]
        await pos(client, "WhitelistPos", {"pos_id": "pos_1", "node_id": node})
        check = (await pos(client, "RecordSale", sale("s-guess", node))).json()["data"]["check"]
        wrong = "000000" if check["activation_code"] != "000000" else "111111"
        url = f"/api/v1/checks/{check['check_id']}/claim"
        answers = await asyncio.gather(
            *(client.post(url, json={"activation_code": wrong}) for _ in range(20))
        )
    limit = state.config.check_max_attempts
    assert sum(a.status_code == 400 for a in answers) == limit  # wrong code, attempt counted
    assert sum(a.status_code == 409 for a in answers) == 20 - limit  # locked
    async with committing_db.session() as session:
        stored = (
            await session.execute(
                select(FranchiseCheck.attempts).where(FranchiseCheck.check_id == check["check_id"])
            )
        ).scalar_one()
    assert stored == limit
