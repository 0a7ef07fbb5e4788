"""Balances never go negative and every transaction's postings sum to zero (hypothesis).

Random sequences of sales, claims, transfers (some too large) and expiries run through the
flows on the test database, each example inside a transaction that is rolled back.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from fodi.core.db import Database, utcnow
from fodi.core.errors import AppError
from fodi.core.settings import Settings
from fodi.franchise import flows
from fodi.franchise.ledger.service import head_size
from fodi.franchise.sales.service import parse_sale
from fodi.franchise.wallets.models import FranchisePosting, FranchiseWallet
from tests.franchise.helpers import assert_postings_balance, network_of_two, sale
from tests.support import rolled_back_url

operation = st.one_of(
    st.tuples(st.just("sale"), st.sampled_from([1, 2]), st.integers(1, 10**6)),
    st.tuples(st.just("claim"), st.integers(0, 50), st.booleans()),
    st.tuples(st.just("transfer"), st.integers(0, 3), st.integers(0, 3), st.integers(1, 200)),
    st.tuples(st.just("expire"), st.just(0), st.just(0)),
)
ADDRESSES = ["0xa", "0xb", "0xowner1", "0xowner2"]


async def _invariants(database: Database) -> None:
    async with database.session() as session:
        wallets = (await session.execute(select(FranchiseWallet))).scalars().all()
        for wallet in wallets:
            posted = await session.scalar(
                select(func.coalesce(func.sum(FranchisePosting.amount), 0)).where(
                    FranchisePosting.address == wallet.address
                )
            )
            assert wallet.balance == posted, wallet.address
            if wallet.kind != "system":
                assert wallet.balance >= 0, wallet.address
        await assert_postings_balance(session)


async def _run(url: str, base: Settings, operations: list[tuple[Any, ...]]) -> None:
    async with rolled_back_url(url) as database:
        await _play(database, base, operations)


async def _play(database: Database, base: Settings, operations: list[tuple[Any, ...]]) -> None:
    state, nodes = await network_of_two(database, base)
    checks: list[dict[str, Any]] = []
    for number, op in enumerate(operations):
        async with database.session() as session:
            size = await head_size(session)
            try:
                if op[0] == "sale":
                    command = parse_sale(sale(f"s{number}", nodes[op[1] - 1], op[2]), state.config)
                    (outcome,) = await flows.record_sales(state, session, [command])
                    assert not isinstance(outcome, AppError)
                    checks.append(outcome["check"])
                elif op[0] == "claim" and checks:
                    check = checks[op[1] % len(checks)]
                    code = check["activation_code"] if op[2] else "999999x"
                    await flows.claim_check(state, session, check["check_id"], code, "0xa")
                elif op[0] == "transfer":
                    await flows.transfer(state, session, ADDRESSES[op[1]], ADDRESSES[op[2]], op[3])
                elif op[0] == "expire":
                    later = utcnow() + timedelta(days=state.config.check_expiry_days + 1)
                    await flows.expire_checks(state, session, now=later)
            except AppError:
                await session.rollback()
                assert await head_size(session) == size  # a refusal appends nothing
        await _invariants(database)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(operation, min_size=1, max_size=12))
def test_balances_never_go_negative(
    migrated_url: str, fsettings: Settings, operations: list[tuple[Any, ...]]
) -> None:
    asyncio.run(_run(migrated_url, fsettings, operations))
