"""REST for sales, and the one way every route records a sale (batched or direct)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from fodi.core.db import Database
from fodi.core.deps import SessionDep
from fodi.core.errors import AppError, BadRequest, NotFound, PayloadTooLarge
from fodi.franchise import flows
from fodi.franchise.auth.roles import FranchiseRole, Permission
from fodi.franchise.auth.service import Principal
from fodi.franchise.deps import READERS, PrincipalDep, StateDep, require_any
from fodi.franchise.envelope import API_PREFIX, ok
from fodi.franchise.sales.batcher import SaleBatcher
from fodi.franchise.sales.models import FranchiseSale
from fodi.franchise.sales.service import parse_sale
from fodi.franchise.state import FranchiseState

router = APIRouter(prefix=API_PREFIX, tags=["sales"])
MAX_BODY = 256 * 1024  # as the POS command API


async def record_sale(
    app: FastAPI,
    state: FranchiseState,
    session: Any | None,
    principal: Principal,
    payload: Any,
) -> dict[str, Any]:
    """Authorise, validate and record one RecordSale payload; raises the refusal.

    ``session`` may be None (the POS route's fast path): a batch opens its own, and a direct
    recording opens one here.
    """
    principal.require(Permission.PROCESS_TRANSACTIONS)
    command = parse_sale(payload, state.config)
    principal.require_sale_at(command.node_id, command.pos_id)
    batcher: SaleBatcher | None = app.state.sale_batcher
    if batcher is not None:
        if session is not None:
            await session.close()  # the batch has its own transaction; free the connection
        outcome = await batcher.submit(state, command)
    elif session is None:
        database: Database = app.state.db
        async with database.session() as own:
            (outcome,) = await flows.record_sales(state, own, [command])
    else:
        (outcome,) = await flows.record_sales(state, session, [command])
    if isinstance(outcome, AppError):
        raise outcome
    return outcome


def _may_see_check(principal: Principal, pos_id: str) -> bool:
    return principal.pos_id == pos_id or principal.role in (
        FranchiseRole.SUPER_ADMIN,
        FranchiseRole.ADMIN,
    )


@router.post("/sales", status_code=201, summary="RecordSale (REST form)")
async def post_sale(
    request: Request, state: StateDep, session: SessionDep, principal: PrincipalDep
) -> JSONResponse:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise PayloadTooLarge(f"Request body over {MAX_BODY} bytes")
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise BadRequest("Malformed JSON body") from exc
    outcome = await record_sale(request.app, state, session, principal, payload)
    return ok(outcome, status=200 if outcome.get("replayed") else 201)


@router.get("/sales/{sale_id}")
async def get_sale(
    sale_id: str, state: StateDep, session: SessionDep, principal: PrincipalDep
) -> JSONResponse:
    require_any(principal, *READERS)
    sale = await session.get(FranchiseSale, sale_id)
    if sale is None:
        raise NotFound("Sale not found")
    minting = dict(sale.minting.items())
    if not _may_see_check(principal, sale.pos_id):
        # The check id is half of what claims the buyer's units: only the terminal that sold
        # (it printed the receipt) and the operators may read it.
        minting.pop("check", None)
    return ok(
        {
            "sale_id": sale.sale_id,
            "node_id": sale.node_id,
            "pos_id": sale.pos_id,
            "price_subunits": sale.price_subunits,
            "minting": minting,
            "ledger_index": sale.ledger_index,
            "created_at": sale.created_at.isoformat(),
        }
    )
