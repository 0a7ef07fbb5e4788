"""The menu: public ``/products`` and ``/categories``, admin ``/admin/products``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import TypeAdapter
from starlette.types import Receive, Scope, Send

from fodi.backend.catalog import service
from fodi.backend.catalog.cache import MenuCache
from fodi.backend.catalog.schemas import (
    CategoryIn,
    CategoryOut,
    ProductDetail,
    ProductIn,
    ProductOut,
    ProductPatch,
)
from fodi.backend.deps import IdPath, ManagerDep
from fodi.backend.schemas import Message
from fodi.core.app import EdgeRoute
from fodi.core.db import Database
from fodi.core.deps import SessionDep
from fodi.core.errors import problem_responses

router = APIRouter(prefix="/api", tags=["menu"])
PRODUCT_LIST = TypeAdapter(list[ProductOut])
SEARCH_MAX = 100
SearchText = Annotated[str | None, Query(max_length=SEARCH_MAX)]


def _menu_cache(request: Request) -> MenuCache:
    cache: MenuCache = request.app.state.menu_cache
    return cache


async def menu_bytes(
    database: Database,
    cache: MenuCache,
    *,
    name: str | None = None,
    ingredient: str | None = None,
    category: str | None = None,
) -> bytes:
    """The visible menu as JSON bytes; the unfiltered one from the cache (no session)."""

    async def build() -> bytes:
        async with database.session() as session:
            found = await service.list_products(
                session, visible_only=True, name=name, ingredient=ingredient, category=category
            )
        return PRODUCT_LIST.dump_json(found, by_alias=True)

    if name or ingredient or category:
        return await build()
    return await cache.get(build)


@router.get("/products", response_model=list[ProductOut], responses=problem_responses(400))
async def list_products(
    request: Request,
    search: SearchText = None,
    q: SearchText = None,
    ingredient: SearchText = None,
    category: SearchText = None,
) -> Response:
    """Visible dishes, newest first; ``search``/``q`` match the name, ``ingredient`` the recipe.

    Without filters the answer comes from the menu cache, also through
    :func:`menu_edge_route`.
    """
    body = await menu_bytes(
        request.app.state.db,
        _menu_cache(request),
        name=search or q,
        ingredient=ingredient,
        category=category,
    )
    return Response(body, media_type="application/json")


def menu_edge_route() -> EdgeRoute:
    """``GET /api/products`` (the unfiltered menu) answered at the edge from the cache.

    The menu is the hottest read; the framework's routing and parameter handling cost
    several times what serving the cached bytes does. :func:`list_products` above gives the
    same answer for every other form of the request.
    """

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        state = scope["app"].state
        body = await menu_bytes(state.db, state.menu_cache)
        await Response(body, media_type="application/json")(scope, receive, send)

    return EdgeRoute("/api/products", serve)


@router.get(
    "/products/{product_id}", response_model=ProductDetail, responses=problem_responses(404)
)
async def get_product(product_id: IdPath, session: SessionDep) -> ProductDetail:
    """A visible dish with its recipe."""
    return await service.product_detail(session, product_id, visible_only=True)


@router.get("/categories", response_model=list[CategoryOut])
async def list_categories(session: SessionDep) -> list[CategoryOut]:
    """Categories with the number of visible dishes in each."""
    return await service.list_categories(session, visible_only=True)


@router.get(
    "/admin/categories", response_model=list[CategoryOut], responses=problem_responses(401, 403)
)
async def admin_categories(_staff: ManagerDep, session: SessionDep) -> list[CategoryOut]:
    return await service.list_categories(session, visible_only=False)


@router.post(
    "/admin/categories",
    status_code=status.HTTP_201_CREATED,
    response_model=CategoryOut,
    responses=problem_responses(400, 401, 403, 409),
)
async def create_category(
    body: CategoryIn, _staff: ManagerDep, session: SessionDep, request: Request
) -> CategoryOut:
    category = await service.create_category(session, body.name, body.position)
    await session.commit()
    _menu_cache(request).invalidate()
    return CategoryOut(
        id=category.id, name=category.name, position=category.position, products_count=0
    )


@router.get(
    "/admin/products", response_model=list[ProductOut], responses=problem_responses(401, 403)
)
async def admin_products(
    _staff: ManagerDep,
    session: SessionDep,
    search: SearchText = None,
    ingredient: SearchText = None,
    category: SearchText = None,
) -> list[ProductOut]:
    """Every dish, hidden ones included."""
    return await service.list_products(
        session, visible_only=False, name=search, ingredient=ingredient, category=category
    )


@router.post(
    "/admin/products",
    status_code=status.HTTP_201_CREATED,
    response_model=ProductDetail,
    responses=problem_responses(400, 401, 403, 409),
)
async def create_product(
    body: ProductIn, _staff: ManagerDep, session: SessionDep, request: Request
) -> ProductDetail:
    product = await service.create_product(session, body)
    await session.commit()
    _menu_cache(request).invalidate()
    return await service.product_detail(session, product.id, visible_only=False)


@router.get(
    "/admin/products/{product_id}",
    response_model=ProductDetail,
    responses=problem_responses(401, 403, 404),
)
async def admin_get_product(
    product_id: IdPath, _staff: ManagerDep, session: SessionDep
) -> ProductDetail:
    return await service.product_detail(session, product_id, visible_only=False)


@router.put(
    "/admin/products/{product_id}",
    response_model=ProductDetail,
    responses=problem_responses(400, 401, 403, 404, 409),
)
async def update_product(
    product_id: IdPath,
    body: ProductPatch,
    _staff: ManagerDep,
    session: SessionDep,
    request: Request,
) -> ProductDetail:
    await service.update_product(session, product_id, body)
    await session.commit()
    _menu_cache(request).invalidate()
    return await service.product_detail(session, product_id, visible_only=False)


@router.delete(
    "/admin/products/{product_id}",
    response_model=Message,
    responses=problem_responses(401, 403, 404),
)
async def delete_product(
    product_id: IdPath, _staff: ManagerDep, session: SessionDep, request: Request
) -> Message:
    await service.delete_product(session, product_id)
    await session.commit()
    _menu_cache(request).invalidate()
    return Message(message="Product deleted successfully")
