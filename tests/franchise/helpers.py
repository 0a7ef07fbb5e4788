"""Small helpers shared by the franchise tests."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fodi.core.db import Database
from fodi.core.settings import Settings
from fodi.franchise import flows
from fodi.franchise.state import FranchiseState
from fodi.franchise.wallets.models import FranchisePosting

MNEMONIC = (
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
)


async def pos(client: httpx.AsyncClient, command: str, payload: Any) -> httpx.Response:
    return await client.post("/api/v1/pos", json={command: payload})


def sale(
    sale_id: str,
    node_id: int = 1,
    price: int = 1500,
    pos_id: str = "pos_1",
    items: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "node_id": node_id,
        "sale_id": sale_id,
        "price_subunits": price,
        "buyer_meta": "table 4",
        "pos_id": pos_id,
        "items": items
        if items is not None
        else [{"item_id": "hotpot", "quantity": 1, "price_subunits": price}],
    }


async def ledger_size(client: httpx.AsyncClient) -> int:
    response = await client.get("/api/v1/ledger/checkpoint")
    return int(response.json()["data"]["size"])


async def network_of_two(
    database: Database, settings: Settings
) -> tuple[FranchiseState, list[int]]:
    """A fresh network: an OWNER and a FRANCHISE node and the global terminal ``pos_1``."""
    async with database.session() as session:
        await flows.initialise(session, settings, MNEMONIC)
        state = await flows.load_state(session, settings)
        assert state is not None
        nodes = [
            (await flows.register_node(state, session, f"0xowner{n}", kind, "Tbilisi")).node_id
            for n, kind in ((1, "OWNER"), (2, "FRANCHISE"))
        ]
        await flows.whitelist_pos(state, session, "pos_1", None)
    return state, nodes


async def assert_postings_balance(session: AsyncSession) -> None:
    """Every ledger transaction's postings sum to zero."""
    unbalanced = await session.execute(
        select(FranchisePosting.ledger_index)
        .group_by(FranchisePosting.ledger_index)
        .having(func.sum(FranchisePosting.amount) != 0)
    )
    assert unbalanced.first() is None
