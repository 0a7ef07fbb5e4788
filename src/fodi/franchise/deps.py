"""Dependencies of the franchise routes: the process state and the caller's API key."""

from __future__ import annotations

import asyncio
from typing import Annotated

import structlog
from fastapi import Depends, FastAPI, Header, Request
from sqlalchemy.ext.asyncio import AsyncSession

from fodi.core.deps import SessionDep
from fodi.core.errors import ServiceUnavailable
from fodi.franchise import flows
from fodi.franchise.auth.roles import Permission
from fodi.franchise.auth.service import Principal
from fodi.franchise.state import FranchiseState

log = structlog.get_logger(__name__)


async def get_state(request: Request, session: SessionDep) -> FranchiseState:
    """The loaded keyring and ledger; created on first use outside production."""
    return await ensure_state(request.app, session)


async def ensure_state(app: FastAPI, session: AsyncSession) -> FranchiseState:
    """:func:`get_state` for callers outside FastAPI's dependencies (the POS fast path)."""
    app_state = app.state
    state: FranchiseState | None = getattr(app_state, "franchise", None)
    if state is not None:
        return state
    lock: asyncio.Lock = app_state.franchise_lock
    async with lock:
        state = getattr(app_state, "franchise", None)
        if state is None:
            state = await flows.load_state(session, app_state.settings)
            if state is None:
                if app_state.settings.is_production:
                    raise ServiceUnavailable(
                        "The network is not initialised: run `fodi franchise init`"
                    )
                await flows.initialise(session, app_state.settings)
                log.warning(
                    "franchise network initialised with a throw-away mnemonic; "
                    "run `fodi franchise init` on a fresh database for a recoverable one"
                )
                state = await flows.load_state(session, app_state.settings)
                assert state is not None
            app_state.franchise = state
    return state


StateDep = Annotated[FranchiseState, Depends(get_state)]


def api_key(x_api_key: str | None, authorization: str | None) -> str | None:
    """The caller's key, from ``X-API-Key`` or ``Authorization: Bearer``."""
    if x_api_key:
        return x_api_key.strip()
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


async def request_api_key(
    x_api_key: Annotated[str | None, Header(include_in_schema=False)] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> str | None:
    """:func:`api_key` as a dependency (``async``: no worker thread per request)."""
    return api_key(x_api_key, authorization)


async def get_principal(
    state: StateDep, session: SessionDep, token: Annotated[str | None, Depends(request_api_key)]
) -> Principal:
    return await state.keys.resolve(session, token)


PrincipalDep = Annotated[Principal, Depends(get_principal)]

READERS = (Permission.VIEW_FINANCIALS, Permission.PROCESS_TRANSACTIONS, Permission.VIEW_AUDIT_LOGS)


def require_any(principal: Principal, *permissions: Permission) -> None:
    if not any(principal.can(p) for p in permissions):
        principal.require(permissions[0])
