"""REST for wallets, checks (claim with the activation code) and transfers."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from fodi.core.deps import SessionDep
from fodi.core.errors import NotFound
from fodi.franchise import flows
from fodi.franchise.auth.roles import Permission
from fodi.franchise.deps import READERS, PrincipalDep, StateDep, require_any
from fodi.franchise.envelope import API_PREFIX, ok
from fodi.franchise.wallets import service as wallets
from fodi.franchise.wallets.models import FranchiseCheck, FranchiseWallet

router = APIRouter(prefix=API_PREFIX, tags=["wallets"])


class ClaimIn(BaseModel):
    activation_code: str = Field(min_length=1, max_length=16)
    to_address: str | None = Field(default=None, min_length=1, max_length=128)


class TransferIn(BaseModel):
    from_address: str = Field(alias="from", min_length=1, max_length=128)
    to_address: str = Field(alias="to", min_length=1, max_length=128)
    units: int


@router.get("/wallets/{address}")
async def get_wallet(
    address: str, state: StateDep, session: SessionDep, principal: PrincipalDep
) -> JSONResponse:
    require_any(principal, *READERS)
    wallet = await session.get(FranchiseWallet, address)
    if wallet is None:
        return ok({"address": address, "balance": 0})
    return ok(
        {
            "address": address,
            "balance": wallet.balance,
            "kind": wallet.kind,
            "derivation_path": wallet.path,
        }
    )


@router.get("/checks/{check_id}")
async def get_check(check_id: str, state: StateDep, session: SessionDep) -> JSONResponse:
    """Public: a customer holding the check id sees its state (never its code)."""
    check = await session.get(FranchiseCheck, check_id)
    if check is None:
        raise NotFound("Check wallet not found")
    return ok(
        {
            "check_id": check.check_id,
            "address": check.address,
            "units": check.units,
            "status": check.status,
            "expires_at": check.expires_at.isoformat(),
            "claimed_to": check.claimed_to,
        }
    )


@router.post("/checks/{check_id}/claim")
async def claim(check_id: str, body: ClaimIn, state: StateDep, session: SessionDep) -> JSONResponse:
    """The activation code is the credential (attempts are limited per check)."""
    return ok(
        await flows.claim_check(state, session, check_id, body.activation_code, body.to_address)
    )


@router.post("/checks/expire")
async def expire(state: StateDep, session: SessionDep, principal: PrincipalDep) -> JSONResponse:
    principal.require(Permission.MANAGE_SYSTEM)
    return ok({"expired": await flows.expire_checks(state, session)})


@router.post("/transfers", status_code=201)
async def transfer(
    body: TransferIn, state: StateDep, session: SessionDep, principal: PrincipalDep
) -> JSONResponse:
    principal.require(Permission.TRANSFER_TOKENS)
    principal.require(Permission.MANAGE_SYSTEM)  # no wallet signatures yet: operators only
    result = await flows.transfer(state, session, body.from_address, body.to_address, body.units)
    return ok(result, status=201)


@router.get("/wallets/{address}/postings")
async def postings(
    address: str, state: StateDep, session: SessionDep, principal: PrincipalDep
) -> JSONResponse:
    require_any(principal, *READERS)
    return ok(
        {
            "address": address,
            "balance": await wallets.balance(session, address),
            "posted_balance": await wallets.posted_balance(session, address),
        }
    )
