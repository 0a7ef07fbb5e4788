"""The log's read API (public, as a transparency log is) and on-demand checkpoints."""

from __future__ import annotations

import base64
import binascii
import struct
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from fodi.core.deps import SessionDep
from fodi.core.errors import BadRequest
from fodi.franchise.auth.roles import Permission
from fodi.franchise.deps import PrincipalDep, StateDep
from fodi.franchise.envelope import API_PREFIX, ok
from fodi.franchise.ledger import service as ledger_service
from fodi.franchise.ledger.models import FranchiseCheckpoint

router = APIRouter(prefix=f"{API_PREFIX}/ledger", tags=["ledger"])

MAX_JSON_ENTRIES = 1_000
MAX_BUNDLE_ENTRIES = 100_000
BUNDLE_MEDIA_TYPE = "application/x.fodi.entry-bundle"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _checkpoint_json(row: FranchiseCheckpoint) -> dict[str, object]:
    return {"size": row.size, "root": _b64(row.root), "note": row.note}


@router.get("/key")
async def key(state: StateDep) -> JSONResponse:
    ledger = state.ledger
    return ok({"origin": ledger.origin, "vkey": ledger.vkey, "public_key": ledger.public_key.hex()})


@router.get("/checkpoint")
async def latest_checkpoint(state: StateDep, session: SessionDep) -> JSONResponse:
    return ok(_checkpoint_json(await state.ledger.latest(session)))


@router.post("/checkpoint")
async def make_checkpoint(
    state: StateDep, session: SessionDep, principal: PrincipalDep
) -> JSONResponse:
    principal.require(Permission.MANAGE_SYSTEM)
    await state.ledger.checkpoint_now(session)
    return ok(_checkpoint_json(await state.ledger.latest(session)))


@router.get("/checkpoints")
async def checkpoint_history(
    state: StateDep,
    session: SessionDep,
    after: Annotated[int, Query(ge=-1)] = -1,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1_000,
) -> JSONResponse:
    rows = await ledger_service.checkpoints(session, after, limit)
    return ok([{"size": r.size, "note": r.note} for r in rows])


def _range(start: int, end: int | None, limit: int) -> tuple[int, int]:
    stop = start + limit if end is None else end
    if start < 0 or stop <= start or stop - start > limit:
        raise BadRequest(f"ask for 1 to {limit} entries: 0 <= start < end <= start + {limit}")
    return start, stop


@router.get("/entries")
async def entries(
    state: StateDep,
    session: SessionDep,
    start: Annotated[int, Query(ge=0)] = 0,
    end: int | None = None,
) -> JSONResponse:
    first, stop = _range(start, end, MAX_JSON_ENTRIES)
    rows = await ledger_service.entries(session, first, stop)
    return ok(
        [
            {"index": r.idx, "kind": r.kind, "body": _b64(r.body), "leaf_hash": r.leaf_hash.hex()}
            for r in rows
        ]
    )


@router.get("/entries/bundle", response_class=Response)
async def entry_bundle(
    state: StateDep,
    session: SessionDep,
    start: Annotated[int, Query(ge=0)] = 0,
    end: int | None = None,
) -> Response:
    """Entries as ``u64 index || u32 length || canonical bytes``, big-endian, one after another."""
    first, stop = _range(start, end, MAX_BUNDLE_ENTRIES)
    rows = await ledger_service.raw_entries(session, first, stop)
    parts = [struct.pack(">QI", idx, len(body)) + body for idx, body in rows]
    return Response(b"".join(parts), media_type=BUNDLE_MEDIA_TYPE)


def _leaf(value: str) -> bytes:
    try:
        leaf = bytes.fromhex(value) if len(value) == 64 else base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise BadRequest("leaf_hash is 32 bytes in hex or base64") from exc
    if len(leaf) != 32:
        raise BadRequest("leaf_hash is 32 bytes in hex or base64")
    return leaf


@router.get("/proof/inclusion")
async def inclusion(
    state: StateDep,
    session: SessionDep,
    index: Annotated[int | None, Query(ge=0)] = None,
    leaf_hash: str | None = None,
    tree_size: Annotated[int | None, Query(ge=0)] = None,
) -> JSONResponse:
    if (index is None) == (leaf_hash is None):
        raise BadRequest("give either index or leaf_hash")
    if index is None:
        assert leaf_hash is not None
        index = await state.ledger.index_of(session, _leaf(leaf_hash))
    size, proof = await state.ledger.inclusion(session, index, tree_size)
    return ok({"index": index, "tree_size": size, "proof": [_b64(p) for p in proof]})


@router.get("/proof/consistency")
async def consistency(
    state: StateDep,
    session: SessionDep,
    first: Annotated[int, Query(ge=0)],
    second: Annotated[int | None, Query(ge=0)] = None,
) -> JSONResponse:
    size, proof = await state.ledger.consistency(session, first, second)
    return ok({"first": first, "second": size, "proof": [_b64(p) for p in proof]})
