"""Orders through HTTP: pricing, stock, idempotency, the status machine and who may move it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.backend.helpers import auth, dish, order_body, signed_up, stock_of
from tests.support import bearer


async def movements(admin: httpx.AsyncClient, ingredient_id: str) -> list[dict[str, Any]]:
    response = await admin.get(f"/api/admin/ingredients/{ingredient_id}/movements")
    assert response.status_code == 200
    body: list[dict[str, Any]] = response.json()
    return body


async def test_guest_order_is_priced_from_the_catalog_and_takes_stock(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    rolls = await dish(admin, price="450", stock=10, per_portion="0.5")
    cola = await dish(admin, price="90.10", stock=10)
    body = order_body((rolls.product_id, 3), (cola.product_id, 2))
    body["items"][0]["price"] = 0.01  # the original trusted this; we ignore it

    response = await client.post("/api/orders", json=body)

    assert response.status_code == 201
    created = response.json()
    assert created["message"] == "Order created successfully"
    assert created["status"] == "pending"
    assert created["total"] == 1530.2  # 3 × 450 + 2 × 90.10, exactly
    assert await stock_of(admin, rolls.ingredient_id) == 8.5
    assert await stock_of(admin, cola.ingredient_id) == 8
    consumption = (await movements(admin, rolls.ingredient_id))[0]
    assert consumption["type"] == "consumption"
    assert consumption["quantity"] == 1.5
    assert consumption["balance"] == 8.5
    assert consumption["orderId"] == created["orderId"]

    order = await admin.get(f"/api/orders/{created['orderId']}")
    assert order.status_code == 200
    lines = {item["product"]["name"]: item for item in order.json()["items"]}
    assert lines[rolls.name]["price"] == 450.0
    assert lines[rolls.name]["quantity"] == 3
    assert order.json()["userId"] is None


async def test_the_same_product_twice_counts_once(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    soup = await dish(admin, price="320", stock=10)
    response = await client.post(
        "/api/orders", json=order_body((soup.product_id, 1), (soup.product_id, 2))
    )
    assert response.status_code == 201
    assert response.json()["total"] == 960.0
    assert await stock_of(admin, soup.ingredient_id) == 7


async def test_a_shortfall_refuses_the_whole_order_naming_the_ingredient(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    plenty = await dish(admin, stock=100)
    scarce = await dish(admin, stock=2)
    before = (await admin.get("/api/admin/stats")).json()["totalOrders"]

    response = await client.post(
        "/api/orders", json=order_body((plenty.product_id, 1), (scarce.product_id, 3))
    )

    assert response.status_code == 409
    problem = response.json()
    assert problem["ingredient"]["id"] == scarce.ingredient_id
    assert problem["ingredient"]["name"] in problem["error"]
    assert problem["ingredient"]["needed"] == 3
    assert problem["ingredient"]["available"] == 2
    # nothing written: no order, no stock taken from the other dish, no movement
    assert (await admin.get("/api/admin/stats")).json()["totalOrders"] == before
    assert await stock_of(admin, plenty.ingredient_id) == 100
    assert [m["type"] for m in await movements(admin, plenty.ingredient_id)] == ["addition"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b.update(items=[]), "at least one item"),
        (lambda b: b.update(name="   "), "Name, phone and address are required"),
        (lambda b: b.pop("address"), "address"),
        (lambda b: b["items"][0].update(quantity=0), "quantity"),
        (lambda b: b["items"][0].update(quantity=-3), "quantity"),
        (lambda b: b["items"][0].update(quantity="lots"), "quantity"),
        (lambda b: b["items"][0].update(quantity=101), "At most 100 portions"),
        (lambda b: b["items"][0].update(productId="no-such-dish"), "Unknown product"),
        (
            lambda b: b.update(items=[{"productId": f"p{i}", "quantity": 1} for i in range(51)]),
            "at most 50 different items",
        ),
        (
            lambda b: b.update(items=[{"productId": "x", "quantity": 1}] * 1001),
            "items",
        ),
    ],
)
async def test_bad_orders_get_a_problem_and_write_nothing(
    client: httpx.AsyncClient, admin: httpx.AsyncClient, mutate: Any, message: str
) -> None:
    soup = await dish(admin, stock=10)
    body = order_body((soup.product_id, 1))
    mutate(body)
    response = await client.post("/api/orders", json=body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert message in response.json()["error"]
    assert await stock_of(admin, soup.ingredient_id) == 10


async def test_malformed_json_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/orders", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith("Invalid request")


async def test_hidden_dishes_cannot_be_ordered(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    hidden = await dish(admin, visible=False)
    response = await client.post("/api/orders", json=order_body((hidden.product_id, 1)))
    assert response.status_code == 400
    assert response.json()["unknownProducts"] == [hidden.product_id]


async def test_an_idempotency_key_returns_the_first_result(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    pizza = await dish(admin, price="350", stock=10)
    body = order_body((pizza.product_id, 2))
    headers = {"Idempotency-Key": "retry-me-1"}

    first = await client.post("/api/orders", json=body, headers=headers)
    again = await client.post("/api/orders", json=body, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await stock_of(admin, pizza.ingredient_id) == 8
    different = await client.post(
        "/api/orders", json=order_body((pizza.product_id, 3)), headers=headers
    )
    assert different.status_code == 422
    assert "orderId" not in different.json()  # the first order may be another guest's
    # the key is per caller: someone else's identical key is a new order
    person = await signed_up(client)
    theirs = await client.post("/api/orders", json=body, headers={**headers, **auth(person)})
    assert theirs.status_code == 201
    assert theirs.json()["orderId"] != first.json()["orderId"]
    assert await stock_of(admin, pizza.ingredient_id) == 6


async def test_signed_in_orders_belong_to_their_owner(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    soup = await dish(admin, price="100", stock=20)
    alice, bob = await signed_up(client), await signed_up(client)
    created = await client.post(
        "/api/orders", json=order_body((soup.product_id, 1)), headers=auth(alice)
    )
    order_id = created.json()["orderId"]

    mine = await client.get("/api/orders", headers=auth(alice))
    assert [o["id"] for o in mine.json()["orders"]] == [order_id]
    assert mine.json()["orders"][0]["userId"] == alice["id"]
    assert mine.headers["X-Total-Count"] == "1"
    assert (await client.get("/api/orders", headers=auth(bob))).json() == {"orders": []}
    user_orders = await client.get("/api/user/orders", headers=auth(alice))
    assert user_orders.status_code == 200  # the original always answered 401 here
    assert user_orders.json()["orders"][0]["id"] == order_id
    recent = await client.get("/api/orders/recent", headers=auth(alice))
    assert [o["id"] for o in recent.json()] == [order_id]
    profile = await client.get("/api/user/profile", headers=auth(alice))
    assert profile.json()["orders"][0] == {
        "id": order_id,
        "status": "pending",
        "total": 100.0,
        "createdAt": profile.json()["orders"][0]["createdAt"],
    }

    assert (await client.get(f"/api/orders/{order_id}", headers=auth(alice))).status_code == 200
    peek = await client.get(f"/api/orders/{order_id}", headers=auth(bob))
    assert peek.status_code == 403
    cancel = await client.patch(
        f"/api/orders/{order_id}", json={"status": "cancelled"}, headers=auth(bob)
    )
    assert cancel.status_code == 403
    assert (await client.get(f"/api/orders/{order_id}")).status_code == 401
    assert (await admin.get(f"/api/orders/{order_id}")).json()["status"] == "pending"


async def test_a_customer_cancels_their_pending_order_and_the_stock_returns(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    soup = await dish(admin, stock=10, per_portion="0.25")
    alice = await signed_up(client)
    order_id = (
        await client.post("/api/orders", json=order_body((soup.product_id, 4)), headers=auth(alice))
    ).json()["orderId"]
    assert await stock_of(admin, soup.ingredient_id) == 9

    cancelled = await client.patch(
        f"/api/orders/{order_id}", json={"status": "cancelled"}, headers=auth(alice)
    )

    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["order"]["status"] == "cancelled"
    assert await stock_of(admin, soup.ingredient_id) == 10
    assert (await movements(admin, soup.ingredient_id))[0]["type"] == "return"
    again = await client.patch(
        f"/api/orders/{order_id}", json={"status": "cancelled"}, headers=auth(alice)
    )
    assert again.status_code == 409
    assert again.json()["allowed"] == []
    assert await stock_of(admin, soup.ingredient_id) == 10


async def test_a_customer_cannot_cancel_once_confirmed(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    soup = await dish(admin, stock=10)
    alice = await signed_up(client)
    order_id = (
        await client.post("/api/orders", json=order_body((soup.product_id, 1)), headers=auth(alice))
    ).json()["orderId"]
    await admin.put(f"/api/admin/orders/{order_id}/status", json={"status": "confirmed"})
    response = await client.patch(
        f"/api/orders/{order_id}", json={"status": "cancelled"}, headers=auth(alice)
    )
    assert response.status_code == 403
    assert response.json()["allowed"] == []


async def test_staff_move_orders_along_the_status_machine_by_role(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    soup = await dish(admin, stock=10)
    order_id = (await client.post("/api/orders", json=order_body((soup.product_id, 1)))).json()[
        "orderId"
    ]
    cook, courier = bearer("cook-1", role="cook"), bearer("courier-1", role="courier")

    async def move(headers: dict[str, str], target: str) -> httpx.Response:
        return await client.put(
            f"/api/admin/orders/{order_id}/status", json={"status": target}, headers=headers
        )

    assert (await move(cook, "confirmed")).status_code == 403
    assert (await move(ADMIN_HEADERS, "confirmed")).status_code == 200
    skip = await move(ADMIN_HEADERS, "delivered")
    assert skip.status_code == 409
    assert skip.json()["allowed"] == ["preparing", "cancelled"]
    assert "allowed: preparing, cancelled" in skip.json()["error"]
    assert (await move(courier, "preparing")).status_code == 403
    assert (await move(cook, "preparing")).status_code == 200
    ready = await move(cook, "ready")
    assert ready.status_code == 200
    assert set(ready.json()) == {"message", "status", "order"}
    assert ready.json()["order"]["status"] == "ready"
    assert (await move(cook, "delivered")).status_code == 403
    assert (await move(courier, "delivered")).status_code == 200
    final = await move(ADMIN_HEADERS, "cancelled")
    assert final.status_code == 409
    assert "final" in final.json()["error"]
    unknown = await move(ADMIN_HEADERS, "eaten")
    assert unknown.status_code == 400
    assert "Invalid status" in unknown.json()["error"]
    user = await client.put(
        f"/api/admin/orders/{order_id}/status", json={"status": "cancelled"}, headers=bearer("u")
    )
    assert user.status_code == 403
    missing = await client.put(
        "/api/admin/orders/nope/status", json={"status": "confirmed"}, headers=ADMIN_HEADERS
    )
    assert missing.status_code == 404


ADMIN_HEADERS = bearer("admin-2", role="admin")


async def test_admin_edits_an_order_and_filters_the_list(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    soup = await dish(admin, stock=10)
    first = (await client.post("/api/orders", json=order_body((soup.product_id, 1)))).json()
    second = (await client.post("/api/orders", json=order_body((soup.product_id, 2)))).json()

    edited = await admin.put(
        f"/api/admin/orders/{first['orderId']}",
        json={"status": "confirmed", "address": "Новый адрес, 5"},
    )
    assert edited.status_code == 200
    assert edited.json()["status"] == "confirmed"
    assert edited.json()["order"]["address"] == "Новый адрес, 5"
    cook_edit = await client.put(
        f"/api/admin/orders/{second['orderId']}",
        json={"address": "x"},
        headers=bearer("cook", role="cook"),
    )
    assert cook_edit.status_code == 403

    confirmed = await admin.get("/api/admin/orders", params={"status": "confirmed"})
    assert [o["id"] for o in confirmed.json()["orders"]] == [first["orderId"]]
    paged = await admin.get("/api/admin/orders", params={"limit": 1})
    assert len(paged.json()["orders"]) == 1
    assert 'rel="next"' in paged.headers["Link"]
    today = (await admin.get("/api/admin/orders/recent")).json()
    assert {o["id"] for o in today[:2]} == {first["orderId"], second["orderId"]}
    assert set(today[0]) == {"id", "userEmail", "status", "total", "createdAt"}
    bad = await admin.get("/api/admin/orders", params={"status": "lost"})
    assert bad.status_code == 400
    far = await admin.get("/api/admin/orders", params={"date": "2001-01-01"})
    assert far.json() == {"orders": []}


async def test_expired_and_forged_tokens_are_refused(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    from datetime import UTC, datetime, timedelta

    from fodi.core.security import TokenClaims, TokenCodec
    from tests.support import TEST_JWT_SECRET

    soup = await dish(admin, stock=10)
    claims = TokenClaims(user_id="u1", email="a@b.c", role="admin")
    expired = TokenCodec(TEST_JWT_SECRET).issue(claims, now=datetime.now(UTC) - timedelta(days=2))
    forged = TokenCodec("someone-elses-secret-0123456789-abcdef").issue(claims)
    for token in (expired, forged, "not.a.jwt"):
        headers = {"Authorization": f"Bearer {token}"}
        response = await client.post(
            "/api/orders", json=order_body((soup.product_id, 1)), headers=headers
        )
        assert response.status_code == 401
        assert response.json()["error"] == "Invalid or expired token"
        assert (await client.get("/api/admin/stats", headers=headers)).status_code == 401
    assert await stock_of(admin, soup.ingredient_id) == 10
