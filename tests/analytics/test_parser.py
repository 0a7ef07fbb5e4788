"""The offline engine's parser and compiler, in units (no HTTP)."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

import pytest

from fodi.analytics.engine import compile_structured
from fodi.analytics.parser import OfflineParser
from fodi.analytics.structured import StructuredQuery

TODAY = date(2026, 3, 15)
PARSER = OfflineParser(
    {"location": ["New York", "Bishkek", "Almaty", "Tokyo", "Osh"], "card_brand": ["visa"]}
)


def parse(question: str, context: StructuredQuery | None = None) -> StructuredQuery:
    result = PARSER.parse(question, TODAY, context)
    assert result.understood, result.reason
    assert result.query is not None
    return result.query


@pytest.mark.parametrize(
    ("question", "metric", "dimension"),
    [
        ("revenue by month this year", "revenue", "month"),
        ("выручка по месяцам в этом году", "revenue", "month"),
        ("net revenue by location", "net_revenue", "location"),
        ("чистая выручка по ресторанам", "net_revenue", "location"),
        ("refund rate by card brand", "refund_rate", "card_brand"),
        ("доля возвратов по брендам карт", "refund_rate", "card_brand"),
        ("failure rate by payment method", "failure_rate", "payment_method"),
        ("доля неудачных платежей по способам оплаты", "failure_rate", "payment_method"),
        ("average payment by currency", "average_payment", "currency"),
        ("средний чек по валютам", "average_payment", "currency"),
        ("customers by week", "customers", "week"),
        ("клиенты по неделям", "customers", "week"),
        ("payments by status", "payments", "status"),
        ("количество платежей по статусам", "payments", "status"),
        ("refunds by quarter", "refunds", "quarter"),
        ("возвраты по кварталам", "refunds", "quarter"),
        ("payments per hour", "payments", "hour"),
        ("платежи по часам", "payments", "hour"),
        ("revenue by weekday", "revenue", "weekday"),
        ("выручка по дням недели", "revenue", "weekday"),
        ("yearly revenue", "revenue", "year"),
        ("ежедневная выручка", "revenue", "day"),
    ],
)
def test_metrics_and_dimensions_in_both_languages(
    question: str, metric: str, dimension: str
) -> None:
    query = parse(question)
    assert (query.metric, query.dimension) == (metric, dimension)


def test_relative_periods_are_calendar_periods_in_utc() -> None:
    cases = {
        "revenue yesterday": ("2026-03-14", "2026-03-15"),
        "revenue today": ("2026-03-15", "2026-03-16"),
        "revenue last month": ("2026-02-01", "2026-03-01"),
        "revenue this year": ("2026-01-01", "2027-01-01"),
        "revenue last week": ("2026-03-02", "2026-03-09"),
        "revenue in the last 7 days": ("2026-03-09", "2026-03-16"),
        "revenue last quarter": ("2025-10-01", "2026-01-01"),
        "выручка за прошлый месяц": ("2026-02-01", "2026-03-01"),
        "выручка за последние 30 дней": ("2026-02-14", "2026-03-16"),
        "revenue in March": ("2026-03-01", "2026-04-01"),
        "revenue in May": ("2025-05-01", "2025-06-01"),  # the most recent May
        "revenue in Q2 2025": ("2025-04-01", "2025-07-01"),
        "выручка во втором квартале 2025 года": ("2025-04-01", "2025-07-01"),
        "revenue from 2025-01-10 to 2025-01-20": ("2025-01-10", "2025-01-21"),
    }
    for question, (start, end) in cases.items():
        period = parse(question).period
        assert period is not None, question
        assert (period.start.isoformat(), period.end.isoformat()) == (start, end), question


def test_filters_thresholds_rankings_and_comparisons() -> None:
    query = parse("top 3 locations by revenue in dollars over $100 last month")
    assert query.top == 3
    assert query.descending
    assert query.dimension == "location"
    assert query.filter_value("currency") == "USD"
    assert query.threshold is not None
    assert query.threshold.amount == Decimal(100)
    assert parse("выручка в Бишкеке").filter_value("location") == "Bishkek"
    assert parse("revenue in New York").filter_value("location") == "New York"
    assert parse("сколько платежей в Нью-Йорке").filter_value("location") == "New York"
    low = parse("which location had the fewest payments")
    assert (low.top, low.descending) == (1, False)
    compared = parse("compare revenue this month vs last month")
    assert compared.period is not None
    assert compared.compare is not None
    assert compared.compare.start.isoformat() == "2026-02-01"
    email = parse("revenue for customer guest7@example.com")
    assert email.filter_value("customer") == "guest7@example.com"


@pytest.mark.parametrize(
    "question",
    [
        "what is the weather",
        "delete all payments",
        "DROP TABLE payments",
        "revenue in Paris",
        "revenue of failed payments",
        "predict revenue next month",
        "revenue and refunds by month",
        "top payments",
        "как дела",
        "",
        "   ",
    ],
)
def test_what_it_does_not_understand_it_says_so(question: str) -> None:
    result = PARSER.parse(question, TODAY)
    assert not result.understood
    assert result.suggestions


def test_follow_ups_reuse_the_previous_question() -> None:
    first = parse("revenue by month in 2025")
    follow = parse("and by card brand?", context=first)
    assert follow.metric == "revenue"
    assert follow.dimension == "card_brand"
    assert follow.period == first.period
    russian = parse("а за прошлый год?", context=parse("выручка в Бишкеке"))
    assert russian.filter_value("location") == "Bishkek"
    assert russian.period is not None
    assert russian.period.start.year == 2025


def test_literals_are_bound_never_spliced() -> None:
    query = parse("revenue for customer x@example.com")
    statement = compile_structured(query, "sqlite", 1000)
    assert "x@example.com" not in statement.sql
    assert "x@example.com" in statement.params.values()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_every_dimension_compiles_and_passes_the_guard(dialect: str) -> None:
    for dimension in (
        "day", "week", "month", "quarter", "year", "weekday", "hour", "currency",
        "status", "card_brand", "payment_method", "location", "customer",
    ):  # fmt: skip
        for metric in ("revenue", "failure_rate"):
            compile_structured(
                StructuredQuery(metric=metric, dimension=dimension, top=3), dialect, 1000
            )


def test_translation_is_fast() -> None:
    questions = ["revenue by month this year", "доля возвратов по ресторанам за прошлый год"]
    started = time.perf_counter()
    for _ in range(50):
        for question in questions:
            PARSER.parse(question, TODAY)
    per_question_ms = (time.perf_counter() - started) * 1000 / 100
    assert per_question_ms < 20
