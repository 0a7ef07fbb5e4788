"""Work that spans domains, each in one transaction that also appends to the ledger.

A sale validates (node, POS, replay), mints with the largest-remainder split, writes the
postings, opens the check wallet and appends its ledger entry; many concurrent sales may share
one transaction and one checkpoint (group commit).  Anything refused writes nothing.
Every flow commits through ``Ledger.writing`` so the cached tree stays in step with the
database.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from sqlalchemy import Table, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fodi.core.db import utcnow
from fodi.core.errors import AppError, BadRequest, Conflict, Forbidden, NotFound
from fodi.core.settings import Settings
from fodi.franchise.ledger.models import FranchiseLedgerHead
from fodi.franchise.ledger.service import Appender, Ledger
from fodi.franchise.network import service as network
from fodi.franchise.network.models import FranchiseNode, FranchisePos
from fodi.franchise.sales.models import FranchiseSale
from fodi.franchise.sales.service import SaleCommand, compute_minting
from fodi.franchise.state import FranchiseState
from fodi.franchise.wallets import keyring as keyring_store
from fodi.franchise.wallets import service as wallets
from fodi.franchise.wallets.hd import (
    Account,
    Keyring,
    account_xpubs,
    derivation_path,
    new_mnemonic,
    seed_from_mnemonic,
    valid_mnemonic,
)
from fodi.franchise.wallets.models import FranchiseCheck, FranchiseKeyring, FranchiseWallet

log = structlog.get_logger(__name__)


def _at(moment: datetime | None = None) -> str:
    return (moment or utcnow()).isoformat(timespec="microseconds")


# --- initialisation ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Initialised:
    mnemonic: str
    keyring: Keyring
    vkey: str


async def initialise(
    session: AsyncSession, settings: Settings, mnemonic: str | None = None
) -> Initialised:
    """Create the keyring, the system wallets and the genesis entry (once per network)."""
    if await session.get(FranchiseKeyring, 1) is not None:
        raise Conflict("The franchise network is already initialised")
    if mnemonic is not None and not valid_mnemonic(mnemonic):
        raise BadRequest("Invalid BIP39 mnemonic")
    words = mnemonic or new_mnemonic()
    xpubs = account_xpubs(seed_from_mnemonic(words))
    row, signing_key = keyring_store.new_row(settings, xpubs)
    keyring = Keyring(xpubs)
    session.add(row)
    session.add(FranchiseLedgerHead(id=1, size=0))
    genesis_units = settings.franchise.tokenomics.genesis_units
    master, charity = keyring.master_address, keyring.charity_address
    session.add_all(
        [
            FranchiseWallet(
                address=wallets.ISSUANCE, kind="system", owner_id="issuance", balance=0
            ),
            FranchiseWallet(
                address=master,
                kind="master",
                owner_id="master",
                path=derivation_path(Account.MASTER, 0),
                balance=0,
            ),
            FranchiseWallet(
                address=charity,
                kind="charity",
                owner_id="charity",
                path=derivation_path(Account.CHARITY, 0),
                balance=0,
            ),
        ]
    )
    expiry = settings.franchise.expiry_wallet
    if expiry and expiry not in (master, charity):
        session.add(FranchiseWallet(address=expiry, kind="expiry", owner_id="expiry", balance=0))
    await session.flush()
    ledger = Ledger(settings.franchise.origin, signing_key)
    async with ledger.writing(session) as appender:
        index = await appender.reserve(1)
        legs = wallets.mint_legs([(master, genesis_units)])
        await wallets.post(session, [(index, legs)])
        appender.add(
            {
                "type": "genesis",
                "v": 1,
                "origin": ledger.origin,
                "log_key": ledger.vkey,
                "master_address": master,
                "charity_address": charity,
                "account_xpubs": {a.name.lower(): x for a, x in xpubs.items()},
                "postings": [list(leg) for leg in legs],
                "at": _at(),
            }
        )
    return Initialised(words, keyring, ledger.vkey)


# --- network -------------------------------------------------------------------------------


async def register_node(
    state: FranchiseState, session: AsyncSession, owner_address: str, node_type: str, city: str
) -> FranchiseNode:
    network.check_node_fields(owner_address, node_type, city)
    async with state.ledger.writing(session) as appender:
        node = FranchiseNode(
            owner_address=owner_address, node_type=node_type, city=city, active=True
        )
        session.add(node)
        await session.flush()
        wallet = await session.get(FranchiseWallet, owner_address)
        if wallet is None:
            session.add(
                FranchiseWallet(
                    address=owner_address, kind="franchise", owner_id=str(node.node_id), balance=0
                )
            )
        await appender.reserve(1)
        appender.add(
            {
                "type": "node_registered",
                "v": 1,
                "node_id": node.node_id,
                "owner_address": owner_address,
                "node_type": node_type,
                "city": city,
                "at": _at(node.registered_at),
            }
        )
    return node


async def set_node_active(
    state: FranchiseState, session: AsyncSession, node_id: int, active: bool
) -> FranchiseNode:
    async with state.ledger.writing(session) as appender:
        node = await network.get_node(session, node_id)
        if node.active != active:
            node.active = active
            await appender.reserve(1)
            appender.add(
                {
                    "type": "node_activated" if active else "node_deactivated",
                    "v": 1,
                    "node_id": node_id,
                    "at": _at(),
                }
            )
    return node


async def whitelist_pos(
    state: FranchiseState, session: AsyncSession, pos_id: str, node_id: int | None
) -> FranchisePos:
    network.check_pos_id(pos_id)
    async with state.ledger.writing(session) as appender:
        if node_id is not None:
            await network.get_node(session, node_id)
        existing = await session.get(FranchisePos, pos_id)
        if existing is not None:
            if existing.node_id != node_id:
                raise Conflict(f"POS {pos_id!r} is already whitelisted for another node")
            return existing  # idempotent, as the original: nothing new to log
        pos = FranchisePos(pos_id=pos_id, node_id=node_id)
        session.add(pos)
        await session.flush()
        await appender.reserve(1)
        appender.add(
            {"type": "pos_whitelisted", "v": 1, "pos_id": pos_id, "node_id": node_id, "at": _at()}
        )
    return pos


# --- sales ---------------------------------------------------------------------------------

SaleOutcome = dict[str, Any] | AppError


@dataclass(slots=True)
class _Accepted:
    position: int
    command: SaleCommand
    node: FranchiseNode


async def record_sales(
    state: FranchiseState, session: AsyncSession, commands: list[SaleCommand]
) -> list[SaleOutcome]:
    """Record sales in one transaction; each outcome is a TokenMinting (+ check) or an error.

    If the shared transaction fails (another process recorded one of the sale ids at the same
    moment), each sale is retried on its own, so one conflict never sinks its neighbours.
    """
    try:
        return await _record_sales(state, session, commands)
    except IntegrityError:
        await session.rollback()
        outcomes: list[SaleOutcome] = []
        for command in commands:
            try:
                outcomes.extend(await _record_sales(state, session, [command]))
            except IntegrityError:
                await session.rollback()
                outcomes.extend(await _record_sales(state, session, [command]))
        return outcomes


async def _record_sales(
    state: FranchiseState, session: AsyncSession, commands: list[SaleCommand]
) -> list[SaleOutcome]:
    outcomes: list[SaleOutcome | None] = [None] * len(commands)
    async with state.ledger.writing(session) as appender:
        sale_ids = {c.sale_id for c in commands}
        known = {
            row.sale_id: row
            for row in (
                await session.execute(
                    select(FranchiseSale).where(FranchiseSale.sale_id.in_(sale_ids))
                )
            ).scalars()
        }
        nodes = {
            n.node_id: n
            for n in (
                await session.execute(
                    select(FranchiseNode).where(
                        FranchiseNode.node_id.in_({c.node_id for c in commands})
                    )
                )
            ).scalars()
        }
        pos_rows = {
            p.pos_id: p
            for p in (
                await session.execute(
                    select(FranchisePos).where(
                        FranchisePos.pos_id.in_({c.pos_id for c in commands})
                    )
                )
            ).scalars()
        }
        accepted: list[_Accepted] = []
        first_in_batch: dict[str, int] = {}
        replays: list[tuple[int, int]] = []  # (position, position of the first occurrence)
        for position, command in enumerate(commands):
            previous = known.get(command.sale_id)
            if previous is not None:
                outcomes[position] = _replay(
                    state, command, previous.content_hash, previous.minting
                )
                continue
            if command.sale_id in first_in_batch:
                first = first_in_batch[command.sale_id]
                if commands[first].content_hash != command.content_hash:
                    outcomes[position] = _different_sale()
                else:
                    replays.append((position, first))
                continue
            error = _refusal(command, nodes.get(command.node_id), pos_rows.get(command.pos_id))
            if error is not None:
                outcomes[position] = error
                continue
            first_in_batch[command.sale_id] = position
            accepted.append(_Accepted(position, command, nodes[command.node_id]))
        if accepted:
            start = await appender.reserve(len(accepted))
            await _write_sales(state, session, appender, start, accepted, outcomes)
    for position, first in replays:
        outcomes[position] = outcomes[first]
    return [o if o is not None else AppError("Sale not processed") for o in outcomes]


def _different_sale() -> Conflict:
    return Conflict("Sale already processed with different content")


def _replay(
    state: FranchiseState, command: SaleCommand, content_hash: str, minting: dict[str, Any]
) -> SaleOutcome:
    if content_hash != command.content_hash:
        return _different_sale()
    result = dict(minting)
    check = dict(result.get("check") or {})
    if check:  # the code is derived, never stored: answer it again on an identical replay
        code = state.activation_code(check["check_id"])
        check["activation_code"] = code
        check["qr"] = f"{check['check_id']}|{code}|{check['address']}"
        result["check"] = check
    result["replayed"] = True
    return result


def _refusal(
    command: SaleCommand, node: FranchiseNode | None, pos: FranchisePos | None
) -> AppError | None:
    if node is None:
        return NotFound("Node not found")
    if not node.active:
        return Conflict("Node is not active")
    if pos is None or (pos.node_id is not None and pos.node_id != command.node_id):
        return Forbidden("POS system not whitelisted")
    return None


async def _write_sales(
    state: FranchiseState,
    session: AsyncSession,
    appender: Appender,
    start: int,
    accepted: list[_Accepted],
    outcomes: list[SaleOutcome | None],
) -> None:
    config = state.config
    master = state.keyring.master_address
    now = utcnow()
    expires = now + timedelta(days=config.check_expiry_days)
    expires_text, now_text = _at(expires), _at(now)  # once per batch, not per sale
    sale_rows: list[dict[str, Any]] = []
    check_rows: list[dict[str, Any]] = []
    transactions: list[tuple[int, list[wallets.Leg]]] = []
    new_wallets: dict[str, tuple[str, str, str | None]] = {}
    for offset, item in enumerate(accepted):
        command, node, index = item.command, item.node, start + offset
        minting = compute_minting(node.node_type, command.price_subunits, config)
        check_address = state.keyring.address(Account.CHECK, index)
        check_id = secrets.token_hex(16)
        code = state.activation_code(check_id)
        legs = wallets.mint_legs(
            [
                (node.owner_address, minting.owner_units),
                (check_address, minting.buyer_units),
                (master, minting.royalty_units),
            ]
        )
        mint_id = f"mint_{node.node_id}_{index}"
        token_minting = {
            "mint_id": mint_id,
            "sale_id": command.sale_id,
            "minted_units": minting.minted_units,
            "owner_units": minting.owner_units,
            "buyer_units": minting.buyer_units,
            "royalty_units": minting.royalty_units,
        }
        check = {
            "check_id": check_id,
            "address": check_address,
            "units": minting.buyer_units,
            "expires_at": expires_text,
        }
        stored = {**token_minting, "ledger_index": index, "check": check}
        outcomes[item.position] = {
            **stored,
            "check": {**check, "activation_code": code, "qr": f"{check_id}|{code}|{check_address}"},
        }
        sale_rows.append(
            {
                "sale_id": command.sale_id,
                "node_id": node.node_id,
                "pos_id": command.pos_id,
                "price_subunits": command.price_subunits,
                "content_hash": command.content_hash,
                "minting": stored,
                "check_id": check_id,
                "ledger_index": index,
                "created_at": now,
            }
        )
        check_rows.append(
            {
                "check_id": check_id,
                "sale_id": command.sale_id,
                "address": check_address,
                "units": minting.buyer_units,
                "code_hash": state.code_hash(check_id, code),
                "status": "open",
                "attempts": 0,
                "expires_at": expires,
                "created_at": now,
            }
        )
        transactions.append((index, legs))
        new_wallets[check_address] = ("check", check_id, derivation_path(Account.CHECK, index))
        appender.add(
            {
                "type": "sale_minted",
                "v": 1,
                "sale_id": command.sale_id,
                "node_id": node.node_id,
                "node_type": node.node_type,
                "pos_id": command.pos_id,
                "price_subunits": command.price_subunits,
                "items": [i.json() for i in command.items],
                "buyer_meta_sha256": hashlib.sha256(command.buyer_meta.encode()).hexdigest(),
                "content_hash": command.content_hash,
                **{k: v for k, v in token_minting.items() if k != "sale_id"},
                "split_bps": minting.split_bps,
                "check_address": check_address,
                "check_expires_at": expires_text,
                "postings": [list(leg) for leg in legs],
                "at": now_text,
            }
        )
    # Queued with the ledger entries: the batch's writes go to the database in one statement.
    appender.writes.insert(cast(Table, FranchiseSale.__table__), sale_rows)
    appender.writes.insert(cast(Table, FranchiseCheck.__table__), check_rows)
    await wallets.post(session, transactions, new_wallets, writes=appender.writes)


# --- checks and transfers ------------------------------------------------------------------


async def claim_check(
    state: FranchiseState, session: AsyncSession, check_id: str, code: str, to_address: str | None
) -> dict[str, Any]:
    """Move a check's units into a customer wallet (a new derived one unless ``to_address``)."""
    check = await session.get(FranchiseCheck, check_id)
    if check is None:
        raise NotFound("Check wallet not found")
    if check.status == "claimed":
        raise Conflict("Check already activated")
    if check.status == "expired" or check.expires_at <= utcnow():
        raise Conflict("Check has expired")
    # Take an attempt before comparing, in one conditional UPDATE: parallel guesses cannot
    # all pass a limit they read before any of them wrote (a read-then-write would let them).
    taken = await session.execute(
        update(FranchiseCheck)
        .where(
            FranchiseCheck.check_id == check_id,
            FranchiseCheck.attempts < state.config.check_max_attempts,
        )
        .values(attempts=FranchiseCheck.attempts + 1)
        .returning(FranchiseCheck.attempts)
    )
    if taken.first() is None:
        raise Conflict("Check is locked after too many wrong codes")
    if not secrets.compare_digest(state.code_hash(check_id, str(code)), check.code_hash):
        # The attempt counter is the only thing a wrong code writes (no entry, no posting).
        await session.commit()
        raise BadRequest("Invalid activation code")
    if to_address is not None:
        network.check_text(to_address, "to_address")
    async with state.ledger.writing(session) as appender:
        claimed = await session.execute(
            update(FranchiseCheck)
            .where(FranchiseCheck.check_id == check_id, FranchiseCheck.status == "open")
            .values(status="claimed", closed_at=utcnow())
        )
        if claimed.rowcount == 0:  # type: ignore[attr-defined]
            raise Conflict("Check already activated")
        index = await appender.reserve(1)
        destination = to_address or state.keyring.address(Account.CUSTOMER, index)
        await session.execute(
            update(FranchiseCheck)
            .where(FranchiseCheck.check_id == check_id)
            .values(claimed_to=destination)
        )
        path = None if to_address else derivation_path(Account.CUSTOMER, index)
        legs: list[wallets.Leg] = [(check.address, -check.units), (destination, check.units)]
        await wallets.post(session, [(index, legs)], {destination: ("customer", "", path)})
        appender.add(
            {
                "type": "check_claimed",
                "v": 1,
                "check_id": check_id,
                "check_address": check.address,
                "to_address": destination,
                "units": check.units,
                "postings": [list(leg) for leg in legs],
                "at": _at(),
            }
        )
    return {
        "check_id": check_id,
        "to_address": destination,
        "units": check.units,
        "derivation_path": path,
        "ledger_index": index,
    }


async def transfer(
    state: FranchiseState, session: AsyncSession, source: str, destination: str, units: int
) -> dict[str, Any]:
    if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
        raise BadRequest("units must be a positive integer")
    if source == destination:
        raise BadRequest("source and destination are the same wallet")
    if wallets.ISSUANCE in (source, destination):
        raise Forbidden("Units are minted by sales only")
    network.check_text(destination, "to")
    async with state.ledger.writing(session) as appender:
        index = await appender.reserve(1)
        legs: list[wallets.Leg] = [(source, -units), (destination, units)]
        await wallets.post(session, [(index, legs)], {destination: ("customer", "", None)})
        appender.add(
            {
                "type": "transfer",
                "v": 1,
                "from": source,
                "to": destination,
                "units": units,
                "postings": [list(leg) for leg in legs],
                "at": _at(),
            }
        )
    return {"from": source, "to": destination, "units": units, "ledger_index": index}


async def expire_checks(
    state: FranchiseState, session: AsyncSession, now: datetime | None = None, limit: int = 1000
) -> int:
    """Move unclaimed, expired checks into the expiry wallet; returns how many."""
    moment = now or utcnow()
    destination = state.expiry_wallet
    async with state.ledger.writing(session) as appender:
        due = (
            (
                await session.execute(
                    select(FranchiseCheck)
                    .where(FranchiseCheck.status == "open", FranchiseCheck.expires_at <= moment)
                    .order_by(FranchiseCheck.expires_at)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            .scalars()
            .all()
        )
        if not due:
            return 0
        start = await appender.reserve(len(due))
        transactions = []
        for offset, check in enumerate(due):
            check.status, check.closed_at, check.claimed_to = "expired", moment, destination
            legs: list[wallets.Leg] = [(check.address, -check.units), (destination, check.units)]
            transactions.append((start + offset, legs))
            appender.add(
                {
                    "type": "check_expired",
                    "v": 1,
                    "check_id": check.check_id,
                    "check_address": check.address,
                    "to_address": destination,
                    "units": check.units,
                    "postings": [list(leg) for leg in legs],
                    "at": _at(moment),
                }
            )
        await session.flush()
        await wallets.post(session, transactions, {destination: ("expiry", "expiry", None)})
    return len(due)


async def network_stats(state: FranchiseState, session: AsyncSession) -> dict[str, int]:
    from sqlalchemy import func

    total, active = await network.node_counts(session)
    sales = await session.scalar(select(func.count()).select_from(FranchiseSale))
    return {
        "total_nodes": total,
        "active_nodes": active,
        "total_sales": int(sales or 0),
        "total_tokens_minted": -await wallets.balance(session, wallets.ISSUANCE),
        "master_owner_balance": await wallets.balance(session, state.keyring.master_address),
    }


async def load_state(session: AsyncSession, settings: Settings) -> FranchiseState | None:
    """The process state from the stored keyring, or None before ``fodi franchise init``."""
    from fodi.franchise.auth.service import KeyResolver

    row = await session.get(FranchiseKeyring, 1)
    if row is None:
        return None
    loaded = keyring_store.load_row(settings, row)
    secret = settings.secret("FRANCHISE__LEDGER_SECRET", settings.franchise.ledger_secret)
    return FranchiseState(
        settings=settings,
        keyring=loaded.keyring,
        ledger=Ledger(settings.franchise.origin, loaded.signing_key),
        keys=KeyResolver(settings.franchise.key_cache_seconds),
        code_key=hashlib.sha256(b"fodi franchise check codes\x00" + secret.encode()).digest(),
    )
