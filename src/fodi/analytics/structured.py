"""The structured query the offline engine understands, compiled to SQL with SQLAlchemy Core.

A question becomes ``metric × dimension × filters × period (or two, compared) × top-N ×
threshold``.  Compilation is dialect-aware (date labels on SQLite and PostgreSQL give the same
strings) and every literal is a bound parameter.  Money comes back in minor units and is turned
into exact decimals per currency afterwards; rates are computed from their parts exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Literal

from sqlalchemy import (
    Float,
    Integer,
    Select,
    and_,
    case,
    cast,
    column,
    extract,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement

from fodi.analytics.money import THREE_DECIMAL, ZERO_DECIMAL, exponent, to_major
from fodi.analytics.periods import Period

MetricName = Literal[
    "payments",
    "revenue",
    "net_revenue",
    "refunds",
    "refund_rate",
    "failure_rate",
    "average_payment",
    "customers",
]
TIME_DIMENSIONS = ("day", "week", "month", "quarter", "year", "weekday", "hour")
CATEGORY_DIMENSIONS = (
    "currency",
    "status",
    "card_brand",
    "payment_method",
    "location",
    "customer",
)
DIMENSIONS = TIME_DIMENSIONS + CATEGORY_DIMENSIONS
FILTER_FIELDS = ("status", "currency", "card_brand", "payment_method", "location", "customer")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class MetricSpec:
    name: str
    definition: str
    money: bool  # answered per currency unless one is named
    parts: tuple[str, ...]  # the SQL columns; the metric is derived from them


METRICS: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        MetricSpec("payments", "payments = count of payment rows", False, ("payments",)),
        MetricSpec("revenue", "revenue = sum of amount of succeeded payments", True, ("revenue",)),
        MetricSpec(
            "net_revenue",
            "net revenue = revenue minus refunds (sum of amount_refunded)",
            True,
            ("revenue", "refunds"),
        ),
        MetricSpec("refunds", "refunds = sum of amount_refunded", True, ("refunds",)),
        MetricSpec("refund_rate", "refund rate = refunds / revenue", True, ("refunds", "revenue")),
        MetricSpec(
            "failure_rate",
            "failure rate = failed / (succeeded + failed) payments",
            False,
            ("failed", "succeeded"),
        ),
        MetricSpec(
            "average_payment",
            "average payment = revenue / number of succeeded payments",
            True,
            ("revenue", "succeeded"),
        ),
        MetricSpec(
            "customers",
            "customers = distinct customers with a succeeded payment",
            False,
            ("customers",),
        ),
    )
}
# Columns in minor units turned into exact major-unit decimals (average_payment is derived).
MINOR_UNIT_COLUMNS = frozenset({"revenue", "refunds", "net_revenue"})
MONEY_COLUMNS = MINOR_UNIT_COLUMNS | {"average_payment"}


@dataclass(frozen=True, slots=True)
class Threshold:
    """``amount > 100`` in major units; in the named currency, or in each payment's own."""

    op: Literal[">", ">=", "<", "<="]
    amount: Decimal
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class StructuredQuery:
    metric: str
    dimension: str | None = None
    filters: tuple[tuple[str, str], ...] = ()
    period: Period | None = None
    compare: Period | None = None  # when set, ``period`` is compared with it
    top: int | None = None
    descending: bool = True
    threshold: Threshold | None = None
    refunded_only: bool = False

    def with_changes(self, **changes: Any) -> StructuredQuery:
        return replace(self, **changes)

    def filter_value(self, name: str) -> str | None:
        for key, value in self.filters:
            if key == name:
                return value
        return None

    @property
    def spec(self) -> MetricSpec:
        return METRICS[self.metric]

    @property
    def per_currency(self) -> bool:
        """Money is never summed across currencies: group by it unless one is named."""
        return self.spec.money and self.filter_value("currency") is None

    def describe(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "dimension": self.dimension,
            "filters": dict(self.filters),
            "period": self.period.describe() if self.period else None,
            "compare_with": self.compare.describe() if self.compare else None,
            "top": self.top,
            "order": "desc" if self.descending else "asc",
            "threshold": (
                f"amount {self.threshold.op} {self.threshold.amount}"
                f" {self.threshold.currency or '(in each currency)'}"
                if self.threshold
                else None
            ),
            "refunded_only": self.refunded_only,
            "per_currency": self.per_currency,
        }


payments = table(
    "payments",
    column("created_at"),
    column("amount"),
    column("amount_refunded"),
    column("currency"),
    column("status"),
    column("customer_id"),
    column("customer_email"),
    column("card_brand"),
    column("payment_method"),
    column("location"),
)
c = payments.c


def const(value: str | int) -> ColumnElement[Any]:
    """A constant of our own (never user input) written into the SQL, so it reads naturally."""
    if isinstance(value, int):
        return literal_column(str(int(value)))
    if "'" in value:
        raise ValueError("constants are plain words")
    return literal_column(f"'{value}'")


def _succeeded() -> ColumnElement[bool]:
    return c.status == const("succeeded")


def _part(name: str) -> ColumnElement[Any]:
    if name == "payments":
        return func.count()
    if name == "revenue":
        return func.coalesce(func.sum(case((_succeeded(), c.amount), else_=const(0))), const(0))
    if name == "refunds":
        return func.coalesce(func.sum(c.amount_refunded), const(0))
    if name == "succeeded":
        return func.count(case((_succeeded(), const(1))))
    if name == "failed":
        return func.count(case((c.status == const("failed"), const(1))))
    if name == "customers":
        return func.count(func.distinct(case((_succeeded(), c.customer_id))))
    raise ValueError(name)


def _ratio(numerator: ColumnElement[Any], denominator: ColumnElement[Any]) -> ColumnElement[Any]:
    """For ordering only (the exact value is computed from the parts afterwards)."""
    return cast(numerator, Float) / func.nullif(denominator, const(0))


def _metric_order_expression(metric: str) -> ColumnElement[Any]:
    if metric == "net_revenue":
        return _part("revenue") - _part("refunds")
    if metric == "refund_rate":
        return _ratio(_part("refunds"), _part("revenue"))
    if metric == "failure_rate":
        return _ratio(_part("failed"), _part("failed") + _part("succeeded"))
    if metric == "average_payment":
        return _ratio(_part("revenue"), _part("succeeded"))
    return _part(METRICS[metric].parts[0])


def group_expression(dimension: str, dialect: str) -> ColumnElement[Any]:
    """What rows are grouped by: PostgreSQL truncates time, the label is formatted after."""
    if dialect == "postgresql" and dimension in ("day", "week", "month", "quarter", "year"):
        return func.date_trunc(const(dimension), func.timezone(const("UTC"), c.created_at))
    return dimension_expression(dimension, dialect)


POSTGRES_LABEL_FORMATS = {
    "day": "YYYY-MM-DD",
    "week": "YYYY-MM-DD",
    "month": "YYYY-MM",
    "quarter": 'YYYY-"Q"Q',
    "year": "YYYY",
}


def label_of_group(dimension: str, dialect: str, grouped: ColumnElement[Any]) -> ColumnElement[Any]:
    """The label of a group from the value rows were grouped by (``group_expression``)."""
    if dialect == "postgresql" and dimension in POSTGRES_LABEL_FORMATS:
        return func.to_char(grouped, const(POSTGRES_LABEL_FORMATS[dimension]))
    return grouped


def dimension_expression(dimension: str, dialect: str) -> ColumnElement[Any]:
    """The label a row is grouped under; the same strings on SQLite and PostgreSQL."""
    if dimension == "customer":
        return c.customer_id
    if dimension in CATEGORY_DIMENSIONS:
        return c[dimension]
    if dialect == "postgresql":
        utc = func.timezone(const("UTC"), c.created_at)
        if dimension in POSTGRES_LABEL_FORMATS:
            # Formatted from the truncated time that rows are grouped by (cheaper than
            # formatting every row before grouping).
            return label_of_group(dimension, dialect, group_expression(dimension, dialect))
        if dimension == "weekday":
            return cast(extract("isodow", utc), Integer)
        return cast(extract("hour", utc), Integer)
    stamp = c.created_at  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC
    formats = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}
    if dimension in formats:
        return func.strftime(const(formats[dimension]), stamp)
    if dimension == "quarter":
        # SQLite divides integers as integers; SQLAlchemy would write FLOOR(), which it lacks.
        number: ColumnElement[Any] = literal_column(
            "((CAST(strftime('%m', payments.created_at) AS INTEGER) + 2) / 3)"
        )
        return func.strftime(const("%Y"), stamp).concat(const("-Q")).concat(number)
    if dimension == "week":
        return func.date(stamp, const("weekday 0"), const("-6 days"))
    if dimension == "weekday":
        return (cast(func.strftime(const("%w"), stamp), Integer) + const(6)) % const(7) + const(1)
    return cast(func.strftime(const("%H"), stamp), Integer)


def _threshold_condition(threshold: Threshold) -> ColumnElement[bool]:
    def compare(minor: ColumnElement[Any] | int) -> ColumnElement[bool]:
        ops = {
            ">": c.amount > minor,
            ">=": c.amount >= minor,
            "<": c.amount < minor,
            "<=": c.amount <= minor,
        }
        return ops[threshold.op]

    def scaled(digits: int) -> int:
        return int((threshold.amount.scaleb(digits)).to_integral_value(ROUND_HALF_EVEN))

    if threshold.currency:
        return and_(c.currency == threshold.currency, compare(scaled(exponent(threshold.currency))))
    # No currency named: the amount is read in each payment's own currency.
    return or_(
        and_(c.currency.in_([const(x) for x in sorted(ZERO_DECIMAL)]), compare(scaled(0))),
        and_(c.currency.in_([const(x) for x in sorted(THREE_DECIMAL)]), compare(scaled(3))),
        and_(
            c.currency.not_in([const(x) for x in sorted(ZERO_DECIMAL | THREE_DECIMAL)]),
            compare(scaled(2)),
        ),
    )


def _conditions(query: StructuredQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for name, value in query.filters:
        target = c.customer_id if name == "customer" else c[name]
        if name == "customer" and "@" in value:
            target = c.customer_email
        if name == "currency":
            conditions.append(target == value)
        else:
            conditions.append(func.lower(target) == value.lower())
    periods = [p for p in (query.period, query.compare) if p is not None]
    if len(periods) == 1:
        conditions.append(c.created_at >= periods[0].start_at)
        conditions.append(c.created_at < periods[0].end_at)
    elif len(periods) == 2:
        # The whole span first (an index range), then exactly the two periods.
        conditions.append(c.created_at >= min(p.start_at for p in periods))
        conditions.append(c.created_at < max(p.end_at for p in periods))
        conditions.append(or_(*(_in_period(p) for p in periods)))
    if query.threshold is not None:
        conditions.append(_threshold_condition(query.threshold))
    if query.refunded_only:
        conditions.append(c.amount_refunded > 0)
    # Metrics defined on succeeded payments only let the database skip the rest early.
    if query.metric in ("revenue", "average_payment", "customers"):
        conditions.append(_succeeded())
    elif query.metric == "failure_rate":
        conditions.append(c.status.in_([const("succeeded"), const("failed")]))
    return conditions


def _in_period(period: Period) -> ColumnElement[bool]:
    return and_(c.created_at >= period.start_at, c.created_at < period.end_at)


def compile_query(query: StructuredQuery, dialect: str) -> Select[Any]:
    """The SELECT answering ``query`` (labels first, then currency, then the metric's parts)."""
    groups: list[ColumnElement[Any]] = []
    group_by: list[ColumnElement[Any]] = []
    if query.compare is not None and query.period is not None:
        period = case(
            (_in_period(query.period), literal(query.period.label)),
            else_=literal(query.compare.label),
        )
        groups.append(period.label("period"))
        group_by.append(period)
    if query.dimension is not None:
        label = _dimension_label(query.dimension)
        groups.append(dimension_expression(query.dimension, dialect).label(label))
        group_by.append(group_expression(query.dimension, dialect))
    if query.per_currency and query.dimension != "currency":
        groups.append(c.currency.label("currency"))
        group_by.append(c.currency)
    conditions = _conditions(query)
    if query.metric == "customers":
        buckets = _calendar_buckets(query)
        if buckets is not None:
            return _distinct_customers_per_bucket(query, buckets, conditions)
        return _distinct_customers(query, dialect, groups, group_by, conditions)
    parts = [_part(name).label(name) for name in query.spec.parts]
    statement = select(*groups, *parts).select_from(payments)
    if conditions:
        statement = statement.where(and_(*conditions))
    if group_by:
        statement = statement.group_by(*group_by)
    return _order(statement, query, groups, _metric_order_expression(query.metric))


def _distinct_customers(
    query: StructuredQuery,
    dialect: str,
    groups: list[ColumnElement[Any]],
    group_by: list[ColumnElement[Any]],
    conditions: list[ColumnElement[bool]],
) -> Select[Any]:
    """Distinct (group, customer) pairs first, then counted: a hash aggregate instead of the
    sort ``COUNT(DISTINCT ...)`` needs per group (the conditions keep succeeded rows only).

    The pairs carry the values rows are grouped by (a truncated time on PostgreSQL) and only
    the counted groups are formatted into labels: a year of monthly pairs is ~200,000 rows
    and a dozen labels.
    """
    names = [str(g.key) for g in groups]
    keys = [expression.label(name) for expression, name in zip(group_by, names, strict=True)]
    inner = select(*keys, c.customer_id.label("paying_customer")).select_from(payments)
    inner = inner.where(and_(*conditions, c.customer_id.is_not(None)))
    pairs = inner.group_by(*group_by, c.customer_id).subquery("pairs")
    outer_groups = [
        (
            label_of_group(query.dimension, dialect, pairs.c[name]).label(name)
            if query.dimension is not None and name == _dimension_label(query.dimension)
            else pairs.c[name]
        )
        for name in names
    ]
    statement = select(*outer_groups, func.count().label("customers")).select_from(pairs)
    if names:
        statement = statement.group_by(*(pairs.c[name] for name in names))
    return _order(statement, query, outer_groups, func.count())


CALENDAR_DIMENSIONS = ("day", "week", "month", "quarter", "year")
MAX_BUCKETS = 62  # a day-by-day month, a week-by-week year: beyond that, one grouped scan


@dataclass(frozen=True)
class Bucket:
    """One calendar period of a time dimension: ``[start, end)`` in UTC and its label."""

    start: datetime
    end: datetime
    label: str


def _calendar_buckets(query: StructuredQuery) -> list[Bucket] | None:
    """The buckets a distinct count by a calendar dimension spans, when there are few.

    Counting each bucket's distinct customers on its own index range hashes a bucket's
    customers at a time (tens of thousands) instead of every (bucket, customer) pair of the
    period at once (hundreds of thousands): the same answer at less than half the cost.
    """
    if query.dimension not in CALENDAR_DIMENSIONS or query.period is None or query.compare:
        return None
    buckets: list[Bucket] = []
    start = _bucket_start(query.dimension, query.period.start)
    while start < query.period.end:
        if len(buckets) == MAX_BUCKETS:
            return None
        end = _next_bucket(query.dimension, start)
        buckets.append(Bucket(_utc(start), _utc(end), _bucket_label(query.dimension, start)))
        start = end
    return buckets


def _bucket_start(dimension: str, day: date) -> date:
    if dimension == "week":
        return day - timedelta(days=day.weekday())  # Monday, as date_trunc('week')
    if dimension == "month":
        return day.replace(day=1)
    if dimension == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if dimension == "year":
        return date(day.year, 1, 1)
    return day


def _next_bucket(dimension: str, start: date) -> date:
    if dimension in ("day", "week"):
        return start + timedelta(days=1 if dimension == "day" else 7)
    months = {"month": 1, "quarter": 3, "year": 12}[dimension]
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _bucket_label(dimension: str, start: date) -> str:
    """The label ``dimension_expression`` gives the bucket's rows, on either engine."""
    if dimension == "quarter":
        return f"{start.year}-Q{(start.month + 2) // 3}"
    return start.strftime({"month": "%Y-%m", "year": "%Y"}.get(dimension, "%Y-%m-%d"))


def _utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _distinct_customers_per_bucket(
    query: StructuredQuery, buckets: Sequence[Bucket], conditions: list[ColumnElement[bool]]
) -> Select[Any]:
    """One distinct count per bucket, on the bucket's own range, all in one statement."""
    assert query.dimension is not None
    name = _dimension_label(query.dimension)
    counts = []
    for number, bucket in enumerate(buckets):
        customers = (
            select(c.customer_id)
            .select_from(payments)
            .where(
                and_(
                    *conditions,
                    c.customer_id.is_not(None),
                    c.created_at >= bucket.start,
                    c.created_at < bucket.end,
                )
            )
            .distinct()
            .subquery(f"bucket_{number}")
        )
        counts.append(
            select(literal(bucket.label).label(name), func.count().label("customers")).select_from(
                customers
            )
        )
    per_bucket = union_all(*counts).subquery("per_bucket")
    label, customers_count = per_bucket.c[name], per_bucket.c.customers
    # A bucket without customers is no group at all, as in the grouped query.
    statement = select(label, customers_count).where(customers_count > const(0))
    return _order(statement, query, [label], customers_count)


def _dimension_label(dimension: str) -> str:
    return "customer_id" if dimension == "customer" else dimension


def _order(
    statement: Select[Any],
    query: StructuredQuery,
    groups: Sequence[ColumnElement[Any]],
    value: ColumnElement[Any],
) -> Select[Any]:
    if not groups:
        return statement
    ranked = query.top is not None or query.dimension in CATEGORY_DIMENSIONS
    if not ranked:
        return statement.order_by(*groups)
    direction = value.desc() if query.descending else value.asc()
    if query.top is None:
        return statement.order_by(direction, *groups)
    if not (query.per_currency and query.dimension != "currency"):
        return statement.order_by(direction, *groups).limit(const(query.top))
    # Top-N per currency: rank inside each currency, never across them.
    rank = (
        func.row_number()
        .over(partition_by=c.currency, order_by=[direction, *groups[:-1]])
        .label("rank_in_currency")
    )
    inner = statement.add_columns(rank).subquery("ranked")
    outer_columns = [inner.c[str(g.key)] for g in groups] + [inner.c[p] for p in query.spec.parts]
    return (
        select(*outer_columns)
        .where(inner.c.rank_in_currency <= const(query.top))
        .order_by(inner.c.currency, inner.c.rank_in_currency)
    )


RATE_QUANTUM = Decimal("0.0001")


def finish_rows(query: StructuredQuery, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows in minor units and parts → the answer: exact money per currency and the metric."""
    named_currency = query.filter_value("currency")
    finished = []
    for raw in rows:
        row = dict(raw)
        currency = row.get("currency") or named_currency
        if query.dimension == "weekday" and row.get("weekday") is not None:
            row["weekday"] = int(row["weekday"])
            row["weekday_name"] = WEEKDAY_NAMES[row["weekday"] - 1]
        if query.dimension == "hour" and row.get("hour") is not None:
            row["hour"] = int(row["hour"])
        _derive_metric(query.metric, row, currency)
        for key in MINOR_UNIT_COLUMNS & row.keys():
            if row[key] is not None and currency:
                row[key] = to_major(int(row[key]), currency)
        finished.append(row)
    return finished


def _derive_metric(metric: str, row: dict[str, Any], currency: str | None) -> None:
    def number(key: str) -> int:
        return int(row.get(key) or 0)

    if metric == "net_revenue":
        row["net_revenue"] = number("revenue") - number("refunds")
    elif metric == "refund_rate":
        revenue = number("revenue")
        row["refund_rate"] = (
            (Decimal(number("refunds")) / revenue).quantize(RATE_QUANTUM) if revenue else None
        )
    elif metric == "failure_rate":
        attempts = number("failed") + number("succeeded")
        row["failure_rate"] = (
            (Decimal(number("failed")) / attempts).quantize(RATE_QUANTUM) if attempts else None
        )
    elif metric == "average_payment":
        count = number("succeeded")
        if count and currency:
            digits = Decimal(1).scaleb(-exponent(currency))
            major = to_major(number("revenue"), currency)
            row["average_payment"] = (major / count).quantize(digits, ROUND_HALF_EVEN)
        else:
            row["average_payment"] = None
    for key in ("payments", "succeeded", "failed", "customers"):
        if key in row and row[key] is not None:
            row[key] = int(row[key])


@dataclass(slots=True)
class CompiledQuery:
    sql: str
    params: dict[str, Any] = field(default_factory=dict)
