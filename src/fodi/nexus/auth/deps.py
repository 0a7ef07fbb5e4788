"""The caller of a request, from its ``Authorization: Bearer`` service token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from fodi.core.deps import AuthorizationHeader, SessionDep, SettingsDep
from fodi.core.security import bearer_token
from fodi.nexus.auth.service import Caller, authenticate


async def current_caller(
    session: SessionDep, settings: SettingsDep, authorization: AuthorizationHeader = None
) -> Caller:
    """401 (problem document) for a missing, malformed, unknown or revoked token."""
    return await authenticate(
        session, bearer_token(authorization), cache_seconds=settings.nexus.token_cache_seconds
    )


async def admin_caller(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
    caller.require_admin()
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]
AdminCallerDep = Annotated[Caller, Depends(admin_caller)]
