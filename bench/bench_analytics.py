"""Analytics benchmark: translation time, aggregates over 1,000,000 payments, import speed.

One command: ``.venv/bin/python bench/bench_analytics.py`` (PostgreSQL on 127.0.0.1:5432 as
user ``postgres``; it drops and recreates the ``bench_analytics`` database).

1. Translation: question → guarded SQL by the offline engine (parser + SQLAlchemy compile +
   guard), over every understood question of the evaluation set, both languages.
2. Aggregates: 1,000,000 payments generated in the database with ``generate_series``; typical
   questions answered end to end (parse, guard, read-only transaction as the reader role,
   rows), each asked 7 times; p50 and p95 per question.
3. Import: a 200,000-row Stripe-style CSV through ``fodi analytics import``'s code path into
   the table of 1,000,000 payments (binary COPY of each batch straight into ``payments``
   under a savepoint, overlapped with reading the next batch; a batch holding known external
   ids falls back to a staging table and INSERT ... ON CONFLICT DO NOTHING).
"""

from __future__ import annotations

import asyncio
import csv
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]  # (asyncpg ships no type information)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import console, print_table
from fodi.analytics.config import AnalyticsSettings
from fodi.analytics.engine import AnalyticsEngine, compile_structured
from fodi.analytics.eval_set import ALL_CASES
from fodi.analytics.importer import import_csv, read_rows
from fodi.analytics.parser import OfflineParser
from fodi.core import migrations
from fodi.core.db import Database

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DB = "bench_analytics"
BENCH_URL = f"postgresql://postgres@127.0.0.1:5432/{BENCH_DB}"
ROWS = 1_000_000
IMPORT_ROWS = 200_000
TODAY = datetime(2026, 3, 15, 12, tzinfo=UTC)
LOCATIONS = ["Bishkek", "Osh", "Almaty", "Tokyo", "New York", "Berlin"]
QUESTIONS = [
    "revenue by month in 2025",
    "revenue this year",
    "failure rate by card brand last quarter",
    "top 5 locations by revenue in 2025",
    "refund rate by location last year",
    "payments per hour last month",
    "average payment by currency",
    "customers by month in 2025",
    "compare revenue this month vs last month",
    "выручка по неделям за последние 90 дней",
]

GENERATE = """
INSERT INTO payments (id, external_id, created_at, amount, amount_refunded, currency, status,
    customer_id, customer_email, card_brand, payment_method, location, description, fee,
    metadata, order_id, source)
SELECT md5(g::text), 'bench_' || g,
    timestamptz '2024-01-01 00:00:00+00' + ((g * 7919) % 800) * interval '1 day'
        + ((g * 104729) % 86400) * interval '1 second',
    amount, CASE WHEN status = 'succeeded' AND g % 40 = 0 THEN amount ELSE 0 END,
    (ARRAY['KGS','KGS','KZT','JPY','USD','EUR'])[1 + g % 6], status,
    'cus_' || (g % 125000), 'guest' || (g % 125000) || '@example.com',
    (ARRAY['visa','mastercard','visa','amex','mastercard','unionpay','mir'])[1 + (g / 7) % 7],
    (ARRAY['card','card','card','apple_pay','google_pay','cash','qr'])[1 + (g / 3) % 7],
    ($2::text[])[1 + g % 6], 'bench payment', amount * 29 / 1000, '{}'::jsonb, NULL,
    'bench'
FROM (
    SELECT g, 500 + (g * 7907) % 250000 AS amount,
        CASE WHEN g % 100 < 88 THEN 'succeeded' WHEN g % 100 < 95 THEN 'failed'
             WHEN g % 100 < 98 THEN 'pending' ELSE 'canceled' END AS status
    FROM generate_series(1::bigint, $1::bigint) AS g
) AS s
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_translation() -> tuple[float, float, float, int]:
    """p50/p95 of question → guarded SQL, first sight (cold) and repeated (warm)."""
    parser = OfflineParser({"location": LOCATIONS})
    today = TODAY.date()
    questions = [c.question for c in ALL_CASES if c.gold is not None]
    cold: list[float] = []
    warm: list[float] = []
    for round_number in range(5):
        for question in questions:
            started = time.perf_counter()
            result = parser.parse(question, today)
            if result.query is not None:
                compile_structured(result.query, "postgresql", 1000)
            elapsed = (time.perf_counter() - started) * 1000
            (cold if round_number == 0 else warm).append(elapsed)
    return (
        statistics.median(cold),
        statistics.median(warm),
        percentile(warm, 0.95),
        len(questions),
    )


async def prepare_database() -> float:
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        await admin.execute(f"CREATE DATABASE {BENCH_DB}")
    finally:
        await admin.close()
    await migrations.upgrade(BENCH_URL)
    connection = await asyncpg.connect(BENCH_URL)
    try:
        started = time.perf_counter()
        await connection.execute(GENERATE, ROWS, LOCATIONS)
        await connection.execute("VACUUM ANALYZE payments")
        return time.perf_counter() - started
    finally:
        await connection.close()


async def bench_aggregates() -> list[tuple[str, float, float, int]]:
    database = Database.from_url(BENCH_URL)
    engine = AnalyticsEngine(
        database,
        AnalyticsSettings(engine="offline", statement_timeout_ms=30_000),
        clock=lambda: TODAY,
    )
    results = []
    try:
        for question in QUESTIONS:
            timings = []
            answer = None
            for _ in range(7):
                started = time.perf_counter()
                answer = await engine.answer(question)
                timings.append((time.perf_counter() - started) * 1000)
            if answer is None or not answer.understood or answer.error is not None:
                raise RuntimeError(f"{question!r} was not answered: {answer}")
            results.append(
                (question, statistics.median(timings), percentile(timings, 0.95), answer.row_count)
            )
    finally:
        await database.dispose()
    return results


def write_export(path: Path, rows: int) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(
            ["id", "Created (UTC)", "Amount", "Amount Refunded", "Currency", "Status",
             "Customer ID", "Customer Email", "Card Brand", "Payment Source Type", "Fee",
             "Description", "location (metadata)"]
        )  # fmt: skip
        for n in range(rows):
            created = start + timedelta(seconds=n * 37)
            writer.writerow(
                [f"ch_import_{n}", created.strftime("%Y-%m-%d %H:%M:%S"),
                 f"{10 + n % 9000}.{n % 100:02d}", "0.00" if n % 30 else "5.00", "usd",
                 "Paid" if n % 12 else "Failed", f"cus_{n % 40000}", f"c{n % 40000}@example.com",
                 "Visa", "card", "0.59", "Lunch", LOCATIONS[n % 6]]
            )  # fmt: skip


def bench_parse(path: Path) -> float:
    """Rows per second of reading and checking the CSV alone (no database)."""
    started = time.perf_counter()
    with path.open(newline="") as stream:
        count = sum(1 for _ in read_rows(stream))
    return count / (time.perf_counter() - started)


async def bench_import(path: Path) -> tuple[float, int]:
    database = Database.from_url(BENCH_URL)
    try:
        async with database.session() as session:
            started = time.perf_counter()
            report = await import_csv(session, path)
            elapsed = time.perf_counter() - started
        if not report.committed or report.inserted != IMPORT_ROWS:
            raise RuntimeError(f"the import did not go through: {report}")
        return elapsed, report.inserted
    finally:
        await database.dispose()


async def main() -> None:
    began = time.perf_counter()
    cold, warm, warm95, count = bench_translation()
    console.print(f"translation measured on {count} questions ({date.today()})")
    generation = await prepare_database()
    console.print(f"generated {ROWS:,} payments in {generation:.1f} s")
    aggregates = await bench_aggregates()
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "export.csv"
        write_export(export, IMPORT_ROWS)
        parse_rate = bench_parse(export)
        import_seconds, imported = await bench_import(export)
    rate = imported / import_seconds
    rows: list[list[object]] = [
        ["translation p50, first sight (ms)", cold, 5.0, f"{5.0 / cold:.1f}x"],
        ["translation p50, repeated shape (ms)", warm, 5.0, f"{5.0 / warm:.1f}x"],
        ["translation p95, repeated shape (ms)", warm95, "-", "-"],
    ]
    for question, p50, p95, row_count in aggregates:
        rows.append(
            [
                f"1M rows: {question} (p50 ms; p95 {p95:.0f}; {row_count} rows)",
                p50,
                300.0,
                f"{300.0 / p50:.1f}x",
            ]
        )
    all_p50 = statistics.median([p50 for _, p50, _, _ in aggregates])
    rows.append(
        ["1M rows: median of the question p50s (ms)", all_p50, 300.0, f"{300.0 / all_p50:.1f}x"]
    )
    rows.append(["import: reading + checking the CSV only (rows/s)", parse_rate, "-", "-"])
    rows.append(
        [
            f"import {imported:,} rows end to end, COPY, into 1M rows (rows/s)",
            rate,
            50_000.0,
            f"{rate / 50_000:.1f}x",
        ]
    )
    print_table(
        "analytics benchmark (PostgreSQL 127.0.0.1)",
        ["measure", "measured", "goal", "ratio to goal"],
        rows,
    )
    console.print(f"whole run {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    asyncio.run(main())
