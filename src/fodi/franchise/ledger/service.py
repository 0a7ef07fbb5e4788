"""Appending to the log, signing checkpoints, and answering proofs from the cached tree.

Appends are serialised twice: by an in-process lock (the cached tree is shared by the
process's requests) and by the head row (``UPDATE ... RETURNING size`` locks it until commit,
so processes sharing the database also append one at a time and indices stay contiguous).
A unit of work that appends is run through :meth:`Ledger.writing`, which commits, and puts
the cached tree back if the transaction fails.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fodi.core.db import utcnow
from fodi.core.errors import BadRequest, NotFound
from fodi.franchise.bulk import WriteBatch
from fodi.franchise.ledger.canonical import canonical_bytes
from fodi.franchise.ledger.models import (
    FranchiseCheckpoint,
    FranchiseLedgerEntry,
    FranchiseLedgerHead,
)
from fodi.franchise.ledger.notes import Checkpoint, public_bytes, sign_note, vkey
from fodi.franchise.merkle import MerkleTree, ProofError, leaf_hash

LOAD_CHUNK = 50_000


@dataclass(slots=True)
class PendingEntry:
    kind: str
    body: bytes
    leaf: bytes


class Appender:
    """The open append of one transaction: reserve indices, then add the entries."""

    def __init__(self, ledger: Ledger, session: AsyncSession) -> None:
        self.ledger = ledger
        self.session = session
        self.start: int | None = None
        self.entries: list[PendingEntry] = []
        # The transaction's other writes may join the entries' statement (one round trip).
        self.writes = WriteBatch()

    async def reserve(self, count: int) -> int:
        """Lock the head and return the index of the first of ``count`` new entries."""
        if self.start is not None:
            raise RuntimeError("reserve once per transaction")
        size = (
            await self.session.execute(
                update(FranchiseLedgerHead)
                .where(FranchiseLedgerHead.id == 1)
                .values(size=FranchiseLedgerHead.size + count)
                .returning(FranchiseLedgerHead.size)
            )
        ).scalar_one()
        self.start = size - count
        await self.ledger.sync_to(self.session, self.start)
        return self.start

    def add(self, entry: dict[str, Any]) -> int:
        if self.start is None:
            raise RuntimeError("reserve before adding entries")
        body = canonical_bytes(entry)
        self.entries.append(PendingEntry(str(entry["type"]), body, leaf_hash(body)))
        return self.start + len(self.entries) - 1

    async def flush(self) -> Checkpoint:
        """Insert the entries, extend the tree and sign the checkpoint for the new size.

        The entries, the checkpoint and whatever the flow queued in :attr:`writes` go to the
        database together (one statement on PostgreSQL).
        """
        assert self.start is not None
        tree = self.ledger.tree
        rows = [
            {"idx": self.start + i, "kind": e.kind, "body": e.body, "leaf_hash": e.leaf}
            for i, e in enumerate(self.entries)
        ]
        self.writes.insert(cast(Table, FranchiseLedgerEntry.__table__), rows)
        tree.extend([e.leaf for e in self.entries])
        checkpoint = Checkpoint(self.ledger.origin, tree.size, tree.root())
        if self.entries:  # the head row lock makes this size new: a plain insert
            row = self.ledger.checkpoint_row(checkpoint)
            self.writes.insert(cast(Table, FranchiseCheckpoint.__table__), [row])
        await self.writes.execute(self.session)
        if not self.entries:  # the size may already have its checkpoint
            await self.ledger.store_checkpoint(self.session, checkpoint)
        return checkpoint


class Ledger:
    """One per process: the origin, the signing key and the cached Merkle tree."""

    def __init__(self, origin: str, signing_key: Ed25519PrivateKey) -> None:
        self.origin = origin
        self.signing_key = signing_key
        self.public_key = public_bytes(signing_key.public_key())
        self.tree = MerkleTree()
        self.lock = asyncio.Lock()
        # The largest size with a committed, signed checkpoint this process knows of: proofs
        # up to it need no database round trip.
        self.signed_size = 0

    @property
    def vkey(self) -> str:
        return vkey(self.origin, self.public_key)

    @asynccontextmanager
    async def writing(self, session: AsyncSession) -> AsyncIterator[Appender]:
        """Append in this transaction; commits at the end, rolls the tree back on failure."""
        async with self.lock:
            appender = Appender(self, session)
            try:
                yield appender
                checkpoint = await appender.flush() if appender.start is not None else None
                await session.commit()
                if checkpoint is not None:
                    self.signed_size = max(self.signed_size, checkpoint.size)
            except BaseException:
                await session.rollback()
                if appender.start is not None:
                    self.tree.truncate(min(self.tree.size, appender.start))
                raise

    async def sync_to(self, session: AsyncSession, size: int) -> None:
        """Make the cached tree hold exactly the first ``size`` committed leaves."""
        tree = self.tree
        if tree.size > size:
            tree.truncate(size)
        while tree.size < size:
            upper = min(size, tree.size + LOAD_CHUNK)
            leaves = (
                await session.execute(
                    select(FranchiseLedgerEntry.leaf_hash)
                    .where(FranchiseLedgerEntry.idx >= tree.size, FranchiseLedgerEntry.idx < upper)
                    .order_by(FranchiseLedgerEntry.idx)
                )
            ).scalars()
            before = tree.size
            tree.extend(list(leaves))
            if tree.size != upper:
                tree.truncate(before)
                raise RuntimeError(f"the ledger has a gap after index {before}")

    async def refresh(self, session: AsyncSession, size: int) -> None:
        """Bring the cache up to ``size`` (another process may have appended)."""
        if self.tree.size >= size:
            return
        async with self.lock:
            if self.tree.size < size:
                await self.sync_to(session, size)

    def checkpoint_row(self, checkpoint: Checkpoint) -> dict[str, Any]:
        """The signed checkpoint as a row of ``franchise_checkpoints``."""
        note = sign_note(checkpoint.text(), self.origin, self.signing_key)
        return {
            "size": checkpoint.size,
            "root": checkpoint.root,
            "note": note,
            "created_at": utcnow(),
        }

    async def store_checkpoint(self, session: AsyncSession, checkpoint: Checkpoint) -> str:
        """Sign and keep a checkpoint, or answer the one already kept for its size."""
        note = sign_note(checkpoint.text(), self.origin, self.signing_key)
        existing = await session.get(FranchiseCheckpoint, checkpoint.size)
        if existing is None:
            session.add(FranchiseCheckpoint(size=checkpoint.size, root=checkpoint.root, note=note))
            await session.flush()
            return note
        if existing.root != checkpoint.root:  # a log must never sign two views of one size
            raise RuntimeError(f"checkpoint at size {checkpoint.size} has a different root")
        return existing.note

    async def checkpoint_now(self, session: AsyncSession) -> str:
        """A fresh signed checkpoint of the committed log (on demand)."""
        async with self.lock:
            size = await head_size(session)
            await self.sync_to(session, size)
            note = await self.store_checkpoint(
                session, Checkpoint(self.origin, size, self.tree.root(size))
            )
            await session.commit()
            self.signed_size = max(self.signed_size, size)
            return note

    # --- reads -------------------------------------------------------------------------

    async def latest(self, session: AsyncSession) -> FranchiseCheckpoint:
        row = (
            await session.execute(
                select(FranchiseCheckpoint).order_by(FranchiseCheckpoint.size.desc()).limit(1)
            )
        ).scalar_one_or_none()
        if row is None:
            raise NotFound("The ledger has no checkpoint yet")
        return row

    async def _tree_at(self, session: AsyncSession, tree_size: int | None) -> int:
        if tree_size is not None and 0 <= tree_size <= min(self.signed_size, self.tree.size):
            return tree_size
        latest = await self.latest(session)
        self.signed_size = max(self.signed_size, latest.size)
        size = latest.size if tree_size is None else tree_size
        if not 0 <= size <= latest.size:
            raise BadRequest(f"tree_size must be between 0 and {latest.size}")
        await self.refresh(session, size)
        return size

    async def inclusion(
        self, session: AsyncSession, index: int, tree_size: int | None
    ) -> tuple[int, list[bytes]]:
        size = await self._tree_at(session, tree_size)
        try:
            return size, self.tree.inclusion_proof(index, size)
        except ProofError as exc:
            raise BadRequest(str(exc)) from exc

    async def index_of(self, session: AsyncSession, leaf: bytes) -> int:
        index = (
            await session.execute(
                select(func.min(FranchiseLedgerEntry.idx)).where(
                    FranchiseLedgerEntry.leaf_hash == leaf
                )
            )
        ).scalar_one_or_none()
        if index is None:
            raise NotFound("No entry has that leaf hash")
        return int(index)

    async def consistency(
        self, session: AsyncSession, first: int, second: int | None
    ) -> tuple[int, list[bytes]]:
        size = await self._tree_at(session, second)
        try:
            return size, self.tree.consistency_proof(first, size)
        except ProofError as exc:
            raise BadRequest(str(exc)) from exc


async def head_size(session: AsyncSession) -> int:
    size = await session.scalar(select(FranchiseLedgerHead.size).where(FranchiseLedgerHead.id == 1))
    return int(size or 0)


async def entries(session: AsyncSession, start: int, end: int) -> Sequence[FranchiseLedgerEntry]:
    return (
        (
            await session.execute(
                select(FranchiseLedgerEntry)
                .where(FranchiseLedgerEntry.idx >= start, FranchiseLedgerEntry.idx < end)
                .order_by(FranchiseLedgerEntry.idx)
            )
        )
        .scalars()
        .all()
    )


async def checkpoints(
    session: AsyncSession, after: int, limit: int
) -> Sequence[FranchiseCheckpoint]:
    return (
        (
            await session.execute(
                select(FranchiseCheckpoint)
                .where(FranchiseCheckpoint.size > after)
                .order_by(FranchiseCheckpoint.size)
                .limit(limit)
            )
        )
        .scalars()
        .all()
    )


async def raw_entries(session: AsyncSession, start: int, end: int) -> list[tuple[int, bytes]]:
    rows = await session.execute(
        select(FranchiseLedgerEntry.idx, FranchiseLedgerEntry.body)
        .where(FranchiseLedgerEntry.idx >= start, FranchiseLedgerEntry.idx < end)
        .order_by(FranchiseLedgerEntry.idx)
    )
    # A hand-edited SQLite row may come back as text: serve its bytes, the verifier judges.
    return [(int(i), b.encode() if isinstance(b, str) else bytes(b)) for i, b in rows]
