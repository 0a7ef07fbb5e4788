"""Orders through the gateway, for bots and front ends (prices always from the catalog)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse

from fodi.core.errors import problem_responses
from fodi.gateway.api.deps import BackendDep, CallerDep, OptionalCallerDep
from fodi.gateway.client import NewOrder

router = APIRouter(prefix="/api/v1")


@router.post("/orders", status_code=201, responses=problem_responses(400, 401, 409, 503))
async def create_order(
    body: NewOrder,
    caller: OptionalCallerDep,
    backend: BackendDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    client = backend.as_user(caller.token if caller else None)
    created = await client.orders.create_order(body, idempotency_key=idempotency_key)
    return JSONResponse(created.to_json(), status_code=201)


@router.get("/orders", responses=problem_responses(401, 503))
async def my_orders(caller: CallerDep, backend: BackendDep) -> list[dict[str, Any]]:
    return [o.to_json() for o in await backend.as_user(caller.token).orders.get_orders()]
