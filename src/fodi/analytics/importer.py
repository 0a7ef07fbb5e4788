"""Stripe Dashboard payment exports (CSV) → ``payments``.

Headers are matched case-insensitively with synonyms (``Created (UTC)`` or ``Created date
(UTC)``, ``Payment Source Type`` or ``Payment method type``, ...); ``NAME (metadata)``
columns become metadata (``location (metadata)`` is the location, ``order_id (metadata)`` the
FodiFood order).  Amounts are major units converted exactly to minor units.  Every row is
checked before anything is written; a bad row is reported with its line number and reason.
By default one bad row imports nothing (``skip_bad`` imports the good ones); either way each
row is whole or absent, and re-importing a file adds nothing (external ids are unique).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import gc
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fodi.analytics.money import MoneyError, exponent, to_minor
from fodi.analytics.store import PaymentRow, PaymentWriter

SYNONYMS: dict[str, tuple[str, ...]] = {
    "external_id": ("id", "charge id", "payment id", "paymentintent id", "payment intent id"),
    "created_at": (
        "created (utc)", "created date (utc)", "created", "created at", "date (utc)", "created_utc",
    ),
    "amount": ("amount", "gross", "amount (major)"),
    "amount_refunded": ("amount refunded", "refunded amount", "amount_refunded"),
    "currency": ("currency",),
    "status": ("status",),
    "customer_id": ("customer id", "customer", "customer_id"),
    "customer_email": ("customer email", "email", "customer_email", "receipt email"),
    "card_brand": ("card brand", "brand", "card_brand", "payment method details card brand"),
    "payment_method": (
        "payment source type", "payment method type", "payment method", "payment_method_type",
        "source type",
    ),
    "fee": ("fee", "fees", "stripe fee"),
    "description": ("description",),
    "refunded": ("refunded",),
}  # fmt: skip
REQUIRED = ("external_id", "created_at", "amount", "currency")
STATUS_MAP = {
    "paid": "succeeded",
    "succeeded": "succeeded",
    "success": "succeeded",
    "successful": "succeeded",
    "refunded": "succeeded",
    "partially refunded": "succeeded",
    "partially_refunded": "succeeded",
    "captured": "succeeded",
    "failed": "failed",
    "declined": "failed",
    "blocked": "failed",
    "pending": "pending",
    "incomplete": "pending",
    "requires_payment_method": "pending",
    "requires_action": "pending",
    "processing": "pending",
    "uncaptured": "pending",
    "canceled": "canceled",
    "cancelled": "canceled",
    "voided": "canceled",
}
_METADATA = re.compile(r"^\s*(?P<name>.+?)\s*\(metadata\)\s*$", re.IGNORECASE)
_TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%Y/%m/%d %H:%M",
)
BATCH = 5000
ZERO = timedelta(0)


class ImportFormatError(ValueError):
    """The file itself cannot be read as a payments export (missing columns, not CSV)."""


@dataclass(slots=True)
class RowError:
    line: int
    reason: str


@dataclass(slots=True)
class ImportReport:
    rows: int = 0
    valid: int = 0
    inserted: int = 0
    errors: list[RowError] = field(default_factory=list)
    committed: bool = False

    @property
    def skipped_existing(self) -> int:
        return self.valid - self.inserted if self.committed else 0


@dataclass(frozen=True, slots=True)
class HeaderMap:
    fields: dict[str, int]
    metadata: dict[str, int]

    @classmethod
    def from_header(cls, header: list[str]) -> HeaderMap:
        normalized = [h.strip().lstrip("\ufeff").lower() for h in header]
        fields: dict[str, int] = {}
        metadata: dict[str, int] = {}
        for index, name in enumerate(normalized):
            meta = _METADATA.match(header[index].lstrip("\ufeff"))
            if meta:
                metadata[meta.group("name").strip().lower()] = index
                continue
            for target, names in SYNONYMS.items():
                if name in names and target not in fields:
                    fields[target] = index
                    break
        missing = [f for f in REQUIRED if f not in fields]
        if missing:
            raise ImportFormatError(
                "missing column(s): " + ", ".join(SYNONYMS[m][0] for m in missing)
            )
        return cls(fields, metadata)


def parse_time(value: str) -> datetime:
    text = value.strip()
    if not text:
        raise ValueError("created time is empty")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        for layout in _TIME_FORMATS:
            try:
                parsed = datetime.strptime(text, layout)
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"created time {text!r} is not a date") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed if parsed.utcoffset() == ZERO else parsed.astimezone(UTC)


_ORDER = (
    "external_id", "created_at", "amount", "amount_refunded", "currency", "status",
    "customer_id", "customer_email", "card_brand", "payment_method", "fee", "description",
)  # fmt: skip
_SIMPLE_AMOUNT = re.compile(r"(\d{1,15})(?:\.(\d{1,6}))?").fullmatch
_SCALE = (1, 10, 100, 1000)
_ISO_CODE = re.compile(r"[A-Z]{3}").fullmatch


def _amount(value: str, digits: int, currency: str, what: str) -> int:
    """Major units → minor units, exactly.  The common "12.50" takes a fast path."""
    if not value:
        return 0
    simple = _SIMPLE_AMOUNT(value)
    if simple is not None:
        whole, fraction = simple.groups()
        scale = _SCALE[digits]
        if fraction is None:
            return int(whole) * scale
        if len(fraction) <= digits:
            return int(whole) * scale + int(fraction.ljust(digits, "0"))
    text = value.replace(",", "") if re.fullmatch(r"-?[\d,]+(\.\d+)?", value) else value
    try:
        minor = to_minor(Decimal(text), currency)
    except (InvalidOperation, MoneyError) as exc:
        raise ValueError(
            f"{what} {value!r}: {exc}"
            if isinstance(exc, MoneyError)
            else f"{what} {value!r} is not a number"
        ) from exc
    if minor < 0:
        raise ValueError(f"{what} {value!r} is negative")
    return minor


class RowConverter:
    """Turns CSV records into payments rows for one header (the hot loop of an import).

    The row's ``id`` is left empty: the writer fills it (a time-ordered id).  Exports repeat
    a few amounts, fees, statuses, brands and methods over and over, so their conversions are
    memoised per converter (only successful ones; a bad value is checked again each time).
    """

    def __init__(self, header: HeaderMap, source: str = "import") -> None:
        self.source = source
        self.width = 1 + max([*header.fields.values(), *header.metadata.values()])
        # A missing column points at the empty cell appended after each record's cells.
        self.metadata = list(header.metadata.items())
        self.columns = tuple(header.fields.get(name, -1) for name in _ORDER)
        self.digits: dict[str, int] = {}
        self._amounts: dict[tuple[str, int], int] = {}
        self._brands: dict[str, str | None] = {}
        self._methods: dict[str, str | None] = {}

    def __call__(self, cells: list[str]) -> PaymentRow:
        """One CSV record → a payments row, or ValueError saying what is wrong with it."""
        if len(cells) < self.width:
            cells = cells + [""] * (self.width - len(cells))
        cells.append("")  # what a missing column reads (index -1)
        (
            i_id, i_created, i_amount, i_refunded, i_currency, i_status, i_customer, i_email,
            i_brand, i_method, i_fee, i_description,
        ) = self.columns  # fmt: skip
        external_id = cells[i_id].strip()
        if not external_id or len(external_id) > 255:
            raise ValueError(
                "id is empty" if not external_id else "id is longer than 255 characters"
            )
        currency = cells[i_currency].strip().upper()
        digits = self.digits.get(currency)
        if digits is None:
            if not _ISO_CODE(currency):
                raise ValueError(f"currency {cells[i_currency].strip()!r} is not an ISO code")
            digits = self.digits[currency] = exponent(currency)
        created = parse_time(cells[i_created])
        amount = self._amount(cells[i_amount], digits, currency, "amount")
        refunded = self._amount(cells[i_refunded], digits, currency, "amount refunded")
        raw_status = cells[i_status].strip().lower()
        status = STATUS_MAP.get(raw_status) if raw_status else "succeeded"
        if status is None:
            raise ValueError(
                f"status {cells[i_status].strip()!r} is not one of Paid, Refunded, Failed, ..."
            )
        if raw_status == "refunded" and refunded == 0:
            refunded = amount
        if refunded > amount:
            raise ValueError("amount refunded is larger than the amount")
        metadata = {}
        for name, index in self.metadata:
            if value := cells[index].strip():
                metadata[name] = value
        email = cells[i_email].strip() or None
        if email and "@" not in email:
            raise ValueError(f"customer email {email!r} is not an address")
        return (
            None,
            external_id,
            created,
            amount,
            refunded,
            currency,
            status,
            cells[i_customer].strip() or None,
            email,
            _memo(self._brands, cells[i_brand], _brand),
            _memo(self._methods, cells[i_method], _method),
            metadata.get("location"),
            cells[i_description].strip() or None,
            self._amount(cells[i_fee], digits, currency, "fee"),
            metadata,
            metadata.get("order_id"),
            self.source,
        )

    def _amount(self, raw: str, digits: int, currency: str, what: str) -> int:
        key = (raw, digits)
        minor = self._amounts.get(key)
        if minor is None:
            minor = _amount(raw.strip(), digits, currency, what)
            if len(self._amounts) < MEMO_LIMIT:
                self._amounts[key] = minor
        return minor


MEMO_LIMIT = 50_000  # distinct values memoised per column and import


def _brand(raw: str) -> str | None:
    return raw.strip().lower().replace(" ", "") or None


def _method(raw: str) -> str | None:
    return raw.strip().lower().replace(" ", "_") or None


def _memo(
    memo: dict[str, str | None], raw: str, convert: Callable[[str], str | None]
) -> str | None:
    if raw in memo:
        return memo[raw]
    value = convert(raw)
    if len(memo) < MEMO_LIMIT:
        memo[raw] = value
    return value


def convert_row(cells: list[str], header: HeaderMap, source: str = "import") -> PaymentRow:
    return RowConverter(header, source)(list(cells))


def read_rows(
    stream: io.TextIOBase | Any,
) -> Iterator[tuple[int, PaymentRow | RowError]]:
    """(line number, row or error) for each record after the header."""
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFormatError("the file is empty") from None
    except csv.Error as exc:
        raise ImportFormatError(f"not a CSV file: {exc}") from exc
    convert = RowConverter(HeaderMap.from_header(header))
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, RowError(reader.line_num, f"unreadable CSV: {exc}")
            continue
        if not "".join(cells).strip():  # a blank record (cheaper than testing each cell)
            continue
        line = reader.line_num
        try:
            yield line, convert(cells)
        except ValueError as exc:
            yield line, RowError(line, str(exc))


async def import_csv(
    session: AsyncSession,
    path: Path,
    *,
    skip_bad: bool = False,
    progress: Callable[[int], None] | None = None,
    max_errors: int = 1000,
) -> ImportReport:
    """Import ``path`` in the session's transaction; commits only when the report allows it."""
    report = ImportReport()
    # Batches are written while the next ones are read (the database and Python overlap).
    writer = PaymentWriter(session, overlap=True)
    try:
        with (
            path.open(newline="", encoding="utf-8-sig", errors="strict") as stream,
            _cyclic_gc_paused(),
        ):
            await _write_rows(stream, writer, report, skip_bad, progress, max_errors)
        if report.errors and not skip_bad:
            await writer.drain()
            await session.rollback()
            return report
        report.inserted = await writer.finish()
    except BaseException:
        await writer.abandon()  # the batch in flight, before the session is rolled back
        raise
    await session.commit()
    report.committed = True
    return report


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause the cycle collector while rows are read: they are tuples, dicts and strings that
    never form cycles, but every few thousand of them the collector walked all the batches in
    flight again (about a sixth of a large import's time). Reference counting still frees
    everything as usual; the collector resumes, as it was, at the end."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


YIELD_EVERY = 100  # rows read between turns of the event loop for the batch being written


async def _write_rows(
    stream: io.TextIOBase | Any,
    writer: PaymentWriter,
    report: ImportReport,
    skip_bad: bool,
    progress: Callable[[int], None] | None,
    max_errors: int,
) -> None:
    """Read and check every row, writing good ones in batches; once a bad row dooms the
    import (``skip_bad`` off) the rest is only read, for the report."""
    seen: set[str] = set()
    batch: list[PaymentRow] = []
    try:
        for line, item in read_rows(stream):
            report.rows += 1
            if isinstance(item, RowError):
                if len(report.errors) < max_errors:
                    report.errors.append(item)
            elif item[1] in seen:
                report.errors.append(RowError(line, f"id {item[1]!r} appears twice in the file"))
            else:
                seen.add(item[1])
                report.valid += 1
                if skip_bad or not report.errors:
                    batch.append(item)
            if len(batch) >= BATCH:
                await writer.add(batch)
                batch = []
            if report.rows % YIELD_EVERY == 0:
                await asyncio.sleep(0)
                if progress is not None and report.rows % 1000 == 0:
                    progress(1000)
    except UnicodeDecodeError as exc:
        raise ImportFormatError(f"the file is not UTF-8 text: {exc.reason}") from exc
    if skip_bad or not report.errors:
        await writer.add(batch)
    if progress is not None:
        progress(report.rows % 1000)


def count_lines(path: Path) -> int:
    with path.open("rb") as stream:
        return max(
            sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b"")) - 1, 0
        )
