"""The bulk writer: time-ordered ids, overlapped batches, idempotence on both engines."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select

from fodi.analytics.models import Payment
from fodi.analytics.store import OrderedIds, PaymentRow, PaymentWriter
from fodi.core.db import Database


def test_ordered_ids_are_uuid7_and_increase_in_text_order() -> None:
    ids = OrderedIds(now_ms=1_700_000_000_000, random_bits=12345)
    produced = [ids.next() for _ in range(300)]
    assert produced == sorted(produced)
    assert len(set(produced)) == 300
    parsed = uuid.UUID(produced[0])
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    assert str(parsed) == produced[0]
    later = OrderedIds(now_ms=1_700_000_000_001, random_bits=0).next()
    assert later > produced[-1]  # a later writer sorts after an earlier one


def _rows(count: int, prefix: str = "w") -> list[PaymentRow]:
    created = datetime(2025, 5, 1, 12, tzinfo=UTC)
    return [
        (None, f"{prefix}_{n}", created, 100 + n, 0, "USD", "succeeded", f"cus_{n % 7}", None,
         "visa", "card", "Osh", None, 0, {"location": "Osh"}, None, "import")
        for n in range(count)
    ]  # fmt: skip


async def _count(database: Database) -> int:
    async with database.session() as session:
        return int((await session.execute(select(func.count()).select_from(Payment))).scalar_one())


async def test_overlapped_batches_are_written_once_and_counted(committing_db: Database) -> None:
    rows = _rows(2500)
    async with committing_db.session() as session:
        writer = PaymentWriter(session, overlap=True)
        for start in range(0, len(rows), 1000):
            await writer.add(rows[start : start + 1000])
        assert await writer.finish() == 2500
        await session.commit()
    async with committing_db.session() as session:
        again = PaymentWriter(session, overlap=True)
        await again.add(rows[:1200])
        await again.add(_rows(3, prefix="new"))
        await again.add(rows[2400:] + _rows(5, prefix="mixed"))  # known and new in one batch
        assert await again.finish() == 8  # known external ids add nothing
        await session.commit()
    assert await _count(committing_db) == 2508
    async with committing_db.session() as session:
        ids = (await session.execute(select(Payment.id).order_by(Payment.external_id))).scalars()
        assert all(uuid.UUID(value).version == 7 for value in ids)


async def test_abandoned_batches_leave_nothing(committing_db: Database) -> None:
    async with committing_db.session() as session:
        writer = PaymentWriter(session, overlap=True)
        await writer.add(_rows(1500))
        await writer.abandon()
        await session.rollback()
    assert await _count(committing_db) == 0
