"""The SQL guard, layer 1 and 2 of the defence: what may reach the database at all.

Every statement — compiled by the offline engine, written by an LLM, stored as an example or
typed by a user — is parsed with sqlglot (failing closed on anything it cannot parse) and must
be exactly one query: a SELECT or a set operation of SELECTs, with no ``INTO``, no locking
clause, no data-modifying CTE, no command sqlglot could only keep as text.  It may read the
payments data only (allowed tables and their columns), call only allow-listed functions, and
gets a ``LIMIT`` of at most ``max_rows`` imposed on the parsed tree.  The statement that runs is
regenerated from the checked tree, without comments.

The layers behind it (read-only transaction, statement timeout, a reader role on PostgreSQL,
a read-only connection with an authorizer on SQLite) live in ``executor.py``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

# The data generated SQL may read: table → columns.  Never accounts, tokens, the audit log or
# any other service's tables.
ALLOWED_TABLES: dict[str, frozenset[str]] = {
    "payments": frozenset(
        {
            "id",
            "external_id",
            "created_at",
            "amount",
            "amount_refunded",
            "currency",
            "status",
            "customer_id",
            "customer_email",
            "card_brand",
            "payment_method",
            "location",
            "description",
            "fee",
            "metadata",
            "order_id",
            "source",
        }
    ),
    "analytics_currencies": frozenset({"code", "exponent"}),
}

# Typed sqlglot function nodes that are pure computations over the row.
ALLOWED_FUNCTION_NODES = frozenset(
    {
        "Sum", "Count", "Avg", "Min", "Max", "Round", "Coalesce", "Nullif", "Abs", "Greatest",
        "Least", "Lower", "Upper", "Length", "Substring", "Trim", "Concat", "Cast", "TryCast",
        "Case", "If", "Extract", "TimestampTrunc", "DateTrunc", "TimeToStr", "ToChar",
        "TsOrDsToTimestamp", "Date", "CurrentDate", "CurrentTimestamp", "Floor", "Ceil",
        "Sqrt", "Stddev", "StddevPop", "StddevSamp", "Variance", "Median",
        "PercentileCont", "PercentileDisc", "RowNumber", "Rank", "DenseRank", "Lag", "Lead",
        "FirstValue", "LastValue", "NthValue", "Ntile", "CumeDist", "PercentRank",
        "ArrayAgg", "GroupConcat", "StringAgg", "Quarter", "Year", "Month", "Day",
        "DayOfWeek", "DayOfWeekIso", "Hour", "StrPosition", "Replace", "Left", "Right",
        "JSONExtract", "JSONExtractScalar", "JSONBExtract", "JSONBExtractScalar", "Mod",
        "ToNumber", "Pow", "Ln", "Log", "Exp", "Sign", "CountIf", "SumIf", "AnyValue",
        "Between", "Distinct",
    }
)  # fmt: skip
# Functions sqlglot has no node for, by name (dialect spellings of date handling).
ALLOWED_ANONYMOUS_FUNCTIONS = frozenset(
    {"timezone", "strftime", "date", "datetime", "julianday", "date_part", "to_char", "ifnull",
     "printf", "format", "instr", "unixepoch", "power", "pow"}
)  # fmt: skip

# Nodes that are never part of a read-only question, wherever they appear in the tree.
FORBIDDEN_NODES: tuple[type[Any], ...] = (
    exp.DDL,
    exp.DML,
    exp.Into,
    exp.Lock,
    exp.Set,
    exp.Command,
    exp.Pragma,
    exp.Attach,
    exp.Detach,
    exp.Use,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Describe,
    exp.Kill,
    exp.Analyze,
    exp.Grant,
    exp.Revoke,
    exp.Declare,
    exp.Execute,
    exp.Show,
    exp.Parameter,  # $1-style references to nothing the caller bound
)
DIALECTS = {"postgresql": "postgres", "sqlite": "sqlite"}


class GuardError(ValueError):
    """The statement is refused; the message says why (safe to show)."""


@dataclass(frozen=True, slots=True)
class GuardedSQL:
    sql: str  # what runs: regenerated from the checked tree, placeholders kept
    display_sql: str  # for people: literals inlined
    params: dict[str, Any] = field(default_factory=dict)
    limit: int = 1000


def guard(
    sql: str,
    dialect: str,
    *,
    max_rows: int = 1000,
    params: Mapping[str, Any] | None = None,
) -> GuardedSQL:
    """Check ``sql`` and return the statement to run (or raise :class:`GuardError`)."""
    params = dict(params or {})
    if not params:
        return _guard(sql, dialect, max_rows, params)
    # The offline engine produces few shapes of SQL with different bound values: the checks
    # depend on the text only (values are bound, LIMIT is a literal), so they are reused.
    checked = _guard_shape(sql, dialect, max_rows, tuple(params))
    return GuardedSQL(
        sql=checked.sql,
        display_sql=_PLACEHOLDER.sub(
            lambda m: _literal_text(params[m.group(1) or m.group(2)]), checked.display_sql
        ),
        params=params,
        limit=checked.limit,
    )


_PLACEHOLDER = re.compile(r"%\((\w+)\)s|(?<![:\w]):([A-Za-z_]\w*)")


@functools.lru_cache(maxsize=2048)
def _guard_shape(sql: str, dialect: str, max_rows: int, names: tuple[str, ...]) -> GuardedSQL:
    return _guard(sql, dialect, max_rows, dict.fromkeys(names), keep_placeholders=True)


def _guard(
    sql: str,
    dialect: str,
    max_rows: int,
    params: dict[str, Any],
    *,
    keep_placeholders: bool = False,
) -> GuardedSQL:
    read = DIALECTS[dialect]
    statement = _parse_one(sql, read)
    _check_shape(statement)
    cte_names = _check_tables(statement)
    _check_columns(statement, cte_names)
    _check_functions(statement)
    _check_joins(statement)
    _check_placeholders(statement, params)
    limited, limit = _impose_limit(statement, max_rows, params)
    runnable = _render(limited, read, dialect, params)
    display = (
        limited.sql(dialect=read, comments=False)
        if keep_placeholders
        else _display(limited, read, params)
    )
    return GuardedSQL(sql=runnable, display_sql=display, params=params, limit=limit)


def _parse_one(sql: str, read: str) -> exp.Expression:
    if not sql or not sql.strip():
        raise GuardError("empty SQL")
    if "\x00" in sql:
        raise GuardError("the SQL contains a NUL byte")
    try:
        statements = [s for s in sqlglot.parse(sql, read=read) if s is not None]
    except SqlglotError as exc:
        raise GuardError(f"the SQL could not be parsed: {str(exc).splitlines()[0]}") from exc
    if len(statements) != 1:
        raise GuardError(f"exactly one statement is allowed, found {len(statements)}")
    statement = statements[0]
    if not isinstance(statement, exp.Expression):
        raise GuardError("the SQL is not a statement")
    return statement


def _check_shape(statement: exp.Expression) -> None:
    if not isinstance(statement, exp.Select | exp.SetOperation | exp.Subquery):
        raise GuardError(f"only SELECT queries are allowed, not {statement.key.upper()}")
    for node in statement.walk():
        if isinstance(node, FORBIDDEN_NODES):
            raise GuardError(f"{node.key.upper()} is not allowed in a query")
        if isinstance(node, exp.With) and node.args.get("recursive"):
            raise GuardError("recursive queries are not allowed")


def _check_tables(statement: exp.Expression) -> set[str]:
    cte_names = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
    for node in statement.find_all(exp.Table):
        name = node.name.lower()
        if not isinstance(node.this, exp.Identifier):
            raise GuardError("table functions are not allowed")
        if node.args.get("db") or node.args.get("catalog"):
            raise GuardError(f"table {node.sql()} is not one of the payments tables")
        if name not in ALLOWED_TABLES and name not in cte_names:
            raise GuardError(f"table {name!r} is not one of the payments tables")
    for call in statement.find_all(exp.Func):
        if isinstance(call.parent, exp.From | exp.Join) or isinstance(call, exp.UDTF):
            raise GuardError("table functions are not allowed")
    return cte_names


def _defined_names(statement: exp.Expression) -> set[str]:
    """Aliases the query defines itself (select aliases, CTE and subquery column names)."""
    names = {a.alias.lower() for a in statement.find_all(exp.Alias) if a.alias}
    for table_alias in statement.find_all(exp.TableAlias):
        names.update(col.name.lower() for col in table_alias.columns)
    return names


def _check_columns(statement: exp.Expression, cte_names: set[str]) -> None:
    allowed = set().union(*ALLOWED_TABLES.values()) | _defined_names(statement)
    sources = {t.alias_or_name.lower() for t in statement.find_all(exp.Table)} | cte_names
    sources |= {s.alias.lower() for s in statement.find_all(exp.Subquery) if s.alias}
    for node in statement.find_all(exp.Column):
        name = node.name.lower()
        if node.table and node.table.lower() not in sources:
            raise GuardError(f"unknown table reference {node.table!r}")
        if isinstance(node.this, exp.Star):
            continue
        if name not in allowed:
            raise GuardError(f"column {name!r} does not exist in the payments tables")


def _check_functions(statement: exp.Expression) -> None:
    for node in statement.find_all(exp.Func):
        if isinstance(node, exp.Connector | exp.Binary | exp.Unary):
            continue  # operators (AND, +, ->), not calls
        if isinstance(node, exp.Anonymous):
            name = str(node.this).lower()
            if name not in ALLOWED_ANONYMOUS_FUNCTIONS:
                raise GuardError(f"function {name}() is not allowed")
        elif type(node).__name__ not in ALLOWED_FUNCTION_NODES:
            raise GuardError(f"function {node.sql_name().lower()}() is not allowed")


def _check_joins(statement: exp.Expression) -> None:
    """Joins need a condition: a cross join of payments with itself is only a way to burn CPU."""
    for join in statement.find_all(exp.Join):
        if not join.args.get("on") and not join.args.get("using"):
            raise GuardError("joins without a condition (cross joins) are not allowed")
    for select in statement.find_all(exp.Select):
        from_ = select.args.get("from_") or select.args.get("from")
        if from_ is not None and len(from_.expressions) > 1:
            raise GuardError("joins without a condition (cross joins) are not allowed")


def _check_placeholders(statement: exp.Expression, params: Mapping[str, Any]) -> None:
    for node in statement.find_all(exp.Placeholder):
        if not node.name or node.name not in params:
            raise GuardError("the SQL refers to a parameter that was not given")


def _impose_limit(
    statement: exp.Expression, max_rows: int, params: Mapping[str, Any]
) -> tuple[exp.Expression, int]:
    if isinstance(statement, exp.Select):
        current = _limit_value(statement, params)
        limit = max_rows if current is None else min(current, max_rows)
        limited = statement.copy()
        limited.set("fetch", None)
        return limited.limit(limit, copy=False), limit
    wrapped = exp.select("*").from_(exp.Subquery(this=statement.copy(), alias="q"))
    return wrapped.limit(max_rows), max_rows


def _limit_value(statement: exp.Select, params: Mapping[str, Any]) -> int | None:
    node = statement.args.get("limit") or statement.args.get("fetch")
    if node is None:
        return None
    value = node.args.get("expression") or node.args.get("count")
    if isinstance(value, exp.Literal) and value.is_int:
        return max(int(value.this), 0)
    if isinstance(value, exp.Placeholder) and isinstance(params.get(value.name), int):
        return max(int(params[value.name]), 0)
    return None  # anything else is replaced by the cap


def _render(tree: exp.Expression, read: str, dialect: str, params: Mapping[str, Any]) -> str:
    tree = tree.copy()
    if dialect == "postgresql":
        # asyncpg speaks $n; named placeholders become positions in the order of params.
        positions = {name: index for index, name in enumerate(params, start=1)}
        for node in list(tree.find_all(exp.Placeholder)):
            node.replace(exp.var(f"${positions[node.name]}"))
    return tree.sql(dialect=read, comments=False)


def _display(tree: exp.Expression, read: str, params: Mapping[str, Any]) -> str:
    tree = tree.copy()
    for node in list(tree.find_all(exp.Placeholder)):
        node.replace(_literal(params[node.name]))
    return tree.sql(dialect=read, comments=False, pretty=False)


def _literal(value: Any) -> exp.Expression:
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    if isinstance(value, datetime):
        return exp.Literal.string(value.isoformat(sep=" "))
    if value is None:
        return exp.Null()
    return exp.Literal.string(str(value))


def _literal_text(value: Any) -> str:
    """A bound value written out for people to read (the statement that runs keeps it bound)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if value is None:
        return "NULL"
    if isinstance(value, datetime):
        value = value.isoformat(sep=" ")
    return "'" + str(value).replace("'", "''") + "'"
