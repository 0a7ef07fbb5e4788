"""Group commit and races: concurrent sales through the batcher, two processes, one log."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from fodi.core.db import Database
from fodi.core.settings import Settings
from fodi.franchise import flows
from fodi.franchise.app import create_app
from fodi.franchise.auth.roles import FranchiseRole
from fodi.franchise.auth.service import create_key
from fodi.franchise.ledger.models import FranchiseCheckpoint, FranchiseLedgerEntry
from fodi.franchise.ledger.service import head_size
from fodi.franchise.merkle import root_hash
from fodi.franchise.sales.models import FranchiseSale
from tests.franchise.helpers import MNEMONIC, pos, sale
from tests.support import asgi_client


def _batched(settings: Settings) -> Settings:
    franchise = settings.franchise.model_copy(
        update={"batch_sales": True, "expiry_interval_seconds": 0.0}
    )
    return settings.model_copy(update={"franchise": franchise})


async def _network(database: Database, settings: Settings) -> tuple[str, int]:
    async with database.session() as session:
        await flows.initialise(session, settings, MNEMONIC)
        state = await flows.load_state(session, settings)
        assert state is not None
        node = await flows.register_node(state, session, "0xowner", "FRANCHISE", "Kutaisi")
        await flows.whitelist_pos(state, session, "pos_1", None)
        _, token = await create_key(session, FranchiseRole.SUPER_ADMIN)
        await session.commit()
    return token, node.node_id


async def test_concurrent_sales_share_batches_and_keep_the_log_whole(
    committing_db: Database, settings: Settings
) -> None:
    settings = _batched(settings)
    token, node = await _network(committing_db, settings)
    app = create_app(settings, database=committing_db)
    async with asgi_client(app, **{"X-API-Key": token}) as client:
        payloads = [sale(f"c-{n}", node) for n in range(40)]
        payloads += [
            sale("c-1", node),
            sale("c-2", node),
        ]  # replays, possibly inside the same batch
        responses = await asyncio.gather(*(pos(client, "RecordSale", p) for p in payloads))
        assert [r.status_code for r in responses] == [200] * 42
        assert responses[40].json()["data"]["mint_id"] == responses[1].json()["data"]["mint_id"]
        conflict = await pos(client, "RecordSale", sale("c-3", node, price=999))
        assert conflict.status_code == 409
        stats = (await pos(client, "GetNetworkStats", None)).json()["data"]
        assert stats["total_sales"] == 40
        assert stats["master_owner_balance"] == 100 + 40 * 3
    await app.state.sale_batcher.close()
    async with committing_db.session() as session:
        size = await head_size(session)
        assert size == 3 + 40
        leaves = list(
            (
                await session.execute(
                    select(FranchiseLedgerEntry.leaf_hash).order_by(FranchiseLedgerEntry.idx)
                )
            ).scalars()
        )
        checkpoints = await session.scalar(select(func.count()).select_from(FranchiseCheckpoint))
        latest = await session.get(FranchiseCheckpoint, size)
        assert latest is not None
        assert latest.root == root_hash(leaves)
        assert checkpoints is not None
        assert checkpoints < 3 + 40


async def test_two_processes_racing_on_one_sale_id_record_it_once(
    committing_db: Database, settings: Settings
) -> None:
    settings = _batched(settings)
    token, node = await _network(committing_db, settings)
    apps = [
        create_app(settings, database=Database.from_url(settings.effective_database_url))
        for _ in range(2)
    ]
    try:
        clients = [asgi_client(app, **{"X-API-Key": token}) for app in apps]
        for round_number in range(5):
            payload = sale(f"race-{round_number}", node)
            first, second = await asyncio.gather(
                *(pos(client, "RecordSale", payload) for client in clients)
            )
            assert first.status_code == second.status_code == 200, (first.text, second.text)
            assert first.json()["data"]["mint_id"] == second.json()["data"]["mint_id"]
        for client in clients:
            await client.aclose()
    finally:
        for app in apps:
            await app.state.sale_batcher.close()
            await app.state.db.dispose()
    async with committing_db.session() as session:
        assert await session.scalar(select(func.count()).select_from(FranchiseSale)) == 5
        assert await head_size(session) == 3 + 5
