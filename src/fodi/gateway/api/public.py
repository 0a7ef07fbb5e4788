"""Health, the menu, search, recommendations and intent inspection."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field
from starlette.routing import Route

from fodi.core.errors import problem_responses
from fodi.gateway.api.deps import AssistantDep, BackendDep
from fodi.gateway.assistant.intents import Intent, classify
from fodi.gateway.client import BackendClient, ProductInfo
from fodi.gateway.client.products import ingredient_forms

router = APIRouter()
BACKEND_ERRORS = problem_responses(503)


@router.get("/health", response_class=PlainTextResponse, include_in_schema=False)
async def root_health() -> str:
    return "OK"


@router.get("/api/v1/health")
async def health(request: Request, backend: BackendDep) -> dict[str, Any]:
    consumer = getattr(request.app.state, "events", None)
    return {
        "status": "healthy",
        "service": "FodiFood AI Bot",
        "version": "1.0.0",
        "backend": "up" if await backend.health() else "down",
        "events": "connected" if consumer and consumer.connected.is_set() else "disconnected",
    }


class RenderedMenu:
    """The ``/api/v1/products`` body, rendered once per ``max_age`` seconds.

    Bots poll the menu constantly and it changes rarely; a second of staleness spares the
    backend and the gateway a parse and a render per request.
    """

    def __init__(self) -> None:
        self.stamp = -1.0
        self.body = b""
        self.lock = asyncio.Lock()

    async def get(self, backend: BackendClient, max_age: float) -> bytes:
        if max_age <= 0:
            return await self._render(backend)
        if time.monotonic() - self.stamp < max_age:
            return self.body
        async with self.lock:  # one refresh at a time; the others reuse its result
            if time.monotonic() - self.stamp >= max_age:
                self.body = await self._render(backend)
                self.stamp = time.monotonic()
            return self.body

    @staticmethod
    async def _render(backend: BackendClient) -> bytes:
        found = await backend.products.get_products()
        rows = [ProductInfo.of(p).to_json() for p in found]
        return json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()


@router.get("/api/v1/products", responses=BACKEND_ERRORS, response_model=list[ProductInfo])
async def products(request: Request) -> Response:
    """The visible menu (declared here for the OpenAPI document; served by the fast route)."""
    return await _menu_response(request)


async def _menu_response(request: Request) -> Response:
    menu: RenderedMenu | None = getattr(request.app.state, "rendered_menu", None)
    if menu is None:
        menu = request.app.state.rendered_menu = RenderedMenu()
    max_age = request.app.state.settings.gateway.products_cache_seconds
    backend: BackendClient = request.app.state.backend
    return Response(await menu.get(backend, max_age), media_type="application/json")


def fast_menu_route() -> Route:
    """``GET /api/v1/products`` as a plain Starlette route, matched before FastAPI's routes.

    Bots poll the menu more than anything else, and FastAPI's routing over the gateway's many
    routes plus its parameter handling cost several times serving the rendered bytes; the
    answers are the same (errors still go through the app's exception handlers).
    """
    return Route("/api/v1/products", _menu_response, methods=["GET"], include_in_schema=False)


@router.get("/api/v1/search", responses=BACKEND_ERRORS)
async def search(
    backend: BackendDep, ingredient: str = Query(min_length=1, max_length=100)
) -> list[dict[str, Any]]:
    found = await backend.products.filter_by_ingredient(ingredient)
    return [ProductInfo.of(p).to_json() for p in found]


class RecommendationRequest(BaseModel):
    user_id: str = Field(max_length=200)
    preferences: str | list[str] | None = None


@router.post("/api/v1/recommendations", responses=BACKEND_ERRORS)
async def recommendations(body: RecommendationRequest, backend: BackendDep) -> list[dict[str, Any]]:
    products = await backend.products.get_products(max_age=5.0)
    wanted = body.preferences if isinstance(body.preferences, list) else [body.preferences or ""]
    forms = [form for word in wanted if word.strip() for form in ingredient_forms(word[:100])]
    if forms:
        liked = [
            p
            for p in products
            if any(f in f"{p.name} {p.description or ''} {p.category or ''}".lower() for f in forms)
        ]
        products = liked + [p for p in products if p not in liked]
    return [ProductInfo.of(p).to_json() for p in products[:3]]


@router.get("/api/v1/intents/{text}")
async def intent_of(text: str, assistant: AssistantDep) -> dict[str, Any]:
    text = text[:2000]
    result = await assistant.classify(text) if assistant else classify(text)
    ingredient = (
        result.entities.ingredient if result.intent is Intent.SEARCH_BY_INGREDIENT else None
    )
    return {
        "text": text,
        "intent": result.intent.value,
        "extracted_ingredient": ingredient,
        "extracted_order_id": result.entities.order_id,
    }
