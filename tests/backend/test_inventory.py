"""Stock through HTTP: ingredients, movements (newest first, paginated), low-stock events."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select

from fodi.backend.events.models import OutboxEvent
from fodi.core.db import Database
from tests.backend.helpers import dish, ingredient, order_body, unique
from tests.support import bearer


async def low_stock_events(db: Database, item_id: str) -> list[dict[str, object]]:
    async with db.session() as session:
        rows = await session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == "stock.low").order_by(OutboxEvent.id)
        )
        return [e.payload for e in rows if e.payload["stockItemId"] == item_id]


async def test_create_an_ingredient_as_the_original_did(admin: httpx.AsyncClient) -> None:
    name = unique("Лосось охлаждённый")
    response = await admin.post(
        "/api/admin/ingredients",
        json={
            "name": name,
            "quantity": 12.5,
            "minQuantity": 2,
            "supplier": "Море",
            "category": "Рыба",
            "priceBrutto": 1500,
            "priceNetto": 1650.5,
            "pricePerUnit": 1600,
            "bruttoWeight": 13,
            "nettoWeight": 12.5,
            "wastePercentage": 3.85,
            "expiryDays": 5,
        },
    )
    assert response.status_code == 201, response.text
    item = response.json()
    assert item["unit"] == "kg"  # guessed from "лосос", as the original
    assert item["id"] == item["ingredientId"] == item["ingredient"]["id"]
    assert re.fullmatch(r"ЛОС-\d{8}-\d{6}", item["batchNumber"])
    assert (item["quantity"], item["minQuantity"], item["priceNetto"]) == (12.5, 2.0, 1650.5)
    assert item["expiresAt"] is not None
    moves = (await admin.get(f"/api/admin/ingredients/{item['id']}/movements")).json()
    assert [(m["type"], m["quantity"], m["reason"]) for m in moves] == [
        ("addition", 12.5, "Начальное поступление")
    ]
    no_unit = await admin.post("/api/admin/ingredients", json={"name": unique("Нечто")})
    assert no_unit.status_code == 400
    assert "Unit is required" in no_unit.json()["error"]
    duplicate = await admin.post("/api/admin/ingredients", json={"name": name, "unit": "kg"})
    assert duplicate.status_code == 409
    negative = await admin.post(
        "/api/admin/ingredients", json={"name": unique("x"), "unit": "g", "quantity": -1}
    )
    assert negative.status_code == 400


async def test_movements_are_newest_first_and_paginated(admin: httpx.AsyncClient) -> None:
    item = await ingredient(admin, quantity=10, unit="kg")
    url = f"/api/admin/ingredients/{item['id']}/movements"
    for kind, quantity in (("addition", 5), ("waste", 1.5), ("return", 0.5), ("recount", 13)):
        response = await admin.post(url, json={"type": kind, "quantity": quantity, "reason": kind})
        assert response.status_code == 201, response.text
    assert (await admin.get(f"/api/admin/ingredients/{item['id']}")).json()["quantity"] == 13

    listed = await admin.get(url)
    assert [m["type"] for m in listed.json()] == [
        "recount",
        "return",
        "waste",
        "addition",
        "addition",
    ]
    assert [m["balance"] for m in listed.json()] == [13, 14, 13.5, 15, 10]
    assert listed.json()[0]["userId"] == "00000000-0000-0000-0000-00000000a0a0"
    page = await admin.get(url, params={"limit": 2, "offset": 2})
    assert [m["type"] for m in page.json()] == ["waste", "addition"]
    assert page.headers["X-Total-Count"] == "5"
    too_much = await admin.post(url, json={"type": "waste", "quantity": 99})
    assert too_much.status_code == 409
    assert (await admin.get(f"/api/admin/ingredients/{item['id']}")).json()["quantity"] == 13
    unknown = await admin.post(url, json={"type": "theft", "quantity": 1})
    assert unknown.status_code == 400


async def test_update_keeps_the_quantity_unless_given(admin: httpx.AsyncClient) -> None:
    item = await ingredient(admin, quantity=7)
    renamed = await admin.put(
        f"/api/admin/ingredients/{item['id']}", json={"supplier": "Новый поставщик"}
    )
    assert renamed.json()["quantity"] == 7  # the original zeroed it here
    recounted = await admin.put(f"/api/admin/ingredients/{item['id']}", json={"quantity": 4})
    assert recounted.json()["quantity"] == 4
    moves = (await admin.get(f"/api/admin/ingredients/{item['id']}/movements")).json()
    assert (moves[0]["type"], moves[0]["quantity"], moves[0]["balance"]) == ("recount", 3, 4)


async def test_falling_below_the_minimum_emits_one_low_stock_event(
    client: httpx.AsyncClient, admin: httpx.AsyncClient, db: Database
) -> None:
    soup = await dish(admin, stock=10, min_quantity=5)
    for _ in range(3):
        response = await client.post("/api/orders", json=order_body((soup.product_id, 2)))
        assert response.status_code == 201
    events = await low_stock_events(db, soup.ingredient_id)
    assert len(events) == 1  # the crossing 6 → 4, not every decrease after it
    assert events[0]["quantity"] == 4
    assert events[0]["minQuantity"] == 5
    assert set(events[0]) == {
        "stockItemId",
        "ingredientId",
        "name",
        "quantity",
        "minQuantity",
        "unit",
    }
    low = await admin.get("/api/admin/ingredients", params={"low": "true"})
    assert soup.ingredient_id in {i["id"] for i in low.json()}


async def test_delete_refuses_an_ingredient_in_a_recipe(admin: httpx.AsyncClient) -> None:
    soup = await dish(admin)
    refused = await admin.delete(f"/api/admin/ingredients/{soup.ingredient_id}")
    assert refused.status_code == 409
    spare = await ingredient(admin)
    deleted = await admin.delete(f"/api/admin/ingredients/{spare['id']}")
    assert deleted.json() == {"message": "Ingredient deleted successfully"}
    assert (await admin.get(f"/api/admin/ingredients/{spare['id']}")).status_code == 404


async def test_inventory_needs_admin_or_manager(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/admin/ingredients")).status_code == 401
    courier = bearer("c", role="courier")
    assert (await client.get("/api/admin/ingredients", headers=courier)).status_code == 403
    manager = bearer("m", role="manager")
    assert (await client.get("/api/admin/ingredients", headers=manager)).status_code == 200
