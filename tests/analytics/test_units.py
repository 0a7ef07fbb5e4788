"""Units: money, periods, the rate limiter, charts, and the compiler against plain Python."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from fodi.analytics import periods
from fodi.analytics.charts import suggest_chart
from fodi.analytics.config import AnalyticsSettings
from fodi.analytics.engine import AnalyticsEngine, compile_structured
from fodi.analytics.models import Payment
from fodi.analytics.money import MoneyError, exponent, to_major, to_minor
from fodi.analytics.periods import Period
from fodi.analytics.ratelimit import RateLimiter
from fodi.analytics.store import PaymentWriter
from fodi.analytics.structured import StructuredQuery, finish_rows
from fodi.core.db import Database


def test_money_is_exact_per_currency() -> None:
    assert to_minor("12.50", "usd") == 1250
    assert to_minor("1500", "JPY") == 1500
    assert exponent("KRW") == 0
    assert to_minor("1.234", "KWD") == 1234
    assert to_major(1250, "USD") == Decimal("12.50")
    assert to_major(7, "JPY") == Decimal(7)
    for bad, currency in (("12.345", "USD"), ("10.5", "JPY"), ("abc", "USD"), ("NaN", "USD")):
        with pytest.raises(MoneyError):
            to_minor(bad, currency)


@given(st.integers(min_value=0, max_value=10**15), st.sampled_from(["USD", "JPY", "KWD", "KGS"]))
def test_minor_major_round_trip(minor: int, currency: str) -> None:
    assert to_minor(to_major(minor, currency), currency) == minor


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)))
def test_calendar_periods_contain_today_and_follow_each_other(today: date) -> None:
    for grain in periods.GRAINS:
        this = periods.current(grain, today)
        previous = periods.current(grain, today, -1)
        assert this.start <= today < this.end
        assert previous.end == this.start
    assert periods.last_n("day", 7, today, "x").end - periods.last_n(
        "day", 7, today, "x"
    ).start == timedelta(days=7)


def test_rate_limiter_refills_over_time() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=2, clock=lambda: now[0])
    assert limiter.check("a") == 0
    assert limiter.check("a") == 0
    wait = limiter.check("a")
    assert wait == pytest.approx(1.0)
    assert limiter.retry_after(wait) == "1"
    assert limiter.check("b") == 0
    now[0] = 1.0
    assert limiter.check("a") == 0


def test_chart_shapes() -> None:
    line = suggest_chart(
        [
            {"month": "2025-01", "currency": "USD", "revenue": Decimal("1.5")},
            {"month": "2025-02", "currency": "USD", "revenue": Decimal("2.5")},
            {"month": "2025-02", "currency": "EUR", "revenue": Decimal(3)},
        ],
        "revenue",
    )
    assert line is not None
    assert line.chart_type == "line"
    assert line.labels == ["2025-01", "2025-02"]
    assert [d.label for d in line.datasets] == ["USD", "EUR"]
    assert line.datasets[1].data == [0.0, 3.0]
    pie = suggest_chart(
        [{"status": "failed", "payments": 3}, {"status": "succeeded", "payments": 9}], "payments"
    )
    assert pie is not None
    assert pie.chart_type == "pie"
    assert suggest_chart([{"payments": 3}], "payments") is None


_payment = st.tuples(
    st.sampled_from(["USD", "JPY", "EUR"]),
    st.sampled_from(["cus_a", "cus_b", "cus_c", None]),
    st.integers(min_value=1, max_value=10**7),
    st.sampled_from(["succeeded", "failed", "pending", "canceled"]),
    st.integers(min_value=0, max_value=100),
    st.sampled_from(["Bishkek", "Tokyo"]),
    st.integers(min_value=0, max_value=2400),  # up to 100 days: weeks, months and quarters
)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(_payment, min_size=0, max_size=30))
async def test_compiled_metrics_equal_plain_python(
    committing_db: Database, rows: list[tuple[str, str | None, int, str, int, str, int]]
) -> None:
    """Revenue, refunds, customers and failure rate, by SQL and by hand."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    async with committing_db.session() as session:
        await session.execute(delete(Payment))
        writer = PaymentWriter(session)
        await writer.add(
            [
                (
                    f"id-{n}", f"x-{n}", start + timedelta(hours=hours), amount,
                    amount * refund_pct // 100 if status == "succeeded" else 0, currency, status,
                    customer, None, None, None, location, None, 0, {}, None, "test",
                )
                for n, (currency, customer, amount, status, refund_pct, location, hours)
                in enumerate(rows)
            ]
        )  # fmt: skip
        await writer.finish()
        await session.commit()
    engine = AnalyticsEngine(committing_db, AnalyticsSettings())
    expected_revenue: dict[tuple[str, str], int] = defaultdict(int)
    expected_refunds: dict[tuple[str, str], int] = defaultdict(int)
    for currency, _, amount, status, refund_pct, location, _ in rows:
        refund = amount * refund_pct // 100 if status == "succeeded" else 0
        expected_refunds[(location, currency)] += refund
        if status == "succeeded":
            expected_revenue[(location, currency)] += amount
    query = StructuredQuery(metric="net_revenue", dimension="location")
    result = await engine.executor.run(compile_structured(query, engine.dialect, 1000))
    got = {(r["location"], r["currency"]): r for r in finish_rows(query, result.rows)}
    keys = set(expected_revenue) | set(expected_refunds)
    assert set(got) == keys
    for key in keys:
        currency = key[1]
        assert got[key]["revenue"] == to_major(expected_revenue[key], currency)
        assert got[key]["net_revenue"] == to_major(
            expected_revenue[key] - expected_refunds[key], currency
        )
    failure = StructuredQuery(metric="failure_rate")
    result = await engine.executor.run(compile_structured(failure, engine.dialect, 1000))
    failed = sum(1 for r in rows if r[3] == "failed")
    attempts = failed + sum(1 for r in rows if r[3] == "succeeded")
    rate = finish_rows(failure, result.rows)[0]["failure_rate"]
    assert rate == ((Decimal(failed) / attempts).quantize(Decimal("0.0001")) if attempts else None)
    paying: dict[str, set[str]] = defaultdict(set)
    for _, customer, _, status, _, location, _ in rows:
        if status == "succeeded" and customer is not None:
            paying[location].add(customer)
            paying["*"].add(customer)
    for dimension in (None, "location"):
        customers = StructuredQuery(metric="customers", dimension=dimension)
        result = await engine.executor.run(compile_structured(customers, engine.dialect, 1000))
        counted = {row.get("location", "*"): row["customers"] for row in result.rows}
        expected = {k: len(v) for k, v in paying.items() if (k == "*") == (dimension is None)}
        if dimension is None:
            expected = {"*": len(paying["*"])}
        assert counted == expected
    # Time groups are formatted after counting (PostgreSQL groups by the truncated time).
    by_day: dict[str, set[str]] = defaultdict(set)
    for _, customer, _, status, _, _, hours in rows:
        if status == "succeeded" and customer is not None:
            by_day[(start + timedelta(hours=hours)).strftime("%Y-%m-%d")].add(customer)
    daily = StructuredQuery(metric="customers", dimension="day")
    result = await engine.executor.run(compile_structured(daily, engine.dialect, 1000))
    assert [(row["day"], row["customers"]) for row in result.rows] == [
        (day, len(customers)) for day, customers in sorted(by_day.items())
    ]
    # Within a period, each calendar bucket is counted on its own range: the same answers.
    period = Period(start=date(2024, 12, 30), end=date(2025, 5, 1), label="the period")
    for dimension, label_of in CALENDAR_LABELS.items():
        by_bucket: dict[str, set[str]] = defaultdict(set)
        for _, customer, _, status, _, _, hours in rows:
            if status == "succeeded" and customer is not None:
                by_bucket[label_of(start + timedelta(hours=hours))].add(customer)
        bucketed = StructuredQuery(metric="customers", dimension=dimension, period=period)
        result = await engine.executor.run(compile_structured(bucketed, engine.dialect, 1000))
        assert [(row[dimension], row["customers"]) for row in result.rows] == [
            (bucket, len(customers)) for bucket, customers in sorted(by_bucket.items())
        ], dimension


CALENDAR_LABELS: dict[str, Callable[[datetime], str]] = {
    "day": lambda t: t.strftime("%Y-%m-%d"),
    "week": lambda t: (t - timedelta(days=t.weekday())).strftime("%Y-%m-%d"),
    "month": lambda t: t.strftime("%Y-%m"),
    "quarter": lambda t: f"{t.year}-Q{(t.month + 2) // 3}",
    "year": lambda t: t.strftime("%Y"),
}
