"""Dependencies of the gateway's routes: the backend client, the assistant, the caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from fodi.core.deps import AuthorizationHeader, token_codec_of
from fodi.core.errors import Forbidden
from fodi.core.security import bearer_token
from fodi.gateway.assistant.engine import Assistant
from fodi.gateway.client import BackendClient
from fodi.gateway.identity import Caller, caller_from_token
from fodi.gateway.ws.hub import Hub


async def get_backend(request: Request) -> BackendClient:
    backend: BackendClient = request.app.state.backend
    return backend


async def get_assistant(request: Request) -> Assistant:
    assistant: Assistant = request.app.state.assistant
    return assistant


async def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


async def optional_caller(
    request: Request, authorization: AuthorizationHeader = None
) -> Caller | None:
    """The signed-in caller, None for a guest; a present but bad token is a 401."""
    if not authorization:
        return None
    return caller_from_token(token_codec_of(request), bearer_token(authorization))


async def required_caller(request: Request, authorization: AuthorizationHeader = None) -> Caller:
    return caller_from_token(token_codec_of(request), bearer_token(authorization))


async def admin_caller(caller: Annotated[Caller, Depends(required_caller)]) -> Caller:
    if not caller.is_admin:
        raise Forbidden("Admin access required")
    return caller


async def staff_caller(caller: Annotated[Caller, Depends(required_caller)]) -> Caller:
    if not caller.is_staff:
        raise Forbidden("Staff access required")
    return caller


BackendDep = Annotated[BackendClient, Depends(get_backend)]
AssistantDep = Annotated[Assistant, Depends(get_assistant)]
HubDep = Annotated[Hub, Depends(get_hub)]
OptionalCallerDep = Annotated[Caller | None, Depends(optional_caller)]
CallerDep = Annotated[Caller, Depends(required_caller)]
AdminCallerDep = Annotated[Caller, Depends(admin_caller)]
StaffCallerDep = Annotated[Caller, Depends(staff_caller)]
