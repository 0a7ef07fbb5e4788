"""One statement per sale batch (WriteBatch), and the POS route's bare ASGI endpoint.

On PostgreSQL a batch's writes go out as one ``WITH ... unnest(...)`` statement; on SQLite
each runs as its ordinary statement.  Both must write the same rows and refuse the same way.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Table, func, select

from fodi.core.db import Database, utcnow
from fodi.core.errors import AppError, Conflict
from fodi.core.settings import Settings
from fodi.franchise import flows
from fodi.franchise.bulk import WriteBatch
from fodi.franchise.ledger.models import FranchiseCheckpoint, FranchiseLedgerEntry
from fodi.franchise.ledger.service import head_size
from fodi.franchise.merkle import leaf_hash, root_hash
from fodi.franchise.sales.models import FranchiseSale
from fodi.franchise.sales.service import parse_sale
from fodi.franchise.wallets import service as wallets
from fodi.franchise.wallets.models import FranchisePosting, FranchiseWallet
from tests.franchise.conftest import Network
from tests.franchise.helpers import (
    assert_postings_balance,
    ledger_size,
    network_of_two,
    sale,
)
from tests.support import rolled_back_url

WALLETS = cast(Table, FranchiseWallet.__table__)


def _wallet(address: str, balance: int, kind: str = "customer") -> dict[str, Any]:
    return {
        "address": address,
        "kind": kind,
        "owner_id": "",
        "path": None,
        "balance": balance,
        "created_at": utcnow(),
    }


async def _balances(db: Database, *addresses: str) -> dict[str, int]:
    async with db.session() as session:
        rows = await session.execute(
            select(FranchiseWallet.address, FranchiseWallet.balance).where(
                FranchiseWallet.address.in_(addresses)
            )
        )
        return {row.address: row.balance for row in rows}


async def test_a_batch_inserts_adds_on_conflict_and_debits(db: Database) -> None:
    async with db.session() as session:
        await session.execute(select(func.count()).select_from(WALLETS))  # a transaction
        first = WriteBatch()
        first.insert(WALLETS, [_wallet("0xwb1", 10), _wallet("0xwb2", 5)])
        await first.execute(session)
        second = WriteBatch()
        # 0xwb1 exists: the balance is added to; 0xwb6 is new.
        second.insert(
            WALLETS,
            [_wallet("0xwb1", 7), _wallet("0xwb6", 1)],
            add_on_conflict=("address", "balance"),
        )
        await wallets.post(
            session, [(1, [("0xwb2", -5), ("0xwb3", 5)])], {"0xwb3": ("customer", "", None)}, second
        )
        assert second  # queued, not yet run
        with pytest.raises(RuntimeError):  # one post per batch: no wallet row changed twice
            await wallets.post(session, [(2, [("0xwb1", -1), ("0xwb3", 1)])], None, second)
        await second.execute(session)
        await session.commit()
    assert await _balances(db, "0xwb1", "0xwb2", "0xwb3", "0xwb6") == {
        "0xwb1": 17,
        "0xwb2": 0,
        "0xwb3": 5,
        "0xwb6": 1,
    }


async def test_a_refused_debit_refuses_the_whole_batch(db: Database) -> None:
    async with db.session() as session:
        await session.execute(select(func.count()).select_from(WALLETS))
        setup = WriteBatch()
        setup.insert(WALLETS, [_wallet("0xwb4", 3)])
        await setup.execute(session)
        await session.commit()
    async with db.session() as session:
        await session.execute(select(func.count()).select_from(WALLETS))
        batch = WriteBatch()
        await wallets.post(session, [(2, [("0xwb4", -4), ("0xwb5", 4)])], None, batch)
        with pytest.raises(Conflict):
            await batch.execute(session)
        await session.rollback()
    assert await _balances(db, "0xwb4", "0xwb5") == {"0xwb4": 3}
    async with db.session() as session:
        posted = await session.scalar(
            select(func.count())
            .select_from(FranchisePosting)
            .where(FranchisePosting.address.in_(["0xwb4", "0xwb5"]))
        )
    assert posted == 0


async def test_the_pos_endpoint_keeps_the_envelope_and_the_schema(network: Network) -> None:
    async with network.client(network.admin) as client:
        before = await ledger_size(client)
        too_large = await client.post(
            "/api/v1/pos", content=b'{"RecordSale": "' + b"x" * (300 * 1024) + b'"}'
        )
        assert too_large.status_code == 400
        assert too_large.json() == {
            "success": False,
            "data": None,
            "error": "Request too large",
            "timestamp": too_large.json()["timestamp"],
        }
        assert "x-request-id" in too_large.headers  # still inside the platform middleware
        wrong_method = await client.get("/api/v1/pos")
        assert wrong_method.status_code == 405
        assert wrong_method.json()["success"] is False
        assert await ledger_size(client) == before  # nothing written
        schema = (await client.get("/openapi.json")).json()
        assert "post" in schema["paths"]["/api/v1/pos"]


# --- one batch of random sales: every invariant holds for whatever mix it carries ----------

sale_in_batch = st.tuples(
    st.sampled_from(["a", "b", "c", "d", "e"]),  # few ids: replays inside the batch
    st.sampled_from([0, 1, 99]),  # node: OWNER, FRANCHISE, or unknown
    st.sampled_from([100, 2500, 999_999]),  # a changed price is "different content"
)


async def _run(url: str, base: Settings, batch: list[tuple[str, int, int]]) -> None:
    async with rolled_back_url(url) as database:
        await _check_batch(database, base, batch)


async def _check_batch(
    database: Database, base: Settings, batch: list[tuple[str, int, int]]
) -> None:
    state, nodes = await network_of_two(database, base)
    async with database.session() as session:
        size = await head_size(session)
    commands = [
        parse_sale(sale(f"p-{sid}", nodes[node] if node < 2 else node, price), state.config)
        for sid, node, price in batch
    ]
    async with database.session() as session:
        outcomes = await flows.record_sales(state, session, commands)
    first: dict[str, int] = {}
    for position, (command, outcome) in enumerate(zip(commands, outcomes, strict=True)):
        # As the flow decides: a sale id seen earlier in the batch first, then the node.
        if command.sale_id in first:
            if commands[first[command.sale_id]].content_hash == command.content_hash:
                assert outcome == outcomes[first[command.sale_id]]  # the first result again
            else:
                assert isinstance(outcome, AppError)
                assert outcome.status == 409
        elif command.node_id not in nodes:
            assert isinstance(outcome, AppError)
            assert outcome.status == 404
        else:
            first[command.sale_id] = position
            assert not isinstance(outcome, AppError)
            parts = outcome["owner_units"] + outcome["buyer_units"] + outcome["royalty_units"]
            assert parts == outcome["minted_units"]
    async with database.session() as session:
        stored = await session.scalar(select(func.count()).select_from(FranchiseSale))
        assert stored == len(first)
        assert await head_size(session) == size + len(first)
        await _assert_ledger_whole(session)
        await assert_postings_balance(session)
        for wallet in (await session.execute(select(FranchiseWallet))).scalars():
            assert wallet.balance == await wallets.posted_balance(session, wallet.address)


async def _assert_ledger_whole(session: Any) -> None:
    entries = (
        (await session.execute(select(FranchiseLedgerEntry).order_by(FranchiseLedgerEntry.idx)))
        .scalars()
        .all()
    )
    assert [e.idx for e in entries] == list(range(len(entries)))
    leaves = [leaf_hash(bytes(e.body)) for e in entries]
    assert leaves == [bytes(e.leaf_hash) for e in entries]
    latest = (
        await session.execute(
            select(FranchiseCheckpoint).order_by(FranchiseCheckpoint.size.desc()).limit(1)
        )
    ).scalar_one()
    assert latest.size == len(entries)
    assert bytes(latest.root) == root_hash(leaves)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(sale_in_batch, min_size=1, max_size=12))
def test_any_batch_of_sales_keeps_every_invariant(
    migrated_url: str, fsettings: Settings, batch: list[tuple[str, int, int]]
) -> None:
    asyncio.run(_run(migrated_url, fsettings, batch))
