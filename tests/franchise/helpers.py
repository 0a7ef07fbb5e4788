"""Small helpers shared by the franchise tests."""

from __future__ import annotations

from typing import Any

import httpx


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
