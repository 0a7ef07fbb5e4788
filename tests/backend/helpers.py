"""Helpers for backend tests: build menus through the admin API, sign people up."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support import bearer

ADMIN = bearer("00000000-0000-0000-0000-00000000a0a0", role="admin", email="boss@example.com")
_names = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix} {next(_names)}"


@dataclass(frozen=True, slots=True)
class Dish:
    product_id: str
    ingredient_id: str
    name: str


async def ingredient(
    admin: httpx.AsyncClient,
    *,
    name: str | None = None,
    quantity: float | str = 100,
    min_quantity: float | str = 0,
    unit: str = "pcs",
) -> dict[str, Any]:
    response = await admin.post(
        "/api/admin/ingredients",
        json={
            "name": name or unique("Ingredient"),
            "unit": unit,
            "quantity": quantity,
            "minQuantity": min_quantity,
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def dish(
    admin: httpx.AsyncClient,
    *,
    price: float | str = 100,
    stock: float | str = 100,
    per_portion: float | str = 1,
    min_quantity: float | str = 0,
    category: str = "Тест",
    visible: bool = True,
    name: str | None = None,
) -> Dish:
    """A dish whose recipe is ``per_portion`` of one fresh ingredient with ``stock`` in stock."""
    item = await ingredient(admin, quantity=stock, min_quantity=min_quantity)
    dish_name = name or unique("Dish")
    response = await admin.post(
        "/api/admin/products",
        json={
            "name": dish_name,
            "price": price,
            "category": category,
            "isVisible": visible,
            "ingredients": [{"ingredientId": item["id"], "quantity": per_portion}],
        },
    )
    assert response.status_code == 201, response.text
    return Dish(response.json()["id"], item["id"], dish_name)


def order_body(*lines: tuple[str, int], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Иван",
        "phone": "+79990000000",
        "address": "Москва, ул. Примерная, 1",
        "comment": "",
        "items": [{"productId": pid, "quantity": qty} for pid, qty in lines],
    }
    body.update(overrides)
    return body


async def stock_of(admin: httpx.AsyncClient, ingredient_id: str) -> float:
    response = await admin.get(f"/api/admin/ingredients/{ingredient_id}")
    assert response.status_code == 200, response.text
    quantity: float = response.json()["quantity"]
    return quantity


async def signed_up(client: httpx.AsyncClient, email: str | None = None) -> dict[str, str]:
    """Register someone; returns Authorization headers and their id."""
    address = email or f"{unique('user').replace(' ', '')}@example.com"
    response = await client.post(
        "/api/auth/register",
        json={"email": address, "name": "Покупатель", "password": "correct-horse-1"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return {"Authorization": f"Bearer {body['token']}", "id": body["user"]["id"]}


def auth(person: dict[str, str]) -> dict[str, str]:
    return {"Authorization": person["Authorization"]}
