"""API keys: issue (the token is printed once, only its digest is kept), resolve, revoke."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fodi.core.db import utcnow
from fodi.core.errors import BadRequest, Forbidden, NotFound, Unauthorized
from fodi.core.security import new_api_token, token_digest
from fodi.franchise.auth.models import FranchiseApiKey
from fodi.franchise.auth.roles import FranchiseRole, Permission, has_permission
from fodi.franchise.network.models import FranchiseNode, FranchisePos

KEY_PREFIX = "hps"


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: str
    role: FranchiseRole
    pos_id: str | None
    node_id: int | None = None  # a FranchiseOwner's own node

    def can(self, permission: Permission) -> bool:
        return has_permission(self.role, permission)

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise Forbidden(f"Role {self.role} lacks the {permission} permission")

    def require_sale_at(self, node_id: int, pos_id: str) -> None:
        """A POS key sells at its own terminal, an owner key at its own node's terminals."""
        if self.pos_id is not None and self.pos_id != pos_id:
            raise Forbidden(f"This key belongs to POS {self.pos_id!r}")
        if self.role is FranchiseRole.FRANCHISE_OWNER and self.node_id != node_id:
            if self.node_id is None:
                raise Forbidden("This owner key names no node; create one with its node")
            raise Forbidden(f"This key belongs to node {self.node_id}")


async def create_key(
    session: AsyncSession,
    role: FranchiseRole,
    pos_id: str | None = None,
    label: str = "",
    node_id: int | None = None,
) -> tuple[FranchiseApiKey, str]:
    """A new key; the caller shows the returned token once.

    A POS key names its terminal; a FranchiseOwner key names its node (and acts for it
    alone); no other key names either.
    """
    await _check_node_binding(session, role, node_id, pos_id)
    if pos_id is not None:
        if await session.get(FranchisePos, pos_id) is None:
            raise NotFound(f"POS {pos_id!r} is not whitelisted; whitelist it first")
        role = FranchiseRole.POS_OPERATOR
    elif role in (FranchiseRole.POS_OPERATOR, FranchiseRole.CASHIER):
        raise BadRequest("a POS key names its terminal (--pos POS_ID)")
    token = new_api_token(KEY_PREFIX)
    key = FranchiseApiKey(
        digest=token_digest(token), role=role.value, pos_id=pos_id, node_id=node_id, label=label
    )
    session.add(key)
    await session.flush()
    return key, token


async def _check_node_binding(
    session: AsyncSession, role: FranchiseRole, node_id: int | None, pos_id: str | None
) -> None:
    if role is FranchiseRole.FRANCHISE_OWNER and pos_id is None:
        if node_id is None:
            raise BadRequest("a FranchiseOwner key names its node (--node NODE_ID)")
        if await session.get(FranchiseNode, node_id) is None:
            raise NotFound(f"Node {node_id} not found")
    elif node_id is not None:
        raise BadRequest("only a FranchiseOwner key names a node")


async def revoke_key(session: AsyncSession, key_id: str) -> None:
    result = await session.execute(
        update(FranchiseApiKey)
        .where(FranchiseApiKey.id == key_id, FranchiseApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound("No such active key")


class KeyResolver:
    """Token to principal, with a short cache (``key_cache_seconds``; revocation lags by it)."""

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl = ttl_seconds
        self._cache: dict[str, tuple[float, Principal]] = {}

    def cached(self, token: str | None) -> Principal | None:
        """The principal of a token resolved less than ``ttl`` ago, without the database."""
        if not token:
            return None
        cached = self._cache.get(token_digest(token))
        if cached is not None and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        return None

    async def resolve(self, session: AsyncSession, token: str | None) -> Principal:
        if not token:
            raise Unauthorized("API key required (X-API-Key or Authorization: Bearer)")
        digest = token_digest(token)
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        key = (
            await session.execute(
                select(FranchiseApiKey).where(
                    FranchiseApiKey.digest == digest, FranchiseApiKey.revoked_at.is_(None)
                )
            )
        ).scalar_one_or_none()
        if key is None:
            self._cache.pop(digest, None)
            raise Unauthorized("Invalid API key")
        principal = Principal(key.id, FranchiseRole(key.role), key.pos_id, key.node_id)
        if self.ttl > 0:
            self._cache[digest] = (now, principal)
        return principal
