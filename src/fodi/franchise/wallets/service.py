"""Balances from double-entry postings: every transaction's legs sum to zero.

Wallet balances are kept next to the postings in the same transaction.  A debit is a
conditional update (``balance + delta >= 0``), so no wallet ever goes negative, also under
concurrency; only the ``system`` issuance account (where minted units come from) may.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from fodi.core.db import utcnow
from fodi.core.errors import Conflict, NotFound
from fodi.franchise.bulk import WriteBatch, insert_rows
from fodi.franchise.wallets.models import FranchisePosting, FranchiseWallet

ISSUANCE = "@issuance"  # the system account minted units come from

Leg = tuple[str, int]  # (address, amount); credits positive, debits negative
_EXTERNAL: tuple[str, str, str | None] = ("external", "", None)  # an address we did not derive


class UnbalancedTransaction(ValueError):
    pass


def check_balanced(legs: Sequence[Leg]) -> None:
    if sum(amount for _, amount in legs) != 0:
        raise UnbalancedTransaction(f"postings do not sum to zero: {list(legs)}")


def mint_legs(shares: Sequence[Leg]) -> list[Leg]:
    """Issuance pays each address its share (zero shares are not posted)."""
    legs: list[Leg] = [(address, units) for address, units in shares if units]
    legs.insert(0, (ISSUANCE, -sum(units for _, units in legs)))
    return legs


async def post(
    session: AsyncSession,
    transactions: Iterable[tuple[int, Sequence[Leg]]],
    new_wallets: Mapping[str, tuple[str, str, str | None]] | None = None,
    writes: WriteBatch | None = None,
) -> None:
    """Write the postings of many transactions (keyed by ledger index) and move balances.

    ``new_wallets`` maps addresses to ``(kind, owner_id, path)`` for wallets that may not
    exist yet.  Raises Conflict (nothing is written once the caller rolls back) when a debit
    would make a wallet negative.  With ``writes`` the statements join that batch (they run,
    and may refuse, when it executes) instead of running now.
    """
    rows: list[dict[str, object]] = []
    deltas: dict[str, int] = defaultdict(int)
    for index, legs in transactions:
        check_balanced(legs)
        for address, amount in legs:
            rows.append({"ledger_index": index, "address": address, "amount": amount})
            deltas[address] += amount
    if not rows:
        return
    credits = {a: d for a, d in deltas.items() if d > 0}
    debits = {a: d for a, d in sorted(deltas.items()) if d < 0}  # sorted: no lock cycles
    if writes is not None:
        _join_batch(writes, rows, credits, debits, dict(new_wallets or {}))
        return
    await insert_rows(session, _POSTINGS, rows)
    # Credits in one upsert (new check/customer wallets are created by it), then each debit
    # as a conditional update: two or three statements per batch, whatever its size.
    if credits:
        await _upsert_credits(session, credits, dict(new_wallets or {}))
    for address, delta in debits.items():
        await _move(session, address, delta)


_POSTINGS = cast(Table, FranchisePosting.__table__)
_WALLETS = cast(Table, FranchiseWallet.__table__)
# The debits of a batch in one conditional update; the $n placeholders are WriteBatch's.
_DEBITS = (
    "UPDATE franchise_wallets AS w SET balance = w.balance + d.delta FROM unnest({}, {}) "
    "AS d(address, delta) WHERE w.address = d.address "
    "AND (w.balance + d.delta >= 0 OR w.kind = 'system') RETURNING 1"
)


def _join_batch(
    writes: WriteBatch,
    rows: list[dict[str, object]],
    credits: Mapping[str, int],
    debits: Mapping[str, int],
    wallets: Mapping[str, tuple[str, str, str | None]],
) -> None:
    # Balances are netted per address here, so each wallet row is changed by one part only;
    # a second post into the same batch could change a row twice.
    writes.claim("wallet balances")
    writes.insert(_POSTINGS, rows)
    writes.insert(_WALLETS, _credit_rows(credits, wallets), add_on_conflict=("address", "balance"))
    if not debits:
        return

    async def one_by_one(session: AsyncSession) -> None:  # the precise refusal, elsewhere
        for address, delta in debits.items():
            await _move(session, address, delta)

    addresses = writes.bind(_WALLETS, "address", list(debits))
    amounts = writes.bind(_WALLETS, "balance", list(debits.values()))
    refusal = Conflict(f"Insufficient balance in or no wallet {', '.join(debits)}")
    writes.part(_DEBITS.format(addresses, amounts), one_by_one, len(debits), refusal)


def _credit_rows(
    credits: Mapping[str, int], wallets: Mapping[str, tuple[str, str, str | None]]
) -> list[dict[str, object]]:
    """The wallet rows the credits upsert (a wallet not yet known is created by it)."""
    now = utcnow()  # given here: the batch's statement does not apply Python-side defaults
    rows: list[dict[str, object]] = []
    for address, amount in sorted(credits.items()):
        kind, owner_id, path = wallets.get(address, _EXTERNAL)
        rows.append(
            {
                "address": address,
                "kind": kind,
                "owner_id": owner_id,
                "path": path,
                "balance": amount,
                "created_at": now,
            }
        )
    return rows


async def _upsert_credits(
    session: AsyncSession,
    credits: Mapping[str, int],
    wallets: Mapping[str, tuple[str, str, str | None]],
) -> None:
    dialect = session.get_bind().dialect.name
    maker = pg_insert if dialect == "postgresql" else sqlite_insert
    # On the table, not the mapped class: a Core executemany, without the ORM's bulk path.
    statement = maker(cast(Table, FranchiseWallet.__table__))
    statement = statement.on_conflict_do_update(
        index_elements=["address"],
        set_={"balance": statement.table.c.balance + statement.excluded.balance},
    )
    await session.execute(statement, _credit_rows(credits, wallets))


async def _move(session: AsyncSession, address: str, delta: int) -> None:
    statement = (
        update(FranchiseWallet)
        .where(FranchiseWallet.address == address)
        .values(balance=FranchiseWallet.balance + delta)
    )
    if delta < 0:
        statement = statement.where(
            (FranchiseWallet.balance + delta >= 0) | (FranchiseWallet.kind == "system")
        )
    result = await session.execute(statement)
    if result.rowcount == 0:  # type: ignore[attr-defined]
        if await session.get(FranchiseWallet, address) is None:
            raise NotFound(f"Wallet {address} not found")
        raise Conflict(f"Insufficient balance in {address}")


async def balance(session: AsyncSession, address: str) -> int:
    value = await session.scalar(
        select(FranchiseWallet.balance).where(FranchiseWallet.address == address)
    )
    return int(value or 0)


async def posted_balance(session: AsyncSession, address: str) -> int:
    """The balance recomputed from the postings (the kept balance must equal it)."""
    value = await session.scalar(
        select(func.coalesce(func.sum(FranchisePosting.amount), 0)).where(
            FranchisePosting.address == address
        )
    )
    return int(value or 0)


async def ensure_wallet(
    session: AsyncSession, address: str, kind: str, owner_id: str = "", path: str | None = None
) -> FranchiseWallet:
    wallet = await session.get(FranchiseWallet, address)
    if wallet is None:
        wallet = FranchiseWallet(
            address=address, kind=kind, owner_id=owner_id, path=path, balance=0
        )
        session.add(wallet)
        await session.flush()
    return wallet
