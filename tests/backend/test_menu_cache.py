"""The menu cache: one build at a time, stale while revalidating, reads its own writes; and the
menu served at the edge is the same answer as the framework's route."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from fodi.backend.catalog.cache import MenuCache


class CountingBuild:
    """A menu build that counts its calls and can be held open or made to fail."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = asyncio.Event()
        self.release.set()
        self.fail = False

    async def __call__(self) -> bytes:
        self.calls += 1
        await self.release.wait()
        if self.fail:
            raise ConnectionError("database down")
        return f"menu {self.calls}".encode()


async def test_concurrent_callers_share_one_build() -> None:
    cache, build = MenuCache(), CountingBuild()
    build.release.clear()
    waiting = [asyncio.create_task(cache.get(build)) for _ in range(20)]
    await asyncio.sleep(0)
    build.release.set()
    assert set(await asyncio.gather(*waiting)) == {b"menu 1"}
    assert build.calls == 1


async def test_an_expired_menu_is_served_while_one_refresh_runs() -> None:
    cache, build = MenuCache(ttl_seconds=0.0), CountingBuild()
    assert await cache.get(build) == b"menu 1"
    build.release.clear()
    stale = await asyncio.gather(*(cache.get(build) for _ in range(10)))
    assert set(stale) == {b"menu 1"}  # nobody waited for the refresh
    assert build.calls == 2  # and only one was started
    build.release.set()
    await asyncio.sleep(0.01)
    assert await cache.get(build) == b"menu 2"


async def test_a_failed_refresh_keeps_the_previous_menu() -> None:
    cache, build = MenuCache(ttl_seconds=0.0), CountingBuild()
    assert await cache.get(build) == b"menu 1"
    build.fail = True
    assert await cache.get(build) == b"menu 1"
    await asyncio.sleep(0.01)
    assert await cache.get(build) == b"menu 1"


async def test_a_cold_build_that_fails_reaches_its_callers_and_is_retried() -> None:
    cache, build = MenuCache(), CountingBuild()
    build.fail = True
    with pytest.raises(ConnectionError):
        await cache.get(build)
    build.fail = False
    assert await cache.get(build) == b"menu 2"


async def test_a_write_during_a_build_is_never_hidden_by_it() -> None:
    cache, build = MenuCache(), CountingBuild()
    build.release.clear()
    before_write = asyncio.create_task(cache.get(build))
    await asyncio.sleep(0)
    cache.invalidate()  # a product changed while the old menu was being read
    build.release.set()
    assert await before_write == b"menu 1"
    assert await cache.get(build) == b"menu 2"  # the old build was not kept


async def test_the_edge_menu_is_the_framework_menu(
    app: FastAPI, client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    assert "/api/products" in app.state.edge_routes  # the plain GET below is the edge's
    edge = await client.get("/api/products")
    framework = await client.get("/api/products", params={"category": ""})
    assert edge.status_code == framework.status_code == 200
    assert edge.content == framework.content
    assert edge.headers["content-type"] == "application/json"
    assert edge.headers["x-request-id"]

    created = await admin.post(
        "/api/admin/products",
        json={"name": "Edge roll", "price": 100, "category": "Роллы", "isVisible": True},
    )
    assert created.status_code == 201, created.text
    names = [product["name"] for product in (await client.get("/api/products")).json()]
    assert "Edge roll" in names  # this process reads its own writes at once
