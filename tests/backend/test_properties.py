"""Invariants under random inputs: exact money, stock that never goes negative."""

from __future__ import annotations

from decimal import Decimal

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fodi.backend.units import from_milli, from_minor, to_milli, to_minor
from tests.backend.helpers import dish, order_body, stock_of, unique

prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
lines = st.lists(st.tuples(prices, st.integers(min_value=1, max_value=100)), min_size=1, max_size=6)
FIXTURES_SHARED = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@given(amount=prices)
def test_minor_units_round_trip_exactly(amount: Decimal) -> None:
    assert Decimal(str(from_minor(to_minor(amount)))) == amount
    assert Decimal(str(from_milli(to_milli(amount)))) == amount


@FIXTURES_SHARED
@given(order_lines=lines)
async def test_an_order_total_is_the_exact_sum_of_catalog_prices(
    client: httpx.AsyncClient, admin: httpx.AsyncClient, order_lines: list[tuple[Decimal, int]]
) -> None:
    products = []
    for price, _ in order_lines:
        created = await admin.post(
            "/api/admin/products",
            json={
                "name": unique("Блюдо"),
                "price": str(price),
                "category": "Тест",
                "isVisible": True,
            },
        )
        assert created.status_code == 201, created.text
        products.append(created.json()["id"])
    body = order_body(*((pid, qty) for pid, (_, qty) in zip(products, order_lines, strict=True)))
    for item in body["items"]:
        item["price"] = 0.1  # a client-sent price never matters

    response = await client.post("/api/orders", json=body)

    assert response.status_code == 201, response.text
    expected = sum((price * qty for price, qty in order_lines), Decimal(0))
    assert Decimal(str(response.json()["total"])) == expected
    stored = await admin.get(f"/api/orders/{response.json()['orderId']}")
    assert Decimal(str(stored.json()["total"])) == expected


operations = st.lists(
    st.one_of(
        st.tuples(st.just("order"), st.integers(min_value=1, max_value=6)),
        st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=20)),
    ),
    min_size=1,
    max_size=12,
)


@FIXTURES_SHARED
@given(ops=operations, per_portion=st.sampled_from(["1", "0.5", "0.333", "2.25"]))
async def test_stock_never_goes_negative_and_always_adds_up(
    client: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    ops: list[tuple[str, int]],
    per_portion: str,
) -> None:
    start = Decimal(10)
    portion = Decimal(per_portion)
    soup = await dish(admin, stock=str(start), per_portion=per_portion)
    active: dict[str, int] = {}
    for kind, number in ops:
        level = Decimal(str(await stock_of(admin, soup.ingredient_id)))
        if kind == "order":
            response = await client.post("/api/orders", json=order_body((soup.product_id, number)))
            if portion * number <= level:
                assert response.status_code == 201, response.text
                active[response.json()["orderId"]] = number
            else:
                assert response.status_code == 409
        elif active:
            order_id = sorted(active)[number % len(active)]
            response = await admin.put(
                f"/api/admin/orders/{order_id}/status", json={"status": "cancelled"}
            )
            assert response.status_code == 200
            del active[order_id]
        level = Decimal(str(await stock_of(admin, soup.ingredient_id)))
        assert level >= 0
        assert level == start - portion * sum(active.values())
