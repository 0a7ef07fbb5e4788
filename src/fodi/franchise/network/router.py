"""REST for the network: nodes, POS terminals, keys and the network's figures."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from fodi.core.deps import SessionDep
from fodi.franchise import flows
from fodi.franchise.auth import service as keys
from fodi.franchise.auth.roles import FranchiseRole, Permission
from fodi.franchise.deps import READERS, PrincipalDep, StateDep, require_any
from fodi.franchise.envelope import API_PREFIX, ok
from fodi.franchise.network import service as network

router = APIRouter(prefix=API_PREFIX, tags=["network"])


class NodeIn(BaseModel):
    owner_address: str = Field(min_length=1, max_length=128)
    node_type: str
    city: str = Field(min_length=1, max_length=128)


class NodePatch(BaseModel):
    active: bool


class PosIn(BaseModel):
    pos_id: str = Field(min_length=1, max_length=128)
    node_id: int | None = None


class KeyIn(BaseModel):
    role: FranchiseRole = FranchiseRole.POS_OPERATOR
    pos_id: str | None = None
    node_id: int | None = None  # a FranchiseOwner key's node
    label: str = Field(default="", max_length=128)


@router.get("/network/stats")
async def stats(state: StateDep, session: SessionDep, principal: PrincipalDep) -> JSONResponse:
    require_any(principal, *READERS)
    return ok(await flows.network_stats(state, session))


@router.get("/nodes")
async def list_nodes(state: StateDep, session: SessionDep, principal: PrincipalDep) -> JSONResponse:
    require_any(principal, *READERS)
    nodes = await network.list_nodes(session)
    return ok([network.node_json(n, await network.pos_systems(session, n.node_id)) for n in nodes])


@router.post("/nodes", status_code=201)
async def create_node(
    body: NodeIn, state: StateDep, session: SessionDep, principal: PrincipalDep
) -> JSONResponse:
    principal.require(Permission.MANAGE_NODES)
    node = await flows.register_node(state, session, body.owner_address, body.node_type, body.city)
    return ok(network.node_json(node, []), status=201)


@router.get("/nodes/{node_id}")
async def get_node(
    node_id: int, state: StateDep, session: SessionDep, principal: PrincipalDep
) -> JSONResponse:
    require_any(principal, *READERS)
    node = await network.get_node(session, node_id)
    return ok(network.node_json(node, await network.pos_systems(session, node_id)))


@router.patch("/nodes/{node_id}")
async def patch_node(
    node_id: int, body: NodePatch, state: StateDep, session: SessionDep, principal: PrincipalDep
) -> JSONResponse:
    principal.require(Permission.MANAGE_NODES)
    node = await flows.set_node_active(state, session, node_id, body.active)
    return ok(network.node_json(node, await network.pos_systems(session, node_id)))


@router.post("/pos-systems", status_code=201)
async def whitelist(
    body: PosIn, state: StateDep, session: SessionDep, principal: PrincipalDep
) -> JSONResponse:
    principal.require(Permission.MANAGE_NODES)
    pos = await flows.whitelist_pos(state, session, body.pos_id, body.node_id)
    return ok({"pos_id": pos.pos_id, "node_id": pos.node_id}, status=201)


@router.post("/keys", status_code=201)
async def create_key(
    body: KeyIn, state: StateDep, session: SessionDep, principal: PrincipalDep
) -> JSONResponse:
    principal.require(Permission.MANAGE_ROLES)
    key, token = await keys.create_key(
        session, body.role, body.pos_id, body.label, node_id=body.node_id
    )
    await session.commit()
    created = {"id": key.id, "role": key.role, "pos_id": key.pos_id, "node_id": key.node_id}
    return ok({**created, "token": token}, status=201)


@router.delete("/keys/{key_id}")
async def revoke_key(
    key_id: str, state: StateDep, session: SessionDep, principal: PrincipalDep
) -> JSONResponse:
    principal.require(Permission.MANAGE_ROLES)
    await keys.revoke_key(session, key_id)
    await session.commit()
    return ok({"id": key_id, "revoked": True})
