"""Nodes and POS terminals: the rules of the original (franchise_network.rs), checked."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fodi.core.errors import BadRequest, NotFound
from fodi.franchise.network.models import FranchiseNode, FranchisePos

NODE_TYPES = ("OWNER", "FRANCHISE")


def check_node_fields(owner_address: object, node_type: object, city: object) -> None:
    if node_type not in NODE_TYPES:
        raise BadRequest("Invalid node type. Use 'OWNER' or 'FRANCHISE'")
    for name, value in (("owner_address", owner_address), ("city", city)):
        if not isinstance(value, str) or not value.strip() or len(value) > 128:
            raise BadRequest(f"{name} must be a non-empty string of at most 128 characters")


async def get_node(session: AsyncSession, node_id: int) -> FranchiseNode:
    node = await session.get(FranchiseNode, node_id)
    if node is None:
        raise NotFound("Node not found")
    return node


async def list_nodes(session: AsyncSession) -> Sequence[FranchiseNode]:
    return (
        (await session.execute(select(FranchiseNode).order_by(FranchiseNode.node_id)))
        .scalars()
        .all()
    )


async def pos_systems(session: AsyncSession, node_id: int) -> list[str]:
    rows = await session.execute(
        select(FranchisePos.pos_id)
        .where((FranchisePos.node_id == node_id) | FranchisePos.node_id.is_(None))
        .order_by(FranchisePos.pos_id)
    )
    return list(rows.scalars())


def check_pos_id(pos_id: object) -> str:
    return check_text(pos_id, "pos_id")


def check_text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 128:
        raise BadRequest(f"{name} must be a non-empty string of at most 128 characters")
    return value


async def node_counts(session: AsyncSession) -> tuple[int, int]:
    total = await session.scalar(select(func.count()).select_from(FranchiseNode))
    active = await session.scalar(
        select(func.count()).select_from(FranchiseNode).where(FranchiseNode.active.is_(True))
    )
    return int(total or 0), int(active or 0)


def node_json(node: FranchiseNode, pos: list[str]) -> dict[str, object]:
    """The original's FranchiseNode (registered_at in unix seconds, as it was)."""
    return {
        "node_id": node.node_id,
        "owner_address": node.owner_address,
        "node_type": node.node_type,
        "city": node.city,
        "active": node.active,
        "registered_at": int(node.registered_at.timestamp()),
        "pos_systems": pos,
    }
