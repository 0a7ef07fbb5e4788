"""``POST /api/v1/pos``: the original POS command objects, unchanged, in their envelope.

``{"RegisterNode": {...}}``, ``{"RecordSale": {...}}``, ``{"WhitelistPos": {...}}``,
``{"GetNetworkStats": null}``, ``{"GetWalletBalance": "<address>"}``, ``{"GetNodeInfo": n}``.
Unlike the original (always 200, no key) a caller needs a valid POS or admin key, and
failures carry their real HTTP status.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from fodi.core.db import Database
from fodi.core.errors import AppError, BadRequest
from fodi.franchise import flows
from fodi.franchise.auth.roles import Permission
from fodi.franchise.auth.service import Principal
from fodi.franchise.deps import READERS, api_key, ensure_state, require_any
from fodi.franchise.envelope import API_PREFIX, error_response, ok
from fodi.franchise.network import service as network
from fodi.franchise.sales.router import record_sale
from fodi.franchise.state import FranchiseState
from fodi.franchise.wallets import service as wallets

router = APIRouter(prefix=API_PREFIX, tags=["pos"])
MAX_BODY = 256 * 1024


@router.post("/pos", summary="The original POS command API")
async def pos_command(request: Request) -> JSONResponse:
    """The documented route; :class:`PosEndpoint` answers it first at run time."""
    return await answer(request.app, await request.body(), request.headers.get)


async def answer(app: FastAPI, body: bytes, header: Callable[[str], str | None]) -> JSONResponse:
    """One POS command: the envelope with the real status, errors included."""
    # No FastAPI dependencies on the hottest route: the session is opened here (it takes a
    # connection only if a query runs; a RecordSale with a cached key runs none here).
    database: Database = app.state.db
    try:
        if len(body) > MAX_BODY:
            raise BadRequest("Request too large")
        token = api_key(header("x-api-key"), header("authorization"))
        state: FranchiseState | None = app.state.franchise
        principal = state.keys.cached(token) if state is not None else None
        if state is not None and principal is not None:
            # The common case, a known caller: a RecordSale needs no session of its own here
            # (the batch has its own), so none is opened.
            command, payload = _parse(body)
            if command == "RecordSale":
                return ok(await record_sale(app, state, None, principal, payload))
        async with database.session() as session:
            state = await ensure_state(app, session)
            principal = await state.keys.resolve(session, token)
            command, payload = _parse(body)
            data = await _dispatch(app, state, session, principal, command, payload)
    except AppError as exc:
        return error_response(exc)
    return ok(data)


class PosEndpoint:
    """``POST /api/v1/pos`` as a bare ASGI app, routed before the documented route.

    Every POS terminal's sale comes through here, and FastAPI's per-route machinery (the
    request object, two exit stacks per request, the body stream through its wrappers)
    cost about as much CPU as recording the sale itself.  The platform middleware (request
    id, metrics, access line, error handlers) still wraps it; only the route layer is bare.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = _headers(scope)
        try:
            body = await _read_body(receive)
        except BadRequest as exc:
            response = error_response(exc)
        else:
            response = await answer(scope["app"], body, headers.get)
        await response(scope, receive, send)


def _headers(scope: Scope) -> dict[str, str]:
    """The two headers a POS command reads, by lower-case name."""
    wanted = {}
    for name, value in scope["headers"]:
        if name in (b"x-api-key", b"authorization"):
            wanted[name.decode("latin-1")] = value.decode("latin-1")
    return wanted


async def _read_body(receive: Receive) -> bytes:
    """The request body, refused past ``MAX_BODY`` without reading the rest."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise BadRequest("Request too large")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def install_pos_endpoint(app: FastAPI) -> None:
    """Route ``POST /api/v1/pos`` to :class:`PosEndpoint` ahead of the documented route."""
    route = Route(f"{API_PREFIX}/pos", PosEndpoint(), methods=["POST"], include_in_schema=False)
    app.router.routes.insert(0, route)


def _parse(body: bytes) -> tuple[str, Any]:
    try:
        parsed = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest("Invalid request") from exc
    if not isinstance(parsed, dict) or len(parsed) != 1:
        raise BadRequest("Invalid request")
    ((command, payload),) = parsed.items()
    return command, payload


async def _dispatch(
    app: FastAPI,
    state: FranchiseState,
    session: Any,
    principal: Principal,
    command: str,
    payload: Any,
) -> Any:
    if command == "RecordSale":
        return await record_sale(app, state, session, principal, payload)
    if command == "RegisterNode":
        principal.require(Permission.MANAGE_NODES)
        if not isinstance(payload, dict):
            raise BadRequest("Invalid request")
        node = await flows.register_node(
            state,
            session,
            payload.get("owner_address"),  # type: ignore[arg-type]
            payload.get("node_type"),  # type: ignore[arg-type]
            payload.get("city"),  # type: ignore[arg-type]
        )
        return {"node_id": node.node_id}
    if command == "WhitelistPos":
        principal.require(Permission.MANAGE_NODES)
        if not isinstance(payload, dict):
            raise BadRequest("Invalid request")
        node_id = payload.get("node_id")
        if node_id is not None and (isinstance(node_id, bool) or not isinstance(node_id, int)):
            raise BadRequest("node_id must be an integer")
        await flows.whitelist_pos(state, session, payload.get("pos_id"), node_id)  # type: ignore[arg-type]
        return {"message": "POS system whitelisted"}
    if command == "GetNetworkStats":
        require_any(principal, *READERS)
        return await flows.network_stats(state, session)
    if command == "GetWalletBalance":
        require_any(principal, *READERS)
        if not isinstance(payload, str):
            raise BadRequest("Invalid request")
        return {"address": payload, "balance": await wallets.balance(session, payload)}
    if command == "GetNodeInfo":
        require_any(principal, *READERS)
        if isinstance(payload, bool) or not isinstance(payload, int):
            raise BadRequest("Invalid request")
        node = await network.get_node(session, payload)
        return network.node_json(node, await network.pos_systems(session, payload))
    raise BadRequest("Invalid request")
