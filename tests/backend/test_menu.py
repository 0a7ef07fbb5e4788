"""The menu through HTTP: public listing, admin CRUD, recipes, search, JSON errors."""

from __future__ import annotations

import httpx

from tests.backend.helpers import dish, ingredient, unique
from tests.support import bearer


async def test_admin_crud_and_public_visibility(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    rice = await ingredient(admin, name=unique("Рис"), unit="kg", quantity=10)
    created = await admin.post(
        "/api/admin/products",
        json={
            "name": "Филадельфия лайт",
            "price": 450,
            "category": "Роллы",
            "weight": "250г",
            "imageUrl": "https://img.example/p.png",
            "isVisible": False,
            "ingredients": [{"ingredientId": rice["id"], "quantity": 0.12}],
        },
    )
    assert created.status_code == 201, created.text
    product = created.json()
    assert product["price"] == 450.0
    assert product["ingredients"][0]["ingredientName"] == rice["name"]
    assert product["ingredients"][0]["quantity"] == 0.12
    assert product["semiFinished"] == []

    public = await client.get("/api/products")
    assert product["id"] not in {p["id"] for p in public.json()}
    assert (await client.get(f"/api/products/{product['id']}")).status_code == 404

    shown = await admin.put(f"/api/admin/products/{product['id']}", json={"isVisible": True})
    assert shown.json()["isVisible"] is True
    listed = await client.get("/api/products")
    assert product["id"] in {p["id"] for p in listed.json()}  # the cache was invalidated
    detail = await client.get(f"/api/products/{product['id']}")
    assert detail.json()["ingredients"][0]["ingredientId"] == rice["id"]

    repriced = await admin.put(f"/api/admin/products/{product['id']}", json={"price": "455.50"})
    assert repriced.json()["price"] == 455.5
    duplicate = await admin.post(
        "/api/admin/products", json={"name": "ФИЛАДЕЛЬФИЯ ЛАЙТ", "price": 1, "category": "роллы"}
    )
    assert duplicate.status_code == 409

    deleted = await admin.delete(f"/api/admin/products/{product['id']}")
    assert deleted.json() == {"message": "Product deleted successfully"}
    missing = await client.get(f"/api/products/{product['id']}")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["error"] == "Product not found"


async def test_product_input_is_validated(admin: httpx.AsyncClient) -> None:
    cases = [
        ({"name": "", "price": 1, "category": "Супы"}, 400),
        ({"name": "x" * 101, "price": 1, "category": "Супы"}, 400),
        ({"name": "Суп", "price": -1, "category": "Супы"}, 400),
        ({"name": "Суп", "price": "1.234", "category": "Супы"}, 400),
        ({"name": "Нечто", "price": 1}, 400),  # no category and none to guess
        ({"name": "Суп", "price": 1, "ingredients": [{"ingredientId": "no", "quantity": 1}]}, 400),
    ]
    for body, status in cases:
        response = await admin.post("/api/admin/products", json=body)
        assert response.status_code == status, (body, response.text)
    guessed = await admin.post("/api/admin/products", json={"name": unique("Мисо суп"), "price": 1})
    assert guessed.json()["category"] == "Супы"


async def test_search_by_name_ingredient_and_category(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    salmon = await ingredient(admin, name=unique("Лосось"), unit="kg")
    await admin.post(
        "/api/admin/products",
        json={
            "name": unique("Сяке маки"),
            "price": 200,
            "category": "Роллы",
            "isVisible": True,
            "ingredients": [{"ingredientId": salmon["id"], "quantity": 0.03}],
        },
    )
    other = await dish(admin, category="Напитки", name=unique("Морс"))

    by_name = await client.get("/api/products", params={"search": "сяке"})
    assert by_name.json()[0]["name"].startswith("Сяке маки")
    by_ingredient = await client.get("/api/products", params={"ingredient": "ЛОСОСЬ"})
    names = [p["name"] for p in by_ingredient.json()]
    assert any(n.startswith("Сяке маки") for n in names)
    assert other.name not in names
    by_category = await client.get("/api/products", params={"category": "напитки"})
    assert other.name in [p["name"] for p in by_category.json()]
    categories = {c["name"]: c for c in (await client.get("/api/categories")).json()}
    assert categories["Напитки"]["productsCount"] >= 1


async def test_menu_admin_needs_admin_or_manager(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    body = {"name": unique("Ролл"), "price": 1, "category": "Роллы"}
    assert (await client.post("/api/admin/products", json=body)).status_code == 401
    cook = bearer("c", role="cook")
    assert (await client.post("/api/admin/products", json=body, headers=cook)).status_code == 403
    manager = bearer("m", role="manager")
    assert (await client.post("/api/admin/products", json=body, headers=manager)).status_code == 201
    category = await admin.post("/api/admin/categories", json={"name": unique("Бенто")})
    assert category.status_code == 201
    again = await admin.post("/api/admin/categories", json={"name": category.json()["name"]})
    assert again.status_code == 409
