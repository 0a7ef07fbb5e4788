"""The JSON shapes the original clients read (seed-contracts §1.2–1.4), key by key.

``exact`` shapes must match the original's field list; ``at least`` shapes may carry extra
fields (additions the issue asked for), but never lose one the original clients read.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.backend.helpers import auth, dish, order_body, signed_up

USER = {"id", "email", "name", "role", "createdAt"}
PRODUCT = {"id", "name", "description", "price", "imageUrl", "weight", "category", "isVisible",
           "createdAt"}  # fmt: skip
PRODUCT_INGREDIENT = {"id", "productId", "ingredientId", "ingredientName", "quantity", "unit",
                      "pricePerUnit", "totalPrice"}  # fmt: skip
ORDER = {"id", "userId", "status", "total", "address", "phone", "comment", "createdAt", "items",
         "user"}  # fmt: skip
ORDER_ITEM = {"id", "quantity", "price", "product"}
STOCK_ITEM = {"id", "ingredientId", "quantity", "updatedAt", "batchNumber", "bruttoWeight",
              "nettoWeight", "wastePercentage", "expiryDays", "supplier", "category",
              "priceBrutto", "priceNetto", "pricePerUnit", "ingredient"}  # fmt: skip
MOVEMENT = {"id", "stockItemId", "type", "quantity", "priceBrutto", "priceNetto", "note",
            "createdAt"}  # fmt: skip
STATS = {"totalUsers", "totalOrders", "totalProducts", "revenue", "totalRevenue", "today_orders",
         "today_revenue", "popular_products"}  # fmt: skip


def at_least(body: dict[str, Any], keys: set[str]) -> None:
    assert keys <= set(body), f"missing {keys - set(body)}"


async def test_the_original_shapes(client: httpx.AsyncClient, admin: httpx.AsyncClient) -> None:
    person = await signed_up(client)
    login = await client.post(
        "/api/auth/register",
        json={"email": "shape@example.com", "name": "Shape", "password": "shape-pass-1"},
    )
    assert set(login.json()) == {"token", "user"}
    assert set(login.json()["user"]) == USER

    soup = await dish(admin, price="320")
    products = (await client.get("/api/products")).json()
    assert isinstance(products, list)
    assert set(products[0]) == PRODUCT
    assert isinstance(products[0]["price"], float)
    detail = (await client.get(f"/api/products/{soup.product_id}")).json()
    at_least(detail, PRODUCT | {"ingredients", "semiFinished"})
    assert set(detail["ingredients"][0]) == PRODUCT_INGREDIENT

    created = await client.post(
        "/api/orders", json=order_body((soup.product_id, 2)), headers=auth(person)
    )
    assert set(created.json()) == {"message", "orderId", "total", "status"}
    assert isinstance(created.json()["total"], float)
    order_id = created.json()["orderId"]

    listed = (await admin.get("/api/admin/orders")).json()
    assert set(listed) == {"orders"}
    order = next(o for o in listed["orders"] if o["id"] == order_id)
    at_least(order, ORDER)
    at_least(order["items"][0], ORDER_ITEM)
    assert set(order["items"][0]["product"]) == {"id", "name"}
    assert set(order["user"]) == {"id", "name", "email"}
    assert set((await admin.get("/api/admin/orders/recent")).json()[0]) == {
        "id", "userEmail", "status", "total", "createdAt"
    }  # fmt: skip
    user_orders = (await client.get("/api/user/orders", headers=auth(person))).json()
    assert set(user_orders["orders"][0]) == {
        "id", "status", "total", "address", "phone", "comment", "createdAt"
    }  # fmt: skip
    own = (await client.get("/api/orders", headers=auth(person))).json()
    at_least(own["orders"][0], ORDER)

    moved = (
        await admin.put(f"/api/admin/orders/{order_id}/status", json={"status": "confirmed"})
    ).json()
    assert set(moved) == {"message", "status", "order"}
    assert moved["message"] == "Order status updated successfully"

    stats = (await admin.get("/api/admin/stats")).json()
    assert set(stats) == STATS
    at_least(stats["popular_products"][0], {"name", "quantity"})

    items = (await admin.get("/api/admin/ingredients")).json()
    at_least(items[0], STOCK_ITEM)
    at_least(items[0]["ingredient"], {"id", "name", "unit", "createdAt"})
    movements = (await admin.get(f"/api/admin/ingredients/{soup.ingredient_id}/movements")).json()
    at_least(movements[0], MOVEMENT)

    profile = (await client.get("/api/user/profile", headers=auth(person))).json()
    assert set(profile) == USER | {"orders"}
    assert set(profile["orders"][0]) == {"id", "status", "total", "createdAt"}
    role = (
        await admin.patch(
            "/api/admin/users/update-role", json={"user_id": person["id"], "role": "investor"}
        )
    ).json()
    assert set(role) == {
        "message",
        "user_id",
        "old_role",
        "new_role",
        "name",
        "email",
        "updated_by",
    }
    problem = (await client.get("/api/products/nope")).json()
    assert set(problem) == {"type", "title", "status", "detail", "error"}
