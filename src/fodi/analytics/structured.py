"""The structured query the offline engine understands, compiled to SQL with SQLAlchemy Core.

A question becomes ``metric × dimension × filters × period (or two, compared) × top-N ×
threshold``.  Compilation is dialect-aware (date labels on SQLite and PostgreSQL give the same
strings) and every literal is a bound parameter.  Money comes back in minor units and is turned
into exact decimals per currency afterwards; rates are computed from their parts exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
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


def dimension_expression(dimension: str, dialect: str) -> ColumnElement[Any]:
    """The label a row is grouped under; the same strings on SQLite and PostgreSQL."""
    if dimension == "customer":
        return c.customer_id
    if dimension in CATEGORY_DIMENSIONS:
        return c[dimension]
    if dialect == "postgresql":
        utc = func.timezone(const("UTC"), c.created_at)
        formats = {"day": "YYYY-MM-DD", "month": "YYYY-MM", "quarter": 'YYYY-"Q"Q', "year": "YYYY"}
        formats["week"] = "YYYY-MM-DD"
        if dimension in formats:
            # Formatted from the truncated time that rows are grouped by (cheaper than
            # formatting every row before grouping).
            return func.to_char(group_expression(dimension, dialect), const(formats[dimension]))
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
        label = "customer_id" if query.dimension == "customer" else query.dimension
        groups.append(dimension_expression(query.dimension, dialect).label(label))
        group_by.append(group_expression(query.dimension, dialect))
    if query.per_currency and query.dimension != "currency":
        groups.append(c.currency.label("currency"))
        group_by.append(c.currency)
    conditions = _conditions(query)
    if query.metric == "customers":
        return _distinct_customers(query, groups, group_by, conditions)
    parts = [_part(name).label(name) for name in query.spec.parts]
    statement = select(*groups, *parts).select_from(payments)
    if conditions:
        statement = statement.where(and_(*conditions))
    if group_by:
        statement = statement.group_by(*group_by)
    return _order(statement, query, groups, _metric_order_expression(query.metric))


def _distinct_customers(
    query: StructuredQuery,
    groups: list[ColumnElement[Any]],
    group_by: list[ColumnElement[Any]],
    conditions: list[ColumnElement[bool]],
) -> Select[Any]:
    """Distinct (group, customer) pairs first, then counted: a hash aggregate instead of the
    sort ``COUNT(DISTINCT ...)`` needs per group (the conditions keep succeeded rows only)."""
    inner = select(*groups, c.customer_id.label("paying_customer")).select_from(payments)
    inner = inner.where(and_(*conditions, c.customer_id.is_not(None)))
    inner_query = inner.group_by(*group_by, c.customer_id).subquery("pairs")
    outer_groups = [inner_query.c[str(g.key)] for g in groups]
    statement = select(*outer_groups, func.count().label("customers")).select_from(inner_query)
    if outer_groups:
        statement = statement.group_by(*outer_groups)
    return _order(statement, query, outer_groups, func.count())


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
