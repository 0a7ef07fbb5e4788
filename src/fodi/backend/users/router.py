"""Accounts: ``/auth/*``, ``/user/profile``, ``/admin/users``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from fodi.backend.deps import IdPath
from fodi.backend.orders import service as orders
from fodi.backend.schemas import Message
from fodi.backend.units import from_minor
from fodi.backend.users import service
from fodi.backend.users.models import User
from fodi.backend.users.schemas import (
    AdminUserUpdate,
    LoginIn,
    LoginOut,
    ProfileOut,
    ProfileUpdate,
    RecentOrder,
    RegisterIn,
    RoleUpdate,
    RoleUpdated,
    UserOut,
    VerifyIn,
    VerifyOut,
)
from fodi.core.deps import AdminDep, ClaimsDep, SessionDep
from fodi.core.errors import Unauthorized, problem_responses
from fodi.core.pagination import PageParams, page_params, set_page_headers
from fodi.core.security import TokenClaims, TokenCodec

router = APIRouter(prefix="/api", tags=["accounts"])
PROFILE_ORDERS = 10


def user_out(user: User) -> UserOut:
    return UserOut.model_validate(user, from_attributes=True)


def _login(request: Request, user: User) -> LoginOut:
    codec: TokenCodec = request.app.state.tokens
    token = codec.issue(TokenClaims(user_id=user.id, email=user.email, role=user.role))
    return LoginOut(token=token, user=user_out(user))


async def _profile(session: AsyncSession, user: User) -> ProfileOut:
    recent = await orders.recent(session, user_id=user.id, limit=PROFILE_ORDERS)
    return ProfileOut(
        **user_out(user).model_dump(),
        orders=[
            RecentOrder(
                id=o.id, status=o.status, total=from_minor(o.total_minor), created_at=o.created_at
            )
            for o in recent
        ],
    )


@router.post("/auth/register", response_model=LoginOut, responses=problem_responses(400, 409))
async def register(body: RegisterIn, request: Request, session: SessionDep) -> LoginOut:
    """Create an account (role ``user``) and sign it in."""
    user = await service.create(session, email=body.email, name=body.name, password=body.password)
    await session.commit()
    return _login(request, user)


@router.post("/auth/login", response_model=LoginOut, responses=problem_responses(400, 401))
async def login(body: LoginIn, request: Request, session: SessionDep) -> LoginOut:
    user = await service.authenticate(session, body.email, body.password)
    await session.commit()  # a rehashed password, if the parameters changed
    return _login(request, user)


@router.post(
    "/auth/verify",
    response_model=VerifyOut,
    response_model_exclude_none=True,
    responses=problem_responses(400),
)
async def verify(body: VerifyIn, request: Request, session: SessionDep) -> VerifyOut:
    """Always 200: ``{"valid": false}`` or who the token belongs to."""
    codec: TokenCodec = request.app.state.tokens
    try:
        claims = codec.verify(body.token)
    except Unauthorized:
        return VerifyOut(valid=False)
    user = await session.get(User, claims.user_id)
    return VerifyOut(
        valid=True,
        user_id=claims.user_id,
        role=user.role if user else claims.role,
        name=user.name if user else None,
        email=user.email if user else None,
    )


@router.get("/user/profile", response_model=ProfileOut, responses=problem_responses(401, 404))
async def get_profile(claims: ClaimsDep, session: SessionDep) -> ProfileOut:
    """The signed-in person, with their recent orders."""
    return await _profile(session, await service.get(session, claims.user_id))


@router.put(
    "/user/profile", response_model=ProfileOut, responses=problem_responses(400, 401, 404, 409)
)
async def update_profile(body: ProfileUpdate, claims: ClaimsDep, session: SessionDep) -> ProfileOut:
    user = await service.get(session, claims.user_id)
    await service.update(session, user, name=body.name, email=body.email)
    await session.commit()
    return await _profile(session, user)


@router.get("/admin/users", response_model=list[UserOut], responses=problem_responses(401, 403))
async def list_users(
    _admin: AdminDep,
    session: SessionDep,
    request: Request,
    response: Response,
    page: Annotated[PageParams, Depends(page_params)],
) -> list[UserOut]:
    users, total = await service.list_users(session, page)
    set_page_headers(request, response, page, total)
    return [user_out(u) for u in users]


@router.patch(
    "/admin/users/update-role",
    response_model=RoleUpdated,
    responses=problem_responses(400, 401, 403, 404, 409),
)
async def update_role(body: RoleUpdate, admin: AdminDep, session: SessionDep) -> RoleUpdated:
    user = await service.get(session, body.user_id)
    old_role = user.role
    await service.change_role(session, user, body.role)
    await session.commit()
    return RoleUpdated(
        message="✅ User role updated successfully",
        user_id=user.id,
        old_role=old_role,
        new_role=user.role,
        name=user.name,
        email=user.email,
        updated_by=admin.email or admin.user_id,
    )


@router.put(
    "/admin/users/{user_id}",
    response_model=UserOut,
    responses=problem_responses(400, 401, 403, 404, 409),
)
async def update_user(
    user_id: IdPath, body: AdminUserUpdate, admin: AdminDep, session: SessionDep
) -> UserOut:
    user = await service.get(session, user_id)
    await service.update(session, user, name=body.name, email=body.email)
    if body.role:
        await service.change_role(session, user, body.role)
    await session.commit()
    return user_out(user)


@router.delete(
    "/admin/users/{user_id}",
    response_model=Message,
    responses=problem_responses(401, 403, 404, 409),
)
async def delete_user(user_id: IdPath, admin: AdminDep, session: SessionDep) -> Message:
    await service.delete(session, user_id, acting_user_id=admin.user_id)
    await session.commit()
    return Message(message="User deleted successfully")
