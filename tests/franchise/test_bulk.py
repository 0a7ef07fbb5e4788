"""The hot path's multi-row inserts (raw asyncpg on PostgreSQL) and the POS route's fast path."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.exc import IntegrityError

from fodi.core.db import Database, utcnow
from fodi.core.settings import Settings
from fodi.franchise.app import create_app
from fodi.franchise.auth.roles import FranchiseRole
from fodi.franchise.bulk import insert_rows
from fodi.franchise.ledger.models import FranchiseLedgerEntry
from fodi.franchise.sales.models import FranchiseSale
from tests.franchise.conftest import Network
from tests.franchise.helpers import pos, sale

SALES = cast(Table, FranchiseSale.__table__)
ENTRIES = cast(Table, FranchiseLedgerEntry.__table__)


def _sale_row(sale_id: str, index: int) -> dict[str, object]:
    return {
        "sale_id": sale_id,
        "node_id": 7,
        "pos_id": "pos_ü",
        "price_subunits": 2**40,
        "content_hash": "ab" * 32,
        "minting": {"mint_id": f"mint_7_{index}", "check": {"units": 49, "note": "ü"}},
        "check_id": f"chk{index}",
        "ledger_index": index,
        "created_at": utcnow() - timedelta(days=index),
    }


async def test_rows_read_back_as_written(db: Database) -> None:
    rows = [_sale_row(f"bulk-{n}", n) for n in range(3)]
    entries = [
        {
            "idx": 10_000 + n,
            "kind": "sale_minted",
            "body": bytes([n, 0, 255]),
            "leaf_hash": b"\x01" * 32,
        }
        for n in range(3)
    ]
    async with db.session() as session:
        await session.execute(select(func.count()).select_from(SALES))  # a transaction is open
        await insert_rows(session, SALES, rows)
        await insert_rows(session, ENTRIES, entries)
        await insert_rows(session, ENTRIES, [])  # nothing to do
        stored = {
            s.sale_id: s
            for s in (
                await session.execute(
                    select(FranchiseSale).where(FranchiseSale.sale_id.like("bulk-%"))
                )
            ).scalars()
        }
        for row in rows:
            kept = stored[str(row["sale_id"])]
            assert kept.minting == row["minting"]
            assert kept.price_subunits == row["price_subunits"]
            assert kept.pos_id == row["pos_id"]
            assert kept.created_at == row["created_at"]
        bodies = (
            await session.execute(
                select(FranchiseLedgerEntry.body)
                .where(FranchiseLedgerEntry.idx >= 10_000)
                .order_by(FranchiseLedgerEntry.idx)
            )
        ).scalars()
        assert [bytes(b) for b in bodies] == [e["body"] for e in entries]


async def test_a_duplicate_key_is_an_integrity_error_and_the_rollback_keeps_nothing(
    db: Database,
) -> None:
    async with db.session() as session:
        await session.execute(select(func.count()).select_from(SALES))
        with pytest.raises(IntegrityError):
            await insert_rows(session, SALES, [_sale_row("dup-1", 1), _sale_row("dup-1", 2)])
        await session.rollback()
        count = await session.scalar(
            select(func.count()).select_from(SALES).where(FranchiseSale.sale_id == "dup-1")
        )
        assert count == 0


async def test_cached_keys_on_the_fast_path_keep_every_refusal(
    network: Network, settings: Settings
) -> None:
    """Batching and the key cache on: the POS route skips its session, not its checks."""
    franchise = settings.franchise.model_copy(
        update={"batch_sales": True, "key_cache_seconds": 60.0, "expiry_interval_seconds": 0.0}
    )
    app = create_app(settings.model_copy(update={"franchise": franchise}), database=network.db)
    app.state.franchise = network.state
    async with network.client(network.admin) as admin:
        node = (
            await pos(
                admin,
                "RegisterNode",
                {"owner_address": "0xfast", "node_type": "FRANCHISE", "city": "Gori"},
            )
        ).json()["data"]["node_id"]
        await pos(admin, "WhitelistPos", {"pos_id": "pos_1"})
    pos_key = await network.key(FranchiseRole.POS_OPERATOR, "pos_1")
    customer = await network.key(FranchiseRole.CUSTOMER)
    network.app = app
    try:
        async with network.client(pos_key) as client:
            for attempt in range(2):  # the second goes through the cached key
                first = await pos(client, "RecordSale", sale(f"fast-{attempt}", node))
                assert first.status_code == 200, first.text
                assert first.json()["data"]["owner_units"] == 48
                replay = await pos(client, "RecordSale", sale(f"fast-{attempt}", node))
                assert replay.json()["data"]["replayed"] is True
                changed = await pos(client, "RecordSale", sale(f"fast-{attempt}", node, price=7))
                assert changed.status_code == 409
                other = await pos(client, "RecordSale", sale("fast-x", node, pos_id="pos_2"))
                assert other.status_code == 403
                bad = await pos(client, "RecordSale", sale("fast-y", node, price=-1))
                assert bad.status_code == 400
                malformed = await client.post("/api/v1/pos", content=b"{not json")
                assert malformed.status_code == 400
        async with network.client(customer) as client:
            for _ in range(2):
                assert (await pos(client, "RecordSale", sale("fast-z", node))).status_code == 403
        async with network.client("hps_wrong") as client:
            assert (await pos(client, "RecordSale", sale("fast-w", node))).status_code == 401
        async with network.db.session() as session:
            recorded = await session.scalar(
                select(func.count()).select_from(SALES).where(FranchiseSale.sale_id.like("fast-%"))
            )
        assert recorded == 2
    finally:
        await app.state.sale_batcher.close()
