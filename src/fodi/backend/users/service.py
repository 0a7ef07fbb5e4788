"""Accounts: registration, credentials, profiles and roles.  Never commits."""

from __future__ import annotations

from asyncio import to_thread
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fodi.backend.users.models import User
from fodi.core.errors import BadRequest, Conflict, NotFound, Unauthorized
from fodi.core.pagination import PageParams
from fodi.core.security import Role, hash_password, password_needs_rehash, verify_password

ROLES = tuple(role.value for role in Role)
# Verifying against this keeps a login for an unknown email as slow as a wrong password.
_DUMMY_HASH = hash_password("not-a-real-password-just-timing")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def check_role(role: str) -> str:
    if role not in ROLES:
        raise BadRequest(f"Invalid role {role!r}; use one of: {', '.join(ROLES)}")
    return role


async def find_by_email(session: AsyncSession, email: str) -> User | None:
    found: User | None = await session.scalar(
        select(User).where(User.email == normalize_email(email))
    )
    return found


async def get(session: AsyncSession, user_id: str) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("User not found")
    return user


async def create(
    session: AsyncSession, *, email: str, name: str, password: str, role: str = Role.USER
) -> User:
    """A new account; 409 ``User already exists`` for a taken email (also under a race)."""
    check_role(role)
    if await find_by_email(session, email) is not None:
        raise Conflict("User already exists")
    user = User(
        email=normalize_email(email),
        name=name.strip(),
        password_hash=await to_thread(hash_password, password),
        role=role,
    )
    session.add(user)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("User already exists") from exc
    return user


async def authenticate(session: AsyncSession, email: str, password: str) -> User:
    user = await find_by_email(session, email)
    # Argon2 takes tens of milliseconds of CPU on purpose: off the event loop, so a login
    # never stalls the other requests (the C library releases the GIL).
    if user is None:
        await to_thread(verify_password, _DUMMY_HASH, password)
        raise Unauthorized("Invalid credentials")
    if not await to_thread(verify_password, user.password_hash, password):
        raise Unauthorized("Invalid credentials")
    if password_needs_rehash(user.password_hash):
        user.password_hash = await to_thread(hash_password, password)
    return user


async def update(
    session: AsyncSession,
    user: User,
    *,
    name: str | None = None,
    email: str | None = None,
) -> User:
    """Empty or missing values leave a field unchanged, as the original did."""
    if name:
        user.name = name.strip()
    if email and normalize_email(email) != user.email:
        if await find_by_email(session, email) is not None:
            raise Conflict("User already exists")
        user.email = normalize_email(email)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("User already exists") from exc
    return user


async def list_users(session: AsyncSession, page: PageParams) -> tuple[Sequence[User], int]:
    total = int(await session.scalar(select(func.count()).select_from(User)) or 0)
    users = await session.scalars(
        select(User).order_by(User.created_at.desc()).limit(page.limit).offset(page.offset)
    )
    return users.all(), total


async def delete(session: AsyncSession, user_id: str, *, acting_user_id: str) -> None:
    if user_id == acting_user_id:
        raise Conflict("You cannot delete your own account here")
    user = await get(session, user_id)
    await session.delete(user)
    await session.flush()


async def count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def change_role(session: AsyncSession, user: User, role: str) -> None:
    """Set a role; the last admin cannot take away their own (or anyone's) admin role."""
    check_role(role)
    if user.role == Role.ADMIN and role != Role.ADMIN:
        admins = await session.scalar(
            select(func.count()).select_from(User).where(User.role == Role.ADMIN.value)
        )
        if int(admins or 0) <= 1:
            raise Conflict("This is the last admin; promote someone else first")
    user.role = role
    await session.flush()
