"""Login, registration and the profile, through the backend."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from fodi.core.errors import BadRequest, problem_responses
from fodi.core.errors import Unauthorized as Refused
from fodi.gateway.api.deps import BackendDep, CallerDep
from fodi.gateway.client import BackendUnavailable, InvalidRequest
from fodi.gateway.client import Conflict as Duplicate
from fodi.gateway.client import Unauthorized as BadCredentials

router = APIRouter(prefix="/api/v1")


class LoginBody(BaseModel):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class RegisterBody(LoginBody):
    name: str = Field(min_length=1, max_length=200)


@router.post("/auth/login", responses=problem_responses(400, 401, 503))
async def login(body: LoginBody, backend: BackendDep) -> dict[str, Any]:
    try:
        session = await backend.auth.login(body.email, body.password)
    except (BadCredentials, InvalidRequest) as exc:
        raise Refused(f"Login failed: {exc.message}") from exc
    return {"token": session.token, "user": _user(session.user.to_json())}


@router.post("/auth/register", responses=problem_responses(400, 409, 503))
async def register(body: RegisterBody, backend: BackendDep) -> dict[str, Any]:
    try:
        session = await backend.auth.register(body.email, body.password, body.name)
    except BackendUnavailable:
        raise
    except Duplicate:
        raise
    except InvalidRequest as exc:
        raise BadRequest(f"Registration failed: {exc.message}") from exc
    return {"token": session.token, "user": _user(session.user.to_json())}


@router.get("/user/profile", responses=problem_responses(401, 404, 503))
async def profile(caller: CallerDep, backend: BackendDep) -> dict[str, Any]:
    found = await backend.as_user(caller.token).auth.get_user_profile()
    return {"id": found.id, "email": found.email, "name": found.name, "role": found.role}


def _user(data: dict[str, Any]) -> dict[str, Any]:
    return {key: data.get(key) for key in ("id", "email", "name", "role")}
